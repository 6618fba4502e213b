package github

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// TestTeamsSync: GITHUB_TEAMS syncs teams with their members (child teams'
// included) and the repositories they administer or maintain, in a few
// GraphQL requests; a team gone from GitHub goes; a hand-made team keeps
// its slug.
func TestTeamsSync(t *testing.T) {
	e := newEnv(t, "acme/web", "acme/api", "acme/docs")
	platform := e.fake.AddTeam(&githubfake.Team{Org: "acme", Slug: "platform", Name: "Platform", Members: []string{"Alice", "bob"},
		Repos: map[string]string{"acme/api": "ADMIN", "acme/web": "MAINTAIN", "acme/docs": "WRITE"}})
	e.fake.AddTeam(&githubfake.Team{Org: "acme", Slug: "platform-db", Parent: platform, Members: []string{"carol"},
		Repos: map[string]string{"acme/api": "READ"}})
	big := &githubfake.Team{Org: "acme", Slug: "everyone", Repos: map[string]string{}}
	for i := range 130 {
		big.Members = append(big.Members, fmt.Sprintf("dev%03d", i))
	}
	e.fake.AddTeam(big)
	e.cfg.GitHubTeams = []string{"acme/*"}
	e.rebuild()
	e.fake.ResetRequests()
	rep := e.mustSync(e.github, syncer.Recent)
	var teamRequests []string
	for _, r := range e.fake.Requests() {
		if r.Operation == "Teams" || r.Operation == "TeamMore" {
			teamRequests = append(teamRequests, r.Operation)
		}
	}
	if strings.Join(teamRequests, ",") != "Teams,TeamMore" {
		t.Errorf("team requests %v, want one Teams page and one TeamMore for the team of 130", teamRequests)
	}
	remaining, _ := e.fake.RateLimit("graphql")
	t.Logf("team sync: %d requests, %v records; GraphQL points left %d", len(teamRequests), rep.records["teams"], remaining)
	teams, err := e.store.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The pages' list of slugs: the same teams, in the same order.
	listed, err := e.store.TeamSlugs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var fromTeams []string
	for _, tm := range teams {
		fromTeams = append(fromTeams, tm.Slug)
	}
	if len(listed) != 3 || strings.Join(listed, ",") != strings.Join(fromTeams, ",") {
		t.Errorf("TeamSlugs = %v, want the 3 teams' slugs in Teams' order %v", listed, fromTeams)
	}
	got := map[string]string{}
	for _, tm := range teams {
		got[tm.Slug] = fmt.Sprintf("%s|%d|%s|%s", tm.Source, len(tm.Members), strings.Join(tm.Members[:min(3, len(tm.Members))], ","),
			strings.Join(tm.Repositories, ","))
	}
	want := map[string]string{
		"acme/platform":    "github|3|alice,bob,carol|acme/api,acme/web", // carol from the child team; docs is only WRITE
		"acme/platform-db": "github|1|carol|",                            // READ is not a team repository
		"acme/everyone":    "github|130|dev000,dev001,dev002|",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("teams:\n%v\nwant\n%v", got, want)
	}

	// One team only, and the others go; a hand-made team of the same slug
	// is kept.
	if err := e.store.Tx(context.Background(), func(tx *store.Tx) error {
		if err := tx.DeleteTeam(context.Background(), "acme/platform"); err != nil {
			return err
		}
		return tx.PutTeam(context.Background(), model.Team{Slug: "acme/platform", Source: model.TeamSourceManual, Members: []string{"eve"}})
	}); err != nil {
		t.Fatal(err)
	}
	e.cfg.GitHubTeams = []string{"acme/platform", "acme/platform-db"}
	e.rebuild()
	e.mustSync(e.github, syncer.Recent)
	teams, _ = e.store.Teams(context.Background())
	var slugs []string
	for _, tm := range teams {
		slugs = append(slugs, tm.Slug+":"+tm.Source+":"+strings.Join(tm.Members, ","))
	}
	if strings.Join(slugs, " ") != "acme/platform:manual:eve acme/platform-db:github:carol" {
		t.Errorf("after narrowing GITHUB_TEAMS: %v", slugs)
	}
}
