package githubfake

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"io"
	"math"
	"net/http"
)

// Load makes the server fail the way GitHub does when it is busy. Every
// decision is a pure function of Seed and the request (its method, path,
// body, and how many times the same request was answered before), so a
// run is the same given the seed, whatever order concurrent requests
// arrive in.
type Load struct {
	// MaxNodes answers 502 "We couldn't respond to your request in time"
	// to every GraphQL query asking for more nodes than this (GitHub does
	// at about 20,000 under load); 0 turns it off.
	MaxNodes int
	// Truncate is the fraction of 200 answers whose body is cut in half:
	// a complete HTTP response holding half a JSON document.
	Truncate float64
	// ServerErrors is the fraction of requests answered 502.
	ServerErrors float64
	Seed         uint64
}

// Injected counts the failures Load injected.
type Injected struct {
	TooManyNodes, Truncated, ServerErrors int
}

// SetLoad turns on (or, with the zero Load, off) the failures of a busy
// GitHub.
func (s *Server) SetLoad(l Load) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load = l
	s.seen = map[uint64]int{}
}

// Injected returns how many failures Load injected so far.
func (s *Server) Injected() Injected {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.injected
}

// loadFaults decides which of Load's failures r gets: a 502 now, or a
// truncated body if the answer is a 200. It leaves r's body readable.
func (s *Server) loadFaults(r *http.Request) (serverError, truncate bool) {
	s.mu.Lock()
	l := s.load
	s.mu.Unlock()
	if l.Truncate == 0 && l.ServerErrors == 0 {
		return false, false
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := fnv.New64a()
	h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
	h.Write(body)
	key := h.Sum64()
	s.mu.Lock()
	n := s.seen[key]
	s.seen[key] = n + 1
	s.mu.Unlock()
	serverError = roll(l.Seed, key, n, 1) < l.ServerErrors
	truncate = !serverError && roll(l.Seed, key, n, 2) < l.Truncate
	if serverError {
		s.count(func(i *Injected) { i.ServerErrors++ })
	}
	return serverError, truncate
}

// roll is a number in [0, 1) drawn from the seed, the request, its
// repetition and what the draw is for.
func roll(seed, key uint64, n, salt int) float64 {
	h := fnv.New64a()
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], key)
	binary.LittleEndian.PutUint64(b[16:], uint64(n))
	binary.LittleEndian.PutUint64(b[24:], uint64(salt))
	h.Write(b[:])
	return float64(h.Sum64()>>11) / float64(math.MaxUint64>>11+1)
}

func (s *Server) count(f func(*Injected)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.injected)
}

// tooManyNodes reports whether a query asking for nodes is over Load's
// MaxNodes.
func (s *Server) tooManyNodes(nodes int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.load.MaxNodes > 0 && nodes > s.load.MaxNodes {
		s.injected.TooManyNodes++
		return true
	}
	return false
}

// timeoutBody is GitHub's answer to a query it gave up on under load.
var timeoutBody = map[string]any{
	"data": nil,
	"errors": []map[string]string{{"message": "We couldn't respond to your request in time. Sorry about that. " +
		"Please try resubmitting your request and contact us if the problem persists."}},
}
