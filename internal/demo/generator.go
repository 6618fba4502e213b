package demo

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// generator produces the dataset as a stream of batches, one day at a time:
// first the PRs opened that day, then that day's deployments, which deploy
// whatever was merged before them. Only the records of the batch being
// filled and the merges not yet deployed (a few days' worth) are held in
// memory, so a million PRs need no more memory than a thousand.
type generator struct {
	r          *rng
	start, end time.Time // [start, end): the last 365 days, ending at today 00:00 UTC
	total      int       // PRs to generate
	scale      float64   // deployments grow with the square root of the size
	repos      []*repoState
	teams      []*teamState
	ids        ids
	seed       uint64
	benchTeams int // extra teams for benchmarks
	b          *batch
	emit       func(*batch) error
	batchRows  int
}

// ids hands out the GitHub and Linear identifiers, which depend only on the
// order records are generated in.
type ids struct {
	run, issue, review, comment, linear uint64
	ghDeploy                            uint64
}

func newGenerator(seed uint64, today time.Time, total int, batchRows int, emit func(*batch) error) *generator {
	end := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	scale := float64(total) / DefaultPRs
	g := &generator{
		r: newRNG(seed), start: end.AddDate(0, 0, -days), end: end, total: total,
		scale: max(0.6, math.Sqrt(scale)), emit: emit, batchRows: batchRows,
	}
	g.b = newBatch()
	return g
}

// generate produces the whole dataset after setup.
func (g *generator) generate(ctx context.Context) error {
	counts := g.allocate()
	for d := range days {
		if err := ctx.Err(); err != nil {
			return err
		}
		day := g.start.AddDate(0, 0, d)
		for i, rs := range g.repos {
			for range counts[i][d] {
				if err := g.pullRequest(rs, day); err != nil {
					return err
				}
			}
		}
		for _, rs := range g.repos {
			if err := g.deployments(rs, day); err != nil {
				return err
			}
		}
		if err := g.standaloneIssues(day); err != nil {
			return err
		}
	}
	for _, rs := range g.repos {
		// The worsening repo's last deployment broke something that is
		// still being investigated.
		if rs.spec.trend == worsening && !rs.lastDeploy.IsZero() {
			if err := g.incident(rs, rs.lastDeploy, true); err != nil {
				return err
			}
		}
		if rs.carry != nil {
			if err := g.closeGroup(rs.carry); err != nil {
				return err
			}
			rs.carry = nil
		}
	}
	return g.flush()
}

// uuid returns a Linear id that depends only on a counter. It is a
// time-ordered (version 7) UUID, so ids of records written one after the
// other sort together: inserting them touches few index pages.
func (g *generator) uuid() string {
	g.ids.linear++
	a := uint64(0x019a_0000_0000) + g.ids.linear<<8 // 48 bits, rising
	b := mix(g.ids.linear)
	return fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x", uint32(a>>16), uint16(a), uint16(b>>52),
		0x8000|uint16(b>>32)&0x3fff, b&0xffffffffffff)
}

// nodeSuffix returns the end of a GitHub node id for a counter. Like
// GitHub's, later ids sort after earlier ones (fixed-width base 36), which
// keeps inserts into the unique index on them cheap.
func nodeSuffix(n uint64) string { return strconv.FormatUint(1_000_000_000_000+n, 36) }

// add queues a PR and its CI runs, flushing when the batch is full.
func (g *generator) addPR(pr model.PullRequest) error {
	g.b.addPR(pr)
	return g.maybeFlush()
}

func (g *generator) addRun(r model.WorkflowRun) error {
	g.b.runs = append(g.b.runs, r)
	g.b.rows++
	return g.maybeFlush()
}

func (g *generator) addIssue(is model.Issue) error {
	g.b.issues = append(g.b.issues, is)
	g.b.rows++
	return g.maybeFlush()
}

func (g *generator) addLinear(is model.LinearIssue) error {
	g.b.linear = append(g.b.linear, is)
	g.b.rows += 1 + len(is.Attachments)
	return g.maybeFlush()
}

func (g *generator) maybeFlush() error {
	if g.b.rows < g.batchRows {
		return nil
	}
	return g.flush()
}

func (g *generator) flush() error {
	if g.b.rows == 0 {
		return nil
	}
	b := g.b
	g.b = newBatch()
	return g.emit(b)
}
