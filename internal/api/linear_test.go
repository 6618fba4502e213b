package api_test

import (
	"slices"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// seedDataLinear stores teams ENG and OPS and four issues, and links ENG-1
// to acme/web#24 (by identifier) and acme/api#2 (by attachment).
func seedDataLinear(e *dataEnv, d dataGitHubSeed) {
	e.tx(func(tx *store.Tx) error {
		for _, t := range []*model.LinearTeam{
			{LinearID: "team-ops", Key: "OPS", Name: "Operations"},
			{LinearID: "team-eng", Key: "ENG", Name: "Engineering"},
		} {
			if _, err := tx.UpsertLinearTeam(e.ctx, t); err != nil {
				return err
			}
		}
		for _, is := range []*model.LinearIssue{
			{LinearID: "i1", TeamLinearID: "team-eng", Identifier: "ENG-1", Number: 1, Title: "Login fails", StateName: "Done",
				StateType: "completed", Priority: 1, Estimate: dataPtr(3.0), Labels: []string{"Bug"},
				CreatedAt: dataTime("2026-03-01T00:00:00Z"), UpdatedAt: dataTime("2026-03-15T00:00:00Z"),
				CompletedAt: dataPtr(dataTime("2026-03-15T10:00:00Z"))},
			{LinearID: "i2", TeamLinearID: "team-eng", Identifier: "ENG-2", Number: 2, Title: "Dark mode", StateName: "In Progress",
				StateType: "started", CreatedAt: dataTime("2026-03-02T00:00:00Z"), UpdatedAt: dataTime("2026-03-02T00:00:00Z")},
			{LinearID: "i3", TeamLinearID: "team-eng", Identifier: "ENG-3", Number: 3, Title: "Faster builds", StateName: "Done",
				StateType: "completed", CreatedAt: dataTime("2026-03-03T00:00:00Z"), UpdatedAt: dataTime("2026-03-31T00:00:00Z"),
				CompletedAt: dataPtr(dataTime("2026-03-31T23:59:59.999Z"))},
			{LinearID: "i4", TeamLinearID: "team-ops", Identifier: "OPS-1", Number: 1, Title: "Rotate keys", StateName: "Canceled",
				StateType: "canceled", CreatedAt: dataTime("2026-03-04T00:00:00Z"), UpdatedAt: dataTime("2026-03-04T00:00:00Z"),
				CanceledAt: dataPtr(dataTime("2026-03-05T00:00:00Z"))},
		} {
			if _, err := tx.UpsertLinearIssue(e.ctx, is); err != nil {
				return err
			}
		}
		return nil
	})
	e.exec(`INSERT INTO linear_issue_prs (issue_id, pr_id, via) SELECT id, $1, 'identifier' FROM linear_issues WHERE identifier = 'ENG-1'`, d.prs["web#24"])
	e.exec(`INSERT INTO linear_issue_prs (issue_id, pr_id, via) SELECT id, $1, 'attachment' FROM linear_issues WHERE identifier = 'ENG-1'`, d.prs["api#2"])
}

func TestListLinearTeams(t *testing.T) {
	e := newDataEnv(t)
	seedDataLinear(e, seedDataGitHub(e))
	var got dataList[store.LinearTeamSummary]
	e.getJSON("/api/v1/linear/teams", &got)
	if got.Total != 2 || len(got.Items) != 2 || got.Items[0].Key != "ENG" || got.Items[0].IssueCount != 3 ||
		got.Items[0].Name != "Engineering" || got.Items[1].Key != "OPS" || got.Items[1].IssueCount != 1 {
		t.Errorf("teams, by key: %+v", got)
	}
	e.getJSON("/api/v1/linear/teams?limit=1&page=2", &got)
	if got.Total != 2 || got.Pages != 2 || len(got.Items) != 1 || got.Items[0].Key != "OPS" {
		t.Errorf("second page: %+v", got)
	}
	e.wantError("GET", "/api/v1/linear/teams?limit=1000", "", 400, "limit:")
}

func TestListLinearIssues(t *testing.T) {
	e := newDataEnv(t)
	d := seedDataGitHub(e)
	seedDataLinear(e, d)
	for _, tc := range []struct {
		query string
		total int
		want  []string
	}{
		{"", 4, []string{"OPS-1", "ENG-3", "ENG-2", "ENG-1"}},
		{"?team=ENG", 3, []string{"ENG-3", "ENG-2", "ENG-1"}},
		{"?team=ops", 1, []string{"OPS-1"}},
		{"?state_type=completed", 2, []string{"ENG-3", "ENG-1"}},
		{"?state_type=canceled&team=ENG", 0, []string{}},
		{"?completed_from=2026-03-16", 1, []string{"ENG-3"}},
		{"?completed_to=2026-03-31", 2, []string{"ENG-3", "ENG-1"}},
		{"?completed_to=2026-03-30", 1, []string{"ENG-1"}},
		{"?completed_from=2026-03-15&completed_to=2026-03-15", 1, []string{"ENG-1"}},
		{"?limit=3", 4, []string{"OPS-1", "ENG-3", "ENG-2"}},
		{"?limit=3&page=2", 4, []string{"ENG-1"}},
		{"?limit=3&page=3", 4, []string{}},
	} {
		var l dataList[store.LinearIssueItem]
		e.getJSON("/api/v1/linear/issues"+tc.query, &l)
		got := []string{}
		for _, is := range l.Items {
			got = append(got, is.Identifier)
		}
		if l.Total != tc.total || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %d %v, want %d %v", tc.query, l.Total, got, tc.total, tc.want)
		}
	}

	var l dataList[store.LinearIssueItem]
	e.getJSON("/api/v1/linear/issues?team=ENG&state_type=completed&completed_to=2026-03-20", &l)
	if len(l.Items) != 1 {
		t.Fatalf("ENG-1: %+v", l)
	}
	is := l.Items[0]
	if is.TeamKey != "ENG" || is.Title != "Login fails" || is.Priority != 1 || is.Estimate == nil || *is.Estimate != 3 ||
		!slices.Equal(is.Labels, []string{"Bug"}) || is.CompletedAt == nil || !is.CompletedAt.Equal(dataTime("2026-03-15T10:00:00Z")) {
		t.Errorf("issue: %+v", is.LinearIssue)
	}
	if len(is.PRs) != 2 || is.PRs[0].Repo != "acme/api" || is.PRs[0].Number != 2 || is.PRs[0].Via != "attachment" ||
		is.PRs[0].MergedAt == nil || is.PRs[1].Repo != "acme/web" || is.PRs[1].Number != 24 || is.PRs[1].Via != "identifier" ||
		is.PRs[1].State != "merged" || is.PRs[1].URL != "https://github.com/acme/web/pull/24" {
		t.Errorf("linked PRs: %+v", is.PRs)
	}
	e.getJSON("/api/v1/linear/issues?team=ENG&state_type=started", &l)
	if len(l.Items) != 1 || l.Items[0].PRs == nil || len(l.Items[0].PRs) != 0 {
		t.Errorf("an issue without PRs lists none: %+v", l.Items)
	}

	for _, tc := range []struct{ query, param string }{
		{"?state_type=done", "state_type:"},
		{"?completed_from=2026-03-20&completed_to=2026-03-19", "completed_from:"},
		{"?completed_to=03/19/2026", "completed_to:"},
		{"?limit=abc", "limit:"},
	} {
		e.wantError("GET", "/api/v1/linear/issues"+tc.query, "", 400, tc.param)
	}
	e.wantError("GET", "/api/v1/linear/issues?team=NOPE", "", 404, "Linear team not found")
}
