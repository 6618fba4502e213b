package telemetry_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/github"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
	"github.com/veelocity/veelocity/internal/telemetry"
)

// env is the real server with telemetry over a fresh database.
type env struct {
	t   *testing.T
	st  *store.Store
	tel *telemetry.Telemetry
	api *api.API
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: storetest.New(t), tel: telemetry.New()}
	log := slog.New(slog.DiscardHandler)
	der := derive.New(e.st, derive.OptionsFrom(cfg), log)
	e.tel.WatchDORA(telemetry.DORASource{Metrics: metrics.New(e.st, false), Store: e.st, Log: log})
	e.api = api.New(api.Deps{Store: e.st, Config: cfg, Log: log, Derive: func(ctx context.Context) error {
		_, err := der.Run(ctx, derive.Incremental)
		return err
	}})
	t.Cleanup(e.api.Close)
	e.srv = httptest.NewServer(server.Handler(server.Options{API: e.api, Log: log, Telemetry: e.tel}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) do(method, path, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape GETs /metrics and returns its samples by series ("name{labels}").
func (e *env) scrape() map[string]float64 {
	e.t.Helper()
	status, body := e.do(http.MethodGet, "/metrics", "")
	if status != http.StatusOK {
		e.t.Fatalf("GET /metrics: %d %s", status, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestHTTPRequestsCountedByRoutePattern(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/api/v1/github/prs/123", "/api/v1/github/prs/456", "/api/v1/health", "/no/such/page"} {
		e.do(http.MethodGet, path, "")
	}
	e.do("BREW", "/api/v1/health", "")
	got := e.scrape()
	for series, want := range map[string]float64{
		`veelocity_http_requests_total{code="404",method="GET",route="/api/v1/github/prs/{id}"}`:      2,
		`veelocity_http_requests_total{code="200",method="GET",route="/api/v1/health"}`:               1,
		`veelocity_http_requests_total{code="404",method="GET",route="/"}`:                            1,
		`veelocity_http_requests_total{code="405",method="OTHER",route="/api/v1/health"}`:             1,
		`veelocity_http_request_duration_seconds_count{method="GET",route="/api/v1/github/prs/{id}"}`: 2,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
	for series := range got {
		if strings.Contains(series, "/prs/123") || strings.Contains(series, "/no/such") {
			t.Errorf("a raw path became a label: %s", series)
		}
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("the Go runtime's metrics are missing")
	}
}

// TestDORAGaugesMatchTheAPI records deployments and incidents, and checks
// that the gauges per repository and overall equal what the metrics API
// answers for the same 30 days.
func TestDORAGaugesMatchTheAPI(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	for i, d := range []struct {
		repo string
		ago  time.Duration
	}{{"acme/web", 72 * time.Hour}, {"acme/web", 48 * time.Hour}, {"acme/api", 24 * time.Hour}, {"acme/web", 40 * 24 * time.Hour}} {
		body := fmt.Sprintf(`{"external_id":"dep-%d","repo":%q,"deployed_at":%q,"environment":"production"}`, i, d.repo, at(d.ago))
		if status, out := e.do(http.MethodPost, "/api/v1/deployments", body); status != 201 {
			t.Fatalf("POST deployment: %d %s", status, out)
		}
	}
	body := fmt.Sprintf(`{"external_id":"inc-1","repo":"acme/web","opened_at":%q,"resolved_at":%q}`, at(47*time.Hour), at(45*time.Hour))
	if status, out := e.do(http.MethodPost, "/api/v1/incidents", body); status != 201 {
		t.Fatalf("POST incident: %d %s", status, out)
	}
	ctx := context.Background()
	if err := e.api.WaitDerived(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.tel.RefreshDORA(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.scrape()
	for _, repo := range []string{"all", "acme/web", "acme/api"} {
		path := "/api/v1/metrics/dora"
		if repo != "all" {
			path += "?repo=" + repo
		}
		status, raw := e.do(http.MethodGet, path, "")
		var dora metrics.DORA
		if err := json.Unmarshal([]byte(raw), &dora); status != 200 || err != nil {
			t.Fatalf("GET %s: %d %s", path, status, raw)
		}
		label := `{repo="` + repo + `"}`
		if v, want := got["veelocity_dora_deployments"+label], float64(dora.DeploymentFrequency.Total); v != want || want == 0 {
			t.Errorf("%s deployments: gauge %v, API %v", repo, v, want)
		}
		checkRate := func(name string, api *float64, scale float64) {
			v, ok := got[name+label]
			switch {
			case api == nil && ok:
				t.Errorf("%s %s: gauge %v where the API has no value", repo, name, v)
			case api != nil && (!ok || v != *api*scale):
				t.Errorf("%s %s: gauge %v (present %t), API %v", repo, name, v, ok, *api*scale)
			}
		}
		checkRate("veelocity_dora_change_failure_rate", dora.ChangeFailureRate.Rate, 1)
		checkRate("veelocity_dora_rework_rate", dora.ReworkRate.Rate, 1)
		checkRate("veelocity_dora_lead_time_median_seconds", dora.LeadTime.MedianHours, 3600)
		checkRate("veelocity_dora_recovery_median_seconds", dora.RecoveryTime.MedianHours, 3600)
	}
	// The API calls above computed answers through the same service.
	if got[`veelocity_metrics_cache_lookups_total{result="miss"}`] == 0 {
		t.Errorf("the metrics cache counted no miss: %v", got[`veelocity_metrics_cache_lookups_total{result="miss"}`])
	}
	if got[`veelocity_dora_deployments{repo="all"}`] != 3 || got[`veelocity_dora_deployments{repo="acme/web"}`] != 2 {
		t.Errorf("deployments in 30 days: all %v, acme/web %v; want 3 and 2 (one is 40 days old)",
			got[`veelocity_dora_deployments{repo="all"}`], got[`veelocity_dora_deployments{repo="acme/web"}`])
	}
	if got[`veelocity_dora_change_failure_rate{repo="acme/web"}`] != 0.5 {
		t.Errorf("acme/web change failure rate %v, want 0.5", got[`veelocity_dora_change_failure_rate{repo="acme/web"}`])
	}
	if got[`veelocity_derive_duration_seconds_count{result="ok"}`] != 0 {
		// The test's derive is not observed; serve's is (cli.observedDerive).
		t.Errorf("unexpected derive observations")
	}
}

// TestSyncMetrics runs syncs through an engine that reports to the
// telemetry, with the real GitHub client against the fake: runs, requests,
// rate-limit budget and retries appear per source.
func TestSyncMetrics(t *testing.T) {
	e := newEnv(t)
	f := githubfake.New(githubfake.Options{})
	t.Cleanup(f.Close)
	repo := f.AddRepo(&githubfake.Repo{Owner: "acme", Name: "web"})
	merged := time.Now().UTC().Add(-3 * time.Hour)
	f.AddPullRequest(repo, &githubfake.PullRequest{Title: "Fix checkout", State: githubfake.Merged, Author: githubfake.User("octocat"),
		HeadRef: "fix", HeadSHA: strings.Repeat("a", 40), MergeCommitSHA: strings.Repeat("b", 40),
		CreatedAt: merged.Add(-5 * time.Hour), UpdatedAt: merged, MergedAt: &merged, ClosedAt: &merged,
		Commits: []*githubfake.Commit{{SHA: strings.Repeat("a", 40), Message: "Fix checkout", AuthorLogin: "octocat",
			AuthoredAt: merged.Add(-6 * time.Hour), CommittedAt: merged.Add(-6 * time.Hour)}}})
	f.Inject(githubfake.Fault{Kind: githubfake.ServerError})
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	f.Configure(cfg)
	client := github.NewClient(github.ClientOptions{RESTURL: cfg.GitHubAPIURL, GraphQLURL: cfg.GitHubGraphQLURL, Token: cfg.GitHubToken,
		Options: httpapi.Options{Sleep: func(context.Context, time.Duration) error { return nil }}})
	gh := github.NewConnector(github.Deps{Config: cfg, Store: e.st, Client: client})
	e.tel.WatchClient("github", gh)
	failing := &synctest.Connector{Source: "linear", SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		rep.Requests(2)
		return fmt.Errorf("linear is down")
	}}
	eng := syncer.New(syncer.Options{Store: e.st, Connectors: []syncer.Connector{gh, failing}, Log: slog.New(slog.DiscardHandler),
		OnSourceEnd: e.tel.SourceEnded})
	t.Cleanup(eng.Close)
	if _, err := eng.Run(context.Background(), syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerCLI}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for path, body := range map[string]string{
		"/api/v1/deployments": fmt.Sprintf(`{"external_id":"d1","repo":"acme/web","deployed_at":%q,"environment":"production","head_sha":%q}`,
			now.Add(-time.Hour).Format(time.RFC3339), strings.Repeat("b", 40)),
		"/api/v1/incidents": fmt.Sprintf(`{"external_id":"i1","repo":"acme/web","opened_at":%q,"resolved_at":%q}`,
			now.Add(-50*time.Minute).Format(time.RFC3339), now.Add(-20*time.Minute).Format(time.RFC3339)),
	} {
		if status, out := e.do(http.MethodPost, path, body); status != 201 {
			t.Fatalf("POST %s: %d %s", path, status, out)
		}
	}
	if err := e.api.WaitDerived(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.scrape()
	// The Grafana dashboard in docs/ reads only series the scrape has.
	dashboard, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for series := range got {
		name, _, _ := strings.Cut(series, "{")
		names[name] = true
	}
	used := regexp.MustCompile(`veelocity_[a-z_]*[a-z]`).FindAllString(string(dashboard), -1)
	if len(used) < 5 {
		t.Fatalf("the dashboard reads only %v", used)
	}
	for _, name := range used {
		if !names[name] {
			t.Errorf("the dashboard reads %s, which the scrape does not have", name)
		}
	}
	for series, want := range map[string]float64{
		`veelocity_sync_runs_total{source="github",status="success",trigger="cli"}`: 1,
		`veelocity_sync_runs_total{source="linear",status="failed",trigger="cli"}`:  1,
		`veelocity_sync_requests_total{source="linear"}`:                            2,
		`veelocity_sync_duration_seconds_count{source="github"}`:                    1,
		`veelocity_sync_retries_total{source="github"}`:                             1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
	if n := got[`veelocity_sync_requests_total{source="github"}`]; n < 2 {
		t.Errorf("github requests %v, want at least the failed one and its retry", n)
	}
	remaining, ok := got[`veelocity_sync_rate_limit_remaining{bucket="graphql",source="github"}`]
	if fakeLeft, _ := f.RateLimit("graphql"); !ok || remaining != float64(fakeLeft) {
		t.Errorf("graphql budget: gauge %v (present %t), the fake says %d left", remaining, ok, fakeLeft)
	}
}
