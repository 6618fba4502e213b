package derive

import (
	"context"

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

// updateRollup rebuilds the dirty days of the rollup, or all of it after a
// full run or when it was never built.
func (d *Deriver) updateRollup(ctx context.Context) error {
	return d.tx(ctx, func(tx *store.Tx) error {
		_, built, err := appState(ctx, tx, rollup.BuiltKey)
		if err != nil {
			return err
		}
		var days []int64 // nil: every day
		if built && d.mode != Full {
			if days, err = rollup.DirtyDays(ctx, tx); err != nil || len(days) == 0 {
				return err
			}
		}
		if err := rollup.Rebuild(ctx, tx, days); err != nil {
			return err
		}
		if err := rollup.ClearDirty(ctx, tx); err != nil {
			return err
		}
		return tx.SetAppState(ctx, rollup.BuiltKey, "1")
	})
}
