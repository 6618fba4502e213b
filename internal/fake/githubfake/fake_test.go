package githubfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T) (*Server, *Repo) {
	t.Helper()
	s := New(Options{Now: func() time.Time { return now }})
	t.Cleanup(s.Close)
	r := s.AddRepo(&Repo{Owner: "acme", Name: "web"})
	return s, r
}

func get(t *testing.T, s *Server, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = s.URL() + path
	}
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("User-Agent", "test")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func graphql(t *testing.T, s *Server, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
	req.Header.Set("Authorization", "bearer "+s.Token())
	req.Header.Set("User-Agent", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-RateLimit-Resource") != "graphql" {
		t.Errorf("x-ratelimit-resource = %q", resp.Header.Get("X-RateLimit-Resource"))
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// keys lists an object's keys, sorted.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func fixtureJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The REST answers have exactly the fields of GitHub's own examples (runs
// add "path", which the API gained after the 2022 example was written).
func TestRESTAnswersHaveTheFixturesShape(t *testing.T) {
	s, r := newTestServer(t)
	wf := s.AddWorkflow(r, &Workflow{Name: "CI", Path: ".github/workflows/ci.yml"})
	s.AddRun(r, &Run{WorkflowID: wf.ID, Name: "CI", Status: "completed", Conclusion: "success", CreatedAt: now.Add(-time.Hour)})

	_, b := get(t, s, "/repos/acme/web", nil)
	var repo map[string]any
	json.Unmarshal(b, &repo)
	if !slices.Equal(keys(repo), keys(fixtureJSON(t, "repo_get.json"))) || repo["full_name"] != "acme/web" || repo["default_branch"] != "main" {
		t.Errorf("repo answer keys %v", keys(repo))
	}

	_, b = get(t, s, "/repos/acme/web/actions/workflows", nil)
	var wfs map[string]any
	json.Unmarshal(b, &wfs)
	wantWF := fixtureJSON(t, "workflows_list.json")["workflows"].([]any)[0].(map[string]any)
	gotWF := wfs["workflows"].([]any)[0].(map[string]any)
	if !slices.Equal(keys(gotWF), keys(wantWF)) || gotWF["path"] != ".github/workflows/ci.yml" || wfs["total_count"] != 1.0 {
		t.Errorf("workflow answer %v", gotWF)
	}

	_, b = get(t, s, "/repos/acme/web/actions/runs", nil)
	var runs map[string]any
	json.Unmarshal(b, &runs)
	wantRun := fixtureJSON(t, "workflow_runs_list.json")["workflow_runs"].([]any)[0].(map[string]any)
	wantRun["path"] = ""
	gotRun := runs["workflow_runs"].([]any)[0].(map[string]any)
	if !slices.Equal(keys(gotRun), keys(wantRun)) || gotRun["conclusion"] != "success" || gotRun["workflow_id"] != float64(wf.ID) {
		t.Errorf("run answer keys %v", keys(gotRun))
	}
	if repoField := gotRun["repository"].(map[string]any); repoField["full_name"] != "acme/web" {
		t.Errorf("run's repository = %v, want acme/web", repoField["full_name"])
	}
}

func TestRESTPaginationAndConditionalRequests(t *testing.T) {
	s, r := newTestServer(t)
	s.Generate(r, Bulk{Runs: 7, Seed: 1})
	resp, b := get(t, s, "/repos/acme/web/actions/runs?per_page=3", nil)
	link := resp.Header.Get("Link")
	want := `<` + s.URL() + `/repositories/1/actions/runs?per_page=3&page=2>; rel="next", <` + s.URL() + `/repositories/1/actions/runs?per_page=3&page=3>; rel="last"`
	if link != want {
		t.Errorf("Link = %s\nwant   %s", link, want)
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset", "X-RateLimit-Resource"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	var page struct {
		Runs []struct {
			CreatedAt time.Time `json:"created_at"`
		} `json:"workflow_runs"`
	}
	json.Unmarshal(b, &page)
	if len(page.Runs) != 3 || !page.Runs[0].CreatedAt.After(page.Runs[1].CreatedAt) {
		t.Errorf("page 1 = %+v, want 3 runs, newest first", page.Runs)
	}
	last, _ := get(t, s, s.URL()+"/repositories/1/actions/runs?per_page=3&page=3", nil)
	if l := last.Header.Get("Link"); strings.Contains(l, `rel="next"`) || !strings.Contains(l, `rel="first"`) {
		t.Errorf("last page Link = %s", l)
	}

	etag := resp.Header.Get("ETag")
	remaining := last.Header.Get("X-RateLimit-Remaining")
	for _, sent := range []string{etag, strings.TrimPrefix(etag, "W/")} {
		again, body := get(t, s, "/repos/acme/web/actions/runs?per_page=3", map[string]string{"If-None-Match": sent})
		if again.StatusCode != http.StatusNotModified || len(body) != 0 || again.Header.Get("X-RateLimit-Remaining") != remaining {
			t.Errorf("If-None-Match %s: %d, %d bytes, remaining %s (was %s)", sent, again.StatusCode, len(body),
				again.Header.Get("X-RateLimit-Remaining"), remaining)
		}
	}
}

func TestWrongTokenIsRejected(t *testing.T) {
	s, _ := newTestServer(t)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/rate_limit", nil)
	req.Header.Set("Authorization", "Bearer nope")
	req.Header.Set("User-Agent", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}

func TestGraphQLRejectsInvalidDocuments(t *testing.T) {
	s, _ := newTestServer(t)
	out := graphql(t, s, `query { repository(owner: "acme", name: "web") { pullRequests(first: 5) { nodes { nosuchfield } } } }`, nil)
	if out["data"] != nil || out["errors"] == nil {
		t.Errorf("answer %v, want only errors", out)
	}
	if errs := s.GraphQLErrors(); len(errs) != 1 || !strings.Contains(errs[0], "nosuchfield") {
		t.Errorf("recorded errors %q", errs)
	}
	out = graphql(t, s, `query($n: Int!) { viewer { login } }`, map[string]any{})
	if out["errors"] == nil {
		t.Error("a missing required variable was accepted")
	}
}

func TestGraphQLEnforcesGitHubsLimits(t *testing.T) {
	s, _ := newTestServer(t)
	for _, tc := range []struct{ query, errType string }{
		{`query { repository(owner: "acme", name: "web") { pullRequests { totalCount } } }`, "MISSING_PAGINATION_BOUNDARIES"},
		{`query { repository(owner: "acme", name: "web") { pullRequests(first: 101) { totalCount } } }`, "EXCESSIVE_PAGINATION"},
		{`query { repository(owner: "acme", name: "web") { pullRequests(first: 100) { nodes {
			commits(first: 100) { nodes { commit { oid } } } reviews(first: 100) { nodes { comments(first: 100) { totalCount } } } } } } }`,
			"MAX_NODE_LIMIT_EXCEEDED"},
		{`query { repository(owner: "acme", name: "nope") { id } }`, "NOT_FOUND"},
	} {
		out := graphql(t, s, tc.query, nil)
		errs, _ := out["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["type"] != tc.errType {
			t.Errorf("%s: errors %v", tc.errType, out["errors"])
		}
	}
}

// The example query of graphql/NOTES.md runs, answers exactly the selected
// fields in order, and reports its cost by GitHub's formula.
func TestGraphQLAnswersTheSelection(t *testing.T) {
	s, r := newTestServer(t)
	s.Generate(r, Bulk{PullRequests: 3, MaxCommits: 2, MaxReviews: 2, MaxComments: 2, Seed: 9})
	bot := &PullRequest{Title: "Bump", Author: Bot("dependabot"), CreatedAt: now.Add(-time.Minute), ReadyForReview: []time.Time{now}}
	s.AddPullRequest(r, bot)
	query := `query($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: 2, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        number title state isDraft
        author { __typename login }
        commits(first: 100) { totalCount nodes { commit { oid } } }
        timelineItems(first: 10, itemTypes: [READY_FOR_REVIEW_EVENT]) { nodes { ... on ReadyForReviewEvent { createdAt } } }
      }
    }
  }
  rateLimit { cost remaining nodeCount resetAt }
}`
	var numbers []float64
	after := any(nil)
	for {
		out := graphql(t, s, query, map[string]any{"owner": "acme", "name": "web", "after": after})
		if out["errors"] != nil {
			t.Fatal(out["errors"])
		}
		data := out["data"].(map[string]any)
		if rl := data["rateLimit"].(map[string]any); rl["cost"] != 1.0 || rl["nodeCount"] != 222.0 {
			t.Errorf("rateLimit = %v, want cost 1 and 222 nodes", rl)
		}
		prs := data["repository"].(map[string]any)["pullRequests"].(map[string]any)
		if prs["totalCount"] != 4.0 {
			t.Errorf("totalCount = %v", prs["totalCount"])
		}
		for _, n := range prs["nodes"].([]any) {
			node := n.(map[string]any)
			if got := keys(node); !slices.Equal(got, []string{"author", "commits", "isDraft", "number", "state", "timelineItems", "title"}) {
				t.Errorf("node keys %v", got)
			}
			numbers = append(numbers, node["number"].(float64))
			if node["number"] == float64(bot.Number) {
				author := node["author"].(map[string]any)
				if author["__typename"] != "Bot" || author["login"] != "dependabot" {
					t.Errorf("bot author = %v, want GraphQL's bare login", author)
				}
			}
		}
		info := prs["pageInfo"].(map[string]any)
		if info["hasNextPage"] != true {
			break
		}
		after = info["endCursor"]
	}
	if !slices.Equal(numbers, []float64{4, 3, 2, 1}) {
		t.Errorf("paged through %v, want newest first 4,3,2,1", numbers)
	}
}

// The fake answers the shape of cli/cli's hand-written prList fixture.
func TestGraphQLMatchesCLIFixtureShape(t *testing.T) {
	s, r := newTestServer(t)
	s.AddPullRequest(r, &PullRequest{Title: "New feature", HeadRef: "feature", Draft: true, CreatedAt: now})
	out := graphql(t, s, `query { repository(owner: "acme", name: "web") { pullRequests(first: 30) {
		totalCount nodes { number title url createdAt headRefName state isDraft } pageInfo { hasNextPage endCursor } } } }`, nil)
	want := fixtureJSON(t, "cli-cli_prList.json")["data"].(map[string]any)["repository"].(map[string]any)["pullRequests"].(map[string]any)
	got := out["data"].(map[string]any)["repository"].(map[string]any)["pullRequests"].(map[string]any)
	if !slices.Equal(keys(got), keys(want)) {
		t.Errorf("keys %v, want %v", keys(got), keys(want))
	}
	if g, w := keys(got["nodes"].([]any)[0].(map[string]any)), keys(want["nodes"].([]any)[0].(map[string]any)); !slices.Equal(g, w) {
		t.Errorf("node keys %v, want %v", g, w)
	}
}

func TestRateLimitsAndFaults(t *testing.T) {
	s, _ := newTestServer(t)
	s.SetRateLimit("core", 0, now.Add(time.Minute))
	resp, b := get(t, s, "/repos/acme/web/actions/workflows", nil)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Remaining") != "0" || !strings.Contains(string(b), "rate limit exceeded") {
		t.Errorf("spent budget: %d %s", resp.StatusCode, b)
	}
	s.SetRateLimit("core", 10, now.Add(time.Minute))
	s.Inject(Fault{Kind: SecondaryLimit, Status: 429, RetryAfter: 8})
	resp, b = get(t, s, "/repos/acme/web", nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "8" || !strings.Contains(string(b), "secondary rate limit") {
		t.Errorf("secondary limit: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	s.FailAfter(1)
	if resp, _ := get(t, s, "/repos/acme/web", nil); resp.StatusCode != 200 {
		t.Errorf("request before FailAfter's count: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s, "/repos/acme/web", nil); resp.StatusCode != 500 {
		t.Errorf("request after FailAfter's count: %d", resp.StatusCode)
	}
	if n := s.RequestCount(); n != 4 {
		t.Errorf("logged %d requests, want 4", n)
	}
}
