package demo

import (
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// issueGroup is a Linear issue and the PRs that implement it (one, or two
// when the work was split); it is written once its PRs are known.
type issueGroup struct {
	team       *teamState
	number     int
	identifier string
	title      string
	kind       prKind
	assignee   person
	started    time.Time // the first commit of its first PR
	lastMerge  time.Time
	lastClosed time.Time
	merged     int
	open       int
	inReview   bool
	prs        int
	attach     []model.LinearAttachment
}

// newGroup opens a Linear issue in the repo's team for a PR about to be
// written by login.
func (g *generator) newGroup(rs *repoState, title string, kind prKind, login string) *issueGroup {
	t := g.teams[rs.spec.linearTeam]
	n := t.next
	t.next++
	p, _ := personByLogin(login)
	return &issueGroup{team: t, number: n, identifier: t.spec.key + "-" + strconv.Itoa(n), title: title, kind: kind, assignee: p}
}

// linearBranch is the branch name Linear suggests for the issue.
func (grp *issueGroup) linearBranch() string {
	return grp.assignee.login + "/" + strings.ToLower(grp.identifier) + "-" + slugify(grp.title)
}

// reference makes the PR point at its Linear issue the ways people do: the
// branch Linear suggests, the identifier in the title or body, or only the
// GitHub integration's attachment on the issue.
func (g *generator) reference(grp *issueGroup, pr *model.PullRequest, slug string) {
	r := g.r
	attach := true
	switch r.weighted([]float64{0.45, 0.2, 0.15, 0.2}) {
	case 0:
		pr.HeadBranch = grp.linearBranch()
		if grp.prs > 0 {
			pr.HeadBranch += "-part-2"
		}
		attach = r.chance(0.5)
	case 1:
		if r.chance(0.5) {
			pr.Title = grp.identifier + ": " + pr.Title
		} else {
			pr.Title = "[" + grp.identifier + "] " + pr.Title
		}
		attach = r.chance(0.5)
	case 2:
		ref := grp.identifier
		if r.chance(0.3) {
			ref = strings.ToLower(ref)
		}
		pr.Body = pick(r, []string{"Closes ", "Part of ", "Fixes "}) + ref
		attach = r.chance(0.5)
	}
	if attach {
		grp.attach = append(grp.attach, model.LinearAttachment{LinearID: g.uuid(), URL: pr.HTMLURL, SourceType: "github"})
	}
}

// addPR records a PR of the group once its outcome is known.
func (grp *issueGroup) addPR(pr *model.PullRequest, firstCommit time.Time) {
	if grp.prs == 0 || firstCommit.Before(grp.started) {
		grp.started = firstCommit
	}
	grp.prs++
	switch {
	case pr.MergedAt != nil:
		grp.merged++
		grp.lastMerge = latest(grp.lastMerge, *pr.MergedAt)
	case pr.ClosedAt != nil:
		grp.lastClosed = latest(grp.lastClosed, *pr.ClosedAt)
	default:
		grp.open++
		grp.inReview = grp.inReview || !pr.Draft
	}
}

// closeGroup writes the group's Linear issue, its state following its PRs:
// done when they merged (Linear closes the issue on merge), in progress or
// in review while one is open, canceled or back in the backlog when they
// were closed unmerged.
func (g *generator) closeGroup(grp *issueGroup) error {
	r := g.r
	started := grp.started.Add(-r.between(0, time.Hour))
	created := started.Add(-r.logNormal(2*24*time.Hour, 1.2, 90*24*time.Hour))
	is := g.linearIssue(grp.team, grp.number, grp.title, grp.assignee, created)
	is.BranchName = grp.linearBranch()
	is.Labels = []string{[]string{"Feature", "Bug", "Improvement", "Improvement", "Tech debt"}[min(int(grp.kind), 4)]}
	is.StartedAt = &started
	is.Attachments = grp.attach
	switch {
	case grp.open > 0:
		is.StateType, is.StateName = "started", "In Progress"
		if grp.inReview {
			is.StateName = "In Review"
		}
	case grp.merged > 0:
		done := grp.lastMerge.Add(r.between(5*time.Second, 3*time.Minute))
		if done.Before(g.end) {
			is.StateType, is.StateName, is.CompletedAt = "completed", "Done", &done
		} else {
			is.StateType, is.StateName = "started", "In Review"
		}
	case r.chance(0.6):
		canceled := grp.lastClosed.Add(r.between(time.Minute, 2*24*time.Hour))
		if canceled.Before(g.end) {
			is.StateType, is.StateName, is.CanceledAt = "canceled", "Canceled", &canceled
		} else {
			is.StateType, is.StateName = "started", "In Progress"
		}
	default:
		is.StateType, is.StateName = "backlog", "Backlog"
	}
	is.UpdatedAt = updatedAt(&is)
	return g.addLinear(is)
}

// linearIssue returns the common fields of a new issue of team t.
func (g *generator) linearIssue(t *teamState, number int, title string, assignee person, created time.Time) model.LinearIssue {
	r := g.r
	id := t.spec.key + "-" + strconv.Itoa(number)
	is := model.LinearIssue{
		LinearID: g.uuid(), TeamLinearID: t.linearID, TeamKey: t.spec.key, Identifier: id, Number: number,
		Title: title, URL: "https://linear.app/" + org + "/issue/" + id + "/" + slugify(title),
		Priority: r.weighted([]float64{0.15, 0.05, 0.25, 0.35, 0.2}), CreatedAt: created,
		AssigneeName: assignee.name, Labels: []string{},
	}
	if assignee.login != "" {
		is.AssigneeEmail = assignee.email()
	}
	if r.chance(0.7) {
		e := []float64{1, 2, 3, 5, 8}[r.IntN(5)]
		is.Estimate = &e
	}
	return is
}

func updatedAt(is *model.LinearIssue) time.Time {
	u := is.CreatedAt
	for _, t := range []*time.Time{is.StartedAt, is.CompletedAt, is.CanceledAt} {
		if t != nil {
			u = latest(u, *t)
		}
	}
	return u
}

// standaloneIssues writes the day's Linear issues that no PR implements:
// triage, backlog, planned work, issues closed without code, duplicates and
// cancellations.
func (g *generator) standaloneIssues(day time.Time) error {
	r := g.r
	perDay := float64(g.total) / days * weekdayWeight[day.Weekday()] * 0.3
	for _, t := range g.teams {
		share := 0.0
		for i := range repos {
			if &linearTeams[repos[i].linearTeam] == t.spec {
				share += repos[i].share
			}
		}
		for range r.poisson(perDay * share) {
			created := g.workTime(day)
			kind := prKind(r.weighted(humanKinds))
			rs := g.reposOfTeam(t)
			title := g.title(rs, kind)
			assignee := person{}
			if r.chance(0.8) {
				assignee = people[pick(r, t.spec.members)]
			}
			is := g.linearIssue(t, t.next, title, assignee, created)
			t.next++
			is.BranchName = assignee.login + "/" + strings.ToLower(is.Identifier) + "-" + slugify(title)
			if assignee.login == "" {
				is.BranchName = strings.ToLower(is.Identifier) + "-" + slugify(title)
			}
			is.Labels = []string{[]string{"Feature", "Bug", "Improvement", "Improvement", "Tech debt"}[int(kind)]}
			age := g.end.Sub(created)
			switch x := r.Float64(); {
			case x < 0.06:
				at := created.Add(r.logNormal(24*time.Hour, 1, 30*24*time.Hour))
				is.StateType, is.StateName = "duplicate", "Duplicate"
				if at.Before(g.end) {
					is.CanceledAt = &at
				}
			case x < 0.18:
				is.StateType, is.StateName = "canceled", "Canceled"
				at := created.Add(r.logNormal(10*24*time.Hour, 1, 120*24*time.Hour))
				if at.Before(g.end) {
					is.CanceledAt = &at
				} else {
					is.StateType, is.StateName = "backlog", "Backlog"
				}
			case x < 0.5:
				st := created.Add(r.logNormal(3*24*time.Hour, 1, 60*24*time.Hour))
				done := st.Add(r.logNormal(24*time.Hour, 1, 20*24*time.Hour))
				switch {
				case done.Before(g.end):
					is.StateType, is.StateName, is.StartedAt, is.CompletedAt = "completed", "Done", &st, &done
				case st.Before(g.end):
					is.StateType, is.StateName, is.StartedAt = "started", "In Progress", &st
				default:
					is.StateType, is.StateName = "unstarted", "Todo"
				}
			case age < 30*24*time.Hour && r.chance(0.5):
				is.StateType, is.StateName = "triage", "Triage"
			case age < 120*24*time.Hour && r.chance(0.5):
				is.StateType, is.StateName = "unstarted", "Todo"
			default:
				is.StateType, is.StateName = "backlog", "Backlog"
			}
			is.UpdatedAt = updatedAt(&is)
			if err := g.addLinear(is); err != nil {
				return err
			}
		}
	}
	return nil
}

// reposOfTeam returns a repository the team works in, for its issue titles.
func (g *generator) reposOfTeam(t *teamState) *repoState {
	for {
		rs := pick(g.r, g.repos)
		if &linearTeams[rs.spec.linearTeam] == t.spec {
			return rs
		}
	}
}

// linearIncident writes an incident tracked in Linear by the operations
// team, opened after a deployment of rs. A tenth are false alarms, canceled.
func (g *generator) linearIncident(rs *repoState, deployedAt time.Time) error {
	r := g.r
	created := deployedAt.Add(r.logNormal(90*time.Minute, 0.8, 24*time.Hour))
	if !created.Before(g.end) {
		return nil
	}
	t := g.teams[opsTeam]
	what := g.incidentTitle(rs)
	is := g.linearIssue(t, t.next, "Incident: "+what, people[pick(r, t.spec.members)], created)
	t.next++
	is.Priority = 1
	is.Labels = []string{"incident"}
	is.BranchName = is.AssigneeEmail[:strings.IndexByte(is.AssigneeEmail, '@')] + "/" + strings.ToLower(is.Identifier) + "-incident"
	started := created.Add(r.between(2*time.Minute, 20*time.Minute))
	is.StartedAt = &started
	end := started.Add(r.logNormal(recoveryMedian(rs.spec.trend, g.fraction(created)), 1.1, 10*24*time.Hour))
	switch {
	case !end.Before(g.end):
		is.StateType, is.StateName = "started", "In Progress"
	case r.chance(0.1):
		is.StateType, is.StateName, is.CanceledAt = "canceled", "Canceled", &end
	default:
		is.StateType, is.StateName, is.CompletedAt = "completed", "Done", &end
	}
	is.UpdatedAt = updatedAt(&is)
	return g.addLinear(is)
}
