package syncbench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/cli"
)

// TestMain lets the test binary stand in for veelocity: run with
// SYNCBENCH_CHILD=1, it is the CLI.
func TestMain(m *testing.M) {
	if os.Getenv("SYNCBENCH_CHILD") == "1" {
		os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// A small version of `make bench-sync`, so that it cannot break unnoticed:
// it syncs every generated pull request at each concurrency, and reports
// figures. It asserts no timing.
func TestBenchmarkSmoke(t *testing.T) {
	t.Setenv("SYNCBENCH_CHILD", "1")
	var log strings.Builder
	results, err := Run(t.Context(), Options{Repos: 3, PRsPerRepo: 15, Latency: time.Millisecond, PerKB: 0,
		Concurrency: []int{1, 2}, Command: []string{os.Args[0]}, Dir: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, r := range results {
		if r.PRs != 45 || r.Requests == 0 || r.Points == 0 || r.PeakRSSKiB == 0 || r.Retries != 0 ||
			r.ClientRetries != 0 || r.PageReductions != 0 {
			t.Errorf("SYNC_CONCURRENCY=%d: %+v; want 45 PRs, requests, points, a peak RSS and no retries", r.Concurrency, r)
		}
	}
	if results[0].Requests != results[1].Requests {
		t.Errorf("requests differ between concurrency 1 (%d) and 2 (%d): the same sync should ask the same", results[0].Requests, results[1].Requests)
	}
	var table strings.Builder
	WriteTable(&table, results)
	t.Logf("%s\n%s", log.String(), table.String())
	if lines := strings.Count(table.String(), "\n"); lines != 4 {
		t.Errorf("the table has %d lines, want a header, a rule and 2 rows:\n%s", lines, table.String())
	}
}
