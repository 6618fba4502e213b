package syncer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/syncer"
)

func TestLiveDisplayRedrawsInPlace(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := start.Add(90 * time.Second)
	var out strings.Builder
	d := syncer.NewDisplay(&out, true, func() int { return 80 }, func() time.Time { return now })
	p := syncer.Progress{Running: true, Mode: "recent", StartedAt: start, Sources: []syncer.SourceProgress{
		{Source: "github", Status: "running", StartedAt: &start, Scope: "acme/api",
			Counts: syncer.Counts{Records: 12, Requests: 4, RecordsByKind: map[string]int64{"pull_requests": 10, "reviews": 2}},
			Scopes: []syncer.ScopeProgress{
				{Scope: "acme/web", Counts: syncer.Counts{Records: 10, Requests: 3, RecordsByKind: map[string]int64{"pull_requests": 10}}},
				{Scope: "acme/api", Counts: syncer.Counts{Records: 2, Requests: 1, RecordsByKind: map[string]int64{"reviews": 2}}},
			}},
		{Source: "actions", Status: "pending"},
		{Source: "linear", Status: "skipped", Reason: "LINEAR_API_KEY is not set"},
	}}
	d.Draw(p)
	first := out.String()
	for _, want := range []string{
		"github   running    1m30s  12 records, 4 requests\x1b[K\n",
		"    acme/web                 10 pull_requests; 3 requests\x1b[K\n",
		"  > acme/api                 2 reviews; 1 requests\x1b[K\n",
		"actions  pending \x1b[K\n",
		"linear   skipped  LINEAR_API_KEY is not set\x1b[K\n",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first draw lacks %q:\n%q", want, first)
		}
	}
	if strings.HasPrefix(first, "\x1b[") {
		t.Errorf("the first draw moved the cursor up: %q", first)
	}

	// The next draw goes back up over the 5 lines, and a log line is
	// printed above the block, which is drawn again below it.
	out.Reset()
	d.Draw(p)
	if !strings.HasPrefix(out.String(), "\x1b[5F") {
		t.Errorf("redraw does not start by going up 5 lines: %q", out.String())
	}
	out.Reset()
	d.Write([]byte("level=WARN msg=\"rate limited\"\n"))
	if s := out.String(); !strings.HasPrefix(s, "\x1b[5F\x1b[Jlevel=WARN msg=\"rate limited\"\ngithub ") {
		t.Errorf("log line over the block: %q", s)
	}

	// Lines never wrap on a narrow terminal.
	out.Reset()
	narrow := syncer.NewDisplay(&out, true, func() int { return 20 }, func() time.Time { return now })
	narrow.Draw(p)
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\x1b[J"), "\n") {
		line = strings.TrimSuffix(line, "\x1b[K")
		if n := len([]rune(line)); n >= 20 {
			t.Errorf("line of %d runes on a 20-column terminal: %q", n, line)
		}
	}
}
