package linearfake

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// GenerateOptions sizes the data Generate adds.
type GenerateOptions struct {
	// Teams are the keys of the teams to fill, added when missing; the
	// default is ENG.
	Teams []string
	// IssuesPerTeam is how many issues each team gets.
	IssuesPerTeam int
	// Seed makes the data reproducible: the same options on a fresh fake
	// give the same issues.
	Seed uint64
	// From and To bound the issues' creation times; the default is the
	// 180 days before the fake's clock.
	From, To time.Time
	// Repo names the GitHub repository of attached pull requests
	// (default acme/web).
	Repo string
}

var (
	genTitles = []string{"Fix login redirect", "Add CSV export", "Speed up dashboard", "Retry failed webhooks",
		"Crash on empty project", "Update onboarding copy", "Paginate audit log", "Cache team settings",
		"Timeout on large uploads", "Dark mode for charts"}
	genLabels = []string{"bug", "feature", "improvement", "incident", "tech-debt"}
	genUsers  = []string{"ada.lovelace@example.com", "grace.hopper@example.com", "alan.turing@example.com",
		"katherine.johnson@example.com", "edsger.dijkstra@example.com"}
	genStates = []string{"Backlog", "Todo", "In Progress", "In Review", "Done", "Done", "Done", "Canceled"}
)

// Generate adds IssuesPerTeam realistic issues to each team: states from
// backlog to done, assignees, labels (about one in twenty an incident),
// estimates, and GitHub pull-request attachments on most started or done
// issues. It returns how many issues it added.
func (s *Server) Generate(o GenerateOptions) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(o.Teams) == 0 {
		o.Teams = []string{"ENG"}
	}
	if o.To.IsZero() {
		o.To = s.clockNow()
	}
	if o.From.IsZero() || !o.From.Before(o.To) {
		o.From = o.To.Add(-180 * 24 * time.Hour)
	}
	if o.Repo == "" {
		o.Repo = "acme/web"
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6c696e656172))
	span := o.To.Sub(o.From)
	pr := 0
	added := 0
	for _, key := range o.Teams {
		s.addTeam(key, "")
		for i := 0; i < o.IssuesPerTeam; i++ {
			created := o.From.Add(time.Duration(rng.Int64N(int64(span))))
			state := genStates[rng.IntN(len(genStates))]
			in := IssueInput{
				Team:      key,
				Title:     fmt.Sprintf("%s (%d)", genTitles[rng.IntN(len(genTitles))], i+1),
				State:     state,
				Priority:  rng.IntN(5),
				CreatedAt: created,
			}
			if rng.IntN(4) > 0 {
				e := float64(1 + rng.IntN(5))
				in.Estimate = &e
			}
			if state != "Backlog" {
				in.Assignee = genUsers[rng.IntN(len(genUsers))]
			}
			if rng.IntN(20) == 0 {
				in.Labels = append(in.Labels, "incident")
			}
			if rng.IntN(2) == 0 {
				in.Labels = append(in.Labels, genLabels[rng.IntN(len(genLabels)-2)])
			}
			// Work starts within five days and takes up to ten.
			started := created.Add(time.Duration(rng.Int64N(int64(5 * 24 * time.Hour))))
			finished := started.Add(time.Hour + time.Duration(rng.Int64N(int64(10*24*time.Hour))))
			updated := created.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
			switch state {
			case "In Progress", "In Review":
				in.StartedAt, updated = &started, started
			case "Done":
				in.StartedAt, in.CompletedAt, updated = &started, &finished, finished
			case "Canceled":
				in.CanceledAt, updated = &finished, finished
			}
			if updated.After(o.To) {
				updated = o.To
			}
			in.UpdatedAt = updated
			if (state == "In Review" || state == "Done") && rng.IntN(5) > 0 {
				pr++
				in.Attachments = []Attachment{{
					URL:       fmt.Sprintf("https://github.com/%s/pull/%d", o.Repo, pr),
					Title:     "Pull request #" + itoa(pr),
					CreatedAt: started,
				}}
			}
			if _, err := s.addIssue(in); err != nil {
				return added, err
			}
			added++
		}
	}
	return added, nil
}
