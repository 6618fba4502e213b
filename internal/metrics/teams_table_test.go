package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestTeamsTableEqualsPerTeam: the Teams page's batched computation gives,
// for every team, exactly the headlines that DORA and Development with a
// trend give with team= set to it, from the rollup and before it is built,
// with and without the repo and author filters.
func TestTeamsTableEqualsPerTeam(t *testing.T) {
	for _, sc := range []struct {
		name  string
		build func(*testing.T, *store.Store) (int64, int64)
	}{
		{"dora", func(t *testing.T, st *store.Store) (int64, int64) {
			b, web, api := doraScenario(t, st)
			b.GitHubDeployment(api, 0, "production", "a3", ts(6, 8), scenario.Status{State: "success", At: ts(6, 9)},
				scenario.Status{State: "failure", At: ts(6, 10)})
			// Linear incidents: one resolved, attributed to web's last
			// deployment and concerning api through its linked PR; one
			// open, linked to nothing.
			b.PullRequest(api, scenario.PR{Number: 7, Author: "bob", Created: ts(3, 0), Merged: tp(3, 1)})
			ops := b.Team("OPS")
			b.LinearIssue(model.LinearIssue{TeamLinearID: ops, Identifier: "OPS-1", Number: 1, CreatedAt: ts(5, 0),
				StateType: "completed", CompletedAt: tp(5, 6), Labels: []string{"incident"},
				Attachments: []model.LinearAttachment{{URL: "https://github.com/acme/api/pull/7"}}})
			b.LinearIssue(model.LinearIssue{TeamLinearID: ops, Identifier: "OPS-2", Number: 2, CreatedAt: ts(5, 2),
				StateType: "started", Labels: []string{"incident"}})
			b.Derive()
			defineTeams(t, b)
			return web, api
		}},
		{"development", func(t *testing.T, st *store.Store) (int64, int64) {
			web, api := devScenario(t, st)
			b := scenario.New(t, st)
			// ENG-5 has merged PRs by two authors, in two teams: bob's
			// before every range below, alice's in them. Each team counts
			// it once, platform through bob's earlier PR.
			b.PullRequest(api, scenario.PR{Number: 20, Author: "bob", Title: "ENG-5 part 1", Created: ts(-10, 0), Merged: tp(-8, 0)})
			b.PullRequest(web, scenario.PR{Number: 21, Author: "alice", Title: "ENG-5 part 2", Created: ts(5, 0), Merged: tp(6, 0)})
			b.LinearIssue(model.LinearIssue{TeamLinearID: b.Team("ENG"), Identifier: "ENG-5", Number: 5, CreatedAt: ts(-12, 0),
				StateType: "completed", CompletedAt: tp(6, 1)})
			b.Derive()
			defineTeams(t, b)
			return web, api
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			st := storetest.New(t)
			web, _ := sc.build(t, st)
			ctx := context.Background()
			list, err := st.Teams(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var teams []*TeamScope
			for _, tm := range list {
				ts, err := ResolveTeam(ctx, st, tm.Slug)
				if err != nil {
					t.Fatal(err)
				}
				teams = append(teams, ts)
			}
			if len(teams) != 4 {
				t.Fatalf("%d teams, want the 4 of defineTeams", len(teams))
			}
			for _, noRollup := range []bool{false, true} {
				// One service for every range, as serve has: the ranges
				// after the first read the rollup rows (and what they
				// keep decoded) that the ones before read.
				batched := New(st, false)
				batched.noRollup = noRollup
				for _, params := range []string{
					"start_date=2026-03-01&end_date=2026-03-07&period=day",
					"start_date=2026-03-04&end_date=2026-03-10&period=day",
					"start_date=2026-02-20&end_date=2026-03-10&period=week",
					"start_date=2026-01-15&end_date=2026-03-31&period=month",
					fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d", web),
					"start_date=2026-03-01&end_date=2026-03-07&author=Alice",
				} {
					q := query(t, st, params)
					got, err := batched.TeamsTable(ctx, q, teams)
					if err != nil {
						t.Fatal(err)
					}
					one := New(st, false)
					one.noRollup = noRollup
					var want []TeamMetrics
					for _, tm := range teams {
						tq := q
						tq.Trend, tq.Team = true, tm
						m := TeamMetrics{Slug: tm.Slug}
						if m.DORA, err = one.DORA(ctx, tq); err != nil {
							t.Fatal(err)
						}
						if m.Development, err = one.Development(ctx, tq); err != nil {
							t.Fatal(err)
						}
						want = append(want, m)
					}
					for _, m := range got {
						if !noRollup && (m.DORA.DeploymentFrequency.Data != nil || m.DORA.ChangeFailureRate.Data != nil || m.DORA.ReworkRate.Data != nil) {
							t.Errorf("%s: team %s keeps the series the Teams page does not show", params, m.Slug)
						}
					}
					g, w := headlines(t, got), headlines(t, want)
					if !bytes.Equal(g, w) {
						t.Errorf("%s (no rollup: %v): the batch answers\n%s\nper team\n%s", params, noRollup, g, w)
					}
					if !regexp.MustCompile(`"median_hours":[0-9]`).Match(w) || !regexp.MustCompile(`"direction":"`).Match(w) {
						t.Errorf("%s: nothing to compare: %s", params, w)
					}
				}
			}
		})
	}
}

// headlines is the JSON of teams without what TeamsTable leaves out: every
// series ("data") and lead time's phases.
func headlines(t *testing.T, teams []TeamMetrics) []byte {
	t.Helper()
	b, err := json.Marshal(teams)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "data")
			delete(x, "phases")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, _ := json.Marshal(v)
	return out
}
