package server

import (
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/memo"
)

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (for
// flushing server-sent progress, for instance).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one structured line per request.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Int("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
		)
	})
}

// recoverPanics turns a panicking handler into a logged 500 with a generic
// JSON body; the server keeps serving.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			api.WriteError(w, http.StatusInternalServerError, "internal server error")
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets headers every response should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// limitWork admits at most n GET and HEAD requests at a time to the routes
// that compute something (the metrics, the lists, the pages); the others
// wait their turn. A burst of cold requests then queues instead of
// computing hundreds of answers at once, which on a small machine made
// each of them slower and held all their memory together. A request that
// waits longer than maxWait gets 503 with Retry-After. Health checks,
// static files and /metrics are never held back, nor are writes.
func limitWork(n int, maxWait time.Duration, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || unlimited(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			t := time.NewTimer(maxWait)
			select {
			case slots <- struct{}{}:
				t.Stop()
			case <-r.Context().Done():
				t.Stop()
				return // the client went away
			case <-t.C:
				w.Header().Set("Retry-After", "5")
				api.WriteError(w, http.StatusServiceUnavailable, "busy: too many requests are being computed; try again in a few seconds")
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// perRequestMemo gives each GET and HEAD request a memo (package memo) for
// the small reads its parts repeat. Not writes: a write may change what
// it reads again afterwards.
func perRequestMemo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			r = r.WithContext(memo.With(r.Context()))
		}
		next.ServeHTTP(w, r)
	})
}

// unlimited reports whether a path is cheap and must answer even when the
// server is busy.
func unlimited(path string) bool {
	return path == "/api/v1/health" || path == "/metrics" || strings.HasPrefix(path, "/static/")
}

// workSlots is how many requests compute at once: enough to keep every
// core busy while others wait on the database.
func workSlots() int { return max(4, 2*runtime.GOMAXPROCS(0)) }
