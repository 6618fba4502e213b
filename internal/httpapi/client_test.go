package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoffIsBoundedAndJittered(t *testing.T) {
	for _, tc := range []struct {
		jitter float64
		n      int
		want   time.Duration
	}{
		{1, 0, time.Second},
		{1, 3, 8 * time.Second},
		{0, 3, 4 * time.Second}, // the lower half is never jittered away
		{0.5, 1, 1500 * time.Millisecond},
		{1, 6, time.Minute}, // 64s, capped
		{1, 200, time.Minute},
	} {
		o := Options{Jitter: func() float64 { return tc.jitter }}.WithDefaults()
		if got := o.Backoff(tc.n); got != tc.want {
			t.Errorf("Backoff(%d) with jitter %v = %v, want %v", tc.n, tc.jitter, got, tc.want)
		}
	}
}

// recordSleeps is a clock that records waits instead of waiting.
func recordSleeps(sleeps *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*sleeps = append(*sleeps, d)
		return ctx.Err()
	}
}

// Broken bodies (a 200 cut short, or not JSON) and 5xx answers are retried
// with the bounded backoff until an answer is whole; a server that keeps
// failing gets MaxRetries retries.
func TestDoRetriesBrokenBodiesLikeServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answers   []string // "502", "cut", "html", "ok"
		wantErr   bool
		wantSleep []time.Duration
	}{
		{"a 200 cut short", []string{"cut", "ok"}, false, []time.Duration{time.Second}},
		{"an HTML page with 200", []string{"html", "ok"}, false, []time.Duration{time.Second}},
		{"502, cut, 502", []string{"502", "cut", "502", "ok"}, false, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"always cut", []string{"cut", "cut", "cut", "cut", "cut"}, true, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a := tc.answers[min(int(n.Add(1))-1, len(tc.answers)-1)]
				switch a {
				case "502":
					w.WriteHeader(http.StatusBadGateway)
				case "cut":
					w.Write([]byte(`{"data":{"viewer":{"lo`))
				case "html":
					w.Write([]byte(`<html>Unicorn!</html>`))
				default:
					w.Write([]byte(`{"data":{}}`))
				}
			}))
			defer srv.Close()
			var sleeps []time.Duration
			c := New("Test", Options{Sleep: recordSleeps(&sleeps), Jitter: func() float64 { return 1 }, MaxRetries: 3}, nil)
			_, err := c.Do(context.Background(), Call{
				Req: &Request{Method: http.MethodGet, URL: srv.URL + "/x"},
				Judge: func(resp *Response, err error) Verdict {
					if err == nil {
						err = CheckJSON(resp)
					}
					return DefaultJudge(resp, err)
				},
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if !slices.Equal(sleeps, tc.wantSleep) {
				t.Errorf("waited %v, want %v", sleeps, tc.wantSleep)
			}
			if got, want := c.Retries(), int64(len(tc.wantSleep)); got != want {
				t.Errorf("counted %d retries, want %d", got, want)
			}
		})
	}
}

// Errors carry no credential: not the configured one, not one echoed in a
// transport error.
func TestDoRedactsItsErrors(t *testing.T) {
	const secret = "ghp_0123456789abcdefghijklmnop"
	c := New("Test", Options{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }, MaxRetries: 1}, NewRedactor(secret))
	_, err := c.Do(context.Background(), Call{Req: &Request{Method: http.MethodGet, URL: "http://127.0.0.1:1/?t=" + secret}})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("err = %v", err)
	}
	var be *BodyError
	if errors.As(err, &be) {
		t.Errorf("a refused connection is not a body error: %v", err)
	}
}
