// Package pagerduty syncs PagerDuty incidents through PagerDuty's REST API
// v2: a client that respects its rate limits and retries what is worth
// retrying, and the connector the sync engine runs.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/version"
)

// accept is the media type of PagerDuty's REST API v2.
const accept = "application/vnd.pagerduty+json;version=2"

// ClientOptions configure a Client. Zero fields take the defaults.
type ClientOptions struct {
	// URL is the API's base URL (PAGERDUTY_API_URL).
	URL string
	// Key is the REST API key, sent as "Authorization: Token token=<key>".
	Key        config.Secret
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Sleep is the way to wait; tests replace it to check waits without
	// waiting. It must return early with ctx's error when ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries bounds the retries of a 5xx answer or network error
	// (default 4), MaxRateLimitRetries those of a 429 (default 5).
	MaxRetries          int
	MaxRateLimitRetries int
	// BaseBackoff is the first retry backoff (default 1s); it doubles on
	// each retry up to one minute.
	BaseBackoff time.Duration
	// MaxWait caps one wait for a rate-limit reset (default 1m, PagerDuty's
	// rate-limit period).
	MaxWait time.Duration
}

// Client sends GET requests to PagerDuty's REST API. The key never appears
// in its logs or errors.
type Client struct {
	o ClientOptions
}

// NewClient returns a client for the base URL and key in o.
func NewClient(o ClientOptions) *Client {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 4
	}
	if o.MaxRateLimitRetries <= 0 {
		o.MaxRateLimitRetries = 5
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = time.Minute
	}
	o.URL = strings.TrimRight(o.URL, "/")
	return &Client{o: o}
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

// AuthError is PagerDuty refusing the key (401 or 403). It is never
// retried.
type AuthError struct {
	Status int
}

func (e *AuthError) Error() string {
	if e.Status == http.StatusForbidden {
		return "PagerDuty refused access (HTTP 403): the API key may not read incidents"
	}
	return "PagerDuty rejected PAGERDUTY_API_KEY (HTTP 401)"
}

// APIError is an error answer that retrying would not fix. Message is
// PagerDuty's.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("PagerDuty API error (HTTP %d): %s", e.Status, e.Message)
}

// RateLimitError is PagerDuty still answering 429 after the client waited
// and retried as many times as it may.
type RateLimitError struct {
	Attempts int
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("PagerDuty API rate limit still exceeded after %d attempts; the next sync will resume", e.Attempts)
}

// UnavailableError is PagerDuty failing with 5xx answers or network errors
// on every attempt.
type UnavailableError struct {
	Attempts int
	Status   int    // the last HTTP status, or 0 for a network error
	Cause    string // the last network error
}

func (e *UnavailableError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("PagerDuty API unavailable: HTTP %d %s after %d attempts", e.Status, http.StatusText(e.Status), e.Attempts)
	}
	return fmt.Sprintf("PagerDuty API unreachable after %d attempts: %s", e.Attempts, e.Cause)
}

// errorBody is PagerDuty's error object.
type errorBody struct {
	Error struct {
		Message string   `json:"message"`
		Code    int      `json:"code"`
		Errors  []string `json:"errors"`
	} `json:"error"`
}

// get sends GET path?query and decodes the JSON answer into out. It
// returns how many HTTP requests it made, retries included. A 429 waits
// for ratelimit-reset (or Retry-After) seconds and retries; a 5xx or a
// network error retries with a doubling backoff.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) (int, error) {
	target := c.o.URL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	requests, limited, failed := 0, 0, 0
	backoff := c.o.BaseBackoff
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return requests, err
		}
		req.Header.Set("Authorization", "Token token="+c.o.Key.Reveal())
		req.Header.Set("Accept", accept)
		req.Header.Set("User-Agent", "veelocity/"+version.Version)
		requests++
		resp, err := c.o.HTTPClient.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return requests, ctx.Err()
			}
			failed++
			if failed > c.o.MaxRetries {
				return requests, &UnavailableError{Attempts: failed, Cause: redactURL(err, target)}
			}
			wait = backoff
		default:
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
			resp.Body.Close()
			c.o.Logger.Debug("pagerduty: request", "path", path, "status", resp.StatusCode,
				"ratelimit_remaining", resp.Header.Get("ratelimit-remaining"))
			switch {
			case resp.StatusCode == http.StatusOK && rerr == nil:
				if err := json.Unmarshal(body, out); err != nil {
					return requests, fmt.Errorf("PagerDuty API: reading the answer to GET %s: %w", path, err)
				}
				return requests, nil
			case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
				return requests, &AuthError{Status: resp.StatusCode}
			case resp.StatusCode == http.StatusTooManyRequests:
				limited++
				if limited > c.o.MaxRateLimitRetries {
					return requests, &RateLimitError{Attempts: requests}
				}
				wait = resetWait(resp.Header, backoff)
				c.o.Logger.Info("pagerduty: rate limited; waiting for the reset", "path", path, "wait", wait)
			case resp.StatusCode >= 500 || rerr != nil:
				failed++
				if failed > c.o.MaxRetries {
					return requests, &UnavailableError{Attempts: failed, Status: resp.StatusCode}
				}
				wait = backoff
			default:
				var eb errorBody
				msg := http.StatusText(resp.StatusCode)
				if json.Unmarshal(body, &eb) == nil && eb.Error.Message != "" {
					msg = eb.Error.Message
					if len(eb.Error.Errors) > 0 {
						msg += ": " + strings.Join(eb.Error.Errors, "; ")
					}
				}
				return requests, &APIError{Status: resp.StatusCode, Message: msg}
			}
		}
		if err := c.o.Sleep(ctx, min(wait, c.o.MaxWait)); err != nil {
			return requests, err
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// resetWait is how long a 429 asks to wait: ratelimit-reset seconds, else
// Retry-After seconds, else the backoff.
func resetWait(h http.Header, backoff time.Duration) time.Duration {
	for _, name := range []string{"ratelimit-reset", "Retry-After"} {
		if n, err := strconv.ParseFloat(h.Get(name), 64); err == nil && n >= 0 {
			return max(time.Duration(n*float64(time.Second)), 100*time.Millisecond)
		}
	}
	return backoff
}

// redactURL keeps a network error's message without the URL it repeats.
func redactURL(err error, target string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return strings.ReplaceAll(err.Error(), target, "")
}
