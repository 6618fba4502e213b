package linearfake

import (
	"net/http"
	"strconv"
	"time"
)

// RateLimit is the fake's rate-limit budget, sent on every answer in
// Linear's X-RateLimit-Requests-* and X-RateLimit-Complexity-* headers
// (resets in epoch milliseconds). Each query spends one request and its
// complexity; when either runs out the fake answers RATELIMITED until the
// reset, when the budget refills for another Period.
type RateLimit struct {
	RequestsLimit       int
	RequestsRemaining   int
	RequestsReset       time.Time
	ComplexityLimit     int
	ComplexityRemaining int
	ComplexityReset     time.Time
	Period              time.Duration
}

// Defaults of a new fake's budget: what live personal API keys report.
const (
	DefaultRequestsLimit   = 2500
	DefaultComplexityLimit = 3000000
)

func (s *Server) fullLimits(now time.Time) RateLimit {
	period := s.limits.Period
	if period <= 0 {
		period = time.Hour
	}
	reqLimit, cxLimit := s.limits.RequestsLimit, s.limits.ComplexityLimit
	if reqLimit <= 0 {
		reqLimit = DefaultRequestsLimit
	}
	if cxLimit <= 0 {
		cxLimit = DefaultComplexityLimit
	}
	reset := now.Add(period).Truncate(time.Millisecond)
	return RateLimit{
		RequestsLimit: reqLimit, RequestsRemaining: reqLimit, RequestsReset: reset,
		ComplexityLimit: cxLimit, ComplexityRemaining: cxLimit, ComplexityReset: reset,
		Period: period,
	}
}

// SetRateLimit replaces the budget. The remaining amounts are taken as
// given (0 is exhausted); zero limits and period take the defaults (2,500
// requests and 3,000,000 complexity points an hour) and zero resets are one
// period from now.
func (s *Server) SetRateLimit(l RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.RequestsLimit <= 0 {
		l.RequestsLimit = DefaultRequestsLimit
	}
	if l.ComplexityLimit <= 0 {
		l.ComplexityLimit = DefaultComplexityLimit
	}
	if l.Period <= 0 {
		l.Period = time.Hour
	}
	reset := s.clockNow().Add(l.Period).Truncate(time.Millisecond)
	if l.RequestsReset.IsZero() {
		l.RequestsReset = reset
	}
	if l.ComplexityReset.IsZero() {
		l.ComplexityReset = reset
	}
	s.limits = l
}

// RateLimitState returns the current budget.
func (s *Server) RateLimitState() RateLimit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits
}

// refill restores each budget whose reset time has passed.
func (s *Server) refill(now time.Time) {
	l := &s.limits
	if !now.Before(l.RequestsReset) {
		l.RequestsRemaining = l.RequestsLimit
		l.RequestsReset = now.Add(l.Period).Truncate(time.Millisecond)
	}
	if !now.Before(l.ComplexityReset) {
		l.ComplexityRemaining = l.ComplexityLimit
		l.ComplexityReset = now.Add(l.Period).Truncate(time.Millisecond)
	}
}

func (s *Server) writeLimitHeaders(h http.Header) {
	l := s.limits
	if s.spentHeaders {
		l.RequestsRemaining, s.spentHeaders = 0, false
	}
	h.Set("X-RateLimit-Requests-Limit", strconv.Itoa(l.RequestsLimit))
	h.Set("X-RateLimit-Requests-Remaining", strconv.Itoa(max(l.RequestsRemaining, 0)))
	h.Set("X-RateLimit-Requests-Reset", strconv.FormatInt(l.RequestsReset.UnixMilli(), 10))
	h.Set("X-RateLimit-Complexity-Limit", strconv.Itoa(l.ComplexityLimit))
	h.Set("X-RateLimit-Complexity-Remaining", strconv.Itoa(max(l.ComplexityRemaining, 0)))
	h.Set("X-RateLimit-Complexity-Reset", strconv.FormatInt(l.ComplexityReset.UnixMilli(), 10))
}
