package linear

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// budget is one rate-limit budget as Linear's headers report it.
type budget struct {
	known     bool
	remaining float64
	reset     time.Time // from epoch milliseconds
}

func readBudget(h http.Header, prefix string) budget {
	rem, err1 := strconv.ParseFloat(h.Get(prefix+"-Remaining"), 64)
	reset, err2 := strconv.ParseFloat(h.Get(prefix+"-Reset"), 64)
	if err1 != nil || err2 != nil {
		return budget{}
	}
	return budget{known: true, remaining: rem, reset: time.UnixMilli(int64(reset))}
}

// observe reads the rate-limit headers of an answer and, when a budget is
// nearly spent, makes the next request wait for its reset.
func (c *Client) observe(h http.Header, op string, status int) {
	reqs := readBudget(h, "X-RateLimit-Requests")
	cx := readBudget(h, "X-RateLimit-Complexity")
	c.o.Log.Debug("linear: request", "op", op, "status", status, "complexity", h.Get("X-Complexity"),
		"requests_remaining", h.Get("X-RateLimit-Requests-Remaining"),
		"complexity_remaining", h.Get("X-RateLimit-Complexity-Remaining"))
	now := c.o.Now()
	var until time.Time
	if reqs.known && reqs.remaining < float64(c.o.MinRequestsRemaining) && reqs.reset.After(now) {
		until = reqs.reset
	}
	if cx.known && cx.remaining < float64(c.o.MinComplexityRemaining) && cx.reset.After(now) && cx.reset.After(until) {
		until = cx.reset
	}
	c.mu.Lock()
	c.pauseUntil = until
	c.mu.Unlock()
}

// waitForBudget waits, before a request, for the reset of a budget the
// last answer showed nearly spent.
func (c *Client) waitForBudget(ctx context.Context, op string) error {
	c.mu.Lock()
	until := c.pauseUntil
	c.pauseUntil = time.Time{}
	c.mu.Unlock()
	d := until.Sub(c.o.Now())
	if until.IsZero() || d <= 0 {
		return ctx.Err()
	}
	d = min(d, c.o.MaxWait)
	c.o.Log.Info("linear: rate-limit budget nearly spent; waiting for the reset", "op", op, "wait", d,
		"reset", until.UTC().Format(time.RFC3339))
	return c.o.Sleep(ctx, d)
}

// rateLimitWait is how long to wait after RATELIMITED answer number n
// (0-based): Retry-After when Linear sends it, else until the reset of the
// spent budget, else the retry backoff.
func (c *Client) rateLimitWait(h http.Header, n int) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, c.o.MaxWait)
	}
	now := c.o.Now()
	var reset time.Time
	for _, b := range []struct {
		b   budget
		low float64
	}{
		{readBudget(h, "X-RateLimit-Requests"), 1},
		{readBudget(h, "X-RateLimit-Complexity"), float64(c.o.MinComplexityRemaining)},
		{readBudget(h, "X-RateLimit-Endpoint-Requests"), 1},
	} {
		if b.b.known && b.b.remaining < b.low && b.b.reset.After(reset) {
			reset = b.b.reset
		}
	}
	if d := reset.Sub(now); !reset.IsZero() && d > 0 {
		return min(d, c.o.MaxWait)
	}
	return c.o.Backoff(n)
}
