package syncer_test

import (
	"context"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
)

func TestCountsAreFreshAfterASyncAndReusedBetweenPolls(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	github := &synctest.Connector{Source: "github", SyncFunc: synctest.Repos(f.st, 2, "acme/web")}
	e := f.engine(github)
	prs := func() int64 {
		t.Helper()
		c, err := e.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(c["linear"]) == 0 || len(c["actions"]) == 0 {
			t.Fatalf("counts %v lack a source", c)
		}
		return c["github"]["pull_requests"]
	}
	if n := prs(); n != 0 {
		t.Fatalf("empty database: %d PRs", n)
	}
	if _, err := e.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); err != nil {
		t.Fatal(err)
	}
	if n := prs(); n != 2 {
		t.Errorf("right after a sync: %d PRs, want 2", n)
	}
	// Another writer (a demo fill, say) adds records: polls within the
	// reuse window see the old counts, later ones the new.
	if err := synctest.Repos(f.st, 3, "acme/api")(ctx, syncer.Full, nopReporter{}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(4 * time.Second)
	if n := prs(); n != 2 {
		t.Errorf("4s later: %d PRs, want the reused 2", n)
	}
	f.clk.Advance(time.Second)
	if n := prs(); n != 5 {
		t.Errorf("5s later: %d PRs, want 5", n)
	}
}

type nopReporter struct{}

func (nopReporter) Scope(string)        {}
func (nopReporter) Records(string, int) {}
func (nopReporter) Requests(int)        {}
