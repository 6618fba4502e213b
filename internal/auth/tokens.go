package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// TokenPrefix starts every API token, so a leaked one is easy to recognize
// (and to scan for).
const TokenPrefix = "vlc_"

// hashSecret is the stored form of a session ID or token: hex SHA-256. Both
// are 256 random bits, so a plain hash is enough.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// randomSecret returns 32 random bytes, base64url-encoded.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrTokenName is a token name that is not allowed.
var ErrTokenName = errors.New("a token name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit")

// CreateToken makes an API token called name, stores its hash, and returns
// the token itself: the only time it is ever seen.
func CreateToken(ctx context.Context, st *store.Store, name string, readOnly bool, createdBy string, now time.Time) (string, error) {
	if !tokenNameRE.MatchString(name) {
		return "", ErrTokenName
	}
	tok := TokenPrefix + randomSecret()
	err := st.CreateAPIToken(ctx, store.APIToken{Name: name, Hash: hashSecret(tok), ReadOnly: readOnly, CreatedBy: createdBy, CreatedAt: now})
	if errors.Is(err, store.ErrTokenExists) {
		return "", fmt.Errorf("token %q already exists; revoke it first or pick another name", name)
	}
	if err != nil {
		return "", fmt.Errorf("storing the token: %w", err)
	}
	return tok, nil
}

// TokenScope is a token's scope in words.
func TokenScope(t store.APIToken) string {
	if t.ReadOnly {
		return "read-only"
	}
	return "read-write"
}
