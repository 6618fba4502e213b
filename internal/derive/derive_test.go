package derive_test

import (
	"database/sql"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

func h(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
func at(n float64) time.Time    { return t0.Add(h(n)) }
func atp(n float64) *time.Time  { return scenario.Ptr(at(n)) }

type fact struct {
	deployment    sql.NullInt64
	deployedAt    sql.NullInt64
	undeployed    bool
	eligible      bool
	firstCommitAt int64
	firstReviewAt sql.NullInt64
	rework        bool
}

func factOf(t *testing.T, st *store.Store, pr int64) fact {
	t.Helper()
	var f fact
	err := st.DB().QueryRow(`SELECT deployment_id, deployed_at, undeployed, to_default_branch, first_commit_at, first_review_at, is_rework
		FROM pr_facts WHERE pr_id = $1`, pr).Scan(&f.deployment, &f.deployedAt, &f.undeployed, &f.eligible, &f.firstCommitAt,
		&f.firstReviewAt, &f.rework)
	if err != nil {
		t.Fatalf("pr_facts of %d: %v", pr, err)
	}
	return f
}

func deploymentByRun(t *testing.T, st *store.Store, runGitHubID int64) (int64, bool) {
	t.Helper()
	var id int64
	err := st.DB().QueryRow(`SELECT id FROM deployments WHERE source = 'github_actions' AND external_id = $1`,
		itoa(runGitHubID)).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return id, true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLinkingRules(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	api := b.Repo("acme/api")
	deploy := b.Workflow(web, "Deploy production", ".github/workflows/cd.yml")
	ci := b.Workflow(web, "CI", ".github/workflows/ci.yml")

	// Before any deployment: merged, no exact match → not linked, not undeployed.
	early := b.PullRequest(web, scenario.PR{Created: at(-10), Merged: atp(-5), MergeSHA: "early"})
	// Merged before the first deployment but deployed by exact sha later.
	earlyExact := b.PullRequest(web, scenario.PR{Created: at(-10), Merged: atp(-4), MergeSHA: "exact-early"})
	// First deployment run created at 0.
	run1 := b.WorkflowRun(web, deploy, scenario.Run{SHA: "d1", Created: at(0), Updated: at(0.5)})
	// Two PRs merged after it, batched into the next deployment (by time).
	batchA := b.PullRequest(web, scenario.PR{Created: at(1), Merged: atp(2), MergeSHA: "a"})
	batchB := b.PullRequest(web, scenario.PR{Created: at(1), Merged: atp(3), MergeSHA: "b"})
	// A failed and a cancelled deployment run, and a successful CI run: not deployments.
	failed := b.WorkflowRun(web, deploy, scenario.Run{SHA: "x", Created: at(3.5), Conclusion: "failure"})
	cancelled := b.WorkflowRun(web, deploy, scenario.Run{SHA: "y", Created: at(3.6), Conclusion: "cancelled"})
	ciRun := b.WorkflowRun(web, ci, scenario.Run{SHA: "z", Created: at(3.7)})
	run2 := b.WorkflowRun(web, deploy, scenario.Run{SHA: "d2", Created: at(4), Updated: at(4.25)})
	// Squash merge whose merge commit is deployed by a later run, though a
	// run was created right after its merge.
	squash := b.PullRequest(web, scenario.PR{Created: at(5), Merged: atp(6), MergeSHA: "squash"})
	run3 := b.WorkflowRun(web, deploy, scenario.Run{SHA: "other", Created: at(6.5)})
	run4 := b.WorkflowRun(web, deploy, scenario.Run{SHA: "squash", Created: at(8), Updated: at(8.5)})
	run5 := b.WorkflowRun(web, deploy, scenario.Run{SHA: "exact-early", Created: at(9), Updated: at(9.5)})
	// To a non-default branch: never eligible.
	toRelease := b.PullRequest(web, scenario.PR{Created: at(1), Merged: atp(2), MergeSHA: "d2", Base: "release-1"})
	// Merged after the last deployment: undeployed.
	late := b.PullRequest(web, scenario.PR{Created: at(10), Merged: atp(11), MergeSHA: "late"})
	// A deployment of another repo never links a web PR.
	b.Deployment(api, "api-1", at(12), "late")
	b.Derive()

	for name, run := range map[string]int64{"failed": failed, "cancelled": cancelled, "ci": ciRun} {
		if _, ok := deploymentByRun(t, st, run); ok {
			t.Errorf("the %s run became a deployment", name)
		}
	}
	d1, _ := deploymentByRun(t, st, run1)
	d2, _ := deploymentByRun(t, st, run2)
	d4, _ := deploymentByRun(t, st, run4)
	d5, _ := deploymentByRun(t, st, run5)
	if _, ok := deploymentByRun(t, st, run3); !ok || d1 == 0 || d2 == 0 || d4 == 0 || d5 == 0 {
		t.Fatal("successful deployment runs are missing from deployments")
	}
	tests := []struct {
		name       string
		pr         int64
		deployment int64
		undeployed bool
		eligible   bool
	}{
		{"merged before the first deployment", early, 0, false, true},
		{"before the first deployment but deployed by exact sha", earlyExact, d5, false, true},
		{"batched A", batchA, d2, false, true},
		{"batched B", batchB, d2, false, true},
		{"squash merge, exact sha wins over time", squash, d4, false, true},
		{"non-default base branch", toRelease, 0, false, false},
		{"merged after the last deployment", late, 0, true, true},
	}
	for _, tc := range tests {
		f := factOf(t, st, tc.pr)
		if f.deployment.Int64 != tc.deployment || f.undeployed != tc.undeployed || f.eligible != tc.eligible {
			t.Errorf("%s: deployment %d undeployed %v eligible %v; want %d %v %v", tc.name, f.deployment.Int64,
				f.undeployed, f.eligible, tc.deployment, tc.undeployed, tc.eligible)
		}
	}
	if f := factOf(t, st, batchA); f.deployedAt.Int64 != store.MS(at(4.25)) {
		t.Errorf("deployed_at is the run's updated_at, got %v", store.FromMS(f.deployedAt.Int64))
	}

	// A re-run of the failed run that succeeds becomes a deployment; the
	// later-created PRs stay put, but the batch now ships with it? No: run
	// creation time (3.5) is what links, so batch PRs move to it.
	b.WorkflowRun(web, deploy, scenario.Run{GitHubID: failed, SHA: "x", Created: at(3.5), Updated: at(5), Attempt: 2})
	b.Derive()
	dFailed, ok := deploymentByRun(t, st, failed)
	if !ok {
		t.Fatal("a re-run that succeeded is not a deployment")
	}
	if f := factOf(t, st, batchA); f.deployment.Int64 != dFailed {
		t.Errorf("batch A should now link to the re-run deployment created at 3.5, got %d", f.deployment.Int64)
	}
	// And a re-run that fails takes the deployment away again.
	b.WorkflowRun(web, deploy, scenario.Run{GitHubID: failed, SHA: "x", Created: at(3.5), Updated: at(6), Conclusion: "failure", Attempt: 3})
	b.Derive()
	if _, ok := deploymentByRun(t, st, failed); ok {
		t.Fatal("a failed re-run is still a deployment")
	}
	if f := factOf(t, st, batchA); f.deployment.Int64 != d2 {
		t.Errorf("batch A should link to run 2 again, got %d", f.deployment.Int64)
	}
}

func TestFirstCommitAndFirstReview(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	noCommits := b.PullRequest(web, scenario.PR{Created: at(0)})
	withCommits := b.PullRequest(web, scenario.PR{Author: "alice", Created: at(0), Commits: []time.Time{at(-3), at(-7), at(-1)},
		Reviews: []scenario.Review{
			{Author: "alice", State: model.ReviewCommented, Submitted: atp(0.5)},          // the author's own
			{Author: "dependabot[bot]", State: model.ReviewApproved, Submitted: atp(0.6)}, // a bot
			{Author: "bob", State: model.ReviewPending},                                   // pending, not submitted
			{Author: "carol", State: model.ReviewPending, Submitted: atp(0.7)},            // pending
			{Author: "dave", State: model.ReviewDismissed, Submitted: atp(2)},             // counts
			{Author: "erin", State: model.ReviewChangesRequested, Submitted: atp(3)},      // later
		}})
	onlyBots := b.PullRequest(web, scenario.PR{Author: "alice", Created: at(0),
		Reviews: []scenario.Review{{Author: "renovate[bot]", Submitted: atp(1)}, {Author: "Mergify[BOT]", Submitted: atp(1.5)},
			{Author: "ALICE", Submitted: atp(2)}}})
	b.Derive()
	if f := factOf(t, st, noCommits); f.firstCommitAt != store.MS(at(0)) {
		t.Errorf("without commits, first_commit_at is created_at; got %v", store.FromMS(f.firstCommitAt))
	}
	f := factOf(t, st, withCommits)
	if f.firstCommitAt != store.MS(at(-7)) {
		t.Errorf("first_commit_at is the earliest authored date; got %v", store.FromMS(f.firstCommitAt))
	}
	if f.firstReviewAt.Int64 != store.MS(at(2)) {
		t.Errorf("first review should be dave's dismissed review at +2h, got %v", f.firstReviewAt)
	}
	if f := factOf(t, st, onlyBots); f.firstReviewAt.Valid {
		t.Errorf("bot and self reviews (any case) must not count, got %v", f.firstReviewAt)
	}
}

func TestIncidentAttribution(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	api := b.Repo("acme/api")
	dWeb1 := b.Deployment(web, "w1", at(0), "s1")
	dWeb2 := b.Deployment(web, "w2", at(10), "s2")
	dAPI := b.Deployment(api, "a1", at(20), "s3")
	// GitHub issue in web 5h after w2: attributed to w2, not to the later api deployment.
	b.Issue(web, 1, []string{"Incident"}, at(15), atp(18))
	// GitHub issue in web after api's deployment: still w2 (same repo only).
	b.Issue(web, 2, []string{"incident", "bug"}, at(21), nil)
	// An unlabelled issue is not an incident.
	b.Issue(web, 3, []string{"bug"}, at(11), atp(12))
	// An API incident without a repo: the latest deployment of any repo.
	anyRepo := b.Incident(0, "page-1", at(25), atp(26))
	// Exactly at the deployment: attributed (at or before the opening).
	exact := b.Incident(web, "page-2", at(10), nil)
	// Outside the window (168h after w2, plus a second), named repo web.
	outside := b.Incident(web, "page-3", at(10+168).Add(time.Second), atp(200))
	// Exactly at the window's edge: attributed.
	edge := b.Incident(web, "page-4", at(10+168), atp(200))
	// A canceled Linear incident is not an incident; a completed one is.
	team := b.Team("ENG")
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-1", Number: 1, Labels: []string{"incident"},
		StateType: "canceled", CreatedAt: at(21), CanceledAt: atp(22)})
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-2", Number: 2, Labels: []string{"incident"},
		StateType: "completed", CreatedAt: at(22), CompletedAt: atp(23)})
	b.Derive()

	attributed := func(where string, args ...any) sql.NullInt64 {
		t.Helper()
		var dep sql.NullInt64
		if err := st.DB().QueryRow(`SELECT deployment_id FROM incidents WHERE `+where, args...).Scan(&dep); err != nil {
			t.Fatalf("incident %s: %v", where, err)
		}
		return dep
	}
	checks := []struct {
		name string
		got  sql.NullInt64
		want int64
	}{
		{"github issue 1", attributed(`source = 'github' AND title = 'Issue 1'`), dWeb2},
		{"github issue 2 ignores other repos", attributed(`source = 'github' AND title = 'Issue 2'`), dWeb2},
		{"api incident without repo", attributed(`id = $1`, anyRepo), dAPI},
		{"at the deployment instant", attributed(`id = $1`, exact), dWeb2},
		{"outside the window", attributed(`id = $1`, outside), 0},
		{"at the window's edge", attributed(`id = $1`, edge), dWeb2},
		{"linear incident, any repo", attributed(`source = 'linear'`), dAPI},
	}
	for _, c := range checks {
		if c.got.Int64 != c.want {
			t.Errorf("%s: attributed to %d, want %d", c.name, c.got.Int64, c.want)
		}
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM incidents WHERE source = 'github'`).Scan(&n)
	if n != 2 {
		t.Errorf("%d GitHub incidents, want 2 (the unlabelled issue is not one)", n)
	}
	st.DB().QueryRow(`SELECT count(*) FROM incidents WHERE source = 'linear'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d Linear incidents, want 1 (the canceled one is not)", n)
	}
	failedOf := func(id int64) bool {
		var f bool
		st.DB().QueryRow(`SELECT failed FROM deployments WHERE id = $1`, id).Scan(&f)
		return f
	}
	if failedOf(dWeb1) || !failedOf(dWeb2) || !failedOf(dAPI) {
		t.Errorf("failed flags: w1 %v w2 %v api %v; want false true true", failedOf(dWeb1), failedOf(dWeb2), failedOf(dAPI))
	}
	// A new web deployment between w2 and issue 1 takes the attribution.
	dWeb3 := b.Deployment(web, "w3", at(14), "s4")
	b.Derive()
	if got := attributed(`source = 'github' AND title = 'Issue 1'`); got.Int64 != dWeb3 {
		t.Errorf("after a newer deployment, issue 1 is attributed to %d, want %d", got.Int64, dWeb3)
	}
	// Removing the labels removes the incidents, and w2 is no longer failed
	// once nothing is attributed to it.
	b.Issue(web, 1, []string{"bug"}, at(15), atp(18))
	b.Issue(web, 2, []string{"bug"}, at(21), nil)
	b.Incident(web, "page-2", at(9), nil) // re-recorded as opened before w2: attributed to w1
	b.Derive()
	st.DB().QueryRow(`SELECT count(*) FROM incidents WHERE source = 'github'`).Scan(&n)
	if n != 0 {
		t.Errorf("%d GitHub incidents left after unlabelling", n)
	}
	st.DB().QueryRow(`SELECT count(*) FROM incidents WHERE deployment_id = $1`, dWeb2).Scan(&n)
	if n != 0 || failedOf(dWeb2) {
		t.Errorf("w2: %d incidents attributed, failed %v; want 0, false", n, failedOf(dWeb2))
	}
	if got := attributed(`id = $1`, exact); got.Int64 != dWeb1 || !failedOf(dWeb1) {
		t.Errorf("page-2 attributed to %d (failed %v), want w1 %d and failed", got.Int64, failedOf(dWeb1), dWeb1)
	}
	// A full run removes an incident too (it looks up those it may remove
	// its own way): the Linear one, unlabelled; and not a new one.
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-2", Number: 2, Labels: []string{"bug"},
		StateType: "completed", CreatedAt: at(22), CompletedAt: atp(23)})
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-3", Number: 3, Labels: []string{"incident"},
		StateType: "completed", CreatedAt: at(24), CompletedAt: atp(25)})
	b.DeriveFull()
	if got := storetest.Strings(t, st, `SELECT title FROM incidents WHERE source = 'linear' ORDER BY title`); len(got) != 1 || !strings.HasPrefix(got[0], "ENG-3") {
		t.Errorf("Linear incidents after a full run: %v, want ENG-3's alone (ENG-2 lost its label)", got)
	}
}

func TestDeploymentPatternsReclassifyWithoutRefetch(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	ship := b.Workflow(web, "Ship it", ".github/workflows/ship.yml")
	run := b.WorkflowRun(web, ship, scenario.Run{SHA: "s", Created: at(0)})
	b.Derive()
	if _, ok := deploymentByRun(t, st, run); ok {
		t.Fatal("'Ship it' is not a deployment workflow under the default patterns")
	}
	b.SetOptions(derive.Options{DeploymentPatterns: []string{"ship"}, IncidentLabels: []string{"incident"}, IncidentWindow: 168 * time.Hour})
	b.Derive()
	if _, ok := deploymentByRun(t, st, run); !ok {
		t.Fatal("after DEPLOYMENT_PATTERNS=ship the run should be a deployment")
	}
	var isDep bool
	st.DB().QueryRow(`SELECT is_deployment FROM workflows WHERE github_id = $1`, ship).Scan(&isDep)
	if !isDep {
		t.Fatal("workflow not reclassified")
	}
	// Matching on the file name of the path.
	if !derive.IsDeploymentWorkflow("CD", ".github/workflows/Publish-Docs.yml", []string{"publish"}) {
		t.Error("the path's file name should match case-insensitively")
	}
	if derive.IsDeploymentWorkflow("CD", ".github/deploy/ci.yml", []string{"deploy"}) {
		t.Error("only the file name of the path counts, not its directories")
	}
}

func TestRework(t *testing.T) {
	for _, tc := range []struct {
		title, head string
		labels      []string
		want        bool
	}{
		{`Revert "Add login"`, "feature", nil, true},
		{`revert "Add login"`, "feature", nil, false},
		{"Fix", "revert-12-add-login", nil, true},
		{"Fix", "hotfix/payments", nil, true},
		{"Fix", "Hotfix-1", nil, true},
		{"Fix", "feature/hotfix", nil, false},
		{"Fix", "feature", []string{"HotFix"}, true},
		{"Fix", "feature", []string{"hotfix-later"}, false},
	} {
		if got := derive.IsRework(tc.title, tc.head, tc.labels); got != tc.want {
			t.Errorf("IsRework(%q, %q, %v) = %v, want %v", tc.title, tc.head, tc.labels, got, tc.want)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	keys := map[string]bool{"ENG": true, "OPS": true}
	for _, tc := range []struct {
		texts []string
		want  []string
	}{
		{[]string{"eng-12-login"}, []string{"ENG-12"}},
		{[]string{"feature/ENG-7", "Fix ops-3 and ENG-7"}, []string{"ENG-7", "OPS-3"}},
		{[]string{"Handle UTF-8 and ISO-8601"}, nil},
		{[]string{"ENG-123"}, []string{"ENG-123"}},
		{[]string{"xENG-12", "ENG-12x", "ENG_12"}, nil},
		{[]string{"(ENG-5)."}, []string{"ENG-5"}},
		{[]string{"éENG-9", "ENG-10é", "ENG-11٣", "ENG-007"}, nil}, // boundaries in any script; no leading zeros
		{[]string{"«ENG-9» — ENG-10…"}, []string{"ENG-9", "ENG-10"}},
	} {
		got := derive.Identifiers(keys, tc.texts...)
		if len(got) != len(tc.want) {
			t.Errorf("Identifiers(%q) = %v, want %v", tc.texts, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Identifiers(%q) = %v, want %v", tc.texts, got, tc.want)
			}
		}
	}
	for url, want := range map[string]string{
		"https://github.com/Acme/Web/pull/12":       "acme/web#12",
		"https://github.com/acme/web/pull/12/files": "acme/web#12",
		"https://ghe.example.com/acme/web/pull/3/":  "acme/web#3",
		"https://github.com/acme/web/issues/12":     "",
		"https://linear.app/acme/issue/ENG-1":       "",
	} {
		got, ok := derive.PRKeyFromURL(url)
		if got != want || ok != (want != "") {
			t.Errorf("PRKeyFromURL(%q) = %q, %v; want %q", url, got, ok, want)
		}
	}
}

func TestLinearLinksAndCycleEnd(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	api := b.Repo("acme/api")
	// PRs synced before Linear: the links appear when the team arrives.
	p1 := b.PullRequest(web, scenario.PR{Number: 1, Head: "eng-1-login", Created: at(0), Merged: atp(5)})
	p2 := b.PullRequest(api, scenario.PR{Number: 2, Title: "Finish login (ENG-1)", Created: at(0), Merged: atp(9)})
	p3 := b.PullRequest(web, scenario.PR{Number: 3, Body: "Supports UTF-8", Created: at(0), Merged: atp(1)})
	p4 := b.PullRequest(web, scenario.PR{Number: 4, Title: "No reference", Created: at(0), Merged: atp(7)})
	open := b.PullRequest(web, scenario.PR{Number: 5, Head: "eng-1-followup", Created: at(0)})
	b.Derive()
	team := b.Team("ENG")
	eng1 := b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-1", Number: 1, CreatedAt: at(-24)})
	eng2 := b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-2", Number: 2, CreatedAt: at(-24),
		Attachments: []model.LinearAttachment{{URL: "https://github.com/acme/web/pull/4", SourceType: "github"}}})
	b.LinearIssue(model.LinearIssue{TeamLinearID: b.Team("UTF"), Identifier: "UTF-9", Number: 9, CreatedAt: at(-24)})
	b.Derive()

	links := func(issue int64) map[int64]string {
		rows, err := st.DB().Query(`SELECT pr_id, via FROM linear_issue_prs WHERE issue_id = $1`, issue)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]string{}
		for rows.Next() {
			var pr int64
			var via string
			rows.Scan(&pr, &via)
			out[pr] = via
		}
		return out
	}
	l1 := links(eng1)
	if len(l1) != 3 || l1[p1] != "identifier" || l1[p2] != "identifier" || l1[open] != "identifier" {
		t.Errorf("ENG-1 links %v, want PRs %d, %d, %d by identifier", l1, p1, p2, open)
	}
	if l2 := links(eng2); len(l2) != 1 || l2[p4] != "attachment" {
		t.Errorf("ENG-2 links %v, want PR %d by attachment", l2, p4)
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM linear_issue_prs WHERE pr_id = $1`, p3).Scan(&n)
	if n != 0 {
		t.Errorf("'UTF-8' linked PR 3 to %d issues (UTF-9 exists, UTF-8 does not)", n)
	}
	cycleEnd := func(issue int64) sql.NullInt64 {
		var v sql.NullInt64
		st.DB().QueryRow(`SELECT cycle_end_at FROM linear_issue_cycles WHERE issue_id = $1`, issue).Scan(&v)
		return v
	}
	if got := cycleEnd(eng1); got.Int64 != store.MS(at(9)) {
		t.Errorf("ENG-1 cycle end %v, want the latest merge (+9h)", got)
	}
	// A later merge of the open PR moves the cycle end (incrementally).
	b.PullRequest(web, scenario.PR{Number: 5, Head: "eng-1-followup", Created: at(0), Merged: atp(12)})
	b.Derive()
	if got := cycleEnd(eng1); got.Int64 != store.MS(at(12)) {
		t.Errorf("after merging PR 5, ENG-1 cycle end %v, want +12h", got)
	}

	// A full run over derived data rewrites the mentions and links that
	// changed (PR 3 now names ENG-2, written as a bulk load does, without
	// its dirty flag) and keeps the rest.
	if _, err := st.DB().Exec(`UPDATE pull_requests SET title = 'Fix ENG-2', dirty = FALSE WHERE id = $1`, p3); err != nil {
		t.Fatal(err)
	}
	b.DeriveFull()
	if l2 := links(eng2); len(l2) != 2 || l2[p4] != "attachment" || l2[p3] != "identifier" {
		t.Errorf("after the full run, ENG-2 links %v, want PR %d by attachment and %d by identifier", l2, p4, p3)
	}
	if l1 := links(eng1); len(l1) != 3 {
		t.Errorf("after the full run, ENG-1 links %v, want its three", l1)
	}
	var mentions []string
	rows, err := st.DB().Query(`SELECT identifier FROM pr_mentions WHERE pr_id = $1`, p3)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m string
		rows.Scan(&m)
		mentions = append(mentions, m)
	}
	rows.Close()
	slices.Sort(mentions)
	if !slices.Equal(mentions, []string{"ENG-2", "UTF-8"}) { // its body names UTF-8
		t.Errorf("after the full run, PR 3 mentions %v, want [ENG-2 UTF-8]", mentions)
	}

	// An issue whose only link goes (its attachment now names a PR that
	// is not synced) has no cycle end any more.
	eng3 := b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-3", Number: 3, CreatedAt: at(-24),
		Attachments: []model.LinearAttachment{{URL: "https://github.com/acme/web/pull/4", SourceType: "github"}}})
	b.Derive()
	if got := cycleEnd(eng3); got.Int64 != store.MS(at(7)) {
		t.Errorf("ENG-3 cycle end %v, want PR 4's merge (+7h)", got)
	}
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-3", Number: 3, CreatedAt: at(-24),
		Attachments: []model.LinearAttachment{{URL: "https://github.com/acme/web/pull/99", SourceType: "github"}}})
	b.Derive()
	if got := cycleEnd(eng3); got.Valid {
		t.Errorf("ENG-3, linked to nothing, has cycle end %v; want none", got)
	}
}

// TestFullDue: while store.FullDeriveKey is set (bulk inserts set it, and
// leave their rows unflagged; a full run sets it until it completes), an
// incremental run is a full one, which derives rows whatever their flags,
// and clears it.
func TestFullDue(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	pr := b.PullRequest(web, scenario.PR{Author: "alice", Created: at(0), Commits: []time.Time{at(-2)}})
	b.Derive()
	due := func() bool {
		var n int
		if err := st.DB().QueryRow(`SELECT count(*) FROM app_state WHERE key = $1`, store.FullDeriveKey).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	if due() {
		t.Fatal("a full derive is due after a completed run")
	}
	// A fact lost (as if the PR had been bulk-loaded, unflagged), and a
	// full run due, as an interrupted one leaves it.
	if err := st.Tx(t.Context(), func(tx *store.Tx) error {
		if _, err := tx.Exec(t.Context(), `DELETE FROM pr_facts WHERE pr_id = $1`, pr); err != nil {
			return err
		}
		return tx.SetAppState(t.Context(), store.FullDeriveKey, "due")
	}); err != nil {
		t.Fatal(err)
	}
	if s := b.Derive(); s.PRs != 1 {
		t.Errorf("the incremental run derived %d PRs, want the one unflagged PR of a full run", s.PRs)
	}
	if f := factOf(t, st, pr); f.firstCommitAt != store.MS(at(-2)) {
		t.Errorf("first_commit_at %v after the due full run, want the commit's time", store.FromMS(f.firstCommitAt))
	}
	if due() {
		t.Error("the full run left a full derive due")
	}
	if s := b.Derive(); s.PRs != 0 {
		t.Errorf("the next run derived %d PRs, want none", s.PRs)
	}
}

// prFactIndexes returns the definitions of pr_facts' indexes.
func prFactIndexes(t *testing.T, st *store.Store) []string {
	t.Helper()
	q := `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pr_facts' AND sql IS NOT NULL ORDER BY name`
	if st.Dialect() == store.Postgres {
		q = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'pr_facts' ORDER BY indexname`
	}
	return storetest.Strings(t, st, q)
}

// TestFirstFullDeriveDefersPRFactIndexes checks that a full derive into an
// empty pr_facts fills it without its indexes and builds them again, the
// same, by its end; and that indexes an interrupted run left deferred come
// back with the next run, whatever its mode.
func TestFirstFullDeriveDefersPRFactIndexes(t *testing.T) {
	st := storetest.New(t)
	want := prFactIndexes(t, st)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	pr := b.PullRequest(web, scenario.PR{Author: "alice", Created: at(0), Commits: []time.Time{at(-2)}})
	var logs strings.Builder
	d := derive.New(st, derive.Options{}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if _, err := d.Run(t.Context(), derive.Full); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "pr_facts is empty") {
		t.Errorf("the first full derive did not defer pr_facts' indexes; its log:\n%s", logs.String())
	}
	if got := prFactIndexes(t, st); !slices.Equal(got, want) {
		t.Fatalf("after the first full derive, pr_facts' indexes are\n%v\nwant\n%v", got, want)
	}
	if f := factOf(t, st, pr); f.firstCommitAt != store.MS(at(-2)) {
		t.Errorf("first_commit_at %v, want the commit's time", store.FromMS(f.firstCommitAt))
	}

	// A run that stopped after deferring them (its facts gone with it).
	if err := st.Tx(t.Context(), func(tx *store.Tx) error {
		if _, err := tx.Exec(t.Context(), `DELETE FROM pr_facts`); err != nil {
			return err
		}
		deferred, err := tx.DeferIndexes(t.Context(), "pr_facts")
		if err == nil && !deferred {
			t.Error("the indexes of an empty pr_facts were not deferred")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := prFactIndexes(t, st); slices.Equal(got, want) {
		t.Fatal("the indexes are still there after DeferIndexes")
	}
	b.Derive()
	if got := prFactIndexes(t, st); !slices.Equal(got, want) {
		t.Fatalf("after the next incremental derive, pr_facts' indexes are\n%v\nwant\n%v", got, want)
	}
}

// TestFullDeriveConvertsRunsBothWays checks a full derive's conversion of
// workflow runs, which reads only the runs that are or were deployments: a
// run of a workflow that now matches becomes a deployment, a run whose
// workflow no longer matches loses its deployment, and every run's dirty
// flag is cleared, those it did not read included.
func TestFullDeriveConvertsRunsBothWays(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	deploy := b.Workflow(web, "Deploy", ".github/workflows/deploy.yml")
	ship := b.Workflow(web, "Ship it", ".github/workflows/ship.yml")
	ci := b.Workflow(web, "CI", ".github/workflows/ci.yml")
	deployRun := b.WorkflowRun(web, deploy, scenario.Run{SHA: "d", Created: at(0)})
	shipRun := b.WorkflowRun(web, ship, scenario.Run{SHA: "s", Created: at(1)})
	var ciRuns []int64
	for i := range 5 {
		ciRuns = append(ciRuns, b.WorkflowRun(web, ci, scenario.Run{SHA: "c" + strconv.Itoa(i), Created: at(float64(2 + i))}))
	}
	dirty := func() int {
		var n int
		if err := st.DB().QueryRow(`SELECT count(*) FROM workflow_runs WHERE dirty`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if dirty() != 7 {
		t.Fatalf("%d dirty runs before the derive, want 7", dirty())
	}
	b.DeriveFull()
	if _, ok := deploymentByRun(t, st, deployRun); !ok {
		t.Error("the Deploy run is not a deployment")
	}
	if _, ok := deploymentByRun(t, st, shipRun); ok {
		t.Error("the Ship it run is a deployment under the default patterns")
	}
	for _, r := range ciRuns {
		if _, ok := deploymentByRun(t, st, r); ok {
			t.Errorf("CI run %d is a deployment", r)
		}
	}
	if n := dirty(); n != 0 {
		t.Errorf("%d runs still dirty after a full derive", n)
	}
	b.SetOptions(derive.Options{DeploymentPatterns: []string{"ship"}, IncidentLabels: []string{"incident"}, IncidentWindow: 168 * time.Hour})
	b.DeriveFull()
	if _, ok := deploymentByRun(t, st, deployRun); ok {
		t.Error("with DEPLOYMENT_PATTERNS=ship the Deploy run is still a deployment")
	}
	if _, ok := deploymentByRun(t, st, shipRun); !ok {
		t.Error("with DEPLOYMENT_PATTERNS=ship the Ship it run is not a deployment")
	}
	if n := dirty(); n != 0 {
		t.Errorf("%d runs still dirty after the second full derive", n)
	}
}

// TestFullRunSetsDeploymentFlags: a full run recomputes every deployment's
// failed and rework flags, whatever they held before.
func TestFullRunSetsDeploymentFlags(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.Deployment(web, "d0", at(0), "sha0") // a PR merged before the first deployment links to none
	b.PullRequest(web, scenario.PR{Number: 1, Head: "revert-7-login", Created: at(0), Merged: atp(1)})
	b.Deployment(web, "d1", at(2), "sha1")
	b.PullRequest(web, scenario.PR{Number: 2, Head: "feature", Created: at(3), Merged: atp(4)})
	b.Deployment(web, "d2", at(5), "sha2")
	b.Incident(web, "i1", at(6), atp(7))
	b.Derive()
	flags := func() string {
		return strings.Join(storetest.Strings(t, st, `SELECT external_id || ':' || CASE WHEN failed THEN 'failed' ELSE 'ok' END || ':' ||
			CASE WHEN is_rework THEN 'rework' ELSE 'new' END FROM deployments ORDER BY external_id`), " ")
	}
	want := flags()
	if want != "d0:ok:new d1:ok:rework d2:failed:new" {
		t.Fatalf("flags after the first run %q: the scenario does not set each flag once", want)
	}
	if _, err := st.DB().Exec(`UPDATE deployments SET failed = NOT failed, is_rework = NOT is_rework`); err != nil {
		t.Fatal(err)
	}
	b.DeriveFull()
	if got := flags(); got != want {
		t.Errorf("flags after a full run %q, want %q", got, want)
	}
}
