package demo

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// BenchmarkGenerate loads a dataset into a fresh database per iteration and
// reports records written per second, and the largest heap seen while
// loading (sampled after every batch), which stays flat as the size grows.
// It compares the bulk path that veelocity demo uses with the per-record
// upserts that syncs use, and with generation alone (nothing written).
//
// The size is VEELOCITY_DEMO_BENCH_PRS (default 20000), the records per
// transaction VEELOCITY_DEMO_BENCH_BATCH (default DefaultBatchRows); set
// VEELOCITY_TEST_DATABASE_URL to measure PostgreSQL, for example:
//
//	VEELOCITY_DEMO_BENCH_PRS=100000 go test ./internal/demo -run '^$' -bench 'Generate/bulk' -benchtime 1x
func BenchmarkGenerate(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("VEELOCITY_DEMO_BENCH_PRS")); err == nil && v > 0 {
		n = v
	}
	batchRows := 0 // the default
	if v, err := strconv.Atoi(os.Getenv("VEELOCITY_DEMO_BENCH_BATCH")); err == nil && v > 0 {
		batchRows = v
	}
	discard := func(context.Context, *store.Tx, *batch) error { return nil }
	for _, bc := range []struct {
		name  string
		write writer
	}{{"bulk", writeBulk}, {"upserts", writeUpserts}, {"generate-only", discard}} {
		b.Run(fmt.Sprintf("%s/prs=%d", bc.name, n), func(b *testing.B) {
			var rows int
			var elapsed time.Duration
			var peak uint64
			var ms runtime.MemStats
			for range b.N {
				b.StopTimer()
				st := storetest.New(b)
				runtime.GC()
				b.StartTimer()
				began := time.Now()
				res, err := Load(context.Background(), st, Options{PRs: n, Seed: 1, Now: pinned, Log: quiet, write: bc.write, BatchRows: batchRows,
					Progress: func(Progress) {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc)
					}})
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(began)
				rows += res.Rows()
			}
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
