package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

// syncedScopes returns the repositories a sync reported, sorted.
func syncedScopes(rep *reporter) []string {
	out := slices.Clone(rep.scopes)
	slices.Sort(out)
	return slices.Compact(out)
}

func TestDiscoveryListsOwnersAndFollowsChanges(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 130 { // more than a page of 100
		r := e.fake.AddRepo(&githubfake.Repo{Owner: "acme", Name: fmt.Sprintf("r%03d", i)})
		switch {
		case i%50 == 7:
			r.Fork = true
		case i%50 == 9:
			r.Archived = true
		case i == 5: // excluded below
		default:
			want = append(want, r.FullName())
		}
	}
	e.fake.SetUser("dana")
	e.fake.AddRepo(&githubfake.Repo{Owner: "dana", Name: "dotfiles"})
	want = append(want, "dana/dotfiles", "solo/one")
	e.fake.AddRepo(&githubfake.Repo{Owner: "solo", Name: "one"})
	e.fake.AddRepo(&githubfake.Repo{Owner: "solo", Name: "two"}) // not asked for
	e.fake.AddPullRequest(e.fake.Repo("acme/r001"), &githubfake.PullRequest{Title: "Kept", CreatedAt: t0.Add(-time.Hour)})
	e.cfg.GitHubRepos = []string{"acme/*", "!acme/r005", "dana/*", "solo/one"}

	rep := e.mustSync(e.github, syncer.Recent)
	slices.Sort(want)
	if got := syncedScopes(rep); !slices.Equal(got, want) {
		t.Fatalf("synced %d repositories, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	var listing []string
	for _, r := range e.fake.Requests() {
		if r.Method == "GET" && strings.HasSuffix(strings.SplitN(r.Path, "?", 2)[0], "/repos") {
			listing = append(listing, fmt.Sprintf("%s %d", strings.SplitN(r.Path, "?", 2)[0], r.Status))
		}
	}
	t.Logf("discovery of %d repositories took %d requests: %v", len(want), len(listing), listing)
	wantListing := []string{"/orgs/acme/repos 200", "/orgs/acme/repos 200", "/orgs/dana/repos 404", "/users/dana/repos 200"}
	if !slices.Equal(listing, wantListing) {
		t.Errorf("listing requests %v, want %v", listing, wantListing)
	}

	// A new repository is picked up by the next sync; one that leaves the
	// list stops syncing, keeps its data and is marked inactive.
	e.fake.AddRepo(&githubfake.Repo{Owner: "acme", Name: "brand-new"})
	e.cfg.GitHubRepos = append(e.cfg.GitHubRepos, "!acme/r001")
	e.clock.t = e.clock.t.Add(15 * time.Minute)
	rep = e.mustSync(e.github, syncer.Recent)
	got := syncedScopes(rep)
	if !slices.Contains(got, "acme/brand-new") || slices.Contains(got, "acme/r001") {
		t.Errorf("second sync: brand-new synced %v, r001 synced %v", slices.Contains(got, "acme/brand-new"), slices.Contains(got, "acme/r001"))
	}
	ctx := context.Background()
	inactive, err := e.store.InactiveRepositories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(inactive, []string{"acme/r001"}) {
		t.Errorf("inactive repositories %v, want [acme/r001]", inactive)
	}
	r001, err := e.store.RepositoryByName(ctx, "acme/r001")
	if err != nil || r001.Active {
		t.Errorf("acme/r001: active %v, err %v", r001.Active, err)
	}
	if n := e.count("pull_requests"); n != 1 {
		t.Errorf("the inactive repository's PR was not kept: %d PRs", n)
	}

	// Back in the list, it is active again; forks and archived ones come
	// in when asked for.
	e.cfg.GitHubRepos = []string{"acme/*"}
	e.cfg.GitHubIncludeForks, e.cfg.GitHubIncludeArchived = true, true
	e.clock.t = e.clock.t.Add(15 * time.Minute)
	rep = e.mustSync(e.github, syncer.Recent)
	if got := syncedScopes(rep); len(got) != 131 {
		t.Errorf("with forks and archived: synced %d repositories, want 131", len(got))
	}
	if inactive, _ := e.store.InactiveRepositories(ctx); !slices.Equal(inactive, []string{"dana/dotfiles", "solo/one"}) {
		t.Errorf("inactive repositories %v, want dana/dotfiles and solo/one", inactive)
	}
}

func TestDiscoveryOfAnUnknownOwnerFailsClearly(t *testing.T) {
	e := newEnv(t)
	e.cfg.GitHubRepos = []string{"nobody/*"}
	_, err := e.sync(e.github, syncer.Recent)
	if err == nil || !strings.Contains(err.Error(), "GITHUB_REPOS nobody/*") || !strings.Contains(err.Error(), "404") {
		t.Errorf("got %v; want an error naming GITHUB_REPOS nobody/* and the 404", err)
	}
}
