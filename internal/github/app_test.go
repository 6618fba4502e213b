package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

const testAppID = 4242

var (
	appKeyOnce sync.Once
	appKey     *rsa.PrivateKey
	appKeyPEM  string
)

// testAppKey is an RSA key made once per test binary, and its PEM form.
func testAppKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	appKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		appKey = k
		appKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	})
	return appKey, appKeyPEM
}

// useApp makes e's fake know a GitHub App installed on owners (an
// organisation each, or a user when its name starts with "u-"), and e's
// client authenticate as that App, without a personal token.
func useApp(t *testing.T, e *env, lifetime time.Duration, owners ...string) {
	key, pemText := testAppKey(t)
	e.fake.SetApp(githubfake.App{ID: testAppID, PublicKey: &key.PublicKey, TokenLifetime: lifetime})
	for _, o := range owners {
		e.fake.Install(o, strings.HasPrefix(o, "u-"))
	}
	e.cfg.GitHubToken = ""
	e.cfg.GitHubAppID = "4242"
	e.cfg.GitHubAppPrivateKey = config.Secret(pemText)
	e.rebuild()
}

// A sync as a GitHub App whose installation tokens live two seconds,
// while each reading of the clock moves it 100ms: tokens expire again and
// again mid-sync, some in flight. The sync completes and stores exactly
// what a sync with a personal token stores.
func TestAppSyncSurvivesExpiringTokens(t *testing.T) {
	t.Parallel()
	newMediumEnv := func(t *testing.T) *env {
		e := newSerialEnv(t, "acme/web", "acme/api")
		e.fake.Generate(e.fake.Repo("acme/web"), githubfake.Bulk{PullRequests: 120, MaxCommits: 4, MaxReviews: 3, MaxComments: 4, Runs: 150, Issues: 110, Seed: 11})
		e.fake.Generate(e.fake.Repo("acme/api"), githubfake.Bulk{PullRequests: 20, MaxCommits: 2, Runs: 30, Issues: 6, Seed: 12})
		return e
	}
	want := newMediumEnv(t)
	syncBoth(want, syncer.Recent)
	wantDump := withoutETags(want.dump())

	e := newMediumEnv(t)
	useApp(t, e, 2*time.Second, "acme")
	e.clock.mu.Lock()
	e.clock.tick = 100 * time.Millisecond
	e.clock.mu.Unlock()
	syncBoth(e, syncer.Recent)
	if d := diffDumps(wantDump, withoutETags(e.dump())); d != "" {
		t.Errorf("the App's sync differs from the token's:\n%s", d)
	}
	minted := e.fake.TokensMinted()
	var refused int
	for _, r := range e.fake.Requests() {
		if r.Status == 401 {
			refused++
		}
	}
	t.Logf("%d requests, %d installation tokens minted, %d requests refused with an expired token, clock moved %v",
		e.fake.RequestCount(), len(minted), refused, e.clock.Now().Sub(t0))
	if len(minted) < 3 {
		t.Errorf("%d tokens minted; want the short-lived token refreshed several times", len(minted))
	}
}

// A token GitHub refuses before the client expected (a clock running
// late) is replaced once, and the request goes through.
func TestAppRefreshesARefusedTokenOnce(t *testing.T) {
	e := newEnv(t, "acme/web")
	e.fake.Generate(e.fake.Repo("acme/web"), githubfake.Bulk{PullRequests: 5, Runs: 3, Seed: 1})
	useApp(t, e, time.Hour, "acme")
	e.mustSync(e.github, syncer.Recent)
	e.fake.ExpireTokens()
	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	var statuses []int
	for _, r := range e.fake.Requests() {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) < 3 || statuses[0] != 401 || statuses[1] != 201 || slices.Contains(statuses[2:], 401) {
		t.Errorf("statuses %v: want one 401, a new token (201), then the sync", statuses)
	}
	if n := len(e.fake.TokensMinted()); n != 2 {
		t.Errorf("%d tokens minted, want 2", n)
	}
}

// Without GITHUB_APP_INSTALLATION_ID the installation is found for each
// owner, an organisation's or a user's, once per client; with it, none is
// looked up.
func TestAppFindsTheInstallationOfEachOwner(t *testing.T) {
	e := newEnv(t, "acme/web", "u-bob/tool")
	e.fake.Generate(e.fake.Repo("acme/web"), githubfake.Bulk{PullRequests: 5, Runs: 3, Seed: 1})
	e.fake.Generate(e.fake.Repo("u-bob/tool"), githubfake.Bulk{PullRequests: 4, Runs: 2, Seed: 2})
	useApp(t, e, time.Hour, "acme", "u-bob")
	syncBoth(e, syncer.Recent)
	var lookups []string
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/installation") {
			lookups = append(lookups, r.Path)
		}
	}
	if got := strings.Join(lookups, " "); got != "/orgs/acme/installation /orgs/u-bob/installation /users/u-bob/installation" {
		t.Errorf("installation lookups: %s", got)
	}
	if n := e.count("pull_requests"); n != 9 {
		t.Errorf("stored %d PRs, want 9", n)
	}
	if n := len(e.fake.TokensMinted()); n != 2 {
		t.Errorf("%d tokens minted for 2 installations over one sync, want 2", n)
	}

	// With the installation named, nothing is looked up.
	inst := e.fake.Install("acme", false) // a second installation, on the same account
	e.cfg.GitHubAppInstallationID = inst.ID
	e.cfg.GitHubRepos = []string{"acme/web"}
	e.rebuild()
	e.fake.ResetRequests()
	e.mustSync(e.github, syncer.Full)
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/installation") {
			t.Errorf("looked up %s with GITHUB_APP_INSTALLATION_ID set", r.Path)
		}
	}
}

// GET /installation/repositories lists every repository of the
// installation, over several pages.
func TestInstallationRepositories(t *testing.T) {
	e := newFakeEnv(t)
	for i := range 130 {
		e.fake.AddRepo(&githubfake.Repo{Owner: "acme", Name: "r" + string(rune('a'+i/26)) + string(rune('a'+i%26)), Archived: i%50 == 0})
	}
	e.fake.AddRepo(&githubfake.Repo{Owner: "other", Name: "x"})
	if _, err := e.client.InstallationRepositories(context.Background(), "acme"); err == nil {
		t.Error("a personal token listed an installation's repositories")
	}
	useApp(t, e, time.Hour, "acme", "other")
	repos, err := e.client.InstallationRepositories(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	archived := 0
	for _, r := range repos {
		if r.Owner.Login != "acme" || !strings.HasPrefix(r.FullName, "acme/") {
			t.Errorf("listed %s", r.FullName)
		}
		if r.Archived {
			archived++
		}
	}
	if len(repos) != 130 || archived != 3 {
		t.Errorf("listed %d repositories (%d archived), want 130 (3)", len(repos), archived)
	}
	pages := 0
	for _, r := range e.fake.Requests() {
		if strings.HasPrefix(r.Path, "/installation/repositories") {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("%d pages, want 2 of 100", pages)
	}
}

// A wrong App ID or key fails with a message that says what to check, and
// without sending the key anywhere.
func TestAppWithBadCredentials(t *testing.T) {
	e := newEnv(t, "acme/web")
	useApp(t, e, time.Hour, "acme")
	e.cfg.GitHubAppID = "999"
	e.rebuild()
	err := e.github.TestConnection(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GITHUB_APP_ID") {
		t.Errorf("wrong App ID: err = %v", err)
	}
	e.cfg.GitHubAppID = "4242"
	e.cfg.GitHubAppPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n"
	e.rebuild()
	err = e.github.TestConnection(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GITHUB_APP_PRIVATE_KEY") || strings.Contains(err.Error(), "not a key") {
		t.Errorf("bad key: err = %v", err)
	}
	e.cfg.GitHubAppPrivateKey = config.Secret(appKeyPEM)
	e.rebuild()
	if err := e.github.TestConnection(context.Background()); err != nil {
		t.Errorf("good credentials: %v", err)
	}
}
