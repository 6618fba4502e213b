// Package derive turns synced source records into the facts the metrics read:
// deployments from workflow runs, incidents from labelled issues, and per-PR
// facts (first commit, first review, linked deployment, rework, Linear links),
// plus per-deployment flags (failed, rework) and per-issue cycle ends.
//
// It is incremental. Every write of a source record sets its row's dirty
// flag; each step here processes the dirty rows of one table and clears their
// flags in the same transaction as its writes. A change that affects rows of
// another table (a new deployment changes the links of the PRs merged just
// before it) marks those rows dirty in that same transaction, so a derive
// that is interrupted resumes where it stopped, and an incremental run gives
// the same result as a full one (Full marks everything dirty, then runs the
// same steps).
package derive

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
)

// Options are the settings the derived facts depend on.
type Options struct {
	DeploymentPatterns []string      // lower case
	IncidentLabels     []string      // lower case
	IncidentWindow     time.Duration // incidents are attributed to deployments this recent
	// DeploymentSource is auto, actions or github ("" is auto).
	DeploymentSource string
	// ProductionEnvironments are the environments that count (lower
	// case; empty means the default, production, prod and live).
	ProductionEnvironments []string
}

// OptionsFrom takes the derive settings from the configuration.
func OptionsFrom(cfg *config.Config) Options {
	return Options{
		DeploymentPatterns:     cfg.DeploymentPatterns,
		IncidentLabels:         cfg.IncidentLabels,
		IncidentWindow:         cfg.IncidentWindow,
		DeploymentSource:       cfg.DeploymentSource,
		ProductionEnvironments: cfg.ProductionEnvironments,
	}
}

// fingerprint identifies the settings, to notice when they change.
func (o Options) fingerprint() string {
	return fmt.Sprintf("patterns=%s;labels=%s;window=%d",
		strings.Join(o.DeploymentPatterns, ","), strings.Join(o.IncidentLabels, ","), o.IncidentWindow.Milliseconds())
}

// Mode selects an incremental or a full derive.
type Mode int

const (
	// Incremental processes only what changed since the last run.
	Incremental Mode = iota
	// Full recomputes every fact from the source records.
	Full
)

// Stats counts what a run did.
type Stats struct {
	Workflows   int // workflows whose classification changed
	Runs        int // workflow runs converted
	Deployments int // deployments whose effects were propagated
	Incidents   int // incidents (re)attributed
	PRs         int // PR facts recomputed
	Issues      int // Linear issues relinked
}

func (s Stats) String() string {
	return fmt.Sprintf("workflows=%d runs=%d deployments=%d incidents=%d prs=%d issues=%d",
		s.Workflows, s.Runs, s.Deployments, s.Incidents, s.PRs, s.Issues)
}

// Deriver runs the derive step over one store. Runs are serialised.
type Deriver struct {
	st   *store.Store
	opts Options
	log  *slog.Logger
	mu   sync.Mutex
	mode Mode // of the run in progress
	// scan is the PR rollup of a full run in progress, being computed
	// beside it (startRollupScan).
	scan *snapshotRead[*rollup.Built]
	// issueScan is the issue rollup of a full run in progress, computed
	// beside the steps after the Linear step (startIssueRollupScan).
	issueScan *snapshotRead[*rollup.BuiltIssues]
	// incidents holds, in a full run, the external ids of a source's
	// incidents as the run found them (incidentsToCheck).
	incidents struct {
		sync.Mutex
		of map[string]map[string]bool
	}
}

// New returns a Deriver.
func New(st *store.Store, opts Options, log *slog.Logger) *Deriver {
	if log == nil {
		log = slog.Default()
	}
	return &Deriver{st: st, opts: opts, log: log}
}

// batchSize is how many rows one transaction processes (a variable for
// the tests, which make batches small).
var batchSize = 1000

// Run brings the derived facts up to date.
func (d *Deriver) Run(ctx context.Context, mode Mode) (Stats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := d.lockRun(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("derive: %w", err)
	}
	defer unlock()
	start := time.Now()
	if mode != Full {
		due, err := d.fullDue(ctx)
		if err != nil {
			return Stats{}, fmt.Errorf("derive: %w", err)
		}
		if due {
			mode = Full
		}
	}
	d.mode = mode
	d.incidents.of = nil
	if mode != Full {
		return d.run(ctx, mode, start)
	}
	// A full run rewrites most pages: with fewer WAL checkpoints on SQLite.
	var st Stats
	err = d.st.BulkDerive(ctx, func() error {
		var err error
		st, err = d.run(ctx, mode, start)
		return err
	})
	return st, err
}

// run is Run once the run's mode is settled.
func (d *Deriver) run(ctx context.Context, mode Mode, start time.Time) (Stats, error) {
	var st Stats
	if err := d.prepare(ctx, mode); err != nil {
		return st, err
	}
	if mode == Full {
		// A first derive fills pr_facts from nothing: without its dozen
		// indexes, which the PR step builds at its end.
		if err := d.tx(ctx, func(tx *store.Tx) error {
			deferred, err := tx.DeferIndexes(ctx, "pr_facts")
			if deferred {
				d.log.Debug("derive: pr_facts is empty; its indexes are built after the PR step")
			}
			if err != nil {
				return err
			}
			// And, on PostgreSQL, the tables the PR and Linear steps
			// fill without their foreign keys, checked once at the end
			// of the Linear step instead of row by row.
			if deferred, err = tx.DeferForeignKeys(ctx, deferredFKTables...); deferred {
				d.log.Debug("derive: the derived tables are empty; their foreign keys are checked after the Linear step")
			}
			return err
		}); err != nil {
			return st, fmt.Errorf("derive: %w", err)
		}
	}
	steps := []struct {
		name string
		fn   func(context.Context, *Stats) error
	}{
		{"classify workflows", d.classifyWorkflows},
		{"deployment sources", d.deploymentSources},
		{"convert workflow runs", d.convertRuns},
		{"convert GitHub deployments", d.convertGitHubDeployments},
		{"production deployments", d.productionDeployments},
		{"convert GitHub issues", d.convertGitHubIssues},
		{"propagate deployments", d.propagateDeployments},
		{prStep, d.prFacts},
		{linearStep, d.linearIssues},
		{"attribute incidents", d.attributeIncidents},
	}
	if mode == Full {
		steps = append(steps, struct {
			name string
			fn   func(context.Context, *Stats) error
		}{"deployment flags", d.allDeploymentFlags})
	}
	// A full run rebuilds the whole PR rollup from pr_facts, which nothing
	// writes once the PR step has written its batches: it is computed on a
	// second connection from then on (prFactsDone), while the run goes
	// on, and stored at the end.
	defer func() {
		d.scan.stop()
		d.issueScan.stop()
		d.scan, d.issueScan = nil, nil
	}()
	// A full run on PostgreSQL analyses the tables the PR and Linear steps
	// read on a connection of its own, beside the steps before them, which
	// keep one core busy (3 to 4 s after a 1M-PR demo's load).
	var analyzing chan error
	if mode == Full && d.st.Dialect() == store.Postgres {
		analyzing = make(chan error, 1)
		go func() { analyzing <- d.st.Analyze(ctx, analyzedLater...) }()
	}
	// A full run on PostgreSQL vacuums the tables the steps after the
	// Linear step leave alone while those steps run (they keep one
	// connection busy, VACUUM another), and the rest at the end.
	var early chan error
	wait := func() error {
		if early == nil {
			return nil
		}
		err := <-early
		early = nil
		return err
	}
	defer wait()
	for _, s := range steps {
		if s.name == prStep && analyzing != nil {
			if err := <-analyzing; err != nil {
				return st, fmt.Errorf("derive: %w", err)
			}
			analyzing = nil
		}
		began := time.Now()
		if err := s.fn(ctx, &st); err != nil {
			return st, fmt.Errorf("derive: %s: %w", s.name, err)
		}
		d.log.Debug("derive step", "step", s.name, "duration", time.Since(began))
		if s.name == linearStep && mode == Full {
			d.issueScan = d.startIssueRollupScan(ctx)
		}
		if s.name == linearStep && d.inParallel() {
			early = make(chan error, 1)
			go func() { early <- d.st.Optimize(ctx, vacuumedEarly...) }()
		}
	}
	began := time.Now()
	if err := d.updateRollup(ctx, d.scan); err != nil {
		return st, fmt.Errorf("derive: PR rollup: %w", err)
	}
	d.log.Debug("derive step", "step", "PR rollup", "duration", time.Since(began))
	if mode == Full || st != (Stats{}) {
		if err := d.tx(ctx, func(tx *store.Tx) error {
			if mode == Full {
				if _, err := tx.Exec(ctx, `/* derive.fullDone */ DELETE FROM app_state WHERE key = $1`, store.FullDeriveKey); err != nil {
					return err
				}
			}
			return tx.BumpDataVersion(ctx)
		}); err != nil {
			return st, fmt.Errorf("derive: %w", err)
		}
	}
	if mode == Full || st != (Stats{}) {
		tables := d.analyzeTables(mode, st)
		if early != nil {
			if err := wait(); err != nil {
				return st, fmt.Errorf("derive: %w", err)
			}
			tables = slices.DeleteFunc(tables, func(t string) bool { return slices.Contains(vacuumedEarly, t) })
		}
		if err := d.st.Optimize(ctx, tables...); err != nil {
			return st, fmt.Errorf("derive: %w", err)
		}
	}
	d.log.Debug("derive done", "mode", mode, "stats", st.String(), "duration", time.Since(start))
	return st, nil
}

// analyzedLater are the tables a full run on PostgreSQL analyses beside the
// steps before the PR step, which read none of them (propagating
// deployments reads pr_facts, which a first run has not filled yet).
var analyzedLater = []string{"pull_requests", "commits", "pr_reviews", "linear_issues", "linear_attachments", "pr_facts"}

// vacuumedEarly are the tables of analyzeTables that no step after the
// Linear step writes (incidents and deployments are written after it).
var vacuumedEarly = []string{"pull_requests", "linear_issues", "pr_facts", "linear_attachments", "linear_issue_prs", "linear_issue_cycles",
	"pr_mentions", "workflow_runs"}

// bigChange is how many recomputed rows make a run worth a fresh ANALYZE of
// what it rewrote on PostgreSQL, where autovacuum lags behind bulk writes.
const bigChange = 10_000

// analyzeTables returns the tables whose PostgreSQL statistics a run made
// stale: all it rewrote after a full run or a big incremental one, none
// otherwise. (SQLite decides for itself, through PRAGMA optimize.)
func (d *Deriver) analyzeTables(mode Mode, st Stats) []string {
	if mode != Full && st.Runs+st.PRs+st.Issues+st.Incidents+st.Deployments < bigChange {
		return nil
	}
	// The largest first: Optimize vacuums two at a time on PostgreSQL.
	// The PR rollup's tables too, rebuilt at the run's end: the PR table
	// counts from their indexes, which are read alone only once a vacuum
	// has marked the rewritten pages all-visible (the count of the PRs
	// opened in 90 days: 507 pages of wide rollup rows and 14 ms before,
	// 17 index pages and 0.8 ms after).
	return append([]string{"pull_requests", "linear_issues", "pr_facts", "linear_attachments", "linear_issue_prs", "linear_issue_cycles",
		"pr_mentions", "workflow_runs", "deployments", "incidents"}, rollup.Tables...)
}

// allDeploymentFlags recomputes every deployment's failed and rework flags,
// which a full run guarantees even if they were somehow out of step (the
// PR step of a full run leaves them to this step).
func (d *Deriver) allDeploymentFlags(ctx context.Context, _ *Stats) error {
	return d.tx(ctx, func(tx *store.Tx) error {
		// Each set read once (an uncorrelated IN), not a lookup per
		// deployment: 0.11 s instead of 0.89 s for the 29,000 deployments
		// of a 1M-PR demo on PostgreSQL. Only the rows that change are
		// written.
		const failed = `id IN (SELECT deployment_id FROM incidents WHERE deployment_id IS NOT NULL)`
		const rework = `id IN (SELECT deployment_id FROM pr_facts WHERE is_rework AND deployment_id IS NOT NULL)`
		_, err := tx.Exec(ctx, `/* derive.allDeploymentFlags */ UPDATE deployments SET failed = `+failed+`, is_rework = `+rework+`
			WHERE failed <> (`+failed+`) OR is_rework <> (`+rework+`)`)
		return err
	})
}

// prepare marks rows dirty when the settings or the set of Linear teams
// changed since the last run, or everything for a full run.
func (d *Deriver) prepare(ctx context.Context, mode Mode) error {
	return d.tx(ctx, func(tx *store.Tx) error {
		// Indexes and foreign keys an interrupted run deferred (Run)
		// come back first.
		if err := tx.RestoreIndexes(ctx); err != nil {
			return err
		}
		if err := tx.RestoreForeignKeys(ctx); err != nil {
			return err
		}
		prev, _, err := tx.AppState(ctx, "derive.options")
		if err != nil {
			return err
		}
		keys, err := teamKeys(ctx, tx)
		if err != nil {
			return err
		}
		prevKeys, _, err := tx.AppState(ctx, "derive.team_keys")
		if err != nil {
			return err
		}
		var marks []string
		if mode != Full { // a full run reads every row, dirty or not (pick)
			if prev != "" && prev != d.opts.fingerprint() {
				// Workflows are reclassified on every run; labels and the
				// window need their rows looked at again.
				marks = append(marks, `UPDATE github_issues SET dirty = TRUE WHERE NOT dirty`, `UPDATE linear_issues SET dirty = TRUE WHERE NOT dirty`,
					`UPDATE incidents SET dirty = TRUE WHERE NOT dirty`)
			}
			if envs, ok, err := tx.AppState(ctx, "derive.production"); err != nil {
				return err
			} else if ok && envs != strings.Join(d.opts.production(), ",") {
				// Which deployments are production changes every link,
				// first deployment and attribution: look at all again.
				marks = append(marks, `UPDATE deployments SET dirty = TRUE`, `UPDATE pull_requests SET dirty = TRUE`,
					`UPDATE incidents SET dirty = TRUE`)
			}
			if strings.Join(keys, ",") != prevKeys {
				// A new team key can turn text already synced into links.
				marks = append(marks, `UPDATE pull_requests SET dirty = TRUE WHERE NOT dirty`)
			}
		}
		if mode == Full && tx.Dialect() == store.Postgres {
			// A full run follows bulk loads (the demo) as often as not:
			// give the planner fresh statistics first, of the tables the
			// steps before the PR step read; the rest are analysed beside
			// those steps (run, analyzedLater).
			// (Named tables: a bare ANALYZE would visit every schema.)
			marks = append([]string{`ANALYZE workflow_runs, deployments, incidents, github_issues`}, marks...)
		}
		for _, q := range marks {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		if mode == Full {
			// Until this run completes, the next one is full too.
			if err := tx.SetAppState(ctx, store.FullDeriveKey, "due"); err != nil {
				return err
			}
		}
		if err := tx.SetAppState(ctx, "derive.options", d.opts.fingerprint()); err != nil {
			return err
		}
		if err := tx.SetAppState(ctx, "derive.production", strings.Join(d.opts.production(), ",")); err != nil {
			return err
		}
		return tx.SetAppState(ctx, "derive.team_keys", strings.Join(keys, ","))
	})
}

// fullDue reports whether a full run is due: one started and did not
// complete, or records were loaded in bulk without their dirty flags
// (store.FullDeriveKey).
func (d *Deriver) fullDue(ctx context.Context) (bool, error) {
	var due bool
	err := d.tx(ctx, func(tx *store.Tx) error {
		var err error
		_, due, err = tx.AppState(ctx, store.FullDeriveKey)
		return err
	})
	return due, err
}

// pick returns the condition that selects the next batch of a step's rows
// of a table (alias a), ordered by id, and args with its argument (the
// statement's parameter n) appended: the dirty rows in an incremental run;
// in a full run every row after the batch before (after id last), dirty or
// not, so that a full run needs no flag set on every row first, nor a
// write to clear it.
func (d *Deriver) pick(a string, last int64, n int, args ...any) (string, []any) {
	if d.mode == Full {
		return a + ".id > $" + strconv.Itoa(n), append(args, last)
	}
	return a + ".dirty", args
}

// clearDirty clears the dirty flags of a batch's rows of table, their ids
// in increasing order, in the transaction that derived them. A full run
// clears the flags of its batch's range of ids, where most rows have none.
func (d *Deriver) clearDirty(ctx context.Context, tx *store.Tx, table string, ids []any) error {
	if len(ids) == 0 {
		return nil
	}
	if d.mode == Full {
		_, err := tx.Exec(ctx, `/* derive.clearDirty */ UPDATE `+table+` SET dirty = FALSE WHERE dirty AND id >= $1 AND id <= $2`,
			ids[0], ids[len(ids)-1])
		return err
	}
	return execIn(ctx, tx, `UPDATE `+table+` SET dirty = FALSE WHERE dirty AND id IN (%s)`, ids)
}

// tx runs fn in a write transaction; on PostgreSQL it turns JIT
// compilation off and commits asynchronously. (Two processes deriving the
// same data take turns on the run's lock, lockRun.)
func (d *Deriver) tx(ctx context.Context, fn func(tx *store.Tx) error) error {
	return d.st.Tx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			// And without JIT compilation: the derive's statements are
			// small, but over a table whose statistics lag behind a bulk
			// write their estimated cost passes jit_above_cost, and each
			// then spent longer compiling than running (most of a 1M-PR
			// demo's derive, in the Linear step).
			// Nor does the commit wait for its WAL to reach the disk (a
			// full derive commits thousands of batches): a crash can only
			// lose the last few whole transactions, each of which clears
			// the dirty flags of the rows it derived, so the next run
			// derives them again.
			if _, err := tx.Exec(ctx, `SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true)`); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// teamKeys returns the synced Linear team keys, upper case, sorted.
func teamKeys(ctx context.Context, tx *store.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `/* derive.teamKeys */ SELECT DISTINCT upper(key) FROM linear_teams ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}
