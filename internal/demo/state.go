package demo

import (
	"container/heap"
	"time"
)

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

func (h mergeHeap) Len() int { return len(h) }

func (h mergeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }

func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *mergeHeap) Push(x any) { *h = append(*h, x.(merge)) }

func (h *mergeHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	*h = old[:len(old)-1]
	return m
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

// deployWorkflow returns the repo's deployment workflow.
func (rs *repoState) deployWorkflow() *workflowState {
	for _, w := range rs.workflows {
		if w.spec.deploy {
			return w
		}
	}
	panic("demo: repository without a deployment workflow: " + rs.fullName)
}
