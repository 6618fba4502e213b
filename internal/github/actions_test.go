package github

import (
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

func runRow(e *env, githubID int64) string {
	e.t.Helper()
	for _, row := range e.dump()["workflow_runs"] {
		if strings.Contains(row, " | "+itoa(githubID)+" | ") {
			return row
		}
	}
	return ""
}

func TestActionsStoresRunsAndWorkflows(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	wf := e.fake.AddWorkflow(repo, &githubfake.Workflow{Name: "Deploy", Path: ".github/workflows/deploy.yml"})
	run := e.fake.AddRun(repo, &githubfake.Run{WorkflowID: wf.ID, Name: "Deploy", RunAttempt: 2, Event: "push",
		Status: "completed", Conclusion: "success", HeadSHA: "abc123", HeadBranch: "main",
		CreatedAt: at(-3), RunStartedAt: at(-3).Add(time.Minute), UpdatedAt: at(-2)})
	// A run of a workflow that has since been deleted: the list of
	// workflows no longer has it.
	orphan := e.fake.AddRun(repo, &githubfake.Run{WorkflowID: 999, Name: "Old release", Path: ".github/workflows/old-release.yml",
		Status: "completed", Conclusion: "failure", CreatedAt: at(-4)})

	rep := e.mustSync(e.actions, syncer.Recent)
	want := "acme/web | " + itoa(wf.ID) + " | " + itoa(run.ID) + " | Deploy | 1 | 2 | push | completed | success | abc123 | main | " +
		"https://github.com/acme/web/actions/runs/" + itoa(run.ID) + " | " + ms(at(-3)) + " | " + ms(at(-3).Add(time.Minute)) + " | " + ms(at(-2))
	if got := runRow(e, run.ID); got != want {
		t.Errorf("run:\n got %s\nwant %s", got, want)
	}
	if got := runRow(e, orphan.ID); !strings.Contains(got, "acme/web | 999 | ") {
		t.Errorf("orphan run = %q, want it stored under workflow 999", got)
	}
	wfs := strings.Join(e.dump()["workflows"], "\n")
	if !strings.Contains(wfs, "999 | Old release | .github/workflows/old-release.yml") ||
		!strings.Contains(wfs, itoa(wf.ID)+" | Deploy | .github/workflows/deploy.yml | active") {
		t.Errorf("workflows:\n%s\nwant Deploy and a placeholder for the deleted workflow 999", wfs)
	}
	// RepoChanges (when was it pushed to), the workflows, a page of runs
	// and the GitHub deployments.
	if rep.records["workflow_runs"] != 2 || rep.requests != 4 {
		t.Errorf("reported %v records, %d requests", rep.records, rep.requests)
	}
}

// A run that was still going at the last sync is refreshed until it
// completes, even when newer runs pushed it off the first page.
func TestActionsRefreshesUnfinishedRuns(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	wf := e.fake.AddWorkflow(repo, &githubfake.Workflow{Name: "Deploy", Path: ".github/workflows/deploy.yml"})
	add := func(created time.Time, status string) *githubfake.Run {
		r := &githubfake.Run{WorkflowID: wf.ID, Name: "Deploy", Status: status, CreatedAt: created}
		if status == "completed" {
			r.Conclusion = "success"
		}
		return e.fake.AddRun(repo, r)
	}
	for i := range 50 {
		add(at(-300+i), "completed")
	}
	slow := add(at(-200), "in_progress")
	e.mustSync(e.actions, syncer.Recent)

	// Two days later: 150 newer runs, and the slow run has finished.
	e.clock.t = at(48)
	for i := range 150 {
		add(at(-100+i), "completed")
	}
	e.fake.Edit(func() { slow.Status, slow.Conclusion, slow.UpdatedAt = "completed", "failure", at(40) })
	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	if got := runRow(e, slow.ID); !strings.Contains(got, "completed | failure") {
		t.Errorf("the finished run is stored as %q", got)
	}
	if n := e.count("workflow_runs"); n != 201 {
		t.Errorf("stored %d runs, want 201", n)
	}
	t.Logf("second sync: %d requests, statuses %v", e.fake.RequestCount(), statuses(e.fake.Requests()))

	// Now nothing is unfinished: the next sync with no news is three 304s
	// (workflows, runs, deployments).
	e.clock.t = at(96)
	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	if s := restStatuses(e.fake.Requests()); len(s) != 3 || s[0] != 304 || s[1] != 304 || s[2] != 304 {
		t.Errorf("a sync with no news answered %v, want [304 304 304]", s)
	}
}

// A re-run keeps its creation time; a run re-run within a day is seen.
func TestActionsSeesRecentReRuns(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	wf := e.fake.AddWorkflow(repo, &githubfake.Workflow{Name: "Deploy", Path: ".github/workflows/deploy.yml"})
	run := e.fake.AddRun(repo, &githubfake.Run{WorkflowID: wf.ID, Name: "Deploy", Status: "completed", Conclusion: "failure", CreatedAt: at(-5)})
	e.fake.AddRun(repo, &githubfake.Run{WorkflowID: wf.ID, Name: "Deploy", Status: "completed", Conclusion: "success", CreatedAt: at(-1)})
	e.mustSync(e.actions, syncer.Recent)
	e.fake.Edit(func() { run.RunAttempt, run.Conclusion, run.UpdatedAt = 2, "success", at(1) })
	e.clock.t = at(2)
	e.mustSync(e.actions, syncer.Recent)
	if got := runRow(e, run.ID); !strings.Contains(got, " | 2 | ") || !strings.Contains(got, "completed | success") {
		t.Errorf("re-run stored as %q", got)
	}
}

func TestActionsPicksUpNewRuns(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	e.fake.Generate(repo, githubfake.Bulk{Runs: 40, Seed: 5})
	e.mustSync(e.actions, syncer.Recent)
	e.clock.t = e.clock.t.Add(time.Hour)
	run := e.fake.AddRun(repo, &githubfake.Run{WorkflowID: repo.Workflows[1].ID, Name: "Deploy production",
		Status: "queued", CreatedAt: e.clock.t.Add(-time.Minute)})
	e.fake.ResetRequests()
	rep := e.mustSync(e.actions, syncer.Recent)
	if got := runRow(e, run.ID); !strings.Contains(got, "| queued |") {
		t.Errorf("new run stored as %q", got)
	}
	if s := restStatuses(e.fake.Requests()); len(s) != 3 || s[0] != 304 || s[1] != 200 || s[2] != 304 {
		t.Errorf("statuses %v, want workflows 304, one page of runs, deployments 304", s)
	}
	t.Logf("stored %d runs of the page (the new one and those of the last day)", rep.records["workflow_runs"])
}
