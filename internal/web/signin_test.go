package web

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// authSite serves the pages in cfg.Auth.Mode, at PUBLIC_URL (cfg is
// changed to point there).
func authSite(t *testing.T, cfg *config.Config) *httptest.Server {
	t.Helper()
	st := storetest.New(t)
	srv := httptest.NewUnstartedServer(nil)
	cfg.Auth.PublicURL = "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = server.Handler(server.Options{
		API:       api.New(api.Deps{Store: st, Config: cfg, Log: quietLog(), Now: fixedNow}),
		Pages:     New(Options{Store: st, Config: cfg, Log: quietLog(), Now: fixedNow}),
		Log:       quietLog(),
		Auth:      auth.New(auth.Options{Mode: cfg.Auth.Mode, Config: cfg, Store: st, Log: quietLog()}),
		PublicURL: cfg.Auth.PublicURL,
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// Settings lists, creates (showing the token once) and revokes API tokens
// for a signed-in user, and every page shows who is signed in with a
// sign-out button.
func TestSettingsTokens(t *testing.T) {
	cfg := testConfig(t)
	cfg.Auth.Mode = config.AuthPassword
	hash, err := bcrypt.GenerateFromPassword([]byte("team password"), bcrypt.MinCost) // cheap, for a fast test
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.PasswordHash = config.Secret(hash)
	srv := authSite(t, cfg)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.URL)
		return fetch(t, c, req)
	}
	get := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		return fetch(t, c, req)
	}
	if res, body := post("/auth/sign-in", url.Values{"password": {"team password"}, "next": {"/settings"}}); res.StatusCode != 200 || !strings.Contains(body, `id="token-none"`) {
		t.Fatalf("signing in to Settings: %d %s", res.StatusCode, res.Request.URL)
	}
	res, body := post("/settings/tokens", url.Values{"name": {"ci"}, "read_only": {"1"}})
	tok := between(body, `<code id="token-value">`, "</code>")
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(tok, auth.TokenPrefix) || !strings.Contains(body, `data-token="ci"`) {
		t.Fatalf("creating a token: %d %q", res.StatusCode, tok)
	}
	if !strings.Contains(body, `id="signed-in-name">password<`) || !strings.Contains(body, `id="sign-out"`) {
		t.Error("Settings does not show who is signed in, with a sign-out button")
	}
	if _, body := get("/settings"); strings.Contains(body, tok) || !strings.Contains(body, "read-only") {
		t.Error("Settings shows the token again, or not its scope")
	}
	api := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/github/repos", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, _ := fetch(t, http.DefaultClient, req)
		return res.StatusCode
	}
	if got := api(); got != 200 {
		t.Errorf("the new token gets %d", got)
	}
	if _, body := get("/settings"); strings.Contains(between(body, `data-token="ci"`, "</tr>"), "never") {
		t.Error("Settings does not show when the token was last used")
	}
	if res, body := post("/settings/tokens", url.Values{"name": {"ci"}}); res.StatusCode != 400 || !strings.Contains(body, `id="token-error"`) {
		t.Errorf("a taken name: %d", res.StatusCode)
	}
	if res, body := post("/settings/tokens/revoke", url.Values{"name": {"ci"}}); res.StatusCode != 200 || !strings.Contains(body, "Token ci is revoked") {
		t.Errorf("revoking: %d", res.StatusCode)
	}
	if got := api(); got != 401 {
		t.Errorf("the revoked token gets %d", got)
	}
}

// fetch does req and reads the body.
func fetch(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res, b.String()
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

// Signing in with GitHub through the real pages, in headless Chromium: a
// page asked for leads to sign-in, GitHub (the fake) and back to that page,
// which shows who is signed in; Settings makes an API token that works;
// sign-out ends the session.
func TestSignInInABrowser(t *testing.T) {
	ctx, consoleProblems := browser(t)
	gh := githubfake.New(githubfake.Options{})
	t.Cleanup(gh.Close)
	gh.AddOAuthApp("Iv1.browser", "browser-client-secret")
	gh.AddOAuthUser(&githubfake.OAuthUser{Login: "mona", Orgs: []string{"acme"}})
	gh.SignInAs("mona")
	cfg := testConfig(t)
	cfg.Auth.Mode = config.AuthGitHub
	cfg.Auth.GitHubClientID, cfg.Auth.GitHubClientSecret = "Iv1.browser", "browser-client-secret"
	cfg.Auth.GitHubWebURL, cfg.GitHubAPIURL = gh.WebURL(), gh.URL()
	cfg.Auth.GitHubAllow = []string{"acme"}
	srv := authSite(t, cfg)

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserDo(t, ctx, what, actions...)
	}
	read := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		return browserRead(t, ctx, what, a)
	}

	do("open DORA", chromedp.Navigate(srv.URL+"/dora?start_date=2026-01-01"), chromedp.WaitVisible(chromedp.ID("signin-github")))
	if u := read("read the URL", chromedp.Location()); !strings.HasPrefix(u, srv.URL+"/auth/sign-in?next=%2Fdora%3Fstart_date%3D2026-01-01") {
		t.Errorf("DORA without a session went to %s", u)
	}
	do("sign in with GitHub", chromedp.Click(chromedp.ID("signin-github")), chromedp.WaitVisible(chromedp.ID("signed-in-name")))
	if u := read("read the URL", chromedp.Location()); u != srv.URL+"/dora?start_date=2026-01-01" {
		t.Errorf("after sign-in the browser is at %s, not the page it asked for", u)
	}
	if who := read("read who", chromedp.Text(chromedp.ID("signed-in-name"))); who != "@mona" {
		t.Errorf("signed in as %q", who)
	}

	do("open Settings", chromedp.Navigate(srv.URL+"/settings"), chromedp.WaitVisible(chromedp.ID("token-form")))
	do("create a token", chromedp.SetValue(chromedp.ID("token-name"), "browser-ci"), chromedp.Click(chromedp.ID("token-create")),
		chromedp.WaitVisible(chromedp.ID("token-value")))
	tok := read("read the token", chromedp.Text(chromedp.ID("token-value")))
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/github/repos", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, _ := fetch(t, http.DefaultClient, req); res.StatusCode != 200 {
		t.Errorf("the token made on Settings gets %d", res.StatusCode)
	}

	do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("signin-notice")))
	do("open DORA again", chromedp.Navigate(srv.URL+"/dora"), chromedp.WaitVisible(chromedp.ID("signin-github")))
	if p := consoleProblems(); len(p) > 0 {
		t.Errorf("the browser console reported problems:\n%s", strings.Join(p, "\n"))
	}
}
