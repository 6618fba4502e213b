// Package metrics computes the DORA and development metrics exactly as
// docs/METRICS.md defines them, from the facts the derive step keeps. The
// API, the dashboard and `veelocity report` are thin layers over it.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// Period is the size of the buckets of a time series.
type Period string

// The periods.
const (
	Day   Period = "day"
	Week  Period = "week"
	Month Period = "month"
)

// Query selects what a metric covers.
type Query struct {
	// Start and End bound the range: [Start, End), UTC midnights.
	Start, End time.Time
	Period     Period
	// RepoID restricts repo-scoped records to one repository (0: all).
	RepoID int64
	// Author restricts PR-based metrics to PRs by one GitHub login.
	Author string
	// Trend asks for a comparison with the previous range of equal length.
	Trend bool
	// Team, when set, restricts the query to a team (METRICS.md, Teams):
	// PR-based metrics to PRs by its members, deployment-based metrics and
	// recovery to its repositories, cycle time and issues_completed to
	// issues with a merged linked PR by a member. It intersects with
	// RepoID and Author.
	Team *TeamScope
	// Environment, when set, makes deployment frequency count deployments
	// to that environment instead of the production ones (METRICS.md,
	// Environments). No other metric takes it.
	Environment string
}

// TeamScope is a team resolved to the sets it filters on.
type TeamScope struct {
	Slug string
	// Members are the team's GitHub logins, lower-case.
	Members []string
	// RepoIDs are the internal ids of the team's repositories.
	RepoIDs []int64
}

// Days is the number of days in the range.
func (q Query) Days() int { return int(q.End.Sub(q.Start).Hours()/24 + 0.5) }

// StartDate and EndDate are the range's inclusive dates, YYYY-MM-DD.
func (q Query) StartDate() string { return q.Start.Format(dateLayout) }

// EndDate is the last day of the range, YYYY-MM-DD.
func (q Query) EndDate() string { return q.End.AddDate(0, 0, -1).Format(dateLayout) }

// withoutTrend is q without the trend.
func (q Query) withoutTrend() Query {
	q.Trend = false
	return q
}

// Previous is the range of equal length immediately before q.
func (q Query) Previous() Query {
	p := q
	p.End = q.Start
	p.Start = q.Start.AddDate(0, 0, -q.Days())
	p.Trend = false
	return p
}

const dateLayout = "2006-01-02"

// MaxDays bounds the length of a range: a century, enough for any history,
// while a range of daily buckets stays a few megabytes of JSON.
const MaxDays = 36600

// ParamError is an invalid query parameter; its message names it.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// ErrUnknownRepo is returned for a repo_id or repo that does not exist.
var ErrUnknownRepo = errors.New("unknown repository")

var repoNameRE = regexp.MustCompile(`^[^/\s]+/[^/\s]+$`)

// ParseQuery reads and validates the metric parameters of METRICS.md
// (start_date, end_date, period, repo_id, repo, author, include_trend).
// today is the current UTC date. Errors are *ParamError (a 400) or
// ErrUnknownRepo (a 404).
func ParseQuery(ctx context.Context, st *store.Store, v url.Values, today time.Time) (Query, error) {
	q := Query{Period: Week}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	end := today
	if s := v.Get("end_date"); s != "" {
		d, err := parseDate(s)
		if err != nil {
			return q, &ParamError{"end_date", err.Error()}
		}
		end = d
	}
	start := end.AddDate(0, 0, -29)
	if s := v.Get("start_date"); s != "" {
		d, err := parseDate(s)
		if err != nil {
			return q, &ParamError{"start_date", err.Error()}
		}
		start = d
	}
	if start.After(end) {
		return q, &ParamError{"start_date", fmt.Sprintf("%s is after end_date %s", start.Format(dateLayout), end.Format(dateLayout))}
	}
	if end.Sub(start).Hours()/24 >= MaxDays {
		return q, &ParamError{"start_date", fmt.Sprintf("the range may span at most %d days", MaxDays)}
	}
	q.Start, q.End = start, end.AddDate(0, 0, 1)
	if s := v.Get("period"); s != "" {
		switch Period(s) {
		case Day, Week, Month:
			q.Period = Period(s)
		default:
			return q, &ParamError{"period", "must be day, week or month"}
		}
	}
	if s := v.Get("include_trend"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, &ParamError{"include_trend", "must be true or false"}
		}
		q.Trend = b
	}
	q.Author = strings.TrimSpace(v.Get("author"))
	if err := parseRepo(ctx, st, v, &q); err != nil {
		return q, err
	}
	if err := parseTeamAndEnvironment(ctx, st, v, &q); err != nil {
		return q, err
	}
	return q, nil
}

func parseDate(s string) (time.Time, error) {
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return d, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return d, nil
}

func parseRepo(ctx context.Context, st *store.Store, v url.Values, q *Query) error {
	if s := v.Get("repo_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return &ParamError{"repo_id", "must be a positive whole number"}
		}
		if _, err := st.Repository(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: repo_id %d", ErrUnknownRepo, id)
			}
			return err
		}
		q.RepoID = id
	}
	if s := v.Get("repo"); s != "" {
		if !repoNameRE.MatchString(s) {
			// No repository has such a name: unknown, as METRICS.md
			// answers an unknown repo (404), with what a name looks like.
			return fmt.Errorf("%w: repo %q (a repository is named owner/name)", ErrUnknownRepo, s)
		}
		r, err := st.RepositoryByName(ctx, s)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: repo %s", ErrUnknownRepo, s)
			}
			return err
		}
		if q.RepoID != 0 && q.RepoID != r.ID {
			return &ParamError{"repo", "names a different repository than repo_id"}
		}
		q.RepoID = r.ID
	}
	return nil
}

// bucketStart returns the first instant of the bucket holding t.
func (p Period) bucketStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch p {
	case Week:
		offset := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -offset)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

func (p Period) next(t time.Time) time.Time {
	switch p {
	case Week:
		return t.AddDate(0, 0, 7)
	case Month:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// buckets lists the starts of every bucket that overlaps the range, in
// order.
func (q Query) buckets() []time.Time {
	var out []time.Time
	for b := q.Period.bucketStart(q.Start); b.Before(q.End); b = q.Period.next(b) {
		out = append(out, b)
	}
	return out
}

// series groups values by bucket.
type series struct {
	q     Query
	dates []time.Time
	// bounds[i] is the first instant (ms) of bucket i; bounds[len] is the
	// range's end.
	bounds []int64
}

func newSeries(q Query) *series {
	s := &series{q: q, dates: q.buckets()}
	for _, b := range s.dates {
		s.bounds = append(s.bounds, b.UnixMilli())
	}
	s.bounds = append(s.bounds, q.End.UnixMilli())
	return s
}

// slot returns the position of the bucket holding the instant ms, or -1
// when it is outside the range's buckets.
func (s *series) slot(ms int64) int {
	b := s.bounds
	if len(b) < 2 || ms < b[0] || ms >= b[len(b)-1] {
		return -1
	}
	// Binary search: the last bound at or before ms.
	lo, hi := 0, len(b)-2
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if b[mid] <= ms {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (s *series) date(i int) string { return dateText(s.dates[i]) }

// dateTexts holds the text of the bucket dates formatted so far, so that
// every series point of a date shares one string. Each metric of each
// answer has a series, and the result cache keeps thousands of answers:
// one string per point was two fifths of the objects the garbage
// collector marked under load (BENCHMARKS.md). Bounded by maxDateTexts,
// past which dates are formatted anew.
var dateTexts = struct {
	sync.RWMutex
	m map[int64]string
}{m: map[int64]string{}}

const maxDateTexts = 1 << 16 // about 180 years of days

// dateText is t's date (a UTC midnight) as YYYY-MM-DD.
func dateText(t time.Time) string {
	if t.Location() != time.UTC {
		return t.Format(dateLayout)
	}
	k := t.Unix()
	dateTexts.RLock()
	v, ok := dateTexts.m[k]
	dateTexts.RUnlock()
	if ok {
		return v
	}
	v = t.Format(dateLayout)
	dateTexts.Lock()
	if len(dateTexts.m) < maxDateTexts {
		dateTexts.m[k] = v
	}
	dateTexts.Unlock()
	return v
}

// bucketSQL is an SQL expression giving the first instant (Unix ms) of the
// bucket that holds column's instant, so that counts can be grouped in the
// database. Days and ISO weeks are integer arithmetic on both engines
// (1970-01-01 was a Thursday); months are looked up among the range's
// buckets.
func (s *series) bucketSQL(column string) string {
	const day = "86400000"
	switch s.q.Period {
	case Day:
		return "(" + column + " / " + day + ") * " + day
	case Week:
		return "(((" + column + " / " + day + ") + 3) / 7 * 7 - 3) * " + day
	}
	var b strings.Builder
	b.WriteString("CASE")
	for i := len(s.bounds) - 2; i >= 0; i-- {
		fmt.Fprintf(&b, " WHEN %s >= %d THEN %d", column, s.bounds[i], s.bounds[i])
	}
	b.WriteString(" END")
	return b.String()
}
