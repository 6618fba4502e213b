// Package linear syncs Linear teams and issues: a GraphQL client that
// respects Linear's rate limits and retries what is worth retrying, the
// queries Veelocity sends, and the connector the sync engine runs.
package linear

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/version"
)

// ClientOptions configure a Client. Zero fields take the defaults.
type ClientOptions struct {
	// URL is the GraphQL endpoint (LINEAR_API_URL).
	URL string
	// Key is the personal API key, sent as "Authorization: <key>".
	Key        config.Secret
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now and Sleep are the clock and the way to wait; tests replace them
	// to check waits exactly without waiting. Sleep must return early
	// with ctx's error when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1) that spreads retry backoffs.
	Jitter func() float64
	// MaxRetries bounds the retries of a 5xx answer or network error
	// (default 4, so 5 attempts).
	MaxRetries int
	// MaxRateLimitRetries bounds the retries of a RATELIMITED answer
	// (default 5).
	MaxRateLimitRetries int
	// BaseBackoff is the first retry backoff (default 1s); it doubles on
	// each retry up to MaxBackoff (default 1m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxWait caps one wait for a rate-limit reset (default 1h, Linear's
	// rate-limit period).
	MaxWait time.Duration
	// Before a request, the client waits for the reset when fewer than
	// MinRequestsRemaining requests (default 5) or MinComplexityRemaining
	// complexity points (default 10,000, the most one query may cost) are
	// left.
	MinRequestsRemaining   int
	MinComplexityRemaining int
}

// Client sends GraphQL queries to Linear. It is safe for concurrent use.
// The API key never appears in its logs or errors.
type Client struct {
	o        ClientOptions
	requests atomic.Int64
	retries  atomic.Int64

	mu         sync.Mutex
	pauseUntil time.Time // when the budget is low: its reset
	// budgets is what the latest answer said remains of each budget
	// (requests, complexity), for the Prometheus metrics.
	budgets map[string]float64
}

// NewClient returns a client for the endpoint and key in o.
func NewClient(o ClientOptions) *Client {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 4
	}
	if o.MaxRateLimitRetries == 0 {
		o.MaxRateLimitRetries = 5
	}
	if o.BaseBackoff == 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = time.Minute
	}
	if o.MaxWait == 0 {
		o.MaxWait = time.Hour
	}
	if o.MinRequestsRemaining == 0 {
		o.MinRequestsRemaining = 5
	}
	if o.MinComplexityRemaining == 0 {
		o.MinComplexityRemaining = 10000
	}
	return &Client{o: o}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retries is how many requests the client sent again since it was made,
// after a server or network error or a rate limit.
func (c *Client) Retries() int64 { return c.retries.Load() }

// RateLimits is what Linear's latest answer said remains of each rate-limit
// budget (requests, complexity); a budget not seen yet is absent.
func (c *Client) RateLimits() map[string]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.budgets)
}

// Requests returns how many HTTP requests the client has sent, retries
// included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// response is a GraphQL answer.
type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
		Type string `json:"type"`
	} `json:"extensions"`
}

// Do sends query with vars and decodes the answer's data into out. It
// waits when the rate-limit budget runs low, waits and retries RATELIMITED
// answers, retries 5xx answers and network errors with exponential backoff
// and jitter, and fails at once on a rejected key (*AuthError) or an
// answer retrying cannot fix (*APIError).
func (c *Client) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	_, err := c.do(ctx, query, vars, out)
	return err
}

// do is Do, and also returns how many HTTP requests it made.
func (c *Client) do(ctx context.Context, query string, vars map[string]any, out any) (requests int, err error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return 0, err
	}
	op := operationName(query)
	failures, limited := 0, 0
	for {
		if err := c.waitForBudget(ctx, op); err != nil {
			return requests, err
		}
		requests++
		status, h, raw, err := c.send(ctx, body)
		if err != nil {
			if ctx.Err() != nil {
				return requests, ctx.Err()
			}
			cause := c.redact(err.Error())
			if failures >= c.o.MaxRetries {
				return requests, &UnavailableError{Attempts: failures + 1, Cause: cause}
			}
			if err := c.retryAfter(ctx, c.backoff(failures), op, "network error", "error", cause); err != nil {
				return requests, err
			}
			failures++
			continue
		}
		c.observe(h, op, status)
		var res response
		jsonErr := json.Unmarshal(raw, &res)
		switch {
		case status == http.StatusUnauthorized || hasCode(res.Errors, "AUTHENTICATION_ERROR", "authentication error"):
			return requests, &AuthError{Status: status}
		case status == http.StatusTooManyRequests || hasCode(res.Errors, "RATELIMITED", "ratelimited"):
			if limited >= c.o.MaxRateLimitRetries {
				return requests, &RateLimitError{Attempts: limited + 1}
			}
			if err := c.retryAfter(ctx, c.rateLimitWait(h, limited), op, "rate limited", "status", status); err != nil {
				return requests, err
			}
			limited++
			continue
		case status >= 500:
			if failures >= c.o.MaxRetries {
				return requests, &UnavailableError{Attempts: failures + 1, Status: status}
			}
			if err := c.retryAfter(ctx, c.backoff(failures), op, "server error", "status", status); err != nil {
				return requests, err
			}
			failures++
			continue
		case jsonErr != nil:
			return requests, &APIError{Status: status, Message: "the answer is not GraphQL JSON"}
		case len(res.Errors) > 0 || status != http.StatusOK:
			e := &APIError{Status: status, Message: http.StatusText(status)}
			if len(res.Errors) > 0 {
				e.Code = res.Errors[0].Extensions.Code
				e.Message = c.redact(res.Errors[0].Message)
				if n := len(res.Errors); n > 1 {
					e.Message += " (and " + strconv.Itoa(n-1) + " more errors)"
				}
			}
			return requests, e
		}
		if out == nil {
			return requests, nil
		}
		if err := json.Unmarshal(res.Data, out); err != nil {
			return requests, &APIError{Status: status, Message: "unexpected data in the answer to " + op}
		}
		return requests, nil
	}
}

// send makes one HTTP request and reads the whole answer.
func (c *Client) send(ctx context.Context, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.o.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, errors.New("invalid LINEAR_API_URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "veelocity/"+version.Version)
	req.Header.Set("Authorization", c.o.Key.Reveal())
	c.requests.Add(1)
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// retryAfter logs a retry and waits d.
func (c *Client) retryAfter(ctx context.Context, d time.Duration, op, why string, attrs ...any) error {
	c.retries.Add(1)
	c.o.Logger.Warn("linear: "+why+"; retrying", append([]any{"op", op, "wait", d}, attrs...)...)
	return c.o.Sleep(ctx, d)
}

// backoff is the wait before retry n (0-based) of a failed request:
// BaseBackoff doubled n times, capped at MaxBackoff, of which the upper
// half is jittered.
func (c *Client) backoff(n int) time.Duration {
	d := c.o.BaseBackoff << min(n, 30)
	if d <= 0 || d > c.o.MaxBackoff {
		d = c.o.MaxBackoff
	}
	return d/2 + time.Duration(c.o.Jitter()*float64(d/2))
}

func hasCode(errs []gqlError, code, typ string) bool {
	for _, e := range errs {
		if strings.EqualFold(e.Extensions.Code, code) || strings.EqualFold(e.Extensions.Type, typ) {
			return true
		}
	}
	return false
}

// redact removes the key from text that came from elsewhere (an error
// message from the server or the network stack).
func (c *Client) redact(s string) string {
	if k := c.o.Key.Reveal(); len(k) >= 4 {
		s = strings.ReplaceAll(s, k, "[redacted]")
	}
	return s
}

// operationName returns the name of a query document's operation, for
// logs: "Issues" for "query Issues($first: Int!) {…}".
func operationName(query string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(query), "query")
	if !ok {
		return "query"
	}
	rest = strings.TrimSpace(rest)
	if i := strings.IndexAny(rest, "({ \t\n"); i > 0 {
		return rest[:i]
	}
	return "query"
}
