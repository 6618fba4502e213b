// Package demo fills a database with a realistic, deterministic synthetic
// dataset: a year of pull requests, reviews, CI and deployment runs,
// incidents and Linear issues for a small organisation, with trends worth
// charting (one repository improving, one worsening, quiet weekends).
//
// It is the first-run experience, so a new user sees a full dashboard
// without a token, and the benchmark dataset for the metrics: the records
// are generated as a stream and written in batches, one transaction each,
// so a million PRs load in bounded memory. The same seed and the same day
// give the same data.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// DefaultPRs is the default number of pull requests: a dataset that loads
// in a few seconds and fills every chart.
const DefaultPRs = 2000

// MaxPRs is the largest dataset Load accepts.
const MaxPRs = 10_000_000

// DefaultBatchRows is how many records one transaction writes.
const DefaultBatchRows = 10000

// Options configure Load.
type Options struct {
	PRs  int    // number of pull requests, 1 to MaxPRs
	Seed uint64 // the same seed and day give the same data
	// BenchTeams adds that many teams of 10 to 40 members to the demo's
	// four, for benchmarks of team= queries.
	BenchTeams int
	// Now gives the current time; the dataset covers the 365 days before
	// today (UTC). Defaults to time.Now.
	Now func() time.Time
	// BatchRows is how many records one transaction writes; 0 means
	// DefaultBatchRows.
	BatchRows int
	// Progress, if set, is called after every batch is committed.
	Progress func(Progress)
	// Derive, if set, runs the derive step after loading, so the metrics
	// have their facts.
	Derive func(ctx context.Context) error
	Log    *slog.Logger

	write writer // writeBulk unless a test or benchmark says otherwise
}

// Progress reports how far loading has come.
type Progress struct {
	PRs     int // pull requests written
	Total   int // pull requests to write
	Rows    int // records of every kind written
	Elapsed time.Duration
}

// Result summarises a load.
type Result struct {
	Counts
	Marker  Marker
	Cleared bool          // earlier demo data was replaced
	Clear   time.Duration // clearing it
	Load    time.Duration // generating and writing the records
	Derive  time.Duration // the derive step
}

// Load replaces the database's demo data with a new dataset, or fills an
// empty database. It refuses, with ErrRealData, a database holding data
// that did not come from the demo.
func Load(ctx context.Context, st *store.Store, o Options) (Result, error) {
	if o.PRs < 1 || o.PRs > MaxPRs {
		return Result{}, fmt.Errorf("demo: the number of PRs must be between 1 and %d, not %d", MaxPRs, o.PRs)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.write == nil {
		o.write = writeBulk
	}
	began := time.Now()
	today := o.Now().UTC()
	marker := Marker{Seed: o.Seed, PRs: o.PRs, Today: today.Format(time.DateOnly)}
	res := Result{Marker: marker}
	cleared, err := prepare(ctx, st, marker)
	if err != nil {
		return res, err
	}
	res.Cleared = cleared
	if cleared {
		res.Clear = time.Since(began)
		o.Log.Info("cleared the earlier demo data", "duration", res.Clear.Round(time.Millisecond))
	}
	began = time.Now()

	if err := stream(ctx, st, o, today, &res, began); err != nil {
		return res, err
	}
	marker.Complete = true
	res.Marker = marker
	if err := st.Tx(ctx, func(tx *store.Tx) error { return setMarker(ctx, tx, marker) }); err != nil {
		return res, err
	}
	res.Load = time.Since(began)

	if o.Derive != nil {
		began = time.Now()
		if err := o.Derive(ctx); err != nil {
			return res, fmt.Errorf("demo: deriving facts: %w", err)
		}
		res.Derive = time.Since(began)
	}
	return res, nil
}

// stream generates the dataset on one goroutine and writes it on this one,
// a batch per transaction and a few batches apart, so the two cores share
// the work and memory stays bounded.
func stream(ctx context.Context, st *store.Store, o Options, today time.Time, res *Result, began time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, 2)
	g := newGenerator(o.Seed, today, o.PRs, o.BatchRows, func(b *batch) error {
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	g.seed, g.benchTeams = o.Seed, o.BenchTeams
	if err := g.setup(ctx, st, &res.Counts); err != nil {
		return err
	}
	return st.BulkLoad(ctx, func() error {
		genErr := make(chan error, 1)
		go func() {
			defer close(batches)
			genErr <- g.generate(ctx)
		}()
		var writeErr error
		for b := range batches {
			if writeErr != nil {
				continue // drain, so the generator stops
			}
			if writeErr = st.Tx(ctx, func(tx *store.Tx) error { return o.write(ctx, tx, b) }); writeErr != nil {
				cancel()
				continue
			}
			res.Counts.add(b)
			if o.Progress != nil {
				o.Progress(Progress{PRs: res.PullRequests, Total: o.PRs, Rows: res.Rows(), Elapsed: time.Since(began)})
			}
		}
		return errors.Join(writeErr, ignoreCanceled(<-genErr, writeErr))
	})
}

// ignoreCanceled drops the generator's cancellation error when it was the
// writer's failure that canceled it.
func ignoreCanceled(genErr, writeErr error) error {
	if writeErr != nil && errors.Is(genErr, context.Canceled) {
		return nil
	}
	return genErr
}

// setup writes the fixed records: repositories, workflows and Linear teams.
func (g *generator) setup(ctx context.Context, st *store.Store, c *Counts) error {
	return st.Tx(ctx, func(tx *store.Tx) error {
		for i := range linearTeams {
			t := &teamState{spec: &linearTeams[i], linearID: g.uuid(), next: linearTeams[i].firstNumber}
			if _, err := tx.UpsertLinearTeam(ctx, &model.LinearTeam{LinearID: t.linearID, Key: t.spec.key, Name: t.spec.name}); err != nil {
				return err
			}
			g.teams = append(g.teams, t)
			c.LinearTeams++
		}
		for i := range repos {
			spec := &repos[i]
			created := g.start.AddDate(-3-i, 2*i, 0)
			full := org + "/" + spec.name
			r := &model.Repository{
				GitHubID: 700_000_001 + int64(i), FullName: full, Owner: org, Name: spec.name, DefaultBranch: "main",
				Description: spec.description, HTMLURL: "https://github.com/" + full, Private: true,
				CreatedAt: &created, UpdatedAt: &g.end,
			}
			id, err := tx.UpsertRepository(ctx, r)
			if err != nil {
				return err
			}
			rs := &repoState{spec: spec, id: id, fullName: full, url: r.HTMLURL, nextNumber: spec.firstNumber}
			for j, ws := range spec.workflows {
				wcreated := created.AddDate(0, 1+j, 0)
				w := &model.Workflow{
					GitHubID: 60_000_000 + int64(i*10+j), Name: ws.name, Path: ".github/workflows/" + ws.file,
					State: "active", HTMLURL: r.HTMLURL + "/blob/main/.github/workflows/" + ws.file,
					CreatedAt: &wcreated, UpdatedAt: &wcreated,
				}
				if _, err := tx.UpsertWorkflow(ctx, id, w); err != nil {
					return err
				}
				rs.workflows = append(rs.workflows, &workflowState{spec: ws, githubID: w.GitHubID})
				c.Workflows++
			}
			g.repos = append(g.repos, rs)
			c.Repositories++
		}
		n, err := writeTeams(ctx, tx, g.seed, g.benchTeams) // teams.go
		c.Teams += n
		return err
	})
}
