package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func TestLeadTimeSeriesPercentilesAndPhasesPerBucket(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	repo := b.Repo("acme/web")
	h := func(at time.Time, hours float64) time.Time { return at.Add(time.Duration(hours * float64(time.Hour))) }
	// A deployment before the range, so later PRs link by time.
	b.Deployment(repo, "d0", ts(-8, 12), "sha-d0")
	d1, d2 := ts(2, 12), ts(9, 12) // Monday 2 March and Monday 9 March, noon
	pr := func(deploy time.Time, lead float64) {
		commit := h(deploy, -lead)
		b.PullRequest(repo, scenario.PR{Created: h(commit, 1), Merged: scenario.Ptr(h(commit, 3)), Commits: []time.Time{commit},
			Reviews: []scenario.Review{{Author: "bob", Submitted: scenario.Ptr(h(commit, 2))}}})
	}
	for _, lead := range []float64{10, 20, 30, 40} {
		pr(d1, lead)
	}
	pr(d2, 5)
	b.Deployment(repo, "d1", d1, "sha-d1")
	b.Deployment(repo, "d2", d2, "sha-d2")
	b.DeriveFull()

	q := query(t, st, "start_date=2026-03-02&end_date=2026-03-15&period=week")
	svc := New(st, false)
	got, err := svc.LeadTimeSeries(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	p := func(b LeadTimeBucket) string {
		return fmt.Sprintf("%s n=%d median=%s p75=%s p90=%s coding=%s pickup=%s review=%s deploy=%s", b.Date, b.Count,
			str(b.MedianHours), str(b.P75Hours), str(b.P90Hours),
			str(b.Phases.CodingHours), str(b.Phases.PickupHours), str(b.Phases.ReviewHours), str(b.Phases.DeployHours))
	}
	want := []string{
		"2026-03-02 n=4 median=25 p75=32.5 p90=37 coding=1 pickup=1 review=1 deploy=22",
		"2026-03-09 n=1 median=5 p75=5 p90=5 coding=1 pickup=1 review=1 deploy=2",
	}
	if len(got) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got), len(want))
	}
	lt, err := svc.LeadTime(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if p(got[i]) != want[i] {
			t.Errorf("bucket %d:\n got %s\nwant %s", i, p(got[i]), want[i])
		}
		if str(got[i].MedianHours) != str(lt.Data[i].MedianHours) || got[i].Count != lt.Data[i].Count {
			t.Errorf("bucket %d disagrees with LeadTime: %s vs median %s n=%d", i, p(got[i]), str(lt.Data[i].MedianHours), lt.Data[i].Count)
		}
	}
}
