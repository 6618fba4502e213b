// Package syncbench measures a first GitHub sync of a generated
// organisation served by the in-repo fake with a latency model: wall time,
// requests and GraphQL points per 1,000 pull requests, pull requests per
// second, peak RSS, retries, at several SYNC_CONCURRENCY values. The sync
// runs as a child process (the real veelocity binary, `sync --source
// github`), so its peak RSS is the sync's own, not the fake's.
package syncbench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
)

// Options describe a benchmark.
type Options struct {
	Owner      string // the generated organisation (default "benchorg")
	Repos      int    // repositories in it
	PRsPerRepo int    // pull requests in each, with commits, reviews and comments
	// Latency is added to every answer, and PerKB for every KB of it.
	Latency, PerKB time.Duration
	// Concurrency lists the SYNC_CONCURRENCY values to run, one fresh
	// database each.
	Concurrency []int
	// Command is the veelocity command: a program and the arguments that
	// come before "sync".
	Command []string
	// Dir holds the databases; it must exist.
	Dir string
	// Log, if set, receives a line as each step starts.
	Log io.Writer
}

// Result is one run.
type Result struct {
	Concurrency int
	Wall        time.Duration // the whole child process: start, migrations, sync, derive
	SourceTime  time.Duration // the github source alone, as its summary says
	PRs         int           // pull requests stored, as the summary says
	Requests    int           // answered by the fake
	Points      int           // GraphQL points, by GitHub's formula
	PeakRSSKiB  int64         // the child's maximum resident set size
	// Retries are the answers that made the client retry (5xx, 429 and
	// rate-limit 403s), counted by the fake.
	Retries int
	// ClientRetries and PageReductions are the GitHub client's own counts,
	// from the sync's summary: the requests it sent again (broken bodies
	// included) and the times it halved a GraphQL page after a timeout.
	ClientRetries, PageReductions int
}

// PerKPR returns n per 1,000 pull requests.
func (r Result) PerKPR(n int) float64 {
	if r.PRs == 0 {
		return 0
	}
	return float64(n) * 1000 / float64(r.PRs)
}

// PRsPerSecond is pull requests stored per second of the github source.
func (r Result) PRsPerSecond() float64 {
	if r.SourceTime <= 0 {
		return 0
	}
	return float64(r.PRs) / r.SourceTime.Seconds()
}

// Run generates the organisation, then syncs it once per concurrency.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if o.Owner == "" {
		o.Owner = "benchorg"
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	fake := githubfake.New(githubfake.Options{RateLimit: 100_000_000})
	defer fake.Close()
	logf("generating %d repositories of %d pull requests", o.Repos, o.PRsPerRepo)
	for i := range o.Repos {
		r := fake.AddRepo(&githubfake.Repo{Owner: o.Owner, Name: fmt.Sprintf("service-%03d", i)})
		fake.Generate(r, githubfake.Bulk{PullRequests: o.PRsPerRepo, MaxCommits: 8, MaxReviews: 4, MaxComments: 6,
			Issues: 10, Seed: uint64(i + 1)})
	}
	fake.SetLatency(o.Latency, o.PerKB)

	var out []Result
	for _, n := range o.Concurrency {
		fake.ResetRequests()
		db := filepath.Join(o.Dir, fmt.Sprintf("bench-c%d.db", n))
		for _, f := range []string{db, db + "-wal", db + "-shm"} {
			os.Remove(f)
		}
		logf("syncing with SYNC_CONCURRENCY=%d", n)
		res, err := runSync(ctx, o, fake, db, n)
		for _, f := range []string{db, db + "-wal", db + "-shm"} {
			os.Remove(f)
		}
		if err != nil {
			return out, fmt.Errorf("SYNC_CONCURRENCY=%d: %w", n, err)
		}
		out = append(out, res)
	}
	return out, nil
}

func runSync(ctx context.Context, o Options, fake *githubfake.Server, db string, n int) (Result, error) {
	res := Result{Concurrency: n}
	cmd := exec.CommandContext(ctx, o.Command[0], append(o.Command[1:], "sync", "--source", "github")...)
	cmd.Dir = o.Dir // no .env is read from elsewhere
	cmd.Env = append(childEnv(),
		"DATABASE_URL=sqlite:"+db,
		"GITHUB_TOKEN="+fake.Token(),
		"GITHUB_REPOS="+o.Owner+"/*",
		"GITHUB_API_URL="+fake.URL(),
		"GITHUB_GRAPHQL_URL="+fake.GraphQLURL(),
		"SYNC_CONCURRENCY="+strconv.Itoa(n),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res.Wall = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("%v\n%s%s", err, lastLines(stderr.String(), 20), stdout.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakRSSKiB = ru.Maxrss // KiB on Linux
	}
	if err := parseSummary(stdout.String(), &res); err != nil {
		return res, err
	}
	for _, r := range fake.Requests() {
		res.Requests++
		res.Points += r.Cost
		if r.Status >= 500 || r.Status == 429 || r.Status == 403 || r.Status == 0 {
			res.Retries++
		}
	}
	return res, nil
}

// childEnv is the environment the child keeps: enough to run, the Go
// runtime's settings (GODEBUG, GOGC, GOMEMLIMIT), and no VEELOCITY or
// GitHub settings of the caller's.
func childEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "SYNCBENCH_CHILD", "GODEBUG", "GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// summaryLine matches the github row of `veelocity sync`'s summary:
//
//	github   success     123456      2345     1m2s  100000 pull_requests, …
var summaryLine = regexp.MustCompile(`^\s*github\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$`)

var prCount = regexp.MustCompile(`(\d+) pull_requests`)

// clientLine matches the GitHub client's line under the summary.
var clientLine = regexp.MustCompile(`github client: \d+ requests, (\d+) retried, (\d+) page-size reductions`)

func parseSummary(out string, res *Result) error {
	if m := clientLine.FindStringSubmatch(out); m != nil {
		res.ClientRetries, _ = strconv.Atoi(m[1])
		res.PageReductions, _ = strconv.Atoi(m[2])
	} else {
		return fmt.Errorf("no github client line in the sync's summary:\n%s", out)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := summaryLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if m[1] != "success" {
			return fmt.Errorf("the github source ended %s:\n%s", m[1], out)
		}
		d, err := time.ParseDuration(m[4])
		if err != nil {
			return fmt.Errorf("reading the summary's time %q: %w", m[4], err)
		}
		res.SourceTime = d
		if p := prCount.FindStringSubmatch(m[5]); p != nil {
			res.PRs, _ = strconv.Atoi(p[1])
		}
		return nil
	}
	return fmt.Errorf("no github line in the sync's summary:\n%s", out)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// WriteTable writes results as a Markdown table, with the speed-up of
// each run over the first.
func WriteTable(w io.Writer, results []Result) {
	fmt.Fprintln(w, "| SYNC_CONCURRENCY | wall (process) | github source | speed-up | PRs | PRs/s | requests / 1,000 PRs | GraphQL points / 1,000 PRs | peak RSS | retries (fake / client) | page-size reductions |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		speedup := "1.00×"
		if len(results) > 0 && r.SourceTime > 0 {
			speedup = fmt.Sprintf("%.2f×", results[0].SourceTime.Seconds()/r.SourceTime.Seconds())
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %d | %.0f | %.1f | %.1f | %.0f MiB | %d / %d | %d |\n",
			r.Concurrency, r.Wall.Round(100*time.Millisecond), r.SourceTime.Round(100*time.Millisecond), speedup, r.PRs,
			r.PRsPerSecond(), r.PerKPR(r.Requests), r.PerKPR(r.Points), float64(r.PeakRSSKiB)/1024, r.Retries, r.ClientRetries, r.PageReductions)
	}
}
