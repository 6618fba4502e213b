package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// The scenarios are set in the week of Monday 2026-03-02.
func ts(day, hour float64) time.Time {
	return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(((day-1)*24 + hour) * float64(time.Hour)))
}
func tp(day, hour float64) *time.Time { return scenario.Ptr(ts(day, hour)) }

// str renders an optional number for messages and comparisons.
func str(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func query(t *testing.T, st *store.Store, params string) Query {
	t.Helper()
	v, _ := url.ParseQuery(params)
	q, err := ParseQuery(context.Background(), st, v, time.Date(2026, 3, 20, 15, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatalf("ParseQuery(%s): %v", params, err)
	}
	return q
}

func TestPercentileIsPercentileCont(t *testing.T) {
	v := []int64{10, 20, 30, 40}
	for p, want := range map[float64]float64{0.5: 25, 0.75: 32.5, 0.9: 37, 0: 10, 1: 40} {
		if got := percentileSorted(v, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if got := percentileSorted([]int64{7}, 0.9); got != 7 {
		t.Errorf("single value p90 = %v", got)
	}
}

// TestRounding checks that hours round to 2 decimals and rates to 4, half
// away from zero on the exact value, where multiplying the nearest float
// would round ties the wrong way.
func TestRounding(t *testing.T) {
	for _, tc := range []struct {
		got  *float64
		want string
	}{
		{hours(522_000), "0.15"},    // 0.145 h
		{hours(3_618_000), "1.01"},  // 1.005 h
		{hours(3_599_999), "1"},     // 0.99999972 h
		{hours(1_800_000), "0.5"},   // exact
		{hours(17_999), "0"},        // 0.0049997 h
		{hours(18_000), "0.01"},     // 0.005 h
		{ratio(57, 800), "0.0713"},  // 0.07125
		{ratio(1, 3), "0.3333"},     // 0.33333…
		{ratio(2, 3), "0.6667"},     // 0.66666…
		{ratio(0, 5), "0"},          // none
		{round(-1.005, 2), "-1.01"}, // away from zero
		{round(4.9949, 2), "4.99"},
	} {
		if str(tc.got) != tc.want {
			t.Errorf("got %s, want %s", str(tc.got), tc.want)
		}
	}
	if ratio(1, 0) != nil {
		t.Error("a rate over no deployments must be null")
	}
}

func TestParseQuery(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	ctx := context.Background()
	today := time.Date(2026, 3, 20, 23, 59, 0, 0, time.UTC)
	parse := func(params string) (Query, error) {
		v, _ := url.ParseQuery(params)
		return ParseQuery(ctx, st, v, today)
	}
	q, err := parse("")
	if err != nil {
		t.Fatal(err)
	}
	if q.StartDate() != "2026-02-19" || q.EndDate() != "2026-03-20" || q.Days() != 30 || q.Period != Week {
		t.Errorf("defaults: %s..%s (%d days), %s", q.StartDate(), q.EndDate(), q.Days(), q.Period)
	}
	if !q.End.Equal(time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the end date is inclusive: End = %v", q.End)
	}
	q, _ = parse("end_date=2026-01-10")
	if q.StartDate() != "2025-12-12" {
		t.Errorf("start defaults to end − 29 days: %s", q.StartDate())
	}
	q, _ = parse("repo=ACME/web&author=Alice&period=month&include_trend=true")
	if q.RepoID != web || q.Author != "Alice" || q.Period != Month || !q.Trend {
		t.Errorf("filters: %+v", q)
	}
	for _, repo := range []string{"repo=acme/nope", "repo=web", "repo_id=999"} {
		if _, err := parse(repo); !errors.Is(err, ErrUnknownRepo) {
			t.Errorf("%s: %v, want an unknown repository (404)", repo, err)
		}
	}
	if _, err := parse("start_date=2000-01-01&end_date=2026-01-01"); err != nil {
		t.Errorf("26 years of history: %v", err)
	}
	for params, param := range map[string]string{
		"start_date=2026-03-10&end_date=2026-03-01": "start_date",
		"start_date=2026-3-1":                       "start_date",
		"end_date=yesterday":                        "end_date",
		"end_date=2026-02-30":                       "end_date",
		"period=year":                               "period",
		"include_trend=maybe":                       "include_trend",
		"repo_id=abc":                               "repo_id",
		"repo_id=-1":                                "repo_id",
		"start_date=1900-01-01&end_date=2026-01-01": "start_date",
	} {
		_, err := parse(params)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != param {
			t.Errorf("%s: error %v, want a ParamError naming %s", params, err, param)
		}
	}
	for _, params := range []string{"repo_id=999", "repo=acme/nope"} {
		if _, err := parse(params); !errors.Is(err, ErrUnknownRepo) {
			t.Errorf("%s: %v, want ErrUnknownRepo", params, err)
		}
	}
}

func TestBuckets(t *testing.T) {
	st := storetest.New(t)
	for _, tc := range []struct {
		params string
		want   []string
	}{
		{"start_date=2025-12-25&end_date=2026-01-10&period=week", []string{"2025-12-22", "2025-12-29", "2026-01-05"}},
		{"start_date=2025-11-15&end_date=2026-02-03&period=month", []string{"2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"}},
		{"start_date=2025-12-30&end_date=2026-01-02&period=day", []string{"2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02"}},
		{"start_date=2026-03-02&end_date=2026-03-02&period=week", []string{"2026-03-02"}},
		{"start_date=2026-03-08&end_date=2026-03-09&period=week", []string{"2026-03-02", "2026-03-09"}},
	} {
		q := query(t, st, tc.params)
		var got []string
		for _, b := range q.buckets() {
			got = append(got, b.Format(dateLayout))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: buckets %v, want %v", tc.params, got, tc.want)
		}
	}
}

// doraScenario is the worked example of docs/METRICS.md's DORA rules, in one
// repository, week of 2026-03-02. Lead times by hand:
//
//	P1 first commit Mar 1 10:00, deployed by sha with R1 Mar 2 10:30 → 24.5h
//	P2 no commits, created Mar 2 08:00, linked by time to R1         →  2.5h
//	P3 first commit Mar 3 00:00, linked by time to R2 Mar 4 11:00    → 35h
//	P5 revert, created Mar 4 09:00, linked by time to R2             →  2h
func doraScenario(t *testing.T, st *store.Store) (b *scenario.Builder, web, api int64) {
	b = scenario.New(t, st)
	web = b.Repo("acme/web")
	api = b.Repo("acme/api")
	deploy := b.Workflow(web, "Deploy", ".github/workflows/deploy.yml")
	// P0: merged before the first deployment (R0): neither linked nor undeployed.
	b.PullRequest(web, scenario.PR{Created: ts(-10, 0), Merged: tp(-9, 0), MergeSHA: "p0"})
	b.WorkflowRun(web, deploy, scenario.Run{SHA: "s0", Created: ts(-5, 0)})
	b.PullRequest(web, scenario.PR{Number: 1, Author: "alice", Commits: []time.Time{ts(1, 10), ts(1, 11)}, Created: ts(1, 12),
		Reviews: []scenario.Review{{Author: "bob", Submitted: tp(1, 14)}}, Merged: tp(2, 9), MergeSHA: "s1", Additions: 10})
	b.PullRequest(web, scenario.PR{Number: 2, Author: "bob", Created: ts(2, 8), Merged: tp(2, 9.5), MergeSHA: "zz"})
	b.WorkflowRun(web, deploy, scenario.Run{SHA: "s1", Created: ts(2, 10), Updated: ts(2, 10.5)})
	b.PullRequest(web, scenario.PR{Number: 3, Author: "alice", Commits: []time.Time{ts(3, 0)}, Created: ts(3, 6),
		Reviews: []scenario.Review{{Author: "carol", State: model.ReviewChangesRequested, Submitted: tp(3, 7)}},
		Merged:  tp(4, 9), MergeSHA: "s3"})
	b.PullRequest(web, scenario.PR{Number: 5, Author: "carol", Title: `Revert "Add cache"`, Created: ts(4, 9), Merged: tp(4, 9.5), MergeSHA: "r5"})
	b.WorkflowRun(web, deploy, scenario.Run{SHA: "s3x", Created: ts(4, 10), Updated: ts(4, 11)})
	// A failed deployment run is not a deployment.
	b.WorkflowRun(web, deploy, scenario.Run{SHA: "bad", Created: ts(5, 10), Updated: ts(5, 11), Conclusion: "failure"})
	// P4: merged after the last deployment: undeployed.
	b.PullRequest(web, scenario.PR{Number: 4, Author: "alice", Created: ts(5, 8), Merged: tp(5, 9), MergeSHA: "s4"})
	// P6: merged to another branch: not eligible, not undeployed.
	b.PullRequest(web, scenario.PR{Number: 6, Author: "alice", Base: "release", Created: ts(5, 8), Merged: tp(5, 9)})
	// An incident 1h after R2, resolved 3h later; one still open.
	b.Incident(web, "inc-1", ts(4, 12), tp(4, 15))
	b.Incident(0, "inc-2", ts(6, 12), nil)
	// The api repo deploys once; an incident of api's own.
	b.Deployment(api, "api-1", ts(3, 12), "a1")
	b.Issue(api, 1, []string{"incident"}, ts(3, 13), tp(3, 13.5))
	b.Derive()
	return b, web, api
}

func TestDORAScenario(t *testing.T) {
	st := storetest.New(t)
	_, web, _ := doraScenario(t, st)
	s := New(st, false)
	ctx := context.Background()
	q := query(t, st, fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&period=day&repo_id=%d", web))

	df, err := s.DeploymentFrequency(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if df.Total != 2 || len(df.Data) != 7 || df.Data[1].Count != 1 || df.Data[3].Count != 1 || df.Data[0].Count != 0 ||
		df.Average != 2.0/7 || df.PerDay != 2.0/7 || *df.Tier != High || df.Data[0].Date != "2026-03-01" {
		t.Errorf("deployment frequency: %+v tier %s", df, *df.Tier)
	}

	lt, err := s.LeadTime(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"count":            {fmt.Sprint(lt.Count), "4"},
		"median":           {str(lt.MedianHours), "13.5"},
		"average":          {str(lt.AverageHours), "16"},
		"p75":              {str(lt.P75Hours), "27.13"},
		"p90":              {str(lt.P90Hours), "31.85"},
		"undeployed":       {fmt.Sprint(lt.UndeployedCount), "1"},
		"coding":           {str(lt.Phases.CodingHours), "1"},
		"pickup":           {str(lt.Phases.PickupHours), "1.5"},
		"review":           {str(lt.Phases.ReviewHours), "22.5"},
		"deploy":           {str(lt.Phases.DeployHours), "1.5"},
		"tier":             {*lt.Tier, Elite},
		"Mar 2 median":     {str(lt.Data[1].MedianHours), "13.5"},
		"Mar 2 count":      {fmt.Sprint(lt.Data[1].Count), "2"},
		"Mar 4 median":     {str(lt.Data[3].MedianHours), "18.5"},
		"empty day median": {str(lt.Data[0].MedianHours), "null"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("lead time %s = %s, want %s", name, c[0], c[1])
		}
	}

	cfr, err := s.ChangeFailureRate(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if cfr.Deployments != 2 || cfr.FailedDeployments != 1 || str(cfr.Rate) != "0.5" || *cfr.Tier != Low ||
		str(cfr.Data[3].Rate) != "1" || str(cfr.Data[1].Rate) != "0" || str(cfr.Data[0].Rate) != "null" {
		t.Errorf("change failure rate: %+v", cfr)
	}

	rt, err := s.RecoveryTime(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// inc-1 is web's; inc-2 (no repo) is attributed to R2 of web, open.
	if rt.Count != 1 || rt.OpenIncidents != 1 || str(rt.MedianHours) != "3" || *rt.Tier != High || rt.Data[3].Count != 1 {
		t.Errorf("recovery time: %+v", rt)
	}

	rw, err := s.ReworkRate(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rw.Deployments != 2 || rw.ReworkDeployments != 1 || str(rw.Rate) != "0.5" || str(rw.Data[3].Rate) != "1" {
		t.Errorf("rework rate: %+v", rw)
	}

	// The aggregate answers exactly what the five endpoints answer.
	all, err := s.DORA(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{
		"deployment_frequency": {all.DeploymentFrequency, df}, "lead_time": {all.LeadTime, lt},
		"change_failure_rate": {all.ChangeFailureRate, cfr}, "recovery_time": {all.RecoveryTime, rt}, "rework_rate": {all.ReworkRate, rw},
	} {
		a, _ := json.Marshal(pair[0])
		b, _ := json.Marshal(pair[1])
		if string(a) != string(b) {
			t.Errorf("dora.%s differs from its own endpoint:\n%s\n%s", name, a, b)
		}
	}
}

func TestDORAFilters(t *testing.T) {
	st := storetest.New(t)
	_, web, api := doraScenario(t, st)
	s := New(st, false)
	ctx := context.Background()
	all := query(t, st, "start_date=2026-03-01&end_date=2026-03-07")
	df, _ := s.DeploymentFrequency(ctx, all)
	if df.Total != 3 {
		t.Errorf("all repos: %d deployments, want 3", df.Total)
	}
	apiQ := query(t, st, "start_date=2026-03-01&end_date=2026-03-07&repo=acme/api")
	cfr, _ := s.ChangeFailureRate(ctx, apiQ)
	if cfr.Deployments != 1 || cfr.FailedDeployments != 1 {
		t.Errorf("api: %+v; its GitHub incident is attributed to its own deployment only", cfr)
	}
	rt, _ := s.RecoveryTime(ctx, apiQ)
	if rt.Count != 1 || str(rt.MedianHours) != "0.5" || rt.OpenIncidents != 0 {
		t.Errorf("api recovery: %+v", rt)
	}
	lt, _ := s.LeadTime(ctx, apiQ)
	if lt.Count != 0 || lt.MedianHours != nil || lt.Tier != nil || lt.Phases.CodingHours != nil {
		t.Errorf("api has no PRs: lead time %+v should be empty with null durations", lt)
	}
	// Author restricts PR-based metrics only.
	alice := query(t, st, fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d&author=ALICE", web))
	lt, _ = s.LeadTime(ctx, alice)
	if lt.Count != 2 || str(lt.MedianHours) != "29.75" || lt.UndeployedCount != 1 {
		t.Errorf("alice's lead time: count %d median %s undeployed %d; want 2, 29.75, 1", lt.Count, str(lt.MedianHours), lt.UndeployedCount)
	}
	df, _ = s.DeploymentFrequency(ctx, alice)
	if df.Total != 2 {
		t.Errorf("author does not filter deployments: %d", df.Total)
	}
	_ = api
}

// TestRecoveryTimeRepoFilterKeepsLinkedLinearIncidents: under a repo
// filter, a Linear incident counts when it is attributed to one of the
// repo's deployments, or linked to one of its PRs.
func TestRecoveryTimeRepoFilterKeepsLinkedLinearIncidents(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web, api, ops := b.Repo("acme/web"), b.Repo("acme/api"), b.Repo("acme/ops")
	b.Deployment(web, "web-1", ts(2, 10), "w1")
	b.Deployment(api, "api-1", ts(3, 11), "a1") // the latest before the incident
	team := b.Team("ENG")
	b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: "ENG-9", Number: 9, Labels: []string{"Incident"},
		CreatedAt: ts(3, 12), StateType: "completed", CompletedAt: tp(3, 14)})
	// The fix, in web, names the incident.
	b.PullRequest(web, scenario.PR{Number: 7, Title: "Fix ENG-9: cache stampede", Created: ts(3, 12.5), Merged: tp(3, 13.5)})
	b.Derive()
	s := New(st, false)
	for _, tc := range []struct {
		params string
		want   int
	}{
		{"", 1},
		{"&repo=acme/api", 1}, // attributed to api's deployment
		{"&repo=acme/web", 1}, // linked to web's PR
		{"&repo=acme/ops", 0}, // neither
	} {
		rt, err := s.RecoveryTime(context.Background(), query(t, st, "start_date=2026-03-01&end_date=2026-03-07"+tc.params))
		if err != nil {
			t.Fatal(err)
		}
		if rt.Count != tc.want || (tc.want == 1 && str(rt.MedianHours) != "2") {
			t.Errorf("recovery time%s: count %d median %s, want %d", tc.params, rt.Count, str(rt.MedianHours), tc.want)
		}
	}
	_ = ops
}

func TestEmptyRangesAndTiers(t *testing.T) {
	st := storetest.New(t)
	s := New(st, false)
	ctx := context.Background()
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-31&period=week")
	m, err := s.DORA(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if m.DeploymentFrequency.Tier != nil || m.DeploymentFrequency.Total != 0 || len(m.DeploymentFrequency.Data) != 6 {
		t.Errorf("no deployments, no workflow: %+v", m.DeploymentFrequency)
	}
	if m.LeadTime.MedianHours != nil || m.LeadTime.AverageHours != nil || m.LeadTime.Tier != nil ||
		m.ChangeFailureRate.Rate != nil || m.ChangeFailureRate.Tier != nil || m.RecoveryTime.MedianHours != nil ||
		m.RecoveryTime.Tier != nil || m.ReworkRate.Rate != nil {
		t.Errorf("empty populations must give nulls, not zeros: %+v", m)
	}
	for _, p := range m.LeadTime.Data {
		if p.Count != 0 || p.MedianHours != nil {
			t.Errorf("empty bucket %+v", p)
		}
	}
	// The JSON says null, not 0.
	b, _ := json.Marshal(m.LeadTime)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	for _, f := range []string{"median_hours", "average_hours", "p75_hours", "p90_hours", "tier"} {
		if v, ok := raw[f]; !ok || v != nil {
			t.Errorf("lead_time.%s = %v (present %v), want null", f, v, ok)
		}
	}
	// A deployment workflow without deployments rates low.
	b2 := scenario.New(t, st)
	web := b2.Repo("acme/web")
	b2.Workflow(web, "Release", "release.yml")
	b2.Derive()
	df, _ := s.DeploymentFrequency(ctx, q)
	if df.Tier == nil || *df.Tier != Low {
		t.Errorf("with a deployment workflow, no deployments is tier low, got %v", df.Tier)
	}
	// A repo that deploys through the API only, quiet this month, rates
	// low too; a repo with neither deployments nor a workflow is unrated.
	cli := b2.Repo("acme/cli")
	b2.Repo("acme/docs")
	b2.Deployment(cli, "cli-1", time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC), "c1")
	b2.Derive()
	for repo, want := range map[string]string{"acme/cli": Low, "acme/docs": "null"} {
		df, err := s.DeploymentFrequency(ctx, query(t, st, "start_date=2026-03-01&end_date=2026-03-31&repo="+repo))
		if err != nil {
			t.Fatal(err)
		}
		if got := "null"; df.Tier != nil {
			got = *df.Tier
			if got != want {
				t.Errorf("%s: tier %s, want %s", repo, got, want)
			}
		} else if want != "null" {
			t.Errorf("%s: tier null, want %s", repo, want)
		}
	}
}

func TestFrequencyTiers(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	// 7 days: 1 deployment → 1/7 per day: high (≥ 1/7); 30 days, 1 → 1/30: medium.
	b.Deployment(web, "d1", ts(3, 12), "x")
	b.Derive()
	s := New(st, false)
	for params, want := range map[string]string{
		"start_date=2026-03-01&end_date=2026-03-07": High,
		"start_date=2026-02-06&end_date=2026-03-07": Medium,
		"start_date=2026-02-05&end_date=2026-03-07": Low,
		"start_date=2026-03-03&end_date=2026-03-03": Elite,
	} {
		df, err := s.DeploymentFrequency(context.Background(), query(t, st, params))
		if err != nil || df.Tier == nil || *df.Tier != want {
			t.Errorf("%s: tier %v (per_day %v), want %s", params, df.Tier, df.PerDay, want)
		}
	}
}

func TestTrend(t *testing.T) {
	for _, tc := range []struct {
		cur, prev *float64
		higher    bool
		change    string
		dir       string
	}{
		{floatPtr(10), floatPtr(20), false, "-50", Improving},
		{floatPtr(10), floatPtr(20), true, "-50", Worsening},
		{floatPtr(20.9), floatPtr(20), false, "4.5", Stable},
		// 4.9960 % rounds to 5 but is under 5 %: stable.
		{floatPtr(10.4996), floatPtr(10), false, "5", Stable},
		{floatPtr(10.5), floatPtr(10), false, "5", Worsening},
		{floatPtr(5), floatPtr(0), true, "null", Improving},
		{floatPtr(0), floatPtr(0), true, "null", Stable},
		{nil, floatPtr(3), false, "null", ""},
	} {
		tr := newTrend(tc.cur, tc.prev, tc.higher)
		dir := ""
		if tr.Direction != nil {
			dir = *tr.Direction
		}
		if str(tr.ChangePercent) != tc.change || dir != tc.dir {
			t.Errorf("trend(%s, %s) = %s %s, want %s %s", str(tc.cur), str(tc.prev), str(tr.ChangePercent), dir, tc.change, tc.dir)
		}
	}
	st := storetest.New(t)
	_, web, _ := doraScenario(t, st)
	s := New(st, false)
	// The week before has one deployment (R0): per day 1/7, then 2/7.
	q := query(t, st, fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d&include_trend=true", web))
	df, _ := s.DeploymentFrequency(context.Background(), q)
	if df.Trend == nil || *df.Trend.Previous != 1.0/7 || str(df.Trend.ChangePercent) != "100" || *df.Trend.Direction != Improving {
		t.Errorf("frequency trend %+v", df.Trend)
	}
	// Two weeks earlier there was nothing: previous 0, change undefined.
	q = query(t, st, fmt.Sprintf("start_date=2026-02-15&end_date=2026-02-28&repo_id=%d&include_trend=true", web))
	df, _ = s.DeploymentFrequency(context.Background(), q)
	if df.Trend == nil || str(df.Trend.Previous) != "0" || df.Trend.ChangePercent != nil || *df.Trend.Direction != Improving {
		t.Errorf("frequency trend from nothing %+v", df.Trend)
	}
	if p := q.Previous(); p.StartDate() != "2026-02-01" || p.EndDate() != "2026-02-14" {
		t.Errorf("previous range %s..%s", p.StartDate(), p.EndDate())
	}
}

// TestResultCache: an answer is reused while the data is unchanged, and
// recomputed after a derive changes it.
func TestResultCache(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.Deployment(web, "d1", ts(2, 12), "x")
	b.Derive()
	s := New(st, false)
	ctx := context.Background()
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-07")
	first, err := s.DeploymentFrequency(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.DeploymentFrequency(ctx, q)
	if again != first {
		t.Error("the unchanged data's answer was computed again")
	}
	if c := s.CacheStats(); c.Misses != 1 || c.Hits != 1 {
		t.Errorf("cache counts after one answer asked twice: %+v, want 1 miss and 1 hit", c)
	}
	b.Deployment(web, "d2", ts(3, 12), "y")
	b.Derive()
	after, _ := s.DeploymentFrequency(ctx, q)
	if after.Total != 2 || first.Total != 1 {
		t.Errorf("after a new deployment: total %d (first answer %d), want 2 (1)", after.Total, first.Total)
	}
	other, _ := s.DeploymentFrequency(ctx, query(t, st, "start_date=2026-03-03&end_date=2026-03-07"))
	if other.Total != 1 {
		t.Errorf("another range shares no answer: total %d, want 1", other.Total)
	}
}

// TestTrendReusesTheRange: an answer with the trend reads the range's own
// answer from the cache, as a request without the trend does, and leaves
// that shared answer without a trend.
func TestTrendReusesTheRange(t *testing.T) {
	st := storetest.New(t)
	_, web, _ := doraScenario(t, st)
	s := New(st, false)
	ctx := context.Background()
	plain := query(t, st, fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d", web))
	trended := plain
	trended.Trend = true

	d, err := s.DORA(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	before := s.CacheStats()
	dt, err := s.DORA(ctx, trended)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.CacheStats(); c.Hits != before.Hits+1 {
		t.Errorf("DORA with the trend: %d cache hits, want %d (the range's own answer)", c.Hits, before.Hits+1)
	}
	if dt.DeploymentFrequency.Trend == nil || dt.LeadTime.Trend == nil || dt.ChangeFailureRate.Trend == nil ||
		dt.RecoveryTime.Trend == nil || dt.ReworkRate.Trend == nil {
		t.Errorf("DORA with the trend lacks a trend: %+v", dt)
	}
	if dt.DeploymentFrequency.Total != d.DeploymentFrequency.Total || str(dt.LeadTime.MedianHours) != str(d.LeadTime.MedianHours) {
		t.Errorf("DORA with the trend: %+v, without: %+v", dt, d)
	}
	again, _ := s.DORA(ctx, plain)
	if again.DeploymentFrequency.Trend != nil || again.LeadTime.Trend != nil || again.ChangeFailureRate.Trend != nil ||
		again.RecoveryTime.Trend != nil || again.ReworkRate.Trend != nil {
		t.Errorf("the answer without the trend got one: %+v", again)
	}

	// A single metric, the other way round: the trend first, then the
	// range alone, answered from the cache.
	m, err := s.PRMergeTime(ctx, trended)
	if err != nil {
		t.Fatal(err)
	}
	before = s.CacheStats()
	alone, err := s.PRMergeTime(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.CacheStats(); c.Hits != before.Hits+1 || c.Misses != before.Misses {
		t.Errorf("merge time after its trend: %+v, want one more hit and no miss than %+v", c, before)
	}
	if m.Trend == nil || alone.Trend != nil || alone.Count != m.Count {
		t.Errorf("merge time with the trend %+v, without %+v", m, alone)
	}
}

// TestResultCacheCarriesUntouchedDays: after a derive, an answer read from
// the rollups alone stays cached when the derive rebuilt none of its days,
// and is computed again when it rebuilt one; an answer read from tables with
// a change counter (deployments, incidents) stays cached while they do not
// change, whatever its days, and is computed again after they do.
func TestResultCacheCarriesUntouchedDays(t *testing.T) {
	st := storetest.New(t)
	web, _ := devScenario(t, st) // PRs merged from March 2 to 5
	s := New(st, false)
	ctx := context.Background()
	early := query(t, st, "start_date=2026-03-01&end_date=2026-03-07&include_trend=true")
	late := query(t, st, "start_date=2026-03-18&end_date=2026-03-24")
	merge, _ := s.PRMergeTime(ctx, early)
	lateMerge, _ := s.PRMergeTime(ctx, late)
	deps, _ := s.DeploymentFrequency(ctx, early)
	recovery, _ := s.RecoveryTime(ctx, early)
	if merge == nil || merge.Count == 0 || lateMerge.Count != 0 {
		t.Fatalf("merge time before: %+v, %+v; want PRs early and none late", merge, lateMerge)
	}
	b := scenario.New(t, st)
	b.PullRequest(web, scenario.PR{Number: 40, Author: "alice", Created: ts(20, 8), Merged: tp(20, 10)})
	b.Derive()
	if again, _ := s.PRMergeTime(ctx, early); again != merge {
		t.Error("the early range's merge time was computed again, though the derive rebuilt none of its days")
	}
	if again, _ := s.PRMergeTime(ctx, late); again == lateMerge || again.Count != 1 {
		t.Errorf("the late range's merge time after a PR merged in it: %+v (the answer before: %p, now %p)", again, lateMerge, again)
	}
	if again, _ := s.DeploymentFrequency(ctx, early); again != deps {
		t.Error("the deployment frequency was computed again, though the derive changed no deployment")
	}
	if again, _ := s.RecoveryTime(ctx, early); again != recovery {
		t.Error("the recovery time was computed again, though the derive changed no incident")
	}
	if c := s.CacheStats(); c.Carried == 0 {
		t.Errorf("cache counts %+v: nothing carried", c)
	}
	// A deployment and an incident in the early range, and a PR merged in
	// the late one, in one derive.
	b.Deployment(web, "late-deploy", ts(3, 12), "feedbeef")
	b.Incident(web, "late-incident", ts(3, 13), tp(3, 15))
	b.PullRequest(web, scenario.PR{Number: 42, Author: "alice", Created: ts(21, 8), Merged: tp(21, 10)})
	b.Derive()
	if again, _ := s.DeploymentFrequency(ctx, early); again == deps || again.Total != deps.Total+1 {
		t.Errorf("after a deployment in the range: %d deployments (%d before; the answer before: %p, now %p)", again.Total, deps.Total, deps, again)
	}
	if again, _ := s.RecoveryTime(ctx, early); again == recovery || again.Count != recovery.Count+1 {
		t.Errorf("after an incident resolved in the range: %d incidents (%d before)", again.Count, recovery.Count)
	}
	// A PR merged in the range before the early one (its trend's).
	b.PullRequest(web, scenario.PR{Number: 41, Author: "alice", Created: ts(-3, 8), Merged: tp(-3, 10)})
	b.Derive()
	again, _ := s.PRMergeTime(ctx, early)
	fresh, _ := New(st, false).PRMergeTime(ctx, early)
	if again == merge || !reflect.DeepEqual(again, fresh) {
		t.Errorf("after a PR merged in the previous range, the trend's answer %+v; a fresh service's %+v", again, fresh)
	}
}

// TestResultCacheKeepsOneVersion: the cache holds the answers of the
// newest data version it has seen, drops the older version's answers that
// read anything but the rollups when a newer one arrives, and never lets an
// answer computed from an older version replace them.
func TestResultCacheKeepsOneVersion(t *testing.T) {
	c := newResultCache()
	t0 := time.Now()
	c.adopt("v1", t0, rollupMark{}, nil)
	c.put("a", "v1", 1, rollupDeps{})
	c.put("b", "v1", 2, rollupDeps{})
	if v, ok := c.get("a", "v1"); !ok || v != 1 {
		t.Fatalf("a at v1: %v %v, want 1", v, ok)
	}
	if _, ok := c.get("a", "v2"); ok {
		t.Error("a v1 answer was given for v2")
	}
	c.adopt("v2", t0.Add(time.Second), rollupMark{}, nil)
	if n := len(c.entries); n != 0 {
		t.Errorf("%d entries after v2 arrived, want 0 (v1's dropped)", n)
	}
	c.put("a", "v2", 3, rollupDeps{})
	// A slow request that read v1 before v2 arrived finishes now.
	c.adopt("v1", t0.Add(time.Second/2), rollupMark{}, nil)
	c.put("b", "v1", 4, rollupDeps{})
	if v, ok := c.get("a", "v2"); !ok || v != 3 {
		t.Errorf("a at v2 after a late v1 answer: %v %v, want 3", v, ok)
	}
	if _, ok := c.get("b", "v1"); ok {
		t.Error("a late v1 answer was kept")
	}
	for i := range cacheSize + 1 {
		c.put(fmt.Sprint("k", i), "v2", i, rollupDeps{})
	}
	if n := len(c.entries); n != cacheSize {
		t.Errorf("%d entries after %d answers, want the bound %d", n, cacheSize+2, cacheSize)
	}
	if _, ok := c.get("a", "v2"); ok {
		t.Error("the oldest answer outlived the bound")
	}
}

// TestDateText: a bucket's date text is its YYYY-MM-DD spelling, shared
// between the points of one date.
func TestDateText(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("x", -3600)),
	} {
		if got, want := dateText(at), at.Format("2006-01-02"); got != want {
			t.Errorf("dateText(%v) = %q, want %q", at, got, want)
		}
	}
	a, b := dateText(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)), dateText(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("two points of one date hold two strings")
	}
}

// TestBucketSQL: the database groups instants into the same buckets as Go.
func TestBucketSQL(t *testing.T) {
	st := storetest.New(t)
	for _, period := range []string{"day", "week", "month"} {
		q := query(t, st, "start_date=2025-11-20&end_date=2026-03-10&period="+period)
		ser := newSeries(q)
		for _, at := range []time.Time{
			time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 28, 23, 59, 59, 999e6, time.UTC),
			time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 4, 23, 0, 0, 0, time.UTC),
			time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2026, 3, 10, 23, 59, 59, 0, time.UTC),
		} {
			var got int64
			if err := st.DB().QueryRow(`SELECT `+ser.bucketSQL("x")+` FROM (SELECT CAST($1 AS BIGINT) AS x) t`, store.MS(at)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := q.Period.bucketStart(at); got != store.MS(want) {
				t.Errorf("%s bucket of %v: SQL says %v, Go %v", period, at, store.FromMS(got), want)
			}
		}
	}
}
