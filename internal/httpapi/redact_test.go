package httpapi

import "testing"

func TestRedact(t *testing.T) {
	r := NewRedactor("my-configured-secret", "", "abc")
	r.Add("minted-later-secret")
	tests := []struct{ in, want string }{
		{"401 for my-configured-secret at /user", "401 for [redacted] at /user"},
		{"token minted-later-secret expired", "token [redacted] expired"},
		{"Authorization: Bearer anything-at-all", "Authorization: Bearer [redacted]"},
		{"header Authorization: token sekrit", "header Authorization: token [redacted]"},
		{`{"authorization":"lin_api_0123456789abcdefABCDEF"}`, `{"authorization":"[redacted]"}`},
		{"bad key ghp_0123456789abcdefABCDEF01", "bad key [redacted]"},
		{"installation token ghs_16C7e42F292c6912E7710c838347Ae178B4a expired", "installation token [redacted] expired"},
		{"stateless token ghs_12345_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NSJ9.c2ln-bmF0_dXJl expired", "stateless token [redacted] expired"},
		{"oauth gho_0123456789abcdefABCDEF01, user ghu_0123456789abcdefABCDEF01, refresh ghr_0123456789abcdefABCDEF01",
			"oauth [redacted], user [redacted], refresh [redacted]"},
		{"bad key github_pat_11AAAAAAA0123456789_abcdefgh", "bad key [redacted]"},
		{"bad key lin_api_0123456789abcdefABCDEF", "bad key [redacted]"},
		{"jwt eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIxMjM0NSJ9.c2lnbmF0dXJl rejected", "jwt [redacted] rejected"},
		{"sent Bearer abcdefghijklmnop", "sent Bearer [redacted]"},
		{"key -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY----- is bad", "key [redacted] is bad"},
		{"key -----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA cut", "key [redacted]"},
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
