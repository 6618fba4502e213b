package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// App is a GitHub App registered with the fake: installation tokens are
// minted for a JWT signed with the private key of PublicKey, issued by ID.
type App struct {
	ID        int64
	PublicKey *rsa.PublicKey
	// TokenLifetime is how long an installation token lives (GitHub: an
	// hour, the default); a test shortens it to see tokens expire.
	TokenLifetime time.Duration
}

// Installation is the App installed on an account: it reads every
// repository of Owner.
type Installation struct {
	ID    int64
	Owner string
	// User marks a user account; else an organisation.
	User bool
}

// appState is what the fake knows of the App.
type appState struct {
	app      App
	installs []*Installation
	tokens   map[string]*installToken
	minted   []string
}

type installToken struct {
	install *Installation
	expires time.Time
}

// SetApp registers the GitHub App the fake accepts.
func (s *Server) SetApp(a App) {
	if a.TokenLifetime == 0 {
		a.TokenLifetime = time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app = &appState{app: a, tokens: map[string]*installToken{}}
}

// Install installs the App (set by SetApp first) on owner's account and
// returns the installation.
func (s *Server) Install(owner string, user bool) *Installation {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &Installation{ID: 7_000_000 + s.nextID(), Owner: owner, User: user}
	s.app.installs = append(s.app.installs, in)
	return in
}

// TokensMinted returns the installation tokens the fake has issued, oldest
// first.
func (s *Server) TokensMinted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return nil
	}
	return slices.Clone(s.app.minted)
}

// ExpireTokens ends the life of every installation token issued so far,
// as if the client's clock ran late: GitHub refuses them with 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.app.tokens {
		t.expires = s.now()
	}
}

// installationToken returns the live installation behind a token, and
// whether the token is one the fake issued (live or expired).
func (s *Server) installationToken(tok string) (*Installation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return nil, false
	}
	t, ok := s.app.tokens[tok]
	if !ok {
		return nil, false
	}
	if !s.now().Before(t.expires) {
		return nil, true
	}
	return t.install, true
}

// appHandler returns the handler of the endpoints a GitHub App
// authenticates to with its JWT, or nil for other requests.
func (s *Server) appHandler(r *http.Request) http.Handler {
	s.appMuxOnce.Do(func() {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /app/installations/{id}/access_tokens", func(w http.ResponseWriter, r *http.Request) {
			s.withAppJWT(w, r, func() (int, any) { return s.createToken(r.PathValue("id")) })
		})
		for _, kind := range []string{"orgs", "users"} {
			mux.HandleFunc("GET /"+kind+"/{owner}/installation", func(w http.ResponseWriter, r *http.Request) {
				s.withAppJWT(w, r, func() (int, any) { return s.findInstallation(r.PathValue("owner"), kind == "users") })
			})
		}
		s.appMux = mux
	})
	if _, pattern := s.appMux.Handler(r); pattern != "" {
		return s.appMux // which sets the path values, unlike the handler Handler returns
	}
	return nil
}

// withAppJWT checks the request's JWT as GitHub does (RS256 signed with the
// App's key, issued by its ID, expiring at most 10 minutes after it was
// issued, not yet expired) and writes f's answer.
func (s *Server) withAppJWT(w http.ResponseWriter, r *http.Request, f func() (int, any)) {
	s.mu.Lock()
	app := s.app
	s.mu.Unlock()
	if app == nil {
		s.writeJSON(w, "core", http.StatusUnauthorized, map[string]string{"message": "A JSON web token could not be decoded",
			"documentation_url": "https://docs.github.com/rest"})
		return
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return app.app.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithIssuer(strconv.FormatInt(app.app.ID, 10)), jwt.WithLeeway(time.Minute))
	msg := ""
	switch {
	case !ok || err != nil:
		msg = "A JSON web token could not be decoded"
	case claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute:
		msg = "'Expiration time' claim ('exp') is too far in the future"
	}
	if msg != "" {
		s.writeJSON(w, "core", http.StatusUnauthorized, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
		return
	}
	status, body := f()
	s.writeJSON(w, "core", status, body)
}

// findInstallation answers GET /orgs|users/{owner}/installation.
func (s *Server) findInstallation(owner string, user bool) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.app.installs {
		if strings.EqualFold(in.Owner, owner) && in.User == user {
			return http.StatusOK, s.installationJSON(in)
		}
	}
	return http.StatusNotFound, notFoundBody
}

// installationJSON is an installation as GitHub describes it. The caller
// holds s.mu.
func (s *Server) installationJSON(in *Installation) map[string]any {
	kind := "Organization"
	if in.User {
		kind = "User"
	}
	return map[string]any{
		"id":                   in.ID,
		"account":              map[string]any{"login": in.Owner, "id": in.ID - 1_000_000, "type": kind},
		"repository_selection": "all",
		"access_tokens_url":    fmt.Sprintf("%s/app/installations/%d/access_tokens", s.URL(), in.ID),
		"repositories_url":     s.URL() + "/installation/repositories",
		"html_url":             fmt.Sprintf("https://github.com/organizations/%s/settings/installations/%d", in.Owner, in.ID),
		"app_id":               s.app.app.ID,
		"app_slug":             "veelocity",
		"target_id":            in.ID - 1_000_000,
		"target_type":          kind,
		"permissions":          appPermissions,
		"events":               []string{},
		"created_at":           ts(s.now().Add(-24 * time.Hour)),
		"updated_at":           ts(s.now().Add(-24 * time.Hour)),
		"single_file_name":     nil,
		"suspended_at":         nil,
	}
}

// appPermissions are the read permissions Veelocity's App asks for.
var appPermissions = map[string]string{"contents": "read", "pull_requests": "read", "issues": "read", "actions": "read",
	"deployments": "read", "members": "read", "metadata": "read"}

// createToken answers POST /app/installations/{id}/access_tokens with a
// new ghs_ token.
func (s *Server) createToken(id string) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.app.installs, func(in *Installation) bool { return strconv.FormatInt(in.ID, 10) == id })
	if i < 0 {
		return http.StatusNotFound, notFoundBody
	}
	b := make([]byte, 18)
	rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	expires := s.now().Add(s.app.app.TokenLifetime).Truncate(time.Second)
	s.app.tokens[tok] = &installToken{install: s.app.installs[i], expires: expires}
	s.app.minted = append(s.app.minted, tok)
	return http.StatusCreated, map[string]any{"token": tok, "expires_at": ts(expires),
		"permissions": appPermissions, "repository_selection": "all"}
}

// listInstallationRepos answers GET /installation/repositories for an
// installation token: every repository of the installation's account,
// per_page (default 30, at most 100) a page, with Link headers.
func (s *Server) listInstallationRepos(w http.ResponseWriter, r *http.Request, in *Installation) {
	s.mu.Lock()
	var repos []*Repo
	for _, repo := range s.repos {
		if strings.EqualFold(repo.Owner, in.Owner) {
			repos = append(repos, repo)
		}
	}
	slices.SortFunc(repos, func(a, b *Repo) int { return int(a.ID - b.ID) })
	q := r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	start := min((page-1)*perPage, len(repos))
	end := min(start+perPage, len(repos))
	list := make([]any, 0, end-start)
	for _, repo := range repos[start:end] {
		list = append(list, s.getRepo(nil, nil, repo))
	}
	total := len(repos)
	s.mu.Unlock()
	last := max((total+perPage-1)/perPage, 1)
	var links []string
	link := func(p int, rel string) {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		u := url.URL{Path: "/installation/repositories", RawQuery: q.Encode()}
		links = append(links, fmt.Sprintf(`<%s%s>; rel="%s"`, s.URL(), u.RequestURI(), rel))
	}
	if page > 1 {
		link(page-1, "prev")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
	}
	s.writeCached(w, r, map[string]any{"total_count": total, "repository_selection": "all", "repositories": list},
		strings.Join(links, ", "))
}
