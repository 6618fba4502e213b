package metrics

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestMirrorFollowsDerive checks that the in-memory rollup follows the
// database: an incremental derive reloads the days it rebuilt and shares
// the others, a full one reloads everything, and either way the mirror
// holds what a fresh load holds. The answers read through it are compared
// with the database's in TestRollupEqualsFacts and, across incremental
// derives and team edits, in derive's TestIncrementalEqualsFull.
func TestMirrorFollowsDerive(t *testing.T) {
	st := storetest.New(t)
	web, _ := devScenario(t, st)
	ctx := context.Background()
	s := New(st, false)
	first, err := s.mirror(ctx)
	if err != nil || first == nil {
		t.Fatalf("no mirror after derive (%v)", err)
	}
	firstIssues, err := s.issueMirror(ctx)
	if err != nil || firstIssues == nil || len(firstIssues.days) == 0 {
		t.Fatalf("no issue mirror after derive (%v)", err)
	}
	same := func(got *mirrorSnap[mirrorRow], gotIssues *mirrorSnap[issueRow]) {
		t.Helper()
		fresh, err := New(st, false).mirror(ctx)
		if err != nil || fresh == nil {
			t.Fatalf("no fresh mirror (%v)", err)
		}
		if !reflect.DeepEqual(got.days, fresh.days) || got.bytes != fresh.bytes {
			t.Errorf("the mirror holds %d days (%d bytes), a fresh load %d days (%d bytes)", len(got.days), got.bytes,
				len(fresh.days), fresh.bytes)
		}
		freshIssues, err := New(st, false).issueMirror(ctx)
		if err != nil || freshIssues == nil {
			t.Fatalf("no fresh issue mirror (%v)", err)
		}
		if !reflect.DeepEqual(gotIssues.days, freshIssues.days) || gotIssues.bytes != freshIssues.bytes {
			t.Errorf("the issue mirror holds %d days (%d bytes), a fresh load %d days (%d bytes)", len(gotIssues.days),
				gotIssues.bytes, len(freshIssues.days), freshIssues.bytes)
		}
	}
	same(first, firstIssues)
	if again, _ := s.mirror(ctx); again != first {
		t.Error("the mirror was reloaded with the data unchanged")
	}

	// A new PR, created and merged on one day with no other PR, and the
	// Linear issue it names, completed that day.
	b := scenario.New(t, st)
	created := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	b.PullRequest(web, scenario.PR{Number: 90, Author: "alice", Title: "ENG-90", Created: created,
		Merged: scenario.Ptr(created.Add(3 * time.Hour))})
	b.LinearIssue(model.LinearIssue{TeamLinearID: b.Team("ENG"), Identifier: "ENG-90", Number: 90, CreatedAt: created.Add(-time.Hour),
		StateType: "completed", CompletedAt: scenario.Ptr(created.Add(4 * time.Hour))})
	b.Derive()
	second, err := s.mirror(ctx)
	if err != nil || second == nil {
		t.Fatalf("no mirror after the incremental derive (%v)", err)
	}
	if second.epoch != first.epoch || second.gen <= first.gen {
		t.Fatalf("incremental derive: epoch %q → %q, generation %d → %d; want the same epoch and a later generation",
			first.epoch, second.epoch, first.gen, second.gen)
	}
	day := rollup.Day(created.UnixMilli())
	if len(second.days[day]) != 1 || second.days[day][0].merged != 1 {
		t.Errorf("day of the new PR: %+v", second.days[day])
	}
	shared := 0
	for d, rows := range first.days {
		if len(rows) > 0 && len(second.days[d]) > 0 && second.days[d][0] == rows[0] {
			shared++
		}
	}
	if shared != len(first.days) {
		t.Errorf("%d of %d unchanged days kept, want all: the derive rebuilt one new day", shared, len(first.days))
	}
	secondIssues, err := s.issueMirror(ctx)
	if err != nil || secondIssues == nil {
		t.Fatalf("no issue mirror after the incremental derive (%v)", err)
	}
	if secondIssues.epoch != firstIssues.epoch || secondIssues.gen <= firstIssues.gen || len(secondIssues.days[day]) == 0 {
		t.Errorf("incremental derive: issue epoch %q → %q, generation %d → %d, %d cells on the new day; want the same epoch, a later generation and cells",
			firstIssues.epoch, secondIssues.epoch, firstIssues.gen, secondIssues.gen, len(secondIssues.days[day]))
	}
	same(second, secondIssues)

	b.DeriveFull()
	third, err := s.mirror(ctx)
	if err != nil || third == nil {
		t.Fatalf("no mirror after the full derive (%v)", err)
	}
	if third.epoch == second.epoch {
		t.Error("a full derive kept the rollup's epoch")
	}
	thirdIssues, err := s.issueMirror(ctx)
	if err != nil || thirdIssues == nil {
		t.Fatalf("no issue mirror after the full derive (%v)", err)
	}
	if thirdIssues.epoch == secondIssues.epoch {
		t.Error("a full derive kept the issue rollup's epoch")
	}
	same(third, thirdIssues)
}

// TestMirrorTooLarge checks that a rollup past the mirror's bound is read
// from the database, with the same answers.
func TestMirrorTooLarge(t *testing.T) {
	st := storetest.New(t)
	devScenario(t, st)
	ctx := context.Background()
	s := New(st, false)
	s.rollups.maxBytes = 10
	if m, err := s.mirror(ctx); err != nil || m != nil {
		t.Fatalf("mirror of a rollup past its bound: %v, %v; want none", m, err)
	}
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-07&include_trend=true")
	got, err := s.Development(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, err := New(st, false).Development(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || got.PRMergeTime.Count == 0 {
		t.Errorf("from the database %+v, from the mirror %+v", got.PRMergeTime, want.PRMergeTime)
	}
}
