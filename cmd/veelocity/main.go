// Command veelocity is the Veelocity server and command-line tool. Run
// "veelocity help" for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/veelocity/veelocity/internal/cli"
)

// heapLimit is the soft limit on the Go heap when GOMEMLIMIT does not set
// one. Veelocity's live heap stays far below it; the limit makes the
// garbage collector run before the heap doubles past it, so that a sync,
// a derive or a burst of requests stays under 512 MiB resident with
// SQLite's memory map and page caches (which are outside the Go heap).
// Without it, a first sync of 100,000 PRs at SYNC_CONCURRENCY=4 peaked at
// 598 MiB once and 321 MiB another time (BENCHMARKS.md).
const heapLimit = 256 << 20

// serveHeapLimit is serve's: under a load of cold requests, each of which
// decodes megabytes of the in-memory rollups, 256 MiB left so little
// room above the live heap (the rollups, the result cache) that the
// collector ran about nine times a second and took 18% of the CPU. serve's
// SQLite readers keep small page caches (store.openSQLite), which makes
// room for it: at a million PRs serve stayed at 426–427 MiB resident under
// the load test, against 481–498 MiB before, and answered 10–16% more
// (BENCHMARKS.md).
const serveHeapLimit = 320 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		limit := heapLimit
		if len(os.Args) > 1 && os.Args[1] == "serve" {
			limit = serveHeapLimit
		}
		debug.SetMemoryLimit(int64(limit))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
