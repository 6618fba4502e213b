// Package model holds the typed records that flow from the connectors
// (github, linear) through the store to the API. They carry no database or
// HTTP concerns. All times are UTC.
package model

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Repository is a GitHub repository.
type Repository struct {
	ID            int64      `json:"id"` // internal id
	GitHubID      int64      `json:"github_id,omitempty"`
	FullName      string     `json:"full_name"` // owner/name
	Owner         string     `json:"owner"`
	Name          string     `json:"name"`
	DefaultBranch string     `json:"default_branch"`
	Description   string     `json:"description"`
	HTMLURL       string     `json:"html_url"`
	Private       bool       `json:"private"`
	Archived      bool       `json:"archived"`
	CreatedAt     *time.Time `json:"created_at"`
	UpdatedAt     *time.Time `json:"updated_at"`
	// Active is false once the repository left GITHUB_REPOS: it no longer
	// syncs, and its data is kept.
	Active bool `json:"active"`
}

// PullRequest state values.
const (
	PRStateOpen   = "open"
	PRStateClosed = "closed"
	PRStateMerged = "merged"
)

// PullRequest is a GitHub pull request. Reviews, Comments and Commits are
// filled when the record comes from a connector or a detail query.
type PullRequest struct {
	ID             int64      `json:"id"`
	RepoID         int64      `json:"repo_id"`
	Number         int        `json:"number"`
	NodeID         string     `json:"node_id,omitempty"`
	Title          string     `json:"title"`
	Body           string     `json:"body,omitempty"`
	State          string     `json:"state"` // open, closed, merged
	Draft          bool       `json:"draft"`
	AuthorLogin    string     `json:"author"` // "" for deleted accounts
	HeadBranch     string     `json:"head_branch"`
	BaseBranch     string     `json:"base_branch"`
	HeadSHA        string     `json:"head_sha"`
	MergeCommitSHA string     `json:"merge_commit_sha,omitempty"`
	Additions      int        `json:"additions"`
	Deletions      int        `json:"deletions"`
	ChangedFiles   int        `json:"changed_files"`
	CommitCount    int        `json:"commit_count"`
	Labels         []string   `json:"labels"`
	HTMLURL        string     `json:"html_url"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	MergedAt       *time.Time `json:"merged_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	ReadyAt        *time.Time `json:"ready_at,omitempty"`

	Reviews  []Review  `json:"reviews,omitempty"`
	Comments []Comment `json:"comments,omitempty"`
	Commits  []Commit  `json:"commits,omitempty"`
}

// Review states, as GitHub's GraphQL API spells them.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING"
)

// Review is a pull-request review.
type Review struct {
	GitHubID    string     `json:"github_id"` // node id
	AuthorLogin string     `json:"author"`
	State       string     `json:"state"`
	Body        string     `json:"body,omitempty"`
	HTMLURL     string     `json:"html_url,omitempty"`
	SubmittedAt *time.Time `json:"submitted_at"` // nil while pending
}

// Comment kinds.
const (
	CommentIssue  = "issue"  // on the conversation
	CommentReview = "review" // on a line of the diff
)

// Comment is a pull-request comment of either kind.
type Comment struct {
	GitHubID    string     `json:"github_id"`
	Kind        string     `json:"kind"`
	AuthorLogin string     `json:"author"`
	Body        string     `json:"body"`
	HTMLURL     string     `json:"html_url,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

// Commit is a commit of a pull request.
type Commit struct {
	SHA             string    `json:"sha"`
	MessageHeadline string    `json:"message_headline"`
	AuthorLogin     string    `json:"author"`
	AuthorName      string    `json:"author_name"`
	AuthoredAt      time.Time `json:"authored_at"`
	CommittedAt     time.Time `json:"committed_at"`
}

// Workflow is a GitHub Actions workflow.
type Workflow struct {
	ID           int64      `json:"id"`
	RepoID       int64      `json:"repo_id"`
	GitHubID     int64      `json:"github_id"`
	Name         string     `json:"name"`
	Path         string     `json:"path"`
	State        string     `json:"state"`
	HTMLURL      string     `json:"html_url"`
	CreatedAt    *time.Time `json:"created_at"`
	UpdatedAt    *time.Time `json:"updated_at"`
	IsDeployment bool       `json:"is_deployment"`
}

// WorkflowRun is one run of a workflow. WorkflowGitHubID names its workflow
// by GitHub id, as the runs API does.
type WorkflowRun struct {
	ID               int64      `json:"id"`
	RepoID           int64      `json:"repo_id"`
	WorkflowGitHubID int64      `json:"workflow_github_id"`
	GitHubID         int64      `json:"github_id"`
	Name             string     `json:"name"`
	RunNumber        int        `json:"run_number"`
	RunAttempt       int        `json:"run_attempt"`
	Event            string     `json:"event"`
	Status           string     `json:"status"`
	Conclusion       string     `json:"conclusion"` // "" until completed
	HeadSHA          string     `json:"head_sha"`
	HeadBranch       string     `json:"head_branch"`
	HTMLURL          string     `json:"html_url"`
	CreatedAt        time.Time  `json:"created_at"`
	RunStartedAt     *time.Time `json:"run_started_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Issue is a GitHub issue (Veelocity keeps those labelled as incidents).
type Issue struct {
	ID        int64      `json:"id"`
	RepoID    int64      `json:"repo_id"`
	GitHubID  int64      `json:"github_id"`
	Number    int        `json:"number"`
	Title     string     `json:"title"`
	State     string     `json:"state"`
	Labels    []string   `json:"labels"`
	HTMLURL   string     `json:"html_url"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	ClosedAt  *time.Time `json:"closed_at"`
}

// Deployment sources.
const (
	SourceGitHubActions = "github_actions"
	SourceAPI           = "api"
	SourceGitHub        = "github"
	SourceLinear        = "linear"
	// SourceGitHubDeployment is a deployment from GitHub's Deployments API.
	SourceGitHubDeployment = "github_deployment"
	// SourcePagerDuty is an incident from PagerDuty.
	SourcePagerDuty = "pagerduty"
)

// EnvironmentProduction is the environment of deployment workflow runs and
// the default of deployments recorded through the API.
const EnvironmentProduction = "production"

// GitHubDeployment is a deployment from GitHub's REST Deployments API, with
// every status it has had.
type GitHubDeployment struct {
	ID           int64
	RepoID       int64
	GitHubID     int64
	Environment  string
	SHA          string
	Ref          string
	Task         string
	CreatorLogin string
	Description  string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Statuses     []DeploymentStatus
}

// DeploymentStatus is one status of a GitHub deployment.
type DeploymentStatus struct {
	GitHubID     int64
	State        string // error, failure, inactive, in_progress, queued, pending, success
	Environment  string
	CreatorLogin string
	Description  string
	TargetURL    string
	CreatedAt    time.Time
}

// Team is a team of developers (METRICS.md, Teams): from GitHub (source
// github, slug org/slug) or defined by hand (source manual).
type Team struct {
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	Source       string    `json:"source"`
	Members      []string  `json:"members"`
	Repositories []string  `json:"repositories"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Team sources.
const (
	TeamSourceGitHub = "github"
	TeamSourceManual = "manual"
)

// Deployment is a successful deployment from any source.
type Deployment struct {
	ID            int64     `json:"id"`
	Source        string    `json:"source"`
	ExternalID    string    `json:"external_id"`
	RepoID        int64     `json:"repo_id"`
	Repo          string    `json:"repo,omitempty"`
	WorkflowRunID *int64    `json:"workflow_run_id,omitempty"`
	Environment   string    `json:"environment"`
	HeadSHA       string    `json:"head_sha"`
	HeadBranch    string    `json:"head_branch,omitempty"`
	URL           string    `json:"url"`
	CreatedAt     time.Time `json:"created_at"`
	DeployedAt    time.Time `json:"deployed_at"`
	Failed        bool      `json:"failed"`
	IsRework      bool      `json:"is_rework"`
}

// Incident is an incident from any source.
type Incident struct {
	ID           int64      `json:"id"`
	Source       string     `json:"source"`
	ExternalID   string     `json:"external_id"`
	RepoID       *int64     `json:"repo_id"`
	Repo         string     `json:"repo,omitempty"`
	Title        string     `json:"title"`
	URL          string     `json:"url"`
	OpenedAt     time.Time  `json:"opened_at"`
	ResolvedAt   *time.Time `json:"resolved_at"`
	DeploymentID *int64     `json:"deployment_id"`
}

// LinearTeam is a Linear team.
type LinearTeam struct {
	ID       int64  `json:"id"`
	LinearID string `json:"linear_id"`
	Key      string `json:"key"`
	Name     string `json:"name"`
}

// LinearIssue is a Linear issue. TeamLinearID names its team by Linear id.
type LinearIssue struct {
	ID            int64              `json:"id"`
	LinearID      string             `json:"linear_id"`
	TeamLinearID  string             `json:"-"`
	TeamKey       string             `json:"team_key,omitempty"`
	Identifier    string             `json:"identifier"`
	Number        int                `json:"number"`
	Title         string             `json:"title"`
	URL           string             `json:"url"`
	BranchName    string             `json:"branch_name"`
	StateName     string             `json:"state_name"`
	StateType     string             `json:"state_type"`
	Priority      int                `json:"priority"`
	Estimate      *float64           `json:"estimate"`
	AssigneeName  string             `json:"assignee_name"`
	AssigneeEmail string             `json:"-"`
	Labels        []string           `json:"labels"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
	StartedAt     *time.Time         `json:"started_at"`
	CompletedAt   *time.Time         `json:"completed_at"`
	CanceledAt    *time.Time         `json:"canceled_at"`
	Attachments   []LinearAttachment `json:"attachments,omitempty"`
}

// LinearAttachment is an external link on a Linear issue, such as a GitHub
// pull request.
type LinearAttachment struct {
	LinearID   string `json:"linear_id"`
	URL        string `json:"url"`
	SourceType string `json:"source_type"`
}

// IsBot reports whether a login belongs to a bot: GitHub's REST API spells
// bots with a "[bot]" suffix (matched in any case), and Veelocity stores
// them that way.
func IsBot(login string) bool { return strings.HasSuffix(strings.ToLower(login), "[bot]") }

// BotLogin returns the stored spelling of a bot's login: GraphQL returns a
// Bot actor's bare login ("dependabot"), REST the suffixed one
// ("dependabot[bot]").
func BotLogin(login string) string {
	if login == "" || IsBot(login) {
		return login
	}
	return login + "[bot]"
}

// PRKey returns the key "owner/repo#number" (lower case) that identifies a
// pull request across GitHub URLs.
func PRKey(fullName string, number int) string {
	return strings.ToLower(fullName) + "#" + strconv.Itoa(number)
}

// PRKeyFromURL parses a pull request URL such as
// https://github.com/acme/web/pull/12 (any host, for GitHub Enterprise; a
// trailing slash, query, fragment or /files-style suffix is allowed) into
// its PRKey. ok is false for any other URL.
func PRKeyFromURL(raw string) (key string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 4 || parts[2] != "pull" {
		return "", false
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n < 1 {
		return "", false
	}
	return PRKey(parts[0]+"/"+parts[1], n), true
}
