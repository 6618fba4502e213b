package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzServe runs one request through the real handler and returns the
// status and the error message of a refusal. It fails t when the answer is
// not JSON or a refusal has no message.
func fuzzServe(t *testing.T, h http.Handler, req *http.Request) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q: %s", req.Method, req.URL, ct, rec.Body)
	}
	if rec.Code < 400 {
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: %d with invalid JSON %s", req.Method, req.URL, rec.Code, rec.Body)
		}
		return rec.Code, ""
	}
	var msg struct{ Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil || msg.Error == "" {
		t.Fatalf("%s %s: %d without an error message: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
	return rec.Code, msg.Error
}

// namesOne reports whether an error message starts with "NAME: " for one of
// names.
func namesOne(msg string, names []string) bool {
	name, _, ok := strings.Cut(msg, ": ")
	for _, n := range names {
		if ok && name == n {
			return true
		}
	}
	return false
}

// fuzzGetPaths are the GET endpoints with query parameters.
var fuzzGetPaths = []string{
	"/api/v1/metrics/dora", "/api/v1/metrics/dora/lead-time", "/api/v1/metrics/development/throughput",
	"/api/v1/metrics/developers", "/api/v1/github/repos", "/api/v1/github/repos/1/prs", "/api/v1/linear/issues",
	"/api/v1/linear/teams", "/api/v1/actions/deployments", "/api/v1/actions/workflows",
}

// fuzzParams are every query parameter a GET endpoint reads; a 400 must
// name one of them.
var fuzzParams = []string{"start_date", "end_date", "period", "repo_id", "repo", "author", "include_trend", "page", "limit",
	"sort", "order", "state", "state_type", "source", "team", "merged_from", "merged_to", "completed_from", "completed_to", "id"}

// FuzzQueryParams sends any query string to the metric and list endpoints
// (metrics.ParseQuery, page and limit, the list filters) through the real
// handler and store. None may answer 5xx; a refusal is a 400 naming the
// parameter, or a 404 for a repository or team that does not exist.
// testdata/fuzz/FuzzQueryParams holds the seed corpus the normal test run
// replays.
func FuzzQueryParams(f *testing.F) {
	for i := range fuzzGetPaths {
		f.Add(uint8(i), "")
		f.Add(uint8(i), "page=2&limit=100")
		f.Add(uint8(i), "start_date=2026-01-01&end_date=2026-03-31&period=month&repo=acme/web")
	}
	for _, s := range []string{"page=0", "limit=101", "limit=-1", "page=99999999999999999999", "repo_id=abc", "repo=nobody/none",
		"sort=merged_at&order=asc", "state=merged", "state_type=completed", "merged_from=2026-01-01&merged_to=2025-01-01",
		"start_date=2026-02-30", "period=hour", "include_trend=yes", "source=api", "team=ENG", "order=sideways", "%zz=1"} {
		f.Add(uint8(0), s)
		f.Add(uint8(4), s)
		f.Add(uint8(6), s)
	}
	e := newRecordEnv(f)
	seedDataGitHub(e)
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		path := fuzzGetPaths[int(which)%len(fuzzGetPaths)]
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.URL.RawQuery = raw
		status, msg := fuzzServe(t, h, req)
		switch {
		case status == http.StatusOK:
		case status == http.StatusBadRequest && namesOne(msg, fuzzParams):
		case status == http.StatusNotFound && (strings.Contains(msg, "repo") || strings.Contains(msg, "team")):
		default:
			t.Fatalf("GET %s?%s: %d %q, want 200, a 400 naming a parameter or a 404 naming the repository or team", path, raw, status, msg)
		}
	})
}

// fuzzPost checks one POST of body to path: 201 or 200, or a 4xx naming one
// of fields, the body as a whole, or the unknown field it holds.
func fuzzPost(f *testing.F, path string, fields []string, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	e := newRecordEnv(f)
	seedDataGitHub(e)
	h := e.srv.Config.Handler
	names := append([]string{"body"}, fields...)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		status, msg := fuzzServe(t, h, req)
		switch {
		case status == http.StatusOK || status == http.StatusCreated:
		case status >= 400 && status < 500 && (namesOne(msg, names) || strings.HasSuffix(msg, ": is not a known field")):
		default:
			t.Fatalf("POST %s %q: %d %q, want 200/201 or a 4xx naming the field", path, body, status, msg)
		}
	})
}

// FuzzPostDeployment sends any body to POST /api/v1/deployments through the
// real handler and store. testdata/fuzz/FuzzPostDeployment holds the seed
// corpus the normal test run replays.
func FuzzPostDeployment(f *testing.F) {
	fuzzPost(f, "/api/v1/deployments",
		[]string{"external_id", "repo", "deployed_at", "head_sha", "environment", "url"},
		[]string{
			`{"external_id":"d1","repo":"acme/web","deployed_at":"2026-03-31T10:00:00Z","head_sha":"abc123","environment":"prod","url":"https://ci.example/1"}`,
			`{"external_id":"d1","repo":"acme/web","deployed_at":"2026-03-31T10:00:00+02:00"}`,
			`{"external_id":"","repo":"acme/web","deployed_at":"2026-03-31T10:00:00Z"}`,
			`{"external_id":"d2","repo":"acme","deployed_at":"2026-03-31T10:00:00Z"}`,
			`{"external_id":"d3","repo":"acme/web","deployed_at":"2099-01-01T00:00:00Z"}`,
			`{"external_id":"d4","repo":"acme/web","deployed_at":"yesterday"}`,
			`{"external_id":"d5","repo":"acme/web","deployed_at":"2026-03-31T10:00:00Z","url":"javascript:alert(1)"}`,
			`{"external_id":"d6","repo":"acme/web","deployed_at":"2026-03-31T10:00:00Z","head_sha":"not hex"}`,
			`{"external_id":7}`, `{"extra":1}`, `[]`, `null`, ``, `{`, `{} {}`, `"x"`,
		})
}

// FuzzPostIncident sends any body to POST /api/v1/incidents through the
// real handler and store. testdata/fuzz/FuzzPostIncident holds the seed
// corpus the normal test run replays.
func FuzzPostIncident(f *testing.F) {
	fuzzPost(f, "/api/v1/incidents",
		[]string{"external_id", "title", "repo", "opened_at", "resolved_at", "url"},
		[]string{
			`{"external_id":"i1","title":"Down","repo":"acme/web","opened_at":"2026-03-31T10:00:00Z","resolved_at":"2026-03-31T11:00:00Z","url":"https://pager.example/1"}`,
			`{"external_id":"i2","opened_at":"2026-03-31T10:00:00Z"}`,
			`{"external_id":"i3","opened_at":"2026-03-31T10:00:00Z","resolved_at":"2026-03-30T10:00:00Z"}`,
			`{"external_id":"i4","opened_at":"0000-01-01T00:00:00Z"}`,
			`{"external_id":"i5","opened_at":"2026-03-31T10:00:00Z","repo":"a/b/c"}`,
			`{"external_id":"i6","opened_at":"2026-03-31T10:00:00Z","title":"` + strings.Repeat("x", 1001) + `"}`,
			`{"external_id":["x"]}`, `{"opened_at":null}`, `[]`, `null`, ``, `{}`, `{"external_id":"\u0000"}`,
		})
}
