package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// reportFixture stores a small dataset and returns its database URL.
func reportFixture(t *testing.T) (string, *httptest.Server) {
	url := storetest.URL(t)
	st := storetest.Open(t, url)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	deploy := b.Workflow(web, "Deploy", "deploy.yml")
	day := func(d int, h float64) time.Time {
		return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC).Add(time.Duration(h * float64(time.Hour)))
	}
	b.WorkflowRun(web, deploy, scenario.Run{SHA: "a", Created: day(1, 0)})
	b.PullRequest(web, scenario.PR{Author: "alice", Commits: []time.Time{day(2, 0)}, Created: day(2, 2), Merged: scenario.Ptr(day(2, 6)),
		MergeSHA: "m1", Reviews: []scenario.Review{{Author: "bob", Submitted: scenario.Ptr(day(2, 3))}}})
	b.WorkflowRun(web, deploy, scenario.Run{SHA: "b", Created: day(2, 7), Updated: day(2, 8)})
	b.Incident(web, "pager-1", day(2, 9), scenario.Ptr(day(2, 10)))
	b.DefineTeam("web-team", []string{"alice"}, []string{"acme/web"})
	b.DefineTeam("reviewers", []string{"bob"}, nil)
	b.Derive()
	cfg, _ := config.Parse(func(string) (string, bool) { return "", false })
	srv := httptest.NewServer(server.Handler(server.Options{
		API: api.New(api.Deps{Store: st, Config: cfg, Log: slog.New(slog.DiscardHandler)}), Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return url, srv
}

func TestReportFormats(t *testing.T) {
	url, srv := reportFixture(t)
	dir := t.TempDir()
	rng := []string{"--database", url, "--start-date", "2026-03-01", "--end-date", "2026-03-07"}

	code, out, stderr := runCLI(t, dir, append([]string{"report"}, rng...)...)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"2026-03-01 to 2026-03-07 (7 days), all repositories", "Deployment frequency",
		"2.0 per week (2)", "Lead time for changes", "8.0 hours (median)", "elite", "Change failure rate",
		"50.0% (1 of 2)", "Time to restore service", "1.0 hours", "PR review time", "Throughput", "1 PRs merged"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCLI(t, dir, append([]string{"report", "--format", "markdown", "--repo", "ACME/web"}, rng...)...)
	if code != 0 || !strings.HasPrefix(out, "### Veelocity report: 2026-03-01 to 2026-03-07 (7 days), ACME/web") ||
		!strings.Contains(out, "| Metric | Value | Tier |") || !strings.Contains(out, "| Change failure rate | 50.0% (1 of 2) | low |") {
		t.Errorf("markdown: exit %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, dir, append([]string{"report", "--format", "json"}, rng...)...)
	var got map[string]json.RawMessage
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	for key, path := range map[string]string{"dora": "/api/v1/metrics/dora", "development": "/api/v1/metrics/development"} {
		resp, err := srv.Client().Get(srv.URL + path + "?start_date=2026-03-01&end_date=2026-03-07&include_trend=true")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !jsonSame(t, got[key], body) {
			t.Errorf("report's %s differs from GET %s:\n%s\n%s", key, path, got[key], body)
		}
	}
}

func jsonSame(t *testing.T, a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestReportBadArguments(t *testing.T) {
	url, _ := reportFixture(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--start-date", "2026-13-01"}, "--start-date"},
		{[]string{"--start-date", "2026-03-10", "--end-date", "2026-03-01"}, "--start-date"},
		{[]string{"--end-date", "tomorrow"}, "--end-date"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--repo", "acme/nope"}, "--repo"},
		{[]string{"--repo", "nope"}, "--repo"},
		{[]string{"--team", "ghosts"}, "--team"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, out, stderr := runCLI(t, t.TempDir(), append([]string{"report", "--database", url}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %s", tc.args, code, out, stderr, tc.want)
		}
	}
}

// TestReportTeam: --team scopes the report: a team's PRs and deployments,
// and none for a team without repositories or PRs.
func TestReportTeam(t *testing.T) {
	url, _ := reportFixture(t)
	rng := []string{"--database", url, "--start-date", "2026-03-01", "--end-date", "2026-03-07", "--format", "json"}
	for _, tc := range []struct {
		team           string
		deploys, prs   float64
		scopeSubstring string
	}{
		{"web-team", 2, 1, "team web-team"},
		{"reviewers", 0, 0, "team reviewers"},
	} {
		code, out, stderr := runCLI(t, t.TempDir(), append([]string{"report", "--team", tc.team}, rng...)...)
		if code != 0 {
			t.Fatalf("--team %s: exit %d: %s", tc.team, code, stderr)
		}
		var r struct {
			DORA struct {
				DeploymentFrequency struct{ Total float64 } `json:"deployment_frequency"`
			} `json:"dora"`
			Development struct {
				Throughput struct{ Total float64 } `json:"throughput"`
			} `json:"development"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("--team %s: %v\n%s", tc.team, err, out)
		}
		if r.DORA.DeploymentFrequency.Total != tc.deploys || r.Development.Throughput.Total != tc.prs {
			t.Errorf("--team %s: deployments %v, merged PRs %v; want %v, %v", tc.team,
				r.DORA.DeploymentFrequency.Total, r.Development.Throughput.Total, tc.deploys, tc.prs)
		}
		_, table, _ := runCLI(t, t.TempDir(), append([]string{"report", "--team", tc.team}, rng[:len(rng)-2]...)...)
		if !strings.Contains(table, tc.scopeSubstring) {
			t.Errorf("--team %s: the title does not name the team:\n%s", tc.team, table)
		}
	}
}
