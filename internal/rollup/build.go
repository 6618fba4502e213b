package rollup

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// Pop names one of a row's value arrays.
type Pop int

// The value arrays of a rollup row, all in milliseconds except Sizes.
const (
	MergeTimes       Pop = iota // merged_at − created_at, of PRs merged that day (negatives excluded)
	Sizes                       // additions + deletions, of every PR merged that day
	ReviewTimes                 // first review − created_at, of PRs first reviewed that day (negatives excluded)
	LeadTimes                   // deployed_at − first commit, of PRs deployed that day (negatives excluded)
	CodingTimes                 // created_at − first commit, of the lead-time population
	PickupTimes                 // first review − created_at, of the lead-time population
	ReviewPhaseTimes            // merged_at − first review, of the lead-time population
	DeployTimes                 // deployed_at − merged_at, of the lead-time population
	NumPops
)

// Column is the column of an array.
func (p Pop) Column() string { return popColumns[p] }

var popColumns = [NumPops]string{"merge_times", "pr_sizes", "review_times", "lead_times", "coding_times", "pickup_times",
	"review_phase_times", "deploy_times"}

// BuiltKey is the app_state key set once the rollup is complete; while it
// is absent (before the first derive that builds it, or during a full
// derive) readers use the facts instead.
const BuiltKey = "rollup.built"

type cellKey struct {
	day, repo int64
	author    string
}

type cell struct {
	login                                     string
	opened, merged, undeployed, reviewed, rvw int
	vals                                      [NumPops][]int64
}

// builder accumulates rollup cells for a set of days.
type builder struct {
	keep  func(day int64) bool
	cells map[cellKey]*cell
	// lags counts the PRs merged on a day by repository, author and lag,
	// in days, from creation to merge; summed over the authors, the
	// repositories or both, they are tables pr_rollup_repo_lags,
	// pr_rollup_author_lags and pr_rollup_lags.
	lags map[lagKey]int
}

type lagKey struct {
	day, repo int64
	author    string
	lag       int64
}

func newBuilder(keep func(day int64) bool) *builder {
	return &builder{keep: keep, cells: map[cellKey]*cell{}, lags: map[lagKey]int{}}
}

func (b *builder) cell(day, repo int64, login sql.NullString) *cell {
	k := cellKey{day, repo, ""}
	if login.Valid {
		k.author = strings.ToLower(login.String)
	}
	c, ok := b.cells[k]
	if !ok {
		c = &cell{}
		b.cells[k] = c
	}
	// The spelling shown: one function of the cell's logins, so that an
	// incremental rebuild and a full one agree.
	if login.Valid && login.String > c.login {
		c.login = login.String
	}
	return c
}

// fact is what the rollup reads of one PR's facts.
type fact struct {
	repo                          int64
	author                        sql.NullString
	created, firstCommit, size    int64
	merged, firstReview, deployed sql.NullInt64
	undeployed                    bool
}

func (b *builder) addFact(f *fact) {
	if d := Day(f.created); b.keep(d) {
		b.cell(d, f.repo, f.author).opened++
	}
	if f.merged.Valid {
		if d := Day(f.merged.Int64); b.keep(d) {
			c := b.cell(d, f.repo, f.author)
			c.merged++
			if f.undeployed {
				c.undeployed++
			}
			add(&c.vals[MergeTimes], f.merged.Int64-f.created)
			c.vals[Sizes] = append(c.vals[Sizes], f.size)
			author := ""
			if f.author.Valid {
				author = strings.ToLower(f.author.String)
			}
			b.lags[lagKey{d, f.repo, author, d - Day(f.created)}]++
		}
	}
	if f.firstReview.Valid {
		if d := Day(f.firstReview.Int64); b.keep(d) {
			c := b.cell(d, f.repo, f.author)
			c.reviewed++
			add(&c.vals[ReviewTimes], f.firstReview.Int64-f.created)
		}
	}
	if f.deployed.Valid {
		if d := Day(f.deployed.Int64); b.keep(d) {
			lead := f.deployed.Int64 - f.firstCommit
			if lead < 0 {
				return // bad data: not in the lead-time population
			}
			c := b.cell(d, f.repo, f.author)
			c.vals[LeadTimes] = append(c.vals[LeadTimes], lead)
			add(&c.vals[CodingTimes], f.created-f.firstCommit)
			add(&c.vals[DeployTimes], f.deployed.Int64-f.merged.Int64)
			if f.firstReview.Valid {
				add(&c.vals[PickupTimes], f.firstReview.Int64-f.created)
				add(&c.vals[ReviewPhaseTimes], f.merged.Int64-f.firstReview.Int64)
			}
		}
	}
}

// add appends a duration unless it is negative (METRICS.md: excluded, never
// clamped).
func add(v *[]int64, ms int64) {
	if ms >= 0 {
		*v = append(*v, ms)
	}
}

// span is a range of days [from, to).
type span struct{ from, to int64 }

// spans collapses sorted days into ranges.
func spans(days []int64) []span {
	var out []span
	for _, d := range days {
		if n := len(out); n > 0 && out[n-1].to == d {
			out[n-1].to++
			continue
		}
		out = append(out, span{d, d + 1})
	}
	return out
}

// spansPerStatement bounds the OR terms of one rebuild query.
const spansPerStatement = 25

// Rebuild recomputes the rollup rows of days (every day when days is nil)
// from pr_facts and pr_reviews, inside tx.
func Rebuild(ctx context.Context, tx *store.Tx, days []int64) error {
	if days == nil {
		bt, err := Scan(ctx, tx.Query)
		if err != nil {
			return err
		}
		return bt.Replace(ctx, tx)
	}
	days = slices.Clone(days)
	slices.Sort(days)
	days = slices.Compact(days)
	set := make(map[int64]bool, len(days))
	for _, d := range days {
		set[d] = true
	}
	b := newBuilder(func(d int64) bool { return set[d] })
	all := spans(days)
	seen := map[int64]bool{} // a PR found through two spans counts once
	for len(all) > 0 {
		part := all[:min(spansPerStatement, len(all))]
		all = all[len(part):]
		var facts, reviews []string
		var args []any
		for _, s := range part {
			lo, hi := "$"+strconv.Itoa(len(args)+1), "$"+strconv.Itoa(len(args)+2)
			args = append(args, s.from*MsPerDay, s.to*MsPerDay)
			for _, col := range []string{"f.created_at", "f.merged_at", "f.first_review_at", "f.deployed_at"} {
				facts = append(facts, "("+col+" >= "+lo+" AND "+col+" < "+hi+")")
			}
			reviews = append(reviews, "(v.submitted_at >= "+lo+" AND v.submitted_at < "+hi+")")
		}
		if err := scanFacts(ctx, tx.Query, " WHERE "+strings.Join(facts, " OR "), args, b, seen); err != nil {
			return err
		}
		if err := scanReviews(ctx, tx.Query, " AND ("+strings.Join(reviews, " OR ")+")", args, b); err != nil {
			return err
		}
		var del []string
		for _, s := range part {
			del = append(del, fmt.Sprintf("(day >= %d AND day < %d)", s.from, s.to))
		}
		for _, table := range Tables {
			if _, err := tx.Exec(ctx, `/* rollup.clearDays */ DELETE FROM `+table+` WHERE `+strings.Join(del, " OR ")); err != nil {
				return err
			}
		}
	}
	return write(ctx, tx, b)
}

// Tables are the PR rollup's tables, which a rebuild rewrites, whole or
// some days of.
var Tables = []string{"pr_rollup", "pr_rollup_lags", "pr_rollup_repo_lags", "pr_rollup_author_lags"}

// Built is the whole rollup, computed and not yet stored.
type Built struct{ b *builder }

// queryFunc runs a query: a write transaction's (store.Tx.Query) or a read
// snapshot's (sql.Tx.QueryContext).
type queryFunc func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

// Scan computes the whole rollup from what query, a read snapshot's (see
// store.ReadSnapshot), sees of pr_facts and pr_reviews. A full derive runs
// it on a second connection while it goes on with the steps that write
// neither table, and stores it with Replace at its end.
func Scan(ctx context.Context, query queryFunc) (*Built, error) {
	b := newBuilder(func(int64) bool { return true })
	if err := scanFacts(ctx, query, "", nil, b, nil); err != nil {
		return nil, err
	}
	if err := scanReviews(ctx, query, "", nil, b); err != nil {
		return nil, err
	}
	return &Built{b}, nil
}

// Replace stores bt in place of every row of the rollup, inside tx. bt
// cannot be used again.
func (bt *Built) Replace(ctx context.Context, tx *store.Tx) error {
	for _, table := range Tables {
		if _, err := tx.Exec(ctx, `/* rollup.clear */ DELETE FROM `+table); err != nil {
			return err
		}
	}
	return write(ctx, tx, bt.b)
}

func scanFacts(ctx context.Context, query queryFunc, where string, args []any, b *builder, seen map[int64]bool) error {
	rows, err := query(ctx, `/* rollup.facts */ SELECT f.pr_id, f.repo_id, f.author_login, f.created_at, f.first_commit_at,
		f.size, f.merged_at, f.first_review_at, f.deployed_at, f.undeployed FROM pr_facts f`+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var f fact
	var id int64
	for rows.Next() {
		if err := rows.Scan(&id, &f.repo, &f.author, &f.created, &f.firstCommit, &f.size, &f.merged, &f.firstReview,
			&f.deployed, &f.undeployed); err != nil {
			return err
		}
		if seen != nil {
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		b.addFact(&f)
	}
	return rows.Err()
}

// scanReviews counts the reviews given, per day, repository and reviewer:
// not pending, by someone other than the PR's author (METRICS.md's
// developers table). The PR's repository and author come from pr_facts,
// whose rows are narrow, rather than from pull_requests.
func scanReviews(ctx context.Context, query queryFunc, where string, args []any, b *builder) error {
	rows, err := query(ctx, `/* rollup.reviews */ SELECT v.submitted_at / `+strconv.Itoa(MsPerDay)+`, p.repo_id, v.author_login, count(*)
		FROM pr_reviews v JOIN pr_facts p ON p.pr_id = v.pr_id
		WHERE v.state <> '`+model.ReviewPending+`' AND v.author_login IS NOT NULL AND v.submitted_at IS NOT NULL
		  AND (p.author_login IS NULL OR lower(p.author_login) <> lower(v.author_login))`+where+`
		GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var day, repo int64
		var login sql.NullString
		var n int
		if err := rows.Scan(&day, &repo, &login, &n); err != nil {
			return err
		}
		if b.keep(day) {
			b.cell(day, repo, login).rvw += n
		}
	}
	return rows.Err()
}

// rowsPerInsert bounds one multi-row INSERT.
const rowsPerInsert = 50

func write(ctx context.Context, tx *store.Tx, b *builder) error {
	keys := make([]cellKey, 0, len(b.cells))
	for k := range b.cells {
		keys = append(keys, k)
	}
	// A stable order, for a stable table.
	slices.SortFunc(keys, func(x, y cellKey) int {
		if x.day != y.day {
			return int(x.day - y.day)
		}
		if x.repo != y.repo {
			return int(x.repo - y.repo)
		}
		return strings.Compare(x.author, y.author)
	})
	cols := []string{"day", "repo_id", "author", "login", "opened", "merged", "undeployed", "reviewed", "reviews_given"}
	cols = append(cols, popColumns[:]...)
	if err := insertRows(ctx, tx, `/* rollup.write */ INSERT INTO pr_rollup`, "", cols, keys, func(k cellKey) []any {
		c := b.cells[k]
		delete(b.cells, k) // let the values go as they are written
		args := []any{k.day, k.repo, k.author, c.login, c.opened, c.merged, c.undeployed, c.reviewed, c.rvw}
		for p := range NumPops {
			args = append(args, Encode(c.vals[p]))
		}
		return args
	}); err != nil {
		return err
	}
	return writeLags(ctx, tx, b.lags)
}

// writeLags writes the lags counted, summed over the authors, the
// repositories and both.
func writeLags(ctx context.Context, tx *store.Tx, lags map[lagKey]int) error {
	for _, t := range []struct {
		table string
		cols  []string
		key   func(lagKey) lagKey // the key summed over what the table leaves out
		row   func(lagKey, int) []any
	}{
		{"pr_rollup_lags", []string{"day", "lag", "n"}, func(k lagKey) lagKey { return lagKey{day: k.day, lag: k.lag} },
			func(k lagKey, n int) []any { return []any{k.day, k.lag, n} }},
		{"pr_rollup_repo_lags", []string{"day", "repo_id", "lag", "n"}, func(k lagKey) lagKey { return lagKey{day: k.day, repo: k.repo, lag: k.lag} },
			func(k lagKey, n int) []any { return []any{k.day, k.repo, k.lag, n} }},
		{"pr_rollup_author_lags", []string{"day", "author", "lag", "n"}, func(k lagKey) lagKey { return lagKey{day: k.day, author: k.author, lag: k.lag} },
			func(k lagKey, n int) []any { return []any{k.day, k.author, k.lag, n} }},
	} {
		sums := map[lagKey]int{}
		for k, n := range lags {
			sums[t.key(k)] += n
		}
		// A stable order, for a stable table.
		keys := slices.SortedFunc(maps.Keys(sums), func(x, y lagKey) int {
			return cmp.Or(cmp.Compare(x.day, y.day), cmp.Compare(x.repo, y.repo), strings.Compare(x.author, y.author), cmp.Compare(x.lag, y.lag))
		})
		if err := insertRows(ctx, tx, `/* rollup.writeLags */ INSERT INTO `+t.table, "", t.cols, keys,
			func(k lagKey) []any { return t.row(k, sums[k]) }); err != nil {
			return err
		}
	}
	return nil
}

// MarkDirty records, in tx, the days that the facts of the PRs ids touch
// (created, merged, first reviewed, deployed, and their reviews), so that
// the next Rebuild of the dirty days covers them. Called before and after
// their facts change, it records both the old and the new days.
func MarkDirty(ctx context.Context, tx *store.Tx, ids []any) error {
	for len(ids) > 0 {
		n := min(500, len(ids))
		list := make([]string, n)
		for i := range list {
			list[i] = "$" + strconv.Itoa(i+1)
		}
		in := strings.Join(list, ", ")
		day := func(col string) string { return col + " / " + strconv.Itoa(MsPerDay) }
		if _, err := tx.Exec(ctx, `/* rollup.markDirty */ INSERT INTO pr_rollup_dirty (day)
			SELECT d FROM (
				SELECT `+day("created_at")+` AS d FROM pr_facts WHERE pr_id IN (`+in+`)
				UNION SELECT `+day("merged_at")+` FROM pr_facts WHERE pr_id IN (`+in+`) AND merged_at IS NOT NULL
				UNION SELECT `+day("first_review_at")+` FROM pr_facts WHERE pr_id IN (`+in+`) AND first_review_at IS NOT NULL
				UNION SELECT `+day("deployed_at")+` FROM pr_facts WHERE pr_id IN (`+in+`) AND deployed_at IS NOT NULL
				UNION SELECT `+day("submitted_at")+` FROM pr_reviews WHERE pr_id IN (`+in+`) AND submitted_at IS NOT NULL
			) days WHERE d IS NOT NULL
			ON CONFLICT (day) DO NOTHING`, ids[:n]...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// DirtyDays reads the days waiting for a rebuild.
func DirtyDays(ctx context.Context, tx *store.Tx) ([]int64, error) {
	rows, err := tx.Query(ctx, `/* rollup.dirtyDays */ SELECT day FROM pr_rollup_dirty ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	days := []int64{}
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		days = append(days, d)
	}
	return days, rows.Err()
}

// ClearDirty forgets the dirty days, once rebuilt.
func ClearDirty(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `/* rollup.clearDirty */ DELETE FROM pr_rollup_dirty`)
	return err
}

// insertRows writes one row per key, rowsPerInsert rows to a statement:
// head is the statement up to the column list, tail what follows the
// values (an ON CONFLICT clause, or nothing), row gives a key's values in
// the order of cols.
func insertRows[K any](ctx context.Context, tx *store.Tx, head, tail string, cols []string, keys []K, row func(K) []any) error {
	for len(keys) > 0 {
		part := keys[:min(rowsPerInsert, len(keys))]
		keys = keys[len(part):]
		var q strings.Builder
		q.WriteString(head + ` (` + strings.Join(cols, ", ") + `) VALUES `)
		args := make([]any, 0, len(part)*len(cols))
		for i, k := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for j := range cols {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString("$" + strconv.Itoa(len(args)+j+1))
			}
			q.WriteString(")")
			args = append(args, row(k)...)
		}
		q.WriteString(tail)
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// GenKey is the app_state key of the rollup's generation: the last one an
// incremental rebuild gave its days in pr_rollup_days.
const GenKey = "rollup.gen"

// MarkBuilt records, in tx, that the rollup days rebuilt (every day when
// days is nil) are complete, for the readers that hold the rollup in
// memory: an incremental rebuild gives its days the next generation in
// pr_rollup_days; a full one forgets the days and gives BuiltKey a new
// value, its epoch, so that such a reader reloads everything.
func MarkBuilt(ctx context.Context, tx *store.Tx, days []int64) error {
	return markBuilt(ctx, tx, "pr_rollup_days", BuiltKey, GenKey, days)
}

func markBuilt(ctx context.Context, tx *store.Tx, daysTable, builtKey, genKey string, days []int64) error {
	epoch := fmt.Sprintf("%d-%s", tx.Now().UnixNano(), rand.Text())
	if days == nil {
		if _, err := tx.Exec(ctx, `/* rollup.forgetDays */ DELETE FROM `+daysTable); err != nil {
			return err
		}
		return tx.SetAppState(ctx, builtKey, epoch)
	}
	var gen int64
	var cur string
	switch err := tx.QueryRow(ctx, `/* rollup.gen */ SELECT value FROM app_state WHERE key = $1`, genKey).Scan(&cur); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		if gen, err = strconv.ParseInt(cur, 10, 64); err != nil {
			return fmt.Errorf("rollup: app_state %s: %w", genKey, err)
		}
	}
	gen++
	days = slices.Clone(days)
	slices.Sort(days)
	days = slices.Compact(days)
	keys := make([]cellKey, len(days))
	for i, d := range days {
		keys[i] = cellKey{day: d}
	}
	if err := insertRows(ctx, tx, `/* rollup.markDays */ INSERT INTO `+daysTable,
		` ON CONFLICT (day) DO UPDATE SET gen = excluded.gen`, []string{"day", "gen"}, keys,
		func(k cellKey) []any { return []any{k.day, gen} }); err != nil {
		return err
	}
	if err := tx.SetAppState(ctx, genKey, strconv.FormatInt(gen, 10)); err != nil {
		return err
	}
	// Built already (an incremental rebuild follows a full one); set it
	// when missing all the same, keeping its epoch otherwise.
	_, err := tx.Exec(ctx, `/* rollup.built */ INSERT INTO app_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		builtKey, epoch)
	return err
}
