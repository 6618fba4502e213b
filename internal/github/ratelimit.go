package github

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate-limit buckets. REST calls spend "core"; GraphQL calls spend
// "graphql" points.
const (
	bucketCore    = "core"
	bucketGraphQL = "graphql"
)

// limits remembers, per bucket, what the last response said about the
// rate-limit window, so the next request can wait for the reset instead of
// failing.
type limits struct {
	mu sync.Mutex
	m  map[string]*window
}

type window struct {
	remaining int
	reset     time.Time
	// need is what the next request will likely cost: 1 for REST, the
	// last query's cost for GraphQL.
	need int
	// pausedUntil is when a rate limit that one request hit lets every
	// request of the bucket go again: all workers wait it out together.
	pausedUntil time.Time
}

func newLimits() *limits { return &limits{m: map[string]*window{}} }

// update records the x-ratelimit-* headers of a response.
func (l *limits) update(bucket string, h http.Header) {
	remaining, okR := headerInt(h, "X-RateLimit-Remaining")
	reset, okT := headerInt(h, "X-RateLimit-Reset")
	if !okR || !okT {
		return
	}
	l.set(bucket, remaining, time.Unix(int64(reset), 0))
}

// set records what remains of bucket until reset.
func (l *limits) set(bucket string, remaining int, reset time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.window(bucket)
	w.remaining, w.reset = remaining, reset
}

// setCost records the point cost GraphQL reported for the last query.
func (l *limits) setCost(bucket string, cost int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.window(bucket).need = max(cost, 1)
}

// state returns what the last response said remains of bucket, and when
// its window resets (-1 and zero when nothing is known).
func (l *limits) state(bucket string) (int, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.m[bucket]
	if !ok || w.reset.IsZero() {
		return -1, time.Time{}
	}
	return w.remaining, w.reset
}

// low reports whether the bucket has too little left for the next request
// and its window has not reset yet, and when it resets.
func (l *limits) low(bucket string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.m[bucket]
	if !ok || w.reset.IsZero() || !now.Before(w.reset) {
		return time.Time{}, false
	}
	return w.reset, w.remaining < w.need
}

// pause holds every request of bucket until until (a secondary limit's
// wait, or a spent budget's reset), so that parallel workers stop together.
func (l *limits) pause(bucket string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.window(bucket); until.After(w.pausedUntil) {
		w.pausedUntil = until
	}
}

// paused returns how long requests of bucket must still wait for a pause
// another request started (0 when none).
func (l *limits) paused(bucket string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.m[bucket]
	if !ok || !now.Before(w.pausedUntil) {
		return 0
	}
	return w.pausedUntil.Sub(now)
}

func (l *limits) window(bucket string) *window {
	w, ok := l.m[bucket]
	if !ok {
		w = &window{need: 1}
		l.m[bucket] = w
	}
	return w
}

// limitHit is a response that says a rate limit was hit.
type limitHit struct {
	primary    bool // the hourly budget is spent: wait for reset
	remaining  int  // -1 when the response did not say
	reset      time.Time
	retryAfter time.Duration
}

func (h *limitHit) kind() string {
	if h.primary {
		return "primary"
	}
	return "secondary"
}

// classifyLimit tells a rate-limit 403/429 from a permission error. GitHub
// marks a primary limit with x-ratelimit-remaining: 0, and a secondary one
// with Retry-After or its message; a 403 with neither is a permission
// error (nil).
func classifyLimit(resp *response) *limitHit {
	hit := &limitHit{remaining: -1}
	if n, ok := headerInt(resp.header, "X-RateLimit-Remaining"); ok {
		hit.remaining = n
	}
	if n, ok := headerInt(resp.header, "X-RateLimit-Reset"); ok {
		hit.reset = time.Unix(int64(n), 0)
	}
	if n, ok := headerInt(resp.header, "Retry-After"); ok {
		hit.retryAfter = time.Duration(n) * time.Second
	}
	msg := strings.ToLower(githubMessage(resp.body))
	secondary := hit.retryAfter > 0 || strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse")
	switch {
	case secondary:
		return hit
	case hit.remaining == 0:
		hit.primary = true
		return hit
	case resp.status == http.StatusTooManyRequests || strings.Contains(msg, "rate limit"):
		return hit
	}
	return nil
}

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

// githubMessage returns the "message" of a GitHub error body, or "".
func githubMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Message
}
