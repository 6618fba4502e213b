package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// BenchmarkMetricEndpoints90Days measures GET /api/v1/metrics/dora and
// /development for a 90-day range over 1,000,000 PRs and 100,000
// deployments, through the real HTTP stack. "cold" changes the data version
// before each request, as a sync does, so every answer is computed from
// the database; "cached" repeats a request over unchanged data. Run with
//
//	go test ./internal/api -run '^$' -bench MetricEndpoints -benchtime 10x
func BenchmarkMetricEndpoints90Days(b *testing.B) {
	st := storetest.New(b)
	scenario.FillBenchmark(b, st)
	cfg, _ := config.Parse(func(string) (string, bool) { return "", false })
	a := api.New(api.Deps{Store: st, Config: cfg, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(server.Handler(server.Options{API: a, Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	ctx := context.Background()
	get := func(b *testing.B, path string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %s", path, resp.Status)
		}
	}
	const rng = "?start_date=2026-08-03&end_date=2026-10-31"
	for _, path := range []string{"/api/v1/metrics/dora" + rng, "/api/v1/metrics/development" + rng} {
		b.Run("cold"+path, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.BumpDataVersion(ctx) }); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				get(b, path)
			}
		})
		b.Run("cached"+path, func(b *testing.B) {
			get(b, path)
			for b.Loop() {
				get(b, path)
			}
		})
	}
}
