package httpapi

import (
	"regexp"
	"strings"
	"sync"
)

// Redacted replaces a credential in text that is stored, logged or shown.
const Redacted = "[redacted]"

// tokenRE matches credentials by their shape, whichever configuration they
// came from: GitHub tokens (classic, fine-grained, app installation and
// OAuth), Linear API keys, JSON Web Tokens (a GitHub App's signed
// assertion), PEM private keys, bearer tokens, and the value of an
// Authorization header.
var tokenRE = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9_]{16,}(?:\.[A-Za-z0-9_-]+)*|github_pat_[A-Za-z0-9_]{16,}|lin_(?:api|oauth)_[A-Za-z0-9]{16,})\b` +
	`|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*` +
	`|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)` +
	`|(?i:bearer\s+)[A-Za-z0-9._~+/=-]{12,}` +
	`|(?i:authorization:\s*(?:(?:bearer|token|basic)\s+)?)[^\s"',;]+`)

// Redactor removes credentials from text before it is stored, logged or
// returned: the secrets it was given (configured ones, and those minted
// while running, such as installation tokens) wherever they appear, and
// anything shaped like a token or key. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// minSecret is the shortest secret that is redacted; replacing every
// occurrence of a shorter string would garble messages, and no real
// credential is that short.
const minSecret = 4

// NewRedactor returns a Redactor for the given secret values; empty ones
// are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add makes r redact more secrets too.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s = strings.TrimSpace(s); len(s) >= minSecret {
			r.secrets = append(r.secrets, s)
		}
	}
}

// Redact returns s without credentials.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, Redacted)
		}
		r.mu.RUnlock()
	}
	return tokenRE.ReplaceAllStringFunc(s, func(m string) string {
		// Keep the scheme word of an Authorization value ("Bearer [redacted]").
		if strings.HasPrefix(m, "-----") || strings.HasPrefix(m, "eyJ") {
			return Redacted
		}
		if i := strings.LastIndexAny(m, " \t:"); i >= 0 {
			return m[:i+1] + Redacted
		}
		return Redacted
	})
}
