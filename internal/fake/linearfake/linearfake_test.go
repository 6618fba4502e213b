package linearfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// post sends one GraphQL request and returns the status, headers and body.
func post(t *testing.T, s *Server, key, query string, vars map[string]any) (int, http.Header, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL(), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, strings.TrimSpace(buf.String())
}

func newFake(t *testing.T) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	now := t0
	s.SetClock(func() time.Time { return now })
	return s
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestAnswersExactlyTheSelectedFields(t *testing.T) {
	s := newFake(t)
	s.AddTeam("ENG", "Engineering")
	est := 3.0
	s.MustAddIssue(IssueInput{Team: "ENG", Title: "Fix login", State: "Done", Priority: 2, Estimate: &est,
		Assignee: "jane.doe@example.com", Labels: []string{"bug", "incident"},
		Attachments: []Attachment{{URL: "https://github.com/acme/web/pull/7"}},
		CreatedAt:   at(-48 * time.Hour), UpdatedAt: at(-time.Hour)})

	status, _, body := post(t, s, DefaultKey, `query One {
		issues(first: 5) { nodes { identifier number title url branchName priority estimate
			createdAt completedAt canceledAt state { name type } assignee { name email }
			labels { nodes { name } } attachments { nodes { url sourceType } } } }
	}`, nil)
	want := `{"data":{"issues":{"nodes":[{"identifier":"ENG-1","number":1,"title":"Fix login",` +
		`"url":"https://linear.app/fake/issue/ENG-1/fix-login","branchName":"janedoe/eng-1-fix-login","priority":2,` +
		`"estimate":3,"createdAt":"2026-02-28T09:00:00.000Z","completedAt":"2026-03-02T08:00:00.000Z","canceledAt":null,` +
		`"state":{"name":"Done","type":"completed"},"assignee":{"name":"Jane Doe","email":"jane.doe@example.com"},` +
		`"labels":{"nodes":[{"name":"incident"},{"name":"bug"}]},` +
		`"attachments":{"nodes":[{"url":"https://github.com/acme/web/pull/7","sourceType":"github"}]}}]}}}`
	if status != http.StatusOK || body != want {
		t.Errorf("got %d\n%s\nwant\n%s", status, body, want)
	}
}

func TestRejectsDocumentsTheSchemaRejects(t *testing.T) {
	s := newFake(t)
	tests := []struct {
		name, query string
		vars        map[string]any
	}{
		{"unknown field", `query { issues { nodes { id totalCount } } }`, nil},
		{"connection without nodes", `query { issues { totalCount } }`, nil},
		{"wrong argument", `query { issues(orderBy: priority) { nodes { id } } }`, nil},
		{"unknown filter field", `query { issues(filter: {updated: {gt: "2024"}}) { nodes { id } } }`, nil},
		{"variable of the wrong type", `query Q($n: Int) { issues(first: $n) { nodes { id } } }`, map[string]any{"n": "ten"}},
		{"missing required variable", `query Q($id: String!) { issue(id: $id) { id } }`, map[string]any{}},
		{"mutation", `mutation { issueArchive(id: "x") { success } }`, nil},
		{"syntax", `query { issues { nodes { id }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, s, DefaultKey, tt.query, tt.vars)
			if status != http.StatusBadRequest || !strings.Contains(body, `"errors"`) || !strings.Contains(body, `"data":null`) {
				t.Errorf("got %d %s, want a 400 GraphQL error", status, body)
			}
			if err := Validate(tt.query, tt.vars); err == nil && tt.name != "mutation" {
				t.Error("Validate accepted it")
			}
		})
	}
	if n := len(s.InvalidDocuments()); n != len(tests) {
		t.Errorf("InvalidDocuments lists %d documents, want %d", n, len(tests))
	}
}

func TestUnimplementedFieldsAreErrorsNotMadeUpData(t *testing.T) {
	s := newFake(t)
	s.AddTeam("ENG", "")
	s.MustAddIssue(IssueInput{Team: "ENG", Title: "x"})
	status, _, body := post(t, s, DefaultKey, `{ issues { nodes { id cycle { id } } } }`, nil)
	if status != http.StatusOK || !strings.Contains(body, `Issue.cycle is not implemented`) || !strings.Contains(body, `"data":null`) {
		t.Errorf("got %d %s", status, body)
	}
}

// ids runs an issues query and returns the identifiers and the end cursor.
func ids(t *testing.T, s *Server, args string, vars map[string]any) ([]string, string, bool) {
	t.Helper()
	var decl []string
	if strings.Contains(args, "$after") {
		decl = append(decl, "$after: String")
	}
	if strings.Contains(args, "$filter") {
		decl = append(decl, "$filter: IssueFilter")
	}
	q := "query Q"
	if len(decl) > 0 {
		q += "(" + strings.Join(decl, ", ") + ")"
	}
	status, _, body := post(t, s, DefaultKey, q+` { issues(`+args+`) {
		nodes { identifier } pageInfo { hasNextPage endCursor } } }`, vars)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var out struct {
		Data struct {
			Issues struct {
				Nodes    []struct{ Identifier string }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%v %s", err, body)
	}
	var got []string
	for _, n := range out.Data.Issues.Nodes {
		got = append(got, n.Identifier)
	}
	return got, out.Data.Issues.PageInfo.EndCursor, out.Data.Issues.PageInfo.HasNextPage
}

func TestPaginatesFiltersAndOrders(t *testing.T) {
	s := newFake(t)
	s.AddTeam("ENG", "")
	s.AddTeam("OPS", "")
	for i := range 5 {
		s.MustAddIssue(IssueInput{Team: "ENG", Title: "e", CreatedAt: at(time.Duration(i) * time.Hour),
			UpdatedAt: at(time.Duration(10-i) * time.Hour)})
	}
	s.MustAddIssue(IssueInput{Team: "OPS", Title: "o", CreatedAt: at(0), UpdatedAt: at(20 * time.Hour)})
	archived := at(time.Hour)
	s.MustAddIssue(IssueInput{Team: "ENG", Title: "archived", CreatedAt: at(0), UpdatedAt: at(30 * time.Hour), ArchivedAt: &archived})
	s.SetClock(func() time.Time { return at(4 * time.Hour) })

	tests := []struct {
		name, args string
		vars       map[string]any
		want       []string
		more       bool
	}{
		{"created, newest first", "first: 3", nil, []string{"ENG-5", "ENG-4", "ENG-3"}, true},
		{"updated, newest first", "first: 3, orderBy: updatedAt", nil, []string{"OPS-1", "ENG-1", "ENG-2"}, true},
		{"team key", `first: 10, orderBy: updatedAt, filter: {team: {key: {eq: "OPS"}}}`, nil, []string{"OPS-1"}, false},
		{"team key in", `first: 10, filter: {team: {key: {in: ["OPS"]}}}`, nil, []string{"OPS-1"}, false},
		{"updated after", "first: 10, orderBy: updatedAt, filter: $filter",
			map[string]any{"filter": map[string]any{"updatedAt": map[string]any{"gt": "2026-03-02T16:00:00.000Z"}}},
			[]string{"OPS-1", "ENG-1", "ENG-2", "ENG-3"}, false},
		{"updated at or after, and before", "first: 10, orderBy: updatedAt, filter: $filter",
			map[string]any{"filter": map[string]any{"updatedAt": map[string]any{"gte": "2026-03-02T16:00:00.000Z", "lte": "2026-03-02T18:00:00Z"}}},
			[]string{"ENG-2", "ENG-3", "ENG-4"}, false},
		{"archived included", `first: 1, orderBy: updatedAt, includeArchived: true`, nil, []string{"ENG-6"}, true},
		{"relative to the clock", `first: 10, filter: {createdAt: {gt: "-PT1H"}}`, nil, []string{"ENG-5"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, more := ids(t, s, tt.args, tt.vars)
			if !slices.Equal(got, tt.want) || more != tt.more {
				t.Errorf("got %v (more %v), want %v (more %v)", got, more, tt.want, tt.more)
			}
		})
	}

	t.Run("pages follow endCursor", func(t *testing.T) {
		var all []string
		after := ""
		for range 10 {
			vars := map[string]any{}
			if after != "" {
				vars["after"] = after
			}
			got, end, more := ids(t, s, "first: 2, after: $after, orderBy: updatedAt", vars)
			all = append(all, got...)
			if !more {
				break
			}
			after = end
		}
		want := []string{"OPS-1", "ENG-1", "ENG-2", "ENG-3", "ENG-4", "ENG-5"}
		if !slices.Equal(all, want) {
			t.Errorf("got %v, want %v", all, want)
		}
	})
}

func TestRejectsWrongKeys(t *testing.T) {
	s := newFake(t)
	for _, key := range []string{"", "lin_api_wrong", "Bearer " + DefaultKey} {
		status, h, body := post(t, s, key, `{ viewer { id } }`, nil)
		if status != http.StatusUnauthorized || !strings.Contains(body, `"AUTHENTICATION_ERROR"`) {
			t.Errorf("key %q: got %d %s", key, status, body)
		}
		if h.Get("X-RateLimit-Requests-Remaining") == "" {
			t.Errorf("key %q: no rate-limit headers", key)
		}
	}
	s.RejectKeysWith(http.StatusBadRequest)
	if status, _, _ := post(t, s, "nope", `{ viewer { id } }`, nil); status != http.StatusBadRequest {
		t.Errorf("got %d, want 400", status)
	}
}

func TestRateLimits(t *testing.T) {
	s := newFake(t)
	now := t0
	s.SetClock(func() time.Time { return now })
	s.SetRateLimit(RateLimit{RequestsLimit: 2, RequestsRemaining: 2, ComplexityLimit: 100, ComplexityRemaining: 100})
	reset := strconv.FormatInt(t0.Add(time.Hour).UnixMilli(), 10)

	type answer struct {
		status              int
		remaining, cxRemain string
		complexity          string
	}
	ask := func() answer {
		status, h, _ := post(t, s, DefaultKey, `{ viewer { name } }`, nil)
		if now.Equal(t0) && (h.Get("X-RateLimit-Requests-Reset") != reset || h.Get("X-RateLimit-Requests-Limit") != "2") {
			t.Errorf("reset %s limit %s, want %s 2", h.Get("X-RateLimit-Requests-Reset"), h.Get("X-RateLimit-Requests-Limit"), reset)
		}
		return answer{status, h.Get("X-RateLimit-Requests-Remaining"), h.Get("X-RateLimit-Complexity-Remaining"), h.Get("X-Complexity")}
	}
	want := []answer{{200, "1", "98", "2"}, {200, "0", "96", "2"}, {400, "0", "96", "2"}}
	for i, w := range want {
		if got := ask(); got != w {
			t.Errorf("request %d: got %+v, want %+v", i+1, got, w)
		}
	}
	now = t0.Add(time.Hour)
	if got := ask(); got.status != 200 || got.remaining != "1" {
		t.Errorf("after the reset: got %+v", got)
	}

	s.RateLimitNext(1)
	status, h, body := post(t, s, DefaultKey, `{ viewer { name } }`, nil)
	if status != http.StatusBadRequest || !strings.Contains(body, `"code":"RATELIMITED"`) ||
		h.Get("X-RateLimit-Requests-Remaining") != "0" {
		t.Errorf("RateLimitNext: got %d %s %s", status, h.Get("X-RateLimit-Requests-Remaining"), body)
	}
	if got := ask(); got.status != 200 || got.remaining != "0" {
		t.Errorf("after the forced RATELIMITED: got %+v, want the budget's last request", got)
	}
}

func TestFailures(t *testing.T) {
	s := newFake(t)
	s.FailNext(2, http.StatusBadGateway)
	var got []int
	for range 3 {
		status, _, _ := post(t, s, DefaultKey, `{ viewer { id } }`, nil)
		got = append(got, status)
	}
	s.FailAfter(1)
	for range 3 {
		status, _, _ := post(t, s, DefaultKey, `{ viewer { id } }`, nil)
		got = append(got, status)
	}
	want := []int{502, 502, 200, 200, 500, 500}
	if !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if s.RequestCount() != 6 {
		t.Errorf("RequestCount %d, want 6", s.RequestCount())
	}
}

func TestComplexity(t *testing.T) {
	tests := []struct {
		query string
		want  int
	}{
		// The examples of Linear's rate-limiting docs, on viewer.
		{`{ viewer { name } }`, 2},
		{`{ viewer { createdIssues { nodes { id title createdAt } } } }`, 66},
		{`{ viewer { createdIssues(first: 10) { nodes { id title createdAt } } } }`, 14},
	}
	for _, tt := range tests {
		doc, op, vars, err := parse(tt.query, "", nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := complexity(op, doc, vars); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.query, got, tt.want)
		}
	}
	s := newFake(t)
	status, h, body := post(t, s, DefaultKey, `{ teams(first: 100) { nodes { issues(first: 100) { nodes { id } } } } }`, nil)
	if status != http.StatusBadRequest || h.Get("X-Complexity") != "11100" || !strings.Contains(body, "too complex") {
		t.Errorf("got %d %s %s", status, h.Get("X-Complexity"), body)
	}
}

func TestGenerateIsReproducible(t *testing.T) {
	gen := func() []Issue {
		s := newFake(t)
		n, err := s.Generate(GenerateOptions{Teams: []string{"ENG", "OPS"}, IssuesPerTeam: 200, Seed: 7})
		if err != nil || n != 400 {
			t.Fatalf("Generate: %d, %v", n, err)
		}
		return s.Issues()
	}
	a, b := gen(), gen()
	incidents, attached := 0, 0
	for i := range a {
		if a[i].Identifier != b[i].Identifier || a[i].Title != b[i].Title || !a[i].UpdatedAt.Equal(b[i].UpdatedAt) {
			t.Fatalf("issue %d differs: %+v vs %+v", i, a[i], b[i])
		}
		if slices.Contains(a[i].Labels, "incident") {
			incidents++
		}
		if len(a[i].Attachments) > 0 {
			attached++
		}
		if a[i].UpdatedAt.Before(a[i].CreatedAt) {
			t.Errorf("%s updated before it was created", a[i].Identifier)
		}
	}
	if incidents == 0 || attached == 0 {
		t.Errorf("%d incidents, %d issues with PRs; want some of each", incidents, attached)
	}
}
