package demo

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// runIDBase offsets workflow run ids into the range GitHub uses today.
const runIDBase = 9_000_000_000

// run outcomes: what happened to a run, and how often for CI and deploys.
const (
	runSuccess = iota
	runRerunSuccess
	runFailure
	runCancelled
	runSkipped
)

var (
	ciOutcomes     = []float64{0.8, 0.06, 0.09, 0.05, 0}
	deployOutcomes = []float64{0.82, 0.05, 0.06, 0.04, 0.03}
)

// newRun returns a run of w created at created that takes took once
// started. A run still going at the end of the dataset is in progress.
func (g *generator) newRun(rs *repoState, w *workflowState, event, branch, sha string, created time.Time,
	took time.Duration, outcome int) model.WorkflowRun {
	r := g.r
	g.ids.run++
	w.runs++
	id := runIDBase + int64(g.ids.run)
	run := model.WorkflowRun{
		RepoID: rs.id, WorkflowGitHubID: w.githubID, GitHubID: id, Name: w.spec.name, RunNumber: w.runs,
		RunAttempt: 1, Event: event, Status: "completed", HeadSHA: sha, HeadBranch: branch,
		HTMLURL: rs.url + "/actions/runs/" + strconv.FormatInt(id, 10), CreatedAt: created,
	}
	started := created.Add(r.between(2*time.Second, 40*time.Second))
	switch outcome {
	case runSuccess:
		run.Conclusion = "success"
	case runRerunSuccess:
		// A re-run keeps the run's id and creation time; the row shows the
		// latest attempt.
		run.Conclusion, run.RunAttempt = "success", 2
		started = started.Add(took + r.between(5*time.Minute, 90*time.Minute))
	case runFailure:
		run.Conclusion = "failure"
		took = took * time.Duration(1+r.IntN(9)) / 10
	case runCancelled:
		run.Conclusion = "cancelled"
		took /= 3
	case runSkipped:
		run.Conclusion, took = "skipped", 0
		started = created
	}
	done := started.Add(took)
	switch {
	case !started.Before(g.end):
		run.Status, run.Conclusion, run.UpdatedAt = "queued", "", created
	case !done.Before(g.end):
		run.Status, run.Conclusion, run.UpdatedAt = "in_progress", "", started
		run.RunStartedAt = &started
	default:
		run.UpdatedAt = done
		run.RunStartedAt = &started
	}
	return run
}

// prRuns writes the checks that ran on the PR, and the CI run on main after
// some merges.
func (g *generator) prRuns(rs *repoState, pr *model.PullRequest) error {
	r := g.r
	for _, w := range rs.workflows {
		outcomes, took := ciOutcomes, r.between(3*time.Minute, 14*time.Minute)
		switch w.spec.file {
		case "ci.yml", "validate.yml":
		case "lint.yml":
			if !r.chance(0.5) {
				continue
			}
			took = r.between(40*time.Second, 3*time.Minute)
		case "codeql.yml":
			if !r.chance(0.35) {
				continue
			}
			if strings.HasPrefix(pr.HeadBranch, "docs/") {
				outcomes = []float64{0, 0, 0, 0, 1}
			}
		default:
			continue
		}
		at := pr.CreatedAt.Add(r.between(5*time.Second, 90*time.Second))
		if !at.Before(g.end) {
			continue
		}
		if err := g.addRun(g.newRun(rs, w, "pull_request", pr.HeadBranch, pr.HeadSHA, at, took, r.weighted(outcomes))); err != nil {
			return err
		}
	}
	if pr.MergedAt != nil && pr.BaseBranch == "main" && r.chance(0.25) {
		w := rs.workflows[0]
		at := pr.MergedAt.Add(r.between(3*time.Second, 30*time.Second))
		if at.Before(g.end) {
			return g.addRun(g.newRun(rs, w, "push", "main", pr.MergeCommitSHA, at, r.between(3*time.Minute, 14*time.Minute), runSuccess))
		}
	}
	return nil
}

// deployments writes the day's runs of the repo's deployment workflow. Each
// deploys the head of main: the merge commit of the last PR merged before
// it (so that PR links to it by SHA, and the others merged since the last
// deployment link by time), or now and then a commit pushed straight to
// main, which no PR has.
func (g *generator) deployments(rs *repoState, day time.Time) error {
	r := g.r
	spec := rs.spec
	f := g.fraction(day)
	lambda := lerp(spec.deploysFrom, spec.deploysTo, f) * g.scale
	switch day.Weekday() {
	case time.Saturday, time.Sunday:
		lambda *= 0.05
	case time.Friday:
		lambda *= 0.7
	}
	n := r.poisson(lambda)
	if n == 0 {
		return nil
	}
	times := make([]time.Time, n)
	for i := range times {
		times[i] = g.workTime(day)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	w := rs.deployWorkflow()
	for _, at := range times {
		rs.takeMerges(at)
		if rs.tip == "" || r.chance(0.06) {
			rs.tip = r.sha()
		}
		event, branch := "push", "main"
		switch {
		case spec.tagReleases:
			rs.release++
			branch = "v3." + strconv.Itoa(rs.release) + ".0"
		case spec.name == "infra" && r.chance(0.2):
			event = "schedule"
		case r.chance(0.12):
			event = "workflow_dispatch"
		}
		took := r.between(3*time.Minute, 14*time.Minute)
		if spec.tagReleases {
			took = r.between(15*time.Minute, 45*time.Minute)
		}
		run := g.newRun(rs, w, event, branch, rs.tip, at, took, r.weighted(deployOutcomes))
		if spec.name == githubDeploymentsRepo {
			g.githubDeployments(rs, run) // teams.go
		}
		if err := g.addRun(run); err != nil {
			return err
		}
		if run.Conclusion != "success" {
			continue
		}
		rs.lastDeploy = run.UpdatedAt
		// Geometric: the improving team's failure rate falls faster than
		// its deployments rise, so it sees fewer incidents, not just a
		// lower change failure rate.
		if r.chance(spec.incidentFrom * math.Pow(spec.incidentTo/spec.incidentFrom, f)) {
			if err := g.incident(rs, run.UpdatedAt, false); err != nil {
				return err
			}
		}
		if r.chance(0.015) {
			if err := g.linearIncident(rs, run.UpdatedAt); err != nil {
				return err
			}
		}
	}
	return nil
}

// recoveryMedian is how long the repo's incidents typically stay open.
func recoveryMedian(t trend, f float64) time.Duration {
	switch t {
	case improving:
		return hours(lerp(12, 1.5, f))
	case worsening:
		return hours(lerp(2, 18, f))
	}
	return 5 * time.Hour
}

func (g *generator) incidentTitle(rs *repoState) string {
	what := strings.Replace(pick(g.r, incidentWhat), "%s", pick(g.r, rs.spec.nouns), 1)
	return strings.ToUpper(what[:1]) + what[1:]
}

// incident writes a GitHub issue labelled incident, opened some hours after
// the deployment at deployedAt and closed hours or days later, unless
// ongoing; recent ones may still be open (about a third of the last six
// weeks' are). Half of them get a hotfix PR.
func (g *generator) incident(rs *repoState, deployedAt time.Time, ongoing bool) error {
	r := g.r
	opened := deployedAt.Add(r.logNormal(2*time.Hour, 0.9, 36*time.Hour))
	if ongoing {
		opened = deployedAt.Add(r.between(time.Minute, min(g.end.Sub(deployedAt), 36*time.Hour)))
	}
	if !opened.Before(g.end) {
		return nil
	}
	what := g.incidentTitle(rs)
	g.ids.issue++
	number := rs.take()
	is := model.Issue{
		RepoID: rs.id, GitHubID: 2_000_000_000 + int64(g.ids.issue), Number: number, Title: what, State: "open",
		Labels: []string{"incident", pick(r, severities)}, HTMLURL: rs.url + "/issues/" + strconv.Itoa(number),
		CreatedAt: opened, UpdatedAt: opened.Add(r.between(time.Minute, 30*time.Minute)),
	}
	closed := opened.Add(r.logNormal(recoveryMedian(rs.spec.trend, g.fraction(opened)), 1.1, 14*24*time.Hour))
	forgotten := g.end.Sub(opened) < 45*24*time.Hour && r.chance(0.35)
	if closed.Before(g.end) && !forgotten && !ongoing {
		is.State, is.ClosedAt, is.UpdatedAt = "closed", &closed, closed
	}
	if is.UpdatedAt.After(g.end) {
		is.UpdatedAt = opened
	}
	if opened.Add(2*time.Hour).Before(g.end) && len(rs.hotfixes) < 3 && r.chance(0.5) {
		rs.hotfixes = append(rs.hotfixes, pendingHotfix{opened, strings.ToLower(what[:1]) + what[1:]})
	}
	return g.addIssue(is)
}
