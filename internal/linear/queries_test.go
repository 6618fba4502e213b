package linear

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

// sampleVars are variables each query is sent with.
func sampleVars() map[string]map[string]any {
	upTo := t0.Add(-time.Hour)
	return map[string]map[string]any{
		"Viewer":           {},
		"Teams":            {"first": teamsPageSize, "after": nil},
		"Issues":           {"first": DefaultPageSize, "after": "b8c5…", "filter": newPass(cursor{Since: t0.AddDate(-1, 0, 0), UpTo: &upTo}).filter("5e1c…")},
		"IssueLabels":      {"id": "ENG-1", "first": overflowPageSize, "after": nil},
		"IssueAttachments": {"id": "ENG-1", "first": overflowPageSize, "after": "a1"},
	}
}

func TestQueriesAreValidAgainstTheSchema(t *testing.T) {
	vars := sampleVars()
	for name, q := range queries {
		if got := operationName(q); got != name {
			t.Errorf("%s is named %q", name, got)
		}
		if err := linearfake.Validate(q, vars[name]); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(vars) != len(queries) {
		t.Errorf("%d sample variable sets for %d queries", len(vars), len(queries))
	}
	// The check has teeth: a field Linear does not have fails it.
	if err := linearfake.Validate(strings.Replace(issuesQuery, "branchName", "branch", 1), vars["Issues"]); err == nil {
		t.Error("an invalid query passed")
	}
}

// TestQueriesStayWellUnderTheComplexityLimit measures each query's
// complexity as the fake scores it (Linear's published rules).
func TestQueriesStayWellUnderTheComplexityLimit(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.generate(t, 60, "ENG")
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "labels",
		Labels: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"},
		Attachments: []linearfake.Attachment{{URL: "u1"}, {URL: "u2"}, {URL: "u3"}, {URL: "u4"}, {URL: "u5"}, {URL: "u6"},
			{URL: "u7"}, {URL: "u8"}, {URL: "u9"}, {URL: "u10"}, {URL: "u11"}}})
	e.mustSync(t, syncer.Recent)
	if err := e.conn.TestConnection(context.Background()); err != nil {
		t.Fatal(err)
	}
	most := map[string]int{}
	for _, r := range e.fake.Requests() {
		most[r.Operation] = max(most[r.Operation], r.Complexity)
	}
	// The largest page the connector allows.
	var page issuesData
	vars := sampleVars()["Issues"]
	vars["first"], vars["after"] = MaxPageSize, nil
	if err := e.conn.client.Do(context.Background(), issuesQuery, vars, &page); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	largest := reqs[len(reqs)-1].Complexity

	t.Logf("complexity: %v; Issues at %d a page: %d", most, MaxPageSize, largest)
	want := map[string]int{"Viewer": 2, "Teams": 125, "Issues": 2600, "IssueLabels": 231, "IssueAttachments": 251}
	for op, w := range want {
		if most[op] != w {
			t.Errorf("%s costs %d, the comment in queries.go says %d", op, most[op], w)
		}
	}
	if largest > linearfake.MaxComplexity*6/10 {
		t.Errorf("a page of %d issues costs %d, too close to Linear's limit of %d", MaxPageSize, largest, linearfake.MaxComplexity)
	}
}
