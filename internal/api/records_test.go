package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// dataNow is the server's clock in the record tests.
var dataNow = dataTime("2026-04-01T12:00:00Z")

func newRecordEnv(t testing.TB) *dataEnv {
	e := newDataEnv(t)
	e.store.SetClock(func() time.Time { return dataNow })
	return e
}

// postRecord POSTs body to path and decodes the answer into v, returning the
// status.
func (e *dataEnv) postRecord(path, body string, v any) int {
	e.t.Helper()
	status, b := e.do("POST", path, body)
	if err := json.Unmarshal(b, v); err != nil {
		e.t.Fatalf("POST %s: %d %s", path, status, b)
	}
	return status
}

func TestPostDeploymentIsIdempotent(t *testing.T) {
	e := newRecordEnv(t)
	seedDataGitHub(e)
	repos := e.count("repositories")

	var first model.Deployment
	status := e.postRecord("/api/v1/deployments", `{"external_id": "build-77", "repo": "ACME/web",
		"deployed_at": "2026-03-31T14:00:00+02:00", "head_sha": "ABCDEF1234567", "environment": "production",
		"url": "https://ci.example.com/builds/77"}`, &first)
	if status != 201 {
		t.Fatalf("first POST: %d %+v", status, first)
	}
	// Times are stored in UTC; created_at is deployed_at; the SHA is
	// stored as GitHub spells SHAs, so it can match a merge commit.
	if first.ID == 0 || first.Source != "api" || first.ExternalID != "build-77" || first.Repo != "acme/web" ||
		!first.DeployedAt.Equal(dataTime("2026-03-31T12:00:00Z")) || first.DeployedAt.Location() != time.UTC ||
		!first.CreatedAt.Equal(first.DeployedAt) || first.HeadSHA != "abcdef1234567" || first.Environment != "production" ||
		first.URL != "https://ci.example.com/builds/77" {
		t.Errorf("stored deployment: %+v", first)
	}
	e.waitDerived()
	if n := e.derives.Load(); n != 1 {
		t.Errorf("derive ran %d times after one POST, want 1", n)
	}

	var second model.Deployment
	status = e.postRecord("/api/v1/deployments", `{"external_id": "build-77", "repo": "acme/web",
		"deployed_at": "2026-03-31T13:30:00.250Z", "environment": "staging"}`, &second)
	if status != 200 {
		t.Fatalf("second POST: %d %+v", status, second)
	}
	if second.ID != first.ID || second.Environment != "staging" || second.HeadSHA != "" || second.URL != "" ||
		!second.CreatedAt.Equal(second.DeployedAt) || !second.DeployedAt.Equal(dataTime("2026-03-31T13:30:00.250Z")) {
		t.Errorf("updated deployment: %+v, first was %+v", second, first)
	}
	if n := e.count("deployments"); n != 1 {
		t.Errorf("%d deployments after posting one external_id twice", n)
	}
	if n := e.count("repositories"); n != repos {
		t.Errorf("posting for a known repo made %d repositories, had %d", n, repos)
	}
	// The read API shows it like any other deployment.
	var l dataList[store.DeploymentItem]
	e.getJSON("/api/v1/actions/deployments?repo=acme/web", &l)
	if l.Total != 1 || l.Items[0].ID != first.ID || l.Items[0].Environment != "staging" {
		t.Errorf("deployments list after POST: %+v", l)
	}

	// The same external id from another source is another deployment.
	e.tx(func(tx *store.Tx) error {
		_, err := tx.UpsertDeployment(e.ctx, &model.Deployment{Source: model.SourceGitHubActions, ExternalID: "build-77",
			RepoID: first.RepoID, CreatedAt: dataNow, DeployedAt: dataNow})
		return err
	})
	var third model.Deployment
	if status := e.postRecord("/api/v1/deployments", `{"external_id":"build-77","repo":"acme/web","deployed_at":"2026-03-31T13:30:00Z"}`, &third); status != 200 || third.ID != first.ID {
		t.Errorf("POST after a same-id Actions deployment: %d %+v", status, third)
	}
}

func TestPostDeploymentForANewRepo(t *testing.T) {
	e := newRecordEnv(t)
	var d model.Deployment
	if status := e.postRecord("/api/v1/deployments", `{"external_id":"1","repo":"NewOrg/new.repo","deployed_at":"2026-04-01T12:00:00Z"}`, &d); status != 201 {
		t.Fatalf("POST: %d %+v", status, d)
	}
	var repos dataList[store.RepoSummary]
	e.getJSON("/api/v1/github/repos", &repos)
	if repos.Total != 1 || repos.Items[0].FullName != "NewOrg/new.repo" || repos.Items[0].ID != d.RepoID || d.Repo != "NewOrg/new.repo" {
		t.Errorf("placeholder repository: %+v, deployment %+v", repos.Items, d)
	}
}

func TestPostDeploymentRefusesBadBodies(t *testing.T) {
	e := newRecordEnv(t)
	seedDataGitHub(e)
	valid := `"external_id":"x","repo":"acme/web","deployed_at":"2026-03-31T12:00:00Z"`
	for _, tc := range []struct {
		name, body, field string
	}{
		{"not JSON", `deploy please`, "body:"},
		{"empty", ``, "body:"},
		{"truncated", `{"external_id":"x"`, "body:"},
		{"an array", `[{` + valid + `}]`, "body:"},
		{"two objects", `{` + valid + `}{` + valid + `}`, "body:"},
		{"unknown field", `{` + valid + `,"sha":"abc1234"}`, "sha:"},
		{"wrong type", `{"external_id":42,"repo":"acme/web","deployed_at":"2026-03-31T12:00:00Z"}`, "external_id:"},
		{"no external_id", `{"repo":"acme/web","deployed_at":"2026-03-31T12:00:00Z"}`, "external_id:"},
		{"blank external_id", `{"external_id":"  ","repo":"acme/web","deployed_at":"2026-03-31T12:00:00Z"}`, "external_id:"},
		{"long external_id", `{"external_id":"` + strings.Repeat("x", 256) + `","repo":"acme/web","deployed_at":"2026-03-31T12:00:00Z"}`, "external_id:"},
		{"no repo", `{"external_id":"x","deployed_at":"2026-03-31T12:00:00Z"}`, "repo:"},
		{"repo without owner", `{"external_id":"x","repo":"web","deployed_at":"2026-03-31T12:00:00Z"}`, "repo:"},
		{"repo with a path", `{"external_id":"x","repo":"acme/web/tree","deployed_at":"2026-03-31T12:00:00Z"}`, "repo:"},
		{"repo as a URL", `{"external_id":"x","repo":"https://github.com/acme/web","deployed_at":"2026-03-31T12:00:00Z"}`, "repo:"},
		{"repo dot-dot", `{"external_id":"x","repo":"acme/..","deployed_at":"2026-03-31T12:00:00Z"}`, "repo:"},
		{"no deployed_at", `{"external_id":"x","repo":"acme/web"}`, "deployed_at:"},
		{"null deployed_at", `{"external_id":"x","repo":"acme/web","deployed_at":null}`, "deployed_at:"},
		{"deployed_at a date", `{"external_id":"x","repo":"acme/web","deployed_at":"2026-03-31"}`, "deployed_at:"},
		{"deployed_at without zone", `{"external_id":"x","repo":"acme/web","deployed_at":"2026-03-31T12:00:00"}`, "deployed_at:"},
		{"deployed_at a number", `{"external_id":"x","repo":"acme/web","deployed_at":1774958400}`, "deployed_at:"},
		{"deployed_at far in the future", `{"external_id":"x","repo":"acme/web","deployed_at":"2026-04-03T12:00:00Z"}`, "deployed_at:"},
		{"deployed_at in year 1", `{"external_id":"x","repo":"acme/web","deployed_at":"0001-01-01T00:00:00Z"}`, "deployed_at:"},
		{"created_at (it is deployed_at)", `{` + valid + `,"created_at":"2026-03-31T11:00:00Z"}`, "created_at:"},
		{"head_sha with spaces", `{` + valid + `,"head_sha":"not a sha"}`, "head_sha:"},
		{"url not http", `{` + valid + `,"url":"javascript:alert(1)"}`, "url:"},
		{"url relative", `{` + valid + `,"url":"/builds/1"}`, "url:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := [2]int{e.count("deployments"), e.count("repositories")}
			e.wantError("POST", "/api/v1/deployments", tc.body, 400, tc.field)
			if after := [2]int{e.count("deployments"), e.count("repositories")}; after != before {
				t.Errorf("deployments and repositories went from %v to %v", before, after)
			}
		})
	}
	// A repo that does not exist yet is not created by a refused request.
	e.wantError("POST", "/api/v1/deployments", `{"external_id":"x","repo":"brand/new","deployed_at":"2026-03-31T12:00:00Z","url":"ftp://x"}`, 400, "url:")
	if _, err := e.store.RepositoryByName(e.ctx, "brand/new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused POST created its repository: %v", err)
	}
	huge := `{"external_id":"x","repo":"acme/web","deployed_at":"2026-03-31T12:00:00Z","environment":"` + strings.Repeat("x", 1<<20) + `"}`
	e.wantError("POST", "/api/v1/deployments", huge, 413, "body:")
	if n := e.count("deployments"); n != 0 {
		t.Errorf("%d deployments after only bad requests", n)
	}
	e.waitDerived()
	if n := e.derives.Load(); n != 0 {
		t.Errorf("derive ran %d times for refused requests", n)
	}
	// Within a day of the server's clock is allowed, for callers whose clock runs ahead.
	var d model.Deployment
	if status := e.postRecord("/api/v1/deployments", `{"external_id":"x","repo":"acme/web","deployed_at":"2026-04-02T11:00:00Z"}`, &d); status != 201 {
		t.Errorf("a deployment an hour ahead of a day from now: %d %+v", status, d)
	}
}

func TestPostIncident(t *testing.T) {
	e := newRecordEnv(t)
	d := seedDataGitHub(e)

	var in model.Incident
	status := e.postRecord("/api/v1/incidents", `{"external_id":"PD-9","title":"Checkout down","repo":"acme/web",
		"opened_at":"2026-03-31T10:00:00Z","url":"https://acme.pagerduty.com/incidents/PD-9"}`, &in)
	if status != 201 || in.ID == 0 || in.Source != "api" || in.RepoID == nil || *in.RepoID != d.web || in.Repo != "acme/web" ||
		in.Title != "Checkout down" || !in.OpenedAt.Equal(dataTime("2026-03-31T10:00:00Z")) || in.ResolvedAt != nil {
		t.Fatalf("POST: %d %+v", status, in)
	}
	var resolved model.Incident
	status = e.postRecord("/api/v1/incidents", `{"external_id":"PD-9","title":"Checkout down (payments)","repo":"acme/web",
		"opened_at":"2026-03-31T10:00:00Z","resolved_at":"2026-03-31T11:30:00Z"}`, &resolved)
	if status != 200 || resolved.ID != in.ID || resolved.Title != "Checkout down (payments)" || resolved.ResolvedAt == nil ||
		!resolved.ResolvedAt.Equal(dataTime("2026-03-31T11:30:00Z")) || resolved.URL != "" {
		t.Errorf("update: %d %+v", status, resolved)
	}
	var noRepo model.Incident
	if status := e.postRecord("/api/v1/incidents", `{"external_id":"PD-10","opened_at":"2026-03-31T10:00:00Z"}`, &noRepo); status != 201 ||
		noRepo.RepoID != nil || noRepo.Repo != "" || noRepo.Title != "" {
		t.Errorf("incident without a repo: %d %+v", status, noRepo)
	}
	if n := e.count("incidents"); n != 2 {
		t.Errorf("%d incidents after three POSTs of two ids", n)
	}
	e.waitDerived()
	runs := e.derives.Load()
	if runs < 1 || runs > 3 {
		t.Errorf("derive ran %d times after three POSTs, want 1 to 3 (requests coalesce)", runs)
	}

	valid := `"external_id":"PD-11","opened_at":"2026-03-31T10:00:00Z"`
	for _, tc := range []struct{ name, body, field string }{
		{"no external_id", `{"opened_at":"2026-03-31T10:00:00Z"}`, "external_id:"},
		{"no opened_at", `{"external_id":"PD-11"}`, "opened_at:"},
		{"opened_at malformed", `{"external_id":"PD-11","opened_at":"31/03/2026"}`, "opened_at:"},
		{"opened_at far in the future", `{"external_id":"PD-11","opened_at":"2030-01-01T00:00:00Z"}`, "opened_at:"},
		{"resolved before opened", `{` + valid + `,"resolved_at":"2026-03-31T09:59:59Z"}`, "resolved_at:"},
		{"resolved_at malformed", `{` + valid + `,"resolved_at":"soon"}`, "resolved_at:"},
		{"repo malformed", `{` + valid + `,"repo":"acme web"}`, "repo:"},
		{"unknown field", `{` + valid + `,"severity":"high"}`, "severity:"},
		{"title too long", `{` + valid + `,"title":"` + strings.Repeat("é", 1001) + `"}`, "title:"},
		{"url malformed", `{` + valid + `,"url":"pagerduty"}`, "url:"},
		{"not an object", `"PD-11"`, "body:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := [2]int{e.count("incidents"), e.count("repositories")}
			e.wantError("POST", "/api/v1/incidents", tc.body, 400, tc.field)
			if after := [2]int{e.count("incidents"), e.count("repositories")}; after != before {
				t.Errorf("incidents and repositories went from %v to %v", before, after)
			}
		})
	}
	e.waitDerived()
	if n := e.derives.Load(); n != runs {
		t.Errorf("derive ran for refused requests: %d runs, %d before them", n, runs)
	}
}

// TestPostAnswersWhileDeriveIsLocked holds the derive lock and checks that
// POSTs still answer at once, with the record stored but not yet derived;
// once the lock is released, the derived answer follows, and the POSTs made
// meanwhile cost fewer runs than POSTs.
func TestPostAnswersWhileDeriveIsLocked(t *testing.T) {
	e := newRecordEnv(t)
	var lock sync.Mutex
	// A stand-in for the derive step behind its lock: it attributes every
	// open incident to the latest deployment.
	e.deriveFn = func(ctx context.Context) error {
		lock.Lock()
		defer lock.Unlock()
		return e.store.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE incidents SET deployment_id = (SELECT max(id) FROM deployments), dirty = FALSE`)
			return err
		})
	}
	lock.Lock()
	var d model.Deployment
	if status := e.postRecord("/api/v1/deployments", `{"external_id":"r1","repo":"acme/web","deployed_at":"2026-03-31T09:00:00Z"}`, &d); status != 201 {
		t.Fatalf("POST deployment while derive is locked: %d", status)
	}
	var in model.Incident
	if status := e.postRecord("/api/v1/incidents", `{"external_id":"i1","repo":"acme/web","opened_at":"2026-03-31T10:00:00Z"}`, &in); status != 201 {
		t.Fatalf("POST incident while derive is locked: %d", status)
	}
	var again model.Incident
	if status := e.postRecord("/api/v1/incidents", `{"external_id":"i1","title":"Checkout down","repo":"acme/web","opened_at":"2026-03-31T10:00:00Z"}`, &again); status != 200 {
		t.Fatalf("replayed POST while derive is locked: %d", status)
	}
	if in.DeploymentID != nil || again.DeploymentID != nil {
		t.Errorf("the answers claim a derived attribution while derive could not run: %+v, %+v", in, again)
	}
	lock.Unlock()
	e.waitDerived()
	stored, err := e.store.IncidentRecord(e.ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.DeploymentID == nil || *stored.DeploymentID != d.ID {
		t.Errorf("after the lock is released, the incident is not attributed to deployment %d: %+v", d.ID, stored)
	}
	if n := e.derives.Load(); n < 1 || n > 2 {
		t.Errorf("three POSTs while derive was locked cost %d derive runs, want 1 or 2", n)
	}
}

// TestPostSucceedsWhenDeriveFails checks that a failing derive step loses no
// record: the caller gets its success, and the failure is logged.
func TestPostSucceedsWhenDeriveFails(t *testing.T) {
	e := newRecordEnv(t)
	e.deriveFn = func(context.Context) error { return errors.New("derive exploded: secret detail") }
	var d model.Deployment
	status, body := e.do("POST", "/api/v1/deployments", `{"external_id":"r1","repo":"acme/web","deployed_at":"2026-03-31T09:00:00Z"}`)
	if err := json.Unmarshal(body, &d); status != 201 || err != nil || d.ExternalID != "r1" {
		t.Fatalf("POST with a failing derive: %d %s", status, body)
	}
	if strings.Contains(string(body), "secret") {
		t.Errorf("the derive error reached the client: %s", body)
	}
	if n := e.count("deployments"); n != 1 {
		t.Errorf("%d deployments stored", n)
	}
	var dirty bool
	if err := e.store.DB().QueryRow(`SELECT dirty FROM deployments`).Scan(&dirty); err != nil || !dirty {
		t.Errorf("the record is not left for the next derive: dirty=%v, %v", dirty, err)
	}
	e.waitDerived()
	if logs := e.logs.String(); !strings.Contains(logs, "background derive failed") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
}
