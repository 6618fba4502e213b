// Command veelocity-bench measures Veelocity at scale as a user runs it
// (`make bench`): it loads `veelocity demo --prs N` into a fresh SQLite
// file and a fresh PostgreSQL database, serves each, times cold requests
// against a bare COUNT(*) over the same rows, derive, peak memory and a
// load test, and prints one Markdown table. See BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, to create and drop the bench database

	"github.com/veelocity/veelocity/internal/bench"
)

func main() {
	cfg := bench.Config{}
	var dbs string
	flag.StringVar(&cfg.Veelocity, "veelocity", "bin/veelocity", "the veelocity binary to measure")
	flag.IntVar(&cfg.PRs, "prs", 1_000_000, "the demo's size, in pull requests")
	flag.StringVar(&dbs, "databases", "sqlite,postgres", "comma-separated: sqlite, postgres")
	flag.StringVar(&cfg.PostgresURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"a PostgreSQL server's maintenance database URL; the bench creates and drops its own database there")
	flag.StringVar(&cfg.Dir, "dir", os.TempDir(), "directory for the SQLite file (removed afterwards)")
	flag.IntVar(&cfg.Samples, "samples", 5, "cold requests per case, each over another date range")
	flag.IntVar(&cfg.LoadRate, "load-rate", 200, "requests per second of the load test")
	flag.DurationVar(&cfg.LoadDuration, "load-duration", 60*time.Second, "length of each load run (0 skips the load test)")
	flag.IntVar(&cfg.LoadEndDays, "load-end-days", 60, "each load request's range ends on one of this many last days of the dataset")
	var existing, pgExisting, run string
	flag.StringVar(&existing, "sqlite-existing", "", "measure this SQLite file, already loaded by veelocity demo, instead of loading a fresh one")
	flag.StringVar(&pgExisting, "postgres-existing", "", "measure this PostgreSQL database URL, already loaded by veelocity demo, instead of loading a fresh one")
	flag.StringVar(&run, "run", "", "time only the cold-request cases whose name matches this regular expression")
	flag.BoolVar(&cfg.SkipDerive, "skip-derive", false, "leave out the derive measurements")
	flag.IntVar(&cfg.Probe, "probe", 0, "after the load, send this many requests of its mix, 4 at a time, to a fresh serve, and report serve's CPU, allocation and collections per request (0: no probe)")
	flag.Parse()
	if cfg.LoadEndDays < 1 {
		fmt.Fprintln(os.Stderr, "veelocity-bench: -load-end-days must be at least 1")
		os.Exit(2)
	}
	cfg.Existing = map[string]string{}
	if existing != "" {
		cfg.Existing["sqlite"] = "sqlite:" + existing
	}
	if pgExisting != "" {
		cfg.Existing["postgres"] = pgExisting
	}
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "veelocity-bench: -run:", err)
			os.Exit(2)
		}
		cfg.Run = re
	}
	cfg.Databases = strings.Split(dbs, ",")
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	rep, err := bench.Run(ctx, cfg)
	fmt.Printf("veelocity-bench --prs %d, %s, %s\n\n", cfg.PRs, time.Now().UTC().Format(time.DateOnly), time.Since(start).Round(time.Second))
	rep.Print(os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
