package derive_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// snapshot dumps every derived fact, in a stable order.
func snapshot(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"pr_facts": `SELECT pr_id, repo_id, author_login, created_at, merged_at, to_default_branch, first_commit_at,
			first_review_at, deployment_id, deployed_at, undeployed, is_rework, size FROM pr_facts ORDER BY pr_id`,
		"deployments": `SELECT id, source, external_id, repo_id, created_at, deployed_at, head_sha, failed, is_rework
			FROM deployments ORDER BY source, external_id`,
		"incidents":        `SELECT source, external_id, repo_id, opened_at, resolved_at, deployment_id FROM incidents ORDER BY source, external_id`,
		"links":            `SELECT issue_id, pr_id, via FROM linear_issue_prs ORDER BY issue_id, pr_id`,
		"mentions":         `SELECT pr_id, identifier FROM pr_mentions ORDER BY pr_id, identifier`,
		"cycle_end":        `SELECT id, cycle_end_at FROM linear_issues ORDER BY id`,
		"first_deployment": `SELECT id, first_deploy_created_at FROM repositories ORDER BY id`,
		"workflows":        `SELECT id, is_deployment FROM workflows ORDER BY id`,
		"pr_keys":          `SELECT id, pr_key FROM linear_attachments ORDER BY id`,
		"pr_rollup": `SELECT day, repo_id, author, login, opened, merged, undeployed, reviewed, reviews_given, merge_times, pr_sizes,
			review_times, lead_times, coding_times, pickup_times, review_phase_times, deploy_times FROM pr_rollup ORDER BY day, repo_id, author`,
		"dirty": `SELECT 'rollup', count(*) FROM pr_rollup_dirty UNION ALL SELECT 'pr', count(*) FROM pull_requests WHERE dirty UNION ALL SELECT 'dep', count(*) FROM deployments WHERE dirty
			UNION ALL SELECT 'inc', count(*) FROM incidents WHERE dirty UNION ALL SELECT 'run', count(*) FROM workflow_runs WHERE dirty
			UNION ALL SELECT 'li', count(*) FROM linear_issues WHERE dirty UNION ALL SELECT 'gi', count(*) FROM github_issues WHERE dirty`,
	}
	out := map[string][]string{}
	for name, q := range queries {
		rows, err := st.DB().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				if v == nil {
					v = "NULL"
				}
				parts[i] = fmt.Sprint(v)
			}
			out[name] = append(out[name], strings.Join(parts, "|"))
		}
		rows.Close()
	}
	return out
}

// TestIncrementalEqualsFull builds a random dataset, changes it in rounds
// with an incremental derive after each, and checks that the facts equal a
// full recompute of the final data.
func TestIncrementalEqualsFull(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			st := storetest.New(t)
			b := scenario.New(t, st)
			rng := rand.New(rand.NewPCG(seed, 99))
			hour := func(lo, hi float64) time.Time { return at(lo + rng.Float64()*(hi-lo)) }
			repos := []int64{b.Repo("acme/web"), b.Repo("acme/api"), b.Repo("acme/ops")}
			type wf struct{ repo, gh int64 }
			var workflows []wf
			for _, r := range repos {
				workflows = append(workflows, wf{r, b.Workflow(r, "Deploy", "deploy.yml")}, wf{r, b.Workflow(r, "CI", "ci.yml")},
					wf{r, b.Workflow(r, "Ship", "ship.yml")})
			}
			authors := []string{"alice", "bob", "carol", "dependabot[bot]"}
			shas := func() string { return fmt.Sprintf("s%d", rng.IntN(40)) }
			keys := []string{"ENG", "OPS"}
			type prSpec struct {
				repo int64
				p    scenario.PR
			}
			var prs []prSpec
			newPR := func(n int) prSpec {
				repo := repos[rng.IntN(len(repos))]
				created := hour(0, 400)
				p := scenario.PR{Number: n, Author: authors[rng.IntN(len(authors))], Created: created,
					Head:  fmt.Sprintf("%s-%d-work", strings.ToLower(keys[rng.IntN(2)]), rng.IntN(20)),
					Title: []string{"Fix", `Revert "x"`, "ENG-3 thing", "UTF-8"}[rng.IntN(4)],
					Base:  []string{"main", "main", "main", "dev"}[rng.IntN(4)]}
				if rng.IntN(5) > 0 {
					p.Merged = scenario.Ptr(created.Add(h(rng.Float64() * 100)))
					p.MergeSHA = shas()
				}
				for range rng.IntN(3) {
					p.Commits = append(p.Commits, created.Add(-h(rng.Float64()*50)))
				}
				for range rng.IntN(3) {
					p.Reviews = append(p.Reviews, scenario.Review{Author: authors[rng.IntN(len(authors))],
						State: []string{"APPROVED", "COMMENTED", "PENDING"}[rng.IntN(3)], Submitted: scenario.Ptr(created.Add(h(rng.Float64() * 30)))})
				}
				return prSpec{repo, p}
			}
			var runIDs []int64
			var runWF []wf
			newRun := func() {
				w := workflows[rng.IntN(len(workflows))]
				created := hour(0, 500)
				r := scenario.Run{SHA: shas(), Created: created, Updated: created.Add(h(rng.Float64())),
					Conclusion: []string{"success", "success", "failure", "cancelled"}[rng.IntN(4)]}
				runIDs = append(runIDs, b.WorkflowRun(w.repo, w.gh, r))
				runWF = append(runWF, w)
			}
			teams := map[string]string{}
			issueN := 0
			newIssue := func() {
				key := keys[rng.IntN(2)]
				if teams[key] == "" {
					teams[key] = b.Team(key)
				}
				issueN++
				is := model.LinearIssue{TeamLinearID: teams[key], Identifier: fmt.Sprintf("%s-%d", key, rng.IntN(20)),
					CreatedAt: hour(-100, 300), StateType: []string{"started", "completed", "canceled"}[rng.IntN(3)]}
				is.Number = issueN
				is.LinearID = fmt.Sprintf("li-%d", issueN)
				if rng.IntN(3) == 0 {
					is.Labels = []string{"incident"}
				}
				if rng.IntN(3) == 0 && len(prs) > 0 {
					p := prs[rng.IntN(len(prs))]
					name := map[int64]string{repos[0]: "acme/web", repos[1]: "acme/api", repos[2]: "acme/ops"}[p.repo]
					is.Attachments = []model.LinearAttachment{{URL: fmt.Sprintf("https://github.com/%s/pull/%d", name, p.p.Number)}}
				}
				b.LinearIssue(is)
			}
			for round := range 6 {
				for range 15 {
					n := len(prs) + 1
					if len(prs) > 0 && rng.IntN(3) == 0 {
						// Change an existing PR.
						i := rng.IntN(len(prs))
						ns := newPR(prs[i].p.Number)
						ns.repo = prs[i].repo
						prs[i] = ns
						b.PullRequest(ns.repo, ns.p)
						continue
					}
					s := newPR(n)
					prs = append(prs, s)
					b.PullRequest(s.repo, s.p)
				}
				for range 6 {
					if len(runIDs) > 0 && rng.IntN(3) == 0 {
						// A re-run changes an existing run's outcome.
						i := rng.IntN(len(runIDs))
						created := hour(0, 500)
						b.WorkflowRun(runWF[i].repo, runWF[i].gh, scenario.Run{GitHubID: runIDs[i], SHA: shas(), Created: created,
							Updated: created.Add(time.Hour), Conclusion: []string{"success", "failure"}[rng.IntN(2)]})
						continue
					}
					newRun()
				}
				for range 3 {
					b.Deployment(repos[rng.IntN(3)], fmt.Sprintf("api-%d", rng.IntN(8)), hour(0, 500), shas())
				}
				for range 3 {
					var repo int64
					if rng.IntN(2) == 0 {
						repo = repos[rng.IntN(3)]
					}
					opened := hour(0, 600)
					b.Incident(repo, fmt.Sprintf("inc-%d", rng.IntN(10)), opened, scenario.Ptr(opened.Add(time.Hour)))
				}
				for range 2 {
					labels := [][]string{{"incident"}, {"bug"}, {"Incident", "p1"}}[rng.IntN(3)]
					b.Issue(repos[rng.IntN(3)], rng.IntN(6)+1, labels, hour(0, 500), nil)
				}
				for range 4 {
					newIssue()
				}
				if round == 3 {
					// Settings change mid-way: reclassify, relabel.
					o := b.Opts
					o.DeploymentPatterns = []string{"deploy", "ship"}
					o.IncidentWindow = 48 * time.Hour
					b.SetOptions(o)
				}
				b.Derive()
			}
			incremental := snapshot(t, st)
			b.DeriveFull()
			full := snapshot(t, st)
			for name := range full {
				if !reflect.DeepEqual(incremental[name], full[name]) {
					t.Errorf("%s differs between incremental and full derive:\nincremental %v\nfull        %v", name, incremental[name], full[name])
				}
			}
			if len(full["pr_facts"]) < 50 || len(full["links"]) == 0 || len(full["deployments"]) < 10 {
				t.Fatalf("dataset too small to mean anything: %d PRs, %d links, %d deployments",
					len(full["pr_facts"]), len(full["links"]), len(full["deployments"]))
			}
			var cells, leadCells int
			st.DB().QueryRow(`SELECT count(*), count(lead_times) FROM pr_rollup`).Scan(&cells, &leadCells)
			if cells == 0 || leadCells == 0 {
				t.Fatalf("the PR rollup has %d rows, %d with lead times: the comparison would be vacuous", cells, leadCells)
			}
			var linked, attributed int
			st.DB().QueryRow(`SELECT count(*) FROM pr_facts WHERE deployment_id IS NOT NULL`).Scan(&linked)
			st.DB().QueryRow(`SELECT count(*) FROM incidents WHERE deployment_id IS NOT NULL`).Scan(&attributed)
			if linked == 0 || attributed == 0 {
				t.Fatalf("no linked PRs (%d) or attributed incidents (%d): the comparison would be vacuous", linked, attributed)
			}
			t.Logf("compared %d PR facts (%d linked), %d deployments, %d incidents (%d attributed), %d links",
				len(full["pr_facts"]), linked, len(full["deployments"]), len(full["incidents"]), attributed, len(full["links"]))
		})
	}
}
