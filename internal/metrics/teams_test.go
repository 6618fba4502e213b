package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// defineTeams adds the teams the team scenarios use: carol is in two
// teams (and spelled in another case in one); norepos has members but no
// repository; nobody has a repository but no member.
func defineTeams(t *testing.T, b *scenario.Builder) {
	b.DefineTeam("web", []string{"alice", "Carol"}, []string{"acme/web"})
	b.DefineTeam("platform", []string{"bob", "carol"}, []string{"ACME/api"})
	b.DefineTeam("norepos", []string{"alice"}, nil)
	b.DefineTeam("nobody", nil, []string{"acme/web"})
}

// TestTeamPRMetrics: PR-based metrics count members' PRs; cycle time and
// issues_completed count issues with a merged linked PR by a member; team
// intersects with repo and author (the numbers are devScenario's).
func TestTeamPRMetrics(t *testing.T) {
	st := storetest.New(t)
	devScenario(t, st)
	defineTeams(t, scenario.New(t, st))
	s := New(st, false)
	ctx := context.Background()
	week := "start_date=2026-03-01&end_date=2026-03-07&period=day"
	for _, tc := range []struct {
		name, params string
		metric       func(context.Context, Query) (*DurationMetric, error)
		count        int
		median       string
	}{
		{"merge time, web (A 4h, C 48h)", week + "&team=web", s.PRMergeTime, 2, "26"},
		{"merge time, platform (B 24h)", week + "&team=platform", s.PRMergeTime, 1, "24"},
		{"review time, web (A 2h, E 24h: carol's)", week + "&team=web", s.PRReviewTime, 2, "13"},
		{"review time, platform (B 6h, E 24h: carol in two teams)", week + "&team=platform", s.PRReviewTime, 2, "15"},
		{"merge time, web and repo api", week + "&team=web&repo=acme/api", s.PRMergeTime, 1, "48"},
		{"merge time, web and author bob (not a member)", week + "&team=web&author=bob", s.PRMergeTime, 0, "null"},
		{"merge time, platform and author bob", week + "&team=platform&author=BOB", s.PRMergeTime, 1, "24"},
		{"merge time, a team without members", week + "&team=nobody", s.PRMergeTime, 0, "null"},
		{"merge time, team without repositories still has its members' PRs", week + "&team=norepos", s.PRMergeTime, 2, "26"},
		{"cycle time, web (ENG-1: A and C by alice)", week + "&team=web", s.CycleTime, 1, "108"},
		{"cycle time, platform (ENG-2: B by bob)", week + "&team=platform", s.CycleTime, 1, "48"},
		{"cycle time, web and repo api", week + "&team=web&repo=acme/api", s.CycleTime, 1, "108"},
		{"cycle time, platform and repo api", week + "&team=platform&repo=acme/api", s.CycleTime, 0, "null"},
	} {
		m, err := tc.metric(ctx, query(t, st, tc.params))
		if err != nil {
			t.Fatal(err)
		}
		if m.Count != tc.count || str(m.MedianHours) != tc.median {
			t.Errorf("%s: count %d median %s, want %d and %s", tc.name, m.Count, str(m.MedianHours), tc.count, tc.median)
		}
	}
	for _, tc := range []struct {
		params         string
		merged, issues int
	}{
		{week + "&team=web", 2, 1},
		{week + "&team=platform", 1, 1},
		{week + "&team=nobody", 0, 0},
		{week + "&team=platform&author=carol", 0, 0},
	} {
		th, err := s.Throughput(ctx, query(t, st, tc.params))
		if err != nil {
			t.Fatal(err)
		}
		if th.Total != tc.merged || th.IssuesCompleted == nil || th.IssuesCompleted.Total != tc.issues {
			t.Errorf("%s: throughput %d, issues %+v; want %d and %d", tc.params, th.Total, th.IssuesCompleted, tc.merged, tc.issues)
		}
	}
	devs, err := s.Developers(ctx, query(t, st, week+"&team=platform"), "login", "")
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, d := range devs.Data {
		logins = append(logins, d.Login)
	}
	if fmt.Sprint(logins) != "[bob carol]" {
		t.Errorf("developers of platform: %v, want [bob carol]", logins)
	}
}

// TestTeamDeploymentMetrics: deployment-based metrics and recovery count
// the team's repositories (the numbers are doraScenario's).
func TestTeamDeploymentMetrics(t *testing.T) {
	st := storetest.New(t)
	b, _, _ := doraScenario(t, st)
	defineTeams(t, b)
	s := New(st, false)
	ctx := context.Background()
	week := "start_date=2026-03-01&end_date=2026-03-07&period=day"
	for _, tc := range []struct {
		params                  string
		deploys, failed, rework int
		tier                    string
		recovered, open         int
		leadCount               int
	}{
		// web: R1, R2 (inc-1 and inc-2 attributed to R2; P5 a revert
		// shipped by R2); lead time of alice's and carol's PRs P1, P3, P5.
		{week + "&team=web", 2, 1, 1, High, 1, 1, 3},
		// platform: api-1 (1 in 7 days: high), failed by api's own incident
		// an hour later; bob's P2 and carol's P5 (both web) in lead time.
		{week + "&team=platform", 1, 1, 0, High, 1, 0, 2},
		{week + "&team=norepos", 0, 0, 0, "null", 0, 0, 2},
		{week + "&team=web&repo=acme/api", 0, 0, 0, "null", 0, 0, 0},
		{week + "&team=platform&author=bob", 1, 1, 0, High, 1, 0, 1},
	} {
		m, err := s.DORA(ctx, query(t, st, tc.params))
		if err != nil {
			t.Fatal(err)
		}
		tier := "null"
		if m.DeploymentFrequency.Tier != nil {
			tier = *m.DeploymentFrequency.Tier
		}
		got := fmt.Sprintln(m.DeploymentFrequency.Total, m.ChangeFailureRate.FailedDeployments, m.ReworkRate.ReworkDeployments, tier,
			m.RecoveryTime.Count, m.RecoveryTime.OpenIncidents, m.LeadTime.Count)
		want := fmt.Sprintln(tc.deploys, tc.failed, tc.rework, tc.tier, tc.recovered, tc.open, tc.leadCount)
		if got != want {
			t.Errorf("%s: deployments, failed, rework, tier, recovered, open, lead-time count = %s, want %s", tc.params, got, want)
		}
	}
}

// TestTeamParam: an unknown team is a 404 naming it; slugs are
// case-insensitive; an edit changes the next answer at once, cache or not.
func TestTeamParam(t *testing.T) {
	st := storetest.New(t)
	devScenario(t, st)
	b := scenario.New(t, st)
	defineTeams(t, b)
	ctx := context.Background()
	today := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	v := url.Values{"team": {"ghosts"}}
	if _, err := ParseQuery(ctx, st, v, today); !errors.Is(err, ErrUnknownTeam) || err.Error() != "unknown team: team ghosts" {
		t.Errorf("unknown team: %v, want ErrUnknownTeam naming ghosts", err)
	}
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-07&team=WEB")
	if q.Team == nil || q.Team.Slug != "web" || fmt.Sprint(q.Team.Members) != "[alice carol]" || len(q.Team.RepoIDs) != 1 {
		t.Fatalf("team=WEB resolved to %+v", q.Team)
	}
	s := New(st, false)
	params := "start_date=2026-03-01&end_date=2026-03-07&team=web"
	before, err := s.PRMergeTime(ctx, query(t, st, params))
	if err != nil {
		t.Fatal(err)
	}
	b.DefineTeam("web", []string{"bob"}, []string{"acme/web"})
	after, err := s.PRMergeTime(ctx, query(t, st, params))
	if err != nil {
		t.Fatal(err)
	}
	if before.Count != 2 || after.Count != 1 {
		t.Errorf("merge time before and after the edit: %d and %d, want 2 and 1", before.Count, after.Count)
	}
	// Deleting a team: the next query is a 404.
	if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteTeam(ctx, "web") }); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseQuery(ctx, st, url.Values{"team": {"web"}}, today); !errors.Is(err, ErrUnknownTeam) {
		t.Errorf("a deleted team: %v, want ErrUnknownTeam", err)
	}
}
