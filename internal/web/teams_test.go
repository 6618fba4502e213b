package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// postForm posts a form as the Settings page's would, from origin.
func (s *site) postForm(t *testing.T, path string, form url.Values, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	client := *s.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestSettingsTeamsForm: the Settings page defines, edits and deletes a
// team with a plain form, the change shows at once on the metric pages,
// a refused value names its field, and a form from another site is refused.
func TestSettingsTeamsForm(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	b.PullRequest(web, scenario.PR{Author: "alice", Created: testNow.AddDate(0, 0, -3), Merged: scenario.Ptr(testNow.AddDate(0, 0, -2))})
	b.PullRequest(web, scenario.PR{Author: "bob", Created: testNow.AddDate(0, 0, -3), Merged: scenario.Ptr(testNow.AddDate(0, 0, -2))})
	b.GitHubDeployment(web, 0, "staging", "x", testNow.AddDate(0, 0, -1), scenario.Status{State: "success", At: testNow.AddDate(0, 0, -1)})
	b.Derive()
	if err := st.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.SyncGitHubTeam(context.Background(), model.Team{Slug: "acme/core", Name: "Core", Members: []string{"carol"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, st, testConfig(t), nil)

	r := s.page(t, "/settings", http.StatusOK)
	_, rows := tableData(find(r.doc, sel("table", "#table-deployment-sources")))
	if len(rows) != 1 || rows[0][1] != "GitHub deployments" || !strings.Contains(rows[0][2], "1 GitHub deployment is synced") {
		t.Errorf("deployment sources: %q", rows)
	}
	if find(r.doc, sel("details", "[data-team=acme/core]")) == nil || find(find(r.doc, sel("details", "[data-team=acme/core]")), sel("form")) != nil {
		t.Error("the GitHub team is not listed, or is editable")
	}
	if len(findAll(r.doc, sel("script"))) != len(findAll(r.doc, sel("script", "[src]"))) {
		t.Error("an inline script on the Settings page")
	}
	self := s.URL
	status, _ := s.postForm(t, "/settings/teams", url.Values{"slug": {"web-team"}, "name": {"Web"}, "members": {"alice\ncarol"},
		"repositories": {"acme/web"}, "action": {"save"}}, self)
	if status != http.StatusSeeOther {
		t.Fatalf("saving a team: %d, want 303", status)
	}
	// The change shows at once: the team has one merged PR (alice's),
	// then two once bob joins.
	count := func() string {
		var out []string
		r := s.page(t, "/pull-requests?start_date=2026-03-01&end_date=2026-03-19&team=web-team", http.StatusOK)
		for _, row := range findAll(r.doc, sel("tr")) {
			out = append(out, text(row))
		}
		return strings.Join(out, "|")
	}
	if got := count(); !strings.Contains(got, "alice") || strings.Contains(got, "bob") {
		t.Errorf("PRs of web-team: %s", got)
	}
	status, _ = s.postForm(t, "/settings/teams", url.Values{"slug": {"web-team"}, "members": {"alice, BOB"}, "action": {"save"}}, self)
	if status != http.StatusSeeOther {
		t.Fatalf("editing a team: %d", status)
	}
	if got := count(); !strings.Contains(got, "alice") || !strings.Contains(got, "bob") {
		t.Errorf("PRs of web-team after adding bob: %s", got)
	}
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"slug": {"Bad Slug"}}, "Slug:"},
		{url.Values{"slug": {"ok"}, "members": {"not a login"}}, "Members:"},
		{url.Values{"slug": {"ok"}, "repositories": {"web"}}, "Repositories:"},
		{url.Values{"slug": {"acme/core"}, "members": {"eve"}}, "synced from GitHub"},
	} {
		status, body := s.postForm(t, "/settings/teams", tc.form, self)
		if status != http.StatusBadRequest || !strings.Contains(body, tc.field) {
			t.Errorf("%v: %d, want 400 naming %s", tc.form, status, tc.field)
		}
	}
	if status, _ := s.postForm(t, "/settings/teams", url.Values{"slug": {"evil"}}, "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("a cross-site form: %d, want 403", status)
	}
	status, _ = s.postForm(t, "/settings/teams", url.Values{"slug": {"web-team"}, "action": {"delete"}}, self)
	if status != http.StatusSeeOther {
		t.Fatalf("deleting a team: %d", status)
	}
	s.page(t, "/dashboard?team=web-team", http.StatusNotFound)
}

// TestIncidentsPageTeam: team= restricts the incidents list to the team's
// repositories (METRICS.md: the repo-filter rule, applied to a set of
// repositories), and a team without repositories lists none.
func TestIncidentsPageTeam(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web, api := b.Repo("acme/web"), b.Repo("acme/api")
	b.Incident(web, "web-outage", testNow.AddDate(0, 0, -3), scenario.Ptr(testNow.AddDate(0, 0, -2)))
	b.Incident(api, "api-outage", testNow.AddDate(0, 0, -3), scenario.Ptr(testNow.AddDate(0, 0, -2)))
	b.Derive()
	ctx := context.Background()
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateTeam(ctx, model.Team{Slug: "web-team", Name: "Web", Members: []string{"alice"}, Repositories: []string{"acme/web"}}); err != nil {
			return err
		}
		return tx.CreateTeam(ctx, model.Team{Slug: "no-repos", Name: "None", Members: []string{"alice"}})
	}); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, st, testConfig(t), nil)
	list := func(query string) []string {
		r := s.page(t, "/incidents?start_date=2026-03-01&end_date=2026-03-19"+query, http.StatusOK)
		_, rows := tableData(find(r.doc, sel("table", "#table-incidents")))
		var out []string
		for _, row := range rows {
			out = append(out, row[2])
		}
		return out
	}
	if got := list(""); len(got) != 2 {
		t.Errorf("all incidents: %q, want both", got)
	}
	if got := list("&team=web-team"); len(got) != 1 || got[0] != "acme/web" {
		t.Errorf("web-team's incidents: %q, want acme/web's only", got)
	}
	if got := list("&team=no-repos"); len(got) != 0 {
		t.Errorf("a team without repositories: %q, want none", got)
	}
	if got := list("&team=web-team&repo=acme/api"); len(got) != 0 {
		t.Errorf("web-team with repo=acme/api: %q, want none", got)
	}
}
