package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/config"
)

// The sign-in secrets never leak, extending the GitHub token's test
// (github.TestTokenNeverLeaks) to them: the OAuth client secret, the
// password and its hash, session IDs and API tokens (and their hashes)
// appear in no log line at DEBUG, no error, no status and no API response,
// through sign-ins that succeed and fail, bad and read-only tokens, and
// the Settings page. (The session cookie and a new token's one showing are
// where they are meant to be, and nowhere else.)
func TestAuthSecretsNeverLeak(t *testing.T) {
	var seen strings.Builder // every response: status line, headers but Set-Cookie, body
	record := func(what string, a answer) {
		fmt.Fprintf(&seen, "== %s: %d\n", what, a.status)
		for k, v := range a.header {
			if k != "Set-Cookie" {
				fmt.Fprintf(&seen, "%s: %s\n", k, strings.Join(v, ", "))
			}
		}
		seen.WriteString(a.body + "\n")
	}
	var secrets []string
	var logs []string

	// GitHub: sign-ins that work and that are refused.
	gs, gh := githubSite(t)
	secrets = append(secrets, "oauth-client-secret-123456", gs.rw, gs.ro)
	for _, login := range []string{"mona", "eve"} {
		gh.SignInAs(login)
		b := gs.browser(t)
		cb := startGitHub(t, gs, b, "/")
		got := gs.do(t, b, request{method: "GET", path: strings.TrimPrefix(cb.String(), gs.URL)})
		record("callback "+login, got)
		if c := sessionCookie(got); c != nil {
			secrets = append(secrets, c.Value)
			record("page", gs.do(t, b, request{method: "GET", path: "/settings", header: map[string]string{"Accept": "text/html"}}))
		}
		q := cb.Query()
		record("replay", gs.do(t, b, request{method: "GET", path: "/auth/github/callback?" + q.Encode()}))
	}
	if len(secrets) != 4 {
		t.Fatalf("mona's sign-in set no session: %d secrets", len(secrets))
	}
	for _, tok := range []string{gs.rw, gs.ro + "x"} {
		record("github status", gs.do(t, nil, request{method: "GET", path: "/api/v1/connectors/status", header: map[string]string{"Authorization": "Bearer " + tok}}))
	}
	logs = append(logs, gs.logs.String())

	// Password: failures, a success, tokens good, read-only, revoked.
	ps := newSecureSite(t, config.AuthPassword, nil)
	secrets = append(secrets, testPassword, testHash, ps.rw, ps.ro)
	b := ps.browser(t)
	for _, pw := range []string{"wrong", testPassword} {
		got := ps.do(t, b, request{method: "POST", path: "/auth/sign-in", body: url.Values{"password": {pw}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		record("sign-in", got)
		if c := sessionCookie(got); c != nil {
			secrets = append(secrets, c.Value)
		}
	}
	for _, path := range []string{"/api/v1/connectors/status", "/openapi.json", "/api/v1/health", "/settings"} {
		for _, tok := range []string{ps.rw, ps.ro, ps.rw + "x", ""} {
			record(path, ps.do(t, b, request{method: "GET", path: path, header: map[string]string{"Authorization": "Bearer " + tok}}))
		}
	}
	record("read-only POST", ps.do(t, nil, request{method: "POST", path: "/api/v1/deployments", header: map[string]string{"Authorization": "Bearer " + ps.ro}}))
	created := ps.do(t, b, request{method: "POST", path: "/settings/tokens", body: "name=deploys",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": ps.URL}})
	newToken := between(created.body, `<code id="token-value">`, "</code>")
	if created.status != http.StatusCreated || !strings.HasPrefix(newToken, "vlc_") {
		t.Fatalf("creating a token on Settings: %d %q", created.status, newToken)
	}
	secrets = append(secrets, newToken)
	record("status with the new token", ps.do(t, nil, request{method: "GET", path: "/api/v1/connectors/status", header: map[string]string{"Authorization": "Bearer " + newToken}}))
	record("revoke", ps.do(t, b, request{method: "POST", path: "/settings/tokens/revoke", body: "name=deploys",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": ps.URL}}))
	record("revoked token", ps.do(t, nil, request{method: "GET", path: "/api/v1/health", header: map[string]string{"Authorization": "Bearer " + newToken}}))
	logs = append(logs, ps.logs.String())

	// The hashes stored for sessions and tokens are secrets too.
	for _, s := range []*secureSite{gs, ps} {
		secrets = append(secrets, storetestRows(t, s, "SELECT id_hash FROM sessions")...)
		secrets = append(secrets, storetestRows(t, s, "SELECT token_hash FROM api_tokens")...)
	}
	config := fmt.Sprintf("%+v %#v %v", *gs.cfg, *gs.cfg, *ps.cfg)
	allLogs := strings.Join(logs, "\n")
	if !strings.Contains(allLogs, "level=DEBUG") || !strings.Contains(allLogs, "signed in") || !strings.Contains(allLogs, "sign-in failed") {
		t.Fatalf("the logs did not capture the sign-ins (%d bytes):\n%s", len(allLogs), allLogs)
	}
	for where, text := range map[string]string{"logs": allLogs, "responses": seen.String(), "printed config": config} {
		for _, secret := range secrets {
			if len(secret) < 8 {
				t.Fatalf("secret %q is too short to search for", secret)
			}
			if strings.Contains(text, secret) {
				t.Errorf("a secret (%.6s…) appears in the %s", secret, where)
			}
		}
		if strings.Contains(text, "gho_") {
			t.Errorf("a GitHub user token appears in the %s", where)
		}
	}
	t.Logf("checked %d secrets against %d bytes of logs and %d bytes of responses", len(secrets), len(allLogs), seen.Len())
}

// between returns the text of s between the first start and the next end.
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
