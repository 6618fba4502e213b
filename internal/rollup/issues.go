package rollup

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
)

// The issue rollup, table issue_rollup, does for the Linear metrics what
// pr_rollup does for the PR ones (METRICS.md: cycle time by cycle end,
// issues_completed by completedAt, and the developers table's issues). Its
// cells are keyed by UTC day, repository and author, where repository 0
// means every repository and author '' everyone, so that each filter reads
// its own cells and an issue counts once in each:
//
//   - (day, 0, ''): every issue, linked or not;
//   - (day, R, ''): issues with a linked PR in repository R;
//   - (day, 0, a): issues with a linked PR by a (lower-case login);
//   - (day, R, a): issues with one linked PR in R by a.
//
// "Linked PR" means a merged one for cycle time and for done_merged_ids (the
// team rule), any one for the completed counts (the repo and author rule of
// issues_completed). The team filter unions its members' cells, so the cells
// keep the issues' ids as well, to count each issue once.
//
// The derive step keeps it current: a full derive rebuilds it; an incremental
// one rebuilds the days of the issues in issue_rollup_dirty, which it marks
// whenever it recomputes an issue's cycle end (for a change of the issue, or
// of one of its linked PRs). An issue's days are its cycle-end day and its
// completion day, now and as last rolled up: the latter are read from the
// (day, 0, '') cells, which list every issue of the table.

// IssuesBuiltKey is the app_state key set once the issue rollup is
// complete; while it is absent readers use linear_issues instead.
const IssuesBuiltKey = "rollup.issues_built"

// IssuesGenKey is the app_state key of the issue rollup's generation (see
// GenKey).
const IssuesGenKey = "rollup.issues_gen"

// MarkIssuesBuilt is MarkBuilt for the issue rollup, its days in
// issue_rollup_days.
func MarkIssuesBuilt(ctx context.Context, tx *store.Tx, days []int64) error {
	return markBuilt(ctx, tx, "issue_rollup_days", IssuesBuiltKey, IssuesGenKey, days)
}

type issueCell struct {
	cycleIDs, cycleTimes []int64 // issues whose cycle ends this day, and their cycle times
	done, completed      int     // issues completed this day: not canceled; any
	doneIDs              []int64 // the done issues
	doneMergedIDs        []int64 // those of them with a merged linked PR in the cell
	canceledIDs          []int64 // completed this day, but canceled
}

// issueLink is one linked PR, as the rollup reads it from pr_facts.
type issueLink struct {
	repo   int64
	author string // lower case; '' when unknown
	merged bool
}

// issue is one Linear issue with its linked PRs.
type issue struct {
	id, created         int64
	cycleEnd, completed sql.NullInt64
	notCanceled         bool
	links               []issueLink
}

type issueBuilder struct {
	keep  func(day int64) bool
	cells map[cellKey]*issueCell
}

func (b *issueBuilder) cell(day int64, k cellKey) *issueCell {
	k.day = day
	c, ok := b.cells[k]
	if !ok {
		c = &issueCell{}
		b.cells[k] = c
	}
	return c
}

// keys lists the cells (without their day) an issue belongs to through its
// links: all of them, or those through merged PRs.
func (x *issue) keys(mergedOnly bool) []cellKey {
	out := []cellKey{}
	add := func(k cellKey) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, l := range x.links {
		if mergedOnly && !l.merged {
			continue
		}
		add(cellKey{repo: l.repo})
		if l.author != "" {
			add(cellKey{author: l.author})
			add(cellKey{repo: l.repo, author: l.author})
		}
	}
	return out
}

// add rolls up one issue; issues come in ascending id order, so that every
// cell's id lists are ascending.
func (b *issueBuilder) add(x *issue) {
	merged := x.keys(true)
	if x.cycleEnd.Valid {
		d, ms := Day(x.cycleEnd.Int64), x.cycleEnd.Int64-x.created
		// A negative cycle time is bad data, not in the population.
		if ms >= 0 && b.keep(d) {
			for _, k := range append(merged, cellKey{}) {
				c := b.cell(d, k)
				c.cycleIDs = append(c.cycleIDs, x.id)
				c.cycleTimes = append(c.cycleTimes, ms)
			}
		}
	}
	if !x.completed.Valid {
		return
	}
	d := Day(x.completed.Int64)
	if !b.keep(d) {
		return
	}
	if len(merged) > 0 {
		merged = append(merged, cellKey{})
	}
	for _, k := range append(x.keys(false), cellKey{}) {
		c := b.cell(d, k)
		c.completed++
		if !x.notCanceled {
			c.canceledIDs = append(c.canceledIDs, x.id)
			continue
		}
		c.done++
		c.doneIDs = append(c.doneIDs, x.id)
		if slices.Contains(merged, k) {
			c.doneMergedIDs = append(c.doneMergedIDs, x.id)
		}
	}
}

// scanIssues reads the issues (with a cycle end or a completion) that where
// selects, with their links, in id order.
func scanIssues(ctx context.Context, query queryFunc, where string, args []any, b *issueBuilder) error {
	rows, err := query(ctx, `/* rollup.issues */ SELECT li.id, li.created_at, c.cycle_end_at, li.completed_at,
		CASE WHEN li.canceled_at IS NULL AND li.state_type NOT IN ('canceled', 'duplicate') THEN 1 ELSE 0 END,
		f.repo_id, f.author_login, CASE WHEN f.merged_at IS NULL THEN 0 ELSE 1 END
		FROM linear_issues li
		LEFT JOIN linear_issue_cycles c ON c.issue_id = li.id
		LEFT JOIN linear_issue_prs l ON l.issue_id = li.id
		LEFT JOIN pr_facts f ON f.pr_id = l.pr_id
		WHERE (c.cycle_end_at IS NOT NULL OR li.completed_at IS NOT NULL)`+where+`
		ORDER BY li.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur issue
	have := false
	for rows.Next() {
		var x issue
		var notCanceled, merged int
		var repo sql.NullInt64
		var author sql.NullString
		if err := rows.Scan(&x.id, &x.created, &x.cycleEnd, &x.completed, &notCanceled, &repo, &author, &merged); err != nil {
			return err
		}
		if !have || x.id != cur.id {
			if have {
				b.add(&cur)
			}
			x.notCanceled = notCanceled == 1
			cur, have = x, true
		}
		if repo.Valid {
			l := issueLink{repo: repo.Int64, merged: merged == 1}
			if author.Valid {
				l.author = strings.ToLower(author.String)
			}
			cur.links = append(cur.links, l)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if have {
		b.add(&cur)
	}
	return nil
}

// RebuildIssues recomputes the issue rollup's rows of days (every day when
// days is nil) from linear_issues, linear_issue_prs and pr_facts, inside tx.
func RebuildIssues(ctx context.Context, tx *store.Tx, days []int64) error {
	if days == nil {
		bi, err := ScanIssues(ctx, tx.Query)
		if err != nil {
			return err
		}
		return bi.Replace(ctx, tx)
	}
	b := &issueBuilder{cells: map[cellKey]*issueCell{}, keep: func(int64) bool { return true }}
	days = slices.Clone(days)
	slices.Sort(days)
	days = slices.Compact(days)
	all := spans(days)
	for len(all) > 0 {
		part := all[:min(spansPerStatement, len(all))]
		all = all[len(part):]
		var cycle, done, del []string
		var args []any
		for _, s := range part {
			lo, hi := "$"+strconv.Itoa(len(args)+1), "$"+strconv.Itoa(len(args)+2)
			args = append(args, s.from*MsPerDay, s.to*MsPerDay)
			cycle = append(cycle, "(cycle_end_at >= "+lo+" AND cycle_end_at < "+hi+")")
			done = append(done, "(completed_at >= "+lo+" AND completed_at < "+hi+")")
			del = append(del, fmt.Sprintf("(day >= %d AND day < %d)", s.from, s.to))
		}
		// An issue whose two days fall in different statements' spans is
		// read by both: each keeps the days of its own spans only.
		partSet := map[int64]bool{}
		for _, s := range part {
			for d := s.from; d < s.to; d++ {
				partSet[d] = true
			}
		}
		b.keep = func(d int64) bool { return partSet[d] }
		// The issues by id, found through the indexes on either day: a
		// condition on the days themselves would have the planner scan
		// every issue in id order.
		if err := scanIssues(ctx, tx.Query, ` AND li.id IN (SELECT issue_id FROM linear_issue_cycles WHERE `+strings.Join(cycle, " OR ")+`
			UNION ALL SELECT id FROM linear_issues WHERE `+strings.Join(done, " OR ")+`)`, args, b); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* rollup.clearIssueDays */ DELETE FROM issue_rollup WHERE `+strings.Join(del, " OR ")); err != nil {
			return err
		}
	}
	return writeIssues(ctx, tx, b)
}

// BuiltIssues is the whole issue rollup, computed (ScanIssues) but not
// stored.
type BuiltIssues struct{ b *issueBuilder }

// ScanIssues computes the whole issue rollup from what query, a write
// transaction's or a read snapshot's, sees of linear_issues,
// linear_issue_prs and pr_facts. A full derive runs it on a second
// connection once the Linear step has written them, beside the steps that
// write none of them, and stores it with Replace.
func ScanIssues(ctx context.Context, query queryFunc) (*BuiltIssues, error) {
	b := &issueBuilder{cells: map[cellKey]*issueCell{}, keep: func(int64) bool { return true }}
	if err := scanIssues(ctx, query, "", nil, b); err != nil {
		return nil, err
	}
	return &BuiltIssues{b}, nil
}

// Replace stores bi in place of every row of the issue rollup, inside tx.
// bi cannot be used again.
func (bi *BuiltIssues) Replace(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.Exec(ctx, `/* rollup.clearIssues */ DELETE FROM issue_rollup`); err != nil {
		return err
	}
	return writeIssues(ctx, tx, bi.b)
}

func writeIssues(ctx context.Context, tx *store.Tx, b *issueBuilder) error {
	keys := make([]cellKey, 0, len(b.cells))
	for k := range b.cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y cellKey) int {
		if x.repo != y.repo {
			return int(x.repo - y.repo)
		}
		if c := strings.Compare(x.author, y.author); c != 0 {
			return c
		}
		return int(x.day - y.day)
	})
	cols := []string{"repo_id", "author", "day", "done", "completed", "cycle_times", "cycle_ids", "done_ids", "done_merged_ids", "canceled_ids"}
	return insertRows(ctx, tx, `/* rollup.writeIssues */ INSERT INTO issue_rollup`, "", cols, keys, func(k cellKey) []any {
		c := b.cells[k]
		delete(b.cells, k)
		return []any{k.repo, k.author, k.day, c.done, c.completed, EncodeList(c.cycleTimes), EncodeIDs(c.cycleIDs),
			EncodeIDs(c.doneIDs), EncodeIDs(c.doneMergedIDs), EncodeIDs(c.canceledIDs)}
	})
}

// MarkIssues records, in tx, that the issues ids need their rollup days
// rebuilt.
func MarkIssues(ctx context.Context, tx *store.Tx, ids []any) error {
	for len(ids) > 0 {
		n := min(500, len(ids))
		list := make([]string, n)
		for i := range list {
			list[i] = "($" + strconv.Itoa(i+1) + ")"
		}
		if _, err := tx.Exec(ctx, `/* rollup.markIssues */ INSERT INTO issue_rollup_dirty (issue_id) VALUES `+
			strings.Join(list, ", ")+` ON CONFLICT (issue_id) DO NOTHING`, ids[:n]...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// DirtyIssueDays returns the days the marked issues touch, as rolled up and
// as they are now; none when no issue is marked.
func DirtyIssueDays(ctx context.Context, tx *store.Tx) ([]int64, error) {
	dirty := map[int64]bool{}
	rows, err := tx.Query(ctx, `/* rollup.dirtyIssues */ SELECT issue_id FROM issue_rollup_dirty`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		dirty[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(dirty) == 0 {
		return nil, err
	}
	days := map[int64]bool{}
	// Their days now.
	rows, err = tx.Query(ctx, `/* rollup.dirtyIssueDays */ SELECT c.cycle_end_at, li.completed_at
		FROM linear_issues li LEFT JOIN linear_issue_cycles c ON c.issue_id = li.id
		WHERE li.id IN (SELECT issue_id FROM issue_rollup_dirty)`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var cycle, done sql.NullInt64
		if err := rows.Scan(&cycle, &done); err != nil {
			rows.Close()
			return nil, err
		}
		for _, v := range []sql.NullInt64{cycle, done} {
			if v.Valid {
				days[Day(v.Int64)] = true
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Their days as rolled up: the (day, 0, '') cells list every issue.
	rows, err = tx.Query(ctx, `/* rollup.issueDaysBefore */ SELECT day, cycle_ids, done_ids, canceled_ids FROM issue_rollup
		WHERE repo_id = 0 AND author = ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var day int64
		var a, b, c []byte
		if err := rows.Scan(&day, &a, &b, &c); err != nil {
			return nil, err
		}
		if days[day] {
			continue
		}
		ids = ids[:0]
		for _, blob := range [][]byte{a, b, c} {
			if ids, err = DecodeIDs(ids, blob); err != nil {
				return nil, err
			}
		}
		for _, id := range ids {
			if dirty[id] {
				days[day] = true
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(days))
	for d := range days {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

// ClearDirtyIssues forgets the marked issues, once rebuilt.
func ClearDirtyIssues(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `/* rollup.clearDirtyIssues */ DELETE FROM issue_rollup_dirty`)
	return err
}
