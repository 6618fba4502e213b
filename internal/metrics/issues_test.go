package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestIssueRollupFilters answers cycle time, issues_completed and the
// developers table from the issue rollup and from linear_issues, under
// every filter, for issues linked to several PRs of different repositories
// and authors, and checks the counts the rules give.
func TestIssueRollupFilters(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web, api := b.Repo("acme/web"), b.Repo("acme/api")
	n := 0
	pr := func(repo int64, author, ident string, merged bool) {
		n++
		p := scenario.PR{Number: n, Author: author, Head: ident + "-part-" + fmt.Sprint(n), Created: ts(1, float64(n))}
		if merged {
			p.Merged = tp(2, float64(n))
		}
		b.PullRequest(repo, p)
	}
	// ENG-1: merged PRs in web by bob and in api by alice.
	pr(web, "bob", "eng-1", true)
	pr(api, "alice", "eng-1", true)
	// ENG-2: alice's PR in web is open; bob's in api merged.
	pr(web, "alice", "eng-2", false)
	pr(api, "bob", "eng-2", true)
	// ENG-3: carol's merged PR in web; canceled after a completedAt.
	pr(web, "carol", "eng-3", true)
	// ENG-4: two members' merged PRs in web.
	pr(web, "alice", "eng-4", true)
	pr(web, "Carol", "eng-4", true)
	// ENG-5: no PR. ENG-6: carol's merged PR in api.
	pr(api, "carol", "eng-6", true)
	team := b.Team("ENG")
	for i := 1; i <= 6; i++ {
		is := model.LinearIssue{TeamLinearID: team, Identifier: fmt.Sprintf("ENG-%d", i), Number: i, CreatedAt: ts(1, 0),
			StateType: "completed", CompletedAt: tp(3, float64(i))}
		if i == 3 {
			is.StateType, is.CanceledAt = "canceled", tp(4, 0)
		}
		b.LinearIssue(is)
	}
	b.Derive()
	b.DefineTeam("t", []string{"alice", "carol"}, nil)
	ctx := context.Background()
	fast := New(st, false)
	if ok, err := fast.issueRollupReady(ctx); err != nil || !ok {
		t.Fatalf("the issue rollup is not built after derive (%v)", err)
	}
	slow := New(st, false)
	slow.noRollup = true
	week := "start_date=2026-03-01&end_date=2026-03-07"
	for _, tc := range []struct {
		params      string
		cycle, done int
	}{
		{"", 5, 5},                                          // ENG-1, 2, 3, 4, 6 have a merged PR; ENG-3 is canceled, ENG-5 has none
		{fmt.Sprintf("repo_id=%d", web), 3, 3},              // cycle: merged in web (1, 3, 4); done: any PR in web (1, 2, 4)
		{fmt.Sprintf("repo_id=%d", api), 3, 3},              // 1, 2, 6
		{"author=alice", 2, 3},                              // cycle: 1, 4; done: 1, 2, 4
		{"author=CAROL", 3, 2},                              // cycle: 3, 4, 6; done: 4, 6
		{fmt.Sprintf("repo_id=%d&author=alice", web), 1, 2}, // cycle: 4; done: 2, 4
		{"team=t", 4, 3},                                    // merged by a member: 1, 3, 4, 6; done: 1, 4, 6
		{fmt.Sprintf("team=t&repo_id=%d", web), 3, 2},       // 1, 3, 4; done: 1, 4
		{"team=t&author=bob", 1, 1},                         // bob's merged PR in web, alice's in api: 1
		{"team=t&author=alice&period=day", 2, 2},            // 1, 4
	} {
		q := query(t, st, week+"&"+tc.params)
		answers := func(s *Service) ([]byte, *DurationMetric, *Throughput) {
			ct, err := s.CycleTime(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			tp, err := s.Throughput(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			devs, err := s.Developers(ctx, q, "login", "")
			if err != nil {
				t.Fatal(err)
			}
			out, _ := json.Marshal([]any{ct, tp, devs})
			return out, ct, tp
		}
		got, ct, tp := answers(fast)
		want, _, _ := answers(slow)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the rollup answers\n%s\nlinear_issues answer\n%s", tc.params, got, want)
		}
		if ct.Count != tc.cycle || tp.IssuesCompleted == nil || tp.IssuesCompleted.Total != tc.done {
			t.Errorf("%s: cycle time counts %d issues, issues_completed %+v; want %d and %d", tc.params, ct.Count, tp.IssuesCompleted, tc.cycle, tc.done)
		}
	}
}
