package github

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

// TestDeploymentsSync: GitHub deployments and every status are stored;
// the next sync reads only what is new, re-reads the statuses of a
// deployment not yet settled, and costs 304s when nothing changed.
func TestDeploymentsSync(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	done := e.fake.AddDeployment(repo, &githubfake.Deployment{SHA: "AAA111", Ref: "main", Environment: "production", CreatedAt: at(-600),
		Statuses: []*githubfake.DeploymentStatus{{State: "in_progress", CreatedAt: at(-594)}, {State: "success", CreatedAt: at(-570)},
			{State: "inactive", CreatedAt: at(-120)}}})
	pending := e.fake.AddDeployment(repo, &githubfake.Deployment{SHA: "bbb222", Ref: "main", Environment: "staging", CreatedAt: at(-60),
		Statuses: []*githubfake.DeploymentStatus{{State: "queued", CreatedAt: at(-54)}}})
	e.mustSync(e.actions, syncer.Recent)
	rows := func() string {
		return strings.Join(e.rows(`SELECT d.github_id || ' ' || d.environment || ' ' || d.sha || ' ' || d.ref || ' ' ||
			COALESCE(d.creator_login, '') || ' ' || CASE WHEN d.final THEN 'final' ELSE 'open' END || ' ' ||
			(SELECT count(*) FROM github_deployment_statuses s WHERE s.deployment_id = d.id)
			FROM github_deployments d ORDER BY d.github_id`), "; ")
	}
	want := fmt.Sprintf("%d production aaa111 main octocat final 3; %d staging bbb222 main octocat open 1", done.ID, pending.ID)
	if got := rows(); got != want {
		t.Fatalf("stored %q, want %q", got, want)
	}

	// The staging deployment succeeds; nothing else changes.
	e.fake.AddDeploymentStatus(pending, &githubfake.DeploymentStatus{State: "success", CreatedAt: at(30)})
	e.clock.t = at(60)
	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	want = fmt.Sprintf("%d production aaa111 main octocat final 3; %d staging bbb222 main octocat final 2", done.ID, pending.ID)
	if got := rows(); got != want {
		t.Errorf("after a new status: %q, want %q", got, want)
	}
	var deploymentRequests []string
	for _, r := range e.fake.Requests() {
		if strings.Contains(r.Path, "/deployments") {
			deploymentRequests = append(deploymentRequests, fmt.Sprintf("%d %s", r.Status, r.Path))
		}
	}
	// The list changed (pending's updated_at); the settled deployment's
	// statuses are not read again.
	for _, r := range deploymentRequests {
		if strings.Contains(r, fmt.Sprintf("/deployments/%d/", done.ID)) {
			t.Errorf("re-read a settled deployment: %v", deploymentRequests)
		}
	}
	t.Logf("second sync: %v", deploymentRequests)

	// Nothing changed: one 304 for the list.
	e.clock.t = at(120)
	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	for _, r := range e.fake.Requests() {
		if strings.Contains(r.Path, "/deployments") && r.Status != 304 {
			t.Errorf("with nothing changed, %s answered %d", r.Path, r.Status)
		}
	}
}

// rows returns the first column of a query's rows, as text.
func (e *env) rows(query string) []string {
	e.t.Helper()
	rs, err := e.store.DB().Query(query)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
