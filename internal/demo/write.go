package demo

import (
	"context"

	"github.com/veelocity/veelocity/internal/store"
)

// writer writes a batch's records in a transaction.
type writer func(ctx context.Context, tx *store.Tx, b *batch) error

// writeBulk writes a batch with multi-row INSERTs: many records per
// statement, which is what makes a million PRs load in minutes.
func writeBulk(ctx context.Context, tx *store.Tx, b *batch) error {
	if err := tx.InsertPullRequests(ctx, b.prs); err != nil {
		return err
	}
	if err := tx.InsertWorkflowRuns(ctx, b.runs); err != nil {
		return err
	}
	if err := tx.InsertIssues(ctx, b.issues); err != nil {
		return err
	}
	if err := writeGitHubDeployments(ctx, tx, b); err != nil {
		return err
	}
	return tx.InsertLinearIssues(ctx, b.linear)
}

// writeUpserts writes a batch through the per-record upserts that syncs
// use. It gives the same data as writeBulk, more slowly; the benchmark
// compares the two.
func writeUpserts(ctx context.Context, tx *store.Tx, b *batch) error {
	for i := range b.prs {
		if _, err := tx.UpsertPullRequest(ctx, b.prs[i].RepoID, &b.prs[i]); err != nil {
			return err
		}
	}
	for i := range b.runs {
		if _, err := tx.UpsertWorkflowRun(ctx, b.runs[i].RepoID, &b.runs[i]); err != nil {
			return err
		}
	}
	for i := range b.issues {
		if _, err := tx.UpsertIssue(ctx, b.issues[i].RepoID, &b.issues[i]); err != nil {
			return err
		}
	}
	for i := range b.linear {
		if _, err := tx.UpsertLinearIssue(ctx, &b.linear[i]); err != nil {
			return err
		}
	}
	return writeGitHubDeployments(ctx, tx, b)
}
