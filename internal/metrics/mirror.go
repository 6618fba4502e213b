package metrics

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/rollup"
)

// The mirror holds the PR rollup (pr_rollup) in memory: a row's counts and
// its value arrays, decoded from the database's varints once, as it loads
// them (mirrorRow.vals). At a million PRs a year the whole rollup takes
// about 57 MB this way (20 MB as the database stores it), and every PR
// metric reads some of it; from the database, each read went through
// SQLite's page cache (or PostgreSQL's wire) for megabytes of arrays, most
// of a cold request's time. From memory a read copies no value: the
// percentiles are selected across the rows' arrays (valueSet).
//
// It follows the database without a reload of everything on each change:
// the derive step gives the days it rebuilds a new generation
// (pr_rollup_days, rollup.MarkBuilt), so the mirror reloads only the days
// past the generation it holds; a full rebuild changes the rollup's epoch
// (rollup.BuiltKey's value) and the mirror reloads it all. It checks when
// the data version changes, the same signal the result cache follows.
//
// The issue rollup (issue_rollup, about 16 MB at a million PRs) is held the
// same way, its days in issue_rollup_days.
//
// Past mirrorMaxBytes (a rollup for several million PRs a year) a mirror
// lets go and the metrics read the database, as they do before the rollup
// is built.

// mirrorMaxBytes bounds each rollup held in memory.
const mirrorMaxBytes = 128 << 20

// mirrorSpec describes a rollup table to hold in memory.
type mirrorSpec[R any] struct {
	name             string // for messages
	table, daysTable string
	builtKey, genKey string
	cols             string
	scan             func(*sql.Rows) (day int64, r *R, err error)
	size             func(*R) int64
}

// tableMirror holds a rollup table in memory (see above).
type tableMirror[R any] struct {
	spec *mirrorSpec[R]
	snap atomic.Pointer[mirrorSnap[R]]
	// mu lets one refresh run at a time.
	mu sync.Mutex
	// tooLarge is set once the table was found larger than the bound:
	// the metrics then read the database.
	tooLarge atomic.Bool
	maxBytes int64
}

// mirrorSnap is a rollup as of one data version. It is never modified once
// published: a refresh makes a new one, sharing the unchanged days.
type mirrorSnap[R any] struct {
	version string // the data version it was checked against
	epoch   string // the built key's value
	gen     int64  // the last generation of the days table it holds
	days    map[int64][]*R
	sizes   map[int64]int64
	bytes   int64
	// reloaded holds, for each day reloaded since the epoch's first load,
	// the generation it was last reloaded at (changedIn).
	reloaded map[int64]int64
}

// reloads lists, by day, the days m reloaded since its epoch's first load
// and the generation of each (changedIn).
func (m *mirrorSnap[R]) reloads() []dayGen {
	if m == nil {
		return nil
	}
	out := make([]dayGen, 0, len(m.reloaded))
	for d, g := range m.reloaded {
		out = append(out, dayGen{d, g})
	}
	slices.SortFunc(out, func(a, b dayGen) int { return cmp.Compare(a.day, b.day) })
	return out
}

// dayGen is a day and the generation it was last reloaded at.
type dayGen struct{ day, gen int64 }

// changedIn reports whether a day of [from, to) was reloaded after
// generation gen, in reloads (a snapshot's reloads()).
func changedIn(reloads []dayGen, gen, from, to int64) bool {
	i, _ := slices.BinarySearchFunc(reloads, from, func(d dayGen, day int64) int { return cmp.Compare(d.day, day) })
	for ; i < len(reloads) && reloads[i].day < to; i++ {
		if reloads[i].gen > gen {
			return true
		}
	}
	return false
}

// rows returns the rows of day.
func (m *mirrorSnap[R]) rows(day int64) []*R { return m.days[day] }

// get returns the table as of the data version, or nil when the metrics
// must read the database: the rollup is not built (or is being rebuilt
// whole), or is too large to hold.
func (t *tableMirror[R]) get(ctx context.Context, st mirrorStore, version string) (*mirrorSnap[R], error) {
	if t.tooLarge.Load() {
		return nil, nil
	}
	if m := t.snap.Load(); m != nil && m.version == version {
		return m, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.snap.Load(); m != nil && m.version == version {
		return m, nil // refreshed while this call waited
	}
	m, err := t.refresh(ctx, st, t.snap.Load(), version)
	if err != nil || m == nil {
		return nil, err
	}
	t.snap.Store(m)
	return m, nil
}

// mirrorStore is what a mirror reads through.
type mirrorStore interface {
	ReadSnapshot(ctx context.Context, fn func(*sql.Tx) error) error
}

// refresh brings old (nil at first) to the database's current table, all
// its reads in one snapshot. It returns nil when the rollup is not built.
func (t *tableMirror[R]) refresh(ctx context.Context, st mirrorStore, old *mirrorSnap[R], version string) (*mirrorSnap[R], error) {
	sp := t.spec
	var m *mirrorSnap[R]
	err := st.ReadSnapshot(ctx, func(tx *sql.Tx) error {
		m = nil
		epoch, ok, err := txAppState(ctx, tx, sp.builtKey)
		if err != nil || !ok {
			return err
		}
		genText, _, err := txAppState(ctx, tx, sp.genKey)
		if err != nil {
			return err
		}
		gen, _ := strconv.ParseInt(genText, 10, 64)
		next := &mirrorSnap[R]{version: version, epoch: epoch, gen: gen}
		if old == nil || old.epoch != epoch {
			next.days, next.sizes, next.reloaded = map[int64][]*R{}, map[int64]int64{}, map[int64]int64{}
			if err := t.load(ctx, tx, next, "", nil); err != nil {
				return err
			}
			m = next
			return nil
		}
		next.days, next.sizes, next.bytes = make(map[int64][]*R, len(old.days)), make(map[int64]int64, len(old.sizes)), old.bytes
		for d, rows := range old.days {
			next.days[d] = rows
		}
		for d, n := range old.sizes {
			next.sizes[d] = n
		}
		next.reloaded = maps.Clone(old.reloaded)
		if next.reloaded == nil {
			next.reloaded = map[int64]int64{}
		}
		if gen != old.gen {
			changed, err := changedDays(ctx, tx, sp.daysTable, old.gen)
			if err != nil {
				return err
			}
			for _, d := range changed {
				next.reloaded[d] = gen
			}
			for len(changed) > 0 {
				part := changed[:min(500, len(changed))]
				changed = changed[len(part):]
				args := make([]any, len(part))
				for i, d := range part {
					args[i] = d
					next.bytes -= next.sizes[d]
					delete(next.days, d)
					delete(next.sizes, d)
				}
				if err := t.load(ctx, tx, next, " WHERE day IN ("+numbered(len(part))+")", args); err != nil {
					return err
				}
			}
		}
		m = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metrics: reading the %s: %w", sp.name, err)
	}
	if m != nil && m.bytes > t.limit() {
		t.tooLarge.Store(true)
		slog.Warn("the "+sp.name+" is too large to hold in memory; the metrics read it from the database",
			"bytes", m.bytes, "limit", t.limit())
		return nil, nil
	}
	return m, nil
}

func (t *tableMirror[R]) limit() int64 {
	if t.maxBytes > 0 {
		return t.maxBytes
	}
	return mirrorMaxBytes
}

// load adds the rows that where selects to m.
func (t *tableMirror[R]) load(ctx context.Context, tx *sql.Tx, m *mirrorSnap[R], where string, args []any) error {
	sp := t.spec
	rows, err := tx.QueryContext(ctx, `/* metrics.mirror */ SELECT day, `+sp.cols+` FROM `+sp.table+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		day, r, err := sp.scan(rows)
		if err != nil {
			return err
		}
		n := sp.size(r)
		m.days[day] = append(m.days[day], r)
		m.sizes[day] += n
		m.bytes += n
	}
	return rows.Err()
}

// The PR rollup's mirror.

// mirrorRow is one pr_rollup row.
type mirrorRow struct {
	repo                                          int64
	author, login                                 string
	opened, merged, undeployed, reviewed, reviews int
	// vals are the row's value arrays, decoded (ascending, as the rollup
	// keeps them), all in one backing array, with their sums. Decoded once
	// as the row is read: a read of the rollup then selects across them
	// without decoding them, which was an eighth of a loaded serve's CPU.
	// At a million PRs a year they take about three times the bytes of the
	// arrays as stored.
	vals [rollup.NumPops][]int64
	sums [rollup.NumPops]int64
}

// decode decodes the row's arrays, as read from the database (raw[p] is
// population p's, nil for one not read), into vals and sums.
func (r *mirrorRow) decode(raw *[rollup.NumPops][]byte) error {
	n := 0
	for _, b := range raw {
		n += rollup.Count(b)
	}
	all := make([]int64, 0, n)
	for p, b := range raw {
		if len(b) == 0 {
			continue
		}
		start := len(all)
		var sum int64
		var err error
		if all, sum, err = rollup.DecodeAppend(all, b); err != nil {
			return err
		}
		if len(all)-start != rollup.Count(b) {
			return rollup.ErrCorrupt
		}
		// A full slice expression: an append to one population never
		// writes over the next.
		r.vals[p], r.sums[p] = all[start:len(all):len(all)], sum
	}
	return nil
}

var prMirrorSpec = &mirrorSpec[mirrorRow]{
	name: "PR rollup", table: "pr_rollup", daysTable: "pr_rollup_days", builtKey: rollup.BuiltKey, genKey: rollup.GenKey,
	cols: func() string {
		cols := "repo_id, author, login, opened, merged, undeployed, reviewed, reviews_given"
		for p := range rollup.NumPops {
			cols += ", " + p.Column()
		}
		return cols
	}(),
	scan: func(rows *sql.Rows) (int64, *mirrorRow, error) {
		r := &mirrorRow{}
		var day int64
		var raw [rollup.NumPops][]byte
		dest := []any{&day, &r.repo, &r.author, &r.login, &r.opened, &r.merged, &r.undeployed, &r.reviewed, &r.reviews}
		for p := range rollup.NumPops {
			dest = append(dest, (*sql.RawBytes)(&raw[p])) // decoded before the next row
		}
		if err := rows.Scan(dest...); err != nil {
			return 0, nil, err
		}
		return day, r, r.decode(&raw)
	},
	size: func(r *mirrorRow) int64 {
		n := int64(128 + len(r.author) + len(r.login))
		for _, v := range r.vals {
			n += 8 * int64(len(v))
		}
		return n
	},
}

// mirror returns the PR rollup as of the current data version, or nil when
// the metrics must read the database (see tableMirror.get, and the
// service's switches for the tests).
func (s *Service) mirror(ctx context.Context) (*mirrorSnap[mirrorRow], error) {
	if s.noRollup || s.noMirror {
		return nil, nil
	}
	version, err := s.dataVersion(ctx)
	if err != nil {
		return nil, err
	}
	// Once per request: every part of an answer reads the same snapshot,
	// the one the result cache records it was read from (cachedFrom).
	return memo.Do(ctx, "metrics.mirror", func() (*mirrorSnap[mirrorRow], error) { return s.rollups.get(ctx, s.st, version) })
}

// Warm loads the rollups, the deployments and the incidents into memory,
// as the first requests needing them would, decodes the issue rollup's
// per-author cells as the Teams page would, and reports the bytes held (the
// decoded cells and the incidents not counted).
func (s *Service) Warm(ctx context.Context) (int64, error) {
	m, err := s.mirror(ctx)
	if err != nil {
		return 0, err
	}
	if !s.noMirror {
		if err := s.loadDeployments(ctx); err != nil {
			return 0, err
		}
		if _, _, err := s.incidentRows(ctx); err != nil {
			return 0, err
		}
	}
	im, err := s.issueMirror(ctx)
	if im != nil {
		// The per-author cells, decoded as the Teams page reads them.
		for _, rows := range im.days {
			for _, r := range rows {
				if r.authorCell() {
					if _, derr := r.linkedIssues(); derr != nil && err == nil {
						err = derr
					}
				}
			}
		}
	}
	s.deps.mu.Lock()
	n := int64(len(s.deps.rows)) * int64(unsafe.Sizeof(depRow{}))
	s.deps.mu.Unlock()
	if m != nil {
		n += m.bytes
	}
	if im != nil {
		n += im.bytes
	}
	return n, err
}

// The issue rollup's mirror.

// issueRow is one issue_rollup row (the columns the metrics read).
type issueRow struct {
	repo                                  int64
	author                                string
	done, completed                       int
	cycleTimes, cycleIDs, doneIDs, merged []byte // merged: done_merged_ids
	// linked is the decoded cycleIDs, cycleTimes and merged, kept once
	// decoded (linkedIssues).
	linked atomic.Pointer[linkedIssues]
	// times is the decoded cycleTimes, kept once decoded (cycleTimesOf).
	times atomic.Pointer[issueTimes]
}

// issueTimes is a cell's cycle times, decoded, with their sum and bounds.
type issueTimes struct {
	vals          []int64
	sum, min, max int64
}

// cycleTimesOf decodes the row's cycle times once: a row of the mirror
// keeps them for the next request, so that cycle time over a range decodes
// none of its cells again (decoding them was a twentieth of a loaded
// serve's CPU). Only the cells read are decoded: at a million PRs a year,
// the cells of every repository and person (no filter) hold 564,000 cycle
// times, 4.5 MB decoded, and the per-repository cells as many. The slice is
// shared: callers must not modify it.
func (r *issueRow) cycleTimesOf() (*issueTimes, error) {
	if t := r.times.Load(); t != nil {
		return t, nil
	}
	vals, sum, err := rollup.DecodeList(make([]int64, 0, rollup.Count(r.cycleTimes)), r.cycleTimes)
	if err != nil {
		return nil, err
	}
	t := &issueTimes{vals: vals, sum: sum}
	if len(vals) > 0 {
		t.min, t.max = slices.Min(vals), slices.Max(vals)
	}
	r.times.Store(t)
	return t, nil
}

// authorCell reports whether the row is an author's cell over every
// repository (authorCellSQL says the same in SQL).
func (r *issueRow) authorCell() bool { return r.repo == 0 && r.author != "" }

// authorCellSQL selects the rows authorCell accepts.
const authorCellSQL = "repo_id = 0 AND author <> ''"

// linkedIssues is an issue rollup cell's issues with a merged linked PR,
// decoded: the ids and cycle times of those whose cycle ended that day,
// and the ids of those completed that day.
type linkedIssues struct {
	cycleIDs, cycleTimes, doneIDs []int64
}

// linkedIssues decodes the row's issues with a merged linked PR, once: a
// row of the mirror keeps them for the next request, which the Teams page
// makes worth it (it reads every author's cells of two ranges; decoding
// them was a fifth of its time). Only the per-author cells are read this
// way, about 600,000 issues a year at a million PRs: 14 MB decoded. The
// slices are shared: callers must not modify them.
func (r *issueRow) linkedIssues() (*linkedIssues, error) {
	if l := r.linked.Load(); l != nil {
		return l, nil
	}
	l := &linkedIssues{}
	var err error
	if l.cycleIDs, err = rollup.DecodeIDs(nil, r.cycleIDs); err != nil {
		return nil, err
	}
	if l.cycleTimes, _, err = rollup.DecodeList(nil, r.cycleTimes); err != nil {
		return nil, err
	}
	if len(l.cycleTimes) != len(l.cycleIDs) {
		return nil, rollup.ErrCorrupt
	}
	if l.doneIDs, err = rollup.DecodeIDs(nil, r.merged); err != nil {
		return nil, err
	}
	r.linked.Store(l)
	return l, nil
}

var issueMirrorSpec = &mirrorSpec[issueRow]{
	name: "issue rollup", table: "issue_rollup", daysTable: "issue_rollup_days", builtKey: rollup.IssuesBuiltKey,
	genKey: rollup.IssuesGenKey,
	cols:   "repo_id, author, done, completed, cycle_times, cycle_ids, done_ids, done_merged_ids",
	scan: func(rows *sql.Rows) (int64, *issueRow, error) {
		r := &issueRow{}
		var day int64
		err := rows.Scan(&day, &r.repo, &r.author, &r.done, &r.completed, &r.cycleTimes, &r.cycleIDs, &r.doneIDs, &r.merged)
		return day, r, err
	},
	size: func(r *issueRow) int64 {
		return int64(96 + len(r.author) + len(r.cycleTimes) + len(r.cycleIDs) + len(r.doneIDs) + len(r.merged))
	},
}

// issueMirror returns the issue rollup as of the current data version, or
// nil when the metrics must read the database.
func (s *Service) issueMirror(ctx context.Context) (*mirrorSnap[issueRow], error) {
	if s.noRollup || s.noMirror {
		return nil, nil
	}
	version, err := s.dataVersion(ctx)
	if err != nil {
		return nil, err
	}
	return memo.Do(ctx, "metrics.issueMirror", func() (*mirrorSnap[issueRow], error) { return s.issues.get(ctx, s.st, version) })
}

// changedDays lists the days of table past generation gen.
func changedDays(ctx context.Context, tx *sql.Tx, table string, gen int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `/* metrics.mirrorDays */ SELECT day FROM `+table+` WHERE gen > $1`, gen)
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
