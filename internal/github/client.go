package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/version"
)

// ErrUnauthorized is returned at once, without retrying, when GitHub
// rejects the token.
var ErrUnauthorized = errors.New("GitHub rejected the token (401 Unauthorized)")

// ClientOptions configure a Client. The URLs and a credential (Token, or
// App) are required; the shared HTTP settings (clock, retries, backoff)
// are in the embedded httpapi.Options.
type ClientOptions struct {
	RESTURL    string // GITHUB_API_URL, e.g. https://api.github.com
	GraphQLURL string // GITHUB_GRAPHQL_URL, e.g. https://api.github.com/graphql
	Token      config.Secret
	// App, when set, authenticates as a GitHub App installation instead
	// of with Token.
	App *AppCredentials

	httpapi.Options
}

// Client talks to GitHub's REST and GraphQL APIs. It waits out rate limits,
// retries transient failures with backoff, shrinks a GraphQL page that
// times out, and never reveals its credentials: not in logs, errors or
// anything it returns. It is safe for concurrent use.
type Client struct {
	opts      ClientOptions
	base      *httpapi.Client
	rest      *url.URL
	limits    *limits
	auth      auth
	pages     *pageSizes
	onRequest func()
	// owner is the account whose App installation signs the requests
	// (see ForOwner); "" with a personal token.
	owner string
}

// NewClient returns a client for opts.
func NewClient(opts ClientOptions) *Client {
	opts.Options = opts.Options.WithDefaults()
	opts.RESTURL = strings.TrimRight(opts.RESTURL, "/")
	rest, _ := url.Parse(opts.RESTURL)
	if rest == nil {
		rest = &url.URL{}
	}
	red := httpapi.NewRedactor(opts.Token.Reveal())
	c := &Client{opts: opts, rest: rest, limits: newLimits(), pages: newPageSizes()}
	c.base = httpapi.New("GitHub", opts.Options, red)
	if opts.App != nil {
		red.Add(opts.App.PrivateKey.Reveal())
		c.auth = newAppAuth(c, *opts.App)
	} else {
		c.auth = staticToken(opts.Token)
	}
	return c
}

// CountingRequests returns a client sharing c's connection and rate-limit
// state that calls f once for every HTTP request it sends, retries
// included. A connector uses it to report requests for one sync.
func (c *Client) CountingRequests(f func()) *Client {
	cc := *c
	cc.onRequest = f
	return &cc
}

// ForOwner returns a client sharing c's state that, under a GitHub App,
// authenticates with the installation on owner's account. With a personal
// token it is c.
func (c *Client) ForOwner(owner string) *Client {
	if _, ok := c.auth.(staticToken); ok {
		return c
	}
	cc := *c
	cc.owner = owner
	return &cc
}

// IsApp reports whether the client authenticates as a GitHub App.
func (c *Client) IsApp() bool {
	_, ok := c.auth.(*appAuth)
	return ok
}

// ForRepo is ForOwner for the owner of "owner/name".
func (c *Client) ForRepo(fullName string) *Client {
	owner, _, _ := strings.Cut(fullName, "/")
	return c.ForOwner(owner)
}

// Stats are counters of a client's work since it was made, for the sync
// benchmark and the logs.
type Stats struct {
	// Requests counts HTTP requests to GitHub, retries included.
	Requests int64
	// Retries counts the requests sent again after a transient failure, a
	// broken body, a rate limit or a timed-out page.
	Retries int64
	// PageReductions counts the times a GraphQL page size was halved
	// after GitHub timed out.
	PageReductions int64
}

// Stats returns the client's counters; copies made by CountingRequests
// and ForOwner share them.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.base.Requests(), Retries: c.base.Retries() + c.pages.retries.Load(),
		PageReductions: c.pages.reductions.Load()}
}

// request is one logical call; do may send it several times.
type request struct {
	method string
	url    string
	body   []byte
	etag   string
	bucket string // rate-limit bucket: "core" or "graphql"
	// paged marks a GraphQL page whose size the caller shrinks when
	// GitHub times out: such a timeout is returned at once as a
	// *timeoutError instead of being retried as is.
	paged bool
}

// response is the final answer to a request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// timeoutError is GitHub failing a paged query the way it fails a query
// too heavy for its current load.
type timeoutError struct {
	err error
}

func (e *timeoutError) Error() string { return e.err.Error() }
func (e *timeoutError) Unwrap() error { return e.err }

// do sends req with a current token, once more with a fresh one if GitHub
// rejects an App installation token (it may have expired in flight).
func (c *Client) do(ctx context.Context, req request, checkBody func([]byte) (*limitHit, bool)) (*response, error) {
	for refreshed := false; ; refreshed = true {
		token, err := c.auth.token(ctx, c.owner)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, req, token, checkBody)
		if errors.Is(err, ErrUnauthorized) && !refreshed && c.auth.invalidate(c.owner, token) {
			c.opts.Log.Info("GitHub rejected the installation token; fetching a new one", "owner", c.owner)
			continue
		}
		return resp, err
	}
}

// send sends req, waiting out rate limits and retrying transient failures,
// until it gets a final answer: a 2xx or 304 response, or an error.
// checkBody, if set, inspects a 200 body for failures that GitHub reports
// with status 200: rate limits, and (second result) an execution timeout.
func (c *Client) send(ctx context.Context, req request, token string, checkBody func([]byte) (*limitHit, bool)) (*response, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	h.Set("User-Agent", "veelocity/"+version.Version)
	if req.body != nil {
		h.Set("Content-Type", "application/json")
	}
	if req.etag != "" {
		h.Set("If-None-Match", req.etag)
	}
	hreq := &httpapi.Request{Method: req.method, URL: req.url, Header: h, Body: req.body, OnSend: c.onRequest}
	rateWaits, secondary := 0, 0
	resp, err := c.base.Do(ctx, httpapi.Call{
		Req:    hreq,
		Before: func(ctx context.Context) error { return c.waitForBudget(ctx, req.bucket) },
		Judge: func(resp *httpapi.Response, err error) httpapi.Verdict {
			if err != nil {
				if req.paged && httpapi.Timeout(nil, err) {
					return httpapi.Verdict{Err: &timeoutError{fmt.Errorf("github: %s %s timed out: %s", req.method, c.logPath(req.url), c.redact(err.Error()))}}
				}
				return httpapi.Verdict{Retry: true, Reason: "network error", Detail: err.Error()}
			}
			c.limits.update(req.bucket, resp.Header)
			r := &response{status: resp.Status, header: resp.Header, body: resp.Body}
			var hit *limitHit
			switch {
			case resp.Status == http.StatusUnauthorized:
				return httpapi.Verdict{Err: ErrUnauthorized}
			case resp.Status == http.StatusForbidden || resp.Status == http.StatusTooManyRequests:
				if hit = classifyLimit(r); hit == nil {
					return httpapi.Verdict{Err: c.httpError(req, r)}
				}
			case resp.Status >= 500:
				if req.paged && httpapi.Timeout(resp, nil) {
					return httpapi.Verdict{Err: &timeoutError{c.httpError(req, r)}}
				}
				return httpapi.Verdict{Retry: true, Reason: "server error", Detail: http.StatusText(resp.Status)}
			case resp.Status == http.StatusOK:
				if err := httpapi.CheckJSON(resp); err != nil {
					return httpapi.Verdict{Retry: true, Reason: "broken body", Detail: err.Error()}
				}
				if checkBody != nil {
					var timedOut bool
					if hit, timedOut = checkBody(resp.Body); timedOut {
						if req.paged {
							return httpapi.Verdict{Err: &timeoutError{fmt.Errorf("github: %s: GitHub timed out executing the query", c.logPath(req.url))}}
						}
						return httpapi.Verdict{Retry: true, Reason: "GitHub timed out executing the query"}
					}
				}
			}
			if hit == nil {
				if resp.Status >= 300 && resp.Status != http.StatusNotModified {
					return httpapi.Verdict{Err: c.httpError(req, r)}
				}
				return httpapi.Verdict{}
			}
			// A rate limit: primary (wait for the reset) or secondary (back off).
			if hit.primary {
				if rateWaits >= 3 {
					return httpapi.Verdict{Err: fmt.Errorf("github: rate limit still exceeded after waiting for %d resets", rateWaits)}
				}
				rateWaits++
				return httpapi.Verdict{Wait: c.untilReset(hit.reset), Reason: hit.kind() + " rate limit reached"}
			}
			if secondary >= c.opts.MaxRetries {
				return httpapi.Verdict{Err: fmt.Errorf("github: %s %s: secondary rate limit still exceeded after %d attempts", req.method, c.logPath(req.url), secondary+1)}
			}
			secondary++
			return httpapi.Verdict{Wait: c.secondaryWait(hit, secondary-1), Reason: hit.kind() + " rate limit reached"}
		},
		GiveUp: func(resp *httpapi.Response, err error, attempts int) error {
			if resp != nil && resp.Status >= 500 {
				return c.httpError(req, &response{status: resp.Status, body: resp.Body})
			}
			detail := "GitHub timed out executing the query"
			if err != nil {
				detail = err.Error()
			} else if resp != nil && resp.Status == http.StatusOK && httpapi.CheckJSON(resp) != nil {
				detail = httpapi.CheckJSON(resp).Error()
			}
			return fmt.Errorf("github: %s %s failed after %d attempts: %s", req.method, c.logPath(req.url), attempts, c.redact(detail))
		},
	})
	if err != nil {
		return nil, err
	}
	return &response{status: resp.Status, header: resp.Header, body: resp.Body}, nil
}

// untilReset is the wait until a rate-limit window resets, plus a second
// for clock skew.
func (c *Client) untilReset(reset time.Time) time.Duration {
	if reset.IsZero() {
		return time.Minute
	}
	return max(reset.Sub(c.opts.Now()), 0) + time.Second
}

// secondaryWait follows GitHub's advice for a secondary limit: honour
// Retry-After; else wait for the reset if no requests remain; else wait a
// minute, doubling on each further hit.
func (c *Client) secondaryWait(hit *limitHit, n int) time.Duration {
	switch {
	case hit.retryAfter > 0:
		return hit.retryAfter
	case hit.remaining == 0 && !hit.reset.IsZero():
		return c.untilReset(hit.reset)
	}
	return time.Minute << n
}

// waitForBudget sleeps until bucket's window resets when the last response
// said too little of it remains for the next request.
func (c *Client) waitForBudget(ctx context.Context, bucket string) error {
	reset, low := c.limits.low(bucket, c.opts.Now())
	if !low {
		return nil
	}
	wait := c.untilReset(reset)
	c.opts.Log.Warn("GitHub rate limit nearly used up; waiting for the reset", "bucket", bucket, "wait", wait)
	return c.opts.Sleep(ctx, wait)
}

// Error is a GitHub answer that is neither success nor a transient
// failure: a 404, a 422, a 403 that is not a rate limit, or a server error
// that persisted through the retries.
type Error struct {
	Status  int
	Path    string
	Message string // GitHub's message, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("GitHub answered %d %s for %s", e.Status, http.StatusText(e.Status), e.Path)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (c *Client) httpError(req request, resp *response) error {
	return &Error{Status: resp.status, Path: c.logPath(req.url), Message: c.redact(githubMessage(resp.body))}
}

// logPath is the path and query of u, without the host: enough to know
// which request it was.
func (c *Client) logPath(u string) string { return c.redact(httpapi.LogPath(u)) }

// redact removes credentials from text that came from elsewhere (a
// server's message, a transport error), in case one was echoed.
func (c *Client) redact(s string) string { return c.base.Redact(s) }
