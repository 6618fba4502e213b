package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// At most n requests compute at once; the next waits for a slot, and gets a
// 503 that says why when the wait is too long. Health checks, static files
// and writes pass while every slot is taken.
func TestLimitWorkQueuesComputingRequests(t *testing.T) {
	release := make(chan struct{})
	var running, peak atomic.Int32
	h := limitWork(2, 300*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			running.Add(-1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	done := make(chan int, 3)
	for range 3 {
		go func() {
			resp, err := http.Get(srv.URL + "/slow")
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	// Two hold the slots; the third waits 300 ms and is turned away.
	select {
	case code := <-done:
		if code != http.StatusServiceUnavailable {
			t.Fatalf("the request past the slots ended %d before any slot freed; want 503", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the third request neither waited out nor got a slot")
	}
	for _, path := range []string{"/api/v1/health", "/static/app.css", "/metrics"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s while busy: %d, want 200", path, resp.StatusCode)
		}
	}
	resp, err := http.Post(srv.URL+"/api/v1/deployments", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a write while busy: %d, want 200", resp.StatusCode)
	}
	close(release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Errorf("a request holding a slot ended %d, want 200", code)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("%d requests computed at once, want 2", p)
	}

	// The 503's body says what happened, and when to try again.
	block, entered := make(chan struct{}), make(chan struct{})
	h = limitWork(1, 50*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-block
	}))
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
	<-entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/dashboard", nil))
	close(block)
	var body struct {
		Detail string `json:"error"`
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Detail == "" {
		t.Errorf("busy answer: %d, Retry-After %q, body %s; want 503 with Retry-After and a JSON detail", rec.Code,
			rec.Header().Get("Retry-After"), rec.Body.String())
	}
}
