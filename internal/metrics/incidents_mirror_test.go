package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestIncidentMirrorEqualsSQL answers recovery time and the Teams table
// from the incidents held in memory and from SQL, for every filter, and
// wants the same JSON, and the same for the Incidents page's list, page by
// page; then changes each thing the repo rule reads (a new
// incident, a Linear incident linked to another repository's PR, a
// deployment moved to another repository) and wants the mirror to follow.
func TestIncidentMirrorEqualsSQL(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web, api, ops := b.Repo("acme/web"), b.Repo("acme/api"), b.Repo("acme/ops")
	b.DefineTeam("web-team", []string{"alice"}, []string{"acme/web"})
	b.DefineTeam("both", []string{"bob"}, []string{"acme/web", "acme/api"})
	b.DefineTeam("norepos", []string{"carol"}, nil)
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 12 {
		at := day.Add(time.Duration(i) * 13 * time.Hour)
		repo := []int64{web, api, ops}[i%3]
		b.Deployment(repo, fmt.Sprint("d", i), at, fmt.Sprint("sha", i))
		var resolved *time.Time
		if i%4 != 3 {
			resolved = scenario.Ptr(at.Add(time.Duration(i+1) * time.Hour))
		}
		own := repo
		if i%2 == 0 {
			own = 0 // attributed to the deployment before it
		}
		b.Incident(own, fmt.Sprint("inc", i), at.Add(time.Hour), resolved)
	}
	team := b.Team("ENG")
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-9", Number: 9, Labels: []string{"Incident"},
		CreatedAt: day.Add(30 * time.Hour), StateType: "completed", CompletedAt: scenario.Ptr(day.Add(33 * time.Hour))})
	b.PullRequest(ops, scenario.PR{Number: 7, Title: "Fix ENG-9", Created: day.Add(31 * time.Hour), Merged: scenario.Ptr(day.Add(32 * time.Hour))})
	b.Derive()
	ctx := context.Background()
	teams, err := ResolveTeams(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	params := []string{
		"start_date=2026-03-01&end_date=2026-03-10",
		"start_date=2026-03-03&end_date=2026-03-05&include_trend=true",
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-10&repo_id=%d", web),
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-10&repo_id=%d", ops),
		"start_date=2026-03-01&end_date=2026-03-10&team=web-team",
		"start_date=2026-03-01&end_date=2026-03-10&team=both",
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-10&team=both&repo_id=%d", api),
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-10&team=web-team&repo_id=%d", api),
		"start_date=2026-03-01&end_date=2026-03-10&team=norepos",
	}
	answer := func(s *Service, p string) (string, int) {
		q := query(t, st, p)
		rt, err := s.RecoveryTime(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		q.Team = nil
		table, err := s.TeamsTable(ctx, q, teams)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal([]any{rt, table})
		return string(out), rt.Count + rt.OpenIncidents
	}
	compare := func(round string) {
		t.Helper()
		mem, sqlOnly := New(st, false), New(st, false)
		sqlOnly.noMirror = true
		counted := 0
		for _, p := range params {
			got, n := answer(mem, p)
			want, _ := answer(sqlOnly, p)
			if got != want {
				t.Errorf("%s, %s: the mirror answers\n%s\nSQL answers\n%s", round, p, got, want)
			}
			if n > 0 {
				counted++
			}
		}
		if counted < 5 {
			t.Errorf("%s: only %d parameter sets count incidents: hardly compared", round, counted)
		}
		// The Incidents page's list, page by page (of 4), from the mirror
		// (IncidentPage, then the rows by id) and from SQL alone.
		listed := 0
		for _, p := range params {
			q := query(t, st, p)
			var teamRepos []int64
			if q.Team != nil {
				teamRepos = append([]int64{}, q.Team.RepoIDs...)
			}
			span := store.TimeSpan{From: q.Start, Until: q.End}
			for page := 1; page <= 4; page++ {
				pp := store.Page{Page: page, Limit: 4}
				ids, total, ok, err := mem.IncidentPage(ctx, span, q.RepoID, teamRepos, pp)
				if err != nil || !ok {
					t.Fatalf("%s, %s: IncidentPage: ok %v, %v", round, p, ok, err)
				}
				got, err := st.IncidentsByID(ctx, ids)
				if err != nil {
					t.Fatal(err)
				}
				want, wantTotal, err := st.IncidentTable(ctx, span, q.RepoID, teamRepos, pp)
				if err != nil {
					t.Fatal(err)
				}
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if total != wantTotal || string(g) != string(w) {
					t.Errorf("%s, %s, page %d: the mirror lists %d\n%s\nSQL lists %d\n%s", round, p, page, total, g, wantTotal, w)
				}
				listed += len(got)
			}
		}
		if listed < 20 {
			t.Errorf("%s: only %d incidents listed: hardly compared", round, listed)
		}
		if _, ok, err := mem.incidentRows(ctx); !ok || err != nil {
			t.Errorf("%s: the mirror was not used (%v)", round, err)
		}
	}
	compare("first")

	// One service throughout: it must follow each change.
	s := New(st, false)
	q := query(t, st, fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-10&repo_id=%d", web))
	count := func() int {
		t.Helper()
		s.cache = newResultCache() // the mirror, not the result cache, is under test
		rt, err := s.RecoveryTime(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rt.Count + rt.OpenIncidents
	}
	before := count()
	b.Incident(web, "late", day.Add(50*time.Hour), scenario.Ptr(day.Add(52*time.Hour)))
	b.Derive()
	if got := count(); got != before+1 {
		t.Errorf("after a new incident of web: %d incidents, want %d", got, before+1)
	}
	// Two more opened at the same instant as it: the list orders them by id.
	b.Incident(api, "late twin", day.Add(50*time.Hour), nil)
	b.Incident(ops, "late triplet", day.Add(50*time.Hour), scenario.Ptr(day.Add(51*time.Hour)))
	b.Derive()
	compare("after an incident")

	// The Linear incident's fix is linked to a PR of web too.
	before = count()
	b.PullRequest(web, scenario.PR{Number: 8, Title: "Also ENG-9", Created: day.Add(31 * time.Hour), Merged: scenario.Ptr(day.Add(32 * time.Hour))})
	b.Derive()
	if got := count(); got != before+1 {
		t.Errorf("after linking the Linear incident to web: %d incidents, want %d", got, before+1)
	}
	compare("after a link")

	// A deployment of ops moves to web, and with it the incidents
	// attributed to it.
	before = count()
	if _, err := st.DB().ExecContext(ctx, `UPDATE deployments SET repo_id = $1 WHERE external_id = 'd2'`, web); err != nil {
		t.Fatal(err)
	}
	b.Derive()
	if got := count(); got <= before {
		t.Errorf("after moving deployment d2 to web: %d incidents, want more than %d", got, before)
	}
	compare("after a moved deployment")
}

// TestWarmLoadsTheMirrors: Warm, which serve runs before it listens, leaves
// the rollups, the deployments and the incidents loaded, so that no early
// request reads them from the database.
func TestWarmLoadsTheMirrors(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	b.Deployment(web, "d1", at, "sha1")
	b.Incident(web, "inc1", at.Add(time.Hour), scenario.Ptr(at.Add(3*time.Hour)))
	b.PullRequest(web, scenario.PR{Number: 1, Title: "One", Created: at.Add(-time.Hour), Merged: scenario.Ptr(at)})
	b.Derive()
	s := New(st, false)
	n, err := s.Warm(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 {
		t.Errorf("Warm reports %d bytes held", n)
	}
	s.deps.mu.Lock()
	deps := s.deps.loaded && len(s.deps.rows) == 1
	s.deps.mu.Unlock()
	s.incidents.mu.Lock()
	incidents := len(s.incidents.rows) == 1
	s.incidents.mu.Unlock()
	if !deps || !incidents {
		t.Errorf("after Warm: deployments loaded %v, incidents loaded %v", deps, incidents)
	}
}
