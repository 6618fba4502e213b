package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// PruneLinearAttachments deletes the attachments of issue issueID whose
// Linear ids are not in keep, so an attachment removed in Linear (a PR
// unlinked from the issue) is removed here too. Call it after
// UpsertLinearIssue with the issue's complete attachment list.
func (tx *Tx) PruneLinearAttachments(ctx context.Context, issueID int64, keep []string) error {
	query := `/* Tx.PruneLinearAttachments */ DELETE FROM linear_attachments WHERE issue_id = $1`
	args := []any{issueID}
	if len(keep) > 0 {
		marks := make([]string, len(keep))
		for i, id := range keep {
			marks[i] = "$" + strconv.Itoa(i+2)
			args = append(args, id)
		}
		query += ` AND linear_id NOT IN (` + strings.Join(marks, ", ") + `)`
	}
	if _, err := tx.tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("store: pruning attachments of Linear issue %d: %w", issueID, err)
	}
	return nil
}
