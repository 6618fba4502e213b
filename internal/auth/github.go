package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// stateCookie binds a sign-in's state to the browser that started it.
const stateCookie = "veelocity_oauth_state"

// githubFlow is sign-in with GitHub: OAuth's web flow with state and PKCE,
// then a check of AUTH_GITHUB_ALLOW with the user's own token, which is
// then dropped.
type githubFlow struct {
	a     *Auth
	oauth *oauth2.Config
	api   string // REST base, as GITHUB_API_URL

	mu      sync.Mutex
	pending map[string]pendingSignIn // by state
}

type pendingSignIn struct {
	verifier string
	next     string
	expires  time.Time
}

func newGitHubFlow(a *Auth) *githubFlow {
	c := a.cfg.Auth
	web := strings.TrimRight(c.GitHubWebURL, "/")
	if web == "" {
		web = "https://github.com"
	}
	apiURL := strings.TrimRight(a.cfg.GitHubAPIURL, "/")
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	return &githubFlow{a: a, api: apiURL, pending: map[string]pendingSignIn{},
		oauth: &oauth2.Config{
			ClientID: c.GitHubClientID, ClientSecret: c.GitHubClientSecret.Reveal(),
			Endpoint: oauth2.Endpoint{AuthURL: web + "/login/oauth/authorize", TokenURL: web + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL: strings.TrimRight(c.PublicURL, "/") + "/auth/github/callback",
			Scopes:      []string{"read:org"}, // to see org and team memberships
		}}
}

// githubStart sends the browser to GitHub's authorize page.
func (a *Auth) githubStart(w http.ResponseWriter, r *http.Request) {
	if a.gh == nil {
		http.Redirect(w, r, SignInURL(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	g := a.gh
	state, verifier, now := randomSecret(), oauth2.GenerateVerifier(), a.now()
	g.mu.Lock()
	for s, p := range g.pending {
		if now.After(p.expires) {
			delete(g.pending, s)
		}
	}
	g.pending[state] = pendingSignIn{verifier: verifier, next: SafeNext(r.URL.Query().Get("next")), expires: now.Add(10 * time.Minute)}
	g.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/auth/github", MaxAge: 600,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, g.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// githubCallback is where GitHub sends the browser back: it checks the
// state, exchanges the code (with the PKCE verifier), checks who the user
// is against AUTH_GITHUB_ALLOW, and starts a session.
func (a *Auth) githubCallback(w http.ResponseWriter, r *http.Request) {
	if a.gh == nil {
		http.Redirect(w, r, SignInPath, http.StatusSeeOther)
		return
	}
	g := a.gh
	q := r.URL.Query()
	state := q.Get("state")
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/auth/github", MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	g.mu.Lock()
	p, ok := g.pending[state]
	delete(g.pending, state) // a state works once
	g.mu.Unlock()
	c, err := r.Cookie(stateCookie)
	if !ok || state == "" || err != nil || c.Value != state || a.now().After(p.expires) {
		a.log.Warn("GitHub sign-in refused: unknown, expired or forged state")
		a.page(w, http.StatusBadRequest, signInPage{Mode: a.mode, Error: "This sign-in link is not valid: it was already used, it expired, or it did not start here. Sign in again."})
		return
	}
	if e := q.Get("error"); e != "" {
		a.log.Info("GitHub sign-in declined", "error", e)
		a.page(w, http.StatusForbidden, signInPage{Mode: a.mode, Next: p.next, Error: "GitHub did not sign you in (" + e + "). Try again."})
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, a.client)
	tok, err := g.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		code := "unknown"
		if errors.As(err, &re) {
			code = re.ErrorCode
		}
		a.log.Warn("GitHub sign-in refused: the code exchange failed", "error", code)
		a.page(w, http.StatusForbidden, signInPage{Mode: a.mode, Next: p.next, Error: "GitHub refused the sign-in (the code was already used or is not valid). Sign in again."})
		return
	}
	login, allowed, why, err := g.check(ctx, tok.AccessToken)
	// The user's token is dropped here: it is never stored.
	if err != nil {
		a.log.Error("GitHub sign-in: reading the user's memberships", "err", err)
		a.page(w, http.StatusBadGateway, signInPage{Mode: a.mode, Next: p.next, Error: "Could not ask GitHub who you are; the log has the details. Try again."})
		return
	}
	if !allowed {
		a.log.Info("GitHub sign-in refused: not allowed", "user", login)
		a.page(w, http.StatusForbidden, signInPage{Mode: a.mode, Refused: true, Error: why})
		return
	}
	if err := a.startSession(r.Context(), w, "@"+login); err != nil {
		a.log.Error("starting a session", "err", err)
		a.page(w, http.StatusInternalServerError, signInPage{Mode: a.mode, Error: "Signing in failed on the server; the log has the details."})
		return
	}
	http.Redirect(w, r, p.next, http.StatusSeeOther)
}

// check reads who the token's user is and whether AUTH_GITHUB_ALLOW lets
// them in; why explains a refusal.
func (g *githubFlow) check(ctx context.Context, token string) (login string, allowed bool, why string, err error) {
	var user struct {
		Login string `json:"login"`
	}
	if _, err := g.get(ctx, token, "/user", &user); err != nil {
		return "", false, "", err
	}
	if user.Login == "" {
		return "", false, "", errors.New("GitHub's /user answered without a login")
	}
	var orgs []string
	orgsRead := false
	for _, entry := range g.a.cfg.Auth.GitHubAllow {
		switch org, team, isTeam := strings.Cut(entry, "/"); {
		case strings.HasPrefix(entry, "@"):
			if strings.EqualFold(entry[1:], user.Login) {
				return user.Login, true, "", nil
			}
		case isTeam:
			var m struct {
				State string `json:"state"`
			}
			status, err := g.get(ctx, token, "/orgs/"+url.PathEscape(org)+"/teams/"+url.PathEscape(team)+"/memberships/"+url.PathEscape(user.Login), &m)
			if err != nil && status != http.StatusNotFound && status != http.StatusForbidden {
				return "", false, "", err
			}
			if status == http.StatusOK && m.State == "active" {
				return user.Login, true, "", nil
			}
		default:
			if !orgsRead {
				if orgs, err = g.userOrgs(ctx, token); err != nil {
					return "", false, "", err
				}
				orgsRead = true
			}
			for _, o := range orgs {
				if strings.EqualFold(o, entry) {
					return user.Login, true, "", nil
				}
			}
		}
	}
	return user.Login, false, fmt.Sprintf("You signed in to GitHub as @%s, but this Veelocity lets in only %s. "+
		"Ask whoever runs it to add you to AUTH_GITHUB_ALLOW, or to add you to one of those organizations or teams.",
		user.Login, describeAllow(g.a.cfg.Auth.GitHubAllow)), nil
}

// userOrgs lists the organizations the user belongs to (GET /user/orgs,
// every page).
func (g *githubFlow) userOrgs(ctx context.Context, token string) ([]string, error) {
	var out []string
	for page := 1; page <= 10; page++ {
		var orgs []struct {
			Login string `json:"login"`
		}
		if _, err := g.get(ctx, token, fmt.Sprintf("/user/orgs?per_page=100&page=%d", page), &orgs); err != nil {
			return nil, err
		}
		for _, o := range orgs {
			out = append(out, o.Login)
		}
		if len(orgs) < 100 {
			break
		}
	}
	return out, nil
}

// get reads a GitHub REST path with the user's token into v. A 404 or 403
// is returned as its status with no error.
func (g *githubFlow) get(ctx context.Context, token, path string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.api+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "veelocity")
	res, err := g.a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return res.StatusCode, err
	}
	switch res.StatusCode {
	case http.StatusOK:
		return res.StatusCode, json.Unmarshal(body, v)
	case http.StatusNotFound, http.StatusForbidden:
		return res.StatusCode, nil
	}
	return res.StatusCode, fmt.Errorf("GET %s: GitHub answered %s", strings.SplitN(path, "?", 2)[0], res.Status)
}

func describeAllow(allow []string) string {
	var parts []string
	for _, e := range allow {
		switch {
		case strings.HasPrefix(e, "@"):
			parts = append(parts, e)
		case strings.Contains(e, "/"):
			parts = append(parts, "members of the team "+e)
		default:
			parts = append(parts, "members of the organization "+e)
		}
	}
	return strings.Join(parts, ", ")
}
