package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/version"
)

// ErrUnauthorized is returned at once, without retrying, when GitHub
// rejects the token.
var ErrUnauthorized = errors.New("GitHub rejected the token (401 Unauthorized)")

// Options configure a Client. Only the URLs and the token are required.
type Options struct {
	RESTURL    string // GITHUB_API_URL, e.g. https://api.github.com
	GraphQLURL string // GITHUB_GRAPHQL_URL, e.g. https://api.github.com/graphql
	Token      config.Secret

	HTTP *http.Client // default: a client with a 60s timeout
	Log  *slog.Logger // default: discard

	// Now and Sleep are the clock; tests replace them to assert exact
	// waits without waiting. Sleep must return ctx.Err() when ctx ends
	// first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter spreads a retry backoff d; the default picks uniformly
	// between d/2 and d.
	Jitter func(d time.Duration) time.Duration
	// MaxRetries bounds the retries of one call after server errors,
	// network errors and secondary rate limits (default 4).
	MaxRetries int
}

// Client talks to GitHub's REST and GraphQL APIs. It waits out rate limits,
// retries transient failures with backoff, and never reveals its token: not
// in logs, errors or anything it returns. It is safe for concurrent use.
type Client struct {
	opts      Options
	rest      *url.URL
	limits    *limits
	onRequest func()
	// retried counts the requests sent again, for the Prometheus metrics;
	// shared with the copies CountingRequests makes.
	retried *atomic.Int64
}

// New returns a client for opts.
func New(opts Options) *Client {
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 4
	}
	opts.RESTURL = strings.TrimRight(opts.RESTURL, "/")
	rest, _ := url.Parse(opts.RESTURL)
	if rest == nil {
		rest = &url.URL{}
	}
	return &Client{opts: opts, rest: rest, limits: newLimits(), retried: new(atomic.Int64)}
}

// CountingRequests returns a client sharing c's connection and rate-limit
// state that calls f once for every HTTP request it sends, retries
// included. A connector uses it to report requests for one sync.
func (c *Client) CountingRequests(f func()) *Client {
	cc := *c
	cc.onRequest = f
	return &cc
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request is one logical call; do may send it several times.
type request struct {
	method string
	url    string
	body   []byte
	etag   string
	bucket string // rate-limit bucket: "core" or "graphql"
}

// response is the final answer to a request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req, waiting out rate limits and retrying transient failures,
// until it gets a final answer: a 2xx or 304 response, or an error.
// checkBody, if set, inspects a 200 body for failures that GitHub reports
// with status 200 (GraphQL rate limits).
func (c *Client) do(ctx context.Context, req request, checkBody func([]byte) *limitHit) (*response, error) {
	retries, rateWaits := 0, 0
	for {
		if err := c.waitForBudget(ctx, req.bucket); err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if retries >= c.opts.MaxRetries {
				return nil, fmt.Errorf("github: %s %s failed after %d attempts: %s", req.method, c.logPath(req.url), retries+1, c.redact(err.Error()))
			}
			if err := c.backoff(ctx, req, retries, "network error", err.Error()); err != nil {
				return nil, err
			}
			retries++
			c.retried.Add(1)
			continue
		}
		c.limits.update(req.bucket, resp.header)

		var hit *limitHit
		switch {
		case resp.status == http.StatusUnauthorized:
			return nil, ErrUnauthorized
		case resp.status == http.StatusForbidden || resp.status == http.StatusTooManyRequests:
			hit = classifyLimit(resp)
			if hit == nil {
				return nil, c.httpError(req, resp)
			}
		case resp.status >= 500:
			if retries >= c.opts.MaxRetries {
				return nil, c.httpError(req, resp)
			}
			if err := c.backoff(ctx, req, retries, "server error", http.StatusText(resp.status)); err != nil {
				return nil, err
			}
			retries++
			c.retried.Add(1)
			continue
		case resp.status == http.StatusOK && checkBody != nil:
			hit = checkBody(resp.body)
		}
		if hit == nil {
			if resp.status >= 300 && resp.status != http.StatusNotModified {
				return nil, c.httpError(req, resp)
			}
			return resp, nil
		}

		// A rate limit: primary (wait for the reset) or secondary (back off).
		var wait time.Duration
		if hit.primary {
			if rateWaits >= 3 {
				return nil, fmt.Errorf("github: rate limit still exceeded after waiting for %d resets", rateWaits)
			}
			rateWaits++
			wait = c.untilReset(hit.reset)
		} else {
			if retries >= c.opts.MaxRetries {
				return nil, fmt.Errorf("github: %s %s: secondary rate limit still exceeded after %d attempts", req.method, c.logPath(req.url), retries+1)
			}
			wait = c.secondaryWait(hit, retries)
			retries++
			c.retried.Add(1)
		}
		c.opts.Log.Warn("GitHub rate limit reached; waiting", "kind", hit.kind(), "wait", wait, "path", c.logPath(req.url))
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// send makes one HTTP request.
func (c *Client) send(ctx context.Context, req request) (*response, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return nil, fmt.Errorf("github: building request: %w", err)
	}
	hr.Header.Set("Authorization", "Bearer "+c.opts.Token.Reveal())
	hr.Header.Set("Accept", "application/vnd.github+json")
	hr.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	hr.Header.Set("User-Agent", "veelocity/"+version.Version)
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.etag != "" {
		hr.Header.Set("If-None-Match", req.etag)
	}
	if c.onRequest != nil {
		c.onRequest()
	}
	start := c.opts.Now()
	hresp, err := c.opts.HTTP.Do(hr)
	if err != nil {
		c.opts.Log.Debug("github request failed", "method", req.method, "path", c.logPath(req.url), "error", c.redact(err.Error()))
		return nil, err
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	c.opts.Log.Debug("github request", "method", req.method, "path", c.logPath(req.url), "status", hresp.StatusCode,
		"bytes", len(b), "duration", c.opts.Now().Sub(start), "ratelimit_remaining", hresp.Header.Get("X-RateLimit-Remaining"))
	return &response{status: hresp.StatusCode, header: hresp.Header, body: b}, nil
}

// backoff sleeps before retry number n+1 of req: 1s, 2s, 4s, … with jitter.
func (c *Client) backoff(ctx context.Context, req request, n int, why, detail string) error {
	d := c.opts.Jitter(time.Second << n)
	c.opts.Log.Info("GitHub request failed; retrying", "reason", why, "detail", c.redact(detail),
		"path", c.logPath(req.url), "attempt", n+1, "wait", d)
	return c.opts.Sleep(ctx, d)
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
func (c *Client) logPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.RequestURI()
}

// redact removes the token from text that came from elsewhere (a server's
// message, a transport error), in case it was echoed.
func (c *Client) redact(s string) string {
	if t := c.opts.Token.Reveal(); t != "" {
		s = strings.ReplaceAll(s, t, "[redacted]")
	}
	return s
}

// Retries is how many requests the client sent again since it was made,
// after a server or network error or a secondary rate limit.
func (c *Client) Retries() int64 { return c.retried.Load() }

// RateLimits is what GitHub's latest answers said remains of each
// rate-limit bucket (core, graphql); a bucket not seen yet is absent.
func (c *Client) RateLimits() map[string]float64 {
	out := map[string]float64{}
	for _, b := range []string{bucketCore, bucketGraphQL} {
		if remaining, reset := c.limits.state(b); !reset.IsZero() {
			out[b] = float64(remaining)
		}
	}
	return out
}
