package cli

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/fake/pagerdutyfake"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestSyncLinearEndToEnd runs `veelocity sync` with the real connectors
// against the fake Linear API.
func TestSyncLinearEndToEnd(t *testing.T) {
	f := linearfake.New()
	defer f.Close()
	if _, err := f.Generate(linearfake.GenerateOptions{Teams: []string{"ENG", "OPS"}, IssuesPerTeam: 30, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	key := f.Key()
	dir := syncDir(t, "LINEAR_API_KEY="+key+"\nLINEAR_API_URL="+f.URL()+"\n")
	url := storetest.URL(t)
	ctx := context.Background()

	code, stdout, stderr := runCLI(t, dir, "sync", "--database", url)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"linear: syncing\n", "linear: ENG: ", "linear: OPS: ", "linear: done: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{"  linear   success ", "60 issues, 2 teams"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	st := storetest.Open(t, url)
	counts, err := st.SourceCounts(ctx, "linear")
	if err != nil || counts["teams"] != 2 || counts["issues"] != 60 {
		t.Fatalf("stored %v, %v; want 2 teams and 60 issues", counts, err)
	}
	scopes, err := st.SyncStates(ctx, "linear")
	if err != nil || len(scopes) < 3 {
		t.Errorf("sync state %+v, %v: want the source and each team", scopes, err)
	}

	// Again, incrementally: nothing changes.
	code, stdout, stderr = runCLI(t, dir, "sync", "--database", url)
	if code != exitOK {
		t.Fatalf("second sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if again, _ := st.SourceCounts(ctx, "linear"); again["issues"] != 60 || again["teams"] != 2 {
		t.Errorf("a second sync changed the counts: %v", again)
	}

	// A revoked key: the sync fails, says so, and never prints the key.
	f.SetKey("lin_api_someOtherKeyEntirely0123")
	code, stdout, stderr = runCLI(t, dir, "sync", "--database", url)
	if code != exitFailure || !strings.Contains(stderr, "linear: FAILED") || !strings.Contains(stdout, "linear failed: ") {
		t.Errorf("revoked key: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, key) {
		t.Errorf("the output shows the key:\n%s\n%s", stdout, stderr)
	}
	runs, err := st.SyncRuns(ctx, "linear", 5)
	if err != nil || len(runs) != 3 || runs[0].Status != "failed" || strings.Contains(runs[0].Error, key) {
		t.Errorf("runs %+v, %v", runs, err)
	}
}

// TestSyncGitHubEndToEnd runs `veelocity sync` with the real GitHub and
// Actions connectors against the fake GitHub, twice: the second,
// incremental sync changes nothing.
func TestSyncGitHubEndToEnd(t *testing.T) {
	f := githubfake.New(githubfake.Options{})
	defer f.Close()
	for i, name := range []string{"web", "api"} {
		repo := f.AddRepo(&githubfake.Repo{Owner: "acme", Name: name})
		f.Generate(repo, githubfake.Bulk{PullRequests: 15, MaxCommits: 3, MaxReviews: 2, MaxComments: 2, Runs: 12, Issues: 6, Seed: uint64(i + 1)})
	}
	dir := syncDir(t, "GITHUB_TOKEN="+f.Token()+"\nGITHUB_REPOS=acme/web,acme/api\nGITHUB_API_URL="+f.URL()+
		"\nGITHUB_GRAPHQL_URL="+f.GraphQLURL()+"\n")
	url := storetest.URL(t)
	ctx := context.Background()

	code, stdout, stderr := runCLI(t, dir, "sync", "--database", url)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"github: acme/web: ", "github: acme/api: ", "actions: acme/web: ", "github: done: ", "actions: done: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{"  github   success ", "  actions  success ", "30 pull_requests"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, f.Token()) {
		t.Fatalf("the output shows the token")
	}
	st := storetest.Open(t, url)
	gh, _ := st.SourceCounts(ctx, "github")
	ac, _ := st.SourceCounts(ctx, "actions")
	if gh["repositories"] != 2 || gh["pull_requests"] != 30 || gh["commits"] == 0 || ac["workflows"] != 6 || ac["workflow_runs"] != 24 {
		t.Fatalf("stored github %v, actions %v", gh, ac)
	}
	first := f.RequestCount()

	f.ResetRequests()
	code, stdout, stderr = runCLI(t, dir, "sync", "--database", url)
	if code != exitOK {
		t.Fatalf("second sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	gh2, _ := st.SourceCounts(ctx, "github")
	ac2, _ := st.SourceCounts(ctx, "actions")
	if !maps.Equal(gh, gh2) || !maps.Equal(ac, ac2) {
		t.Errorf("the second sync changed the counts: github %v → %v, actions %v → %v", gh, gh2, ac, ac2)
	}
	t.Logf("requests: first sync %d, second (incremental) %d", first, f.RequestCount())
	for _, source := range []string{"github", "actions"} {
		runs, err := st.SyncRuns(ctx, source, 5)
		if err != nil || len(runs) != 2 || runs[0].Status != "success" || runs[1].Status != "success" {
			t.Errorf("%s runs %+v, %v", source, runs, err)
		}
	}
}

// TestSyncPagerDutyEndToEnd runs `veelocity sync --source pagerduty`
// against the fake PagerDuty API.
func TestSyncPagerDutyEndToEnd(t *testing.T) {
	f := pagerdutyfake.New()
	defer f.Close()
	f.AddService("PWEB", "Web")
	f.AddService("POPS", "Ops")
	now := time.Now().UTC().Truncate(time.Second)
	resolved := now.Add(-time.Hour)
	f.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "Checkout down", CreatedAt: now.Add(-2 * time.Hour), ResolvedAt: &resolved})
	f.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "Disk full", CreatedAt: now.Add(-3 * time.Hour)})
	dir := syncDir(t, "PAGERDUTY_API_KEY="+pagerdutyfake.DefaultKey+"\nPAGERDUTY_SERVICES=PWEB=acme/web,POPS\nPAGERDUTY_API_URL="+f.URL()+"\n")
	url := storetest.URL(t)

	code, stdout, stderr := runCLI(t, dir, "sync", "--source", "pagerduty", "--database", url)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"pagerduty: PWEB: ", "pagerduty: POPS: ", "pagerduty: done: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "pagerduty") || !strings.Contains(stdout, "2 incidents") || strings.Contains(stdout, "github ") {
		t.Errorf("summary:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr, pagerdutyfake.DefaultKey) {
		t.Errorf("the output shows the key")
	}
	st := storetest.Open(t, url)
	counts, err := st.SourceCounts(context.Background(), "pagerduty")
	if err != nil || counts["incidents"] != 2 {
		t.Fatalf("stored %v, %v; want 2 incidents", counts, err)
	}
}
