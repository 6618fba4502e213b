package auth

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "veelocity_session"

// Options configure an Auth.
type Options struct {
	// Mode is the effective AUTH_MODE (config.Config.AuthMode).
	Mode   string
	Config *config.Config
	Store  *store.Store
	Log    *slog.Logger
	// Now is the clock for sessions, token use and the sign-in limit
	// (default time.Now).
	Now func() time.Time
	// HTTPClient talks to GitHub (default http.DefaultClient).
	HTTPClient *http.Client
}

// Auth authenticates requests and serves the sign-in flow.
type Auth struct {
	mode   string
	cfg    *config.Config
	st     *store.Store
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	secure bool // cookies are Secure: PUBLIC_URL is https
	limit  *limiter
	gh     *githubFlow
}

// New returns the Auth for o.Mode.
func New(o Options) *Auth {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Config == nil {
		o.Config = &config.Config{}
	}
	if o.Mode == "" {
		o.Mode = config.AuthNone
	}
	a := &Auth{mode: o.Mode, cfg: o.Config, st: o.Store, log: o.Log, now: o.Now, client: o.HTTPClient,
		secure: strings.HasPrefix(o.Config.Auth.PublicURL, "https://"), limit: newLimiter(10, time.Minute)}
	if a.mode == config.AuthGitHub {
		a.gh = newGitHubFlow(a)
	}
	return a
}

// Mode is the AUTH_MODE in force.
func (a *Auth) Mode() string { return a.mode }

// Required reports whether requests need credentials (every mode but none).
func (a *Auth) Required() bool { return a != nil && a.mode != config.AuthNone }

// ErrBadToken is an Authorization header whose token is unknown or revoked.
var ErrBadToken = errors.New("the API token is not valid (unknown or revoked)")

// Identify returns who made r: an API token (Authorization: Bearer), a
// session cookie, or the proxy's header from a trusted address. It returns
// nil, nil for nobody, and ErrBadToken for a bearer token that is not
// valid. With AUTH_MODE=none it always returns nil.
func (a *Auth) Identify(r *http.Request) (*User, error) {
	if !a.Required() {
		return nil, nil
	}
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, ErrBadToken
		}
		t, err := a.st.APITokenByHash(ctx, hashSecret(strings.TrimSpace(tok)))
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrBadToken
		}
		if err != nil {
			return nil, err
		}
		now := a.now()
		if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= time.Minute {
			if err := a.st.TouchAPIToken(ctx, t.Name, now); err != nil {
				a.log.Warn("recording a token's use", "token", t.Name, "err", err)
			}
		}
		return &User{Name: "token " + t.Name, Via: "token", ReadOnly: t.ReadOnly}, nil
	}
	if a.mode == config.AuthProxy {
		if name := strings.TrimSpace(r.Header.Get(a.cfg.Auth.ProxyHeader)); name != "" && a.trustedProxy(r) {
			return &User{Name: name, Via: "proxy"}, nil
		}
		return nil, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	h := hashSecret(c.Value)
	sess, err := a.st.SessionByHash(ctx, h, a.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &User{Name: sess.Username, Via: "session", sessionHash: h}, nil
}

// trustedProxy reports whether r came from an address in
// AUTH_PROXY_TRUSTED.
func (a *Auth) trustedProxy(r *http.Request) bool {
	ip, ok := remoteIP(r)
	if !ok {
		return false
	}
	for _, p := range a.cfg.Auth.ProxyTrusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func remoteIP(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// startSession signs username in: a new session in the database and its
// cookie.
func (a *Auth) startSession(ctx context.Context, w http.ResponseWriter, username string) error {
	id := randomSecret()
	now := a.now()
	lifetime := a.cfg.Auth.SessionLifetime
	if lifetime <= 0 {
		lifetime = 30 * 24 * time.Hour
	}
	if n, err := a.st.DeleteExpiredSessions(ctx, now); err != nil {
		a.log.Warn("deleting expired sessions", "err", err)
	} else if n > 0 {
		a.log.Debug("deleted expired sessions", "count", n)
	}
	if err := a.st.CreateSession(ctx, store.Session{IDHash: hashSecret(id), Username: username, CreatedAt: now, ExpiresAt: now.Add(lifetime)}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", MaxAge: int(lifetime / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	a.log.Info("signed in", "user", username, "mode", a.mode)
	return nil
}

// SignInPath is where a page asked for without credentials redirects to.
const SignInPath = "/auth/sign-in"

// SignInURL is the sign-in page that returns to next afterwards.
func SignInURL(next string) string {
	return SignInPath + "?next=" + url.QueryEscape(SafeNext(next))
}

// SafeNext returns next if it is a path on this site, else "/": the
// sign-in flow never redirects elsewhere.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	return next
}

// Register adds the sign-in flow's routes to mux and returns their
// patterns, which need no credentials.
func (a *Auth) Register(mux *http.ServeMux) []string {
	routes := map[string]http.HandlerFunc{
		"GET " + SignInPath:         a.signInPage,
		"POST " + SignInPath:        a.passwordSignIn,
		"POST /auth/sign-out":       a.signOut,
		"GET /auth/github":          a.githubStart,
		"GET /auth/github/callback": a.githubCallback,
	}
	var patterns []string
	for p, h := range routes {
		mux.Handle(p, h)
		patterns = append(patterns, p)
	}
	return patterns
}

func (a *Auth) signOut(w http.ResponseWriter, r *http.Request) {
	u, err := a.Identify(r)
	if err == nil && u.CanSignOut() {
		if err := a.st.DeleteSession(r.Context(), u.sessionHash); err != nil {
			a.log.Error("signing out", "err", err)
			a.page(w, http.StatusInternalServerError, signInPage{Error: "Signing out failed on the server; the log has the details. Try again."})
			return
		}
		a.log.Info("signed out", "user", u.Name)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, SignInPath+"?signed_out=1", http.StatusSeeOther)
}

func (a *Auth) passwordSignIn(w http.ResponseWriter, r *http.Request) {
	next := SafeNext(r.FormValue("next"))
	if a.mode != config.AuthPassword {
		http.Redirect(w, r, SignInURL(next), http.StatusSeeOther)
		return
	}
	addr := "unknown"
	if ip, ok := remoteIP(r); ok {
		addr = ip.String()
	}
	now := a.now()
	if blocked, wait := a.limit.blocked(addr, now); blocked {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		a.log.Warn("sign-in refused: too many failed attempts", "addr", addr)
		a.page(w, http.StatusTooManyRequests, signInPage{Mode: a.mode, Next: next,
			Error: "Too many wrong passwords from your address. Wait " + strconv.Itoa(secs) + " seconds, then try again."})
		return
	}
	if !CheckPassword(a.cfg.Auth.PasswordHash.Reveal(), r.PostFormValue("password")) {
		a.limit.fail(addr, now)
		a.log.Info("sign-in failed: wrong password", "addr", addr)
		a.page(w, http.StatusForbidden, signInPage{Mode: a.mode, Next: next, Error: "That password is not right."})
		return
	}
	if err := a.startSession(r.Context(), w, "password"); err != nil {
		a.log.Error("starting a session", "err", err)
		a.page(w, http.StatusInternalServerError, signInPage{Mode: a.mode, Next: next, Error: "Signing in failed on the server; the log has the details."})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
