package github

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

// The token never shows up in logs (at DEBUG), errors or stored sync
// state, through a sync full of failures.
func TestTokenNeverLeaks(t *testing.T) {
	e := newEnv(t, "acme/web")
	e.cfg.GitHubRepos = []string{"acme/web", "acme/missing"}
	e.fake.Generate(e.fake.Repo("acme/web"), githubfake.Bulk{PullRequests: 120, MaxCommits: 2, Runs: 150, Issues: 5, Seed: 1})
	e.fake.Inject(
		githubfake.Fault{Kind: githubfake.ServerError},
		githubfake.Fault{Kind: githubfake.SecondaryLimit, Status: 429, RetryAfter: 8},
		githubfake.Fault{Kind: githubfake.Disconnect},
		githubfake.Fault{Kind: githubfake.PrimaryLimit, Match: "/graphql"},
		githubfake.Fault{Kind: githubfake.PrimaryLimit, Match: "/actions/"},
	)
	var errs []string
	for _, c := range []syncer.Connector{e.github, e.actions} {
		if _, err := e.sync(c, syncer.Recent); err != nil {
			errs = append(errs, err.Error())
		}
	}
	e.fake.FailAfter(0)
	e.clock.t = e.clock.t.Add(2 * e.clock.t.Sub(t0))
	for _, c := range []syncer.Connector{e.github, e.actions} {
		if _, err := e.sync(c, syncer.Full); err != nil {
			errs = append(errs, err.Error())
		}
	}
	e.fake.FailAfter(-1)
	e.cfg.GitHubToken = config.Secret(e.fake.Token() + "-revoked")
	e.rebuild()
	e.fake.ResetRequests()
	if _, err := e.sync(e.github, syncer.Recent); err != nil {
		errs = append(errs, err.Error())
	}
	if n := e.fake.RequestCount(); n != 1 {
		t.Errorf("a revoked token cost %d requests for 2 repos; want 1", n)
	}
	if len(errs) != 5 {
		t.Errorf("want the missing repo (twice), the outage (twice) and the revoked token to fail the syncs; got %q", errs)
	}

	token := e.fake.Token()
	logs := e.logs.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "rate limit") {
		t.Fatalf("the log did not capture the sync (%d bytes)", len(logs))
	}
	var state strings.Builder
	for _, table := range []string{"sync_state", "http_cache"} {
		state.WriteString(strings.Join(e.dump()[table], "\n"))
	}
	for where, text := range map[string]string{"logs": logs, "errors": strings.Join(errs, "\n"), "stored state": state.String()} {
		if strings.Contains(text, token) || strings.Contains(text, token[4:]) {
			t.Errorf("the token appears in the %s", where)
		}
		if strings.Contains(strings.ToLower(text), "authorization") || strings.Contains(text, "Bearer") {
			t.Errorf("the %s mention the Authorization header", where)
		}
	}
	t.Logf("checked %d bytes of logs, %d errors, sync state:\n%s", len(logs), len(errs), strings.Join(e.dump()["sync_state"], "\n"))
}

// A server that echoes the credential back in its error message does not
// get it into the client's errors.
func TestClientRedactsEchoedToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "bad credentials: " + r.Header.Get("Authorization")
		if r.URL.Path == "/graphql" {
			json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": msg}}})
			return
		}
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}))
	defer srv.Close()
	const token = "ghp_secretsecretsecret"
	c := NewClient(ClientOptions{RESTURL: srv.URL, GraphQLURL: srv.URL + "/graphql", Token: token})
	_, restErr := c.Get(context.Background(), "/x", "", nil)
	gqlErr := c.Query(context.Background(), QueryViewer, nil, &struct{}{})
	for _, err := range []error{restErr, gqlErr} {
		if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("err = %v", err)
		}
	}
}

// Under a GitHub App, neither the private key, nor the signed JWTs, nor
// any installation token shows up in logs (at DEBUG), errors or stored
// sync state, through a sync full of failures and expiring tokens.
func TestAppCredentialsNeverLeak(t *testing.T) {
	e := newEnv(t, "acme/web")
	e.cfg.GitHubRepos = []string{"acme/web", "acme/missing", "nobody/else"}
	e.fake.Generate(e.fake.Repo("acme/web"), githubfake.Bulk{PullRequests: 120, MaxCommits: 2, Runs: 150, Issues: 5, Seed: 1})
	useApp(t, e, 4*time.Second, "acme")
	e.clock.mu.Lock()
	e.clock.tick = 50 * time.Millisecond
	e.clock.mu.Unlock()
	e.fake.SetLoad(githubfake.Load{Truncate: 0.05, ServerErrors: 0.1, Seed: 9})
	e.fake.Inject(
		githubfake.Fault{Kind: githubfake.ServerError, Match: "/access_tokens"},
		githubfake.Fault{Kind: githubfake.SecondaryLimit, Status: 429, RetryAfter: 8},
		githubfake.Fault{Kind: githubfake.Disconnect},
		githubfake.Fault{Kind: githubfake.PrimaryLimit, Match: "/graphql"},
	)
	var errs []string
	for _, c := range []syncer.Connector{e.github, e.actions} {
		if _, err := e.sync(c, syncer.Recent); err != nil {
			errs = append(errs, err.Error())
		}
	}
	e.fake.ExpireTokens()
	e.cfg.GitHubAppID = "999" // a wrong App ID: GitHub refuses the JWT
	e.rebuild()
	if err := e.github.TestConnection(context.Background()); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) != 3 {
		t.Errorf("want the missing repository, the owner without the App and the wrong App ID to fail; got %q", errs)
	}

	minted := e.fake.TokensMinted()
	if len(minted) < 2 {
		t.Fatalf("%d tokens minted; the test needs a few", len(minted))
	}
	_, keyPEM := testAppKey(t)
	keyLines := strings.Split(strings.TrimSpace(keyPEM), "\n")
	secrets := append([]string{keyLines[1], keyLines[len(keyLines)/2], keyLines[len(keyLines)-2]}, minted...)
	logs := e.logs.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "installation token minted") {
		t.Fatalf("the log did not capture the sync (%d bytes)", len(logs))
	}
	var state strings.Builder
	for _, table := range []string{"sync_state", "http_cache"} {
		state.WriteString(strings.Join(e.dump()[table], "\n"))
	}
	for where, text := range map[string]string{"logs": logs, "errors": strings.Join(errs, "\n"), "stored state": state.String()} {
		for _, s := range secrets {
			if strings.Contains(text, s) || strings.Contains(text, s[4:]) {
				t.Errorf("a credential (%.8s…) appears in the %s", s, where)
			}
		}
		if strings.Contains(text, "eyJ") || strings.Contains(text, "PRIVATE KEY") || strings.Contains(text, "Bearer") {
			t.Errorf("the %s mention a JWT, the key or a Bearer header", where)
		}
	}
	t.Logf("checked %d bytes of logs, %d errors, %d minted tokens", len(logs), len(errs), len(minted))
}
