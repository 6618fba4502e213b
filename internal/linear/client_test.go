package linear

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/httpapi"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is a test clock whose Sleep records the wait and moves time on,
// so waits are checked exactly and nothing really sleeps.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// logBuffer collects DEBUG logs for the key-leak checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// assertNoKey fails if key appears in any of texts.
func assertNoKey(t *testing.T, key string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, key) {
			t.Errorf("the API key leaked into: %s", s)
		}
	}
}

type clientEnv struct {
	fake  *linearfake.Server
	clock *clock
	logs  *logBuffer
	c     *Client
}

// newClientEnv returns a client of a fake Linear on a shared test clock,
// with jitter fixed at 0.5 (so a backoff of d waits 0.75 d).
func newClientEnv(t *testing.T) *clientEnv {
	t.Helper()
	f := linearfake.New()
	t.Cleanup(f.Close)
	clk := newClock()
	f.SetClock(clk.Now)
	log, buf := debugLogger(t)
	c := NewClient(ClientOptions{URL: f.URL(), Key: config.Secret(f.Key()), Options: httpapi.Options{Log: log, Now: clk.Now, Sleep: clk.Sleep, Jitter: func() float64 { return 0.5 }}})
	e := &clientEnv{fake: f, clock: clk, logs: buf, c: c}
	t.Cleanup(func() { assertNoKey(t, f.Key(), buf.String()) })
	return e
}

func (e *clientEnv) viewer(ctx context.Context) (string, int, error) {
	var out struct {
		Viewer struct{ ID string } `json:"viewer"`
	}
	n, err := e.c.do(ctx, viewerQuery, nil, &out)
	return out.Viewer.ID, n, err
}

func TestClientSendsTheKeyAndDecodesData(t *testing.T) {
	e := newClientEnv(t)
	id, n, err := e.viewer(context.Background())
	if err != nil || id == "" || n != 1 {
		t.Fatalf("viewer: id %q, %d requests, %v", id, n, err)
	}
	if e.c.Requests() != 1 || e.fake.RequestCount() != 1 || len(e.clock.Waits()) != 0 {
		t.Errorf("%d requests counted, %d received, waits %v", e.c.Requests(), e.fake.RequestCount(), e.clock.Waits())
	}
}

func TestClientReportsARejectedKeyAtOnce(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newClientEnv(t)
			e.fake.RejectKeysWith(status)
			key := "lin_api_wrongWrongWrong0123456789"
			log, buf := debugLogger(t)
			c := NewClient(ClientOptions{URL: e.fake.URL(), Key: config.Secret(key), Options: httpapi.Options{Log: log, Now: e.clock.Now, Sleep: e.clock.Sleep}})
			err := c.Do(context.Background(), viewerQuery, nil, nil)
			var auth *AuthError
			if !errors.As(err, &auth) || err.Error() != "Linear rejected the API key" {
				t.Fatalf("got %v, want Linear rejected the API key", err)
			}
			if e.fake.RequestCount() != 1 || len(e.clock.Waits()) != 0 {
				t.Errorf("%d requests and waits %v, want 1 request and no wait", e.fake.RequestCount(), e.clock.Waits())
			}
			assertNoKey(t, key, err.Error(), buf.String())
		})
	}
}

func TestClientWaitsForTheResetWhenRateLimited(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusTooManyRequests} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newClientEnv(t)
			e.fake.RateLimitWith(status)
			e.fake.SetRateLimit(linearfake.RateLimit{RequestsLimit: 100, RequestsRemaining: 100,
				RequestsReset: t0.Add(90 * time.Second), ComplexityRemaining: 100000})
			e.fake.RateLimitNext(1)
			_, n, err := e.viewer(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := []time.Duration{90 * time.Second}; !slices.Equal(e.clock.Waits(), want) || n != 2 {
				t.Errorf("waits %v with %d requests, want %v with 2", e.clock.Waits(), n, want)
			}
		})
	}
}

func TestClientGivesUpAfterRepeatedRateLimits(t *testing.T) {
	e := newClientEnv(t)
	e.fake.SetRateLimit(linearfake.RateLimit{RequestsRemaining: 100, RequestsReset: t0.Add(time.Minute),
		ComplexityRemaining: 100000})
	e.fake.RateLimitNext(100)
	_, n, err := e.viewer(context.Background())
	var rl *RateLimitError
	if !errors.As(err, &rl) || n != 6 {
		t.Fatalf("got %v after %d requests, want a RateLimitError after 6", err, n)
	}
	// The first wait reaches the reset; the budget then refills with a
	// reset an hour on (the fake's period), which caps each later wait.
	want := []time.Duration{time.Minute, time.Hour, time.Hour, time.Hour, time.Hour}
	if !slices.Equal(e.clock.Waits(), want) {
		t.Errorf("waits %v, want %v", e.clock.Waits(), want)
	}
}

func TestClientWaitsBeforeSpendingTheLastOfABudget(t *testing.T) {
	tests := []struct {
		name  string
		limit linearfake.RateLimit
		want  []time.Duration
	}{
		{"requests", linearfake.RateLimit{RequestsLimit: 100, RequestsRemaining: 6, RequestsReset: t0.Add(5 * time.Minute),
			ComplexityRemaining: 100000}, []time.Duration{5 * time.Minute}},
		// Each viewer query costs 2 points: 10,003 → 10,001 → 9,999, under
		// the 10,000 a query may cost.
		{"complexity", linearfake.RateLimit{RequestsRemaining: 100, ComplexityLimit: 20000, ComplexityRemaining: 10003,
			ComplexityReset: t0.Add(2 * time.Minute)}, []time.Duration{2 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newClientEnv(t)
			e.fake.SetRateLimit(tt.limit)
			for i := range 3 {
				if _, _, err := e.viewer(context.Background()); err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
			}
			if !slices.Equal(e.clock.Waits(), tt.want) {
				t.Errorf("waits %v, want %v", e.clock.Waits(), tt.want)
			}
			if got := e.fake.Requests(); len(got) != 3 || got[2].Status != http.StatusOK {
				t.Errorf("the fake saw %d requests, the last %+v; want 3, none rate-limited", len(got), got[len(got)-1])
			}
		})
	}
}

func TestClientRetriesServerErrorsWithBackoff(t *testing.T) {
	e := newClientEnv(t)
	e.fake.FailNext(2, http.StatusBadGateway)
	_, n, err := e.viewer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 1s then 2s, each with its upper half jittered at 0.5.
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}
	if !slices.Equal(e.clock.Waits(), want) || n != 3 {
		t.Errorf("waits %v over %d requests, want %v over 3", e.clock.Waits(), n, want)
	}
}

func TestClientGivesUpOnAServerThatStaysDown(t *testing.T) {
	e := newClientEnv(t)
	e.fake.FailAfter(0)
	_, n, err := e.viewer(context.Background())
	var down *UnavailableError
	if !errors.As(err, &down) || n != 5 || err.Error() != "Linear API unavailable: HTTP 500 Internal Server Error after 5 attempts" {
		t.Fatalf("got %q after %d requests", err, n)
	}
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second}
	if !slices.Equal(e.clock.Waits(), want) {
		t.Errorf("waits %v, want %v", e.clock.Waits(), want)
	}
}

func TestClientRetriesNetworkErrors(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	clk := newClock()
	log, buf := debugLogger(t)
	key := "lin_api_networkNetwork0123456789"
	c := NewClient(ClientOptions{URL: gone.URL + "/graphql", Key: config.Secret(key), Options: httpapi.Options{Log: log, Now: clk.Now, Sleep: clk.Sleep, Jitter: func() float64 { return 0 }, MaxRetries: 2}})
	n, err := c.do(context.Background(), viewerQuery, nil, nil)
	var down *UnavailableError
	if !errors.As(err, &down) || n != 3 || !strings.HasPrefix(err.Error(), "Linear API unreachable after 3 attempts") {
		t.Fatalf("got %v after %d requests", err, n)
	}
	if want := []time.Duration{500 * time.Millisecond, time.Second}; !slices.Equal(clk.Waits(), want) {
		t.Errorf("waits %v, want %v", clk.Waits(), want)
	}
	assertNoKey(t, key, err.Error(), buf.String())
}

func TestClientDoesNotRetryAnInvalidQuery(t *testing.T) {
	e := newClientEnv(t)
	err := e.c.Do(context.Background(), `query Bad { viewer { id totalCount } }`, nil, nil)
	var api *APIError
	if !errors.As(err, &api) || api.Code != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(api.Message, "totalCount") {
		t.Fatalf("got %v", err)
	}
	if e.fake.RequestCount() != 1 {
		t.Errorf("%d requests, want 1", e.fake.RequestCount())
	}
}

func TestClientStopsWaitingWhenCanceled(t *testing.T) {
	e := newClientEnv(t)
	e.fake.FailNext(1, http.StatusServiceUnavailable)
	ctx, cancel := context.WithCancel(context.Background())
	o := e.c.o
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return httpapi.Sleep(ctx, d)
	}
	e.c = NewClient(o)
	_, n, err := e.viewer(ctx)
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("got %v after %d requests, want context.Canceled after 1", err, n)
	}
	// The real sleeper returns at once on a context that has ended.
	if err := httpapi.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep: %v", err)
	}
}

func TestClientUsesRetryAfterAndBacksOffWithoutHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"Retry-After", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"no headers", http.Header{}, 750 * time.Millisecond},
		{"reset in the past", http.Header{"X-Ratelimit-Requests-Remaining": {"0"},
			"X-Ratelimit-Requests-Reset": {"1000"}}, 750 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls == 1 {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					w.WriteHeader(http.StatusBadRequest)
					w.Write([]byte(`{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`))
					return
				}
				w.Write([]byte(`{"data":{"viewer":{"id":"u1"}}}`))
			}))
			defer srv.Close()
			clk := newClock()
			c := NewClient(ClientOptions{URL: srv.URL, Key: "lin_api_x", Options: httpapi.Options{Now: clk.Now, Sleep: clk.Sleep, Jitter: func() float64 { return 0.5 }}})
			if err := c.Do(context.Background(), viewerQuery, nil, nil); err != nil {
				t.Fatal(err)
			}
			if got := clk.Waits(); !slices.Equal(got, []time.Duration{tt.want}) {
				t.Errorf("waits %v, want [%v]", got, tt.want)
			}
		})
	}
}

func TestClientRedactsTheKeyFromServerMessages(t *testing.T) {
	key := "lin_api_echoEchoEcho0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":[{"message":"key ` + r.Header.Get("Authorization") + ` may not read this","extensions":{"code":"FORBIDDEN"}}]}`))
	}))
	defer srv.Close()
	log, buf := debugLogger(t)
	c := NewClient(ClientOptions{URL: srv.URL, Key: config.Secret(key), Options: httpapi.Options{Log: log}})
	err := c.Do(context.Background(), viewerQuery, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "key [redacted] may not read this") {
		t.Fatalf("got %v", err)
	}
	assertNoKey(t, key, err.Error(), buf.String())
}
