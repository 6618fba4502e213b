package metrics

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// devScenario is a worked example of the development rules, week of
// 2026-03-02 (see the comments for the numbers).
func devScenario(t *testing.T, st *store.Store) (web, api int64) {
	b := scenario.New(t, st)
	web, api = b.Repo("acme/web"), b.Repo("acme/api")
	// A: first review by carol at +2h (own, bot and pending reviews ignored); merged +4h.
	b.PullRequest(web, scenario.PR{Number: 1, Author: "alice", Head: "eng-1-login", Created: ts(2, 8), Merged: tp(2, 12),
		Reviews: []scenario.Review{
			{Author: "alice", State: model.ReviewCommented, Submitted: tp(2, 9)},
			{Author: "dependabot[bot]", State: model.ReviewApproved, Submitted: tp(2, 9.5)},
			{Author: "bob", State: model.ReviewPending},
			{Author: "carol", State: model.ReviewCommented, Submitted: tp(2, 10)},
			{Author: "dave", State: model.ReviewApproved, Submitted: tp(2, 11)}, // reviews, authors nothing
		}})
	// B: a draft to a non-default branch; review +6h, merged +24h.
	b.PullRequest(web, scenario.PR{Number: 2, Author: "bob", Draft: true, Base: "develop", Created: ts(3, 0), Merged: tp(4, 0),
		Reviews: []scenario.Review{{Author: "alice", Submitted: tp(3, 6)}}})
	// C: in api, mentions ENG-1 in its title, merged +48h, no review.
	b.PullRequest(api, scenario.PR{Number: 3, Author: "alice", Title: "ENG-1 part 2", Created: ts(3, 12), Merged: tp(5, 12)})
	// D: a bot's PR, merged +1h (bots count as authors, never as reviewers).
	b.PullRequest(web, scenario.PR{Number: 4, Author: "dependabot[bot]", Created: ts(4, 0), Merged: tp(4, 1)})
	// E: open, reviewed +24h.
	b.PullRequest(web, scenario.PR{Number: 5, Author: "carol", Title: "UTF-8 fix", Created: ts(5, 0),
		Reviews: []scenario.Review{{Author: "bob", State: model.ReviewChangesRequested, Submitted: tp(6, 0)}}})
	team := b.Team("ENG")
	// ENG-1: linked to A (merge Mar 2 12:00) and C (Mar 5 12:00): cycle 108h.
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-1", Number: 1, CreatedAt: ts(1, 0),
		StateType: "completed", CompletedAt: tp(5, 13)})
	// ENG-2: only an attachment links it to B: cycle 48h.
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-2", Number: 2, CreatedAt: ts(2, 0),
		StateType: "completed", CompletedAt: tp(4, 1),
		Attachments: []model.LinearAttachment{{URL: "https://github.com/acme/web/pull/2"}}})
	// ENG-4: canceled: not completed.
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-4", Number: 4, CreatedAt: ts(2, 0),
		StateType: "canceled", CanceledAt: tp(3, 0)})
	b.Derive()
	return web, api
}

func TestDevelopmentScenario(t *testing.T) {
	st := storetest.New(t)
	web, api := devScenario(t, st)
	s := New(st, false)
	ctx := context.Background()
	week := "start_date=2026-03-01&end_date=2026-03-07&period=day"
	for _, tc := range []struct {
		name, params string
		metric       func(context.Context, Query) (*DurationMetric, error)
		count        int
		median, avg  string
	}{
		{"review time", week, s.PRReviewTime, 3, "6", "10.67"},
		{"merge time", week, s.PRMergeTime, 4, "14", "19.25"},
		{"cycle time", week, s.CycleTime, 2, "78", "78"},
		{"review time, alice", week + "&author=alice", s.PRReviewTime, 1, "2", "2"},
		{"merge time, alice", week + "&author=alice", s.PRMergeTime, 2, "26", "26"},
		{"cycle time, alice", week + "&author=alice", s.CycleTime, 1, "108", "108"},
		{"cycle time, api repo", fmt.Sprintf("%s&repo_id=%d", week, api), s.CycleTime, 1, "108", "108"},
		{"cycle time, web repo", fmt.Sprintf("%s&repo_id=%d", week, web), s.CycleTime, 2, "78", "78"},
		{"merge time, api repo", fmt.Sprintf("%s&repo_id=%d", week, api), s.PRMergeTime, 1, "48", "48"},
		{"review time, next week", "start_date=2026-03-08&end_date=2026-03-14", s.PRReviewTime, 0, "null", "null"},
	} {
		m, err := tc.metric(ctx, query(t, st, tc.params))
		if err != nil {
			t.Fatal(err)
		}
		if m.Count != tc.count || str(m.MedianHours) != tc.median || str(m.AverageHours) != tc.avg {
			t.Errorf("%s: count %d median %s average %s; want %d %s %s", tc.name, m.Count, str(m.MedianHours),
				str(m.AverageHours), tc.count, tc.median, tc.avg)
		}
	}

	tp, err := s.Throughput(ctx, query(t, st, week))
	if err != nil {
		t.Fatal(err)
	}
	if tp.Total != 4 || tp.Average != 4.0/7 || tp.Data[3].Count != 2 || tp.IssuesCompleted == nil ||
		tp.IssuesCompleted.Total != 2 || tp.IssuesCompleted.Data[3].Count != 1 || tp.IssuesCompleted.Data[4].Count != 1 {
		t.Errorf("throughput: %+v, issues %+v", tp, tp.IssuesCompleted)
	}
	tp, _ = s.Throughput(ctx, query(t, st, fmt.Sprintf("%s&repo_id=%d", week, api)))
	if tp.Total != 1 || tp.IssuesCompleted.Total != 1 {
		t.Errorf("api throughput: %d PRs, %d issues; want 1 and 1 (ENG-1 is linked to an api PR)", tp.Total, tp.IssuesCompleted.Total)
	}
	// The aggregate agrees with the parts.
	dev, err := s.Development(ctx, query(t, st, week+"&include_trend=true"))
	if err != nil {
		t.Fatal(err)
	}
	if dev.PRReviewTime.Count != 3 || dev.PRMergeTime.Count != 4 || dev.CycleTime.Count != 2 || dev.Throughput.Total != 4 ||
		dev.Throughput.Trend == nil || str(dev.Throughput.Trend.Previous) != "0" || *dev.Throughput.Trend.Direction != Improving {
		t.Errorf("development: %+v", dev)
	}
}

func TestThroughputWithoutLinear(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.PullRequest(web, scenario.PR{Created: ts(2, 0), Merged: tp(2, 1)})
	b.Derive()
	tp, err := New(st, false).Throughput(context.Background(), query(t, st, "start_date=2026-03-01&end_date=2026-03-07"))
	if err != nil {
		t.Fatal(err)
	}
	if tp.IssuesCompleted != nil || tp.Total != 1 {
		t.Errorf("without Linear, throughput has no issues_completed: %+v", tp)
	}
	tp, _ = New(st, true).Throughput(context.Background(), query(t, st, "start_date=2026-03-01&end_date=2026-03-07"))
	if tp.IssuesCompleted == nil || tp.IssuesCompleted.Total != 0 {
		t.Errorf("with LINEAR_API_KEY set, issues_completed is present (zero): %+v", tp.IssuesCompleted)
	}
}

func TestDevelopers(t *testing.T) {
	st := storetest.New(t)
	devScenario(t, st)
	s := New(st, false)
	ctx := context.Background()
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-07")
	d, err := s.Developers(ctx, q, "", "")
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range d.Data {
		got += fmt.Sprintf("%s merged=%d merge=%s review=%s given=%d size=%s issues=%d; ", r.Login, r.MergedPRs,
			str(r.MedianMergeHours), str(r.MedianReviewHours), r.ReviewsGiven, str(r.MedianPRSize), r.IssuesCompleted)
	}
	want := "alice merged=2 merge=26 review=2 given=1 size=0 issues=1; " +
		"bob merged=1 merge=24 review=6 given=1 size=0 issues=1; " +
		"carol merged=0 merge=null review=24 given=1 size=null issues=0; "
	if got != want || d.Sort != "merged_prs" || d.Order != "desc" {
		t.Errorf("developers:\n got %s\nwant %s", got, want)
	}
	d, _ = s.Developers(ctx, q, "median_merge_hours", "asc")
	if len(d.Data) != 3 || d.Data[0].Login != "bob" || d.Data[1].Login != "alice" || d.Data[2].Login != "carol" {
		t.Errorf("by merge time ascending, nulls last: %v", d.Data)
	}
	d, _ = s.Developers(ctx, q, "login", "")
	if d.Order != "asc" || d.Data[0].Login != "alice" {
		t.Errorf("by login: %s %v", d.Order, d.Data)
	}
	for _, bad := range [][2]string{{"salary", ""}, {"login", "up"}} {
		var pe *ParamError
		if _, err := s.Developers(ctx, q, bad[0], bad[1]); !errors.As(err, &pe) {
			t.Errorf("Developers(%q, %q): %v, want a ParamError", bad[0], bad[1], err)
		}
	}
}

// TestIssuesCompletedRepoFilter: for issues_completed, a Linear issue counts
// under a repo filter when it is linked to any PR of that repo (the general
// filter rule); cycle time needs a merged one.
func TestIssuesCompletedRepoFilter(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.PullRequest(web, scenario.PR{Number: 1, Head: "eng-7-open-work", Created: ts(2, 0)}) // open, never merged
	team := b.Team("ENG")
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-7", Number: 7, CreatedAt: ts(1, 0),
		StateType: "completed", CompletedAt: tp(3, 0)})
	b.Derive()
	s := New(st, false)
	q := query(t, st, fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d", web))
	tp, err := s.Throughput(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if tp.IssuesCompleted == nil || tp.IssuesCompleted.Total != 1 {
		t.Errorf("issues_completed for web: %+v, want 1", tp.IssuesCompleted)
	}
	ct, _ := s.CycleTime(context.Background(), q)
	if ct.Count != 0 {
		t.Errorf("cycle time counts an issue without a merged PR: %+v", ct)
	}
}

// TestCanceledIssues: a canceled Linear issue never counts as completed,
// even with a completedAt; cycle time keeps it when it has a merged linked
// PR, since the definition asks only for that.
func TestCanceledIssues(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	team := b.Team("ENG")
	b.PullRequest(web, scenario.PR{Number: 1, Title: "ENG-6: prototype", Created: ts(2, 0), Merged: tp(3, 0)})
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-5", Number: 5, CreatedAt: ts(1, 0),
		StateType: "canceled", CompletedAt: tp(2, 0), CanceledAt: tp(2, 1)})
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-6", Number: 6, CreatedAt: ts(1, 0),
		StateType: "canceled", CanceledAt: tp(4, 0)})
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-7", Number: 7, CreatedAt: ts(1, 0),
		StateType: "completed", CompletedAt: tp(5, 0)})
	b.Derive()
	s := New(st, true)
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-07")
	tp, err := s.Throughput(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if tp.IssuesCompleted == nil || tp.IssuesCompleted.Total != 1 {
		t.Errorf("issues completed: %+v, want only ENG-7", tp.IssuesCompleted)
	}
	ct, err := s.CycleTime(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Count != 1 || str(ct.MedianHours) != "48" {
		t.Errorf("cycle time: count %d median %s; want ENG-6's 48h", ct.Count, str(ct.MedianHours))
	}
}
