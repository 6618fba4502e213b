package github

import (
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// The shapes of SyncPage's answer, and their conversion to model records.

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlActor struct {
	Typename string `json:"__typename"`
	Login    string `json:"login"`
}

// login is the stored spelling: GraphQL gives a Bot's bare login, REST (and
// Veelocity) spell it "name[bot]".
func (a *gqlActor) login() string {
	switch {
	case a == nil:
		return ""
	case a.Typename == "Bot":
		return model.BotLogin(a.Login)
	}
	return a.Login
}

type gqlRepo struct {
	DatabaseID       int64     `json:"databaseId"`
	NameWithOwner    string    `json:"nameWithOwner"`
	Description      string    `json:"description"`
	URL              string    `json:"url"`
	IsPrivate        bool      `json:"isPrivate"`
	IsArchived       bool      `json:"isArchived"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	DefaultBranchRef *struct {
		Name string `json:"name"`
	} `json:"defaultBranchRef"`
	PullRequests *struct {
		PageInfo pageInfo `json:"pageInfo"`
		Nodes    []*gqlPR `json:"nodes"`
	} `json:"pullRequests"`
	Issues *struct {
		PageInfo pageInfo    `json:"pageInfo"`
		Nodes    []*gqlIssue `json:"nodes"`
	} `json:"issues"`
}

type gqlPR struct {
	ID           string     `json:"id"`
	Number       int        `json:"number"`
	Title        string     `json:"title"`
	Body         string     `json:"body"`
	URL          string     `json:"url"`
	State        string     `json:"state"`
	IsDraft      bool       `json:"isDraft"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	MergedAt     *time.Time `json:"mergedAt"`
	ClosedAt     *time.Time `json:"closedAt"`
	Additions    int        `json:"additions"`
	Deletions    int        `json:"deletions"`
	ChangedFiles int        `json:"changedFiles"`
	HeadRefName  string     `json:"headRefName"`
	BaseRefName  string     `json:"baseRefName"`
	HeadRefOid   string     `json:"headRefOid"`
	Author       *gqlActor  `json:"author"`
	MergeCommit  *struct {
		OID string `json:"oid"`
	} `json:"mergeCommit"`
	Labels   labelConn    `json:"labels"`
	Commits  commitConn   `json:"commits"`
	Timeline timelineConn `json:"timelineItems"`
}

// timelineConn is a pull request's timeline of reviews, conversation
// comments and ready-for-review events.
type timelineConn struct {
	PageInfo pageInfo       `json:"pageInfo"`
	Nodes    []*gqlTimeline `json:"nodes"`
}

// gqlTimeline is one timeline item: a ReadyForReviewEvent (CreatedAt), a
// PullRequestReview (with the comments fetched for it) or an IssueComment.
type gqlTimeline struct {
	Typename    string      `json:"__typename"`
	ID          string      `json:"id"`
	State       string      `json:"state"`
	Body        string      `json:"body"`
	URL         string      `json:"url"`
	CreatedAt   *time.Time  `json:"createdAt"`
	UpdatedAt   *time.Time  `json:"updatedAt"`
	SubmittedAt *time.Time  `json:"submittedAt"`
	Author      *gqlActor   `json:"author"`
	Comments    commentConn `json:"-"` // a review's, from ReviewCommentsBatch
}

type labelConn struct {
	TotalCount int `json:"totalCount"`
	Nodes      []struct {
		Name string `json:"name"`
	} `json:"nodes"`
}

func (l labelConn) names() []string {
	out := make([]string, len(l.Nodes))
	for i, n := range l.Nodes {
		out[i] = n.Name
	}
	return out
}

type commitConn struct {
	TotalCount int         `json:"totalCount"`
	PageInfo   pageInfo    `json:"pageInfo"`
	Nodes      []gqlCommit `json:"nodes"`
}

type gqlCommit struct {
	Commit struct {
		OID             string    `json:"oid"`
		MessageHeadline string    `json:"messageHeadline"`
		AuthoredDate    time.Time `json:"authoredDate"`
		CommittedDate   time.Time `json:"committedDate"`
		Author          *struct {
			Name string `json:"name"`
			User *struct {
				Login string `json:"login"`
			} `json:"user"`
		} `json:"author"`
	} `json:"commit"`
}

type commentConn struct {
	PageInfo pageInfo     `json:"pageInfo"`
	Nodes    []gqlComment `json:"nodes"`
}

type gqlComment struct {
	ID        string     `json:"id"`
	Body      string     `json:"body"`
	URL       string     `json:"url"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt *time.Time `json:"updatedAt"`
	Author    *gqlActor  `json:"author"`
}

type gqlIssue struct {
	FullDatabaseID string     `json:"fullDatabaseId"`
	Number         int        `json:"number"`
	Title          string     `json:"title"`
	State          string     `json:"state"`
	URL            string     `json:"url"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	ClosedAt       *time.Time `json:"closedAt"`
	Labels         labelConn  `json:"labels"`
}

func (r *gqlRepo) model(fullName string) *model.Repository {
	m := &model.Repository{GitHubID: r.DatabaseID, FullName: fullName, Description: r.Description,
		HTMLURL: r.URL, Private: r.IsPrivate, Archived: r.IsArchived, CreatedAt: utc(&r.CreatedAt), UpdatedAt: utc(&r.UpdatedAt)}
	if r.DefaultBranchRef != nil {
		m.DefaultBranch = r.DefaultBranchRef.Name
	}
	return m
}

// model converts a pull request with all its children fetched.
func (p *gqlPR) model() *model.PullRequest {
	pr := &model.PullRequest{
		Number: p.Number, NodeID: p.ID, Title: p.Title, Body: p.Body, State: strings.ToLower(p.State),
		Draft: p.IsDraft, AuthorLogin: p.Author.login(), HeadBranch: p.HeadRefName, BaseBranch: p.BaseRefName,
		HeadSHA: p.HeadRefOid, Additions: p.Additions, Deletions: p.Deletions, ChangedFiles: p.ChangedFiles,
		CommitCount: p.Commits.TotalCount, Labels: p.Labels.names(), HTMLURL: p.URL,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), MergedAt: utc(p.MergedAt), ClosedAt: utc(p.ClosedAt),
	}
	if p.MergeCommit != nil {
		pr.MergeCommitSHA = p.MergeCommit.OID
	}
	for _, c := range p.Commits.Nodes {
		mc := model.Commit{SHA: c.Commit.OID, MessageHeadline: c.Commit.MessageHeadline,
			AuthoredAt: c.Commit.AuthoredDate.UTC(), CommittedAt: c.Commit.CommittedDate.UTC()}
		if a := c.Commit.Author; a != nil {
			mc.AuthorName = a.Name
			if a.User != nil {
				mc.AuthorLogin = a.User.Login
			}
		}
		pr.Commits = append(pr.Commits, mc)
	}
	for _, it := range p.Timeline.Nodes {
		switch it.Typename {
		case "ReadyForReviewEvent":
			if it.CreatedAt != nil {
				pr.ReadyAt = utc(it.CreatedAt) // the last one wins
			}
		case "IssueComment":
			pr.Comments = append(pr.Comments, gqlComment{ID: it.ID, Body: it.Body, URL: it.URL, CreatedAt: derefTime(it.CreatedAt),
				UpdatedAt: it.UpdatedAt, Author: it.Author}.model(model.CommentIssue))
		case "PullRequestReview":
			pr.Reviews = append(pr.Reviews, model.Review{GitHubID: it.ID, AuthorLogin: it.Author.login(), State: it.State,
				Body: it.Body, HTMLURL: it.URL, SubmittedAt: utc(it.SubmittedAt)})
			for _, c := range it.Comments.Nodes {
				pr.Comments = append(pr.Comments, c.model(model.CommentReview))
			}
		}
	}
	return pr
}

func (c gqlComment) model(kind string) model.Comment {
	return model.Comment{GitHubID: c.ID, Kind: kind, AuthorLogin: c.Author.login(), Body: c.Body,
		HTMLURL: c.URL, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: utc(c.UpdatedAt)}
}

func (i *gqlIssue) model() (*model.Issue, error) {
	id, err := strconv.ParseInt(i.FullDatabaseID, 10, 64)
	if err != nil {
		return nil, err
	}
	return &model.Issue{GitHubID: id, Number: i.Number, Title: i.Title, State: strings.ToLower(i.State),
		Labels: i.Labels.names(), HTMLURL: i.URL, CreatedAt: i.CreatedAt.UTC(), UpdatedAt: i.UpdatedAt.UTC(),
		ClosedAt: utc(i.ClosedAt)}, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
