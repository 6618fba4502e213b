package web

import (
	"net/http"
	"testing"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestListsCachedWhileSettled: the pull-request list is answered from the
// result cache while the data is unchanged and settled, and computed afresh
// when a record waits for the derive step (it shows such records at once).
func TestListsCachedWhileSettled(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	repo := b.Repo("acme/web")
	opened := testNow.AddDate(0, 0, -5)
	b.PullRequest(repo, scenario.PR{Number: 1, Author: "alice", Created: opened, Merged: scenario.Ptr(opened.AddDate(0, 0, 1))})
	b.Derive()
	s := newSite(t, st, testConfig(t), nil)
	const path = "/pull-requests?start_date=2026-03-01&end_date=2026-03-19"
	rows := func() int {
		r := s.page(t, path, http.StatusOK)
		_, rows := tableData(find(r.doc, sel("table", "#table-pull-requests")))
		return len(rows)
	}
	if n := rows(); n != 1 {
		t.Fatalf("%d PRs listed, want 1", n)
	}
	before := s.pages.metrics.CacheStats()
	if n := rows(); n != 1 {
		t.Fatalf("%d PRs listed the second time, want 1", n)
	}
	after := s.pages.metrics.CacheStats()
	if after.Misses != before.Misses || after.Hits <= before.Hits {
		t.Errorf("the same page again: cache %+v → %+v; want hits only", before, after)
	}
	// Synced, not yet derived: listed at once.
	b.PullRequest(repo, scenario.PR{Number: 2, Author: "bob", Created: opened})
	if n := rows(); n != 2 {
		t.Errorf("%d PRs listed after a sync, before the derive step; want 2", n)
	}
	b.Derive()
	if n := rows(); n != 2 {
		t.Errorf("%d PRs listed after the derive step, want 2", n)
	}
}
