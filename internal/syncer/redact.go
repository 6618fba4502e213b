package syncer

import "github.com/veelocity/veelocity/internal/httpapi"

// Redacted replaces a credential in text that is stored or shown.
const Redacted = httpapi.Redacted

// Redactor removes credentials from text before it is stored, logged or
// returned; it is the API clients' redactor (see httpapi.Redactor).
type Redactor = httpapi.Redactor

// NewRedactor returns a Redactor for the given secret values; empty ones
// are ignored.
func NewRedactor(secrets ...string) *Redactor { return httpapi.NewRedactor(secrets...) }
