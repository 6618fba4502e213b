// Package httpapi is the HTTP base the GitHub and Linear clients share:
// one transport that reads and checks whole answers, retries with bounded
// exponential backoff and jitter, an injectable clock, and one Redactor
// for everything that came from elsewhere. Rate-limit semantics stay with
// each provider, which judges every attempt.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Options are the settings both API clients share. Zero fields take the
// defaults.
type Options struct {
	// HTTP sends the requests (default: a client with a 60s timeout).
	HTTP *http.Client
	// Log receives one DEBUG line per request and a line per retry or
	// wait (default: discard). Nothing it gets carries a credential.
	Log *slog.Logger
	// Now and Sleep are the clock; tests replace them to assert exact
	// waits without waiting. Sleep must return ctx's error when ctx ends
	// first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a fraction in [0, 1] of the upper half of a backoff
	// to keep (default: uniform); 1 keeps the whole backoff.
	Jitter func() float64
	// MaxRetries bounds the retries of one call after transient failures:
	// network errors, 5xx answers and broken bodies (default 4, so 5
	// attempts).
	MaxRetries int
	// BaseBackoff is the wait before the first retry (default 1s); it
	// doubles on each retry up to MaxBackoff (default 1m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
}

// WithDefaults returns o with its zero fields set to the defaults.
func (o Options) WithDefaults() Options {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: time.Minute}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 4
	}
	if o.BaseBackoff == 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = time.Minute
	}
	return o
}

// Sleep waits for d or until ctx ends, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff is the wait before retry n (0-based): BaseBackoff doubled n
// times, capped at MaxBackoff, of which the upper half is jittered.
func (o Options) Backoff(n int) time.Duration {
	d := o.BaseBackoff << min(n, 30)
	if d <= 0 || d > o.MaxBackoff {
		d = o.MaxBackoff
	}
	j := min(max(o.Jitter(), 0), 1)
	return d/2 + time.Duration(j*float64(d/2))
}

// Client sends requests for one API. It is safe for concurrent use.
type Client struct {
	o        Options
	name     string // "GitHub", "Linear": for logs
	redactor *Redactor
	requests atomic.Int64
	retries  atomic.Int64
}

// New returns a client for the API called name (for logs), with o's
// settings, that redacts through r.
func New(name string, o Options, r *Redactor) *Client {
	if r == nil {
		r = NewRedactor()
	}
	return &Client{o: o.WithDefaults(), name: name, redactor: r}
}

// Options returns the client's settings, defaults filled in.
func (c *Client) Options() Options { return c.o }

// Redact removes credentials from s.
func (c *Client) Redact(s string) string { return c.redactor.Redact(s) }

// Redactor is the client's redactor.
func (c *Client) Redactor() *Redactor { return c.redactor }

// Requests is how many HTTP requests the client has sent, retries
// included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Retries is how many attempts the client made again after a transient
// failure or a rate limit.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Request is one HTTP request, which Do may send several times.
type Request struct {
	Method string
	URL    string
	Header http.Header // besides User-Agent, which the caller sets too
	Body   []byte
	// OnSend, if set, runs before each attempt is sent (request counters).
	OnSend func()
}

// Response is a whole answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// maxBody bounds what one answer may hold.
const maxBody = 64 << 20

// Send makes one HTTP exchange and reads the whole body. A body cut
// short (fewer bytes than Content-Length, or a connection dropped
// mid-body) is an error, like a network error.
func (c *Client) Send(ctx context.Context, req *Request) (*Response, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("invalid URL for %s: %s", c.name, c.Redact(err.Error()))
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	if req.OnSend != nil {
		req.OnSend()
	}
	c.requests.Add(1)
	start := c.o.Now()
	hresp, err := c.o.HTTP.Do(hr)
	if err != nil {
		c.o.Log.Debug(c.name+" request failed", "method", req.Method, "path", c.path(req.URL), "error", c.Redact(err.Error()))
		return nil, err
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, maxBody))
	if err != nil {
		c.o.Log.Debug(c.name+" response cut short", "method", req.Method, "path", c.path(req.URL),
			"status", hresp.StatusCode, "bytes", len(b), "error", c.Redact(err.Error()))
		return nil, &BodyError{Status: hresp.StatusCode, Cause: c.Redact(err.Error())}
	}
	c.o.Log.Debug(c.name+" request", "method", req.Method, "path", c.path(req.URL), "status", hresp.StatusCode,
		"bytes", len(b), "duration", c.o.Now().Sub(start))
	return &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: b}, nil
}

// BodyError is an answer whose body could not be read whole, or a 200
// whose body is not the JSON it should be: a transient failure, retried
// like a 502.
type BodyError struct {
	Status int
	Cause  string
}

func (e *BodyError) Error() string {
	return fmt.Sprintf("HTTP %d with a broken body: %s", e.Status, e.Cause)
}

// CheckJSON returns a *BodyError when a 2xx answer's body is not one
// whole JSON document (cut short by a proxy, or an HTML error page).
func CheckJSON(resp *Response) error {
	if resp.Status < 200 || resp.Status > 299 || resp.Status == http.StatusNoContent {
		return nil
	}
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return &BodyError{Status: resp.Status, Cause: "empty body"}
	}
	if !json.Valid(resp.Body) {
		return &BodyError{Status: resp.Status, Cause: fmt.Sprintf("the %d-byte body is not valid JSON", len(resp.Body))}
	}
	return nil
}

// Verdict is what a provider makes of one attempt. The zero Verdict
// accepts the answer.
type Verdict struct {
	// Err ends the call with this error.
	Err error
	// Retry asks for another attempt after the bounded backoff: a
	// transient failure, counted against MaxRetries.
	Retry bool
	// Wait asks for another attempt after exactly this wait (a rate
	// limit); the provider bounds how often it asks.
	Wait time.Duration
	// Reason and Detail are logged with a retry or wait.
	Reason, Detail string
}

// Call is one logical call for Do.
type Call struct {
	Req *Request
	// Before, if set, runs before each attempt: a provider waits there
	// for a rate-limit budget to reset.
	Before func(ctx context.Context) error
	// Judge decides about each attempt: err is a transport or body error
	// (resp nil), else resp is a whole answer. Nil: DefaultJudge.
	Judge func(resp *Response, err error) Verdict
	// GiveUp builds the error once transient failures outlast MaxRetries,
	// from the last answer or error and the number of attempts.
	GiveUp func(resp *Response, err error, attempts int) error
}

// DefaultJudge retries network errors, broken bodies and 5xx answers,
// and accepts everything else.
func DefaultJudge(resp *Response, err error) Verdict {
	if Transient(resp, err) {
		return Verdict{Retry: true, Reason: "transient failure", Detail: describe(resp, err)}
	}
	return Verdict{}
}

// Transient reports whether an attempt failed in a way worth retrying as
// is: a network error, a broken body, or a 5xx answer.
func Transient(resp *Response, err error) bool {
	if err != nil {
		return true
	}
	return resp.Status >= 500
}

// Timeout reports whether an attempt failed the way an overloaded server
// fails a heavy request: a 502 or 504 answer, or a request timeout.
func Timeout(resp *Response, err error) bool {
	if err != nil {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	return resp.Status == http.StatusBadGateway || resp.Status == http.StatusGatewayTimeout
}

func describe(resp *Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", resp.Status, http.StatusText(resp.Status))
}

// Do sends call.Req until Judge accepts an answer or ends the call,
// retrying transient failures with bounded backoff and waiting out what
// Judge asks. ctx ending stops it at once with ctx's error.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	judge := call.Judge
	if judge == nil {
		judge = DefaultJudge
	}
	failures := 0
	for {
		if call.Before != nil {
			if err := call.Before(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := c.Send(ctx, call.Req)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		v := judge(resp, err)
		switch {
		case v.Err != nil:
			return nil, v.Err
		case v.Retry:
			if failures >= c.o.MaxRetries {
				if call.GiveUp != nil {
					return nil, call.GiveUp(resp, err, failures+1)
				}
				return nil, fmt.Errorf("%s: %s %s failed after %d attempts: %s", c.name, call.Req.Method,
					c.path(call.Req.URL), failures+1, c.Redact(describe(resp, err)))
			}
			if err := c.wait(ctx, call.Req, c.o.Backoff(failures), v, failures+1); err != nil {
				return nil, err
			}
			failures++
		case v.Wait > 0:
			if err := c.wait(ctx, call.Req, v.Wait, v, 0); err != nil {
				return nil, err
			}
		default:
			if err != nil {
				return nil, err
			}
			return resp, nil
		}
	}
}

// wait logs a retry and sleeps d.
func (c *Client) wait(ctx context.Context, req *Request, d time.Duration, v Verdict, attempt int) error {
	c.retries.Add(1)
	attrs := []any{"reason", v.Reason, "path", c.path(req.URL), "wait", d}
	if v.Detail != "" {
		attrs = append(attrs, "detail", c.Redact(v.Detail))
	}
	if attempt > 0 {
		attrs = append(attrs, "attempt", attempt)
	}
	c.o.Log.Warn(c.name+" request failed; retrying", attrs...)
	return c.o.Sleep(ctx, d)
}

// path is LogPath(u), redacted.
func (c *Client) path(u string) string { return c.Redact(LogPath(u)) }

// LogPath is the path and query of u, without the host: enough to know
// which request it was.
func LogPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.RequestURI()
}
