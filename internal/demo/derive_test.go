package demo

import (
	"context"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestDerivedFacts runs the derive step over a demo dataset, as the demo
// command does, and checks that every kind of fact the dashboard reads is
// there: deployments, PRs linked to them by merge SHA and by time,
// attributed incidents, rework, and Linear issues linked both ways.
func TestDerivedFacts(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	d := derive.New(st, derive.Options{
		DeploymentPatterns: []string{"deploy", "release", "publish"},
		IncidentLabels:     []string{"incident"},
		IncidentWindow:     168 * time.Hour,
	}, quiet)
	res, err := Load(ctx, st, Options{PRs: 800, Seed: 1, Now: pinned, Log: quiet, Derive: func(ctx context.Context) error {
		_, err := d.Run(ctx, derive.Full)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Derive <= 0 {
		t.Error("Load did not run the derive step")
	}
	for _, q := range []struct {
		what  string
		query string
	}{
		{"deployments", `SELECT count(*) FROM deployments`},
		{"PRs linked by merge SHA", `SELECT count(*) FROM pr_facts f JOIN pull_requests p ON p.id = f.pr_id
			JOIN deployments d ON d.id = f.deployment_id WHERE d.head_sha = p.merge_commit_sha`},
		{"PRs linked by time", `SELECT count(*) FROM pr_facts f JOIN pull_requests p ON p.id = f.pr_id
			JOIN deployments d ON d.id = f.deployment_id WHERE d.head_sha <> p.merge_commit_sha`},
		{"first reviews", `SELECT count(*) FROM pr_facts WHERE first_review_at IS NOT NULL`},
		{"GitHub incidents attributed to a deployment", `SELECT count(*) FROM incidents WHERE source = 'github' AND deployment_id IS NOT NULL`},
		{"Linear incidents", `SELECT count(*) FROM incidents WHERE source = 'linear'`},
		{"failed deployments", `SELECT count(*) FROM deployments WHERE failed`},
		{"rework deployments", `SELECT count(*) FROM deployments WHERE is_rework`},
		{"Linear issues linked by identifier", `SELECT count(*) FROM linear_issue_prs WHERE via = 'identifier'`},
		{"Linear issues linked by attachment", `SELECT count(*) FROM linear_issue_prs WHERE via = 'attachment'`},
		{"Linear cycle ends", `SELECT count(*) FROM linear_issue_cycles`},
	} {
		if n := count(t, st, q.query); n <= 0 {
			t.Errorf("no %s after deriving", q.what)
		}
	}
	if n, repos := count(t, st, `SELECT count(DISTINCT repo_id) FROM workflows WHERE is_deployment`),
		count(t, st, `SELECT count(*) FROM repositories`); n != repos {
		t.Errorf("%d of %d repositories have a workflow classified as a deployment", n, repos)
	}
	// Every successful run of a deployment workflow became a production
	// deployment: web's through the GitHub deployment its run created
	// (DEPLOYMENT_SOURCE auto), which also deployed to staging first.
	runs := count(t, st, `SELECT count(*) FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id
		WHERE w.is_deployment AND x.status = 'completed' AND x.conclusion = 'success'`)
	if deployments := count(t, st, `SELECT count(*) FROM deployments WHERE production`); deployments != runs {
		t.Errorf("%d production deployments from %d successful deployment runs", deployments, runs)
	}
	web := `(SELECT id FROM repositories WHERE full_name = 'acme/web')`
	if fromGitHub, all, staging := count(t, st, `SELECT count(*) FROM deployments WHERE source = 'github_deployment' AND production`),
		count(t, st, `SELECT count(*) FROM deployments WHERE production AND repo_id = `+web),
		count(t, st, `SELECT count(*) FROM deployments WHERE environment = 'staging' AND repo_id = `+web); fromGitHub == 0 || fromGitHub != all || staging < all {
		t.Errorf("acme/web: %d production deployments from GitHub deployments of %d, %d to staging; want all from GitHub, as many or more to staging",
			fromGitHub, all, staging)
	}
	// False friends such as UTF-8 link to nothing.
	if n := count(t, st, `SELECT count(*) FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id
		WHERE l.via = 'identifier' AND p.title LIKE '%UTF-8%' AND p.title NOT LIKE '%ENG-%'
		AND p.head_branch NOT LIKE '%eng-%' AND p.body = ''`); n != 0 {
		t.Errorf("%d PRs linked through a false friend", n)
	}
	// The demo is not a sync: the status page shows no sync history.
	if n := count(t, st, `SELECT count(*) FROM sync_runs`); n != 0 {
		t.Errorf("the demo recorded %d sync runs", n)
	}
}
