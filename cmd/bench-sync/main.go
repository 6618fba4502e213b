// Command bench-sync measures a first GitHub sync of a generated
// organisation (by default 200 repositories of 500 pull requests) served
// by the in-repo fake GitHub with 250 ms of latency per request plus 1 ms
// per KB, at SYNC_CONCURRENCY 1 and 4, and prints a Markdown table.
// `make bench-sync` builds veelocity and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/syncbench"
)

func main() {
	var o syncbench.Options
	var conc, bin string
	flag.IntVar(&o.Repos, "repos", 200, "repositories in the generated organisation")
	flag.IntVar(&o.PRsPerRepo, "prs", 500, "pull requests per repository")
	flag.DurationVar(&o.Latency, "latency", 250*time.Millisecond, "latency the fake adds to every answer")
	flag.DurationVar(&o.PerKB, "per-kb", time.Millisecond, "latency the fake adds per KB of an answer")
	flag.StringVar(&conc, "concurrency", "1,4", "SYNC_CONCURRENCY values to run, comma-separated")
	flag.StringVar(&bin, "veelocity", "bin/veelocity", "the veelocity binary to run (make build)")
	flag.StringVar(&o.Dir, "dir", "", "where the databases go (default: a new temporary directory)")
	flag.Parse()
	for _, c := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench-sync: -concurrency: %q is not a positive number\n", c)
			os.Exit(2)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "bench-sync: -veelocity: %v (run make build first)\n", err)
		os.Exit(2)
	}
	abs, err := filepath.Abs(bin) // the child runs in -dir
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sync:", err)
		os.Exit(2)
	}
	o.Command = []string{abs}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "bench-sync-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-sync:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench-sync:", err)
		os.Exit(1)
	}
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	results, err := syncbench.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sync:", err)
		os.Exit(1)
	}
	host, _ := os.Hostname()
	fmt.Printf("Sync benchmark, %s: %d repositories × %d PRs, latency %s + %s/KB, %s, %d CPUs (GOMAXPROCS %d), host %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), o.Repos, o.PRsPerRepo, o.Latency, o.PerKB, runtime.GOOS+"/"+runtime.GOARCH,
		runtime.NumCPU(), runtime.GOMAXPROCS(0), host)
	syncbench.WriteTable(os.Stdout, results)
}
