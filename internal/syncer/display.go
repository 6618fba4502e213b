package syncer

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Display shows a sync's progress on a terminal. Live, it keeps a block of
// lines (one per source, one per repository or team) redrawn in place;
// otherwise it prints a plain line per step, for logs and pipes.
type Display struct {
	w    io.Writer
	live bool
	// width returns the terminal's width; live lines are cut to it so the
	// block never wraps (which would break redrawing in place).
	width func() int
	now   func() time.Time

	mu    sync.Mutex
	drawn int // lines of the live block now on screen
	last  Progress
}

// maxLiveScopes bounds the scopes a live block shows per source: the most
// recent ones, after a line counting the others.
const maxLiveScopes = 6

// NewDisplay returns a display writing to w; live selects redrawing in
// place (for a terminal). width may be nil.
func NewDisplay(w io.Writer, live bool, width func() int, now func() time.Time) *Display {
	if width == nil {
		width = func() int { return 0 }
	}
	if now == nil {
		now = time.Now
	}
	return &Display{w: w, live: live, width: width, now: now}
}

// Observe takes a sync step (Request.Observe) and, plain, prints a line for
// it. Live, it does nothing: the caller calls Draw on a timer.
func (d *Display) Observe(ev Event) {
	if d.live {
		return
	}
	line := plainLine(ev)
	if line == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintln(d.w, line)
}

func plainLine(ev Event) string {
	s := ev.Source
	switch ev.Kind {
	case SourceStarted:
		return s.Source + ": syncing"
	case ScopeFinished:
		if unnamedAndEmpty(ev.Scope) {
			return ""
		}
		line := fmt.Sprintf("%s: %s: %s; %d requests", s.Source, scopeName(ev.Scope.Scope), kinds(ev.Scope.Counts), ev.Scope.Requests)
		if ev.Scope.Status == "failed" {
			line += "; FAILED"
		}
		return line
	case SourceFinished:
		switch s.Status {
		case StatusSkipped:
			return s.Source + ": skipped: " + s.Reason
		case statusSuccess:
			return fmt.Sprintf("%s: done: %d records, %d requests in %s", s.Source, s.Records, s.Requests, roundDuration(s.Duration(time.Time{})))
		case statusFailed:
			return fmt.Sprintf("%s: FAILED after %s: %s", s.Source, roundDuration(s.Duration(time.Time{})), s.Error)
		case statusCanceled:
			return fmt.Sprintf("%s: canceled after %s (%d records stored)", s.Source, roundDuration(s.Duration(time.Time{})), s.Records)
		}
	}
	return ""
}

// Draw redraws the live block with p; it does nothing when not live.
func (d *Display) Draw(p Progress) {
	if !d.live {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = p
	d.redraw()
}

// Write prints log output above the live block, so log lines and the block
// do not garble each other. It makes a Display usable as a log's writer.
func (d *Display) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.live {
		return d.w.Write(b)
	}
	d.clear()
	n, err := d.w.Write(b)
	if d.last.Sources != nil {
		d.redraw()
	}
	return n, err
}

func (d *Display) clear() {
	if d.drawn > 0 {
		// Up to the block's first line, then erase to the end of the screen.
		fmt.Fprintf(d.w, "\x1b[%dF\x1b[J", d.drawn)
		d.drawn = 0
	}
}

func (d *Display) redraw() {
	lines := liveLines(d.last, d.now())
	width := d.width()
	var b strings.Builder
	if d.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", d.drawn)
	}
	for _, l := range lines {
		if width > 1 && utf8.RuneCountInString(l) >= width {
			l = string([]rune(l)[:width-2]) + "…"
		}
		b.WriteString(l)
		b.WriteString("\x1b[K\n")
	}
	b.WriteString("\x1b[J")
	io.WriteString(d.w, b.String())
	d.drawn = len(lines)
}

// liveLines renders p as the live block.
func liveLines(p Progress, now time.Time) []string {
	var out []string
	for _, s := range p.Sources {
		head := fmt.Sprintf("%-8s %-8s", s.Source, s.Status)
		switch s.Status {
		case StatusSkipped:
			out = append(out, head+" "+s.Reason)
			continue
		case StatusPending:
			out = append(out, head)
			continue
		}
		head += fmt.Sprintf(" %7s  %d records, %d requests", roundDuration(s.Duration(now)), s.Records, s.Requests)
		if n := len(s.Active); n > 1 && s.Status == statusRunning {
			head += fmt.Sprintf(", %d scopes at once", n)
		}
		if s.Error != "" {
			head += "  " + firstLine(s.Error)
		}
		out = append(out, head)
		scopes := slices.DeleteFunc(slices.Clone(s.Scopes), unnamedAndEmpty)
		if len(scopes) > maxLiveScopes {
			out = append(out, fmt.Sprintf("    … %d more", len(scopes)-maxLiveScopes))
			scopes = scopes[len(scopes)-maxLiveScopes:]
		}
		for _, sc := range scopes {
			mark, failed := " ", ""
			if (sc.Scope == s.Scope || slices.Contains(s.Active, sc.Scope)) && s.Status == statusRunning {
				mark = ">"
			}
			if sc.Status == "failed" {
				failed = " FAILED"
			}
			out = append(out, fmt.Sprintf("  %s %-24s %s; %d requests%s", mark, scopeName(sc.Scope), kinds(sc.Counts), sc.Requests, failed))
		}
	}
	return out
}

// Summary writes the end-of-sync table: result, records, requests and time
// per source, then each failure's error and each skip's reason.
func Summary(w io.Writer, p Progress) {
	took := time.Duration(0)
	if p.FinishedAt != nil {
		took = p.FinishedAt.Sub(p.StartedAt)
	}
	fmt.Fprintf(w, "Sync (%s) finished in %s.\n", p.Mode, roundDuration(took))
	fmt.Fprintf(w, "  %-8s %-8s %9s %9s %8s  %s\n", "SOURCE", "RESULT", "RECORDS", "REQUESTS", "TIME", "STORED")
	for _, s := range p.Sources {
		if s.Status == StatusSkipped {
			fmt.Fprintf(w, "  %-8s %-8s %9s %9s %8s\n", s.Source, s.Status, "-", "-", "-")
			continue
		}
		fmt.Fprintf(w, "  %-8s %-8s %9d %9d %8s  %s\n", s.Source, s.Status, s.Records, s.Requests,
			roundDuration(s.Duration(time.Time{})), kinds(s.Counts))
	}
	for _, s := range p.Sources {
		switch s.Status {
		case statusFailed:
			fmt.Fprintf(w, "%s failed: %s\n", s.Source, s.Error)
		case StatusSkipped:
			fmt.Fprintf(w, "%s skipped: %s\n", s.Source, s.Reason)
		}
	}
	if p.AfterSyncError != "" {
		fmt.Fprintf(w, "Updating the metrics failed: %s\n", p.AfterSyncError)
	}
}

// kinds renders records by kind, "120 pull_requests, 40 reviews", in name
// order; "nothing new" when there are none.
func kinds(c Counts) string {
	if len(c.RecordsByKind) == 0 {
		return "nothing new"
	}
	parts := make([]string, 0, len(c.RecordsByKind))
	for _, k := range slices.Sorted(maps.Keys(c.RecordsByKind)) {
		parts = append(parts, fmt.Sprintf("%d %s", c.RecordsByKind[k], k))
	}
	return strings.Join(parts, ", ")
}

// unnamedAndEmpty reports whether sc holds only the requests a connector
// made before naming a scope (listing the teams, say): not worth a line.
func unnamedAndEmpty(sc ScopeProgress) bool { return sc.Scope == "" && sc.Records == 0 }

func scopeName(scope string) string {
	if scope == "" {
		return "(all)"
	}
	return scope
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// roundDuration rounds d for display: tenths of a second under a minute,
// whole seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
