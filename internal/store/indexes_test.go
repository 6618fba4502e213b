package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// indexDefs returns the definitions of a table's indexes, as the database
// reports them.
func indexDefs(t *testing.T, st *store.Store, table string) []string {
	t.Helper()
	q := `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`
	if st.Dialect() == store.Postgres {
		q = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname`
	}
	return storetest.Strings(t, st, q, table)
}

// TestDeferAndRestoreIndexes checks that DeferIndexes drops the secondary
// indexes of an empty table and keeps its primary key, that RestoreIndexes
// brings back exactly the same definitions (twice is harmless), and that
// a table with rows keeps its indexes.
func TestDeferAndRestoreIndexes(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	// A UNIQUE index, which enforces something and must stay, and one
	// written in lower case, as a migration may.
	for _, q := range []string{`CREATE UNIQUE INDEX pr_facts_u ON pr_facts (pr_id, repo_id)`,
		`create index pr_facts_lc on pr_facts (size)`} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	before := indexDefs(t, st, "pr_facts")
	if len(before) < 10 {
		t.Fatalf("pr_facts has %d indexes: %v", len(before), before)
	}
	deferTx := func(table string) bool {
		t.Helper()
		var deferred bool
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			var err error
			deferred, err = tx.DeferIndexes(ctx, table)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return deferred
	}
	restore := func() {
		t.Helper()
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.RestoreIndexes(ctx) }); err != nil {
			t.Fatal(err)
		}
	}
	if !deferTx("pr_facts") {
		t.Fatal("the indexes of an empty pr_facts were not deferred")
	}
	during := indexDefs(t, st, "pr_facts")
	want := 1 // the UNIQUE one (SQLite lists no primary key here)
	if st.Dialect() == store.Postgres {
		want = 2 // and the primary key's
	}
	if len(during) != want || !strings.Contains(strings.Join(during, " "), "pr_facts_u") {
		t.Fatalf("while deferred, pr_facts has the indexes %v, want the UNIQUE one (and on PostgreSQL the primary key's)", during)
	}
	if deferTx("pr_facts") {
		t.Fatal("deferred again while an earlier deferral waits to be restored")
	}
	restore()
	if after := indexDefs(t, st, "pr_facts"); !slices.Equal(after, before) {
		t.Fatalf("restored indexes differ:\n got %v\nwant %v", after, before)
	}
	restore() // nothing pending: nothing happens
	if after := indexDefs(t, st, "pr_facts"); !slices.Equal(after, before) {
		t.Fatalf("a second restore changed the indexes: %v", after)
	}

	// A table with rows keeps its indexes.
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO app_state (key, value) VALUES ('k', 'v')`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `CREATE INDEX app_state_value ON app_state (value)`); err != nil {
		t.Fatal(err)
	}
	if deferTx("app_state") {
		t.Fatal("deferred the indexes of a table with rows")
	}
	if got := indexDefs(t, st, "app_state"); !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "app_state_value") }) {
		t.Fatalf("app_state lost its index: %v", got)
	}
}
