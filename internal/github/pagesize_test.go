package github

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/httpapi"
)

// The page size halves on each timeout, down to 1, and doubles back after
// growAfter successes in a row, up to what the caller wants.
func TestPageSizesShrinkAndGrowBack(t *testing.T) {
	p := newPageSizes()
	var got []int
	step := func(ok bool) {
		n := p.size("SyncPage", 50)
		got = append(got, n)
		if ok {
			p.succeeded("SyncPage", n)
		} else {
			p.shrink("SyncPage", n)
		}
	}
	for _, ok := range []bool{false, false, false, false, false, false, true, true, true, true, true, true, true, true, false, true} {
		step(ok)
	}
	want := []int{50, 25, 12, 6, 3, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 2}
	if !slices.Equal(got, want) {
		t.Errorf("sizes %v, want %v", got, want)
	}
	if n := p.size("Other", 30); n != 30 {
		t.Errorf("another operation got %d, want its own 30", n)
	}
}

// Each way GitHub fails a heavy query makes the client ask again for half
// the page, then go on.
func TestQueryPageHalvesOnTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(w http.ResponseWriter, r *http.Request)
	}{
		{"502", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }},
		{"504", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGatewayTimeout) }},
		{"something went wrong", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"data":null,"errors":[{"message":"Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include ` + "`ABCD:1234`" + ` when reporting this issue."}]}`))
		}},
		// The server never answers; the client's timeout ends the wait.
		{"client timeout", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var sizes []int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body struct {
					Variables map[string]any `json:"variables"`
				}
				json.NewDecoder(r.Body).Decode(&body)
				n := int(body.Variables["n"].(float64))
				mu.Lock()
				sizes = append(sizes, n)
				mu.Unlock()
				if n > 10 {
					tc.fail(w, r)
					return
				}
				w.Write([]byte(`{"data":{"rateLimit":{"cost":1,"remaining":4000,"resetAt":"2030-01-01T00:00:00Z"}}}`))
			}))
			defer srv.Close()
			var sleeps []time.Duration
			c := NewClient(ClientOptions{RESTURL: srv.URL, GraphQLURL: srv.URL, Token: "ghp_x", Options: httpapi.Options{
				HTTP:   &http.Client{Timeout: time.Second},
				Sleep:  func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil },
				Jitter: func() float64 { return 1 }}})
			var out struct{}
			used, err := c.QueryPage(context.Background(), `query Page($n: Int!) { rateLimit { cost } }`, "n", map[string]any{"n": 50}, &out)
			if err != nil {
				t.Fatal(err)
			}
			if want := []int{50, 25, 12, 6}; used != 6 || !slices.Equal(sizes, want) {
				t.Errorf("asked for %v (used %d), want %v", sizes, used, want)
			}
			if s := c.Stats(); s.PageReductions != 3 || s.Retries != 3 {
				t.Errorf("stats %+v, want 3 reductions and 3 retries", s)
			}
			if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(sleeps, want) {
				t.Errorf("waited %v, want %v", sleeps, want)
			}
		})
	}
}
