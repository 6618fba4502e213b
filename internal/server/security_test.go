package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
)

// Every state-changing route refuses a cross-site request from a browser
// (Sec-Fetch-Site: cross-site, and a foreign Origin), in every AUTH_MODE
// and even with a valid token, and nothing is stored and no sync starts.
// The same request from the site's own pages goes through.
func TestCrossSiteRequestsChangeNothing(t *testing.T) {
	for _, mode := range []string{config.AuthNone, config.AuthPassword} {
		t.Run(mode, func(t *testing.T) {
			s := newSecureSite(t, mode, nil)
			tables := []string{"deployments", "incidents", "api_tokens", "sessions", "sync_runs"}
			before := map[string]string{}
			for _, tb := range tables {
				before[tb] = s.count(t, tb)
			}
			walked := 0
			for _, rt := range s.routes(t) {
				if !stateChanging(rt.method) {
					continue
				}
				walked++
				for name, h := range map[string]map[string]string{
					"Sec-Fetch-Site: cross-site": {"Sec-Fetch-Site": "cross-site"},
					"foreign Origin":             {"Origin": "https://evil.example"},
				} {
					h["Content-Type"] = "application/json"
					if s.rw != "" {
						h["Authorization"] = "Bearer " + s.rw
					}
					body := `{"external_id":"x1","repo":"acme/web","deployed_at":"2026-03-01T10:00:00Z","opened_at":"2026-03-01T10:00:00Z","name":"evil","password":"` + testPassword + `"}`
					got := s.do(t, nil, request{method: rt.method, path: rt.path, header: h, body: body})
					if got.status != http.StatusForbidden {
						t.Errorf("%s with %s: status %d, want 403 (%s)", rt.pattern, name, got.status, got.body)
					}
				}
			}
			if walked < 6 {
				t.Fatalf("only %d state-changing routes walked", walked)
			}
			for _, tb := range tables {
				if after := s.count(t, tb); after != before[tb] {
					t.Errorf("%s went from %s to %s rows after cross-site requests", tb, before[tb], after)
				}
			}
			if n := s.syncs.Load(); n != 0 || s.eng.Running() {
				t.Errorf("cross-site requests started %d syncs", n)
			}
			// The control: the same requests from the site's own pages.
			h := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": s.URL, "Content-Type": "application/json"}
			if s.rw != "" {
				h["Authorization"] = "Bearer " + s.rw
			}
			got := s.do(t, nil, request{method: "POST", path: "/api/v1/deployments", header: h,
				body: `{"external_id":"x1","repo":"acme/web","deployed_at":"2026-03-01T10:00:00Z"}`})
			if got.status != http.StatusCreated || s.count(t, "deployments") == before["deployments"] {
				t.Errorf("a same-origin POST /api/v1/deployments: %d %s", got.status, got.body)
			}
			if got := s.do(t, nil, request{method: "POST", path: "/api/v1/connectors/sync/recent", header: h}); got.status != http.StatusAccepted {
				t.Errorf("a same-origin sync: %d %s", got.status, got.body)
			}
			if _, err := s.eng.Wait(t.Context()); err != nil || s.syncs.Load() != 1 {
				t.Errorf("the same-origin sync ran %d times: %v", s.syncs.Load(), err)
			}
			t.Logf("%d state-changing routes refused cross-site requests", walked)
		})
	}
}

// JSON endpoints refuse a body that is not application/json with 415,
// except routes that take their own content types (AnyBody).
func TestJSONEndpointsRefuseOtherBodies(t *testing.T) {
	s := newSecureSite(t, config.AuthPassword, nil)
	n := 0
	for _, rt := range s.opts.API.Routes() {
		if !stateChanging(rt.Method) || rt.AnyBody {
			continue
		}
		n++
		path := pathParam.ReplaceAllString(rt.Pattern, "1")
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
			got := s.do(t, nil, request{method: rt.Method, path: path, body: `{"external_id":"x"}`,
				header: map[string]string{"Content-Type": ct, "Authorization": "Bearer " + s.rw}})
			if got.status != http.StatusUnsupportedMediaType || !strings.Contains(got.body, `"error"`) {
				t.Errorf("%s %s with Content-Type %q: %d %s, want 415", rt.Method, rt.Pattern, ct, got.status, got.body)
			}
		}
	}
	if n < 4 {
		t.Fatalf("only %d JSON routes walked", n)
	}
	if c := s.count(t, "deployments") + s.count(t, "incidents"); c != "00" {
		t.Errorf("415s stored records: %s", c)
	}
}

// With AUTH_MODE on, only the health check, the JSON welcome, the sign-in
// flow, static files and signature-checked routes are open. Everything else
// answers an API client 401 with WWW-Authenticate: Bearer, and sends a
// browser to sign-in, coming back to the page it asked for. A read-write
// token opens every route; a read-only one gets 403 on every
// state-changing route.
func TestRoutesNeedCredentials(t *testing.T) {
	s := newSecureSite(t, config.AuthPassword, nil)
	open := map[string]bool{}
	for _, rt := range s.routes(t) {
		if rt.access != api.Private {
			open[rt.pattern] = true
		}
		h := map[string]string{"Accept": "application/json"}
		if rt.method != "GET" {
			h["Content-Type"] = "application/json"
		}
		got := s.do(t, nil, request{method: rt.method, path: rt.path, header: h, body: "{}"})
		if rt.access != api.Private {
			if got.status == http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != "" {
				t.Errorf("%s is %s but asked for credentials: %d", rt.pattern, rt.access, got.status)
			}
			continue
		}
		if rt.pattern == "GET /" {
			continue // the JSON welcome is open; its page is checked below
		}
		var e struct{ Error string }
		if got.status != http.StatusUnauthorized || json.Unmarshal([]byte(got.body), &e) != nil || e.Error == "" ||
			!strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s without credentials: %d %q %s; want 401 with an error and WWW-Authenticate: Bearer", rt.pattern, got.status, got.header.Get("WWW-Authenticate"), got.body)
		}
		if rt.method == "GET" && !strings.HasPrefix(rt.path, "/api/") && rt.path != "/openapi.json" && rt.path != "/metrics" {
			asked := rt.path + "?start_date=2026-01-01&format=html"
			page := s.do(t, nil, request{method: "GET", path: asked, header: map[string]string{"Accept": "text/html"}})
			if loc := page.header.Get("Location"); page.status != http.StatusSeeOther || loc != "/auth/sign-in?next="+url.QueryEscape(asked) {
				t.Errorf("page %s without credentials: %d to %q; want 303 to sign-in and back", asked, page.status, loc)
			}
		}
		// A token opens it; a read-only token only for reading.
		h["Authorization"] = "Bearer " + s.rw
		if got := s.do(t, nil, request{method: rt.method, path: rt.path, header: h, body: "{}"}); got.status == 401 || got.status == 403 {
			t.Errorf("%s with a read-write token: %d %s", rt.pattern, got.status, got.body)
		}
		h["Authorization"] = "Bearer " + s.ro
		got = s.do(t, nil, request{method: rt.method, path: rt.path, header: h, body: "{}"})
		if stateChanging(rt.method) && got.status != http.StatusForbidden {
			t.Errorf("%s with a read-only token: %d, want 403", rt.pattern, got.status)
		}
		if !stateChanging(rt.method) && (got.status == 401 || got.status == 403) {
			t.Errorf("%s with a read-only token: %d", rt.pattern, got.status)
		}
		h["Authorization"] = "Bearer vlc_revoked-or-made-up"
		if got := s.do(t, nil, request{method: rt.method, path: rt.path, header: h, body: "{}"}); got.status != 401 {
			t.Errorf("%s with an unknown token: %d, want 401", rt.pattern, got.status)
		}
	}
	for _, want := range []string{"GET /api/v1/health", "GET /static/", "GET /auth/sign-in", "POST /auth/sign-in", "GET /auth/github", "GET /auth/github/callback"} {
		if !open[want] {
			t.Errorf("%s should be open", want)
		}
	}
	// Exactly these are open: anything else must be marked on purpose.
	for p := range open {
		if !strings.HasPrefix(p, "GET /api/v1/health") && !strings.HasPrefix(p, "GET /static/") && !strings.Contains(p, " /auth/") &&
			!strings.Contains(p, "/webhooks/") {
			t.Errorf("%s is open without credentials: is that meant?", p)
		}
	}
	welcome := s.do(t, nil, request{method: "GET", path: "/", header: map[string]string{"Accept": "application/json"}})
	if welcome.status != 200 || !strings.Contains(welcome.body, "Welcome to Veelocity") {
		t.Errorf("the JSON welcome: %d %s", welcome.status, welcome.body)
	}
	home := s.do(t, nil, request{method: "GET", path: "/", header: map[string]string{"Accept": "text/html"}})
	if home.status != http.StatusSeeOther || home.header.Get("Location") != "/auth/sign-in?next=%2F" {
		t.Errorf("the dashboard at / without credentials: %d to %q", home.status, home.header.Get("Location"))
	}
	csv := s.do(t, nil, request{method: "GET", path: "/dora?format=csv&table=lead-time"})
	if csv.status != http.StatusUnauthorized {
		t.Errorf("a CSV download without credentials: %d", csv.status)
	}
}

// /openapi.json tells clients which routes need credentials: bearer or
// session by default, none for the open ones.
func TestOpenAPIDescribesCredentials(t *testing.T) {
	s := newSecureSite(t, config.AuthPassword, nil)
	got := s.do(t, nil, request{method: "GET", path: "/openapi.json", header: map[string]string{"Authorization": "Bearer " + s.ro}})
	var doc struct {
		Security   []map[string][]string
		Components struct{ SecuritySchemes map[string]any }
		Paths      map[string]map[string]struct {
			Security  *[]any
			Responses map[string]any
		}
	}
	if err := json.Unmarshal([]byte(got.body), &doc); err != nil || got.status != 200 {
		t.Fatalf("GET /openapi.json with a token: %d %v", got.status, err)
	}
	if len(doc.Security) != 2 || doc.Components.SecuritySchemes["bearerAuth"] == nil {
		t.Fatalf("no global security: %v", doc.Security)
	}
	for _, rt := range s.opts.API.Routes() {
		// OpenAPI writes a ServeMux wildcard {name...} as {name}.
		op := doc.Paths[strings.ReplaceAll(rt.Pattern, "...}", "}")][strings.ToLower(rt.Method)]
		open := op.Security != nil && len(*op.Security) == 0
		if open != (rt.Access != api.Private) || (rt.Access == api.Private) != (op.Responses["401"] != nil) {
			t.Errorf("%s %s is %s, but the description says open=%v", rt.Method, rt.Pattern, rt.Access, open)
		}
	}
}
