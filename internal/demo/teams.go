package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// Teams and environments in the demo: four GitHub teams with overlapping
// members (bob and chen are in two), and the web repository deploying
// through GitHub deployments, to staging and then production, as an Actions
// job with `environment:` does. Nothing here draws from the generator's
// random stream, so the rest of the dataset is the same with or without it.

// teamSpec is a GitHub team of the demo organisation.
type teamSpec struct {
	slug, name string
	members    []int    // indexes into people
	repos      []string // repositories it maintains
}

var demoTeams = []teamSpec{
	{"frontend", "Frontend", []int{0, 1, 2, 3, 4}, []string{"web", "design-system"}},
	{"backend", "Backend", []int{5, 6, 7, 8, 1}, []string{"api"}},
	{"mobile", "Mobile", []int{9, 10, 11, 2}, []string{"mobile"}},
	{"platform", "Platform", []int{12, 5, 6}, []string{"infra"}},
}

// githubDeploymentsRepo is the repository whose deployments are GitHub
// deployments.
const githubDeploymentsRepo = "web"

// writeTeams stores the demo's teams and, when extra > 0, that many more
// for benchmarks: bench-01… with 10 to 40 members each (the cast and
// invented logins) and one to three repositories.
func writeTeams(ctx context.Context, tx *store.Tx, seed uint64, extra int) (int, error) {
	n := 0
	for _, t := range demoTeams {
		team := model.Team{Slug: org + "/" + t.slug, Name: t.name}
		for _, i := range t.members {
			team.Members = append(team.Members, people[i].login)
		}
		for _, r := range t.repos {
			team.Repositories = append(team.Repositories, org+"/"+r)
		}
		if _, err := tx.SyncGitHubTeam(ctx, team); err != nil {
			return n, err
		}
		n++
	}
	r := newRNG(seed ^ 0x7ea5)
	for i := range extra {
		team := model.Team{Slug: fmt.Sprintf("%s/bench-%02d", org, i+1), Name: fmt.Sprintf("Bench team %d", i+1)}
		size := 10 + r.IntN(31)
		for _, p := range r.Perm(len(people))[:4+r.IntN(6)] {
			team.Members = append(team.Members, people[p].login)
		}
		for j := len(team.Members); j < size; j++ {
			team.Members = append(team.Members, "dev-"+strconv.Itoa(r.IntN(2000)))
		}
		for _, p := range r.Perm(len(repos))[:1+r.IntN(3)] {
			team.Repositories = append(team.Repositories, org+"/"+repos[p].name)
		}
		if _, err := tx.SyncGitHubTeam(ctx, team); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// githubDeployments adds the GitHub deployments a run of web's deployment
// workflow creates: one to staging, a few minutes into the run, and one to
// production, whose statuses follow the run (success when it succeeded,
// failure or error when it did not). A skipped run creates none.
func (g *generator) githubDeployments(rs *repoState, run model.WorkflowRun) {
	if run.Conclusion == "skipped" {
		return
	}
	g.ids.ghDeploy++
	base := ghDeployIDBase + 10*int64(g.ids.ghDeploy)
	staging := run.CreatedAt.Add(time.Minute)
	prodState := map[string]string{"success": "success", "failure": "failure", "cancelled": "error"}[run.Conclusion]
	g.b.ghDeploys = append(g.b.ghDeploys,
		model.GitHubDeployment{RepoID: rs.id, GitHubID: base, Environment: "staging", SHA: run.HeadSHA, Ref: run.HeadBranch,
			Task: "deploy", CreatorLogin: githubActions, CreatedAt: staging, UpdatedAt: staging.Add(2 * time.Minute),
			Statuses: []model.DeploymentStatus{
				{GitHubID: base*10 + 1, State: "in_progress", Environment: "staging", CreatedAt: staging.Add(time.Second)},
				{GitHubID: base*10 + 2, State: "success", Environment: "staging", CreatedAt: staging.Add(2 * time.Minute)},
			}},
		model.GitHubDeployment{RepoID: rs.id, GitHubID: base + 1, Environment: "production", SHA: run.HeadSHA, Ref: run.HeadBranch,
			Task: "deploy", CreatorLogin: githubActions, CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt,
			Statuses: []model.DeploymentStatus{
				{GitHubID: (base+1)*10 + 1, State: "in_progress", Environment: "production", CreatedAt: run.CreatedAt.Add(time.Second)},
				{GitHubID: (base+1)*10 + 2, State: prodState, Environment: "production", CreatedAt: run.UpdatedAt},
			}},
	)
	g.b.rows += 6
}

// ghDeployIDBase offsets the demo's GitHub deployment ids.
const ghDeployIDBase = 900_000_000

// writeGitHubDeployments stores a batch's GitHub deployments.
func writeGitHubDeployments(ctx context.Context, tx *store.Tx, b *batch) error {
	for i := range b.ghDeploys {
		if _, err := tx.UpsertGitHubDeployment(ctx, &b.ghDeploys[i], true); err != nil {
			return err
		}
	}
	return nil
}
