package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/veelocity/veelocity/internal/rollup"
)

// The mirror holds the PR rollup (pr_rollup) in memory, as the database
// stores it: a row's counts and its encoded value arrays. At a million PRs
// a year the whole rollup is about 20 MB, and every PR metric reads some of
// it; from the database, each read went through SQLite's page cache (or
// PostgreSQL's wire) for megabytes of arrays, most of a cold request's time.
// From memory it costs the decoding alone.
//
// It follows the database without a reload of everything on each change:
// the derive step gives the days it rebuilds a new generation
// (pr_rollup_days, rollup.MarkBuilt), so the mirror reloads only the days
// past the generation it holds; a full rebuild changes the rollup's epoch
// (rollup.BuiltKey's value) and the mirror reloads it all. It checks when
// the data version changes, the same signal the result cache follows.
//
// Past mirrorMaxBytes (a rollup for several million PRs a year) it lets go
// and the metrics read the database, as they do before the rollup is built.

// mirrorMaxBytes bounds the rollup held in memory.
const mirrorMaxBytes = 128 << 20

// mirrorRow is one pr_rollup row.
type mirrorRow struct {
	repo                                          int64
	author, login                                 string
	opened, merged, undeployed, reviewed, reviews int
	pops                                          [rollup.NumPops][]byte
	// counts are the number of values in each of pops, or -1 when not
	// counted (a row read from the database).
	counts [rollup.NumPops]int32
}

// count is the number of values in population p.
func (r *mirrorRow) count(p rollup.Pop) int {
	if c := r.counts[p]; c >= 0 {
		return int(c)
	}
	return rollup.Count(r.pops[p])
}

// size is about what the row holds in memory.
func (r *mirrorRow) size() int64 {
	n := int64(96 + len(r.author) + len(r.login))
	for _, b := range r.pops {
		n += int64(len(b))
	}
	return n
}

// mirrorSnap is the rollup as of one data version. It is never modified
// once published: a refresh makes a new one, sharing the unchanged days.
type mirrorSnap struct {
	version string // the data version it was checked against
	epoch   string // rollup.BuiltKey's value
	gen     int64  // the last generation of pr_rollup_days it holds
	days    map[int64][]*mirrorRow
	bytes   int64
}

// rows returns the rows of day.
func (m *mirrorSnap) rows(day int64) []*mirrorRow { return m.days[day] }

type rollupMirror struct {
	snap atomic.Pointer[mirrorSnap]
	// mu lets one refresh run at a time.
	mu sync.Mutex
	// tooLarge is set once the rollup was found larger than
	// mirrorMaxBytes: the metrics then read the database.
	tooLarge atomic.Bool
	maxBytes int64
}

// mirror returns the rollup as of the current data version, or nil when
// the metrics must read the database: the rollup is not built (or is being
// rebuilt whole), is too large to hold, or the service reads no rollup.
func (s *Service) mirror(ctx context.Context) (*mirrorSnap, error) {
	if s.noRollup || s.noMirror || s.rollups.tooLarge.Load() {
		return nil, nil
	}
	version, err := s.dataVersion(ctx)
	if err != nil {
		return nil, err
	}
	if m := s.rollups.snap.Load(); m != nil && m.version == version {
		return m, nil
	}
	s.rollups.mu.Lock()
	defer s.rollups.mu.Unlock()
	if m := s.rollups.snap.Load(); m != nil && m.version == version {
		return m, nil // refreshed while this call waited
	}
	m, err := s.refreshMirror(ctx, s.rollups.snap.Load(), version)
	if err != nil || m == nil {
		return nil, err
	}
	s.rollups.snap.Store(m)
	return m, nil
}

// refreshMirror brings old (nil at first) to the database's current
// rollup, all its reads in one snapshot. It returns nil when the rollup is
// not built.
func (s *Service) refreshMirror(ctx context.Context, old *mirrorSnap, version string) (*mirrorSnap, error) {
	var m *mirrorSnap
	err := s.st.ReadSnapshot(ctx, func(tx *sql.Tx) error {
		m = nil
		epoch, ok, err := txAppState(ctx, tx, rollup.BuiltKey)
		if err != nil || !ok {
			return err
		}
		genText, _, err := txAppState(ctx, tx, rollup.GenKey)
		if err != nil {
			return err
		}
		gen, _ := strconv.ParseInt(genText, 10, 64)
		next := &mirrorSnap{version: version, epoch: epoch, gen: gen}
		if old == nil || old.epoch != epoch {
			next.days = map[int64][]*mirrorRow{}
			if err := loadMirrorRows(ctx, tx, next, "", nil); err != nil {
				return err
			}
			m = next
			return nil
		}
		next.days, next.bytes = make(map[int64][]*mirrorRow, len(old.days)), old.bytes
		for d, rows := range old.days {
			next.days[d] = rows
		}
		if gen != old.gen {
			changed, err := changedDays(ctx, tx, old.gen)
			if err != nil {
				return err
			}
			for len(changed) > 0 {
				part := changed[:min(500, len(changed))]
				changed = changed[len(part):]
				args := make([]any, len(part))
				for i, d := range part {
					args[i] = d
					for _, r := range next.days[d] {
						next.bytes -= r.size()
					}
					delete(next.days, d)
				}
				if err := loadMirrorRows(ctx, tx, next, " WHERE day IN ("+numbered(len(part))+")", args); err != nil {
					return err
				}
			}
		}
		m = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metrics: reading the PR rollup: %w", err)
	}
	if m != nil && m.bytes > s.rollups.limit() {
		s.rollups.tooLarge.Store(true)
		slog.Warn("the PR rollup is too large to hold in memory; the metrics read it from the database",
			"bytes", m.bytes, "limit", s.rollups.limit())
		return nil, nil
	}
	return m, nil
}

func (r *rollupMirror) limit() int64 {
	if r.maxBytes > 0 {
		return r.maxBytes
	}
	return mirrorMaxBytes
}

// loadMirrorRows adds the pr_rollup rows that where selects to m.
func loadMirrorRows(ctx context.Context, tx *sql.Tx, m *mirrorSnap, where string, args []any) error {
	cols := "day, repo_id, author, login, opened, merged, undeployed, reviewed, reviews_given"
	for p := range rollup.NumPops {
		cols += ", " + p.Column()
	}
	rows, err := tx.QueryContext(ctx, `/* metrics.mirror */ SELECT `+cols+` FROM pr_rollup`+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &mirrorRow{}
		var day int64
		dest := []any{&day, &r.repo, &r.author, &r.login, &r.opened, &r.merged, &r.undeployed, &r.reviewed, &r.reviews}
		for p := range rollup.NumPops {
			dest = append(dest, &r.pops[p]) // *[]byte: Scan copies
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for p, b := range r.pops {
			r.counts[p] = int32(rollup.Count(b))
		}
		m.days[day] = append(m.days[day], r)
		m.bytes += r.size()
	}
	return rows.Err()
}

// changedDays lists the days of pr_rollup_days past generation gen.
func changedDays(ctx context.Context, tx *sql.Tx, gen int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `/* metrics.mirrorDays */ SELECT day FROM pr_rollup_days WHERE gen > $1`, gen)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var days []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		days = append(days, d)
	}
	return days, rows.Err()
}

// txAppState reads an app_state value inside tx.
func txAppState(ctx context.Context, tx *sql.Tx, key string) (string, bool, error) {
	var v string
	err := tx.QueryRowContext(ctx, `/* metrics.appState */ SELECT value FROM app_state WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// numbered returns "$1, $2, …" for n values.
func numbered(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
	}
	return b.String()
}

// rollupMatch reports whether a row passes q's repository, author and team
// filters (rollupFilter's rules; the days are chosen by the caller).
type rollupMatch struct {
	repo    int64
	author  string
	members map[string]bool
	none    bool
}

func newRollupMatch(q Query) *rollupMatch {
	m := &rollupMatch{repo: q.RepoID, author: strings.ToLower(q.Author)}
	if q.Team != nil {
		m.none = len(q.Team.Members) == 0
		m.members = make(map[string]bool, len(q.Team.Members))
		for _, a := range q.Team.Members {
			m.members[strings.ToLower(a)] = true
		}
	}
	return m
}

func (m *rollupMatch) ok(r *mirrorRow) bool {
	switch {
	case m.none:
		return false
	case m.repo != 0 && r.repo != m.repo:
		return false
	case m.author != "" && r.author != m.author:
		return false
	case m.members != nil && !m.members[r.author]:
		return false
	}
	return true
}
