package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// dataEnv is the real server over a fresh database, for the data and
// record endpoints.
type dataEnv struct {
	t       testing.TB
	ctx     context.Context
	store   *store.Store
	srv     *httptest.Server
	api     *api.API
	derives atomic.Int32
	// deriveFn, when set, is what the derive hook does.
	deriveFn func(ctx context.Context) error
	logs     dataLogBuffer
}

// dataLogBuffer is a log sink the server writes while the test reads.
type dataLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *dataLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *dataLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newDataEnv(t testing.TB) *dataEnv {
	t.Helper()
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e := &dataEnv{t: t, ctx: context.Background(), store: storetest.New(t)}
	log := slog.New(slog.NewTextHandler(&e.logs, nil))
	a := api.New(api.Deps{Store: e.store, Config: cfg, Log: log, Derive: func(ctx context.Context) error {
		e.derives.Add(1)
		if e.deriveFn != nil {
			return e.deriveFn(ctx)
		}
		return nil
	}})
	e.api = a
	e.srv = httptest.NewServer(server.Handler(server.Options{API: a, Log: log}))
	t.Cleanup(e.srv.Close)
	t.Cleanup(a.Close)
	return e
}

// waitDerived waits for the background derive step the POSTs asked for.
func (e *dataEnv) waitDerived() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	if err := e.api.WaitDerived(ctx); err != nil {
		e.t.Fatalf("waiting for the background derive: %v", err)
	}
}

// do sends a request and returns the status and body.
func (e *dataEnv) do(method, path, body string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	return resp.StatusCode, b
}

// getJSON GETs path, expects 200 and decodes the body into v.
func (e *dataEnv) getJSON(path string, v any) {
	e.t.Helper()
	status, body := e.do(http.MethodGet, path, "")
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// wantError checks that a request is refused with status and a JSON error
// whose message starts with prefix (the parameter or field it names).
func (e *dataEnv) wantError(method, path, body string, status int, prefix string) {
	e.t.Helper()
	got, b := e.do(method, path, body)
	var msg struct{ Error string }
	if err := json.Unmarshal(b, &msg); err != nil || got != status || !strings.HasPrefix(msg.Error, prefix) {
		e.t.Errorf("%s %s %s: %d %s, want %d with an error starting %q", method, path, body, got, b, status, prefix)
	}
}

// tx runs fn in a write transaction, failing the test on error.
func (e *dataEnv) tx(fn func(tx *store.Tx) error) {
	e.t.Helper()
	if err := e.store.Tx(e.ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

// exec runs a statement, for seeding derived tables.
func (e *dataEnv) exec(query string, args ...any) {
	e.t.Helper()
	e.tx(func(tx *store.Tx) error { _, err := tx.Exec(e.ctx, query, args...); return err })
}

// count returns the number of rows in table.
func (e *dataEnv) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.store.DB().QueryRowContext(e.ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// dataList is the envelope of a paginated response.
type dataList[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
	Pages int `json:"pages"`
}

func dataTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dataPtr[T any](v T) *T { return &v }

// dataGitHubSeed is what seedDataGitHub stores.
type dataGitHubSeed struct {
	web, api, empty int64 // repository ids
	prs             map[string]int64
}

// seedDataGitHub stores three repositories: acme/web with 25 PRs (numbers 1–25:
// n%3 == 0 merged on March n at 12:00, n%3 == 1 closed, n%3 == 2 open; even
// numbers by alice, odd by Bob), acme/api with 2 PRs (#2 merged at the last
// millisecond of March 31) and an empty placeholder, zeta/empty.
func seedDataGitHub(e *dataEnv) dataGitHubSeed {
	d := dataGitHubSeed{prs: map[string]int64{}}
	base := dataTime("2026-03-01T10:00:00Z")
	e.tx(func(tx *store.Tx) error {
		var err error
		if d.web, err = tx.UpsertRepository(e.ctx, &model.Repository{GitHubID: 1, FullName: "acme/web", DefaultBranch: "main"}); err != nil {
			return err
		}
		if d.api, err = tx.UpsertRepository(e.ctx, &model.Repository{GitHubID: 2, FullName: "acme/api", DefaultBranch: "main"}); err != nil {
			return err
		}
		if d.empty, err = tx.EnsureRepository(e.ctx, "zeta/empty"); err != nil {
			return err
		}
		for n := 1; n <= 25; n++ {
			pr := &model.PullRequest{Number: n, Title: "Web change " + strconv.Itoa(n), State: model.PRStateOpen,
				AuthorLogin: "Bob", HeadBranch: "feature-" + strconv.Itoa(n), BaseBranch: "main",
				HTMLURL:   "https://github.com/acme/web/pull/" + strconv.Itoa(n),
				CreatedAt: base.Add(time.Duration(n) * time.Hour), UpdatedAt: base.Add(time.Duration(n) * time.Hour)}
			if n%2 == 0 {
				pr.AuthorLogin = "alice"
			}
			switch n % 3 {
			case 0:
				pr.State = model.PRStateMerged
				pr.MergedAt = dataPtr(time.Date(2026, 3, n, 12, 0, 0, 0, time.UTC))
				pr.ClosedAt = pr.MergedAt
				pr.MergeCommitSHA = "feed" + strconv.Itoa(n)
			case 1:
				pr.State = model.PRStateClosed
				pr.ClosedAt = dataPtr(base.Add(48 * time.Hour))
			}
			if n == 24 {
				pr.Body = "Fixes ENG-1"
				pr.Labels = []string{"bug", "hotfix"}
				pr.Reviews = []model.Review{
					{GitHubID: "R-pending", AuthorLogin: "carol", State: model.ReviewPending},
					{GitHubID: "R-approve", AuthorLogin: "bob", State: model.ReviewApproved, SubmittedAt: dataPtr(dataTime("2026-03-23T09:00:00Z"))},
				}
				pr.Comments = []model.Comment{{GitHubID: "C1", Kind: model.CommentIssue, AuthorLogin: "bob", Body: "LGTM", CreatedAt: dataTime("2026-03-23T09:05:00Z")}}
				pr.Commits = []model.Commit{
					{SHA: "bbb", MessageHeadline: "Second", AuthorLogin: "alice", AuthoredAt: dataTime("2026-03-01T09:00:00Z"), CommittedAt: dataTime("2026-03-02T09:00:00Z")},
					{SHA: "aaa", MessageHeadline: "First", AuthorLogin: "alice", AuthoredAt: dataTime("2026-03-01T08:00:00Z"), CommittedAt: dataTime("2026-03-01T08:00:00Z")},
				}
			}
			id, err := tx.UpsertPullRequest(e.ctx, d.web, pr)
			if err != nil {
				return err
			}
			d.prs["web#"+strconv.Itoa(n)] = id
		}
		for _, pr := range []*model.PullRequest{
			{Number: 1, Title: "API open", State: model.PRStateOpen, AuthorLogin: "carol", CreatedAt: base, UpdatedAt: base},
			{Number: 2, Title: "API merged", State: model.PRStateMerged, AuthorLogin: "carol", CreatedAt: base, UpdatedAt: base,
				MergedAt: dataPtr(dataTime("2026-03-31T23:59:59.999Z")), HTMLURL: "https://github.com/acme/api/pull/2"},
		} {
			id, err := tx.UpsertPullRequest(e.ctx, d.api, pr)
			if err != nil {
				return err
			}
			d.prs["api#"+strconv.Itoa(pr.Number)] = id
		}
		return nil
	})
	return d
}

func TestListRepos(t *testing.T) {
	e := newDataEnv(t)
	seedDataGitHub(e)
	var got dataList[store.RepoSummary]
	e.getJSON("/api/v1/github/repos", &got)
	if got.Total != 3 || got.Page != 1 || got.Limit != 20 || got.Pages != 1 || len(got.Items) != 3 {
		t.Fatalf("envelope: %+v", got)
	}
	want := []struct {
		name                string
		prs, open, merged   int
		hasGitHubID, synced bool
	}{
		{"acme/api", 2, 1, 1, true, true},
		{"acme/web", 25, 8, 8, true, true},
		{"zeta/empty", 0, 0, 0, false, false},
	}
	for i, w := range want {
		r := got.Items[i]
		if r.FullName != w.name || r.PRCount != w.prs || r.OpenPRCount != w.open || r.MergedPRCount != w.merged ||
			(r.GitHubID != 0) != w.hasGitHubID {
			t.Errorf("item %d: %s prs=%d open=%d merged=%d github_id=%d, want %+v", i, r.FullName, r.PRCount,
				r.OpenPRCount, r.MergedPRCount, r.GitHubID, w)
		}
	}
	var page2 dataList[store.RepoSummary]
	e.getJSON("/api/v1/github/repos?limit=2&page=2", &page2)
	if page2.Total != 3 || page2.Pages != 2 || len(page2.Items) != 1 || page2.Items[0].FullName != "zeta/empty" {
		t.Errorf("limit=2&page=2: %+v", page2)
	}
	for _, r := range got.Items {
		if !r.Active {
			t.Errorf("%s is inactive before any repository left GITHUB_REPOS", r.FullName)
		}
	}
	// acme/api leaves GITHUB_REPOS: it stays listed, marked inactive.
	if err := e.store.Tx(e.ctx, func(tx *store.Tx) error { return tx.SetActiveRepositories(e.ctx, []string{"acme/web"}) }); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Items []map[string]any `json:"items"`
	}
	e.getJSON("/api/v1/github/repos", &raw)
	if len(raw.Items) != 3 || raw.Items[0]["full_name"] != "acme/api" || raw.Items[0]["active"] != false || raw.Items[1]["active"] != true {
		t.Errorf("after acme/api left GITHUB_REPOS: %v", raw.Items)
	}
	e.wantError("GET", "/api/v1/github/repos?limit=101", "", 400, "limit:")
	e.wantError("GET", "/api/v1/github/repos?page=0", "", 400, "page:")
}

func TestListRepoPRs(t *testing.T) {
	e := newDataEnv(t)
	d := seedDataGitHub(e)
	web := "/api/v1/github/repos/" + strconv.FormatInt(d.web, 10) + "/prs"
	api := "/api/v1/github/repos/" + strconv.FormatInt(d.api, 10) + "/prs"
	tests := []struct {
		name    string
		path    string
		total   int
		numbers []int // the page's PR numbers, in order
	}{
		{"first page, default limit", web, 25, []int{25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6}},
		{"second page", web + "?page=2", 25, []int{5, 4, 3, 2, 1}},
		{"beyond the end", web + "?page=3", 25, []int{}},
		{"limit", web + "?limit=3&page=2", 25, []int{22, 21, 20}},
		{"max limit", web + "?limit=100&state=merged", 8, []int{24, 21, 18, 15, 12, 9, 6, 3}},
		{"closed means closed without merging", web + "?state=closed&limit=3", 9, []int{25, 22, 19}},
		{"open", web + "?state=open&limit=2", 8, []int{23, 20}},
		{"author", web + "?author=alice&limit=3", 12, []int{24, 22, 20}},
		{"author is case-insensitive", web + "?author=BOB&state=merged", 4, []int{21, 15, 9, 3}},
		{"unknown author", web + "?author=mallory", 0, []int{}},
		{"merged range, inclusive", web + "?merged_from=2026-03-06&merged_to=2026-03-12", 3, []int{12, 9, 6}},
		{"merged from only", web + "?merged_from=2026-03-22", 1, []int{24}},
		{"merged to only", web + "?merged_to=2026-03-05", 1, []int{3}},
		{"one day", web + "?merged_from=2026-03-09&merged_to=2026-03-09", 1, []int{9}},
		{"filters combine", web + "?merged_from=2026-03-01&author=alice", 4, []int{24, 18, 12, 6}},
		{"open PRs have no merge date", web + "?state=open&merged_from=2026-03-01", 0, []int{}},
		{"last millisecond of the end day is in", api + "?merged_to=2026-03-31", 1, []int{2}},
		{"next day excludes it", api + "?merged_to=2026-03-30", 0, []int{}},
		{"another repository's PRs", api, 2, []int{2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got dataList[model.PullRequest]
			e.getJSON(tc.path, &got)
			numbers := []int{}
			for _, pr := range got.Items {
				numbers = append(numbers, pr.Number)
			}
			if got.Total != tc.total || !slices.Equal(numbers, tc.numbers) {
				t.Errorf("total %d numbers %v, want %d %v", got.Total, numbers, tc.total, tc.numbers)
			}
		})
	}
	var got dataList[model.PullRequest]
	e.getJSON(web+"?limit=1&state=merged", &got)
	if pr := got.Items[0]; pr.State != "merged" || pr.AuthorLogin != "alice" || pr.MergedAt == nil ||
		!pr.MergedAt.Equal(dataTime("2026-03-24T12:00:00Z")) || pr.MergeCommitSHA != "feed24" ||
		!slices.Equal(pr.Labels, []string{"bug", "hotfix"}) || pr.HTMLURL != "https://github.com/acme/web/pull/24" {
		t.Errorf("PR in the list: %+v", pr)
	}
	if got.Pages != 8 || got.Limit != 1 {
		t.Errorf("pages %d limit %d, want 8 and 1", got.Pages, got.Limit)
	}

	for _, tc := range []struct{ path, param string }{
		{web + "?state=draft", "state:"},
		{web + "?merged_from=2026-3-1", "merged_from:"},
		{web + "?merged_to=2026-02-30", "merged_to:"},
		{web + "?merged_from=2026-03-12&merged_to=2026-03-06", "merged_from:"},
		{web + "?limit=0", "limit:"},
		{web + "?limit=101", "limit:"},
		{web + "?page=x", "page:"},
		{"/api/v1/github/repos/abc/prs", "id:"},
		{"/api/v1/github/repos/0/prs", "id:"},
	} {
		e.wantError("GET", tc.path, "", 400, tc.param)
	}
	e.wantError("GET", "/api/v1/github/repos/9999/prs", "", 404, "repository not found")
}

// dataPRDetail mirrors the JSON of GET /github/prs/{id}.
type dataPRDetail struct {
	ID       int64    `json:"id"`
	Number   int      `json:"number"`
	Repo     string   `json:"repo"`
	Body     *string  `json:"body"`
	Labels   []string `json:"labels"`
	Reviews  []model.Review
	Comments []model.Comment
	Commits  []model.Commit
	Facts    *struct {
		FirstCommitAt   time.Time  `json:"first_commit_at"`
		FirstReviewAt   *time.Time `json:"first_review_at"`
		DeploymentID    *int64     `json:"deployment_id"`
		DeployedAt      *time.Time `json:"deployed_at"`
		LeadTimeHours   *float64   `json:"lead_time_hours"`
		ToDefaultBranch bool       `json:"to_default_branch"`
		IsRework        bool       `json:"is_rework"`
	}
	LinearIssues []store.LinkedIssue `json:"linear_issues"`
}

func TestGetPR(t *testing.T) {
	e := newDataEnv(t)
	d := seedDataGitHub(e)
	var depID int64
	e.tx(func(tx *store.Tx) error {
		var err error
		depID, err = tx.UpsertDeployment(e.ctx, &model.Deployment{Source: model.SourceAPI, ExternalID: "rel-1", RepoID: d.web,
			CreatedAt: dataTime("2026-03-25T10:00:00Z"), DeployedAt: dataTime("2026-03-25T11:00:00Z")})
		if err != nil {
			return err
		}
		if _, err := tx.UpsertLinearTeam(e.ctx, &model.LinearTeam{LinearID: "team-eng", Key: "ENG", Name: "Engineering"}); err != nil {
			return err
		}
		_, err = tx.UpsertLinearIssue(e.ctx, &model.LinearIssue{LinearID: "iss-1", TeamLinearID: "team-eng", Identifier: "ENG-1",
			Number: 1, Title: "Login fails", URL: "https://linear.app/acme/issue/ENG-1", StateName: "Done", StateType: "completed",
			CreatedAt: dataTime("2026-02-20T00:00:00Z"), UpdatedAt: dataTime("2026-03-25T00:00:00Z")})
		return err
	})
	pr := d.prs["web#24"]
	// What the derive step would have stored: first commit is the earliest
	// authored (08:00 on March 1), deployed 24 days and 3 hours later.
	e.exec(`INSERT INTO pr_facts (pr_id, repo_id, author_login, created_at, merged_at, to_default_branch, first_commit_at,
		first_review_at, deployment_id, deployed_at, is_rework, size) VALUES ($1, $2, 'alice', $3, $4, TRUE, $5, $6, $7, $8, TRUE, 0)`,
		pr, d.web, store.MS(dataTime("2026-03-02T10:00:00Z")), store.MS(dataTime("2026-03-24T12:00:00Z")), store.MS(dataTime("2026-03-01T08:00:00Z")),
		store.MS(dataTime("2026-03-23T09:00:00Z")), depID, store.MS(dataTime("2026-03-25T11:00:00Z")))
	e.exec(`INSERT INTO linear_issue_prs (issue_id, pr_id, via) SELECT id, $1, 'identifier' FROM linear_issues`, pr)

	var got dataPRDetail
	e.getJSON("/api/v1/github/prs/"+strconv.FormatInt(pr, 10), &got)
	if got.ID != pr || got.Number != 24 || got.Repo != "acme/web" || got.Body == nil || *got.Body != "Fixes ENG-1" ||
		!slices.Equal(got.Labels, []string{"bug", "hotfix"}) {
		t.Errorf("PR: %+v", got)
	}
	if len(got.Reviews) != 2 || got.Reviews[0].GitHubID != "R-approve" || got.Reviews[0].AuthorLogin != "bob" ||
		got.Reviews[1].State != model.ReviewPending || got.Reviews[1].SubmittedAt != nil {
		t.Errorf("reviews (submitted first, pending last): %+v", got.Reviews)
	}
	if len(got.Comments) != 1 || got.Comments[0].Body != "LGTM" {
		t.Errorf("comments: %+v", got.Comments)
	}
	if len(got.Commits) != 2 || got.Commits[0].SHA != "aaa" || got.Commits[1].SHA != "bbb" {
		t.Errorf("commits, oldest first: %+v", got.Commits)
	}
	f := got.Facts
	if f == nil || !f.FirstCommitAt.Equal(dataTime("2026-03-01T08:00:00Z")) || f.FirstReviewAt == nil ||
		!f.FirstReviewAt.Equal(dataTime("2026-03-23T09:00:00Z")) || f.DeploymentID == nil || *f.DeploymentID != depID ||
		f.DeployedAt == nil || !f.DeployedAt.Equal(dataTime("2026-03-25T11:00:00Z")) || !f.ToDefaultBranch || !f.IsRework {
		t.Fatalf("facts: %+v", f)
	}
	if f.LeadTimeHours == nil || *f.LeadTimeHours != 24*24+3 {
		t.Errorf("lead time %v hours, want %d", f.LeadTimeHours, 24*24+3)
	}
	if len(got.LinearIssues) != 1 || got.LinearIssues[0].Identifier != "ENG-1" || got.LinearIssues[0].Via != "identifier" ||
		got.LinearIssues[0].StateType != "completed" {
		t.Errorf("linear issues: %+v", got.LinearIssues)
	}

	// A PR the derive step has not reached: no facts, and empty lists
	// rather than missing ones.
	status, body := e.do("GET", "/api/v1/github/prs/"+strconv.FormatInt(d.prs["api#1"], 10), "")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); status != 200 || err != nil {
		t.Fatalf("PR without facts: %d %s", status, body)
	}
	for key, want := range map[string]string{"facts": "null", "reviews": "[]", "comments": "[]", "commits": "[]",
		"linear_issues": "[]", "labels": "[]", "merged_at": "null", "repo": `"acme/api"`} {
		if string(raw[key]) != want {
			t.Errorf("%s is %s, want %s", key, raw[key], want)
		}
	}

	e.wantError("GET", "/api/v1/github/prs/999999", "", 404, "pull request not found")
	e.wantError("GET", "/api/v1/github/prs/x", "", 400, "id:")
}

// BenchmarkDataEndpoints times the read endpoints over one repository with
// 200,000 pull requests, every third merged and shipped by one of 2,000
// deployments. It prints figures and asserts nothing about speed.
func BenchmarkDataEndpoints(b *testing.B) {
	const n = 200_000
	e := newDataEnv(b)
	var repo int64
	e.tx(func(tx *store.Tx) error {
		var err error
		repo, err = tx.UpsertRepository(e.ctx, &model.Repository{GitHubID: 1, FullName: "acme/big", DefaultBranch: "main"})
		return err
	})
	base := store.MS(dataTime("2025-01-01T00:00:00Z"))
	start := time.Now()
	e.exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < CAST($1 AS INTEGER))
		INSERT INTO pull_requests (repo_id, number, title, state, author_login, created_at, updated_at, merged_at)
		SELECT $2, i, 'PR', CASE i % 3 WHEN 0 THEN 'merged' WHEN 1 THEN 'closed' ELSE 'open' END,
			CASE i % 7 WHEN 0 THEN 'alice' ELSE 'bob' END, CAST($3 AS BIGINT) + CAST(i AS BIGINT) * 60000, CAST($3 AS BIGINT) + CAST(i AS BIGINT) * 60000,
			CASE i % 3 WHEN 0 THEN CAST($3 AS BIGINT) + CAST(i AS BIGINT) * 60000 + 3600000 END
		FROM seq`, n, repo, base)
	e.exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < CAST($1 AS INTEGER))
		INSERT INTO deployments (source, external_id, repo_id, created_at, deployed_at, recorded_at)
		SELECT 'api', 'd' || i, $2, CAST($3 AS BIGINT) + CAST(i AS BIGINT) * 6000000, CAST($3 AS BIGINT) + CAST(i AS BIGINT) * 6000000, CAST($3 AS BIGINT) FROM seq`, n/100, repo, base)
	e.exec(`INSERT INTO pr_facts (pr_id, repo_id, created_at, merged_at, first_commit_at, deployment_id, deployed_at)
		SELECT p.id, p.repo_id, p.created_at, p.merged_at, p.created_at, d.id, d.deployed_at
		FROM pull_requests p JOIN deployments d ON d.external_id = 'd' || (p.number / 100 + 1)
		WHERE p.merged_at IS NOT NULL AND p.number < $1`, n-100)
	// No hand tuning: the statistics the product keeps itself after a
	// derive writes this much.
	if err := e.store.Optimize(e.ctx, "repositories", "pull_requests", "deployments", "pr_facts"); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d PRs in %v", e.store.Dialect(), n, time.Since(start).Round(time.Millisecond))
	id := strconv.FormatInt(repo, 10)
	for _, bc := range []struct{ name, path string }{
		{"repos", "/api/v1/github/repos"},
		{"repo-prs", "/api/v1/github/repos/" + id + "/prs"},
		{"repo-prs-last-page", "/api/v1/github/repos/" + id + "/prs?limit=100&page=2000"},
		{"repo-prs-author-merged", "/api/v1/github/repos/" + id + "/prs?author=alice&merged_from=2025-02-01&merged_to=2025-02-28"},
		{"pr-detail", "/api/v1/github/prs/" + strconv.Itoa(n/2)},
		{"deployments", "/api/v1/actions/deployments?limit=100"},
		{"deployments-range", "/api/v1/actions/deployments?start_date=2025-03-01&end_date=2025-03-31"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if status, body := e.do("GET", bc.path, ""); status != http.StatusOK {
					b.Fatalf("%d %s", status, body)
				}
			}
		})
	}
}
