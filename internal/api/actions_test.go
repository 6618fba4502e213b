package api_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// seedDataWorkflows stores three workflows on top of seedDataGitHub's
// repositories: acme/web "Deploy production" (a deployment workflow; runs:
// two successes and a failure) and "CI" (one run in progress), and acme/api
// "Release" (no runs). It returns the id of the first successful deploy run.
func seedDataWorkflows(e *dataEnv, d dataGitHubSeed) (runID int64) {
	e.tx(func(tx *store.Tx) error {
		for _, wf := range []struct {
			repo int64
			w    model.Workflow
		}{
			{d.web, model.Workflow{GitHubID: 100, Name: "Deploy production", Path: ".github/workflows/deploy.yml", State: "active"}},
			{d.web, model.Workflow{GitHubID: 101, Name: "CI", Path: ".github/workflows/ci.yml", State: "active"}},
			{d.api, model.Workflow{GitHubID: 200, Name: "Release", Path: ".github/workflows/release.yml", State: "active"}},
		} {
			if _, err := tx.UpsertWorkflow(e.ctx, wf.repo, &wf.w); err != nil {
				return err
			}
		}
		for i, r := range []model.WorkflowRun{
			{GitHubID: 1000, WorkflowGitHubID: 100, Status: "completed", Conclusion: "success", CreatedAt: dataTime("2026-03-10T14:00:00Z"), UpdatedAt: dataTime("2026-03-10T15:00:00Z")},
			{GitHubID: 1001, WorkflowGitHubID: 100, Status: "completed", Conclusion: "failure", CreatedAt: dataTime("2026-03-11T14:00:00Z"), UpdatedAt: dataTime("2026-03-11T15:00:00Z")},
			{GitHubID: 1002, WorkflowGitHubID: 100, Status: "completed", Conclusion: "success", CreatedAt: dataTime("2026-03-12T14:00:00Z"), UpdatedAt: dataTime("2026-03-12T15:00:00Z")},
			{GitHubID: 1100, WorkflowGitHubID: 101, Status: "in_progress", CreatedAt: dataTime("2026-03-13T14:00:00Z"), UpdatedAt: dataTime("2026-03-13T14:00:00Z")},
		} {
			id, err := tx.UpsertWorkflowRun(e.ctx, d.web, &r)
			if err != nil {
				return err
			}
			if i == 0 {
				runID = id
			}
		}
		return nil
	})
	// Classifying by DEPLOYMENT_PATTERNS is the derive step's job.
	e.exec(`UPDATE workflows SET is_deployment = TRUE WHERE github_id IN (100, 200)`)
	return runID
}

func TestListWorkflows(t *testing.T) {
	e := newDataEnv(t)
	d := seedDataGitHub(e)
	seedDataWorkflows(e, d)

	var all dataList[store.WorkflowSummary]
	e.getJSON("/api/v1/actions/workflows", &all)
	type row struct {
		repo, name   string
		deploy       bool
		runs, ok     int
		lastRunAt    string
		repoIDWanted int64
	}
	want := []row{
		{"acme/api", "Release", true, 0, 0, "", d.api},
		{"acme/web", "CI", false, 1, 0, "2026-03-13T14:00:00Z", d.web},
		{"acme/web", "Deploy production", true, 3, 2, "2026-03-12T14:00:00Z", d.web},
	}
	if all.Total != 3 || len(all.Items) != 3 {
		t.Fatalf("workflows: %+v", all)
	}
	for i, w := range want {
		g := all.Items[i]
		last := ""
		if g.LastRunAt != nil {
			last = g.LastRunAt.Format(time.RFC3339)
		}
		got := row{g.Repo, g.Name, g.IsDeployment, g.RunCount, g.SuccessfulRunCount, last, g.RepoID}
		if got != w {
			t.Errorf("item %d: %+v, want %+v", i, got, w)
		}
	}

	names := func(path string) (int, []string) {
		var l dataList[store.WorkflowSummary]
		e.getJSON(path, &l)
		var out []string
		for _, w := range l.Items {
			out = append(out, w.Name)
		}
		return l.Total, out
	}
	web := strconv.FormatInt(d.web, 10)
	for _, tc := range []struct {
		path  string
		total int
		names []string
	}{
		{"/api/v1/actions/workflows?repo_id=" + web, 2, []string{"CI", "Deploy production"}},
		{"/api/v1/actions/workflows?repo=ACME/Web", 2, []string{"CI", "Deploy production"}},
		{"/api/v1/actions/workflows?repo=acme/web&repo_id=" + web, 2, []string{"CI", "Deploy production"}},
		{"/api/v1/actions/workflows?repo=zeta/empty", 0, nil},
		{"/api/v1/actions/workflows?limit=1&page=2", 3, []string{"CI"}},
		{"/api/v1/actions/workflows?limit=2&page=3", 3, nil},
	} {
		if total, got := names(tc.path); total != tc.total || !slices.Equal(got, tc.names) {
			t.Errorf("%s: %d %v, want %d %v", tc.path, total, got, tc.total, tc.names)
		}
	}
	e.wantError("GET", "/api/v1/actions/workflows?repo=acme/nope", "", 404, "repository not found")
	e.wantError("GET", "/api/v1/actions/workflows?repo_id=9999", "", 404, "repository not found")
	e.wantError("GET", "/api/v1/actions/workflows?repo=acme", "", 400, "repo:")
	e.wantError("GET", "/api/v1/actions/workflows?repo_id=web", "", 400, "repo_id:")
	e.wantError("GET", "/api/v1/actions/workflows?repo=acme/api&repo_id="+web, "", 400, "repo:")
	e.wantError("GET", "/api/v1/actions/workflows?limit=500", "", 400, "limit:")
}

func TestListDeployments(t *testing.T) {
	e := newDataEnv(t)
	d := seedDataGitHub(e)
	runID := seedDataWorkflows(e, d)
	ids := map[string]int64{}
	e.tx(func(tx *store.Tx) error {
		for name, dep := range map[string]*model.Deployment{
			"gha": {Source: model.SourceGitHubActions, ExternalID: "1000", RepoID: d.web, WorkflowRunID: &runID,
				HeadSHA: "feed21", HeadBranch: "main", URL: "https://github.com/acme/web/actions/runs/1000",
				CreatedAt: dataTime("2026-03-10T14:00:00Z"), DeployedAt: dataTime("2026-03-10T15:00:00Z")},
			// At midnight: the first instant of March 20.
			"api": {Source: model.SourceAPI, ExternalID: "rel-2", RepoID: d.web, Environment: "production",
				CreatedAt: dataTime("2026-03-19T23:00:00Z"), DeployedAt: dataTime("2026-03-20T00:00:00Z")},
			// The last millisecond of March 19.
			"other": {Source: model.SourceAPI, ExternalID: "api-1", RepoID: d.api,
				CreatedAt: dataTime("2026-03-19T23:00:00Z"), DeployedAt: dataTime("2026-03-19T23:59:59.999Z")},
		} {
			id, err := tx.UpsertDeployment(e.ctx, dep)
			if err != nil {
				return err
			}
			ids[name] = id
		}
		for _, in := range []*model.Incident{
			{Source: model.SourceAPI, ExternalID: "pd-1", Title: "Checkout down", OpenedAt: dataTime("2026-03-10T18:00:00Z"),
				ResolvedAt: dataPtr(dataTime("2026-03-10T19:00:00Z"))},
			{Source: model.SourceAPI, ExternalID: "pd-2", Title: "Unrelated", OpenedAt: dataTime("2026-01-01T00:00:00Z")},
		} {
			if _, err := tx.UpsertIncident(e.ctx, in); err != nil {
				return err
			}
		}
		return nil
	})
	// What the derive step would have linked and attributed.
	for _, pr := range []string{"web#24", "web#21"} {
		e.exec(`INSERT INTO pr_facts (pr_id, repo_id, created_at, merged_at, first_commit_at, deployment_id, deployed_at)
			SELECT id, repo_id, created_at, merged_at, created_at, $2, $3 FROM pull_requests WHERE id = $1`,
			d.prs[pr], ids["gha"], store.MS(dataTime("2026-03-10T15:00:00Z")))
	}
	e.exec(`INSERT INTO pr_facts (pr_id, repo_id, created_at, merged_at, first_commit_at, deployment_id, deployed_at)
		SELECT id, repo_id, created_at, merged_at, created_at, $2, $3 FROM pull_requests WHERE id = $1`,
		d.prs["api#2"], ids["other"], store.MS(dataTime("2026-03-19T23:59:59.999Z")))
	e.exec(`UPDATE incidents SET deployment_id = $1 WHERE external_id = 'pd-1'`, ids["gha"])
	e.exec(`UPDATE deployments SET failed = TRUE WHERE id = $1`, ids["gha"])

	var all dataList[store.DeploymentItem]
	e.getJSON("/api/v1/actions/deployments", &all)
	if all.Total != 3 || len(all.Items) != 3 || all.Items[0].ID != ids["api"] || all.Items[1].ID != ids["other"] ||
		all.Items[2].ID != ids["gha"] {
		t.Fatalf("deployments, newest first: %+v", all)
	}
	gha := all.Items[2]
	if gha.Source != model.SourceGitHubActions || gha.Repo != "acme/web" || gha.RepoID != d.web || gha.WorkflowRunID == nil ||
		*gha.WorkflowRunID != runID || gha.HeadSHA != "feed21" || !gha.Failed || !gha.DeployedAt.Equal(dataTime("2026-03-10T15:00:00Z")) ||
		!gha.CreatedAt.Equal(dataTime("2026-03-10T14:00:00Z")) {
		t.Errorf("GitHub Actions deployment: %+v", gha.Deployment)
	}
	if len(gha.PRs) != 2 || gha.PRs[0].Number != 21 || gha.PRs[1].Number != 24 || gha.PRs[1].Title != "Web change 24" ||
		gha.PRs[1].Author != "alice" || gha.PRs[1].URL != "https://github.com/acme/web/pull/24" {
		t.Errorf("shipped PRs, in merge order: %+v", gha.PRs)
	}
	if len(gha.Incidents) != 1 || gha.Incidents[0].ExternalID != "pd-1" || gha.Incidents[0].Title != "Checkout down" {
		t.Errorf("attributed incidents: %+v", gha.Incidents)
	}
	if api := all.Items[0]; api.Environment != "production" || len(api.PRs) != 0 || len(api.Incidents) != 0 || api.PRs == nil {
		t.Errorf("API deployment: %+v", api)
	}
	if other := all.Items[1]; other.Repo != "acme/api" || len(other.PRs) != 1 || other.PRs[0].ID != d.prs["api#2"] {
		t.Errorf("acme/api deployment: %+v", other)
	}

	web := strconv.FormatInt(d.web, 10)
	for _, tc := range []struct {
		query string
		total int
		want  []string
	}{
		{"?start_date=2026-03-20", 1, []string{"api"}},
		{"?end_date=2026-03-19", 2, []string{"other", "gha"}},
		{"?start_date=2026-03-11&end_date=2026-03-19", 1, []string{"other"}},
		{"?start_date=2026-03-10&end_date=2026-03-10", 1, []string{"gha"}},
		{"?repo=acme/api", 1, []string{"other"}},
		{"?repo_id=" + web, 2, []string{"api", "gha"}},
		{"?repo_id=" + web + "&end_date=2026-03-19", 1, []string{"gha"}},
		{"?repo=zeta/empty", 0, []string{}},
		{"?limit=2", 3, []string{"api", "other"}},
		{"?limit=2&page=2", 3, []string{"gha"}},
		{"?limit=2&page=5", 3, []string{}},
	} {
		var l dataList[store.DeploymentItem]
		e.getJSON("/api/v1/actions/deployments"+tc.query, &l)
		got := []string{}
		for _, it := range l.Items {
			for name, id := range ids {
				if id == it.ID {
					got = append(got, name)
				}
			}
		}
		if l.Total != tc.total || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %d %v, want %d %v", tc.query, l.Total, got, tc.total, tc.want)
		}
	}
	for _, tc := range []struct{ query, param string }{
		{"?start_date=2026-03-20&end_date=2026-03-19", "start_date:"},
		{"?start_date=20260320", "start_date:"},
		{"?end_date=tomorrow", "end_date:"},
		{"?repo=not-a-repo", "repo:"},
		{"?page=-1", "page:"},
	} {
		e.wantError("GET", "/api/v1/actions/deployments"+tc.query, "", 400, tc.param)
	}
	e.wantError("GET", "/api/v1/actions/deployments?repo=acme/gone", "", 404, "repository not found")
}
