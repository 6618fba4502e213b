package demo

import "github.com/veelocity/veelocity/internal/model"

// batch is one transaction's worth of records. RepoID is set on the PRs,
// runs and issues.
type batch struct {
	prs    []model.PullRequest
	runs   []model.WorkflowRun
	issues []model.Issue
	linear []model.LinearIssue
	// ghDeploys are GitHub deployments with their statuses.
	ghDeploys []model.GitHubDeployment
	rows      int // records of every kind, children included
}

func newBatch() *batch { return &batch{} }

func (b *batch) addPR(pr model.PullRequest) {
	b.prs = append(b.prs, pr)
	b.rows += 1 + len(pr.Reviews) + len(pr.Comments) + len(pr.Commits)
}

// Counts are the records the demo wrote, by kind.
type Counts struct {
	Repositories int `json:"repositories"`
	Workflows    int `json:"workflows"`
	LinearTeams  int `json:"linear_teams"`
	PullRequests int `json:"pull_requests"`
	Reviews      int `json:"reviews"`
	Comments     int `json:"comments"`
	Commits      int `json:"commits"`
	WorkflowRuns int `json:"workflow_runs"`
	Issues       int `json:"issues"`
	LinearIssues int `json:"linear_issues"`
	Attachments  int `json:"attachments"`
	Teams        int `json:"teams"`
	// GitHubDeployments counts GitHub deployments (each with its statuses).
	GitHubDeployments int `json:"github_deployments"`
}

// Rows is the total number of records.
func (c Counts) Rows() int {
	return c.Repositories + c.Workflows + c.LinearTeams + c.PullRequests + c.Reviews + c.Comments + c.Commits +
		c.WorkflowRuns + c.Issues + c.LinearIssues + c.Attachments + c.Teams + c.GitHubDeployments
}

// add counts the records of b.
func (c *Counts) add(b *batch) {
	c.PullRequests += len(b.prs)
	for i := range b.prs {
		c.Reviews += len(b.prs[i].Reviews)
		c.Comments += len(b.prs[i].Comments)
		c.Commits += len(b.prs[i].Commits)
	}
	c.WorkflowRuns += len(b.runs)
	c.Issues += len(b.issues)
	c.LinearIssues += len(b.linear)
	c.GitHubDeployments += len(b.ghDeploys)
	for i := range b.linear {
		c.Attachments += len(b.linear[i].Attachments)
	}
}
