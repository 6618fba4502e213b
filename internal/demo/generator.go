package demo

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// days is how far back the demo reaches.
const days = 365

// generator produces the dataset as a stream of batches, one day at a time:
// first the PRs opened that day, then that day's deployments, which deploy
// whatever was merged before them. Only the records of the batch being
// filled, and the merges still ahead of the day being generated, are held in
// memory, so memory does not grow with the size.
type generator struct {
	r          *rng
	start, end time.Time // [start, end): the last 365 days, ending at today 00:00 UTC
	total      int       // PRs to generate
	scale      float64   // deployments grow with the square root of the size
	repos      []*repoState
	teams      []*teamState
	ids        ids
	b          *batch
	emit       func(*batch) error
	batchRows  int
}

// repoState is a repository's running state during generation.
type repoState struct {
	spec       *repoSpec
	id         int64 // internal id
	fullName   string
	url        string
	nextNumber int
	workflows  []*workflowState
	merges     mergeHeap // merges into main not yet deployed
	tip        string    // head of main, as of the last merge taken from merges
	recent     []recentPR
	hotfixes   []pendingHotfix
	carry      *issueGroup // a Linear issue waiting for its second PR
	release    int         // minor version of the last tag release
	lastDeploy time.Time   // when the last successful deployment finished
}

// workflowState is a workflow and its run counter.
type workflowState struct {
	spec     workflowSpec
	githubID int64
	runs     int
}

// teamState is a Linear team and its issue counter.
type teamState struct {
	spec     *linearTeamSpec
	linearID string
	next     int
}

// recentPR is a merged PR that a later one might revert.
type recentPR struct {
	number   int
	title    string
	branch   string
	mergedAt time.Time
}

// pendingHotfix is an open incident that the repo's next PR fixes.
type pendingHotfix struct {
	opened time.Time
	what   string
}

// merge is a PR merged into a default branch, waiting to be deployed.
type merge struct {
	at  time.Time
	sha string
}

// mergeHeap orders pending merges by time.
type mergeHeap []merge

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(merge)) }
func (h *mergeHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	*h = old[:len(old)-1]
	return m
}

// ids hands out the GitHub and Linear identifiers, which depend only on the
// order records are generated in.
type ids struct {
	run, issue, review, comment, linear uint64
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

// fraction returns how far t is through the year, from 0 to 1: the clock
// of every trend.
func (g *generator) fraction(t time.Time) float64 {
	f := float64(t.Sub(g.start)) / float64(g.end.Sub(g.start))
	return min(max(f, 0), 1)
}

func lerp(a, b, f float64) float64 { return a + (b-a)*f }

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func weekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// weekdayWeight is the relative amount of work opened on a day of the week.
var weekdayWeight = [7]float64{time.Sunday: 0.07, time.Monday: 1, time.Tuesday: 1.1, time.Wednesday: 1.1,
	time.Thursday: 1, time.Friday: 0.8, time.Saturday: 0.1}

// workTime returns a moment on day, mostly during working hours.
func (g *generator) workTime(day time.Time) time.Time {
	if g.r.chance(0.06) {
		return day.Add(g.r.between(0, 24*time.Hour))
	}
	u := (g.r.Float64() + g.r.Float64()) / 2 // peaks mid-day
	return day.Add(8*time.Hour + time.Duration(u*float64(10*time.Hour)))
}

// afterWeekend usually moves a moment that falls on a weekend to Monday
// morning: most reviews wait for the week to start.
func (g *generator) afterWeekend(t time.Time) time.Time {
	if !weekend(t) || g.r.chance(0.25) {
		return t
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for weekend(day) {
		day = day.AddDate(0, 0, 1)
	}
	return day.Add(8*time.Hour + g.r.between(0, 3*time.Hour))
}

// allocate spreads the PRs over repositories and days: each repo's share,
// quiet weekends, the repos' volume trends and some day-to-day noise. The
// counts add up to exactly total.
func (g *generator) allocate() [][]int {
	weights := make([][]float64, len(repos))
	sum := 0.0
	for i := range repos {
		weights[i] = make([]float64, days)
		for d := range days {
			day := g.start.AddDate(0, 0, d)
			w := repos[i].share * weekdayWeight[day.Weekday()] * volumeTrend(repos[i].trend, g.fraction(day)) *
				(0.7 + 0.6*g.r.Float64())
			weights[i][d] = w
			sum += w
		}
	}
	counts := make([][]int, len(repos))
	cum, given := 0.0, 0
	for i := range repos {
		counts[i] = make([]int, days)
		for d := range days {
			cum += weights[i][d]
			upTo := int(cum/sum*float64(g.total) + 0.5)
			counts[i][d] = upTo - given
			given = upTo
		}
	}
	return counts
}

// volumeTrend scales a repo's PR volume over the year: the improving team
// ships in smaller, more frequent PRs.
func volumeTrend(t trend, f float64) float64 {
	switch t {
	case improving:
		return lerp(0.8, 1.25, f)
	case worsening:
		return lerp(1.1, 0.9, f)
	}
	return 1
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

// takeMerges advances the repo's main branch to the last merge at or before t.
func (rs *repoState) takeMerges(t time.Time) {
	for len(rs.merges) > 0 && !rs.merges[0].at.After(t) {
		rs.tip = heap.Pop(&rs.merges).(merge).sha
	}
}

// take returns the repo's next issue or PR number (they share one sequence,
// as on GitHub).
func (rs *repoState) take() int {
	n := rs.nextNumber
	rs.nextNumber++
	return n
}

// workflow returns the repo's workflow whose file is file, or nil.
func (rs *repoState) workflow(file string) *workflowState {
	for _, w := range rs.workflows {
		if w.spec.file == file {
			return w
		}
	}
	return nil
}

// deployWorkflow returns the repo's deployment workflow.
func (rs *repoState) deployWorkflow() *workflowState {
	for _, w := range rs.workflows {
		if w.spec.deploy {
			return w
		}
	}
	panic("demo: repository without a deployment workflow: " + rs.fullName)
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
