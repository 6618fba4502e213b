package demo

import (
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// pickupMedian is the repo's median wait for a first review at t.
func (g *generator) pickupMedian(rs *repoState, t time.Time) time.Duration {
	return hours(lerp(rs.spec.pickupFrom, rs.spec.pickupTo, g.fraction(t)))
}

// teammate returns a member of the repo's team other than login.
func (g *generator) teammate(rs *repoState, not ...string) string {
	for {
		p := people[pick(g.r, rs.spec.team)].login
		if !contains(not, p) {
			return p
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// review appends a submitted review.
func (g *generator) review(pr *model.PullRequest, login, state string, at time.Time) {
	g.ids.review++
	body := ""
	switch state {
	case model.ReviewApproved:
		body = pick(g.r, reviewBodies)
	case model.ReviewChangesRequested:
		body = pick(g.r, changeBodies)
	case model.ReviewCommented:
		body = pick(g.r, inlineBodies)
	}
	rv := model.Review{
		GitHubID:    "PRR_kwDO" + nodeSuffix(g.ids.review),
		AuthorLogin: login, State: state, Body: body,
		HTMLURL: pr.HTMLURL + "#pullrequestreview-" + strconv.FormatUint(1_500_000_000+g.ids.review, 10),
	}
	if state != model.ReviewPending {
		rv.SubmittedAt = &at
	}
	pr.Reviews = append(pr.Reviews, rv)
}

// timeline decides how the PR went: draft, reviews, merge or close, all
// cut off at the end of the dataset.
func (g *generator) timeline(rs *repoState, pr *model.PullRequest, kind prKind) {
	r := g.r
	human := !model.IsBot(pr.AuthorLogin)
	start := pr.CreatedAt
	if human && kind < kindDeps && r.chance(0.08) {
		pr.Draft = true
		ready := start.Add(r.logNormal(5*time.Hour, 1, 6*24*time.Hour))
		pr.ReadyAt, start = &ready, ready
	}
	if r.chance(0.2) {
		g.review(pr, githubActions, model.ReviewCommented, start.Add(r.between(3*time.Minute, 15*time.Minute)))
	}
	if human && r.chance(0.06) {
		g.review(pr, pr.AuthorLogin, model.ReviewCommented, start.Add(r.between(time.Minute, 2*time.Hour)))
	}

	// Outcome: merged, closed without merging, or left open.
	closeUnmerged, abandon := 0.06, 0.012
	switch kind {
	case kindDeps:
		closeUnmerged, abandon = 0.22, 0.02
	case kindRevert, kindHotfix:
		closeUnmerged, abandon = 0.02, 0
	}
	var pickup time.Duration
	switch kind {
	case kindHotfix, kindRevert:
		pickup = r.logNormal(20*time.Minute, 0.6, 4*time.Hour)
	case kindDeps:
		pickup = r.logNormal(g.pickupMedian(rs, start)*2/3, 1, 10*24*time.Hour)
	default:
		pickup = r.logNormal(g.pickupMedian(rs, start), 1, 10*24*time.Hour)
	}
	reviewer := g.teammate(rs, pr.AuthorLogin)
	first := start.Add(pickup)
	if kind != kindHotfix && kind != kindRevert {
		first = g.afterWeekend(first)
	}
	o := r.Float64()
	switch {
	case o < closeUnmerged:
		closed := start.Add(r.logNormal(3*24*time.Hour, 1, 40*24*time.Hour))
		if first.Before(closed) && r.chance(0.5) {
			g.review(pr, reviewer, pick(r, []string{model.ReviewChangesRequested, model.ReviewCommented}), first)
		}
		pr.ClosedAt = &closed
		pr.State = model.PRStateClosed
	case o < closeUnmerged+abandon:
		// Left open: often a draft that was never finished.
		if human && r.chance(0.5) {
			pr.Draft, pr.ReadyAt = true, nil
		} else if r.chance(0.5) {
			g.review(pr, reviewer, model.ReviewCommented, first)
		}
	default:
		state := model.ReviewApproved
		if human && kind < kindDeps {
			state = []string{model.ReviewApproved, model.ReviewChangesRequested, model.ReviewCommented}[r.weighted([]float64{0.62, 0.22, 0.16})]
		}
		g.review(pr, reviewer, state, first)
		approved := first
		if state != model.ReviewApproved {
			approved = g.afterWeekend(first.Add(r.logNormal(6*time.Hour, 1, 6*24*time.Hour)))
			g.review(pr, reviewer, model.ReviewApproved, approved)
		}
		if len(rs.spec.team) > 2 && r.chance(0.2) {
			at := approved.Add(r.between(5*time.Minute, 6*time.Hour))
			g.review(pr, g.teammate(rs, pr.AuthorLogin, reviewer), model.ReviewApproved, at)
			approved = at
		}
		if len(rs.spec.team) > 2 && r.chance(0.02) {
			g.review(pr, g.teammate(rs, pr.AuthorLogin, reviewer), model.ReviewPending, time.Time{})
		}
		merged := approved.Add(r.logNormal(45*time.Minute, 1.2, 4*24*time.Hour))
		pr.MergedAt, pr.ClosedAt = &merged, &merged
		pr.State = model.PRStateMerged
	}
	g.cutOff(pr)
}

// cutOff removes whatever would happen after the end of the dataset: those
// PRs are still open, their later reviews not yet written.
func (g *generator) cutOff(pr *model.PullRequest) {
	if pr.ReadyAt != nil && !pr.ReadyAt.Before(g.end) {
		pr.ReadyAt = nil
	} else if pr.ReadyAt != nil {
		pr.Draft = false
	}
	if pr.ClosedAt != nil && !pr.ClosedAt.Before(g.end) {
		pr.ClosedAt, pr.MergedAt = nil, nil
		pr.State = model.PRStateOpen
	}
	kept := pr.Reviews[:0]
	for _, rv := range pr.Reviews {
		if rv.SubmittedAt == nil || rv.SubmittedAt.Before(g.end) {
			kept = append(kept, rv)
		}
	}
	pr.Reviews = kept
	pr.UpdatedAt = pr.CreatedAt
	if pr.ReadyAt != nil {
		pr.UpdatedAt = latest(pr.UpdatedAt, *pr.ReadyAt)
	}
	if pr.ClosedAt != nil {
		pr.UpdatedAt = latest(pr.UpdatedAt, *pr.ClosedAt)
	}
	for _, rv := range pr.Reviews {
		if rv.SubmittedAt != nil {
			pr.UpdatedAt = latest(pr.UpdatedAt, *rv.SubmittedAt)
		}
	}
}

// comments adds conversation and inline comments during the PR's life.
func (g *generator) comments(rs *repoState, pr *model.PullRequest) {
	r := g.r
	if rs.spec.previewBot != "" && r.chance(0.9) {
		g.comment(pr, model.CommentIssue, rs.spec.previewBot, "Preview ready: "+pr.HTMLURL+"/checks",
			pr.CreatedAt.Add(r.between(2*time.Minute, 8*time.Minute)))
	}
	life := g.end.Sub(pr.CreatedAt)
	if pr.ClosedAt != nil {
		life = pr.ClosedAt.Sub(pr.CreatedAt)
	}
	life = min(life, 10*24*time.Hour)
	for range r.geometric(0.45, 8) {
		who := pr.AuthorLogin
		if r.chance(0.6) || model.IsBot(who) {
			who = g.teammate(rs, pr.AuthorLogin)
		}
		g.comment(pr, model.CommentIssue, who, pick(r, commentBodies), pr.CreatedAt.Add(r.between(0, life)))
	}
	for i := range pr.Reviews {
		rv := &pr.Reviews[i]
		if rv.SubmittedAt == nil || model.IsBot(rv.AuthorLogin) || rv.AuthorLogin == pr.AuthorLogin {
			continue
		}
		n := 0
		switch rv.State {
		case model.ReviewChangesRequested, model.ReviewCommented:
			n = 1 + r.geometric(0.5, 6)
		case model.ReviewApproved:
			if r.chance(0.3) {
				n = 1
			}
		}
		for range n {
			g.comment(pr, model.CommentReview, rv.AuthorLogin, pick(r, inlineBodies), rv.SubmittedAt.Add(-r.between(0, 10*time.Minute)))
		}
	}
	kept := pr.Comments[:0]
	for _, c := range pr.Comments {
		if c.CreatedAt.Before(g.end) {
			kept = append(kept, c)
			pr.UpdatedAt = latest(pr.UpdatedAt, c.CreatedAt)
		}
	}
	pr.Comments = kept
}

func (g *generator) comment(pr *model.PullRequest, kind, login, body string, at time.Time) {
	g.ids.comment++
	id, anchor := "IC_kwDO", "#issuecomment-"
	if kind == model.CommentReview {
		id, anchor = "PRRC_kwDO", "#discussion_r"
	}
	pr.Comments = append(pr.Comments, model.Comment{
		GitHubID: id + nodeSuffix(g.ids.comment), Kind: kind, AuthorLogin: login, Body: body,
		HTMLURL: pr.HTMLURL + anchor + strconv.FormatUint(1_800_000_000+g.ids.comment, 10), CreatedAt: at,
	})
}
