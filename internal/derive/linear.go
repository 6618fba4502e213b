package derive

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// linearIssues processes changed Linear issues: a labelled issue that was
// not canceled is an incident (opened at creation, resolved at completion);
// its attachments' PR keys are set; its links to PRs are replaced (PRs that
// mention its identifier, PRs its attachments name); its cycle end is
// recomputed. In batches (runBatches: two at a time in a full run on
// PostgreSQL, each read ahead on SQLite).
func (d *Deriver) linearIssues(ctx context.Context, st *Stats) error {
	full := d.mode == Full
	if err := runBatches(ctx, d, batchStep[*issueRead]{name: linearStep, table: "linear_issues", alias: "l", what: "Linear",
		read: func(ctx context.Context, q querier, cond string, args []any) (*issueRead, error) {
			return readIssueBatch(ctx, q, cond, args, full)
		},
		rows: func(b *issueRead) (int, int64) {
			if b == nil {
				return 0, 0
			}
			return len(b.issues), b.issues[len(b.issues)-1].id
		},
		write: d.issueBatch,
	}, &st.Issues); err != nil {
		return err
	}
	// The derived tables are filled: the foreign keys a first run
	// deferred (Run) are checked and added again.
	return d.tx(ctx, func(tx *store.Tx) error { return tx.RestoreForeignKeys(ctx) })
}

// deferredFKTables are the tables whose foreign keys a first full run
// defers (store.Tx.DeferForeignKeys) until the end of the Linear step.
var deferredFKTables = []string{"pr_facts", "pr_mentions", "linear_issue_prs", "linear_issue_cycles"}

// linearStep names the Linear step.
const linearStep = "Linear issues"

// linearRow is what the Linear step reads of an issue.
type linearRow struct {
	id                          int64
	linearID, ident, title, url string
	stateType, labels           string
	created                     int64
	completed, canceled         sql.NullInt64
	// cycleEnd and cycleCreated are its row of linear_issue_cycles, if
	// any.
	cycleEnd, cycleCreated sql.NullInt64
}

// readIssues reads a batch of issues (cond and args as from pick: $1 is
// the LIMIT).
func readIssues(ctx context.Context, tx querier, cond string, args []any) ([]linearRow, error) {
	rows, err := tx.Query(ctx, `/* derive.linearIssues */
		SELECT l.id, l.linear_id, l.identifier, l.title, l.url, l.state_type, l.labels, l.created_at, l.completed_at, l.canceled_at
		FROM linear_issues l WHERE `+cond+` ORDER BY l.id LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var issues []linearRow
	for rows.Next() {
		var x linearRow
		if err := rows.Scan(&x.id, &x.linearID, &x.ident, &x.title, &x.url, &x.stateType, &x.labels, &x.created,
			&x.completed, &x.canceled); err != nil {
			return nil, err
		}
		issues = append(issues, x)
	}
	return issues, rows.Err()
}

// issueRead is what a batch of issues needs read, before anything is
// written: the issues, and what they link to.
type issueRead struct {
	issues []linearRow
	ids    []any
	links  *issueLinks
}

// readIssueBatch reads a batch of issues (cond and args as from pick) and
// their links; nil when there are none.
func readIssueBatch(ctx context.Context, q querier, cond string, args []any, full bool) (*issueRead, error) {
	issues, err := readIssues(ctx, q, cond, args)
	if err != nil || len(issues) == 0 {
		return nil, err
	}
	b := &issueRead{issues: issues, ids: make([]any, len(issues))}
	idents := make(map[int64]string, len(issues))
	for i, x := range issues {
		b.ids[i] = x.id
		idents[x.id] = strings.ToUpper(x.ident)
	}
	if err := readCycleEnds(ctx, q, issues, b.ids, full); err != nil {
		return nil, err
	}
	b.links, err = readIssueLinks(ctx, q, b.ids, idents, full)
	return b, err
}

// readCycleEnds reads the stored cycle ends of issues (ids, in order): in
// a full run (full) by their range of ids. (A separate read, not a join in
// readIssues: PostgreSQL planned that join over statistics taken while the
// table was empty, and scanned all of it for every batch of a first derive.)
func readCycleEnds(ctx context.Context, q querier, issues []linearRow, ids []any, full bool) error {
	at := make(map[int64]int, len(issues))
	for i, x := range issues {
		at[x.id] = i
	}
	scan := func(rows *sql.Rows) error {
		var id int64
		var end, created sql.NullInt64
		if err := rows.Scan(&id, &end, &created); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			issues[i].cycleEnd, issues[i].cycleCreated = end, created
		}
		return nil
	}
	if !full {
		return queryIn(ctx, q, `/* derive.cycleEnds */ SELECT issue_id, cycle_end_at, created_at FROM linear_issue_cycles
			WHERE issue_id IN (%s)`, ids, scan)
	}
	rows, err := q.Query(ctx, `/* derive.rangeCycleEnds */ SELECT issue_id, cycle_end_at, created_at FROM linear_issue_cycles
		WHERE issue_id >= $1 AND issue_id <= $2`, ids[0], ids[len(ids)-1])
	if err != nil {
		return err
	}
	return eachRow(rows, scan)
}

// issueBatch derives a batch of issues, read by readIssueBatch, in tx.
func (d *Deriver) issueBatch(ctx context.Context, tx *store.Tx, b *issueRead) error {
	var incidents []model.Incident
	var gone []string
	affected := idSet{}
	for _, x := range b.issues {
		affected.add(x.id)
		var labels []string
		json.Unmarshal([]byte(x.labels), &labels)
		if HasLabel(labels, d.opts.IncidentLabels) && !isCanceled(x.stateType, x.canceled) {
			incidents = append(incidents, model.Incident{Source: model.SourceLinear, ExternalID: x.linearID,
				Title: x.ident + " " + x.title, URL: x.url, OpenedAt: store.FromMS(x.created), ResolvedAt: msPtr(x.completed)})
		} else {
			gone = append(gone, x.linearID)
		}
	}
	if err := b.links.write(ctx, tx, b.ids, d.mode == Full); err != nil {
		return err
	}
	if err := d.writeIncidents(ctx, tx, model.SourceLinear, incidents, gone); err != nil {
		return err
	}
	// Their cycle ends, from their links: only the changed ones are
	// written.
	if err := d.markIssues(ctx, tx, affected); err != nil {
		return err
	}
	var set [][]any
	var unset []any
	for _, x := range b.issues {
		end, ok := b.links.ends[x.id]
		switch {
		case ok && (!x.cycleEnd.Valid || x.cycleEnd.Int64 != end || x.cycleCreated.Int64 != x.created):
			set = append(set, []any{x.id, end, x.created})
		case !ok && x.cycleEnd.Valid:
			unset = append(unset, x.id)
		}
	}
	if err := setCycleEnds(ctx, tx, set, unset); err != nil {
		return err
	}
	return d.clearDirty(ctx, tx, "linear_issues", b.ids)
}

// setCycleEnds writes the cycle ends of issues that have one now (set: the
// issue's id, cycle end and creation) and removes those of issues that
// have none now (unset: their ids).
func setCycleEnds(ctx context.Context, tx *store.Tx, set [][]any, unset []any) error {
	if err := execIn(ctx, tx, `DELETE FROM linear_issue_cycles WHERE issue_id IN (%s)`, unset); err != nil {
		return err
	}
	return insertRows(ctx, tx, `/* derive.setCycleEnds */ INSERT INTO linear_issue_cycles (issue_id, cycle_end_at, created_at) VALUES %s
		ON CONFLICT (issue_id) DO UPDATE SET cycle_end_at = excluded.cycle_end_at, created_at = excluded.created_at`,
		[]string{"bigint", "bigint", "bigint"}, set)
}

// isCanceled reports whether a Linear issue was canceled (or closed as a
// duplicate, which Linear also treats as a cancellation).
func isCanceled(stateType string, canceledAt sql.NullInt64) bool {
	return stateType == "canceled" || stateType == "duplicate" || canceledAt.Valid
}

// issueLinks is what a batch of issues links to: PRs that mention their
// identifiers (pr_mentions, kept by the PR step) and PRs that an
// attachment names.
type issueLinks struct {
	links linkSet
	// ends are the issues' cycle ends (METRICS.md: the latest merge among
	// their merged linked PRs), for those that have one.
	ends map[int64]int64
	// keys are the attachments' PR keys that change.
	keys []idValue
	// stored says (in a full run) that the batch's range of ids holds
	// these links already.
	stored bool
}

// readIssueLinks reads what a batch of issues (ids, in order; idents their
// identifiers, upper case) links to. In a full run (full) the batch is
// every issue of its range of ids.
func readIssueLinks(ctx context.Context, tx querier, ids []any, idents map[int64]string, full bool) (*issueLinks, error) {
	out := &issueLinks{}
	links := &out.links
	merged := map[int64]int64{} // of the merged PRs linked
	issueByIdent := map[string][]int64{}
	var identArgs []any
	for id, ident := range idents {
		if len(issueByIdent[ident]) == 0 {
			identArgs = append(identArgs, ident)
		}
		issueByIdent[ident] = append(issueByIdent[ident], id)
	}
	if err := queryIn(ctx, tx, `/* derive.mentionedBy */ SELECT m.pr_id, m.identifier, p.merged_at
		FROM pr_mentions m JOIN pull_requests p ON p.id = m.pr_id WHERE m.identifier IN (%s)`,
		identArgs, func(rows *sql.Rows) error {
			var pr int64
			var ident string
			var at sql.NullInt64
			if err := rows.Scan(&pr, &ident, &at); err != nil {
				return err
			}
			if at.Valid {
				merged[pr] = at.Int64
			}
			for _, issue := range issueByIdent[ident] {
				links.add(issue, pr, "identifier")
			}
			return nil
		}); err != nil {
		return nil, err
	}
	// The attachments' PR keys, and the PRs they name.
	type att struct {
		id, issue int64
		key       sql.NullString
	}
	var atts []att
	if err := queryIn(ctx, tx, `/* derive.issueAttachments */ SELECT id, issue_id, url, pr_key FROM linear_attachments WHERE issue_id IN (%s)`,
		ids, func(rows *sql.Rows) error {
			var a att
			var url string
			var old sql.NullString
			if err := rows.Scan(&a.id, &a.issue, &url, &old); err != nil {
				return err
			}
			key, ok := PRKeyFromURL(url)
			a.key = sql.NullString{String: key, Valid: ok}
			atts = append(atts, a)
			if a.key != old {
				var v any
				if a.key.Valid {
					v = a.key.String
				}
				out.keys = append(out.keys, idValue{a.id, v})
			}
			return nil
		}); err != nil {
		return nil, err
	}
	numbersByRepo := map[string][]any{}
	for _, a := range atts {
		if a.key.Valid {
			repo, num, _ := strings.Cut(a.key.String, "#")
			n, _ := strconv.Atoi(num)
			numbersByRepo[repo] = append(numbersByRepo[repo], n)
		}
	}
	prByKey := map[string]int64{}
	for repo, numbers := range numbersByRepo {
		if err := queryIn(ctx, tx, `/* derive.prsByKey */ SELECT p.id, p.number, p.merged_at FROM pull_requests p
			WHERE p.repo_id = (SELECT id FROM repositories WHERE full_name_key = $1) AND p.number IN (%s)`,
			numbers, func(rows *sql.Rows) error {
				var id int64
				var n int
				var at sql.NullInt64
				if err := rows.Scan(&id, &n, &at); err != nil {
					return err
				}
				if at.Valid {
					merged[id] = at.Int64
				}
				prByKey[PRKey(repo, n)] = id
				return nil
			}, repo); err != nil {
			return nil, err
		}
	}
	for _, a := range atts {
		if pr, ok := prByKey[a.key.String]; ok && a.key.Valid {
			links.add(a.issue, pr, "attachment")
		}
	}
	out.ends = map[int64]int64{}
	for _, l := range links.order {
		if at, ok := merged[l.pr]; ok {
			if end, seen := out.ends[l.issue]; !seen || at > end {
				out.ends[l.issue] = at
			}
		}
	}
	if full && len(ids) > 0 {
		var err error
		out.stored, err = storedRowsEqual(ctx, tx, `/* derive.storedLinks */ SELECT issue_id, pr_id, via FROM linear_issue_prs
			WHERE issue_id >= $1 AND issue_id <= $2`, []any{ids[0], ids[len(ids)-1]}, links.rows())
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// write sets the PR keys of the batch's attachments and replaces the
// batch's links (ids, in order), in tx.
func (l *issueLinks) write(ctx context.Context, tx *store.Tx, ids []any, full bool) error {
	if err := setByID(ctx, tx, "linear_attachments", "pr_key", "TEXT", l.keys); err != nil {
		return err
	}
	switch {
	case len(ids) == 0 || l.stored:
		return nil
	case full:
		// A full run's batch is every issue of its range of ids: delete
		// by range (see writePRLinks).
		if _, err := tx.Exec(ctx, `DELETE FROM linear_issue_prs WHERE issue_id >= $1 AND issue_id <= $2`, ids[0], ids[len(ids)-1]); err != nil {
			return err
		}
	default:
		if err := execIn(ctx, tx, `DELETE FROM linear_issue_prs WHERE issue_id IN (%s)`, ids); err != nil {
			return err
		}
	}
	return l.links.insert(ctx, tx)
}
