package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/demo"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/store"
)

func demoCmd() *command {
	prs, seed, teams := demo.DefaultPRs, uint64(1), 0
	return &command{
		name:    "demo",
		summary: "fill the database with a year of realistic demo data",
		usage:   " [--prs N] [--seed S] [--teams N] [--database URL]",
		help: `Fills the database with a realistic, deterministic synthetic dataset covering
the last 12 months: five repositories of an "acme" organisation with pull
requests, reviews, comments, commits, CI and deployment runs and incidents,
three Linear teams with their issues, and four GitHub teams (acme/frontend,
acme/backend, acme/mobile, acme/platform). acme/web deploys through GitHub
deployments, to staging and then production. A new user sees a full dashboard
without any token; a large --prs makes it a benchmark dataset.

The same --seed on the same day gives the same data. Running it again
replaces earlier demo data; a database that holds synced data is refused,
so demo data is never mixed into real data.`,
		vars: []string{"DATABASE_URL", "DEBUG", "DEPLOYMENT_PATTERNS", "INCIDENT_LABELS", "INCIDENT_WINDOW"},
		flags: func(fs *flag.FlagSet, o *options) {
			fs.Func("prs", fmt.Sprintf("the number of pull requests, `N` from 1 to %d (default %d)", demo.MaxPRs, demo.DefaultPRs), func(s string) error {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > demo.MaxPRs {
					return fmt.Errorf("want a whole number from 1 to %d", demo.MaxPRs)
				}
				prs = n
				return nil
			})
			fs.Func("seed", "the random seed `S`, a whole number ≥ 0 (default 1)", func(s string) error {
				n, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					return errors.New("want a whole number ≥ 0")
				}
				seed = n
				return nil
			})
			fs.Func("teams", "add `N` benchmark teams of 10 to 40 members to the demo's four (default 0)", func(s string) error {
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 || n > 1000 {
					return errors.New("want a whole number from 0 to 1000")
				}
				teams = n
				return nil
			})
			databaseFlag(fs, o)
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			return runDemo(ctx, e, o, demo.Options{PRs: prs, Seed: seed, BenchTeams: teams, Now: time.Now})
		},
	}
}

func runDemo(ctx context.Context, e *env, o *options, do demo.Options) error {
	prs, seed, now := do.PRs, do.Seed, do.Now
	cfg, err := loadConfig(e, o)
	if err != nil {
		return err
	}
	log := e.log
	if log == nil {
		log = newLogger(e.stderr, cfg.Debug)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

	p := newProgressPrinter(e.stderr, prs)
	deriveFacts := deriveHook(st, cfg, log)
	res, err := demo.Load(ctx, st, demo.Options{
		PRs: prs, Seed: seed, BenchTeams: do.BenchTeams, Now: now, Log: log, Progress: p.update,
		Derive: func(ctx context.Context) error {
			p.phase("deriving facts (deployments, links, incidents)…")
			return deriveFacts(ctx)
		},
	})
	p.done()
	if errors.Is(err, demo.ErrRealData) {
		other := demoDatabaseURL
		if cfg.DatabaseURL == demoDatabaseURL {
			other = "sqlite:veelocity-demo-2.db"
		}
		return fmt.Errorf("%w; load the demo into another database, e.g. veelocity demo --database %s", err, other)
	}
	if err != nil {
		return err
	}
	rows := res.Rows()
	verb := "Loaded demo data into"
	if res.Cleared {
		verb = "Replaced the demo data in"
	}
	fmt.Fprintf(e.stdout, "%s the %s database (seed %d, a year ending %s):\n", verb, st.Dialect(), seed, res.Marker.Today)
	fmt.Fprintf(e.stdout, "  %s pull requests with %s reviews, %s comments and %s commits\n",
		group(res.PullRequests), group(res.Reviews), group(res.Comments), group(res.Commits))
	fmt.Fprintf(e.stdout, "  %d repositories, %d workflows, %s workflow runs, %s incident issues\n",
		res.Repositories, res.Workflows, group(res.WorkflowRuns), group(res.Issues))
	fmt.Fprintf(e.stdout, "  %d Linear teams, %s Linear issues, %s attachments\n",
		res.LinearTeams, group(res.LinearIssues), group(res.Attachments))
	fmt.Fprintf(e.stdout, "%s records in %s (%s records/s)", group(rows), res.Load.Round(time.Millisecond),
		group(int(float64(rows)/max(res.Load.Seconds(), 1e-3))))
	if res.Cleared {
		fmt.Fprintf(e.stdout, ", the earlier ones cleared in %s", res.Clear.Round(time.Millisecond))
	}
	if res.Derive > 0 {
		fmt.Fprintf(e.stdout, ", facts derived in %s", res.Derive.Round(time.Millisecond))
	}
	fmt.Fprintln(e.stdout, ".")
	fmt.Fprintln(e.stdout, `Run "veelocity serve" to see the dashboard.`)
	return nil
}

// group formats n with thousands separators.
func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// progressPrinter shows loading progress: a line rewritten in place on a
// terminal, or a line per tenth otherwise. Small datasets print nothing.
type progressPrinter struct {
	w        io.Writer
	tty      bool
	quiet    bool
	last     time.Time
	lastTick int
	printed  bool
}

func newProgressPrinter(w io.Writer, total int) *progressPrinter {
	p := &progressPrinter{w: w, quiet: total < 50_000}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressPrinter) update(pr demo.Progress) {
	if p.quiet {
		return
	}
	pct := pr.PRs * 100 / max(pr.Total, 1)
	rate := int(float64(pr.Rows) / max(pr.Elapsed.Seconds(), 1e-3))
	line := fmt.Sprintf("demo: %s of %s pull requests (%d%%), %s records, %s records/s",
		group(pr.PRs), group(pr.Total), pct, group(pr.Rows), group(rate))
	switch {
	case p.tty:
		if time.Since(p.last) < 200*time.Millisecond && pr.PRs < pr.Total {
			return
		}
		p.last = time.Now()
		fmt.Fprintf(p.w, "\r%s\033[K", line)
		p.printed = true
	case pct/10 > p.lastTick:
		p.lastTick = pct / 10
		fmt.Fprintln(p.w, line)
	}
}

// phase announces a step that reports no progress of its own.
func (p *progressPrinter) phase(what string) {
	if p.quiet {
		return
	}
	if p.printed {
		fmt.Fprintln(p.w)
		p.printed = false
	}
	fmt.Fprintln(p.w, "demo: "+what)
}

func (p *progressPrinter) done() {
	if p.printed {
		fmt.Fprintln(p.w)
	}
}

// deriveHook runs the derive step over the freshly loaded demo data, so the
// metrics have their facts. This is the demo's one integration point with
// package derive.
func deriveHook(st *store.Store, cfg *config.Config, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := derive.New(st, derive.OptionsFrom(cfg), log).Run(ctx, derive.Full)
		return err
	}
}
