package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestDeploymentListMaxPRs: with MaxPRs the list holds a deployment's first
// merged PRs and counts them all; without it, all of them.
func TestDeploymentListMaxPRs(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	repo := b.Repo("acme/api")
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		created := start.Add(time.Duration(i) * time.Hour)
		// Merged in the reverse order of their numbers.
		b.PullRequest(repo, scenario.PR{Number: i + 1, Author: "alice", Created: created, Merged: scenario.Ptr(start.Add(time.Duration(10-i) * time.Hour)),
			MergeSHA: "m" + string(rune('a'+i))})
	}
	// The time link: every PR merged after the first deployment goes with
	// the next one.
	b.Deployment(repo, "d0", start.Add(-time.Hour), "earlier")
	b.Deployment(repo, "d1", start.Add(24*time.Hour), "later")
	b.Derive()
	ctx := context.Background()
	all, _, err := st.DeploymentList(ctx, store.DeploymentFilter{}, store.Page{Page: 1, Limit: 1}) // the latest
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || len(all[0].PRs) != 5 || all[0].PRCount != 5 {
		t.Fatalf("without MaxPRs: %d deployments, %+v", len(all), all)
	}
	first, _, err := st.DeploymentList(ctx, store.DeploymentFilter{MaxPRs: 2}, store.Page{Page: 1, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := first[0]
	if len(d.PRs) != 2 || d.PRCount != 5 || d.PRs[0].Number != 5 || d.PRs[1].Number != 4 {
		t.Errorf("MaxPRs 2: %d PRs (%+v), count %d; want #5 and #4 (the first merged) of 5", len(d.PRs), d.PRs, d.PRCount)
	}
	for i, pr := range all[0].PRs[:2] {
		if !reflect.DeepEqual(pr, d.PRs[i]) {
			t.Errorf("PR %d: %+v with MaxPRs, %+v without", i, d.PRs[i], pr)
		}
	}

	// A page of several deployments, each with its own first PRs and count.
	web := b.Repo("acme/web")
	for i := range 3 {
		b.PullRequest(web, scenario.PR{Number: 20 + i, Author: "bob", Created: start, Merged: scenario.Ptr(start.Add(time.Duration(3-i) * time.Hour)),
			MergeSHA: "w" + string(rune('a'+i))})
	}
	b.Deployment(web, "w0", start.Add(-2*time.Hour), "earlier")
	b.Deployment(web, "w1", start.Add(30*time.Hour), "later")
	b.Derive()
	full, _, err := st.DeploymentList(ctx, store.DeploymentFilter{}, store.Page{Page: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	shipping := 0
	for _, dep := range full {
		if len(dep.PRs) > 0 {
			shipping++
		}
	}
	if len(full) != 4 || shipping != 2 {
		t.Fatalf("want 4 deployments, 2 of them shipping PRs: %+v", full)
	}
	for _, k := range []int{1, 2, 4} {
		got, _, err := st.DeploymentList(ctx, store.DeploymentFilter{MaxPRs: k}, store.Page{Page: 1, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i, dep := range got {
			want := full[i].PRs[:min(k, len(full[i].PRs))]
			if dep.ID != full[i].ID || dep.PRCount != len(full[i].PRs) || !reflect.DeepEqual(dep.PRs, want) {
				t.Errorf("MaxPRs %d, deployment %s: %d of %d PRs %+v; want %d of %d %+v", k, dep.ExternalID, len(dep.PRs), dep.PRCount, dep.PRs,
					len(want), len(full[i].PRs), want)
			}
		}
	}
}
