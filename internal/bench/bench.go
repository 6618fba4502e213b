// Package bench measures Veelocity as users run it: it builds a dataset
// with `veelocity demo --prs N` into a fresh SQLite file and a fresh
// PostgreSQL database, serves it with `veelocity serve`, and times cold
// requests (each the first for its parameters, so the result cache misses),
// a full and an incremental derive, peak memory from the operating system,
// and a load test with and without concurrent writes. It prints one table.
//
// Nothing here tunes the database: no ANALYZE, no VACUUM; what is measured
// is what demo and serve leave.
package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// Config says what to measure.
type Config struct {
	Veelocity    string        // the veelocity binary
	PRs          int           // the demo's --prs
	Databases    []string      // "sqlite", "postgres"
	PostgresURL  string        // a PostgreSQL server's maintenance database, to create and drop the bench database
	Dir          string        // scratch directory for the SQLite file
	Samples      int           // cold requests per case (distinct date ranges)
	LoadRate     int           // requests per second of the load test
	LoadDuration time.Duration // of each load run
	// LoadEndDays is the number of days, ending with the dataset's, among
	// which each load request draws its range's end date: fewer days, fewer
	// distinct questions, and more of them answered by the result cache.
	LoadEndDays int
	// Existing, if set, names a database already loaded by demo to
	// measure instead of loading a fresh one (by database: "sqlite" →
	// URL). It is used as is, and not removed.
	Existing map[string]string
	// Run, if set, keeps only the cold-request cases whose name it
	// matches (e.g. "development.*90 days").
	Run *regexp.Regexp
	// SkipDerive leaves out the derive rows (the full derive run again,
	// the incremental one), to measure queries alone.
	SkipDerive bool
	// Probe, if above zero, is how many requests the closed-loop probe
	// sends after the load (probe.go).
	Probe int
	Log   *slog.Logger
}

// Row is one line of the table.
type Row struct {
	Database, What string
	P50, P95       time.Duration // P95 is zero for a single figure
	Floor          time.Duration // median of the bare COUNT(*) over the same rows, if any
	Note           string
	Errors         int // failed requests (load rows), "database is locked" included
	Locked         int // answers or log lines that said "database is locked"
	Written        int // PRs the writer wrote during a load run
	Misses         int // result cache misses during a load run (-1: unknown)
}

// Report is what Run measured.
type Report struct {
	Rows []Row
}

// loadEndDays is LoadEndDays, 60 when unset.
func (c Config) loadEndDays() int {
	if c.LoadEndDays > 0 {
		return c.LoadEndDays
	}
	return 60
}

// Run measures every database in cfg.Databases.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rep := &Report{}
	for _, db := range cfg.Databases {
		if err := runOne(ctx, cfg, db, rep); err != nil {
			return rep, fmt.Errorf("bench: %s: %w", db, err)
		}
	}
	return rep, nil
}

func runOne(ctx context.Context, cfg Config, db string, rep *Report) error {
	add := func(r Row) {
		r.Database = db
		rep.Rows = append(rep.Rows, r)
		cfg.Log.Info("measured", "database", db, "what", r.What, "p50", r.P50, "p95", r.P95, "floor", r.Floor, "note", r.Note)
	}
	dbURL, existing := cfg.Existing[db]
	if !existing {
		u, drop, err := freshDatabase(ctx, cfg, db)
		if err != nil {
			return err
		}
		defer drop()
		dbURL = u
		// 1. The demo load, with its full derive, as a user runs it.
		cfg.Log.Info("loading the demo", "database", db, "prs", cfg.PRs)
		out, usage, wall, err := runCommand(ctx, cfg.Veelocity, []string{"demo", "--prs", strconv.Itoa(cfg.PRs), "--teams", strconv.Itoa(BenchTeams), "--database", dbURL}, nil)
		if err != nil {
			return fmt.Errorf("demo: %w\n%s", err, out)
		}
		deriveTime, ok := derivedIn(out)
		if !ok {
			return fmt.Errorf("demo: no derive time in its output:\n%s", out)
		}
		add(Row{What: fmt.Sprintf("demo --prs %d: load and derive (wall)", cfg.PRs), P50: wall,
			Note: fmt.Sprintf("CPU %s", cpu(usage).Round(time.Second))})
		add(Row{What: "full derive of the demo (wall)", P50: deriveTime})
		add(Row{What: "demo: peak RSS", Note: mib(usage)})
	}

	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.Close()

	// A full derive again, in this process, for its CPU time as well as
	// its wall time (the machine may be shared).
	if !cfg.SkipDerive {
		d, err := newDeriver(st, dbURL)
		if err != nil {
			return err
		}
		before, start := selfCPU(), time.Now()
		if _, err := d.Run(ctx, derive.Full); err != nil {
			return err
		}
		add(Row{What: "full derive, run again (wall)", P50: time.Since(start), Note: fmt.Sprintf("CPU %s", (selfCPU() - before).Round(100*time.Millisecond))})
	}

	// 2. Cold requests, one at a time, against serve.
	srv, err := startServe(ctx, cfg, dbURL)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	end := time.Now().UTC()
	for _, c := range cases() {
		if cfg.Run != nil && !cfg.Run.MatchString(c.name()) {
			continue
		}
		var times, floors []time.Duration
		for k := range cfg.Samples {
			to := end.AddDate(0, 0, -k)
			from := to.AddDate(0, 0, -(c.days - 1))
			u := c.url(srv.base, from, to)
			// A new data version, as a sync's derive sets it, so that the
			// answer cannot come from the result cache: pages share the
			// API's cache, and an earlier case may have asked the same.
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.BumpDataVersion(ctx) }); err != nil {
				return err
			}
			d, status, body, err := get(ctx, u)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("GET %s: %d %s", u, status, firstLine(body))
			}
			times = append(times, d)
			fd, err := st.BenchFloor(ctx, c.floor(from, to))
			if err != nil {
				return err
			}
			floors = append(floors, fd)
		}
		add(Row{What: c.name(), P50: percentile(times, 50), P95: percentile(times, 95), Floor: percentile(floors, 50)})
	}

	// 3. Load: the mix at LoadRate, then again while a writer syncs.
	for _, withWrites := range []bool{false, true} {
		if cfg.LoadDuration <= 0 {
			break
		}
		res, err := load(ctx, cfg, srv.base, end, st, dbURL, withWrites)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("load %d req/s for %s, ends over %d days", cfg.LoadRate, cfg.LoadDuration, cfg.loadEndDays())
		if withWrites {
			what += ", with a writer"
		}
		errs := fmt.Sprintf("%d errors", res.errors)
		if res.unsent > 0 {
			errs += fmt.Sprintf(" (%d never sent: %d requests were open)", res.unsent, maxInFlight)
		}
		note := fmt.Sprintf("%d requests, %s, %d \"database is locked\", max %s, result cache %d misses / %d lookups",
			res.requests, errs, res.locked, res.max.Round(time.Millisecond), res.misses, res.hits+res.misses)
		if withWrites {
			note += fmt.Sprintf(", %d PRs written in %d derives", res.written, res.derives)
		}
		add(Row{What: what + " (p50, p99)", P50: res.p50, P95: res.p99, Note: note, Errors: res.errors, Locked: res.locked,
			Written: res.written, Misses: res.misses})
	}
	stopped = true
	usage, err := srv.stop()
	if err != nil {
		return err
	}
	add(Row{What: "serve: peak RSS over the queries and the load", Note: mib(usage)})
	locked := strings.Count(srv.out.String(), "database is locked")
	add(Row{What: `serve's log: "database is locked"`, Note: strconv.Itoa(locked), Locked: locked})

	// The probe, on a serve of its own: its result cache starts empty.
	if cfg.Probe > 0 {
		psrv, err := startServe(ctx, cfg, dbURL)
		if err != nil {
			return err
		}
		res, err := probe(ctx, cfg, psrv.base, end, cfg.Probe)
		psrv.stop()
		if err != nil {
			return fmt.Errorf("the probe: %w", err)
		}
		add(res.row())
	}

	// 4. An incremental derive after 1,000 changed PRs, written through the
	// store as a sync writes them.
	if cfg.SkipDerive {
		return nil
	}
	before := selfCPU()
	n, took, err := incremental(ctx, st, dbURL, 1000)
	if err != nil {
		return err
	}
	add(Row{What: fmt.Sprintf("incremental derive after %d changed PRs", n), P50: took,
		Note: fmt.Sprintf("CPU %s, the writes included", (selfCPU() - before).Round(10*time.Millisecond))})
	return nil
}

// freshDatabase creates an empty database and returns its URL and a
// function that removes it.
func freshDatabase(ctx context.Context, cfg Config, db string) (string, func(), error) {
	switch db {
	case "sqlite":
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return "", nil, err
		}
		path := filepath.Join(cfg.Dir, fmt.Sprintf("bench-%d.db", os.Getpid()))
		rm := func() {
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(path + s)
			}
		}
		rm()
		return "sqlite:" + path, rm, nil
	case "postgres":
		admin, err := sql.Open("pgx", cfg.PostgresURL)
		if err != nil {
			return "", nil, err
		}
		name := fmt.Sprintf("veelocity_bench_%d", os.Getpid())
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("dropping %s: %w", name, err)
		}
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("creating %s (set --postgres): %w", name, err)
		}
		u, err := url.Parse(cfg.PostgresURL)
		if err != nil {
			admin.Close()
			return "", nil, err
		}
		u.Path = "/" + name
		return u.String(), func() {
			admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			admin.Close()
		}, nil
	}
	return "", nil, fmt.Errorf("unknown database %q (want sqlite or postgres)", db)
}

// runCommand runs the veelocity binary to completion and returns its
// output, resource usage and wall time.
func runCommand(ctx context.Context, bin string, args, env []string) (string, *syscall.Rusage, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var usage *syscall.Rusage
	if cmd.ProcessState != nil {
		usage, _ = cmd.ProcessState.SysUsage().(*syscall.Rusage)
	}
	return out.String(), usage, wall, err
}

// cleanEnv is the environment without Veelocity's own variables, so a
// developer's .env or shell settings do not change what is measured.
func cleanEnv() []string {
	names := map[string]bool{}
	for _, o := range config.Options {
		names[o.Name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !names[k] {
			env = append(env, kv)
		}
	}
	return env
}

var derivedRE = regexp.MustCompile(`facts derived in (\S+)`)

func derivedIn(out string) (time.Duration, bool) {
	m := derivedRE.FindStringSubmatch(out)
	if m == nil {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSuffix(m[1], "."))
	return d, err == nil
}

// selfCPU is this process's user plus system time so far.
func selfCPU() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return cpu(&u)
}

// cpu is the user plus system time of a finished process.
func cpu(u *syscall.Rusage) time.Duration {
	if u == nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// mib formats a process's peak resident set size (ru_maxrss, in KiB on
// Linux).
func mib(u *syscall.Rusage) string {
	if u == nil {
		return "unknown"
	}
	return fmt.Sprintf("%d MiB", u.Maxrss/1024)
}

// server is a running `veelocity serve`.
type server struct {
	cmd  *exec.Cmd
	base string
	out  *strings.Builder
}

func startServe(ctx context.Context, cfg Config, dbURL string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(cfg.Veelocity, "serve")
	cmd.Env = append(cleanEnv(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "SYNC_INTERVAL=0", "SYNC_ON_STARTUP=false")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, out: out}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.base + "/openapi.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("serve did not answer on %s:\n%s", addr, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop interrupts serve, waits for it and returns its resource usage.
func (s *server) stop() (*syscall.Rusage, error) {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	u, _ := s.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return u, nil
}

// get times one request, reading the whole body.
func get(ctx context.Context, u string) (time.Duration, int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, "", err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return time.Since(start), resp.StatusCode, string(body), err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(0, min(len(s), i)-1)]
}

// incremental changes n PRs through the store, as a sync would (a new
// title, the rest as stored), then times an incremental derive.
func incremental(ctx context.Context, st *store.Store, dbURL string, n int) (int, time.Duration, error) {
	prs, err := recentPRs(ctx, st, n)
	if err != nil {
		return 0, 0, err
	}
	if err := writePRs(ctx, st, prs, "(edited)"); err != nil {
		return 0, 0, err
	}
	d, err := newDeriver(st, dbURL)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if _, err := d.Run(ctx, derive.Incremental); err != nil {
		return 0, 0, err
	}
	return len(prs), time.Since(start), nil
}

// newDeriver is the derive step with the default settings, as demo and
// serve run it.
func newDeriver(st *store.Store, dbURL string) (*derive.Deriver, error) {
	cfg, err := config.Parse(func(name string) (string, bool) {
		if name == "DATABASE_URL" {
			return dbURL, true
		}
		return "", false
	})
	if err != nil {
		return nil, err
	}
	return derive.New(st, derive.OptionsFrom(cfg), nil), nil
}

// recentPRs reads the n newest PRs, spread over the repositories.
func recentPRs(ctx context.Context, st *store.Store, n int) ([]model.PullRequest, error) {
	repos, _, err := st.RepoSummaries(ctx, store.Page{Page: 1, Limit: 100})
	if err != nil {
		return nil, err
	}
	if len(repos) == 0 {
		return nil, errors.New("no repositories")
	}
	per := (n + len(repos) - 1) / len(repos)
	var prs []model.PullRequest
	for _, r := range repos {
		list, _, err := st.PullRequestList(ctx, store.PRFilter{RepoID: r.ID}, store.Page{Page: 1, Limit: per})
		if err != nil {
			return nil, err
		}
		prs = append(prs, list...)
	}
	if len(prs) > n {
		prs = prs[:n]
	}
	return prs, nil
}

// writePRs upserts the PRs with a changed title, 100 a transaction, as a
// sync writes a page.
func writePRs(ctx context.Context, st *store.Store, prs []model.PullRequest, suffix string) error {
	for len(prs) > 0 {
		k := min(100, len(prs))
		err := st.Tx(ctx, func(tx *store.Tx) error {
			for i := range prs[:k] {
				pr := prs[i]
				pr.Title = strings.TrimSuffix(pr.Title, " "+suffix) + " " + suffix
				if _, err := tx.UpsertPullRequest(ctx, pr.RepoID, &pr); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		prs = prs[k:]
	}
	return nil
}
