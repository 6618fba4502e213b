// Package storetest gives each test a fresh, migrated database: SQLite in a
// temporary directory by default, or PostgreSQL when
// VEELOCITY_TEST_DATABASE_URL is set, each test in a schema of its own that
// is dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/store"
)

// EnvVar names the variable that selects PostgreSQL for tests.
const EnvVar = "VEELOCITY_TEST_DATABASE_URL"

// New returns a fresh migrated store, closed and removed when t ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, URL(t))
}

// Open opens and migrates the database at url, closing it when t ends.
func Open(t testing.TB, url string) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return s
}

// URL returns a DATABASE_URL for a fresh, empty database that is removed
// when t ends.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "veelocity-test.db")
	}
	return postgresSchema(t, base)
}

// Postgres reports whether tests run against PostgreSQL.
func Postgres() bool { return os.Getenv(EnvVar) != "" }

func postgresSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("storetest: creating schema in %s: %v", EnvVar, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("storetest: dropping schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Strings runs a query of one text column and returns its values.
func Strings(t testing.TB, st *store.Store, query string, args ...any) []string {
	t.Helper()
	rows, err := st.DB().Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
