package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Session is a signed-in browser, as stored: the hash of its ID, never the
// ID itself.
type Session struct {
	IDHash    string
	Username  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	_, err := s.write.ExecContext(ctx, `/* Store.CreateSession */
		INSERT INTO sessions (id_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		sess.IDHash, sess.Username, ms(sess.CreatedAt), ms(sess.ExpiresAt))
	return err
}

// SessionByHash returns the session whose ID hashes to idHash, if it has
// not expired at now; ErrNotFound otherwise.
func (s *Store) SessionByHash(ctx context.Context, idHash string, now time.Time) (Session, error) {
	sess := Session{IDHash: idHash}
	err := s.read.QueryRowContext(ctx, `/* Store.SessionByHash */
		SELECT username, created_at, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2`,
		idHash, ms(now)).Scan(&sess.Username, timeCol{&sess.CreatedAt}, timeCol{&sess.ExpiresAt})
	return sess, notFound(err)
}

// DeleteSession removes a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.write.ExecContext(ctx, `/* Store.DeleteSession */ DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteExpiredSessions removes the sessions expired at now, and returns
// how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `/* Store.DeleteExpiredSessions */ DELETE FROM sessions WHERE expires_at <= $1`, ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// APIToken is a machine credential, as stored: its hash, never the token.
type APIToken struct {
	Name       string
	Hash       string
	ReadOnly   bool
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// ErrTokenExists is a token name already taken.
var ErrTokenExists = errors.New("a token with that name already exists")

// CreateAPIToken stores a token; ErrTokenExists when its name is taken.
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken) error {
	res, err := s.write.ExecContext(ctx, `/* Store.CreateAPIToken */
		INSERT INTO api_tokens (name, token_hash, read_only, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO NOTHING`,
		t.Name, t.Hash, t.ReadOnly, t.CreatedBy, ms(t.CreatedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrTokenExists
	}
	return nil
}

// APITokens lists the tokens by name.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.APITokens */
		SELECT name, token_hash, read_only, created_by, created_at, last_used_at FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// APITokenByHash returns the token whose hash is hash; ErrNotFound if none.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (APIToken, error) {
	row := s.read.QueryRowContext(ctx, `/* Store.APITokenByHash */
		SELECT name, token_hash, read_only, created_by, created_at, last_used_at FROM api_tokens WHERE token_hash = $1`, hash)
	t, err := scanToken(row)
	return t, notFound(err)
}

// TouchAPIToken records that the named token was used at now.
func (s *Store) TouchAPIToken(ctx context.Context, name string, now time.Time) error {
	_, err := s.write.ExecContext(ctx, `/* Store.TouchAPIToken */ UPDATE api_tokens SET last_used_at = $2 WHERE name = $1`, name, ms(now))
	return err
}

// RevokeAPIToken deletes the named token; ErrNotFound if there is none.
func (s *Store) RevokeAPIToken(ctx context.Context, name string) error {
	res, err := s.write.ExecContext(ctx, `/* Store.RevokeAPIToken */ DELETE FROM api_tokens WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var last sql.NullInt64
	if err := row.Scan(&t.Name, &t.Hash, &t.ReadOnly, &t.CreatedBy, timeCol{&t.CreatedAt}, &last); err != nil {
		return t, err
	}
	if last.Valid {
		u := fromMS(last.Int64)
		t.LastUsedAt = &u
	}
	return t, nil
}
