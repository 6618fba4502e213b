package store

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// notFound maps sql.ErrNoRows to ErrNotFound and leaves other errors alone.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// PublicMessage is err's text for users to see in the sync status and
// output: an error of the database itself (a violated constraint, a
// malformed statement) is internal, and becomes a generic line pointing to
// the server's log, where the whole error is.
func PublicMessage(err error) string {
	var pg *pgconn.PgError
	var lite *sqlite.Error
	if errors.As(err, &pg) || errors.As(err, &lite) {
		return "storing the data failed with a database error (the server's log has the details)"
	}
	return err.Error()
}
