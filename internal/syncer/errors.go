package syncer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrBusy is what a sync trigger gets while another sync runs; errors.Is
// matches a *BusyError with it.
var ErrBusy = errors.New("a sync is already running")

// ErrClosed is returned by a trigger after the engine was closed.
var ErrClosed = errors.New("the sync engine is shutting down")

// BusyError refuses a sync because another one is running, and says since
// when and what started it.
type BusyError struct {
	StartedAt time.Time
	Trigger   Trigger
	// OtherProcess is set when the sync runs in another process on the
	// same database (serve, or veelocity sync).
	OtherProcess bool
}

func (e *BusyError) Error() string {
	where := ""
	if e.OtherProcess {
		where = ", in another process"
	}
	return fmt.Sprintf("a sync is already running (started %s by %s%s)", e.StartedAt.UTC().Format(time.RFC3339), e.Trigger, where)
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// UnknownSourceError names a requested source that does not exist.
type UnknownSourceError struct{ Source string }

func (e *UnknownSourceError) Error() string {
	return fmt.Sprintf("unknown source %q (want %s)", e.Source, strings.Join(KnownSources, ", "))
}

// NotConfiguredError refuses a sync because none of the requested sources is
// configured. Reasons maps each source to what the user should set.
type NotConfiguredError struct {
	Reasons map[string]string
}

func (e *NotConfiguredError) Error() string {
	names := make([]string, 0, len(e.Reasons))
	for name := range e.Reasons {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return sourceOrder(names[i]) < sourceOrder(names[j]) })
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + ": " + e.Reasons[name]
	}
	what := "no source is configured"
	if len(names) == 1 {
		what = names[0] + " is not configured"
	}
	return what + " (" + strings.Join(parts, "; ") + ")"
}

// KnownSources are the sources Veelocity syncs, in the order they run.
var KnownSources = []string{"github", "actions", "linear", "pagerduty"}

// sourceOrder ranks a source name by KnownSources, unknown names last.
func sourceOrder(name string) int {
	for i, s := range KnownSources {
		if s == name {
			return i
		}
	}
	return len(KnownSources)
}
