package derive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/metrics"
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
		"deployments": `SELECT id, source, external_id, repo_id, created_at, deployed_at, head_sha, failed, is_rework,
			environment, production FROM deployments ORDER BY source, external_id`,
		"deployment_source": `SELECT id, deployment_source FROM repositories ORDER BY id`,
		"incidents":         `SELECT source, external_id, repo_id, opened_at, resolved_at, deployment_id FROM incidents ORDER BY source, external_id`,
		"links":             `SELECT issue_id, pr_id, via FROM linear_issue_prs ORDER BY issue_id, pr_id`,
		"mentions":          `SELECT pr_id, identifier FROM pr_mentions ORDER BY pr_id, identifier`,
		"cycle_end":         `SELECT issue_id, cycle_end_at, created_at FROM linear_issue_cycles ORDER BY issue_id`,
		"first_deployment":  `SELECT id, first_deploy_created_at FROM repositories ORDER BY id`,
		"workflows":         `SELECT id, is_deployment FROM workflows ORDER BY id`,
		"pr_keys":           `SELECT id, pr_key FROM linear_attachments ORDER BY id`,
		"pr_rollup": `SELECT day, repo_id, author, login, opened, merged, undeployed, reviewed, reviews_given, merge_times, pr_sizes,
			review_times, lead_times, coding_times, pickup_times, review_phase_times, deploy_times FROM pr_rollup ORDER BY day, repo_id, author`,
		"pr_rollup_lags":        `SELECT day, lag, n FROM pr_rollup_lags ORDER BY day, lag`,
		"pr_rollup_author_lags": `SELECT day, author, lag, n FROM pr_rollup_author_lags ORDER BY day, author, lag`,
		"pr_rollup_repo_lags":   `SELECT day, repo_id, lag, n FROM pr_rollup_repo_lags ORDER BY day, repo_id, lag`,
		"issue_rollup": `SELECT repo_id, author, day, done, completed, cycle_times, cycle_ids, done_ids, done_merged_ids, canceled_ids
			FROM issue_rollup ORDER BY repo_id, author, day`,
		"dirty": `SELECT 'rollup', count(*) FROM pr_rollup_dirty UNION ALL SELECT 'issue_rollup', count(*) FROM issue_rollup_dirty UNION ALL SELECT 'pr', count(*) FROM pull_requests WHERE dirty UNION ALL SELECT 'dep', count(*) FROM deployments WHERE dirty
			UNION ALL SELECT 'inc', count(*) FROM incidents WHERE dirty UNION ALL SELECT 'run', count(*) FROM workflow_runs WHERE dirty
			UNION ALL SELECT 'li', count(*) FROM linear_issues WHERE dirty UNION ALL SELECT 'gi', count(*) FROM github_issues WHERE dirty
			UNION ALL SELECT 'gd', count(*) FROM github_deployments WHERE dirty`,
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
			if seed == 2 {
				// Many small batches: a full run reads them ahead.
				derive.SetBatchSize(t, 4)
			}
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
			// GitHub deployments: new ones, and new statuses of earlier ones.
			var ghDeps []int64
			var ghRepo []int64
			newGitHubDeployment := func() {
				states := []string{"success", "success", "success", "success", "failure", "error", "in_progress", "inactive", "queued"}
				var statuses []scenario.Status
				created := hour(0, 500)
				for i := range 1 + rng.IntN(2) {
					statuses = append(statuses, scenario.Status{State: states[rng.IntN(len(states))], At: created.Add(h(float64(i) + rng.Float64()))})
				}
				if len(ghDeps) > 0 && rng.IntN(3) == 0 {
					i := rng.IntN(len(ghDeps))
					// Same deployment: its statuses grow (its other fields are
					// those GitHub lists again).
					b.GitHubDeployment(ghRepo[i], ghDeps[i], "production", "s1", at(float64(i)), statuses...)
					return
				}
				repo := repos[1+rng.IntN(2)] // web keeps to workflow runs under auto
				env := []string{"production", "staging", "Prod", "live", "qa"}[rng.IntN(5)]
				id := b.GitHubDeployment(repo, 0, env, shas(), created, statuses...)
				ghDeps = append(ghDeps, id)
				ghRepo = append(ghRepo, repo)
			}
			// Teams defined by hand, edited every round; their metrics are
			// asked through one Service (with its result cache) throughout.
			svc := metrics.New(st, false)
			logins := []string{"alice", "bob", "carol", "Dave"}
			repoNames := []string{"acme/web", "acme/api", "acme/ops", "acme/unsynced"}
			editTeam := func(slug string) {
				var members, names []string
				for _, l := range logins {
					if rng.IntN(2) == 0 {
						members = append(members, l)
					}
				}
				for _, r := range repoNames {
					if rng.IntN(2) == 0 {
						names = append(names, r)
					}
				}
				b.DefineTeam(slug, members, names)
			}
			// parse reads a query's parameters as the API does.
			parse := func(params string) metrics.Query {
				v, _ := url.ParseQuery(params)
				q, err := metrics.ParseQuery(context.Background(), st, v, at(0))
				if err != nil {
					t.Fatal(err)
				}
				return q
			}
			teamAnswers := func(s *metrics.Service) string {
				var out strings.Builder
				for _, slug := range []string{"red", "blue"} {
					for _, extra := range []string{"", "&author=bob", "&repo=acme/api", "&environment=staging"} {
						q := parse("start_date=2026-02-25&end_date=2026-04-05&team=" + slug + extra)
						dora, err := s.DORA(context.Background(), q)
						if err != nil {
							t.Fatal(err)
						}
						dev, err := s.Development(context.Background(), q)
						if err != nil {
							t.Fatal(err)
						}
						df, err := s.DeploymentFrequency(context.Background(), q)
						if err != nil {
							t.Fatal(err)
						}
						j, _ := json.Marshal([]any{slug + extra, dora, dev, df})
						out.Write(j)
						out.WriteByte('\n')
					}
				}
				return out.String()
			}
			// Narrow ranges, asked through the same Service after every
			// round and compared with a fresh one's answers: the result
			// cache carries an answer read from the rollups alone to the
			// next data version when no day it read was rebuilt, which
			// must never leave a stale answer.
			rangeAnswers := func(s *metrics.Service) string {
				var out strings.Builder
				for day := -6; day <= 27; day += 3 {
					from := t0.AddDate(0, 0, day)
					for _, extra := range []string{"", "&author=bob", "&repo=acme/api", "&include_trend=true", "&team=red&include_trend=true"} {
						params := "start_date=" + from.Format(time.DateOnly) + "&end_date=" + from.AddDate(0, 0, 2).Format(time.DateOnly) +
							"&period=day" + extra
						q := parse(params)
						dev, err := s.Development(context.Background(), q)
						if err != nil {
							t.Fatal(err)
						}
						devs, err := s.Developers(context.Background(), q, "", "")
						if err != nil {
							t.Fatal(err)
						}
						lead, err := s.LeadTime(context.Background(), q)
						if err != nil {
							t.Fatal(err)
						}
						authors, err := s.Authors(context.Background(), q, 10)
						if err != nil {
							t.Fatal(err)
						}
						// DORA's deployment and incident metrics, carried
						// while their tables' change counters stay.
						dora, err := s.DORA(context.Background(), q)
						if err != nil {
							t.Fatal(err)
						}
						// The Teams page's table, whose rollup half is
						// carried as the answers above are: of teams that
						// stay the same from round to round (the table's
						// answer is the teams' too).
						var teamsTable []metrics.TeamMetrics
						if !strings.Contains(extra, "team=") {
							scopes := []*metrics.TeamScope{{Slug: "ab", Members: []string{"alice", "bob"}, RepoIDs: repos[:2]},
								{Slug: "cd", Members: []string{"carol", "dave"}, RepoIDs: repos[1:]}}
							if teamsTable, err = s.TeamsTable(context.Background(), q, scopes); err != nil {
								t.Fatal(err)
							}
						}
						j, _ := json.Marshal([]any{params, dev, devs, lead, authors, teamsTable, dora})
						out.Write(j)
						out.WriteByte('\n')
					}
				}
				return out.String()
			}
			editTeam("red")
			editTeam("blue")
			teams := map[string]string{}
			issueN := 0
			// newIssue adds an issue, or changes issue n (its state, completion,
			// identifier and links) when n > 0.
			newIssue := func(n int) {
				key := keys[rng.IntN(2)]
				if teams[key] == "" {
					teams[key] = b.Team(key)
				}
				if n == 0 {
					issueN++
					n = issueN
				}
				is := model.LinearIssue{TeamLinearID: teams[key], Identifier: fmt.Sprintf("%s-%d", key, rng.IntN(20)),
					CreatedAt: hour(-100, 300), StateType: []string{"started", "completed", "canceled"}[rng.IntN(3)]}
				is.Number = n
				is.LinearID = fmt.Sprintf("li-%d", n)
				if is.StateType == "completed" || (is.StateType == "canceled" && rng.IntN(2) == 0) {
					is.CompletedAt = scenario.Ptr(hour(0, 500))
				}
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
					if issueN > 0 && rng.IntN(3) == 0 {
						newIssue(rng.IntN(issueN) + 1)
					} else {
						newIssue(0)
					}
				}
				for range 4 {
					newGitHubDeployment()
				}
				b.EnvDeployment(repos[rng.IntN(3)], fmt.Sprintf("env-%d", rng.IntN(8)), []string{"staging", "qa", "Production"}[rng.IntN(3)],
					hour(0, 500), shas())
				editTeam([]string{"red", "blue"}[round%2])
				if round == 3 {
					// Settings change mid-way: reclassify, relabel.
					o := b.Opts
					o.DeploymentPatterns = []string{"deploy", "ship"}
					o.IncidentWindow = 48 * time.Hour
					b.SetOptions(o)
				}
				switch round {
				case 1:
					// Which environments are production changes.
					o := b.Opts
					o.ProductionEnvironments = []string{"production", "staging", "qa"}
					b.SetOptions(o)
				case 2:
					// DEPLOYMENT_SOURCE forces one source, then the other,
					// then back to auto.
					o := b.Opts
					o.DeploymentSource = "github"
					b.SetOptions(o)
				case 4:
					o := b.Opts
					o.DeploymentSource = "actions"
					o.ProductionEnvironments = nil // the default
					b.SetOptions(o)
				case 5:
					o := b.Opts
					o.DeploymentSource = "auto"
					b.SetOptions(o)
				}
				b.Derive()
				teamAnswers(svc) // fills the result cache, which the next round's edits must invalidate
				if got, want := rangeAnswers(svc), rangeAnswers(metrics.New(st, false)); got != want {
					t.Errorf("round %d: narrow ranges through the cache differ from a fresh service's:\n%s\n%s", round, got, want)
				}
			}
			if c := svc.CacheStats(); c.Carried == 0 {
				t.Fatalf("no answer was carried across a derive (%+v): the comparison of narrow ranges tells nothing of it", c)
			} else {
				t.Logf("%d answers carried across derives", c.Carried)
			}
			incremental := snapshot(t, st)
			cachedTeams := teamAnswers(svc)
			b.DeriveFull()
			full := snapshot(t, st)
			if fresh := teamAnswers(metrics.New(st, false)); fresh != cachedTeams {
				t.Errorf("team answers after the incremental derive (through the cache) differ from a full derive's:\n%s\n%s", cachedTeams, fresh)
			}
			for name := range full {
				if !reflect.DeepEqual(incremental[name], full[name]) {
					t.Errorf("%s differs between incremental and full derive:\nincremental %v\nfull        %v", name, incremental[name], full[name])
				}
			}
			if len(full["pr_facts"]) < 50 || len(full["links"]) == 0 || len(full["deployments"]) < 10 {
				t.Fatalf("dataset too small to mean anything: %d PRs, %d links, %d deployments",
					len(full["pr_facts"]), len(full["links"]), len(full["deployments"]))
			}
			var fromGitHub, notProduction int
			st.DB().QueryRow(`SELECT count(*) FROM deployments WHERE source = 'github_deployment'`).Scan(&fromGitHub)
			st.DB().QueryRow(`SELECT count(*) FROM deployments WHERE NOT production`).Scan(&notProduction)
			if fromGitHub == 0 || notProduction == 0 || !strings.Contains(cachedTeams, `"count":1`) {
				t.Fatalf("%d GitHub deployments, %d outside production, team answers %q: the comparison would be vacuous",
					fromGitHub, notProduction, cachedTeams[:200])
			}
			var cells, leadCells int
			st.DB().QueryRow(`SELECT count(*), count(lead_times) FROM pr_rollup`).Scan(&cells, &leadCells)
			if cells == 0 || leadCells == 0 {
				t.Fatalf("the PR rollup has %d rows, %d with lead times: the comparison would be vacuous", cells, leadCells)
			}
			var issueCells, cycleCells, doneCells int
			st.DB().QueryRow(`SELECT count(*), count(cycle_ids), count(done_ids) FROM issue_rollup WHERE repo_id <> 0 AND author <> ''`).Scan(&issueCells, &cycleCells, &doneCells)
			if cycleCells == 0 || doneCells == 0 {
				t.Fatalf("the issue rollup has %d repo and author cells, %d with cycle times, %d with completed issues: the comparison would be vacuous",
					issueCells, cycleCells, doneCells)
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
