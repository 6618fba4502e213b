package metrics

import (
	"context"
	"fmt"
	"testing"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// The METRICS.md Environments rules, one scenario each. The range is the
// week of 2026-03-01..07.
const envRange = "start_date=2026-03-01&end_date=2026-03-07&period=day"

func deployTotal(t *testing.T, s *Service, st *store.Store, params string) int {
	t.Helper()
	df, err := s.DeploymentFrequency(context.Background(), query(t, st, params))
	if err != nil {
		t.Fatal(err)
	}
	return df.Total
}

func leadTimeOf(t *testing.T, s *Service, st *store.Store, params string) *LeadTime {
	t.Helper()
	lt, err := s.LeadTime(context.Background(), query(t, st, params))
	if err != nil {
		t.Fatal(err)
	}
	return lt
}

// TestGitHubDeploymentStatuses: the latest status other than inactive
// decides; success is a deployment at that status's time.
func TestGitHubDeploymentStatuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []scenario.Status
		want     int
		at       string // the deployment's day, when it is one
	}{
		{"success", []scenario.Status{{State: "in_progress", At: ts(2, 10)}, {State: "success", At: ts(2, 11)}}, 1, "2026-03-02"},
		{"success then inactive", []scenario.Status{{State: "success", At: ts(2, 11)}, {State: "inactive", At: ts(5, 9)}}, 1, "2026-03-02"},
		{"failure after an earlier success", []scenario.Status{{State: "success", At: ts(2, 11)}, {State: "failure", At: ts(3, 9)}}, 0, ""},
		{"error", []scenario.Status{{State: "error", At: ts(2, 11)}}, 0, ""},
		{"queued", []scenario.Status{{State: "queued", At: ts(2, 11)}}, 0, ""},
		{"pending", []scenario.Status{{State: "pending", At: ts(2, 11)}}, 0, ""},
		{"in progress", []scenario.Status{{State: "in_progress", At: ts(2, 11)}}, 0, ""},
		{"no status", nil, 0, ""},
		{"only inactive", []scenario.Status{{State: "inactive", At: ts(2, 11)}}, 0, ""},
		{"success after a failure", []scenario.Status{{State: "failure", At: ts(2, 9)}, {State: "success", At: ts(2, 11)}}, 1, "2026-03-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.New(t)
			b := scenario.New(t, st)
			web := b.Repo("acme/web")
			b.GitHubDeployment(web, 0, "production", "abc", ts(2, 9), tc.statuses...)
			b.Derive()
			s := New(st, false)
			df, err := s.DeploymentFrequency(context.Background(), query(t, st, envRange))
			if err != nil {
				t.Fatal(err)
			}
			if df.Total != tc.want {
				t.Fatalf("deployments = %d, want %d", df.Total, tc.want)
			}
			if tc.at != "" && df.Data[1].Count != 1 {
				t.Errorf("deployed on %v, want %s (the success status's day)", df.Data, tc.at)
			}
			// The list holds deployments only.
			items, total, err := st.DeploymentList(context.Background(), store.DeploymentFilter{}, store.Page{Limit: 10, Page: 1})
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.want {
				t.Errorf("the deployments list has %d, want %d", total, tc.want)
			}
			if tc.want == 1 && (!items[0].DeployedAt.Equal(ts(2, 11)) || !items[0].CreatedAt.Equal(ts(2, 9)) ||
				items[0].Environment != "production" || items[0].HeadSHA != "abc") {
				t.Errorf("listed %+v, want deployed at the success, created at the deployment's created_at", items[0].Deployment)
			}
		})
	}
}

// TestDeploymentSource: auto takes a repository's deployments from GitHub
// deployments once it has one, in any environment, else from deployment
// workflow runs; actions and github force one source; API deployments
// always count.
func TestDeploymentSource(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	api := b.Repo("acme/api")
	for _, repo := range []int64{web, api} {
		wf := b.Workflow(repo, "Deploy", ".github/workflows/deploy.yml")
		b.WorkflowRun(repo, wf, scenario.Run{SHA: "r1", Created: ts(2, 10)})
		b.WorkflowRun(repo, wf, scenario.Run{SHA: "r2", Created: ts(3, 10)})
	}
	b.EnvDeployment(web, "ext-1", "", ts(4, 10), "x1") // the API: always counts
	b.Derive()
	s := New(st, false)
	webQ := fmt.Sprintf("%s&repo_id=%d", envRange, web)
	apiQ := fmt.Sprintf("%s&repo_id=%d", envRange, api)
	if n := deployTotal(t, s, st, webQ); n != 3 {
		t.Fatalf("workflow runs and the API deployment: %d, want 3", n)
	}
	// The repository switches: its first GitHub deployment is to staging,
	// and still its runs stop counting.
	b.GitHubDeployment(web, 0, "staging", "g1", ts(5, 9), scenario.Status{State: "success", At: ts(5, 10)})
	b.Derive()
	if n := deployTotal(t, s, st, webQ); n != 1 {
		t.Errorf("after a first GitHub deployment (staging): %d production deployments, want 1 (the API one)", n)
	}
	if n := deployTotal(t, s, st, webQ+"&environment=staging"); n != 1 {
		t.Errorf("environment=staging: %d, want 1", n)
	}
	b.GitHubDeployment(web, 0, "Production", "g2", ts(6, 9), scenario.Status{State: "success", At: ts(6, 10)})
	b.Derive()
	if n := deployTotal(t, s, st, webQ); n != 2 {
		t.Errorf("GitHub production deployment (environment compared case-insensitively) and API: %d, want 2", n)
	}
	if n := deployTotal(t, s, st, apiQ); n != 2 {
		t.Errorf("a repository without GitHub deployments keeps its runs: %d, want 2", n)
	}
	for _, tc := range []struct {
		source   string
		web, api int
	}{
		{"actions", 3, 2}, // runs + API
		{"github", 2, 0},  // GitHub production + API; api has none
		{"auto", 2, 2},
	} {
		o := b.Opts
		o.DeploymentSource = tc.source
		b.SetOptions(o)
		b.Derive()
		if n := deployTotal(t, s, st, webQ); n != tc.web {
			t.Errorf("DEPLOYMENT_SOURCE=%s: acme/web %d, want %d", tc.source, n, tc.web)
		}
		if n := deployTotal(t, s, st, apiQ); n != tc.api {
			t.Errorf("DEPLOYMENT_SOURCE=%s: acme/api %d, want %d", tc.source, n, tc.api)
		}
	}
}

// TestStagingDoesNotLink: a staging deployment of a PR's merge commit links
// nothing, is not the repository's first deployment, and takes no incident;
// the production deployment after it does all three.
func TestStagingDoesNotLink(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	// The repository's first production deployment, well before (and
	// further than INCIDENT_WINDOW from) the rest.
	b.GitHubDeployment(web, 0, "production", "first", ts(-10, 9), scenario.Status{State: "success", At: ts(-10, 10)})
	b.PullRequest(web, scenario.PR{Number: 1, Created: ts(1, 8), Merged: tp(2, 8), MergeSHA: "m1"})
	// Staging deploys the merge commit at once; production a day later,
	// a later commit (linked by time).
	b.GitHubDeployment(web, 0, "staging", "m1", ts(2, 9), scenario.Status{State: "success", At: ts(2, 10)})
	b.GitHubDeployment(web, 0, "production", "later", ts(3, 9), scenario.Status{State: "success", At: ts(3, 10)})
	// An incident an hour after staging: only production deployments take one.
	b.Incident(web, "inc", ts(2, 11), tp(2, 12))
	b.Derive()
	s := New(st, false)
	lt := leadTimeOf(t, s, st, envRange)
	// first commit = created (no commits) Mar 1 08:00 → production Mar 3 10:00 = 50h.
	if lt.Count != 1 || str(lt.MedianHours) != "50" || lt.UndeployedCount != 0 {
		t.Errorf("lead time: count %d, median %s, undeployed %d; want 1 PR linked to production, 50h", lt.Count, str(lt.MedianHours), lt.UndeployedCount)
	}
	cfr, err := s.ChangeFailureRate(context.Background(), query(t, st, envRange))
	if err != nil {
		t.Fatal(err)
	}
	if cfr.Deployments != 1 || cfr.FailedDeployments != 0 {
		t.Errorf("change failure rate: %d deployments, %d failed; want 1 and 0 (the incident followed staging, outside production's window)",
			cfr.Deployments, cfr.FailedDeployments)
	}
	items, _, err := st.DeploymentList(context.Background(), store.DeploymentFilter{Environment: "STAGING"}, store.Page{Limit: 10, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Environment != "staging" || len(items[0].PRs) != 0 || len(items[0].Incidents) != 0 {
		t.Errorf("staging list: %+v, want one staging deployment shipping no PR and taking no incident", items)
	}
}

// TestProductionEnvironments: PRODUCTION_ENVIRONMENTS decides what counts,
// case-insensitively; the API's environment defaults to production.
func TestProductionEnvironments(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.EnvDeployment(web, "a", "", ts(2, 10), "")
	b.EnvDeployment(web, "b", "PROD", ts(3, 10), "")
	b.EnvDeployment(web, "c", "live", ts(4, 10), "")
	b.EnvDeployment(web, "d", "staging", ts(5, 10), "")
	b.EnvDeployment(web, "e", "eu-prod", ts(6, 10), "")
	b.Derive()
	s := New(st, false)
	if n := deployTotal(t, s, st, envRange); n != 3 {
		t.Errorf("default production,prod,live: %d, want 3", n)
	}
	o := b.Opts
	o.ProductionEnvironments = []string{"eu-prod", "Staging"}
	b.SetOptions(o)
	b.Derive()
	if n := deployTotal(t, s, st, envRange); n != 2 {
		t.Errorf("PRODUCTION_ENVIRONMENTS=eu-prod,Staging: %d, want 2", n)
	}
	if n := deployTotal(t, s, st, envRange+"&environment=production"); n != 1 {
		t.Errorf("environment=production counts that environment whatever PRODUCTION_ENVIRONMENTS says: %d, want 1", n)
	}
}

// TestStagingIsNotTheFirstDeployment: "the repo's first recorded
// deployment" is its first production one, so a PR merged after a staging
// deployment but before the first production one is neither linked nor
// undeployed.
func TestStagingIsNotTheFirstDeployment(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.GitHubDeployment(web, 0, "staging", "s", ts(1, 9), scenario.Status{State: "success", At: ts(1, 10)})
	b.PullRequest(web, scenario.PR{Number: 1, Created: ts(1, 8), Merged: tp(2, 8), MergeSHA: "m1"})
	b.GitHubDeployment(web, 0, "production", "p", ts(3, 9), scenario.Status{State: "success", At: ts(3, 10)})
	b.PullRequest(web, scenario.PR{Number: 2, Created: ts(3, 8), Merged: tp(4, 8), MergeSHA: "m2"})
	b.Derive()
	lt := leadTimeOf(t, New(st, false), st, envRange)
	if lt.Count != 0 || lt.UndeployedCount != 1 {
		t.Errorf("lead time count %d, undeployed %d; want 0 and 1 (only PR 2, merged after the first production deployment, is undeployed)",
			lt.Count, lt.UndeployedCount)
	}
}
