package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
)

// sessionCookie returns the session cookie a response set.
func sessionCookie(a answer) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == auth.SessionCookie {
			return c
		}
	}
	return nil
}

// The shared password: a wrong one is refused, ten failures a minute from
// one address get 429, the right one starts a session kept in the database
// (as a hash only) whose cookie is HttpOnly and SameSite=Lax; the session
// survives a restart, ends at sign-out and at expiry.
func TestPasswordSignIn(t *testing.T) {
	s := newSecureSite(t, config.AuthPassword, map[string]string{"AUTH_SESSION_LIFETIME": "2d"})
	b := s.browser(t)
	form := func(pw, next string) request {
		return request{method: "POST", path: "/auth/sign-in", body: url.Values{"password": {pw}, "next": {next}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": s.URL}}
	}
	page := s.do(t, b, request{method: "GET", path: "/auth/sign-in?next=%2Fdora%3Frepo%3Dacme%252Fweb"})
	if page.status != 200 || !strings.Contains(page.body, `type="password"`) || !strings.Contains(page.body, `value="/dora?repo=acme%2Fweb"`) {
		t.Fatalf("sign-in page: %d\n%s", page.status, page.body)
	}
	if got := s.do(t, b, form("wrong", "/dora")); got.status != http.StatusForbidden || !strings.Contains(got.body, "That password is not right") || sessionCookie(got) != nil {
		t.Fatalf("a wrong password: %d %s", got.status, got.body)
	}
	got := s.do(t, b, form(testPassword, "/dora?repo=acme%2Fweb"))
	c := sessionCookie(got)
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/dora?repo=acme%2Fweb" || c == nil {
		t.Fatalf("the right password: %d to %q, cookie %v", got.status, got.header.Get("Location"), c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.MaxAge != 2*24*3600 {
		t.Errorf("session cookie: HttpOnly %v, SameSite %v, Secure %v (PUBLIC_URL is http), MaxAge %d", c.HttpOnly, c.SameSite, c.Secure, c.MaxAge)
	}
	if stored := strings.Join(s.dumpSessions(t), " "); strings.Contains(stored, c.Value) || len(s.dumpSessions(t)) != 1 {
		t.Errorf("the sessions table holds %q; want one row with a hash of the ID", stored)
	}
	dash := s.do(t, b, request{method: "GET", path: "/dashboard", header: map[string]string{"Accept": "text/html"}})
	if dash.status != 200 || !strings.Contains(dash.body, `id="signed-in-name">password<`) || !strings.Contains(dash.body, `id="sign-out"`) {
		t.Errorf("a signed-in page does not show who is signed in and a sign-out button: %d", dash.status)
	}

	// A restart: a new server over the same database knows the session.
	o := s.opts
	o.Auth = auth.New(auth.Options{Mode: s.cfg.Auth.Mode, Config: s.cfg, Store: s.st, Now: s.now.Now})
	h := Handler(o)
	if rec := serveWith(t, h, "/api/v1/github/repos", c); rec != http.StatusOK {
		t.Errorf("after a restart the session gives %d", rec)
	}

	// Sign-out ends it, in the database too.
	out := s.do(t, b, request{method: "POST", path: "/auth/sign-out", header: map[string]string{"Origin": s.URL}})
	if out.status != http.StatusSeeOther || len(s.dumpSessions(t)) != 0 {
		t.Errorf("sign-out: %d, %d sessions left", out.status, len(s.dumpSessions(t)))
	}
	if rec := serveWith(t, h, "/api/v1/github/repos", c); rec != http.StatusUnauthorized {
		t.Errorf("the signed-out session's cookie gives %d", rec)
	}

	// Expiry.
	got = s.do(t, b, form(testPassword, "/"))
	c = sessionCookie(got)
	s.now.Add(47 * time.Hour)
	if rec := serveWith(t, h, "/api/v1/github/repos", c); rec != http.StatusOK {
		t.Errorf("a session before its expiry: %d", rec)
	}
	s.now.Add(2 * time.Hour)
	if rec := serveWith(t, h, "/api/v1/github/repos", c); rec != http.StatusUnauthorized {
		t.Errorf("an expired session: %d", rec)
	}

	// The limit: 10 failures a minute per address, then 429 even for the
	// right password, until the minute is over.
	for i := range 10 {
		if got := s.do(t, b, form("wrong", "/")); got.status != http.StatusForbidden {
			t.Fatalf("failure %d: %d", i+1, got.status)
		}
	}
	got = s.do(t, b, form(testPassword, "/"))
	if got.status != http.StatusTooManyRequests || got.header.Get("Retry-After") == "" || sessionCookie(got) != nil {
		t.Errorf("after 10 failures: %d, Retry-After %q", got.status, got.header.Get("Retry-After"))
	}
	s.now.Add(time.Minute)
	if got := s.do(t, b, form(testPassword, "/")); got.status != http.StatusSeeOther {
		t.Errorf("a minute later the right password gives %d", got.status)
	}
}

// The cookie is Secure when PUBLIC_URL is https.
func TestSecureCookieWithHTTPS(t *testing.T) {
	s := newSecureSite(t, config.AuthPassword, map[string]string{"PUBLIC_URL": "https://veelocity.example.com"})
	got := s.do(t, nil, request{method: "POST", path: "/auth/sign-in", body: "password=" + url.QueryEscape(testPassword),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if c := sessionCookie(got); c == nil || !c.Secure {
		t.Fatalf("with an https PUBLIC_URL the cookie is %v", c)
	}
}

// Sign-in never redirects to another site.
func TestSignInRefusesOpenRedirects(t *testing.T) {
	s := newSecureSite(t, config.AuthPassword, nil)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil.example", "javascript:alert(1)", "/auth/sign-out"} {
		got := s.do(t, nil, request{method: "POST", path: "/auth/sign-in", body: url.Values{"password": {testPassword}, "next": {next}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/" {
			t.Errorf("next=%q: %d to %q, want /", next, got.status, got.header.Get("Location"))
		}
	}
}

// A proxy's header is believed from AUTH_PROXY_TRUSTED addresses only.
func TestProxyHeader(t *testing.T) {
	for _, tc := range []struct {
		trusted string
		want    int
	}{{"127.0.0.0/8,::1/128", 200}, {"10.0.0.0/8", 401}} {
		s := newSecureSite(t, config.AuthProxy, map[string]string{"AUTH_PROXY_HEADER": "X-Forwarded-Email", "AUTH_PROXY_TRUSTED": tc.trusted})
		got := s.do(t, nil, request{method: "GET", path: "/api/v1/github/repos", header: map[string]string{"X-Forwarded-Email": "mona@example.com"}})
		if got.status != tc.want {
			t.Errorf("trusted %s: %d, want %d", tc.trusted, got.status, tc.want)
		}
		page := s.do(t, nil, request{method: "GET", path: "/settings", header: map[string]string{"X-Forwarded-Email": "mona@example.com", "Accept": "text/html"}})
		if tc.want == 200 && !strings.Contains(page.body, "mona@example.com") {
			t.Errorf("the page does not show the proxy's user")
		}
		if got := s.do(t, nil, request{method: "GET", path: "/api/v1/github/repos", header: map[string]string{"Authorization": "Bearer " + s.rw}}); got.status != 200 {
			t.Errorf("a token in proxy mode: %d", got.status)
		}
	}
}

// githubSite is a site in AUTH_MODE=github against the fake GitHub, with
// mona (in the acme org), hubot (in acme-ops's platform team) and eve (in
// neither).
func githubSite(t *testing.T) (*secureSite, *githubfake.Server) {
	gh := githubfake.New(githubfake.Options{})
	t.Cleanup(gh.Close)
	gh.AddOAuthApp("Iv1.testclient", "oauth-client-secret-123456")
	gh.AddOAuthUser(&githubfake.OAuthUser{Login: "mona", Orgs: []string{"acme"}})
	gh.AddOAuthUser(&githubfake.OAuthUser{Login: "hubot", Orgs: []string{"acme-ops"}, Teams: []string{"acme-ops/platform"}})
	gh.AddOAuthUser(&githubfake.OAuthUser{Login: "eve", Orgs: []string{"elsewhere", "acme-ops"}, Teams: []string{"acme-ops/sales"}})
	s := newSecureSite(t, config.AuthGitHub, map[string]string{
		"GITHUB_OAUTH_CLIENT_ID": "Iv1.testclient", "GITHUB_OAUTH_CLIENT_SECRET": "oauth-client-secret-123456",
		"GITHUB_WEB_URL": gh.WebURL(), "GITHUB_API_URL": gh.URL(), "AUTH_GITHUB_ALLOW": "acme,acme-ops/platform,@octocat"})
	return s, gh
}

// startGitHub begins a sign-in in browser b and follows it to GitHub and
// back to the callback URL, which it returns without visiting.
func startGitHub(t *testing.T, s *secureSite, b *http.Client, next string) *url.URL {
	t.Helper()
	got := s.do(t, b, request{method: "GET", path: "/auth/github?next=" + url.QueryEscape(next)})
	authorize, err := url.Parse(got.header.Get("Location"))
	if got.status != http.StatusFound || err != nil {
		t.Fatalf("start: %d %v", got.status, err)
	}
	q := authorize.Query()
	if q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" || q.Get("client_id") != "Iv1.testclient" {
		t.Fatalf("the authorize URL lacks state or PKCE: %s", authorize)
	}
	res, err := b.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	callback, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(callback.String(), s.URL+"/auth/github/callback?") {
		t.Fatalf("GitHub's authorize page: %d to %s", res.StatusCode, callback)
	}
	return callback
}

// Sign in with GitHub against the fake: an org member and a team member
// get in; a user in neither is refused with a page that says why; a forged
// state and a replayed code are refused.
func TestGitHubSignIn(t *testing.T) {
	s, gh := githubSite(t)
	for _, tc := range []struct {
		login  string
		status int
		want   string
	}{
		{"mona", http.StatusSeeOther, ""},  // a member of the acme org
		{"hubot", http.StatusSeeOther, ""}, // a member of acme-ops/platform
		{"eve", http.StatusForbidden, "You signed in to GitHub as @eve, but this Veelocity lets in only members of the organization acme, members of the team acme-ops/platform, @octocat."},
	} {
		t.Run(tc.login, func(t *testing.T) {
			gh.SignInAs(tc.login)
			b := s.browser(t)
			callback := startGitHub(t, s, b, "/deployments?start_date=2026-01-01")
			got := s.do(t, b, request{method: "GET", path: strings.TrimPrefix(callback.String(), s.URL)})
			if got.status != tc.status {
				t.Fatalf("callback: %d, want %d\n%s", got.status, tc.status, got.body)
			}
			if tc.want != "" {
				if !strings.Contains(strings.Join(strings.Fields(got.body), " "), strings.ReplaceAll(tc.want, "@", "@")) || sessionCookie(got) != nil {
					t.Errorf("the refusal page does not say why (or set a session):\n%s", got.body)
				}
				return
			}
			if got.header.Get("Location") != "/deployments?start_date=2026-01-01" || sessionCookie(got) == nil {
				t.Fatalf("signed in to %q, cookie %v", got.header.Get("Location"), sessionCookie(got))
			}
			page := s.do(t, b, request{method: "GET", path: "/deployments?start_date=2026-01-01", header: map[string]string{"Accept": "text/html"}})
			if page.status != 200 || !strings.Contains(page.body, ">@"+tc.login+"<") {
				t.Errorf("after sign-in the page is %d without @%s", page.status, tc.login)
			}
		})
	}

	t.Run("forged state", func(t *testing.T) {
		gh.SignInAs("mona")
		b := s.browser(t)
		callback := startGitHub(t, s, b, "/")
		q := callback.Query()
		q.Set("state", "forged-"+q.Get("state"))
		got := s.do(t, b, request{method: "GET", path: "/auth/github/callback?" + q.Encode()})
		if got.status != http.StatusBadRequest || sessionCookie(got) != nil || !strings.Contains(got.body, "not valid") {
			t.Errorf("a forged state: %d\n%s", got.status, got.body)
		}
		// Another browser cannot use this browser's callback (login CSRF).
		got = s.do(t, s.browser(t), request{method: "GET", path: strings.TrimPrefix(callback.String(), s.URL)})
		if got.status != http.StatusBadRequest || sessionCookie(got) != nil {
			t.Errorf("a callback from another browser: %d", got.status)
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		gh.SignInAs("mona")
		b := s.browser(t)
		first := startGitHub(t, s, b, "/")
		if got := s.do(t, b, request{method: "GET", path: strings.TrimPrefix(first.String(), s.URL)}); got.status != http.StatusSeeOther {
			t.Fatalf("the first sign-in: %d", got.status)
		}
		_, refusedBefore := gh.OAuthExchanges()
		second := startGitHub(t, s, b, "/")
		q := second.Query()
		q.Set("code", first.Query().Get("code")) // the code already exchanged, with a fresh state
		got := s.do(t, b, request{method: "GET", path: "/auth/github/callback?" + q.Encode()})
		_, refused := gh.OAuthExchanges()
		if got.status != http.StatusForbidden || sessionCookie(got) != nil || refused != refusedBefore+1 {
			t.Errorf("a replayed code: %d (GitHub refused %d exchanges, before %d)\n%s", got.status, refused, refusedBefore, got.body)
		}
		// The whole callback URL again: its state is spent.
		got = s.do(t, b, request{method: "GET", path: strings.TrimPrefix(first.String(), s.URL)})
		if got.status != http.StatusBadRequest || sessionCookie(got) != nil {
			t.Errorf("a replayed callback: %d", got.status)
		}
	})
}

// serveWith serves a GET of path with cookie c through h, and returns the
// status.
func serveWith(t *testing.T, h http.Handler, path string, c *http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest("GET", path, nil)
	req.RemoteAddr = "127.0.0.1:5555"
	if c != nil {
		req.AddCookie(c)
	}
	rec := &statusOnly{header: http.Header{}}
	h.ServeHTTP(rec, req)
	return rec.status
}

type statusOnly struct {
	header http.Header
	status int
}

func (r *statusOnly) Header() http.Header { return r.header }
func (r *statusOnly) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return len(b), nil
}
func (r *statusOnly) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// dumpSessions returns the sessions table's rows.
func (s *secureSite) dumpSessions(t *testing.T) []string {
	return storetestRows(t, s, "SELECT id_hash || ' ' || username FROM sessions")
}

// API tokens work in every AUTH_MODE but none (where nothing needs one).
func TestTokensWorkInEveryMode(t *testing.T) {
	for _, mode := range []string{config.AuthGitHub, config.AuthPassword, config.AuthProxy} {
		var s *secureSite
		if mode == config.AuthGitHub {
			s, _ = githubSite(t)
		} else {
			s = newSecureSite(t, mode, map[string]string{"AUTH_PROXY_HEADER": "X-Forwarded-User"})
		}
		for _, tc := range []struct {
			token string
			want  int
		}{{"", 401}, {s.rw, 200}, {s.ro, 200}} {
			h := map[string]string{}
			if tc.token != "" {
				h["Authorization"] = "Bearer " + tc.token
			}
			if got := s.do(t, nil, request{method: "GET", path: "/api/v1/metrics/dora", header: h}); got.status != tc.want {
				t.Errorf("%s: GET with a token (%v): %d, want %d", mode, tc.token != "", got.status, tc.want)
			}
		}
		h := map[string]string{"Authorization": "Bearer " + s.rw, "Content-Type": "application/json"}
		if got := s.do(t, nil, request{method: "POST", path: "/api/v1/incidents", header: h,
			body: `{"external_id":"pd-1","opened_at":"2026-03-01T10:00:00Z","title":"outage"}`}); got.status != http.StatusCreated {
			t.Errorf("%s: POST with a read-write token: %d %s", mode, got.status, got.body)
		}
	}
}
