package demo

import (
	"container/heap"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// prKind is what a pull request is about; it sets its title, size and pace.
type prKind int

const (
	kindFeature prKind = iota
	kindFix
	kindChore
	kindPerf
	kindDocs
	kindDeps
	kindRevert
	kindHotfix
)

// humanKinds are the everyday kinds, with how often each occurs.
var humanKinds = []float64{kindFeature: 0.38, kindFix: 0.3, kindChore: 0.18, kindPerf: 0.07, kindDocs: 0.07}

// prTiming is how long a kind of PR takes to write, and its typical size.
var prTiming = map[prKind]struct {
	coding    time.Duration // median time from first commit to opening
	additions float64       // median lines added
}{
	kindFeature: {9 * time.Hour, 140}, kindFix: {3 * time.Hour, 30}, kindChore: {5 * time.Hour, 90},
	kindPerf: {6 * time.Hour, 60}, kindDocs: {time.Hour, 25}, kindDeps: {time.Minute, 6},
	kindRevert: {3 * time.Minute, 40}, kindHotfix: {25 * time.Minute, 12},
}

// pullRequest generates one PR opened on day in rs, with its commits,
// reviews, comments and CI runs, and the Linear issue it references.
func (g *generator) pullRequest(rs *repoState, day time.Time) error {
	r := g.r
	created := g.workTime(day)
	var (
		kind     prKind
		author   string
		group    *issueGroup
		hold     bool // group waits for a second PR
		reverted recentPR
		what     string // the incident a hotfix fixes
	)
	switch {
	case len(rs.hotfixes) > 0:
		h := rs.hotfixes[0]
		rs.hotfixes = rs.hotfixes[1:]
		kind, what = kindHotfix, h.what
		created = latest(created, h.opened.Add(r.between(15*time.Minute, 90*time.Minute)))
	case r.chance(0.07):
		kind, author = kindDeps, dependabot
		if r.chance(0.4) {
			author = renovate
		}
	case r.chance(0.012) && g.revertable(rs, created, &reverted):
		kind = kindRevert
	case rs.carry != nil && r.chance(0.5):
		group, rs.carry = rs.carry, nil
		kind, author = group.kind, group.assignee.login
	default:
		kind = prKind(r.weighted(humanKinds))
	}
	if author == "" {
		author = people[pick(r, rs.spec.team)].login
	}

	number := rs.take()
	pr := model.PullRequest{
		RepoID: rs.id, Number: number, NodeID: "PR_kwDO" + strconv.FormatInt(rs.id*10_000_000+int64(number), 36),
		State: model.PRStateOpen, AuthorLogin: author, BaseBranch: "main", CreatedAt: created,
		HTMLURL: rs.url + "/pull/" + strconv.Itoa(number),
	}
	slug := ""
	switch kind {
	case kindDeps:
		g.dependencyBump(rs, &pr)
	case kindRevert:
		pr.Title = `Revert "` + reverted.title + `"`
		pr.HeadBranch = "revert-" + strconv.Itoa(reverted.number) + "-" + reverted.branch
		pr.Body = fmt.Sprintf("Reverts %s#%d", rs.fullName, reverted.number)
	case kindHotfix:
		pr.Title = "Hotfix: " + what
		slug = slugify(what)
		pr.HeadBranch = "hotfix/" + slug
		pr.Body = "Stops the bleeding; a proper fix follows."
		pr.Labels = []string{"hotfix"}
		if r.chance(0.3) {
			pr.Labels = nil // the branch name alone marks it
		}
	default:
		pr.Title = g.title(rs, kind)
		if group == nil && r.chance(0.7) {
			group = g.newGroup(rs, pr.Title, kind, author)
			hold = r.chance(0.1)
		}
		slug = slugify(pr.Title)
		pr.HeadBranch = branchPrefix(kind, author) + slug
		pr.Labels = kindLabels(r, kind, rs.spec)
		if kind == kindFix && r.chance(0.02) {
			pr.Labels = append(pr.Labels, "hotfix")
		}
	}
	if group != nil {
		g.reference(group, &pr, slug)
	}
	if r.chance(0.04) && kind != kindHotfix && kind != kindRevert {
		pr.BaseBranch = pick(r, []string{"develop", "release/2026.1", "release/next"})
	}

	firstCommit := g.commits(rs, &pr, kind)
	g.timeline(rs, &pr, kind)
	g.comments(rs, &pr)
	g.size(rs, &pr, kind)

	if pr.MergedAt != nil {
		pr.MergeCommitSHA = r.sha() // a squash merge: a new commit on the base branch
		if pr.BaseBranch == "main" {
			heap.Push(&rs.merges, merge{*pr.MergedAt, pr.MergeCommitSHA})
			rs.remember(recentPR{pr.Number, pr.Title, pr.HeadBranch, *pr.MergedAt})
		}
	}
	if err := g.prRuns(rs, &pr); err != nil {
		return err
	}
	if group != nil {
		group.addPR(&pr, firstCommit)
		if hold {
			rs.carry = group
		} else if err := g.closeGroup(group); err != nil {
			return err
		}
	}
	return g.addPR(pr)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// revertable finds a PR merged before at that a new PR could revert.
func (g *generator) revertable(rs *repoState, at time.Time, out *recentPR) bool {
	for i := len(rs.recent) - 1; i >= 0; i-- {
		if p := rs.recent[i]; p.mergedAt.Before(at) && !strings.HasPrefix(p.title, "Revert ") {
			*out = p
			return true
		}
	}
	return false
}

// remember keeps the repo's last few merged PRs, for reverts.
func (rs *repoState) remember(p recentPR) {
	if len(rs.recent) == 16 {
		copy(rs.recent, rs.recent[1:])
		rs.recent = rs.recent[:15]
	}
	rs.recent = append(rs.recent, p)
}

// title returns an everyday PR title; a few contain a false friend of a
// Linear identifier, such as "UTF-8".
func (g *generator) title(rs *repoState, kind prKind) string {
	noun := pick(g.r, rs.spec.nouns)
	if kind != kindDocs && g.r.chance(0.015) {
		return fmt.Sprintf(pick(g.r, falseFriends), noun)
	}
	verbs := featureVerbs
	switch kind {
	case kindFix:
		verbs = fixVerbs
	case kindChore:
		verbs = choreVerbs
	case kindPerf:
		verbs = perfVerbs
	case kindDocs:
		verbs = docsVerbs
	}
	return pick(g.r, verbs) + " " + noun + pick(g.r, extraWords)
}

// dependencyBump fills in a bot's dependency update.
func (g *generator) dependencyBump(rs *repoState, pr *model.PullRequest) {
	r := g.r
	pkg := pick(r, rs.spec.packages)
	major, minor, patch := 1+r.IntN(19), r.IntN(30), 1+r.IntN(14)
	from := fmt.Sprintf("%d.%d.%d", major, minor, patch-1)
	to := fmt.Sprintf("%d.%d.%d", major, minor, patch)
	if pr.AuthorLogin == dependabot {
		pr.Title = "Bump " + pkg + " from " + from + " to " + to
		pr.HeadBranch = "dependabot/" + rs.spec.ecosystem + "/" + pkg + "-" + to
		pr.Body = "Bumps " + pkg + " from " + from + " to " + to + "."
	} else {
		pr.Title = "Update dependency " + pkg + " to v" + to
		pr.HeadBranch = "renovate/" + strings.ReplaceAll(pkg, "/", "-") + "-" + strconv.Itoa(major) + ".x"
		pr.Body = "This PR contains the following updates: " + pkg + " → " + to
	}
	pr.Labels = []string{"dependencies"}
}

func branchPrefix(kind prKind, author string) string {
	switch kind {
	case kindFix:
		return "fix/"
	case kindChore:
		return "chore/"
	case kindDocs:
		return "docs/"
	}
	return author + "/"
}

func kindLabels(r *rng, kind prKind, spec *repoSpec) []string {
	var labels []string
	switch {
	case kind == kindFeature && r.chance(0.5):
		labels = append(labels, "feature")
	case kind == kindFix && r.chance(0.7):
		labels = append(labels, "bug")
	case kind == kindChore && r.chance(0.4):
		labels = append(labels, "chore")
	case kind == kindPerf:
		labels = append(labels, "performance")
	case kind == kindDocs:
		labels = append(labels, "documentation")
	}
	if r.chance(0.15) {
		labels = append(labels, spec.name)
	}
	return labels
}

// slugify turns a title into a branch-name fragment.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// commits adds the PR's commits, all authored before it opened, and returns
// the first one's time.
func (g *generator) commits(rs *repoState, pr *model.PullRequest, kind prKind) time.Time {
	r := g.r
	coding := r.logNormal(prTiming[kind].coding, 1.1, 21*24*time.Hour)
	first := pr.CreatedAt.Add(-coding)
	n := 1
	switch kind {
	case kindDeps, kindRevert:
		if r.chance(0.2) {
			n = 2
		}
	case kindHotfix:
		n += r.geometric(0.3, 3)
	default:
		n += r.geometric(0.6, 40)
	}
	name := pr.AuthorLogin
	if p, ok := personByLogin(pr.AuthorLogin); ok {
		name = p.name
	}
	pr.Commits = make([]model.Commit, n)
	span := coding - time.Minute
	for i := range pr.Commits {
		at := first
		if i > 0 {
			at = first.Add(time.Duration(float64(span) * float64(i) / float64(n)))
		}
		headline := pick(r, commitVerbs)
		if i == 0 {
			headline = pr.Title
		}
		pr.Commits[i] = model.Commit{
			SHA: r.sha(), MessageHeadline: headline, AuthorLogin: pr.AuthorLogin, AuthorName: name,
			AuthoredAt: at, CommittedAt: at.Add(r.between(0, 30*time.Second)),
		}
	}
	pr.HeadSHA = pr.Commits[n-1].SHA
	pr.CommitCount = n
	return first
}

func personByLogin(login string) (person, bool) {
	for _, p := range people {
		if p.login == login {
			return p, true
		}
	}
	return person{}, false
}

// size sets the diff size: a long tail, and PRs that shrink in the
// improving repo and grow in the worsening one.
func (g *generator) size(rs *repoState, pr *model.PullRequest, kind prKind) {
	r := g.r
	factor := 1.0
	switch rs.spec.trend {
	case improving:
		factor = lerp(1.4, 0.7, g.fraction(pr.CreatedAt))
	case worsening:
		factor = lerp(0.9, 1.5, g.fraction(pr.CreatedAt))
	}
	pr.Additions = r.sizeLike(prTiming[kind].additions*factor, 1.3, 40000)
	pr.Deletions = int(float64(pr.Additions) * (0.05 + 0.8*r.Float64()))
	if kind == kindRevert {
		pr.Additions, pr.Deletions = pr.Deletions, pr.Additions
	}
	pr.ChangedFiles = min(1+(pr.Additions+pr.Deletions)/60+r.IntN(3), 900)
}
