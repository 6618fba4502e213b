package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/veelocity/veelocity/internal/model"
)

// Bulk inserts load fresh records many rows per statement, for the demo
// dataset and benchmarks, where the per-record upserts would spend most of
// their time on round trips. Unlike the upserts they fail on a record that
// is already stored; the SQL is plain multi-row INSERT, valid on both
// engines. Unlike the upserts, they do not mark their records dirty: they
// set FullDeriveKey instead, so that the next derive is a full one, which
// reads every record (see dueFull).

// dueFull records that a full derive is due, after n records are inserted.
func (tx *Tx) dueFull(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	return tx.SetAppState(ctx, FullDeriveKey, "due")
}

// maxBulkParams keeps a statement under SQLite's default limit of 32766
// host parameters (PostgreSQL allows 65535).
const maxBulkParams = 32000

// maxBulkRows caps the rows of one statement. Measured loading 100,000 demo
// PRs: on SQLite 100 to 250 rows per statement load fastest (500 is about
// 10% slower, 1000 far slower: big statements cost more to parse and to
// journal); on PostgreSQL 100 to 1000 are within noise of each other, and
// 100 costs the server the least CPU.
const maxBulkRows = 100

// bulkSQL caches the generated statements by dialect, table, columns, row
// count and RETURNING clause.
var bulkSQL sync.Map

// bulkQuery returns a multi-row INSERT. Its placeholders are $1, $2, … on
// PostgreSQL but anonymous ? on SQLite: SQLite treats $N as a named
// parameter and looks each one up in a list, so a statement with thousands
// of them would take quadratic time to prepare and bind.
func bulkQuery(d Dialect, name, table, cols string, ncols, rows int, returning string) string {
	key := d.String() + "|" + table + "|" + cols + "|" + strconv.Itoa(rows) + "|" + returning
	if q, ok := bulkSQL.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("/* " + name + " */ INSERT INTO " + table + " (" + cols + ") VALUES ")
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range ncols {
			if c > 0 {
				b.WriteString(", ")
			}
			if d == SQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			}
			n++
		}
		b.WriteByte(')')
	}
	if returning != "" {
		b.WriteString(" RETURNING " + returning)
	}
	q := b.String()
	bulkSQL.Store(key, q)
	return q
}

// bulkInsert inserts n rows into table, as many per statement as the
// parameter limit allows. row appends the values of row i to args. With a
// RETURNING clause, scan is called for each returned row.
func (tx *Tx) bulkInsert(ctx context.Context, name, table string, cols []string, n int,
	row func(i int, args []any) []any, returning string, scan func(*sql.Rows) error) error {
	ncols := len(cols)
	colList := strings.Join(cols, ", ")
	per := min(maxBulkRows, maxBulkParams/ncols)
	args := make([]any, 0, min(n, per)*ncols)
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		q := bulkQuery(tx.dialect, name, table, colList, ncols, k, returning)
		st, err := tx.stmt(ctx, q)
		if err != nil {
			return fmt.Errorf("store: preparing %s: %w", name, err)
		}
		if returning == "" {
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("store: %s: %w", name, err)
			}
			continue
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("store: %s: %w", name, err)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return fmt.Errorf("store: %s: %w", name, err)
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("store: %s: %w", name, err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: %s: %w", name, err)
		}
	}
	return nil
}

var (
	prCols = []string{"repo_id", "number", "node_id", "title", "body", "state", "draft", "author_login",
		"head_branch", "base_branch", "head_sha", "merge_commit_sha", "additions", "deletions", "changed_files",
		"commit_count", "labels", "html_url", "created_at", "updated_at", "merged_at", "closed_at", "ready_at", "dirty"}
	reviewCols  = []string{"pr_id", "github_id", "author_login", "state", "body", "html_url", "submitted_at"}
	commentCols = []string{"pr_id", "github_id", "kind", "author_login", "body", "html_url", "created_at", "updated_at"}
	commitCols  = []string{"pr_id", "sha", "message_headline", "author_login", "author_name", "authored_at", "committed_at"}
)

// InsertPullRequests inserts new pull requests, each with its RepoID set,
// together with their reviews, comments and commits, and sets their IDs.
// A full derive is due after them (FullDeriveKey).
func (tx *Tx) InsertPullRequests(ctx context.Context, prs []model.PullRequest) error {
	if err := tx.dueFull(ctx, len(prs)); err != nil {
		return err
	}
	type key struct {
		repo   int64
		number int
	}
	ids := make(map[key]int64, len(prs))
	err := tx.bulkInsert(ctx, "Tx.InsertPullRequests", "pull_requests", prCols, len(prs), func(i int, a []any) []any {
		pr := &prs[i]
		return append(a, pr.RepoID, pr.Number, pr.NodeID, pr.Title, pr.Body, pr.State, pr.Draft, nullStr(pr.AuthorLogin),
			pr.HeadBranch, pr.BaseBranch, pr.HeadSHA, nullStr(pr.MergeCommitSHA), pr.Additions, pr.Deletions,
			pr.ChangedFiles, pr.CommitCount, labelsJSON(pr.Labels), pr.HTMLURL, ms(pr.CreatedAt), ms(pr.UpdatedAt),
			nullMS(pr.MergedAt), nullMS(pr.ClosedAt), nullMS(pr.ReadyAt), false)
	}, "id, repo_id, number", func(rows *sql.Rows) error {
		var id int64
		var k key
		if err := rows.Scan(&id, &k.repo, &k.number); err != nil {
			return err
		}
		ids[k] = id
		return nil
	})
	if err != nil {
		return err
	}
	// Flatten the children, each with its PR's id.
	type child struct {
		pr int64
		i  int
	}
	var reviews, comments, commits []child
	for i := range prs {
		pr := &prs[i]
		id, ok := ids[key{pr.RepoID, pr.Number}]
		if !ok {
			return fmt.Errorf("store: inserted PR #%d of repo %d returned no id", pr.Number, pr.RepoID)
		}
		pr.ID = id
		for j := range pr.Reviews {
			reviews = append(reviews, child{int64(i), j})
		}
		for j := range pr.Comments {
			comments = append(comments, child{int64(i), j})
		}
		for j := range pr.Commits {
			commits = append(commits, child{int64(i), j})
		}
	}
	if err := tx.bulkInsert(ctx, "Tx.InsertPullRequests.reviews", "pr_reviews", reviewCols, len(reviews), func(i int, a []any) []any {
		pr := &prs[reviews[i].pr]
		r := &pr.Reviews[reviews[i].i]
		return append(a, pr.ID, r.GitHubID, nullStr(r.AuthorLogin), r.State, r.Body, r.HTMLURL, nullMS(r.SubmittedAt))
	}, "", nil); err != nil {
		return err
	}
	if err := tx.bulkInsert(ctx, "Tx.InsertPullRequests.comments", "pr_comments", commentCols, len(comments), func(i int, a []any) []any {
		pr := &prs[comments[i].pr]
		c := &pr.Comments[comments[i].i]
		return append(a, pr.ID, c.GitHubID, c.Kind, nullStr(c.AuthorLogin), c.Body, c.HTMLURL, ms(c.CreatedAt), nullMS(c.UpdatedAt))
	}, "", nil); err != nil {
		return err
	}
	return tx.bulkInsert(ctx, "Tx.InsertPullRequests.commits", "commits", commitCols, len(commits), func(i int, a []any) []any {
		pr := &prs[commits[i].pr]
		c := &pr.Commits[commits[i].i]
		return append(a, pr.ID, c.SHA, c.MessageHeadline, nullStr(c.AuthorLogin), c.AuthorName, ms(c.AuthoredAt), ms(c.CommittedAt))
	}, "", nil)
}

var runCols = []string{"repo_id", "workflow_id", "github_id", "name", "run_number", "run_attempt", "event", "status",
	"conclusion", "head_sha", "head_branch", "html_url", "created_at", "run_started_at", "updated_at", "dirty"}

// InsertWorkflowRuns inserts new workflow runs, each with its RepoID set;
// a full derive is due after them. Their workflows (by WorkflowGitHubID)
// must already be stored. IDs are not set.
func (tx *Tx) InsertWorkflowRuns(ctx context.Context, runs []model.WorkflowRun) error {
	if err := tx.dueFull(ctx, len(runs)); err != nil {
		return err
	}
	workflows, err := tx.idsByKey(ctx, `/* Tx.InsertWorkflowRuns.workflows */ SELECT github_id, id FROM workflows WHERE github_id IN (%s)`,
		len(runs), func(i int) any { return runs[i].WorkflowGitHubID })
	if err != nil {
		return err
	}
	for i := range runs {
		if _, ok := workflows[fmt.Sprint(runs[i].WorkflowGitHubID)]; !ok {
			return fmt.Errorf("store: run %d names workflow %d, which is not stored", runs[i].GitHubID, runs[i].WorkflowGitHubID)
		}
	}
	return tx.bulkInsert(ctx, "Tx.InsertWorkflowRuns", "workflow_runs", runCols, len(runs), func(i int, a []any) []any {
		r := &runs[i]
		return append(a, r.RepoID, workflows[fmt.Sprint(r.WorkflowGitHubID)], r.GitHubID, r.Name, r.RunNumber,
			max(r.RunAttempt, 1), r.Event, r.Status, nullStr(r.Conclusion), r.HeadSHA, r.HeadBranch, r.HTMLURL,
			ms(r.CreatedAt), nullMS(r.RunStartedAt), ms(r.UpdatedAt), false)
	}, "", nil)
}

var issueCols = []string{"repo_id", "github_id", "number", "title", "state", "labels", "html_url", "created_at",
	"updated_at", "closed_at", "dirty"}

// InsertIssues inserts new GitHub issues, each with its RepoID set; a full
// derive is due after them. IDs are not set.
func (tx *Tx) InsertIssues(ctx context.Context, issues []model.Issue) error {
	if err := tx.dueFull(ctx, len(issues)); err != nil {
		return err
	}
	return tx.bulkInsert(ctx, "Tx.InsertIssues", "github_issues", issueCols, len(issues), func(i int, a []any) []any {
		is := &issues[i]
		return append(a, is.RepoID, is.GitHubID, is.Number, is.Title, is.State, labelsJSON(is.Labels), is.HTMLURL,
			ms(is.CreatedAt), ms(is.UpdatedAt), nullMS(is.ClosedAt), false)
	}, "", nil)
}

var (
	linearIssueCols = []string{"team_id", "linear_id", "identifier", "number", "title", "url", "branch_name",
		"state_name", "state_type", "priority", "estimate", "assignee_name", "assignee_email", "labels", "created_at",
		"updated_at", "started_at", "completed_at", "canceled_at", "dirty"}
	attachmentCols = []string{"issue_id", "linear_id", "url", "source_type", "pr_key"}
)

// InsertLinearIssues inserts new Linear issues with their attachments; a
// full derive is due after them. Their teams (by TeamLinearID) must
// already be stored. It sets their IDs.
func (tx *Tx) InsertLinearIssues(ctx context.Context, issues []model.LinearIssue) error {
	if err := tx.dueFull(ctx, len(issues)); err != nil {
		return err
	}
	teams, err := tx.idsByKey(ctx, `/* Tx.InsertLinearIssues.teams */ SELECT linear_id, id FROM linear_teams WHERE linear_id IN (%s)`,
		len(issues), func(i int) any { return issues[i].TeamLinearID })
	if err != nil {
		return err
	}
	for i := range issues {
		if _, ok := teams[issues[i].TeamLinearID]; !ok {
			return fmt.Errorf("store: Linear issue %s names team %s, which is not stored", issues[i].Identifier, issues[i].TeamLinearID)
		}
	}
	ids := make(map[string]int64, len(issues))
	err = tx.bulkInsert(ctx, "Tx.InsertLinearIssues", "linear_issues", linearIssueCols, len(issues), func(i int, a []any) []any {
		is := &issues[i]
		return append(a, teams[is.TeamLinearID], is.LinearID, is.Identifier, is.Number, is.Title, is.URL, is.BranchName,
			is.StateName, is.StateType, is.Priority, is.Estimate, is.AssigneeName, is.AssigneeEmail, labelsJSON(is.Labels),
			ms(is.CreatedAt), ms(is.UpdatedAt), nullMS(is.StartedAt), nullMS(is.CompletedAt), nullMS(is.CanceledAt), false)
	}, "id, linear_id", func(rows *sql.Rows) error {
		var id int64
		var lid string
		if err := rows.Scan(&id, &lid); err != nil {
			return err
		}
		ids[lid] = id
		return nil
	})
	if err != nil {
		return err
	}
	type att struct{ issue, i int }
	var atts []att
	for i := range issues {
		issues[i].ID = ids[issues[i].LinearID]
		for j := range issues[i].Attachments {
			atts = append(atts, att{i, j})
		}
	}
	return tx.bulkInsert(ctx, "Tx.InsertLinearIssues.attachments", "linear_attachments", attachmentCols, len(atts), func(i int, a []any) []any {
		is := &issues[atts[i].issue]
		at := &is.Attachments[atts[i].i]
		return append(a, is.ID, at.LinearID, at.URL, at.SourceType, attachmentPRKey(at.URL))
	}, "", nil)
}

// idsByKey maps the distinct keys of n records (key(i)) to internal ids with
// query, whose %s is replaced by the IN list. Keys are compared as text.
func (tx *Tx) idsByKey(ctx context.Context, query string, n int, key func(i int) any) (map[string]int64, error) {
	seen := map[string]bool{}
	var args []any
	for i := range n {
		k := key(i)
		if s := fmt.Sprint(k); !seen[s] {
			seen[s] = true
			args = append(args, k)
		}
	}
	out := make(map[string]int64, len(args))
	for len(args) > 0 {
		chunk := args[:min(len(args), 500)]
		args = args[len(chunk):]
		list := make([]string, len(chunk))
		for i := range chunk {
			list[i] = "$" + strconv.Itoa(i+1)
		}
		rows, err := tx.tx.QueryContext(ctx, strings.Replace(query, "%s", strings.Join(list, ", "), 1), chunk...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			var id int64
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sqliteBulkPragmas tune SQLite's write connection for a bulk load: a page
// cache large enough that the indexes being filled stay in memory, fewer
// WAL checkpoints (each rewrites every page changed since the last), and
// statement journals in memory. Each is restored afterwards.
var sqliteBulkPragmas = []pragma{
	{"cache_size", "-65536"}, // KiB: 64 MiB
	{"wal_autocheckpoint", "16384"},
	{"temp_store", "2"}, // MEMORY
}

// sqliteDerivePragmas tune it for a full derive: fewer WAL checkpoints
// alone. A checkpoint every 1,000 pages (SQLite's default) made the first
// derive of a million PRs wait on 731 fsyncs, 3.2 s in all, and copy the
// pages its batches change again and again; a larger page cache would
// take its peak RSS past 512 MiB.
var sqliteDerivePragmas = []pragma{{"wal_autocheckpoint", "16384"}}

type pragma struct{ name, value string }

// BulkLoad runs fn, which writes many records in many transactions, with
// the write connection tuned for it. On PostgreSQL it simply runs fn.
func (s *Store) BulkLoad(ctx context.Context, fn func() error) error {
	return s.withWritePragmas(ctx, sqliteBulkPragmas, "TRUNCATE", fn)
}

// BulkDerive runs fn, a full derive, with the write connection tuned for
// it. On PostgreSQL it simply runs fn.
func (s *Store) BulkDerive(ctx context.Context, fn func() error) error {
	// A passive checkpoint at the end: serve's readers may be reading,
	// and a full one would wait for them.
	return s.withWritePragmas(ctx, sqliteDerivePragmas, "PASSIVE", fn)
}

// withWritePragmas runs fn with pragmas set on SQLite's write connection,
// restores them, and folds the WAL back into the database with a
// checkpoint of the given mode, so that it does not stay large.
func (s *Store) withWritePragmas(ctx context.Context, pragmas []pragma, checkpoint string, fn func() error) error {
	if s.dialect != SQLite {
		return fn()
	}
	// The write pool is one connection, so the pragmas apply to every
	// transaction fn runs.
	saved := make([]string, len(pragmas))
	for i, p := range pragmas {
		if err := s.write.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&saved[i]); err != nil {
			return fmt.Errorf("store: reading PRAGMA %s: %w", p.name, err)
		}
		if _, err := s.write.ExecContext(ctx, "PRAGMA "+p.name+" = "+p.value); err != nil {
			return fmt.Errorf("store: setting PRAGMA %s: %w", p.name, err)
		}
	}
	err := fn()
	// Restore even when ctx is done.
	restore := context.WithoutCancel(ctx)
	for i, p := range pragmas {
		if _, rerr := s.write.ExecContext(restore, "PRAGMA "+p.name+" = "+saved[i]); rerr != nil && err == nil {
			err = fmt.Errorf("store: restoring PRAGMA %s: %w", p.name, rerr)
		}
	}
	if _, cerr := s.write.ExecContext(restore, "PRAGMA wal_checkpoint("+checkpoint+")"); cerr != nil && err == nil {
		err = fmt.Errorf("store: checkpointing: %w", cerr)
	}
	return err
}

// ClearTx runs fn in one write transaction, like Tx, in which ClearTables
// is fast. On SQLite it runs with foreign keys unenforced, which lets each
// DELETE drop a table's pages at once instead of row by row; ClearTables
// checks that nothing is left pointing at a deleted row, so fn must only
// clear tables and write rows that refer to nothing.
func (s *Store) ClearTx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.dialect != SQLite {
		return s.Tx(ctx, fn)
	}
	// Pin the write connection: foreign_keys can only change outside a
	// transaction, and must be back on before anyone else uses it.
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); err != nil {
			// A connection that cannot enforce them again must not be reused.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, dialect: s.dialect, now: s.Now(), stmts: map[string]*sql.Stmt{}}
	defer tx.closeStmts()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	s.writeSeq.Add(1)
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// ClearTables deletes every row of tables, which must include every table
// that refers to them, and restarts their ids. On PostgreSQL it is one
// TRUNCATE; on SQLite, inside ClearTx, it fails if a row of another table
// still points at a deleted one, so a table missing from the list is never
// left dangling.
func (tx *Tx) ClearTables(ctx context.Context, tables ...string) error {
	if len(tables) == 0 {
		return nil
	}
	if tx.dialect == Postgres {
		if _, err := tx.tx.ExecContext(ctx, `/* Tx.ClearTables */ TRUNCATE `+strings.Join(tables, ", ")+` RESTART IDENTITY`); err != nil {
			return fmt.Errorf("store: clearing tables: %w", err)
		}
		return nil
	}
	for _, t := range tables {
		if _, err := tx.tx.ExecContext(ctx, `/* Tx.ClearTables */ DELETE FROM `+t); err != nil {
			return fmt.Errorf("store: clearing %s: %w", t, err)
		}
	}
	rows, err := tx.tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("store: checking foreign keys: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("store: checking foreign keys: %w", err)
		}
		return fmt.Errorf("store: clearing would leave rows of %s pointing at deleted rows of %s", table, parent)
	}
	return rows.Err()
}
