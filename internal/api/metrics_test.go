package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func newMetricsServer(t *testing.T) (*httptest.Server, *scenario.Builder) {
	t.Helper()
	st := storetest.New(t)
	cfg, _ := config.Parse(func(string) (string, bool) { return "", false })
	a := api.New(api.Deps{Store: st, Config: cfg, Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC) }})
	srv := httptest.NewServer(server.Handler(server.Options{API: a, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv, scenario.New(t, st)
}

func getMetric(t *testing.T, srv *httptest.Server, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", path, b)
	}
	return resp.StatusCode, v
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// TestMetricFields checks that every metric endpoint answers exactly the
// fields METRICS.md names.
func TestMetricFields(t *testing.T) {
	srv, b := newMetricsServer(t)
	web := b.Repo("acme/web")
	b.Deployment(web, "d1", time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), "x")
	b.Derive()
	durations := []string{"average_hours", "median_hours", "p75_hours", "p90_hours"}
	want := map[string][]string{
		"dora/deployment-frequency":  {"average", "data", "per_day", "tier", "total"},
		"dora/lead-time":             append([]string{"count", "data", "phases", "tier", "undeployed_count"}, durations...),
		"dora/change-failure-rate":   {"data", "deployments", "failed_deployments", "rate", "tier"},
		"dora/recovery-time":         append([]string{"count", "data", "open_incidents", "tier"}, durations...),
		"dora/rework-rate":           {"data", "deployments", "rate", "rework_deployments"},
		"development/pr-review-time": append([]string{"count", "data"}, durations...),
		"development/pr-merge-time":  append([]string{"count", "data"}, durations...),
		"development/cycle-time":     append([]string{"count", "data"}, durations...),
		"development/throughput":     {"average", "data", "total"},
	}
	for path, fields := range want {
		status, v := getMetric(t, srv, "/api/v1/metrics/"+path)
		slices.Sort(fields)
		if status != 200 || !slices.Equal(keys(v), fields) {
			t.Errorf("%s: %d %v, want fields %v", path, status, keys(v), fields)
		}
		_, v = getMetric(t, srv, "/api/v1/metrics/"+path+"?include_trend=true")
		tr, ok := v["trend"].(map[string]any)
		if !ok || !slices.Equal(keys(tr), []string{"change_percent", "direction", "previous"}) {
			t.Errorf("%s?include_trend=true: trend %v", path, v["trend"])
		}
	}
	_, lt := getMetric(t, srv, "/api/v1/metrics/dora/lead-time")
	if phases := lt["phases"].(map[string]any); !slices.Equal(keys(phases), []string{"coding_hours", "deploy_hours", "pickup_hours", "review_hours"}) {
		t.Errorf("phases %v", keys(phases))
	}
	_, all := getMetric(t, srv, "/api/v1/metrics/dora")
	if !slices.Equal(keys(all), []string{"change_failure_rate", "deployment_frequency", "lead_time", "recovery_time", "rework_rate"}) {
		t.Errorf("dora: %v", keys(all))
	}
	_, dev := getMetric(t, srv, "/api/v1/metrics/development")
	if !slices.Equal(keys(dev), []string{"cycle_time", "pr_merge_time", "pr_review_time", "throughput"}) {
		t.Errorf("development: %v", keys(dev))
	}
	// Default range: the 30 days ending today (2026-03-07), weekly buckets
	// labelled by their Monday.
	_, df := getMetric(t, srv, "/api/v1/metrics/dora/deployment-frequency")
	data := df["data"].([]any)
	if first := data[0].(map[string]any)["date"]; first != "2026-02-02" || df["total"] != 1.0 || len(data) != 5 {
		t.Errorf("default range: first bucket %v, total %v, %d buckets", first, df["total"], len(data))
	}
}

func TestMetricErrors(t *testing.T) {
	srv, b := newMetricsServer(t)
	b.Repo("acme/web")
	for _, tc := range []struct {
		query  string
		status int
		param  string
	}{
		{"start_date=2026-03-10&end_date=2026-03-01", 400, "start_date"},
		{"start_date=03/01/2026", 400, "start_date"},
		{"end_date=2026-13-01", 400, "end_date"},
		{"period=quarter", 400, "period"},
		{"include_trend=yes%20please", 400, "include_trend"},
		{"repo_id=x", 400, "repo_id"},
		{"repo_id=42", 404, "repository not found: repo_id 42"},
		{"repo=acme/missing", 404, "repository not found: repo acme/missing"},
		{"repo=web", 404, `repository not found: repo "web" (a repository is named owner/name)`},
	} {
		for _, path := range []string{"dora", "dora/lead-time", "development/throughput"} {
			status, v := getMetric(t, srv, "/api/v1/metrics/"+path+"?"+tc.query)
			msg, _ := v["error"].(string)
			if status != tc.status || msg == "" || !strings.HasPrefix(msg, tc.param) || len(v) != 1 {
				t.Errorf("%s?%s: %d %v, want %d naming %q", path, tc.query, status, v, tc.status, tc.param)
			}
		}
	}
}

func TestDevelopersEndpoint(t *testing.T) {
	srv, b := newMetricsServer(t)
	web := b.Repo("acme/web")
	b.PullRequest(web, scenario.PR{Author: "alice", Created: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Merged: scenario.Ptr(time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC))})
	b.PullRequest(web, scenario.PR{Author: "renovate[bot]", Created: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Merged: scenario.Ptr(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))})
	b.Derive()
	status, v := getMetric(t, srv, "/api/v1/metrics/developers?sort=median_merge_hours&order=asc")
	rows, _ := v["data"].([]any)
	if status != 200 || len(rows) != 1 {
		t.Fatalf("developers: %d %v", status, v)
	}
	row := rows[0].(map[string]any)
	if row["login"] != "alice" || row["merged_prs"] != 1.0 || row["median_merge_hours"] != 5.0 {
		t.Errorf("row %v", row)
	}
	if status, v := getMetric(t, srv, "/api/v1/metrics/developers?sort=nope"); status != 400 || !strings.HasPrefix(v["error"].(string), "sort") {
		t.Errorf("bad sort: %d %v", status, v)
	}
}
