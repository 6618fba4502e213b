package syncer_test

import (
	"testing"

	"github.com/veelocity/veelocity/internal/syncer"
)

func TestRedact(t *testing.T) {
	r := syncer.NewRedactor("my-configured-secret", "", "abc")
	tests := []struct{ in, want string }{
		{"401 for my-configured-secret at /user", "401 for [redacted] at /user"},
		{"Authorization: Bearer anything-at-all", "Authorization: Bearer [redacted]"},
		{"header Authorization: token sekrit", "header Authorization: token [redacted]"},
		{`{"authorization":"lin_api_0123456789abcdefABCDEF"}`, `{"authorization":"[redacted]"}`},
		{"bad key ghp_0123456789abcdefABCDEF01", "bad key [redacted]"},
		{"bad key github_pat_11AAAAAAA0123456789_abcdefgh", "bad key [redacted]"},
		{"bad key lin_api_0123456789abcdefABCDEF", "bad key [redacted]"},
		// Ordinary error text is left alone, even words like "token".
		{"token authentication failed: 401 Bad credentials", "token authentication failed: 401 Bad credentials"},
		{"abc is too short a secret to redact", "abc is too short a secret to redact"},
	}
	for _, tc := range tests {
		if got := r.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
