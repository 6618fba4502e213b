-- Sign-in sessions and API tokens (AUTH_MODE github, password or proxy).
-- Neither table holds a secret: a session's ID and a token are kept only as
-- their SHA-256 hashes (hex), so a copy of the database signs nobody in.

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,   -- hex SHA-256 of the session ID in the cookie
    username    TEXT NOT NULL,      -- who signed in: a GitHub @login, "password", or the proxy's user
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    name         TEXT PRIMARY KEY,   -- chosen by whoever created it; unique
    token_hash   TEXT NOT NULL UNIQUE, -- hex SHA-256 of the token
    read_only    BOOLEAN NOT NULL DEFAULT FALSE,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
