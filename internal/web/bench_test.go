package web

import (
	"io"
	"net/http"
	"testing"

	"github.com/veelocity/veelocity/internal/demo"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// BenchmarkPages renders each page over the default demo dataset (a year,
// demo.DefaultPRs pull requests), through the whole server.
func BenchmarkPages(b *testing.B) {
	st := storetest.New(b)
	cfg := testConfig(b)
	loadDemo(b, st, cfg, demo.DefaultPRs)
	s := newSite(b, st, cfg, nil)
	for _, path := range []string{"/dashboard", "/dora", "/development", "/pull-requests", "/deployments", "/incidents", "/settings",
		"/dashboard?start_date=2025-03-21&end_date=2026-03-20"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
				req.Header.Set("Accept", "text/html")
				res, err := s.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, res.StatusCode)
				}
			}
		})
	}
}
