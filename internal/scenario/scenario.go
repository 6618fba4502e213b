// Package scenario builds small, exact datasets for tests of the derive step
// and the metrics: repositories, pull requests, workflow runs, deployments,
// incidents and Linear issues, written through the store like a sync would
// write them, with defaults for everything a test does not care about.
package scenario

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// Builder writes records into a store for one test.
type Builder struct {
	t    testing.TB
	St   *store.Store
	Opts derive.Options
	der  *derive.Deriver
	ids  int64
}

// New returns a Builder over st with the default derive options
// (DEPLOYMENT_PATTERNS deploy,release,publish; INCIDENT_LABELS incident;
// INCIDENT_WINDOW 168h).
func New(t testing.TB, st *store.Store) *Builder {
	opts := derive.Options{
		DeploymentPatterns: []string{"deploy", "release", "publish"},
		IncidentLabels:     []string{"incident"},
		IncidentWindow:     168 * time.Hour,
	}
	return &Builder{t: t, St: st, Opts: opts, der: derive.New(st, opts, nil)}
}

// SetOptions replaces the derive options (for tests of changed settings).
func (b *Builder) SetOptions(o derive.Options) {
	b.Opts = o
	b.der = derive.New(b.St, o, nil)
}

func (b *Builder) nextID() int64 {
	b.ids++
	return 1000 + b.ids
}

func (b *Builder) tx(fn func(ctx context.Context, tx *store.Tx) error) {
	b.t.Helper()
	ctx := context.Background()
	if err := b.St.Tx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		b.t.Fatalf("scenario: %v", err)
	}
}

// Repo stores a repository with default branch "main" and returns its id.
func (b *Builder) Repo(fullName string) int64 {
	b.t.Helper()
	var id int64
	b.tx(func(ctx context.Context, tx *store.Tx) (err error) {
		id, err = tx.UpsertRepository(ctx, &model.Repository{GitHubID: b.nextID(), FullName: fullName, DefaultBranch: "main",
			HTMLURL: "https://github.com/" + fullName})
		return err
	})
	return id
}

// PR describes a pull request; zero fields get defaults (state from
// Merged/Closed, base "main", head "feature-N", author "alice",
// title "PR N", updated = the latest of its times).
type PR struct {
	Number         int
	Author         string
	Title, Body    string
	Head, Base     string
	Labels         []string
	Draft          bool
	Created        time.Time
	Merged, Closed *time.Time
	MergeSHA       string
	Additions      int
	Deletions      int
	Commits        []time.Time // authored times
	Reviews        []Review
}

// Review is a review of a PR.
type Review struct {
	Author    string
	State     string // default APPROVED
	Submitted *time.Time
}

// PullRequest stores a PR of repo and returns its internal id.
func (b *Builder) PullRequest(repo int64, p PR) int64 {
	b.t.Helper()
	var fullName string
	if err := b.St.DB().QueryRow(`SELECT full_name FROM repositories WHERE id = $1`, repo).Scan(&fullName); err != nil {
		b.t.Fatalf("scenario: repo %d: %v", repo, err)
	}
	if p.Number == 0 {
		p.Number = int(b.nextID())
	}
	if p.Author == "" {
		p.Author = "alice"
	}
	if p.Base == "" {
		p.Base = "main"
	}
	if p.Head == "" {
		p.Head = fmt.Sprintf("feature-%d", p.Number)
	}
	if p.Title == "" {
		p.Title = fmt.Sprintf("PR %d", p.Number)
	}
	state := model.PRStateOpen
	updated := p.Created
	if p.Closed != nil {
		state = model.PRStateClosed
		updated = *p.Closed
	}
	if p.Merged != nil {
		state = model.PRStateMerged
		updated = *p.Merged
		if p.Closed == nil {
			p.Closed = p.Merged
		}
	}
	pr := model.PullRequest{
		Number: p.Number, Title: p.Title, Body: p.Body, State: state, Draft: p.Draft, AuthorLogin: p.Author,
		HeadBranch: p.Head, BaseBranch: p.Base, MergeCommitSHA: p.MergeSHA, Additions: p.Additions,
		Deletions: p.Deletions, Labels: p.Labels, HTMLURL: fmt.Sprintf("https://github.com/%s/pull/%d", fullName, p.Number),
		CreatedAt: p.Created, UpdatedAt: updated, MergedAt: p.Merged, ClosedAt: p.Closed,
	}
	for i, c := range p.Commits {
		pr.Commits = append(pr.Commits, model.Commit{SHA: fmt.Sprintf("c%d-%d", p.Number, i), AuthorLogin: p.Author,
			AuthoredAt: c, CommittedAt: c})
	}
	for i, r := range p.Reviews {
		state := r.State
		if state == "" {
			state = model.ReviewApproved
		}
		pr.Reviews = append(pr.Reviews, model.Review{GitHubID: fmt.Sprintf("R%d-%d-%d", repo, p.Number, i),
			AuthorLogin: r.Author, State: state, SubmittedAt: r.Submitted})
	}
	var id int64
	b.tx(func(ctx context.Context, tx *store.Tx) (err error) {
		id, err = tx.UpsertPullRequest(ctx, repo, &pr)
		return err
	})
	return id
}

// Workflow stores a GitHub Actions workflow of repo and returns its GitHub
// id.
func (b *Builder) Workflow(repo int64, name, path string) int64 {
	b.t.Helper()
	gh := b.nextID()
	b.tx(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpsertWorkflow(ctx, repo, &model.Workflow{GitHubID: gh, Name: name, Path: path, State: "active"})
		return err
	})
	return gh
}

// Run describes a workflow run; Status defaults to completed and Conclusion
// to success; Updated (completion) defaults to Created + 10 minutes.
type Run struct {
	GitHubID   int64
	SHA        string
	Created    time.Time
	Updated    time.Time
	Status     string
	Conclusion string
	Attempt    int
}

// WorkflowRun stores a run of the workflow with GitHub id workflow and
// returns the run's GitHub id.
func (b *Builder) WorkflowRun(repo, workflow int64, r Run) int64 {
	b.t.Helper()
	if r.GitHubID == 0 {
		r.GitHubID = b.nextID()
	}
	if r.Status == "" {
		r.Status = "completed"
	}
	if r.Conclusion == "" && r.Status == "completed" {
		r.Conclusion = "success"
	}
	if r.Updated.IsZero() {
		r.Updated = r.Created.Add(10 * time.Minute)
	}
	b.tx(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpsertWorkflowRun(ctx, repo, &model.WorkflowRun{GitHubID: r.GitHubID, WorkflowGitHubID: workflow,
			Status: r.Status, Conclusion: r.Conclusion, HeadSHA: r.SHA, HeadBranch: "main", Event: "push",
			RunAttempt: r.Attempt, CreatedAt: r.Created, UpdatedAt: r.Updated})
		return err
	})
	return r.GitHubID
}

// Deployment stores a deployment recorded through the API (created at
// deployedAt) and returns its internal id.
func (b *Builder) Deployment(repo int64, external string, deployedAt time.Time, sha string) int64 {
	b.t.Helper()
	var id int64
	b.tx(func(ctx context.Context, tx *store.Tx) (err error) {
		id, err = tx.UpsertDeployment(ctx, &model.Deployment{Source: model.SourceAPI, ExternalID: external, RepoID: repo,
			HeadSHA: sha, CreatedAt: deployedAt, DeployedAt: deployedAt})
		return err
	})
	return id
}

// EnvDeployment stores a deployment recorded through the API to env
// (created at deployedAt) and returns its internal id.
func (b *Builder) EnvDeployment(repo int64, external, env string, deployedAt time.Time, sha string) int64 {
	b.t.Helper()
	var id int64
	b.tx(func(ctx context.Context, tx *store.Tx) (err error) {
		id, err = tx.UpsertDeployment(ctx, &model.Deployment{Source: model.SourceAPI, ExternalID: external, RepoID: repo,
			Environment: env, HeadSHA: sha, CreatedAt: deployedAt, DeployedAt: deployedAt})
		return err
	})
	return id
}

// Status is one status of a GitHub deployment: its state at a time.
type Status struct {
	State string
	At    time.Time
}

// GitHubDeployment stores a GitHub deployment of repo to env, created at
// created for commit sha, with statuses (ids in the order given), and
// returns its GitHub id. Storing the same id again adds statuses.
func (b *Builder) GitHubDeployment(repo, githubID int64, env, sha string, created time.Time, statuses ...Status) int64 {
	b.t.Helper()
	if githubID == 0 {
		githubID = b.nextID()
	}
	d := model.GitHubDeployment{RepoID: repo, GitHubID: githubID, Environment: env, SHA: sha, Ref: "main",
		CreatorLogin: "octocat", CreatedAt: created, UpdatedAt: created}
	for _, s := range statuses {
		d.Statuses = append(d.Statuses, model.DeploymentStatus{GitHubID: b.nextID(), State: s.State, Environment: env, CreatedAt: s.At})
		if s.At.After(d.UpdatedAt) {
			d.UpdatedAt = s.At
		}
	}
	b.tx(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpsertGitHubDeployment(ctx, &d, false)
		return err
	})
	return githubID
}

// DefineTeam stores a team defined by hand (source manual).
func (b *Builder) DefineTeam(slug string, members, repos []string) {
	b.t.Helper()
	b.tx(func(ctx context.Context, tx *store.Tx) error {
		return tx.PutTeam(ctx, model.Team{Slug: slug, Name: slug, Source: model.TeamSourceManual, Members: members, Repositories: repos})
	})
}

// Incident stores an incident recorded through the API (repo 0 for none)
// and returns its internal id.
func (b *Builder) Incident(repo int64, external string, opened time.Time, resolved *time.Time) int64 {
	b.t.Helper()
	var repoID *int64
	if repo != 0 {
		repoID = &repo
	}
	var id int64
	b.tx(func(ctx context.Context, tx *store.Tx) (err error) {
		id, err = tx.UpsertIncident(ctx, &model.Incident{Source: model.SourceAPI, ExternalID: external, RepoID: repoID,
			Title: external, OpenedAt: opened, ResolvedAt: resolved})
		return err
	})
	return id
}

// Issue stores (or updates) GitHub issue number of repo with labels.
func (b *Builder) Issue(repo int64, number int, labels []string, created time.Time, closed *time.Time) {
	b.t.Helper()
	state := "open"
	updated := created
	if closed != nil {
		state, updated = "closed", *closed
	}
	b.tx(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpsertIssue(ctx, repo, &model.Issue{GitHubID: repo*1_000_000 + int64(number), Number: number, Title: fmt.Sprintf("Issue %d", number),
			State: state, Labels: labels, CreatedAt: created, UpdatedAt: updated, ClosedAt: closed})
		return err
	})
}

// Team stores a Linear team and returns its Linear id.
func (b *Builder) Team(key string) string {
	b.t.Helper()
	lid := fmt.Sprintf("team-%s", key)
	b.tx(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpsertLinearTeam(ctx, &model.LinearTeam{LinearID: lid, Key: key, Name: key})
		return err
	})
	return lid
}

// LinearIssue stores a Linear issue; Identifier, TeamLinearID, CreatedAt are
// required; LinearID and UpdatedAt get defaults. It returns its internal id.
func (b *Builder) LinearIssue(is model.LinearIssue) int64 {
	b.t.Helper()
	if is.LinearID == "" {
		is.LinearID = "issue-" + is.Identifier
	}
	if is.UpdatedAt.IsZero() {
		is.UpdatedAt = is.CreatedAt
	}
	if is.StateType == "" {
		is.StateType = "started"
	}
	for i := range is.Attachments {
		if is.Attachments[i].LinearID == "" {
			is.Attachments[i].LinearID = fmt.Sprintf("att-%s-%d", is.Identifier, i)
		}
	}
	var id int64
	b.tx(func(ctx context.Context, tx *store.Tx) (err error) {
		id, err = tx.UpsertLinearIssue(ctx, &is)
		return err
	})
	return id
}

// Derive runs the incremental derive step.
func (b *Builder) Derive() derive.Stats {
	b.t.Helper()
	st, err := b.der.Run(context.Background(), derive.Incremental)
	if err != nil {
		b.t.Fatalf("scenario: derive: %v", err)
	}
	return st
}

// DeriveFull runs the full derive step.
func (b *Builder) DeriveFull() derive.Stats {
	b.t.Helper()
	st, err := b.der.Run(context.Background(), derive.Full)
	if err != nil {
		b.t.Fatalf("scenario: derive: %v", err)
	}
	return st
}

// Ptr returns a pointer to t, for optional times.
func Ptr(t time.Time) *time.Time { return &t }
