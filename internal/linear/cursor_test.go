package linear

import (
	"testing"
	"time"
)

func TestPassCursor(t *testing.T) {
	since := t0.Add(-24 * time.Hour)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	nodes := func(hours ...int) []issueNode {
		out := make([]issueNode, len(hours))
		for i, n := range hours {
			out[i].UpdatedAt = h(n)
		}
		return out
	}
	tests := []struct {
		name  string
		pages [][]issueNode
		want  string // the cursor stored with the last page
	}{
		{"newest first, under way", [][]issueNode{nodes(-1, -2), nodes(-3, -4)},
			`{"since":"2026-03-01T09:00:00Z","up_to":"2026-03-02T05:00:00Z","high":"2026-03-02T08:00:00Z"}`},
		{"newest first, done", [][]issueNode{nodes(-1, -2), nodes(-3, -4), nil},
			`{"since":"2026-03-02T08:00:00Z"}`},
		// Out of order, a resumed pass could skip issues: store no UpTo, so
		// it starts over from since.
		{"oldest first, under way", [][]issueNode{nodes(-4, -3), nodes(-2, -1)},
			`{"since":"2026-03-01T09:00:00Z","high":"2026-03-02T08:00:00Z"}`},
		{"nothing new", [][]issueNode{nil}, `{"since":"2026-03-01T09:00:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPass(cursor{Since: since})
			var got cursor
			for i, page := range tt.pages {
				got = p.advance(page, i == len(tt.pages)-1 && page == nil)
			}
			if got.String() != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if c, ok := parseCursor(got.String()); !ok || c.String() != tt.want {
				t.Errorf("parsed back as %s", c)
			}
		})
	}
	f := newPass(cursor{Since: since, UpTo: ptr(h(-5))}).filter("T1")
	if u := f["updatedAt"].(map[string]any); u["gt"] != "2026-03-01T09:00:00.000Z" || u["lte"] != "2026-03-02T04:00:00.000Z" {
		t.Errorf("a resumed pass asks for %v", u)
	}
}
