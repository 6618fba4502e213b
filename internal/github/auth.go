package github

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/version"
)

// auth supplies the token a request is sent with.
type auth interface {
	// token returns a token valid for requests about owner's repositories.
	token(ctx context.Context, owner string) (string, error)
	// invalidate drops token after GitHub rejected it, reporting whether
	// a new one may be fetched (false: the credential itself is bad).
	invalidate(owner, token string) bool
}

// staticToken is a personal access token (GITHUB_TOKEN).
type staticToken config.Secret

func (t staticToken) token(context.Context, string) (string, error) {
	return config.Secret(t).Reveal(), nil
}
func (staticToken) invalidate(string, string) bool { return false }

// AppCredentials authenticate as a GitHub App: GITHUB_APP_ID,
// GITHUB_APP_PRIVATE_KEY (or _FILE) and GITHUB_APP_INSTALLATION_ID.
type AppCredentials struct {
	ID         string
	PrivateKey config.Secret // PEM
	// InstallationID is the installation to act as; 0 finds the
	// installation on each repository owner's account.
	InstallationID int64
}

// AppFromConfig returns cfg's App credentials, or nil when no App is
// configured.
func AppFromConfig(cfg *config.Config) *AppCredentials {
	if cfg.GitHubAppID == "" {
		return nil
	}
	return &AppCredentials{ID: cfg.GitHubAppID, PrivateKey: cfg.GitHubAppPrivateKey, InstallationID: cfg.GitHubAppInstallationID}
}

// The lifetimes GitHub allows: an App's JWT may live at most 10 minutes;
// it is backdated a minute against clock drift, as GitHub advises.
const (
	jwtLifetime = 9 * time.Minute
	jwtBackdate = time.Minute
	// refreshBefore is how long before its expiry an installation token
	// is replaced (a fifth of its life when it lives less than 25 minutes).
	refreshBefore = 5 * time.Minute
)

// appAuth mints and caches installation tokens for a GitHub App. Tokens
// are refreshed before they expire, and at once when GitHub rejects one.
type appAuth struct {
	c     *Client
	creds AppCredentials

	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error

	mu       sync.Mutex
	installs map[string]int64 // lower-case owner → installation ID
	tokens   map[int64]*installToken
}

type installToken struct {
	value           string
	issued, expires time.Time
}

func newAppAuth(c *Client, creds AppCredentials) *appAuth {
	return &appAuth{c: c, creds: creds, installs: map[string]int64{}, tokens: map[int64]*installToken{}}
}

// fresh reports whether t is still good to send at now.
func (t *installToken) fresh(now time.Time) bool {
	if t == nil {
		return false
	}
	margin := min(refreshBefore, t.expires.Sub(t.issued)/5)
	return now.Before(t.expires.Add(-margin))
}

func (a *appAuth) token(ctx context.Context, owner string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, err := a.installation(ctx, owner)
	if err != nil {
		return "", err
	}
	if t := a.tokens[id]; t != nil && t.fresh(a.c.opts.Now()) {
		return t.value, nil
	}
	t, err := a.mint(ctx, id)
	if err != nil {
		return "", err
	}
	a.tokens[id] = t
	return t.value, nil
}

func (a *appAuth) invalidate(owner, token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, t := range a.tokens {
		if t.value == token {
			delete(a.tokens, id)
		}
	}
	return true
}

// installation returns the installation to act as for owner's
// repositories. The caller holds a.mu.
func (a *appAuth) installation(ctx context.Context, owner string) (int64, error) {
	if a.creds.InstallationID != 0 {
		return a.creds.InstallationID, nil
	}
	if owner == "" {
		return 0, errors.New("github: GITHUB_APP_INSTALLATION_ID is not set, and the request names no repository owner to find the installation of")
	}
	key := strings.ToLower(owner)
	if id, ok := a.installs[key]; ok {
		return id, nil
	}
	var inst struct {
		ID int64 `json:"id"`
	}
	err := a.appCall(ctx, http.MethodGet, "/orgs/"+url.PathEscape(owner)+"/installation", &inst)
	var ge *Error
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		err = a.appCall(ctx, http.MethodGet, "/users/"+url.PathEscape(owner)+"/installation", &inst)
	}
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		return 0, fmt.Errorf("github: the GitHub App (GITHUB_APP_ID %s) is not installed on %s; install it there, or set GITHUB_APP_INSTALLATION_ID", a.creds.ID, owner)
	}
	if err != nil {
		return 0, err
	}
	a.installs[key] = inst.ID
	return inst.ID, nil
}

// mint asks GitHub for a new installation token. The caller holds a.mu.
func (a *appAuth) mint(ctx context.Context, id int64) (*installToken, error) {
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	issued := a.c.opts.Now()
	if err := a.appCall(ctx, http.MethodPost, "/app/installations/"+strconv.FormatInt(id, 10)+"/access_tokens", &out); err != nil {
		return nil, err
	}
	if out.Token == "" || out.ExpiresAt.IsZero() {
		return nil, errors.New("github: GitHub's installation token answer has no token or expiry")
	}
	a.c.base.Redactor().Add(out.Token)
	a.c.opts.Log.Debug("GitHub App installation token minted", "installation", id, "expires_at", out.ExpiresAt)
	return &installToken{value: out.Token, issued: issued, expires: out.ExpiresAt}, nil
}

// signingKey parses the private key once.
func (a *appAuth) signingKey() (*rsa.PrivateKey, error) {
	a.keyOnce.Do(func() {
		a.key, a.keyErr = jwt.ParseRSAPrivateKeyFromPEM([]byte(a.creds.PrivateKey.Reveal()))
		if a.keyErr != nil {
			a.keyErr = errors.New("github: GITHUB_APP_PRIVATE_KEY is not an RSA private key in PEM form (download one from the App's settings)")
		}
	})
	return a.key, a.keyErr
}

// appJWT is the App's signed assertion: RS256, issued by the App ID,
// backdated a minute and valid for nine.
func (a *appAuth) appJWT() (string, error) {
	key, err := a.signingKey()
	if err != nil {
		return "", err
	}
	now := a.c.opts.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    a.creds.ID,
		IssuedAt:  jwt.NewNumericDate(now.Add(-jwtBackdate)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLifetime)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
}

// appCall makes a REST call as the App itself (with its JWT) and decodes
// the answer into out.
func (a *appAuth) appCall(ctx context.Context, method, path string, out any) error {
	signed, err := a.appJWT()
	if err != nil {
		return err
	}
	a.c.base.Redactor().Add(signed)
	h := http.Header{}
	h.Set("Authorization", "Bearer "+signed)
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	h.Set("User-Agent", "veelocity/"+version.Version)
	req := request{method: method, url: a.c.opts.RESTURL + path, bucket: bucketCore}
	resp, err := a.c.base.Do(ctx, httpapi.Call{
		Req: &httpapi.Request{Method: method, URL: req.url, Header: h, OnSend: a.c.onRequest},
		Judge: func(resp *httpapi.Response, err error) httpapi.Verdict {
			if httpapi.Transient(resp, err) {
				return httpapi.DefaultJudge(resp, err)
			}
			if err := httpapi.CheckJSON(resp); err != nil {
				return httpapi.Verdict{Retry: true, Reason: "broken body", Detail: err.Error()}
			}
			switch {
			case resp.Status == http.StatusUnauthorized:
				return httpapi.Verdict{Err: fmt.Errorf("github: GitHub rejected the App's signed token for %s: check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, and the host's clock (%s)",
					a.c.logPath(req.url), a.c.redact(githubMessage(resp.Body)))}
			case resp.Status >= 300:
				return httpapi.Verdict{Err: a.c.httpError(req, &response{status: resp.Status, body: resp.Body})}
			}
			return httpapi.Verdict{}
		},
		GiveUp: func(resp *httpapi.Response, err error, attempts int) error {
			if resp != nil && resp.Status >= 500 {
				return a.c.httpError(req, &response{status: resp.Status, body: resp.Body})
			}
			return fmt.Errorf("github: %s %s failed after %d attempts: %s", method, a.c.logPath(req.url), attempts, a.c.redact(fmt.Sprint(err)))
		},
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("github: decoding %s: %w", a.c.logPath(req.url), err)
	}
	return nil
}
