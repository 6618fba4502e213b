package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
)

const syncPlantedToken = "ghp_syncPlantedToken0123456789abcdef"

// syncEnv is the real server with a sync engine over test connectors.
type syncEnv struct {
	t      *testing.T
	store  *store.Store
	engine *syncer.Engine
	srv    *httptest.Server
}

func newSyncEnv(t *testing.T, vars map[string]string, conns ...syncer.Connector) *syncEnv {
	t.Helper()
	cfg, err := config.Parse(func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	log := slog.New(slog.DiscardHandler)
	var eng *syncer.Engine
	if conns != nil {
		eng = syncer.New(syncer.Options{Store: st, Connectors: conns, Log: log,
			Secrets: []string{cfg.GitHubToken.Reveal(), cfg.LinearAPIKey.Reveal()}})
		t.Cleanup(eng.Close)
	}
	a := api.New(api.Deps{Store: st, Config: cfg, Log: log, Sync: eng})
	srv := httptest.NewServer(server.Handler(server.Options{API: a, Log: log}))
	t.Cleanup(srv.Close)
	return &syncEnv{t: t, store: st, engine: eng, srv: srv}
}

func (e *syncEnv) do(method, path string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

// statusJSON is the part of GET /connectors/status the tests read.
type statusJSON struct {
	Running bool `json:"running"`
	Sync    *struct {
		Running bool `json:"running"`
		Mode    string
		Sources []struct {
			Source        string           `json:"source"`
			Status        string           `json:"status"`
			Scope         string           `json:"scope"`
			RecordsByKind map[string]int64 `json:"records_by_kind"`
			Requests      int64            `json:"requests"`
		} `json:"sources"`
	} `json:"sync"`
	Sources []struct {
		Source     string `json:"source"`
		Configured bool   `json:"configured"`
		Reason     string `json:"reason"`
		LastRun    *struct {
			Status      string  `json:"status"`
			Kind        string  `json:"kind"`
			TriggeredBy string  `json:"triggered_by"`
			StartedAt   string  `json:"started_at"`
			FinishedAt  *string `json:"finished_at"`
			Records     int64   `json:"records"`
			Error       string  `json:"error"`
		} `json:"last_run"`
		LastSuccessAt *string          `json:"last_success_at"`
		LastError     string           `json:"last_error"`
		Counts        map[string]int64 `json:"counts"`
		Scopes        []struct {
			Scope         string  `json:"scope"`
			LastSuccessAt *string `json:"last_success_at"`
			LastError     string  `json:"last_error"`
		} `json:"scopes"`
	} `json:"sources"`
}

func (e *syncEnv) status() (statusJSON, string) {
	e.t.Helper()
	code, body := e.do(http.MethodGet, "/api/v1/connectors/status")
	var s statusJSON
	if err := json.Unmarshal([]byte(body), &s); code != http.StatusOK || err != nil {
		e.t.Fatalf("status: %d %s (%v)", code, body, err)
	}
	if len(s.Sources) != 4 || s.Sources[0].Source != "github" || s.Sources[1].Source != "actions" || s.Sources[2].Source != "linear" ||
		s.Sources[3].Source != "pagerduty" {
		e.t.Fatalf("status sources: %s", body)
	}
	return s, body
}

func TestSyncAPI(t *testing.T) {
	vars := map[string]string{"GITHUB_TOKEN": syncPlantedToken, "GITHUB_REPOS": "acme/web"}
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var st *store.Store
	github := &synctest.Connector{Source: "github", SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		if err := synctest.Repos(st, 5, "acme/web")(ctx, mode, rep); err != nil {
			return err
		}
		entered <- struct{}{}
		<-release
		return nil
	}}
	actions := &synctest.Connector{Source: "actions", SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		// A connector that carelessly records the token in its scope state
		// and its error.
		st.MarkSyncFailed(ctx, "actions", "acme/web", "401 with token "+syncPlantedToken)
		return errors.New("GET /repos/acme/web/actions/runs: 401 Bad credentials (Authorization: Bearer " + syncPlantedToken + ")")
	}}
	linear := &synctest.Connector{Source: "linear", NotConfigured: "LINEAR_API_KEY is not set"}
	e := newSyncEnv(t, vars, github, actions, linear)
	st = e.store

	// Bad input is refused and starts nothing.
	code, body := e.do(http.MethodPost, "/api/v1/connectors/sync?source=gitlab")
	if code != http.StatusBadRequest || !strings.HasPrefix(body, `{"error":"source: unknown source \"gitlab\"`) {
		t.Errorf("unknown source: %d %s", code, body)
	}
	code, body = e.do(http.MethodPost, "/api/v1/connectors/sync?source=linear")
	if code != http.StatusConflict || !strings.Contains(body, "LINEAR_API_KEY is not set") {
		t.Errorf("not-configured source: %d %s", code, body)
	}
	code, body = e.do(http.MethodGet, "/api/v1/connectors/sync")
	if code != http.StatusMethodNotAllowed {
		t.Errorf("GET sync: %d %s", code, body)
	}
	if e.engine.Running() {
		t.Fatal("a refused request started a sync")
	}

	// A full sync starts in the background: the answer comes while the
	// connector is still blocked.
	code, body = e.do(http.MethodPost, "/api/v1/connectors/sync")
	var started struct {
		Status, Mode string
		Sources      []string
		Skipped      map[string]string
	}
	if err := json.Unmarshal([]byte(body), &started); err != nil || code != http.StatusAccepted || started.Status != "started" ||
		started.Mode != "full" || strings.Join(started.Sources, ",") != "github,actions" || started.Skipped["linear"] != "LINEAR_API_KEY is not set" {
		t.Fatalf("POST sync: %d %s", code, body)
	}
	<-entered

	// A second one is refused while it runs.
	for _, path := range []string{"/api/v1/connectors/sync/recent", "/api/v1/connectors/sync", "/api/v1/connectors/sync/recent?source=github"} {
		code, body = e.do(http.MethodPost, path)
		if code != http.StatusConflict || !strings.HasPrefix(body, `{"error":"a sync is already running (started `) {
			t.Errorf("POST %s while running: %d %s", path, code, body)
		}
	}

	// The status shows the live progress.
	s, _ := e.status()
	if !s.Running || s.Sync == nil || !s.Sync.Running || s.Sync.Mode != "full" {
		t.Fatalf("live status: %+v", s)
	}
	gh := s.Sync.Sources[0]
	if gh.Source != "github" || gh.Status != "running" || gh.Scope != "acme/web" || gh.RecordsByKind["pull_requests"] != 5 || gh.Requests != 1 {
		t.Errorf("live github progress %+v", gh)
	}
	if g := s.Sources[0]; !g.Configured || g.LastRun == nil || g.LastRun.Status != "running" || g.LastRun.TriggeredBy != "api" {
		t.Errorf("github while running: %+v", g)
	}

	close(release)
	if _, err := e.engine.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, raw := e.status()
	if strings.Contains(raw, syncPlantedToken) {
		t.Fatalf("the status leaks the token: %s", raw)
	}
	if s.Running || s.Sync == nil || s.Sync.Running {
		t.Errorf("finished status still running: %s", raw)
	}
	g, a, l := s.Sources[0], s.Sources[1], s.Sources[2]
	if g.LastRun == nil || g.LastRun.Status != "success" || g.LastRun.Kind != "full" || g.LastRun.FinishedAt == nil ||
		g.LastRun.Records != 6 || g.LastSuccessAt == nil || g.LastError != "" {
		t.Errorf("github: %s", raw)
	}
	if g.Counts["repositories"] != 1 || g.Counts["pull_requests"] != 5 || g.Counts["reviews"] != 0 {
		t.Errorf("github counts %v", g.Counts)
	}
	if len(g.Scopes) != 1 || g.Scopes[0].Scope != "acme/web" || g.Scopes[0].LastSuccessAt == nil {
		t.Errorf("github scopes %+v", g.Scopes)
	}
	if a.LastRun == nil || a.LastRun.Status != "failed" || !strings.Contains(a.LastRun.Error, "401 Bad credentials") ||
		!strings.Contains(a.LastError, "401 Bad credentials") {
		t.Errorf("actions: %s", raw)
	}
	if len(a.Scopes) != 1 || a.Scopes[0].LastError != "401 with token [redacted]" {
		t.Errorf("actions scopes %+v", a.Scopes)
	}
	if _, ok := a.Counts["workflow_runs"]; !ok {
		t.Errorf("actions counts %v", a.Counts)
	}
	if l.Configured || l.Reason != "LINEAR_API_KEY is not set" || l.LastRun != nil || l.Counts["issues"] != 0 {
		t.Errorf("linear: %+v", l)
	}

	// Once finished, the next one starts.
	code, body = e.do(http.MethodPost, "/api/v1/connectors/sync/recent?source=actions")
	if code != http.StatusAccepted || !strings.Contains(body, `"mode":"recent"`) || !strings.Contains(body, `"sources":["actions"]`) {
		t.Errorf("second sync: %d %s", code, body)
	}
	e.engine.Wait(context.Background())
}

func TestSyncAPIWithNothingConfigured(t *testing.T) {
	e := newSyncEnv(t, nil,
		&synctest.Connector{Source: "github", NotConfigured: "GITHUB_TOKEN and GITHUB_REPOS are not set"},
		&synctest.Connector{Source: "actions", NotConfigured: "GITHUB_TOKEN and GITHUB_REPOS are not set"},
		&synctest.Connector{Source: "linear", NotConfigured: "LINEAR_API_KEY is not set"})
	code, body := e.do(http.MethodPost, "/api/v1/connectors/sync/recent")
	if code != http.StatusConflict || !strings.Contains(body, "no source is configured") || !strings.Contains(body, "GITHUB_TOKEN") ||
		!strings.Contains(body, "LINEAR_API_KEY") {
		t.Errorf("POST with nothing configured: %d %s", code, body)
	}
	s, raw := e.status()
	if s.Running || s.Sync != nil {
		t.Errorf("status: %s", raw)
	}
	for _, src := range s.Sources {
		if src.Configured || src.Reason == "" || src.LastRun != nil || src.Counts == nil || src.Scopes == nil {
			t.Errorf("%s: %s", src.Source, raw)
		}
	}
}

func TestSyncAPIWithoutAnEngine(t *testing.T) {
	e := newSyncEnv(t, map[string]string{"LINEAR_API_KEY": "lin_api_somethingsomething"})
	code, body := e.do(http.MethodPost, "/api/v1/connectors/sync")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not available") {
		t.Errorf("POST without an engine: %d %s", code, body)
	}
	s, _ := e.status()
	if s.Sources[0].Configured || s.Sources[0].Reason != "GITHUB_TOKEN and GITHUB_REPOS are not set" || !s.Sources[2].Configured {
		t.Errorf("configured from the config: %+v", s.Sources)
	}
	if s.Sources[3].Configured ||
		s.Sources[3].Reason != "PAGERDUTY_API_KEY and PAGERDUTY_SERVICES are not set" {
		t.Errorf("the PagerDuty source in the status: %+v", s.Sources)
	}
}

func TestSyncRoutesInOpenAPI(t *testing.T) {
	e := newSyncEnv(t, nil)
	_, body := e.do(http.MethodGet, "/openapi.json")
	var doc struct {
		Paths map[string]map[string]struct {
			Summary    string
			Parameters []struct{ Name string }
			Responses  map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/connectors/sync", "/api/v1/connectors/sync/recent"} {
		op, ok := doc.Paths[path]["post"]
		if !ok || op.Summary == "" || len(op.Parameters) != 1 || op.Parameters[0].Name != "source" || op.Responses["202"] == nil {
			t.Errorf("%s in OpenAPI: %+v", path, op)
		}
	}
	if op, ok := doc.Paths["/api/v1/connectors/status"]["get"]; !ok || op.Summary == "" {
		t.Errorf("status in OpenAPI: %+v", op)
	}
}
