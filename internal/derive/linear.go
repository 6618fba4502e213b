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
// recomputed.
func (d *Deriver) linearIssues(ctx context.Context, st *Stats) error {
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `/* derive.linearIssues */
				SELECT id, linear_id, identifier, title, url, state_type, labels, created_at, completed_at, canceled_at
				FROM linear_issues WHERE dirty ORDER BY id LIMIT $1`, batchSize)
			if err != nil {
				return err
			}
			type issue struct {
				id                          int64
				linearID, ident, title, url string
				stateType, labels           string
				created                     int64
				completed, canceled         sql.NullInt64
			}
			var issues []issue
			for rows.Next() {
				var x issue
				if err := rows.Scan(&x.id, &x.linearID, &x.ident, &x.title, &x.url, &x.stateType, &x.labels, &x.created,
					&x.completed, &x.canceled); err != nil {
					rows.Close()
					return err
				}
				issues = append(issues, x)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			var incidents []model.Incident
			var gone []string
			ids := make([]any, 0, len(issues))
			affected := idSet{}
			for _, x := range issues {
				ids = append(ids, x.id)
				affected.add(x.id)
				var labels []string
				json.Unmarshal([]byte(x.labels), &labels)
				if HasLabel(labels, d.opts.IncidentLabels) && !isCanceled(x.stateType, x.canceled) {
					incidents = append(incidents, model.Incident{Source: model.SourceLinear, ExternalID: x.linearID,
						Title: x.ident + " " + x.title, URL: x.url, OpenedAt: store.FromMS(x.created), ResolvedAt: msPtr(x.completed)})
				} else {
					gone = append(gone, x.linearID)
				}
				if err := writeIssueLinks(ctx, tx, x.id, strings.ToUpper(x.ident)); err != nil {
					return err
				}
			}
			if err := d.writeIncidents(ctx, tx, model.SourceLinear, incidents, gone); err != nil {
				return err
			}
			if err := updateCycleEnd(ctx, tx, affected); err != nil {
				return err
			}
			n = len(issues)
			st.Issues += n
			return execIn(ctx, tx, `UPDATE linear_issues SET dirty = FALSE WHERE id IN (%s)`, ids)
		})
		if err != nil || n < batchSize {
			return err
		}
	}
}

// isCanceled reports whether a Linear issue was canceled (or closed as a
// duplicate, which Linear also treats as a cancellation).
func isCanceled(stateType string, canceledAt sql.NullInt64) bool {
	return stateType == "canceled" || stateType == "duplicate" || canceledAt.Valid
}

// writeIssueLinks sets the PR keys of an issue's attachments and replaces its
// links: PRs that mention its identifier (pr_mentions, kept by the PR step)
// and PRs that an attachment names.
func writeIssueLinks(ctx context.Context, tx *store.Tx, issueID int64, ident string) error {
	rows, err := tx.QueryPrepared(ctx, `/* derive.issueAttachments */ SELECT id, url FROM linear_attachments WHERE issue_id = $1`, issueID)
	if err != nil {
		return err
	}
	type att struct {
		id  int64
		url string
	}
	var atts []att
	for rows.Next() {
		var a att
		if err := rows.Scan(&a.id, &a.url); err != nil {
			rows.Close()
			return err
		}
		atts = append(atts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	links := map[int64]string{}
	mentioned, err := queryIDs(ctx, tx, `/* derive.mentionedBy */ SELECT pr_id FROM pr_mentions WHERE identifier = $1`, ident)
	if err != nil {
		return err
	}
	for _, id := range mentioned {
		links[id] = "identifier"
	}
	for _, a := range atts {
		key, ok := PRKeyFromURL(a.url)
		var keyArg any
		if ok {
			keyArg = key
		}
		if _, err := tx.ExecPrepared(ctx, `UPDATE linear_attachments SET pr_key = $2 WHERE id = $1`, a.id, keyArg); err != nil {
			return err
		}
		if !ok {
			continue
		}
		repo, num, _ := strings.Cut(key, "#")
		n, _ := strconv.Atoi(num)
		prIDs, err := queryIDs(ctx, tx, `/* derive.prByKey */
			SELECT p.id FROM pull_requests p JOIN repositories r ON r.id = p.repo_id
			WHERE r.full_name_key = $1 AND p.number = $2`, repo, n)
		if err != nil {
			return err
		}
		for _, id := range prIDs {
			if _, ok := links[id]; !ok {
				links[id] = "attachment"
			}
		}
	}
	if _, err := tx.ExecPrepared(ctx, `DELETE FROM linear_issue_prs WHERE issue_id = $1`, issueID); err != nil {
		return err
	}
	for prID, via := range links {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO linear_issue_prs (issue_id, pr_id, via) VALUES ($1, $2, $3)`,
			issueID, prID, via); err != nil {
			return err
		}
	}
	return nil
}
