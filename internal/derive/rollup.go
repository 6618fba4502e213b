package derive

import (
	"context"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
)

// The PR rollup (package rollup) is kept current here. While PR facts
// change, markRollup records the days they touch, before and after, in the
// same transaction; at the end of a run, updateRollup rebuilds those days.
// A full run rebuilds every day instead: it marks the rollup incomplete
// (rollup.BuiltKey removed) as soon as it changes facts, so that a run
// interrupted midway is completed by the next one, whatever its mode.

// markRollup records the rollup days of the PRs ids, in the transaction
// that changes their facts.
func (d *Deriver) markRollup(ctx context.Context, tx *store.Tx, ids []any) error {
	if d.mode == Full {
		_, err := tx.Exec(ctx, `/* derive.rollupIncomplete */ DELETE FROM app_state WHERE key = $1`, rollup.BuiltKey)
		return err
	}
	return rollup.MarkDirty(ctx, tx, ids)
}

// startRollupScan computes the whole PR rollup from a read snapshot,
// beside the rest of a full run (Deriver.scan).
func (d *Deriver) startRollupScan(ctx context.Context) *snapshotRead[*rollup.Built] {
	return startSnapshotRead(ctx, d.st, nil, func(ctx context.Context, q querier) (*rollup.Built, error) {
		began := time.Now()
		built, err := rollup.Scan(ctx, q.Query)
		d.log.Debug("PR rollup computed", "duration", time.Since(began), "error", err)
		return built, err
	})
}

// startIssueRollupScan computes the whole issue rollup from a read
// snapshot, beside the rest of a full run once its Linear step is done
// (Deriver.issueScan): no step after it writes linear_issues,
// linear_issue_prs or pr_facts.
func (d *Deriver) startIssueRollupScan(ctx context.Context) *snapshotRead[*rollup.BuiltIssues] {
	return startSnapshotRead(ctx, d.st, nil, func(ctx context.Context, q querier) (*rollup.BuiltIssues, error) {
		began := time.Now()
		built, err := rollup.ScanIssues(ctx, q.Query)
		d.log.Debug("issue rollup computed", "duration", time.Since(began), "error", err)
		return built, err
	})
}

// updateRollup rebuilds the dirty days of the rollup, or all of it after a
// full run or when it was never built: from scan when a full run computed
// it while it went on.
func (d *Deriver) updateRollup(ctx context.Context, scan *snapshotRead[*rollup.Built]) error {
	var scanned *rollup.Built
	if scan != nil {
		var err error
		if scanned, err = scan.wait(); err != nil {
			return err
		}
	}
	if err := d.tx(ctx, func(tx *store.Tx) error {
		_, built, err := tx.AppState(ctx, rollup.BuiltKey)
		if err != nil {
			return err
		}
		var days []int64 // nil: every day
		if built && d.mode != Full {
			if days, err = rollup.DirtyDays(ctx, tx); err != nil || len(days) == 0 {
				return err
			}
		}
		if days == nil && scanned != nil {
			if err := scanned.Replace(ctx, tx); err != nil {
				return err
			}
		} else if err := rollup.Rebuild(ctx, tx, days); err != nil {
			return err
		}
		if err := analyzeRebuilt(ctx, tx, days, rollup.Tables...); err != nil {
			return err
		}
		if err := rollup.ClearDirty(ctx, tx); err != nil {
			return err
		}
		return rollup.MarkBuilt(ctx, tx, days)
	}); err != nil {
		return err
	}
	return d.updateIssueRollup(ctx)
}

// cycleEnd recomputes the cycle end of issues (updateCycleEnd), after
// recording them for the issue rollup: every change of an issue, or of a PR
// linked to it before or after, passes through here.
func (d *Deriver) cycleEnd(ctx context.Context, tx *store.Tx, issues idSet) error {
	if err := d.markIssues(ctx, tx, issues); err != nil {
		return err
	}
	return updateCycleEnd(ctx, tx, issues)
}

// markIssues records issues for the issue rollup, whose cycle end or links
// change.
func (d *Deriver) markIssues(ctx context.Context, tx *store.Tx, issues idSet) error {
	if len(issues) > 0 {
		if d.mode == Full {
			// Rebuilt whole at the end; incomplete until then.
			if _, err := tx.Exec(ctx, `/* derive.issueRollupIncomplete */ DELETE FROM app_state WHERE key = $1`, rollup.IssuesBuiltKey); err != nil {
				return err
			}
		} else if err := rollup.MarkIssues(ctx, tx, issues.args()); err != nil {
			return err
		}
	}
	return nil
}

// updateIssueRollup rebuilds the days of the marked issues in the issue
// rollup, or all of it after a full run or when it was never built.
func (d *Deriver) updateIssueRollup(ctx context.Context) error {
	start := time.Now()
	rebuilt := -1 // every day
	defer func() { d.log.Debug("issue rollup", "days", rebuilt, "duration", time.Since(start)) }()
	var scanned *rollup.BuiltIssues // by a full run, beside it
	if d.issueScan != nil {
		var err error
		if scanned, err = d.issueScan.wait(); err != nil {
			return err
		}
	}
	return d.tx(ctx, func(tx *store.Tx) error {
		_, built, err := tx.AppState(ctx, rollup.IssuesBuiltKey)
		if err != nil {
			return err
		}
		var days []int64 // nil: every day
		if built && d.mode != Full {
			if days, err = rollup.DirtyIssueDays(ctx, tx); err != nil || len(days) == 0 {
				if err == nil {
					err = rollup.ClearDirtyIssues(ctx, tx)
				}
				return err
			}
		}
		if days != nil {
			rebuilt = len(days)
		}
		if days == nil && scanned != nil {
			if err := scanned.Replace(ctx, tx); err != nil {
				return err
			}
		} else if err := rollup.RebuildIssues(ctx, tx, days); err != nil {
			return err
		}
		if err := analyzeRebuilt(ctx, tx, days, "issue_rollup"); err != nil {
			return err
		}
		if err := rollup.ClearDirtyIssues(ctx, tx); err != nil {
			return err
		}
		return rollup.MarkIssuesBuilt(ctx, tx, days)
	})
}

// analyzeRebuilt gives PostgreSQL's planner the statistics of a rollup
// table rebuilt whole (days nil): without them it takes the table for a
// few rows, and sorts megabytes of arrays where an index would do.
// (SQLite's are kept by PRAGMA optimize after derive.)
func analyzeRebuilt(ctx context.Context, tx *store.Tx, days []int64, tables ...string) error {
	if days != nil || tx.Dialect() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `ANALYZE `+strings.Join(tables, ", "))
	return err
}
