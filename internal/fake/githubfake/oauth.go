package githubfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// The fake's side of "Sign in with GitHub": an OAuth app's authorize page
// and token exchange (GitHub's web flow, with PKCE), and the user endpoints
// a sign-in reads with the user's token: GET /user, GET /user/orgs,
// GET /user/memberships/orgs/{org} and
// GET /orgs/{org}/teams/{team_slug}/memberships/{username}. The wire
// formats, including the token endpoint's errors (answered with status 200,
// as GitHub does), follow GitHub's documentation.

// OAuthUser is a GitHub account that can sign in through the fake.
type OAuthUser struct {
	Login string
	ID    int64
	Name  string
	// Orgs are the organizations the user is an active member of.
	Orgs []string
	// Teams are the teams the user is an active member of, as org/team-slug.
	Teams []string
}

type oauthCode struct {
	user        *OAuthUser
	clientID    string
	redirectURI string
	challenge   string
	used        bool
}

type oauthState struct {
	mu      sync.Mutex
	apps    map[string]string     // client ID → client secret
	users   map[string]*OAuthUser // by lower-case login
	current *OAuthUser            // who is signed in to the fake's web pages
	codes   map[string]*oauthCode
	tokens  map[string]*OAuthUser // user access tokens
	// Exchanges counts token requests, Refused those refused.
	exchanges, refused int
}

func (s *Server) oauthState() *oauthState {
	s.oauthOnce.Do(func() {
		s.oauth = &oauthState{apps: map[string]string{}, users: map[string]*OAuthUser{},
			codes: map[string]*oauthCode{}, tokens: map[string]*OAuthUser{}}
	})
	return s.oauth
}

// WebURL is the base of GitHub's web pages (GITHUB_WEB_URL).
func (s *Server) WebURL() string { return s.srv.URL }

// AddOAuthApp registers an OAuth app.
func (s *Server) AddOAuthApp(clientID, clientSecret string) {
	o := s.oauthState()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.apps[clientID] = clientSecret
}

// AddOAuthUser adds a GitHub account that can sign in.
func (s *Server) AddOAuthUser(u *OAuthUser) *OAuthUser {
	o := s.oauthState()
	o.mu.Lock()
	defer o.mu.Unlock()
	if u.ID == 0 {
		u.ID = int64(1000 + len(o.users))
	}
	o.users[strings.ToLower(u.Login)] = u
	return u
}

// SignInAs makes login the account signed in to the fake's web pages: the
// authorize page approves the app for it at once.
func (s *Server) SignInAs(login string) {
	o := s.oauthState()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.current = o.users[strings.ToLower(login)]
}

// OAuthExchanges returns how many token requests the fake answered, and how
// many of them it refused.
func (s *Server) OAuthExchanges() (total, refused int) {
	o := s.oauthState()
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.exchanges, o.refused
}

// serveOAuth answers the sign-in endpoints, and reports whether it did.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.URL.Path == "/login/oauth/authorize" && r.Method == http.MethodGet:
		s.oauthAuthorize(w, r)
		return true
	case r.URL.Path == "/login/oauth/access_token" && r.Method == http.MethodPost:
		s.oauthAccessToken(w, r)
		return true
	}
	o := s.oauthState()
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	o.mu.Lock()
	user := o.tokens[tok]
	o.mu.Unlock()
	if user == nil || !(strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) {
		return false // not a user token: the app's token, handled elsewhere
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method != http.MethodGet:
		return false
	case len(parts) == 1 && parts[0] == "user":
		s.writeJSON(w, "core", http.StatusOK, userJSON(s.srv.URL, user))
	case len(parts) == 2 && parts[0] == "user" && parts[1] == "orgs":
		orgs := []map[string]any{}
		for i, org := range user.Orgs {
			orgs = append(orgs, orgJSON(s.srv.URL, org, i))
		}
		s.writeJSON(w, "core", http.StatusOK, orgs)
	case len(parts) == 4 && parts[0] == "user" && parts[1] == "memberships" && parts[2] == "orgs":
		i := indexFold(user.Orgs, parts[3])
		if i < 0 {
			s.writeJSON(w, "core", http.StatusNotFound, notFoundJSON())
			return true
		}
		s.writeJSON(w, "core", http.StatusOK, map[string]any{
			"url": s.srv.URL + "/orgs/" + user.Orgs[i] + "/memberships/" + user.Login, "state": "active", "role": "member",
			"organization_url": s.srv.URL + "/orgs/" + user.Orgs[i], "organization": orgJSON(s.srv.URL, user.Orgs[i], i),
			"user": userJSON(s.srv.URL, user)})
	case len(parts) == 6 && parts[0] == "orgs" && parts[2] == "teams" && parts[4] == "memberships":
		// Visible to members of the org; the member is the one asked for.
		o.mu.Lock()
		member := o.users[strings.ToLower(parts[5])]
		o.mu.Unlock()
		if indexFold(user.Orgs, parts[1]) < 0 || member == nil || indexFold(member.Teams, parts[1]+"/"+parts[3]) < 0 {
			s.writeJSON(w, "core", http.StatusNotFound, notFoundJSON())
			return true
		}
		s.writeJSON(w, "core", http.StatusOK, map[string]any{
			"url": s.srv.URL + "/teams/1/memberships/" + member.Login, "role": "member", "state": "active"})
	default:
		return false
	}
	return true
}

func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	o := s.oauthState()
	q := r.URL.Query()
	o.mu.Lock()
	_, known := o.apps[q.Get("client_id")]
	user := o.current
	o.mu.Unlock()
	if !known {
		http.Error(w, "Not Found: no OAuth app with that client_id", http.StatusNotFound)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" {
		http.Error(w, "The redirect_uri is not a URL", http.StatusBadRequest)
		return
	}
	if user == nil {
		http.Error(w, "Sign in to GitHub first (the fake has no signed-in user: call SignInAs)", http.StatusUnauthorized)
		return
	}
	if q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256" {
		http.Error(w, "code_challenge_method must be S256", http.StatusBadRequest)
		return
	}
	code := randomHex(10)
	o.mu.Lock()
	o.codes[code] = &oauthCode{user: user, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
	o.mu.Unlock()
	v := redirect.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) oauthAccessToken(w http.ResponseWriter, r *http.Request) {
	o := s.oauthState()
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.exchanges++
	fail := func(code, desc, anchor string) {
		o.refused++
		tokenAnswer(w, r, map[string]string{"error": code, "error_description": desc,
			"error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#" + anchor})
	}
	if want, ok := o.apps[id]; !ok || want != secret {
		fail("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", "incorrect-client-credentials")
		return
	}
	c := o.codes[f.Get("code")]
	if c == nil || c.used || c.clientID != id {
		if c != nil {
			c.used = true
		}
		fail("bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code")
		return
	}
	c.used = true // a code works once
	if ru := f.Get("redirect_uri"); ru != "" && ru != c.redirectURI {
		fail("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", "redirect-uri-mismatch")
		return
	}
	if c.challenge != "" {
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			fail("bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code")
			return
		}
	}
	tok := "gho_" + randomHex(18)
	o.tokens[tok] = c.user
	tokenAnswer(w, r, map[string]string{"access_token": tok, "scope": "read:org", "token_type": "bearer"})
}

// tokenAnswer writes the token endpoint's answer: JSON when asked for,
// else form-encoded, as GitHub does; status 200 even for errors.
func tokenAnswer(w http.ResponseWriter, r *http.Request, fields map[string]string) {
	if strings.Contains(r.Header.Get("Accept"), "json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(fields)
		return
	}
	v := url.Values{}
	for k, s := range fields {
		v.Set(k, s)
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w.Write([]byte(v.Encode()))
}

func userJSON(base string, u *OAuthUser) map[string]any {
	return map[string]any{"login": u.Login, "id": u.ID, "node_id": "U_" + strconv.FormatInt(u.ID, 10),
		"avatar_url": "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(u.ID, 10), "type": "User", "site_admin": false,
		"name": u.Name, "url": base + "/users/" + u.Login, "html_url": base + "/" + u.Login}
}

func orgJSON(base, org string, i int) map[string]any {
	return map[string]any{"login": org, "id": 9000 + i, "node_id": "O_" + strconv.Itoa(9000+i), "url": base + "/orgs/" + org,
		"repos_url": base + "/orgs/" + org + "/repos", "description": ""}
}

func notFoundJSON() map[string]string {
	return map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
}

func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	const digits = "0123456789abcdef"
	out := make([]byte, 2*n)
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
