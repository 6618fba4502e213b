package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/httpapi"
)

// clientEnv is a fake GitHub with one repository and a client on a fake
// clock.
func clientEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	e := newFakeEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	wf := e.fake.AddWorkflow(repo, &githubfake.Workflow{Name: "CI", Path: ".github/workflows/ci.yml"})
	for i := range 5 {
		e.fake.AddRun(repo, &githubfake.Run{WorkflowID: wf.ID, Name: "CI", Status: "completed", Conclusion: "success",
			CreatedAt: at(-10 + i)})
	}
	return e
}

const runsPath = "/repos/acme/web/actions/runs?per_page=100"

func getRuns(e *env) error {
	_, err := e.client.Get(context.Background(), runsPath, "", nil)
	return err
}

func viewer(e *env) error {
	var out map[string]any
	return e.client.Query(context.Background(), QueryViewer, nil, &out)
}

func TestClientSendsGitHubsHeaders(t *testing.T) {
	e := clientEnv(t)
	if err := getRuns(e); err != nil {
		t.Fatal(err)
	}
	if err := viewer(e); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.fake.Requests() {
		if r.Status != 200 || r.Accept != "application/vnd.github+json" || r.APIVersion != "2022-11-28" ||
			!strings.HasPrefix(r.UserAgent, "veelocity/") {
			t.Errorf("%s %s: status %d, Accept %q, X-GitHub-Api-Version %q, User-Agent %q", r.Method, r.Path, r.Status,
				r.Accept, r.APIVersion, r.UserAgent)
		}
	}
}

// Waits are asserted exactly: the fake clock records every sleep. The
// fake's rate-limit window resets an hour after the first request (at t0).
func TestClientRetriesAndWaits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    []githubfake.Fault
		call      func(*env) error
		wantSleep []time.Duration
	}{
		{"REST primary limit (403, remaining 0) waits for the reset",
			[]githubfake.Fault{{Kind: githubfake.PrimaryLimit}}, getRuns, []time.Duration{time.Hour + time.Second}},
		{"GraphQL primary limit (200 RATE_LIMITED) waits for the reset",
			[]githubfake.Fault{{Kind: githubfake.PrimaryLimit}}, viewer, []time.Duration{time.Hour + time.Second}},
		{"secondary limit without Retry-After waits a minute, then doubles",
			[]githubfake.Fault{{Kind: githubfake.SecondaryLimit}, {Kind: githubfake.SecondaryLimit}}, getRuns,
			[]time.Duration{time.Minute, 2 * time.Minute}},
		{"secondary limit 429 with Retry-After waits that long",
			[]githubfake.Fault{{Kind: githubfake.SecondaryLimit, Status: 429, RetryAfter: 8}}, getRuns, []time.Duration{8 * time.Second}},
		{"secondary limit on GraphQL",
			[]githubfake.Fault{{Kind: githubfake.SecondaryLimit, RetryAfter: 3}}, viewer, []time.Duration{3 * time.Second}},
		{"server errors back off exponentially",
			[]githubfake.Fault{{Kind: githubfake.ServerError}, {Kind: githubfake.ServerError, Status: 503}, {Kind: githubfake.ServerError, Status: 500}},
			getRuns, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"a dropped connection is retried",
			[]githubfake.Fault{{Kind: githubfake.Disconnect}}, viewer, []time.Duration{time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clientEnv(t)
			e.fake.Inject(tc.faults...)
			if err := tc.call(e); err != nil {
				t.Fatalf("call failed: %v", err)
			}
			if got := e.clock.Sleeps(); !slices.Equal(got, tc.wantSleep) {
				t.Errorf("waited %v, want %v", got, tc.wantSleep)
			}
			if got, want := e.fake.RequestCount(), len(tc.faults)+1; got != want {
				t.Errorf("sent %d requests, want %d", got, want)
			}
		})
	}
}

func TestClientGivesUpAfterBoundedRetries(t *testing.T) {
	e := clientEnv(t)
	e.fake.FailAfter(0)
	err := getRuns(e)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 500 {
		t.Fatalf("err = %v, want a 500 *Error", err)
	}
	if got, want := e.clock.Sleeps(), []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waited %v, want %v", got, want)
	}
	if n := e.fake.RequestCount(); n != 5 {
		t.Errorf("sent %d requests, want 5 (1 + 4 retries)", n)
	}
}

func TestClientReportsRejectedTokenAtOnce(t *testing.T) {
	for name, call := range map[string]func(*env) error{"REST": getRuns, "GraphQL": viewer} {
		t.Run(name, func(t *testing.T) {
			e := clientEnv(t)
			e.cfg.GitHubToken = "ghp_wrongwrongwrong"
			e.rebuild()
			err := call(e)
			if !errors.Is(err, ErrUnauthorized) || err.Error() != "GitHub rejected the token (401 Unauthorized)" {
				t.Fatalf("err = %v", err)
			}
			if n := e.fake.RequestCount(); n != 1 {
				t.Errorf("sent %d requests for a rejected token, want 1 (no retries)", n)
			}
			if s := e.clock.Sleeps(); len(s) != 0 {
				t.Errorf("waited %v after a 401", s)
			}
		})
	}
}

func TestClientWaitsForResetWhenBudgetIsSpent(t *testing.T) {
	e := clientEnv(t)
	reset := t0.Add(10 * time.Minute)
	e.fake.SetRateLimit("core", 1, reset)
	if err := getRuns(e); err != nil { // spends the last request
		t.Fatal(err)
	}
	if err := getRuns(e); err != nil { // must wait instead of failing
		t.Fatal(err)
	}
	if got, want := e.clock.Sleeps(), []time.Duration{10*time.Minute + time.Second}; !slices.Equal(got, want) {
		t.Errorf("waited %v, want %v", got, want)
	}
	if s := statuses(e.fake.Requests()); !slices.Equal(s, []int{200, 200}) {
		t.Errorf("statuses %v: the client should wait before hitting the limit", s)
	}
}

func TestClientGraphQLWaitsWhenPointsCannotCoverTheNextQuery(t *testing.T) {
	e := clientEnv(t)
	e.fake.Generate(e.fake.Repo("acme/web"), githubfake.Bulk{PullRequests: 3, MaxCommits: 1})
	reset := t0.Add(20 * time.Minute)
	e.fake.SetRateLimit("graphql", 20, reset)
	query := func() error {
		var out map[string]any
		return e.client.Query(context.Background(), QuerySyncPage, map[string]any{"owner": "acme", "name": "web",
			"withPRs": true, "prFirst": 50, "withIssues": true, "issuesSince": "2020-01-01T00:00:00Z"}, &out)
	}
	if err := query(); err != nil { // costs 14 points; 6 remain
		t.Fatal(err)
	}
	if err := query(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.clock.Sleeps(), []time.Duration{20*time.Minute + time.Second}; !slices.Equal(got, want) {
		t.Errorf("waited %v, want %v", got, want)
	}
	for _, r := range e.fake.Requests() {
		t.Logf("%s cost %d points", r.Operation, r.Cost)
	}
}

func TestClientWaitRespectsCancellation(t *testing.T) {
	e := clientEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel() // the user gives up while the client waits
		<-ctx.Done()
		return ctx.Err()
	}
	c := NewClient(ClientOptions{RESTURL: e.cfg.GitHubAPIURL, GraphQLURL: e.cfg.GitHubGraphQLURL, Token: e.cfg.GitHubToken,
		Options: httpapi.Options{Now: e.clock.Now, Sleep: sleep}})
	e.fake.Inject(githubfake.Fault{Kind: githubfake.PrimaryLimit})
	_, err := c.Get(ctx, runsPath, "", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := e.fake.RequestCount(); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
}

func TestClientConditionalRequests(t *testing.T) {
	e := clientEnv(t)
	ctx := context.Background()
	first, err := e.client.Get(ctx, runsPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.ETag, `W/"`) || first.NotModified {
		t.Fatalf("first answer: %+v, want a weak ETag", first)
	}
	remaining, _ := e.fake.RateLimit("core")
	var body map[string]any
	second, err := e.client.Get(ctx, runsPath, first.ETag, &body)
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || body != nil {
		t.Errorf("second answer: %+v, body %v; want 304 Not Modified and nothing decoded", second, body)
	}
	// GitHub echoes the validator without the weak marker.
	if strings.TrimPrefix(first.ETag, "W/") != strings.TrimPrefix(second.ETag, "W/") {
		t.Errorf("304 ETag %q does not match %q", second.ETag, first.ETag)
	}
	if got := e.fake.Requests()[1].IfNoneMatch; got != first.ETag {
		t.Errorf("If-None-Match = %q, want %q", got, first.ETag)
	}
	if after, _ := e.fake.RateLimit("core"); after != remaining {
		t.Errorf("a 304 spent rate limit: %d → %d", remaining, after)
	}
}

func TestClientFollowsLinkHeadersVerbatim(t *testing.T) {
	e := clientEnv(t)
	target := "/repos/acme/web/actions/runs?per_page=2"
	var ids []float64
	for target != "" {
		var body struct {
			Runs []map[string]any `json:"workflow_runs"`
		}
		p, err := e.client.Get(context.Background(), target, "", &body)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range body.Runs {
			ids = append(ids, r["id"].(float64))
		}
		target = p.Next
	}
	if len(ids) != 5 {
		t.Errorf("got %d runs over the pages, want 5", len(ids))
	}
	paths := []string{}
	for _, r := range e.fake.Requests() {
		paths = append(paths, r.Path)
	}
	repoID := e.fake.Repo("acme/web").ID
	want := []string{"/repos/acme/web/actions/runs?per_page=2",
		"/repositories/" + itoa(repoID) + "/actions/runs?per_page=2&page=2",
		"/repositories/" + itoa(repoID) + "/actions/runs?per_page=2&page=3"}
	if !slices.Equal(paths, want) {
		t.Errorf("requested %q, want %q", paths, want)
	}
}

func TestNextLink(t *testing.T) {
	b, err := os.ReadFile("../fake/githubfake/testdata/octokit-fixtures_paginate-issues_normalized.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec []struct {
		Headers map[string]any `json:"headers"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://api.github.com/repositories/1000/issues?per_page=3&page=2",
		"https://api.github.com/repositories/1000/issues?per_page=3&page=3",
		"https://api.github.com/repositories/1000/issues?per_page=3&page=4",
		"https://api.github.com/repositories/1000/issues?per_page=3&page=5",
		"",
	}
	for i, r := range rec {
		if got := nextLink(r.Headers["link"].(string)); got != want[i] {
			t.Errorf("page %d: next = %q, want %q", i+1, got, want[i])
		}
	}
}

func TestClientRefusesLinksToOtherHosts(t *testing.T) {
	c := NewClient(ClientOptions{RESTURL: "https://api.github.com", Token: config.Secret("t")})
	if _, err := c.resolve("https://evil.example/repositories/1/issues?page=2"); err == nil {
		t.Error("followed a link to another host, which would send it the token")
	}
	if u, err := c.resolve("https://api.github.com/repositories/1/issues?page=2"); err != nil || u != "https://api.github.com/repositories/1/issues?page=2" {
		t.Errorf("resolve = %q, %v", u, err)
	}
}

func TestClientCountsEveryRequest(t *testing.T) {
	e := clientEnv(t)
	n := 0
	c := e.client.CountingRequests(func() { n++ })
	e.fake.Inject(githubfake.Fault{Kind: githubfake.ServerError}, githubfake.Fault{Kind: githubfake.SecondaryLimit})
	if _, err := c.Get(context.Background(), runsPath, "", nil); err != nil {
		t.Fatal(err)
	}
	if n != 3 || e.fake.RequestCount() != 3 {
		t.Errorf("counted %d requests, the server saw %d; want 3 (retries count)", n, e.fake.RequestCount())
	}
}

// TestClientReadsGraphQLRateLimitFromTheBody: GraphQL's rateLimit field
// tells the budget even when a server sends no x-ratelimit-* headers; a
// spent budget is waited out before the next query.
func TestClientReadsGraphQLRateLimitFromTheBody(t *testing.T) {
	t.Parallel()
	reset := t0.Add(10 * time.Minute)
	var queries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"viewer":{"login":"me"},"rateLimit":{"cost":1,"remaining":0,"resetAt":%q}}}`, reset.Format(time.RFC3339))
	}))
	defer srv.Close()
	clk := &clock{t: t0}
	c := NewClient(ClientOptions{RESTURL: srv.URL, GraphQLURL: srv.URL, Token: "ghp_x", Options: httpapi.Options{Now: clk.Now, Sleep: clk.Sleep}})
	for range 2 {
		var out map[string]any
		if err := c.Query(context.Background(), QueryViewer, nil, &out); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.Sleeps(); len(got) != 1 || got[0] < 10*time.Minute || got[0] > 11*time.Minute {
		t.Errorf("waited %v before the second query, want the 10 minutes to the reset", got)
	}
	if n := queries.Load(); n != 2 {
		t.Errorf("%d queries sent, want 2", n)
	}
}
