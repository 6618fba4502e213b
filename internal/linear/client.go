// Package linear syncs Linear teams and issues: a GraphQL client that
// respects Linear's rate limits and retries what is worth retrying, the
// queries Veelocity sends, and the connector the sync engine runs.
package linear

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/version"
)

// ClientOptions configure a Client. Zero fields take the defaults; the
// shared HTTP settings (clock, retries, backoff) are in the embedded
// httpapi.Options.
type ClientOptions struct {
	// URL is the GraphQL endpoint (LINEAR_API_URL).
	URL string
	// Key is the personal API key, sent as "Authorization: <key>".
	Key config.Secret
	// MaxRateLimitRetries bounds the retries of a RATELIMITED answer
	// (default 5).
	MaxRateLimitRetries int
	// MaxWait caps one wait for a rate-limit reset (default 1h, Linear's
	// rate-limit period).
	MaxWait time.Duration
	// Before a request, the client waits for the reset when fewer than
	// MinRequestsRemaining requests (default 5) or MinComplexityRemaining
	// complexity points (default 10,000, the most one query may cost) are
	// left.
	MinRequestsRemaining   int
	MinComplexityRemaining int

	httpapi.Options
}

// Client sends GraphQL queries to Linear. It is safe for concurrent use.
// The API key never appears in its logs or errors.
type Client struct {
	o    ClientOptions
	base *httpapi.Client

	mu         sync.Mutex
	pauseUntil time.Time // when the budget is low: its reset
}

// NewClient returns a client for the endpoint and key in o.
func NewClient(o ClientOptions) *Client {
	o.Options = o.Options.WithDefaults()
	if o.MaxRateLimitRetries == 0 {
		o.MaxRateLimitRetries = 5
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
	return &Client{o: o, base: httpapi.New("Linear", o.Options, httpapi.NewRedactor(o.Key.Reveal()))}
}

// Requests returns how many HTTP requests the client has sent, retries
// included.
func (c *Client) Requests() int64 { return c.base.Requests() }

// Retries returns how many requests the client sent again after a
// transient failure or a rate limit.
func (c *Client) Retries() int64 { return c.base.Retries() }

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
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "veelocity/"+version.Version)
	h.Set("Authorization", c.o.Key.Reveal())
	limited := 0
	var res response
	resp, err := c.base.Do(ctx, httpapi.Call{
		Req:    &httpapi.Request{Method: http.MethodPost, URL: c.o.URL, Header: h, Body: body, OnSend: func() { requests++ }},
		Before: func(ctx context.Context) error { return c.waitForBudget(ctx, op) },
		Judge: func(resp *httpapi.Response, err error) httpapi.Verdict {
			if err != nil {
				return httpapi.Verdict{Retry: true, Reason: "network error", Detail: err.Error()}
			}
			c.observe(resp.Header, op, resp.Status)
			res = response{}
			jsonErr := json.Unmarshal(resp.Body, &res)
			switch {
			case resp.Status == http.StatusUnauthorized || hasCode(res.Errors, "AUTHENTICATION_ERROR", "authentication error"):
				return httpapi.Verdict{Err: &AuthError{Status: resp.Status}}
			case resp.Status == http.StatusTooManyRequests || hasCode(res.Errors, "RATELIMITED", "ratelimited"):
				if limited >= c.o.MaxRateLimitRetries {
					return httpapi.Verdict{Err: &RateLimitError{Attempts: limited + 1}}
				}
				limited++
				return httpapi.Verdict{Wait: c.rateLimitWait(resp.Header, limited-1), Reason: "rate limited", Detail: "op " + op}
			case resp.Status >= 500:
				return httpapi.Verdict{Retry: true, Reason: "server error", Detail: "op " + op + ": " + http.StatusText(resp.Status)}
			case resp.Status == http.StatusOK && httpapi.CheckJSON(resp) != nil:
				return httpapi.Verdict{Retry: true, Reason: "broken body", Detail: "op " + op + ": " + httpapi.CheckJSON(resp).Error()}
			case jsonErr != nil:
				return httpapi.Verdict{Err: &APIError{Status: resp.Status, Message: "the answer is not GraphQL JSON"}}
			case len(res.Errors) > 0 || resp.Status != http.StatusOK:
				e := &APIError{Status: resp.Status, Message: http.StatusText(resp.Status)}
				if len(res.Errors) > 0 {
					e.Code = res.Errors[0].Extensions.Code
					e.Message = c.base.Redact(res.Errors[0].Message)
					if n := len(res.Errors); n > 1 {
						e.Message += " (and " + strconv.Itoa(n-1) + " more errors)"
					}
				}
				return httpapi.Verdict{Err: e}
			}
			return httpapi.Verdict{}
		},
		GiveUp: func(resp *httpapi.Response, err error, attempts int) error {
			if resp != nil {
				return &UnavailableError{Attempts: attempts, Status: resp.Status}
			}
			return &UnavailableError{Attempts: attempts, Cause: c.base.Redact(err.Error())}
		},
	})
	if err != nil {
		return requests, err
	}
	if out == nil {
		return requests, nil
	}
	if err := json.Unmarshal(res.Data, out); err != nil {
		return requests, &APIError{Status: resp.Status, Message: "unexpected data in the answer to " + op}
	}
	return requests, nil
}

func hasCode(errs []gqlError, code, typ string) bool {
	for _, e := range errs {
		if strings.EqualFold(e.Extensions.Code, code) || strings.EqualFold(e.Extensions.Type, typ) {
			return true
		}
	}
	return false
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
