package store

import (
	"context"
	"fmt"

	"github.com/veelocity/veelocity/internal/model"
)

// UpsertLinearTeam inserts or updates a Linear team, keyed on its Linear id,
// and returns its internal id.
func (tx *Tx) UpsertLinearTeam(ctx context.Context, t *model.LinearTeam) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertLinearTeam */
		INSERT INTO linear_teams (linear_id, key, name) VALUES ($1, $2, $3)
		ON CONFLICT (linear_id) DO UPDATE SET key = excluded.key, name = excluded.name
		RETURNING id`, t.LinearID, t.Key, t.Name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting Linear team %s: %w", t.Key, err)
	}
	t.ID = id
	return id, nil
}

// UpsertLinearIssue inserts or updates a Linear issue, keyed on its Linear
// id, with its attachments, and marks it for the derive step. Its team (by
// TeamLinearID) must already be stored.
func (tx *Tx) UpsertLinearIssue(ctx context.Context, is *model.LinearIssue) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertLinearIssue */
		INSERT INTO linear_issues (team_id, linear_id, identifier, number, title, url, branch_name, state_name,
			state_type, priority, estimate, assignee_name, assignee_email, labels, created_at, updated_at,
			started_at, completed_at, canceled_at, dirty)
		SELECT t.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, TRUE
		FROM linear_teams t WHERE t.linear_id = $1
		ON CONFLICT (linear_id) DO UPDATE SET
			team_id = excluded.team_id, identifier = excluded.identifier, number = excluded.number,
			title = excluded.title, url = excluded.url, branch_name = excluded.branch_name,
			state_name = excluded.state_name, state_type = excluded.state_type, priority = excluded.priority,
			estimate = excluded.estimate, assignee_name = excluded.assignee_name,
			assignee_email = excluded.assignee_email, labels = excluded.labels, created_at = excluded.created_at,
			updated_at = excluded.updated_at, started_at = excluded.started_at,
			completed_at = excluded.completed_at, canceled_at = excluded.canceled_at, dirty = TRUE
		RETURNING id`,
		is.TeamLinearID, is.LinearID, is.Identifier, is.Number, is.Title, is.URL, is.BranchName, is.StateName,
		is.StateType, is.Priority, is.Estimate, is.AssigneeName, is.AssigneeEmail, labelsJSON(is.Labels),
		ms(is.CreatedAt), ms(is.UpdatedAt), nullMS(is.StartedAt), nullMS(is.CompletedAt), nullMS(is.CanceledAt)).Scan(&id)
	if err != nil {
		if notFound(err) == ErrNotFound {
			return 0, fmt.Errorf("store: Linear issue %s names team %s, which is not stored", is.Identifier, is.TeamLinearID)
		}
		return 0, fmt.Errorf("store: upserting Linear issue %s: %w", is.Identifier, err)
	}
	is.ID = id
	for _, a := range is.Attachments {
		if _, err := tx.execStmt(ctx, `/* Tx.UpsertLinearIssue.attachment */
			INSERT INTO linear_attachments (issue_id, linear_id, url, source_type, pr_key) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (linear_id) DO UPDATE SET issue_id = excluded.issue_id, url = excluded.url,
				source_type = excluded.source_type, pr_key = excluded.pr_key`, id, a.LinearID, a.URL, a.SourceType,
			attachmentPRKey(a.URL)); err != nil {
			return 0, fmt.Errorf("store: upserting attachment of %s: %w", is.Identifier, err)
		}
	}
	return id, nil
}

// attachmentPRKey is the PR key of an attachment's URL (model.PRKeyFromURL),
// or NULL. The derive step keeps pr_key current (it recomputes it from the
// URL); written with the attachment, it needs no second write of the row
// there, which for a first derive of a million PRs was 400,000 updates.
func attachmentPRKey(url string) any {
	if key, ok := model.PRKeyFromURL(url); ok {
		return key
	}
	return nil
}
