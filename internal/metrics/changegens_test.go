package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestChangeCounters: the change counters the result cache carries answers
// by (migrations 0017 and 0022) move with every change to what the metrics
// read of the deployments, incidents and workflows, the fingerprint of the
// Linear incidents' links with every change to those links, and all of them
// stay with changes to anything else.
func TestChangeCounters(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	s := New(st, false)
	ctx := context.Background()
	repo := b.Repo("acme/api")
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	pr := b.PullRequest(repo, scenario.PR{Number: 1, Author: "alice", Created: at, Merged: scenario.Ptr(at.Add(time.Hour))})
	team := b.Team("ENG")
	issue := b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-1", LinearID: "lin-1", CreatedAt: at})
	other := b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-2", LinearID: "lin-2", CreatedAt: at})
	last := s.tableGens(ctx)
	if last == nil {
		t.Fatal("the change counters could not be read")
	}
	step := func(what string, moved []string, fn func()) {
		t.Helper()
		fn()
		now := s.tableGens(ctx)
		for _, names := range tableCounters {
			for _, name := range names {
				if _, ok := now[name]; !ok {
					t.Fatalf("%s: no counter %q in %v", what, name, now)
				}
				want := slices.Contains(moved, name)
				if got := now[name] != last[name]; got != want {
					t.Errorf("%s: %q went from %d to %d, want it to move: %t", what, name, last[name], now[name], want)
				}
			}
		}
		last = maps.Clone(now)
	}
	exec := func(query string) func() {
		return func() {
			t.Helper()
			if _, err := st.DB().ExecContext(ctx, query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
	}
	var dep int64
	step("a deployment", []string{"deployments"}, func() { dep = b.Deployment(repo, "d1", at, "sha1") })
	var inc int64
	step("an incident", []string{"incidents"}, func() { inc = b.Incident(repo, "i1", at, nil) })
	step("an incident's title", nil, exec(fmt.Sprintf(`UPDATE incidents SET title = 'renamed' WHERE id = %d`, inc)))
	step("an incident resolved", []string{"incidents"}, exec(fmt.Sprintf(`UPDATE incidents SET resolved_at = %d WHERE id = %d`, at.Add(2*time.Hour).UnixMilli(), inc)))
	step("an incident attributed", []string{"incidents"}, exec(fmt.Sprintf(`UPDATE incidents SET deployment_id = %d WHERE id = %d`, dep, inc)))
	step("a link of an issue that is no incident", nil, exec(fmt.Sprintf(`INSERT INTO linear_issue_prs (issue_id, pr_id, via) VALUES (%d, %d, 'identifier')`, other, pr)))
	step("a Linear incident", []string{"incidents"}, exec(fmt.Sprintf(`INSERT INTO incidents (source, external_id, opened_at, recorded_at) VALUES ('linear', 'lin-1', %d, %d)`,
		at.UnixMilli(), at.UnixMilli())))
	step("a link of a Linear incident", []string{incidentLinks}, exec(fmt.Sprintf(`INSERT INTO linear_issue_prs (issue_id, pr_id, via) VALUES (%d, %d, 'identifier')`, issue, pr)))
	step("the links of a Linear incident removed", []string{incidentLinks}, exec(fmt.Sprintf(`DELETE FROM linear_issue_prs WHERE issue_id = %d`, issue)))
	step("the links of another issue removed", nil, exec(fmt.Sprintf(`DELETE FROM linear_issue_prs WHERE issue_id = %d`, other)))
	var wf int64
	step("a workflow", []string{"workflows"}, func() { wf = b.Workflow(repo, "Deploy", ".github/workflows/deploy.yml") })
	step("a workflow's name", nil, exec(fmt.Sprintf(`UPDATE workflows SET name = 'Ship' WHERE github_id = %d`, wf)))
	step("whether a workflow deploys", []string{"workflows"}, exec(fmt.Sprintf(`UPDATE workflows SET is_deployment = NOT is_deployment WHERE github_id = %d`, wf)))
	step("a workflow removed", []string{"workflows"}, exec(fmt.Sprintf(`DELETE FROM workflows WHERE github_id = %d`, wf)))
	step("an incident removed", []string{"incidents"}, exec(fmt.Sprintf(`DELETE FROM incidents WHERE id = %d`, inc)))
}
