package linear

import (
	"encoding/json"
	"time"
)

// cursor is a team's incremental sync state, stored as JSON in
// sync_state.cursor (scope: the team key).
//
// Linear lists issues by updatedAt, most recent first. A pass fetches the
// issues updated after Since, page by page, each page stored in one
// transaction with the cursor that follows it. While a pass is under way
// the cursor also holds UpTo, the updatedAt of the last issue stored, and
// High, the most recent updatedAt seen: everything updated after UpTo is
// stored, so a pass cut short resumes with the issues updated in
// (Since, UpTo]. (Issues updated at exactly UpTo are fetched again, which
// the upserts make harmless.) When the last page is stored, Since moves to
// High and UpTo and High are cleared. An issue updated while a pass runs
// gets an updatedAt after High, so the next pass fetches it.
type cursor struct {
	Since time.Time  `json:"since"`
	UpTo  *time.Time `json:"up_to,omitempty"`
	High  *time.Time `json:"high,omitempty"`
}

// parseCursor reads a stored cursor; ok is false when there is none or it
// cannot be read.
func parseCursor(s string) (cursor, bool) {
	var c cursor
	if s == "" || json.Unmarshal([]byte(s), &c) != nil || c.Since.IsZero() {
		return cursor{}, false
	}
	return c, true
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// pass tracks the pages of one pass over a team's issues.
type pass struct {
	cursor
	// ordered is false once Linear returned issues out of the expected
	// order; the pass then stores no UpTo, so a resumed pass starts over
	// from Since rather than risk skipping issues.
	ordered bool
	last    *time.Time
}

func newPass(c cursor) *pass { return &pass{cursor: c, ordered: true} }

// filter is the IssueFilter of the pass's queries for team teamID.
func (p *pass) filter(teamID string) map[string]any {
	updated := map[string]any{"gt": formatTime(p.Since)}
	if p.UpTo != nil {
		updated["lte"] = formatTime(*p.UpTo)
	}
	return map[string]any{
		"team":      map[string]any{"id": map[string]any{"eq": teamID}},
		"updatedAt": updated,
	}
}

// advance takes in a page's issues and returns the cursor to store with
// them; done is true when it was the last page.
func (p *pass) advance(nodes []issueNode, done bool) cursor {
	for i := range nodes {
		u := nodes[i].UpdatedAt.UTC()
		if p.last != nil && u.After(*p.last) {
			p.ordered = false
		}
		p.last = &u
		if p.High == nil || u.After(*p.High) {
			p.High = &u
		}
	}
	if done {
		next := cursor{Since: p.Since}
		if p.High != nil && p.High.After(next.Since) {
			next.Since = *p.High
		}
		return next
	}
	next := cursor{Since: p.Since, High: p.High}
	if p.ordered && p.last != nil {
		next.UpTo = p.last
	}
	return next
}

// formatTime writes a time as Linear's DateTime: 2021-11-09T06:35:03.020Z.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
