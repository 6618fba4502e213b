package metrics

import (
	"context"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMetrics90Days measures the metric endpoints' computations for a
// 90-day range over the dataset above: from the database ("cold"), and
// answered from the result cache while the data is unchanged ("/cached").
// Run with
//
//	go test ./internal/metrics -run '^$' -bench Metrics90Days -benchtime 10x
func BenchmarkMetrics90Days(b *testing.B) {
	st := storetest.New(b)
	scenario.FillBenchmark(b, st)
	s := New(st, true)
	ctx := context.Background()
	v := url.Values{"start_date": {"2026-08-03"}, "end_date": {"2026-10-31"}}
	q, err := ParseQuery(ctx, st, v, scenario.BenchmarkEnd)
	if err != nil {
		b.Fatal(err)
	}
	vt := url.Values{"start_date": {"2026-08-03"}, "end_date": {"2026-10-31"}, "include_trend": {"true"}}
	qt, _ := ParseQuery(ctx, st, vt, scenario.BenchmarkEnd)
	vr := url.Values{"start_date": {"2026-08-03"}, "end_date": {"2026-10-31"}, "repo_id": {"3"}}
	qr, _ := ParseQuery(ctx, st, vr, scenario.BenchmarkEnd)
	cold := New(st, true)
	cold.cache = nil // every answer computed from the database
	for _, bc := range []struct {
		name string
		q    Query
		fn   func(context.Context, Query) error
	}{
		{"dora", q, func(ctx context.Context, q Query) error { _, err := cold.DORA(ctx, q); return err }},
		{"dora/cached", q, func(ctx context.Context, q Query) error { _, err := s.DORA(ctx, q); return err }},
		{"dora+trend", qt, func(ctx context.Context, q Query) error { _, err := cold.DORA(ctx, q); return err }},
		{"dora/repo", qr, func(ctx context.Context, q Query) error { _, err := cold.DORA(ctx, q); return err }},
		{"development", q, func(ctx context.Context, q Query) error { _, err := cold.Development(ctx, q); return err }},
		{"development/cached", q, func(ctx context.Context, q Query) error { _, err := s.Development(ctx, q); return err }},
		{"development+trend", qt, func(ctx context.Context, q Query) error { _, err := cold.Development(ctx, q); return err }},
		{"developers", q, func(ctx context.Context, q Query) error { _, err := cold.Developers(ctx, q, "", ""); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// Wall time suffers when the machine is busy; CPU time (this
			// process, all threads) much less, so report both.
			cpu0 := cpuTime()
			for b.Loop() {
				if err := bc.fn(ctx, bc.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
