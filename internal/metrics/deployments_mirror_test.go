package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestDeploymentMirrorEqualsSQL answers the deployment-based metrics from
// the deployments held in memory and from SQL, for every filter and for
// environments in any case, and wants the same JSON; then records a
// deployment and wants the mirror to follow it, and other changes to leave
// the mirror loaded.
func TestDeploymentMirrorEqualsSQL(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web, api := b.Repo("acme/web"), b.Repo("acme/api")
	b.DefineTeam("web-team", []string{"alice"}, []string{"acme/web"})
	b.DefineTeam("norepos", []string{"bob"}, nil)
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 20 {
		at := day.Add(time.Duration(i) * 7 * time.Hour)
		repo := web
		if i%3 == 0 {
			repo = api
		}
		env := []string{"", "production", "Staging", "staging", "qa"}[i%5]
		b.EnvDeployment(repo, fmt.Sprint("d", i), env, at, fmt.Sprint("sha", i))
		if i%4 == 0 {
			b.Incident(repo, fmt.Sprint("inc", i), at.Add(time.Hour), nil)
		}
	}
	b.Derive()
	ctx := context.Background()
	answer := func(s *Service, params string) []byte {
		q := query(t, st, params)
		freq, err := s.DeploymentFrequency(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cfr, err := s.ChangeFailureRate(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		rework, err := s.ReworkRate(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		dora, err := s.DORA(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal([]any{freq, cfr, rework, dora})
		return out
	}
	params := []string{
		"start_date=2026-03-01&end_date=2026-03-10&period=day&include_trend=true",
		"start_date=2026-03-02&end_date=2026-03-04",
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-10&repo_id=%d", api),
		"start_date=2026-03-01&end_date=2026-03-10&environment=staging",
		"start_date=2026-03-01&end_date=2026-03-10&environment=STAGING&include_trend=true",
		"start_date=2026-03-01&end_date=2026-03-10&environment=qa&team=web-team",
		"start_date=2026-03-01&end_date=2026-03-10&team=web-team",
		"start_date=2026-03-01&end_date=2026-03-10&team=norepos",
	}
	compare := func(round string) {
		t.Helper()
		mem, sqlOnly := New(st, false), New(st, false)
		sqlOnly.noMirror = true
		if _, ok, _ := mem.deploymentRows(ctx); ok {
			t.Fatal("a new service answered from a mirror it had not loaded")
		}
		if _, ok, err := mem.deploymentRows(ctx); !ok || err != nil {
			t.Fatalf("%s: the second request did not load the mirror (%v)", round, err)
		}
		counted := 0
		for _, p := range params {
			got, want := answer(mem, p), answer(sqlOnly, p)
			if string(got) != string(want) {
				t.Errorf("%s, %s: the mirror answers\n%s\nSQL answers\n%s", round, p, got, want)
			}
			var v []struct {
				Total int `json:"total"`
			}
			json.Unmarshal(want, &v)
			if len(v) > 0 && v[0].Total > 0 {
				counted++
			}
		}
		if counted < 5 {
			t.Errorf("%s: only %d parameter sets count deployments: hardly compared", round, counted)
		}
	}
	compare("first")

	// A service that has loaded the mirror answers a new deployment from
	// SQL, then from the mirror loaded again by the next request.
	s := New(st, false)
	if err := s.loadDeployments(ctx); err != nil {
		t.Fatal(err)
	}
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-10&environment=staging")
	before, err := s.DeploymentFrequency(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	b.EnvDeployment(web, "late", "staging", day.Add(48*time.Hour), "late")
	b.Derive()
	if _, ok, _ := s.deploymentRows(ctx); ok {
		t.Error("the mirror of the previous data version is used")
	}
	if _, ok, err := s.deploymentRows(ctx); !ok || err != nil {
		t.Errorf("the second request of the new data version did not load the mirror (%v)", err)
	}
	after, err := s.DeploymentFrequency(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != before.Total+1 {
		t.Errorf("after one more staging deployment the total is %d (from the mirror), want %d", after.Total, before.Total+1)
	}
	compare("after a deployment")

	// A derive that changes PRs only, and writes that leave the mirror's
	// columns as they were, keep the mirror: the change counter did not
	// move. A change to a column it holds, by any writer, moves it.
	// (The writes below go around the derive step, so each bumps the data
	// version as the derive would.)
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := st.DB().ExecContext(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.BumpDataVersion(ctx) }); err != nil {
			t.Fatal(err)
		}
	}
	loaded := func(what string, want bool) {
		t.Helper()
		if _, ok, err := s.deploymentRows(ctx); ok != want || err != nil {
			t.Errorf("%s: answered from the mirror: %t, want %t (%v)", what, ok, want, err)
		}
	}
	loaded("before the PR", true)
	merged := day.Add(30 * time.Hour)
	b.PullRequest(web, scenario.PR{Created: day, Merged: &merged, MergeSHA: "sha7"})
	b.Derive()
	loaded("after a derive of a new PR", true)
	exec(`UPDATE deployments SET dirty = FALSE, failed = failed`)
	loaded("after an update that changes nothing the mirror holds", true)
	var id int64
	if err := st.DB().QueryRowContext(ctx, `SELECT id FROM deployments WHERE external_id = 'late'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE deployments SET failed = NOT failed WHERE id = $1`, id)
	loaded("after a flag changed", false)
	loaded("on the second request after a flag changed", true)
	exec(`DELETE FROM deployments WHERE id = $1`, id)
	loaded("after a deletion", false)
	loaded("on the second request after a deletion", true)
	rows, _, err := s.deploymentRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rows); n != 20 {
		t.Errorf("the mirror holds %d deployments after the deletion, want 20", n)
	}
	exec(`DELETE FROM repositories WHERE id = $1`, api) // its deployments go with it (ON DELETE CASCADE)
	loaded("after a repository's deletion", false)
	loaded("on the second request after a repository's deletion", true)
	if rows, _, err = s.deploymentRows(ctx); err != nil || len(rows) >= 20 || len(rows) == 0 {
		t.Errorf("the mirror holds %d deployments after acme/api's deletion, want fewer than 20 (%v)", len(rows), err)
	}
}
