package github

import (
	"fmt"
	"strings"
)

// The GraphQL documents the connectors send. Each is validated against
// GitHub's schema in a test, and the fake validates every request.
//
// Cost, by GitHub's formula (every connection costs the product of its
// parents' first/last; the sum, divided by 100, is the points): a SyncPage
// of 100 pull requests has three connections under each pull request
// (labels, commits, and one timeline that carries the reviews, the
// conversation comments and the ready-for-review events), so 301 requests,
// 3 points, and at most about 14,600 nodes with a page of issues. Review comments, a connection
// under every review, are not in it: they come in one ReviewCommentsBatch
// per page, for the page's reviews only (1 point per 100 reviews), and the
// rare long lists in ReviewComments. A first sync costs about 55 points
// per 1,000 pull requests with 2.5 reviews each.

// QuerySyncPage fetches a repository's metadata with one page of its pull
// requests (most recently updated first, with their children) and one page
// of its issues updated since a time (oldest update first). Either list can
// be left out with $withPRs / $withIssues once it is done.
const QuerySyncPage = `query SyncPage($owner: String!, $name: String!,
  $withPRs: Boolean!, $prFirst: Int!, $prAfter: String,
  $withIssues: Boolean!, $issuesFirst: Int!, $issuesSince: DateTime, $issuesAfter: String) {
  repository(owner: $owner, name: $name) {
    databaseId nameWithOwner description url isPrivate isArchived createdAt updatedAt
    defaultBranchRef { name }
    pullRequests(first: $prFirst, after: $prAfter, orderBy: {field: UPDATED_AT, direction: DESC}) @include(if: $withPRs) {
      pageInfo { hasNextPage endCursor }
      nodes { ...PullRequestFields }
    }
    issues(first: $issuesFirst, after: $issuesAfter, orderBy: {field: UPDATED_AT, direction: ASC}, filterBy: {since: $issuesSince}) @include(if: $withIssues) {
      pageInfo { hasNextPage endCursor }
      nodes {
        fullDatabaseId number title state url createdAt updatedAt closedAt
        labels(first: 20) { nodes { name } }
      }
    }
  }
  ` + rateLimitFields + `
}
` + fragmentPullRequest + fragmentTimeline + fragmentReview + fragmentCommit + fragmentComment

// QueryPullRequestMore fetches the next pages of a pull request's commits
// and timeline, and all its labels, for the rare PR with more than the
// SyncPage holds.
const QueryPullRequestMore = `query PullRequestMore($owner: String!, $name: String!, $number: Int!,
  $withCommits: Boolean!, $commitsAfter: String,
  $withTimeline: Boolean!, $timelineAfter: String, $withLabels: Boolean!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      commits(first: 100, after: $commitsAfter) @include(if: $withCommits) {
        pageInfo { hasNextPage endCursor }
        nodes { ...CommitFields }
      }
      timelineItems(first: 100, after: $timelineAfter, itemTypes: [` + timelineTypes + `]) @include(if: $withTimeline) {
        pageInfo { hasNextPage endCursor }
        nodes { ...TimelineFields }
      }
      labels(first: 100) @include(if: $withLabels) { nodes { name } }
    }
  }
  ` + rateLimitFields + `
}
` + fragmentTimeline + fragmentReview + fragmentCommit + fragmentComment

// QueryReviewComments fetches the next page of one review's comments.
const QueryReviewComments = `query ReviewComments($id: ID!, $after: String) {
  node(id: $id) {
    ... on PullRequestReview {
      comments(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { ...CommentFields }
      }
    }
  }
  ` + rateLimitFields + `
}
` + fragmentComment

// reviewBatch is how many reviews one alias of ReviewCommentsBatch asks
// for (GitHub's limit for nodes(ids:)), and maxReviewAliases how many
// aliases one query holds.
const (
	reviewBatch      = 100
	maxReviewAliases = 5
)

// queryReviewCommentsBatch returns the ReviewCommentsBatch document for n
// aliases r0…r{n-1}, each taking up to 100 review ids in $ids0…: the first
// page of each review's comments.
func queryReviewCommentsBatch(n int) string {
	var vars, fields strings.Builder
	for i := range n {
		fmt.Fprintf(&vars, "$ids%d: [ID!]!", i)
		if i < n-1 {
			vars.WriteString(", ")
		}
		fmt.Fprintf(&fields, "  r%d: nodes(ids: $ids%d) { ...ReviewCommentsFields }\n", i, i)
	}
	return "query ReviewCommentsBatch(" + vars.String() + ") {\n" + fields.String() + "  " + rateLimitFields + `
}
fragment ReviewCommentsFields on PullRequestReview {
  id
  comments(first: 20) {
    pageInfo { hasNextPage endCursor }
    nodes { ...CommentFields }
  }
}
` + fragmentComment
}

// queryRepoChanges returns the RepoChanges document for n aliases
// r0…r{n-1}, repository($o0, $n0)…, each selecting fragment, which is
// fragmentRepoChange or fragmentRepoPushes.
func queryRepoChanges(n int, fragment string) string {
	var vars, fields strings.Builder
	for i := range n {
		fmt.Fprintf(&vars, "$o%d: String!, $n%d: String!", i, i)
		if i < n-1 {
			vars.WriteString(", ")
		}
		fmt.Fprintf(&fields, "  r%d: repository(owner: $o%d, name: $n%d) { ...RepoChange }\n", i, i, i)
	}
	return "query RepoChanges(" + vars.String() + ") {\n" + fields.String() + "  " + rateLimitFields + "\n}\n" + fragment
}

// fragmentRepoChange is what tells whether a repository's pull requests,
// issues or metadata changed: the latest update of each (2 points per 100
// repositories), and how many there are, so that a small repository's
// SyncPage asks for no more than it has.
const fragmentRepoChange = `fragment RepoChange on Repository {
  nameWithOwner updatedAt pushedAt
  pullRequests(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { totalCount nodes { number updatedAt } }
  issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { totalCount nodes { number updatedAt } }
}
`

// fragmentRepoPushes is what tells whether a repository was pushed to (1
// point per 100 repositories), for the Actions source.
const fragmentRepoPushes = `fragment RepoChange on Repository { nameWithOwner pushedAt }
`

// repoChangesBatch is how many repositories one RepoChanges query asks
// about.
const repoChangesBatch = 100

// QueryViewer is the cheapest authenticated query, for TestConnection.
const QueryViewer = `query Viewer { viewer { login } ` + rateLimitFields + ` }`

// QueryRateLimit is the cheapest query an App installation may send (it
// has no viewer), for TestConnection under a GitHub App.
const QueryRateLimit = `query RateLimit { ` + rateLimitFields + ` }`

// timelineTypes are the timeline items SyncPage reads: reviews,
// conversation comments and ready-for-review events, in one connection
// instead of three.
const timelineTypes = `READY_FOR_REVIEW_EVENT, PULL_REQUEST_REVIEW, ISSUE_COMMENT`

const fragmentPullRequest = `
fragment PullRequestFields on PullRequest {
  id number title body url state isDraft createdAt updatedAt mergedAt closedAt
  additions deletions changedFiles headRefName baseRefName headRefOid
  author { __typename login }
  mergeCommit { oid }
  labels(first: 25) { totalCount nodes { name } }
  commits(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...CommitFields }
  }
  timelineItems(first: 50, itemTypes: [` + timelineTypes + `]) {
    pageInfo { hasNextPage endCursor }
    nodes { ...TimelineFields }
  }
}
`

const fragmentTimeline = `
fragment TimelineFields on PullRequestTimelineItems {
  __typename
  ... on ReadyForReviewEvent { createdAt }
  ... on PullRequestReview { ...ReviewFields }
  ... on IssueComment { ...CommentFields }
}
`

const fragmentReview = `
fragment ReviewFields on PullRequestReview {
  id state body url submittedAt
  author { __typename login }
}
`

const fragmentCommit = `
fragment CommitFields on PullRequestCommit {
  commit {
    oid messageHeadline authoredDate committedDate
    author { name user { login } }
  }
}
`

const fragmentComment = `
fragment CommentFields on Comment {
  id body createdAt updatedAt
  author { __typename login }
  ... on IssueComment { url }
  ... on PullRequestReviewComment { url }
}
`
