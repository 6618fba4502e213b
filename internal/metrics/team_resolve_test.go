package metrics

import (
	"context"
	"reflect"
	"testing"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestResolveTeamsEqualsResolveTeam checks that resolving every team at
// once gives, team by team, what resolving each alone gives: members in
// any case, repositories synced or not, a team without either.
func TestResolveTeamsEqualsResolveTeam(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	b.Repo("acme/web")
	b.Repo("acme/api")
	b.DefineTeam("Web", []string{"Alice", "bob"}, []string{"acme/web", "acme/not-synced"})
	b.DefineTeam("platform", []string{"carol", "alice"}, []string{"acme/api", "ACME/web"})
	b.DefineTeam("empty", nil, nil)
	ctx := context.Background()
	all, err := ResolveTeams(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("%d teams resolved, want 3", len(all))
	}
	withRepos := 0
	for _, got := range all {
		want, err := ResolveTeam(ctx, st, got.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("team %s: at once %+v, alone %+v", got.Slug, got, want)
		}
		if len(got.RepoIDs) > 0 {
			withRepos++
		}
	}
	if withRepos != 2 {
		t.Errorf("%d teams have repositories, want 2", withRepos)
	}
}
