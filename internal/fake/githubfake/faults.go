package githubfake

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// FaultKind is a kind of failure the server can be told to answer with.
type FaultKind int

// The failures a Fault can inject.
const (
	// SecondaryLimit answers 403 with GitHub's secondary-rate-limit message
	// (Status 429 and RetryAfter are honoured when set), with requests still
	// remaining, as recorded in testdata/hub4j_secondary_limit_*.
	SecondaryLimit FaultKind = iota
	// PrimaryLimit answers as when the hourly budget is spent: 403 with
	// x-ratelimit-remaining 0 for REST, and a 200 with a RATE_LIMITED error
	// for GraphQL. The window resets at the fake clock's current reset.
	PrimaryLimit
	// ServerError answers with Status (default 502).
	ServerError
	// Disconnect closes the connection without answering.
	Disconnect
)

// Fault is one injected failure. It applies to the next request whose
// path contains Match ("" matches every request; "/graphql" only GraphQL).
type Fault struct {
	Kind       FaultKind
	Status     int
	RetryAfter int // seconds, for SecondaryLimit
	Match      string
}

// Inject queues failures; each is used up by one matching request.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// FailAfter makes every request after the next n fail with a 500, as a
// server that goes down does; n < 0 turns it off.
func (s *Server) FailAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter = n
}

// takeFault returns the fault for r, if any, using it up.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAfter == 0 {
		return Fault{Kind: ServerError, Status: http.StatusInternalServerError}, true
	}
	if s.failAfter > 0 {
		s.failAfter--
	}
	for i, f := range s.faults {
		if strings.Contains(r.URL.Path, f.Match) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// injectFault answers r with an injected failure, if one is due.
func (s *Server) injectFault(w *recorder, r *http.Request, bucket string) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	switch f.Kind {
	case Disconnect:
		w.status = 0
		w.logOnce()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	case ServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		s.writeJSON(w, bucket, status, map[string]string{"message": "Server Error"})
	case SecondaryLimit:
		status := f.Status
		if status == 0 {
			status = http.StatusForbidden
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		w.Header().Set("gh-limited-by", "search-elapsed-time-shared-grouped")
		s.writeJSON(w, bucket, status, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
			"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	case PrimaryLimit:
		s.mu.Lock()
		s.window(bucket).remaining = 0
		s.mu.Unlock()
		if bucket == "graphql" {
			s.writeJSON(w, bucket, http.StatusOK, rateLimitedGraphQL)
		} else {
			s.writeJSON(w, bucket, http.StatusForbidden, primaryLimitBody)
		}
	}
	return true
}

// rateLimitedGraphQL is GraphQL's answer once the hourly points are spent.
var rateLimitedGraphQL = map[string]any{
	"errors": []map[string]string{{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}},
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
