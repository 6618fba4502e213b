package githubfake

import (
	"fmt"
	"strings"
	"time"
)

// Actor is a user or bot. GraphQL returns a bot as __typename "Bot" with
// its bare login ("dependabot"); REST spells it "dependabot[bot]".
type Actor struct {
	Login string
	Bot   bool
}

// User returns a user actor.
func User(login string) *Actor { return &Actor{Login: login} }

// Bot returns a bot actor; login is the bare name, as GraphQL gives it.
func Bot(login string) *Actor { return &Actor{Login: login, Bot: true} }

// Repo is a repository and everything the fake serves from it. Change
// records only through Server.Edit once the server is running.
type Repo struct {
	ID            int64 // filled in by AddRepo when 0
	Owner, Name   string
	DefaultBranch string // default "main"
	Description   string
	Private       bool
	Archived      bool
	Fork          bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// PushedAt is the time of the last push (default UpdatedAt).
	PushedAt time.Time

	PullRequests []*PullRequest
	Workflows    []*Workflow
	Runs         []*Run
	Issues       []*Issue
	Deployments  []*Deployment
}

// FullName is owner/name.
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// NodeID is the repository's GraphQL id.
func (r *Repo) NodeID() string { return fmt.Sprintf("R_kgDO%08d", r.ID) }

// PullRequest states, as GraphQL spells them.
const (
	Open   = "OPEN"
	Closed = "CLOSED"
	Merged = "MERGED"
)

// PullRequest is a pull request with its children.
type PullRequest struct {
	Number         int    // filled in by AddPullRequest when 0
	NodeID         string // filled in when ""
	Title, Body    string
	State          string // OPEN, CLOSED or MERGED (default OPEN)
	Draft          bool
	Author         *Actor // nil: a deleted account
	HeadRef        string
	BaseRef        string // default: the repo's default branch
	HeadSHA        string
	MergeCommitSHA string
	Additions      int
	Deletions      int
	ChangedFiles   int
	Labels         []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	MergedAt       *time.Time
	ClosedAt       *time.Time
	// ReadyForReview are the times of its "ready for review" events.
	ReadyForReview []time.Time

	Commits  []*Commit
	Reviews  []*Review
	Comments []*Comment // conversation (issue) comments
}

// Commit is a commit of a pull request.
type Commit struct {
	SHA         string
	Message     string
	AuthorName  string
	AuthorEmail string
	AuthorLogin string // the GitHub user the commit is linked to, if any
	AuthoredAt  time.Time
	CommittedAt time.Time
}

// Review is a pull-request review with its comments on the diff.
type Review struct {
	NodeID      string // filled in when ""
	Author      *Actor
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	Body        string
	CreatedAt   time.Time
	SubmittedAt *time.Time // nil while PENDING
	Comments    []*Comment // review comments (on lines of the diff)
}

// Comment is a conversation comment or a review comment.
type Comment struct {
	NodeID    string // filled in when ""
	Author    *Actor
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Workflow is a GitHub Actions workflow.
type Workflow struct {
	ID        int64 // filled in when 0
	Name      string
	Path      string // .github/workflows/NAME.yml
	State     string // default "active"
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Run is a workflow run. A run may name a workflow that is not (or no
// longer) in Repo.Workflows, as runs of deleted workflows do.
type Run struct {
	ID           int64 // filled in when 0
	WorkflowID   int64
	Name         string
	Path         string
	RunNumber    int
	RunAttempt   int // default 1
	Event        string
	Status       string // queued, in_progress, completed, …
	Conclusion   string // "" until completed
	HeadSHA      string
	HeadBranch   string
	CreatedAt    time.Time
	RunStartedAt time.Time
	UpdatedAt    time.Time
}

// Issue is a GitHub issue.
type Issue struct {
	ID        int64 // filled in when 0
	Number    int   // filled in when 0
	Title     string
	State     string // OPEN or CLOSED (default OPEN)
	Labels    []string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
}

// NodeID is the issue's GraphQL id.
func (is *Issue) NodeID() string { return fmt.Sprintf("I_kwDO%08d", is.ID) }

// AddRepo adds a repository and returns it; its ID and defaults are filled
// in.
func (s *Server) AddRepo(r *Repo) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == 0 {
		r.ID = s.nextID()
	}
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now().Add(-3 * 365 * 24 * time.Hour)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	if r.PushedAt.IsZero() {
		r.PushedAt = r.UpdatedAt
	}
	s.nodeIndex = nil
	s.repos[strings.ToLower(r.FullName())] = r
	s.reposByID[r.ID] = r
	return r
}

// Repo returns the repository called fullName, or nil.
func (s *Server) Repo(fullName string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[strings.ToLower(fullName)]
}

// AddPullRequest adds pr to repo, filling in its number, ids and defaults.
func (s *Server) AddPullRequest(repo *Repo, pr *PullRequest) *PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fillPR(repo, pr)
	s.nodeIndex = nil
	repo.PullRequests = append(repo.PullRequests, pr)
	return pr
}

func (s *Server) fillPR(repo *Repo, pr *PullRequest) {
	if pr.Number == 0 {
		pr.Number = len(repo.PullRequests) + len(repo.Issues) + 1
	}
	if pr.NodeID == "" {
		pr.NodeID = fmt.Sprintf("PR_kwDO%08d", s.nextID())
	}
	if pr.State == "" {
		pr.State = Open
	}
	if pr.BaseRef == "" {
		pr.BaseRef = repo.DefaultBranch
	}
	if pr.CreatedAt.IsZero() {
		pr.CreatedAt = s.now()
	}
	if pr.UpdatedAt.IsZero() {
		pr.UpdatedAt = pr.CreatedAt
	}
	for _, r := range pr.Reviews {
		s.fillReview(r)
	}
	for _, c := range pr.Comments {
		s.fillComment(c, "IC_kwDO")
	}
}

func (s *Server) fillReview(r *Review) {
	if r.NodeID == "" {
		r.NodeID = fmt.Sprintf("PRR_kwDO%08d", s.nextID())
	}
	if r.CreatedAt.IsZero() && r.SubmittedAt != nil {
		r.CreatedAt = *r.SubmittedAt
	}
	for _, c := range r.Comments {
		s.fillComment(c, "PRRC_kwDO")
	}
}

func (s *Server) fillComment(c *Comment, prefix string) {
	if c.NodeID == "" {
		c.NodeID = fmt.Sprintf("%s%08d", prefix, s.nextID())
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
}

// AddWorkflow adds a workflow to repo.
func (s *Server) AddWorkflow(repo *Repo, w *Workflow) *Workflow {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.ID == 0 {
		w.ID = s.nextID()
	}
	if w.State == "" {
		w.State = "active"
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = repo.CreatedAt
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	repo.Workflows = append(repo.Workflows, w)
	return w
}

// AddRun adds a workflow run to repo.
func (s *Server) AddRun(repo *Repo, r *Run) *Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == 0 {
		r.ID = s.nextID()
	}
	if r.RunAttempt == 0 {
		r.RunAttempt = 1
	}
	if r.RunNumber == 0 {
		r.RunNumber = len(repo.Runs) + 1
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	repo.Runs = append(repo.Runs, r)
	return r
}

// AddIssue adds an issue to repo.
func (s *Server) AddIssue(repo *Repo, is *Issue) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is.ID == 0 {
		is.ID = s.nextID()
	}
	if is.Number == 0 {
		is.Number = len(repo.PullRequests) + len(repo.Issues) + 1
	}
	if is.State == "" {
		is.State = Open
	}
	if is.UpdatedAt.IsZero() {
		is.UpdatedAt = is.CreatedAt
	}
	repo.Issues = append(repo.Issues, is)
	return is
}

// Edit runs fn with the server's data locked, so a test can change records
// in place (a PR's title and UpdatedAt, a run's status) while the server
// runs. New reviews and comments added in fn get their ids filled in.
func (s *Server) Edit(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
	s.nodeIndex = nil
	for _, r := range s.repos {
		for _, pr := range r.PullRequests {
			s.fillPR(r, pr)
		}
	}
}

// nextID returns a fresh id; the caller holds s.mu.
func (s *Server) nextID() int64 {
	s.lastID++
	return s.lastID
}
