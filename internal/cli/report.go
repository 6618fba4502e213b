package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/report"
)

// reportFlags are report's own flags.
type reportFlags struct {
	start, end, repo, author, team, format string
}

func reportCmd() *command {
	rf := &reportFlags{}
	return &command{
		name:    "report",
		summary: "print the DORA and development metrics for a range (table, Markdown or JSON)",
		usage:   " [--start-date YYYY-MM-DD] [--end-date YYYY-MM-DD] [--repo owner/name] [--team slug] [--author login] [--format table|markdown|json]",
		help: `Prints the headline DORA metrics (deployment frequency, lead time, change
failure rate, time to restore, rework rate) and development metrics (review
time, merge time, cycle time, throughput) for a range, with tiers and the trend
against the previous range of equal length. The range defaults to the 30 days
ending today (UTC). --format table is for terminals, markdown for pasting into
a pull request or chat, json is the API's answers:
{"dora": GET /api/v1/metrics/dora, "development": GET /api/v1/metrics/development},
both with include_trend=true. It reads the database; run "veelocity sync" (or
"veelocity demo") first.`,
		vars: []string{"DATABASE_URL", "LINEAR_API_KEY"},
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&rf.start, "start-date", "", "first day, inclusive (default: end date − 29 days)")
			fs.StringVar(&rf.end, "end-date", "", "last day, inclusive (default: today, UTC)")
			fs.StringVar(&rf.repo, "repo", "", "only this repository (owner/name)")
			fs.StringVar(&rf.author, "author", "", "only PRs by this GitHub login (PR-based metrics)")
			fs.StringVar(&rf.team, "team", "", "only this team (its members' PRs, its repositories' deployments)")
			fs.StringVar(&rf.format, "format", "table", "table, markdown or json")
			databaseFlag(fs, o)
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return runReport(ctx, e, o, rf, args)
		},
	}
}

// reportFlagNames maps the metric parameters to report's flags, for error
// messages.
var reportFlagNames = map[string]string{"start_date": "--start-date", "end_date": "--end-date", "repo": "--repo"}

func runReport(ctx context.Context, e *env, o *options, rf *reportFlags, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if !slices.Contains(report.Formats, rf.format) {
		return usageError{fmt.Errorf("invalid --format %q: want %s", rf.format, strings.Join(report.Formats, ", "))}
	}
	cfg, err := loadConfig(e, o)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(e.stderr, cfg.Debug))
	if err != nil {
		return err
	}
	defer st.Close()
	v := url.Values{"include_trend": {"true"}}
	for k, val := range map[string]string{"start_date": rf.start, "end_date": rf.end, "repo": rf.repo, "author": rf.author, "team": rf.team} {
		if val != "" {
			v.Set(k, val)
		}
	}
	q, err := metrics.ParseQuery(ctx, st, v, st.Now())
	var pe *metrics.ParamError
	switch {
	case errors.As(err, &pe):
		name := reportFlagNames[pe.Param]
		if name == "" {
			name = pe.Param
		}
		return usageError{fmt.Errorf("invalid %s: %s", name, pe.Msg)}
	case errors.Is(err, metrics.ErrUnknownRepo):
		return usageError{fmt.Errorf("invalid --repo: no repository %q in the database (is it in GITHUB_REPOS, and synced?)", rf.repo)}
	case errors.Is(err, metrics.ErrUnknownTeam):
		return usageError{fmt.Errorf("invalid --team: no team %q (define it on the Settings page or with POST /api/v1/teams, or set GITHUB_TEAMS)", rf.team)}
	case err != nil:
		return err
	}
	svc := metrics.New(st, cfg.LinearAPIKey != "")
	r := &report.Report{StartDate: q.StartDate(), EndDate: q.EndDate(), Days: q.Days(), Scope: "all repositories"}
	if rf.repo != "" {
		r.Scope = rf.repo
	}
	if rf.team != "" {
		r.Scope += ", team " + q.Team.Slug
	}
	if rf.author != "" {
		r.Scope += ", PRs by " + rf.author
	}
	if r.DORA, err = svc.DORA(ctx, q); err != nil {
		return err
	}
	if r.Development, err = svc.Development(ctx, q); err != nil {
		return err
	}
	if err := r.Write(e.stdout, rf.format); err != nil {
		return err
	}
	if rf.format != "json" && r.DORA.DeploymentFrequency.Total == 0 && r.Development.Throughput.Total == 0 {
		fmt.Fprintln(e.stderr, `No deployments or merged PRs in this range. Run "veelocity sync" (with GITHUB_TOKEN and GITHUB_REPOS set), or "veelocity demo" for sample data.`)
	}
	return nil
}
