package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

func TestTeamsCRUD(t *testing.T) {
	e := newRecordEnv(t)
	seedDataGitHub(e)
	var team model.Team
	status := e.postRecord("/api/v1/teams", `{"slug": "web-team", "name": "Web", "members": ["Alice", "bob", "alice"],
		"repositories": ["ACME/web", "acme/not-synced"]}`, &team)
	if status != http.StatusCreated || team.Slug != "web-team" || team.Source != "manual" ||
		strings.Join(team.Members, ",") != "alice,bob" || strings.Join(team.Repositories, ",") != "acme/not-synced,acme/web" {
		t.Fatalf("POST: %d %+v", status, team)
	}
	// A second POST of the slug is a conflict; PUT replaces.
	if status, body := e.do("POST", "/api/v1/teams", `{"slug": "Web-Team"}`); status != http.StatusBadRequest {
		t.Errorf("upper-case slug: %d %s, want 400", status, body)
	}
	if status, body := e.do("POST", "/api/v1/teams", `{"slug": "web-team"}`); status != http.StatusConflict {
		t.Errorf("POST of a taken slug: %d %s, want 409", status, body)
	}
	status = e.postRecordMethod("PUT", "/api/v1/teams/web-team", `{"name": "Web", "members": ["carol"]}`, &team)
	if status != http.StatusOK || strings.Join(team.Members, ",") != "carol" || len(team.Repositories) != 0 {
		t.Errorf("PUT: %d %+v", status, team)
	}
	var list struct{ Data []model.Team }
	e.getJSON("/api/v1/teams", &list)
	if len(list.Data) != 1 || list.Data[0].Slug != "web-team" {
		t.Errorf("GET /teams: %+v", list)
	}
	e.getJSON("/api/v1/teams/WEB-TEAM", &team)
	if team.Slug != "web-team" {
		t.Errorf("GET by slug, case-insensitive: %+v", team)
	}
	if status, _ := e.do("DELETE", "/api/v1/teams/web-team", ""); status != http.StatusOK {
		t.Errorf("DELETE: %d", status)
	}
	status, body := e.do("GET", "/api/v1/teams/web-team", "")
	if status != http.StatusNotFound || !strings.Contains(string(body), "web-team") {
		t.Errorf("GET after DELETE: %d %s, want 404 naming the team", status, body)
	}
}

func TestTeamsValidation(t *testing.T) {
	e := newRecordEnv(t)
	for _, tc := range []struct {
		method, path, body, field string
		status                    int
	}{
		{"POST", "/api/v1/teams", `{"name": "x"}`, "slug", 400},
		{"POST", "/api/v1/teams", `{"slug": "acme/web"}`, "slug", 400}, // a slash is kept for GitHub teams
		{"POST", "/api/v1/teams", `{"slug": "a", "members": ["not a login"]}`, "members", 400},
		{"POST", "/api/v1/teams", `{"slug": "a", "members": "alice"}`, "members", 400},
		{"POST", "/api/v1/teams", `{"slug": "a", "repositories": ["web"]}`, "repositories", 400},
		{"POST", "/api/v1/teams", `{"slug": "a", "colour": "red"}`, "colour", 400},
		{"PUT", "/api/v1/teams/a", `{"slug": "b"}`, "slug", 400},
		{"PUT", "/api/v1/teams/a", `{"members": [1]}`, "members", 400},
		{"DELETE", "/api/v1/teams/ghosts", ``, "team not found: ghosts", 404},
	} {
		status, body := e.do(tc.method, tc.path, tc.body)
		var msg struct{ Error string }
		json.Unmarshal(body, &msg)
		if status != tc.status || !strings.HasPrefix(msg.Error, tc.field) {
			t.Errorf("%s %s %s: %d %s, want %d naming %s", tc.method, tc.path, tc.body, status, body, tc.status, tc.field)
		}
	}
}

// TestGitHubTeamsAreReadOnly: a team synced from GitHub is changed on
// GitHub, not through the API; a hand-made team keeps its slug when a
// GitHub team of the same slug is synced.
func TestGitHubTeamsAreReadOnly(t *testing.T) {
	e := newRecordEnv(t)
	ctx := context.Background()
	if err := e.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.SyncGitHubTeam(ctx, model.Team{Slug: "acme/platform", Name: "Platform", Members: []string{"Bob"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.do("PUT", "/api/v1/teams/acme/platform", `{"members": ["eve"]}`); status != http.StatusConflict {
		t.Errorf("PUT of a GitHub team: %d, want 409", status)
	}
	if status, _ := e.do("DELETE", "/api/v1/teams/acme/platform", ``); status != http.StatusConflict {
		t.Errorf("DELETE of a GitHub team: %d, want 409", status)
	}
	var team model.Team
	e.getJSON("/api/v1/teams/acme/platform", &team)
	if team.Source != "github" || strings.Join(team.Members, ",") != "bob" {
		t.Errorf("GitHub team: %+v", team)
	}
	// The store's rule when the slugs meet: the hand-made team wins.
	if err := e.store.Tx(ctx, func(tx *store.Tx) error {
		return tx.PutTeam(ctx, model.Team{Slug: "acme/ops", Source: model.TeamSourceManual, Members: []string{"carol"}})
	}); err != nil {
		t.Fatal(err)
	}
	var kept bool
	if err := e.store.Tx(ctx, func(tx *store.Tx) (err error) {
		kept, err = tx.SyncGitHubTeam(ctx, model.Team{Slug: "acme/ops", Members: []string{"mallory"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.getJSON("/api/v1/teams/acme/ops", &team)
	if kept || team.Source != "manual" || strings.Join(team.Members, ",") != "carol" {
		t.Errorf("after syncing a GitHub team over a hand-made one: stored=%v %+v, want the hand-made team kept", kept, team)
	}
}

func TestTeamAndEnvironmentParams(t *testing.T) {
	e := newRecordEnv(t)
	seedDataGitHub(e)
	for _, body := range []string{
		`{"external_id": "s1", "repo": "acme/web", "deployed_at": "2026-03-31T14:00:00Z", "environment": "staging"}`,
		`{"external_id": "p1", "repo": "acme/web", "deployed_at": "2026-03-31T15:00:00Z"}`,
	} {
		var d model.Deployment
		if status := e.postRecord("/api/v1/deployments", body, &d); status != http.StatusCreated {
			t.Fatalf("POST: %d %+v", status, d)
		}
		if d.ExternalID == "p1" && d.Environment != "production" {
			t.Errorf("environment defaults to production: %+v", d)
		}
	}
	var l dataList[store.DeploymentItem]
	e.getJSON("/api/v1/actions/deployments?environment=Staging", &l)
	if l.Total != 1 || l.Items[0].ExternalID != "s1" {
		t.Errorf("environment=Staging: %+v", l)
	}
	var df struct{ Total int }
	e.getJSON("/api/v1/metrics/dora/deployment-frequency?start_date=2026-03-25&end_date=2026-04-01&environment=staging", &df)
	if df.Total != 1 {
		t.Errorf("deployment-frequency?environment=staging: %d, want 1", df.Total)
	}
	status, body := e.do("GET", "/api/v1/metrics/dora/lead-time?team=ghosts", "")
	if status != http.StatusNotFound || !strings.Contains(string(body), "team not found: ghosts") {
		t.Errorf("unknown team: %d %s, want 404 naming it", status, body)
	}
	status, body = e.do("GET", "/api/v1/actions/deployments?team=ghosts", "")
	if status != http.StatusNotFound {
		t.Errorf("deployments list, unknown team: %d %s", status, body)
	}
}

// postRecordMethod sends body with method and decodes the answer into v.
func (e *dataEnv) postRecordMethod(method, path, body string, v any) int {
	e.t.Helper()
	status, b := e.do(method, path, body)
	if err := json.Unmarshal(b, v); err != nil {
		e.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	return status
}
