package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// fkDefs lists the foreign keys of the derived tables a first derive
// defers, as PostgreSQL reports them.
func fkDefs(t *testing.T, st *store.Store) []string {
	t.Helper()
	return storetest.Strings(t, st, `SELECT t.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname IN ('pr_facts', 'pr_mentions', 'linear_issue_prs')
		ORDER BY 1`)
}

// TestDeferAndRestoreForeignKeys checks that DeferForeignKeys drops the
// foreign keys of empty tables on PostgreSQL (and does nothing on SQLite),
// and that RestoreForeignKeys adds exactly the same keys back after
// applying their ON DELETE rules to rows whose references went away
// meanwhile: such a row is deleted (CASCADE) or its reference set to NULL
// (SET NULL).
func TestDeferAndRestoreForeignKeys(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	tables := []string{"pr_facts", "pr_mentions", "linear_issue_prs"}
	deferTx := func() bool {
		t.Helper()
		var deferred bool
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			var err error
			deferred, err = tx.DeferForeignKeys(ctx, tables...)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return deferred
	}
	restore := func() {
		t.Helper()
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.RestoreForeignKeys(ctx) }); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	if st.Dialect() != store.Postgres {
		if deferTx() {
			t.Fatal("DeferForeignKeys reported dropping keys on SQLite")
		}
		restore() // nothing pending
		return
	}
	before := fkDefs(t, st)
	if len(before) != 5 {
		t.Fatalf("the derived tables have %d foreign keys, want 5: %v", len(before), before)
	}
	if !deferTx() {
		t.Fatal("the foreign keys of the empty derived tables were not deferred")
	}
	if during := fkDefs(t, st); len(during) != 0 {
		t.Fatalf("while deferred, the derived tables keep the foreign keys %v", during)
	}
	if deferTx() {
		t.Fatal("deferred again while an earlier deferral waits to be restored")
	}
	// A PR with its facts, linked to a deployment that is then deleted,
	// and facts, a mention and a link of a PR that is then deleted: with
	// the keys away, neither deletion reaches the derived rows.
	exec(`INSERT INTO repositories (id, full_name, full_name_key, owner, name) VALUES (1, 'acme/api', 'acme/api', 'acme', 'api')`)
	exec(`INSERT INTO pull_requests (id, repo_id, number, state, created_at, updated_at) VALUES (1, 1, 1, 'merged', 0, 0), (2, 1, 2, 'merged', 0, 0)`)
	exec(`INSERT INTO deployments (id, source, external_id, repo_id, environment, created_at, deployed_at, recorded_at)
		VALUES (7, 'api', 'd7', 1, 'production', 0, 0, 0)`)
	exec(`INSERT INTO pr_facts (pr_id, repo_id, created_at, first_commit_at, deployment_id, deployed_at) VALUES (1, 1, 0, 0, 7, 0), (2, 1, 0, 0, NULL, NULL)`)
	exec(`INSERT INTO pr_mentions (pr_id, identifier) VALUES (1, 'ENG-1'), (2, 'ENG-2')`)
	exec(`DELETE FROM deployments WHERE id = 7`)
	exec(`DELETE FROM pull_requests WHERE id = 2`)
	restore()
	if after := fkDefs(t, st); !slices.Equal(after, before) {
		t.Fatalf("restored foreign keys differ:\n got %v\nwant %v", after, before)
	}
	if got := storetest.Strings(t, st, `SELECT pr_id || ':' || coalesce(deployment_id::text, 'null') FROM pr_facts ORDER BY pr_id`); !slices.Equal(got, []string{"1:null"}) {
		t.Fatalf("pr_facts after the restore: %v, want PR 1 without its deleted deployment, and PR 2's facts gone", got)
	}
	if got := storetest.Strings(t, st, `SELECT identifier FROM pr_mentions ORDER BY 1`); !slices.Equal(got, []string{"ENG-1"}) {
		t.Fatalf("pr_mentions after the restore: %v, want the deleted PR's mention gone", got)
	}
	restore() // nothing pending: nothing happens
	if deferTx() {
		t.Fatal("deferred the foreign keys of tables with rows")
	}
	// And the keys hold again: a fact of a missing PR is refused.
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO pr_facts (pr_id, repo_id, created_at, first_commit_at) VALUES (99, 1, 0, 0)`); err == nil {
		t.Fatal("pr_facts took a row of a missing PR after the restore")
	}
}
