package syncer

import (
	"regexp"
	"strings"
)

// Redacted replaces a credential in text that is stored or shown.
const Redacted = "[redacted]"

// tokenRE matches credentials by their shape, whichever configuration they
// came from: GitHub tokens (classic, fine-grained, app and OAuth), Linear API
// keys, bearer tokens, and the value of an Authorization header.
var tokenRE = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{16,}|lin_(?:api|oauth)_[A-Za-z0-9]{16,})\b` +
	`|(?i:bearer\s+)[A-Za-z0-9._~+/=-]{12,}` +
	`|(?i:authorization:\s*(?:(?:bearer|token|basic)\s+)?)[^\s"',;]+`)

// Redactor removes credentials from text before it is stored, logged or
// returned: the configured secrets wherever they appear, and anything shaped
// like a GitHub or Linear token.
type Redactor struct {
	secrets []string
}

// minSecret is the shortest configured secret that is redacted; replacing
// every occurrence of a shorter string would garble messages, and no real
// token is that short.
const minSecret = 4

// NewRedactor returns a Redactor for the given secret values; empty ones
// are ignored.
func NewRedactor(secrets ...string) Redactor {
	var r Redactor
	for _, s := range secrets {
		if s = strings.TrimSpace(s); len(s) >= minSecret {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

// Redact returns s without credentials.
func (r Redactor) Redact(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Redacted)
	}
	return tokenRE.ReplaceAllStringFunc(s, func(m string) string {
		// Keep the scheme word of an Authorization value ("Bearer [redacted]").
		if i := strings.LastIndexAny(m, " \t:"); i >= 0 {
			return m[:i+1] + Redacted
		}
		return Redacted
	})
}
