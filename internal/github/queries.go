package github

// The GraphQL documents the connectors send. Each is validated against
// GitHub's schema in a test, and the fake validates every request.
//
// Page sizes keep a sync page cheap: with 50 pull requests a SyncPage asks
// for at most ~44,000 nodes (the limit is 500,000) and costs about 14
// points (the hourly budget is 5,000). Review comments dominate the cost,
// since they are a connection under each of up to 50×20 reviews.

// QuerySyncPage fetches a repository's metadata with one page of its pull
// requests (most recently updated first, with their children) and one page
// of its issues updated since a time (oldest update first). Either list can
// be left out with $withPRs / $withIssues once it is done.
const QuerySyncPage = `query SyncPage($owner: String!, $name: String!,
  $withPRs: Boolean!, $prFirst: Int!, $prAfter: String,
  $withIssues: Boolean!, $issuesSince: DateTime, $issuesAfter: String) {
  repository(owner: $owner, name: $name) {
    databaseId nameWithOwner description url isPrivate isArchived createdAt updatedAt
    defaultBranchRef { name }
    pullRequests(first: $prFirst, after: $prAfter, orderBy: {field: UPDATED_AT, direction: DESC}) @include(if: $withPRs) {
      pageInfo { hasNextPage endCursor }
      nodes { ...PullRequestFields }
    }
    issues(first: 100, after: $issuesAfter, orderBy: {field: UPDATED_AT, direction: ASC}, filterBy: {since: $issuesSince}) @include(if: $withIssues) {
      pageInfo { hasNextPage endCursor }
      nodes {
        fullDatabaseId number title state url createdAt updatedAt closedAt
        labels(first: 100) { nodes { name } }
      }
    }
  }
  ` + rateLimitFields + `
}
` + fragmentPullRequest + fragmentReview + fragmentCommit + fragmentComment

// QueryPullRequestMore fetches the next pages of a pull request's commits,
// reviews and comments, for the rare PR with more than one page of them.
const QueryPullRequestMore = `query PullRequestMore($owner: String!, $name: String!, $number: Int!,
  $withCommits: Boolean!, $commitsAfter: String,
  $withReviews: Boolean!, $reviewsAfter: String,
  $withComments: Boolean!, $commentsAfter: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      commits(first: 100, after: $commitsAfter) @include(if: $withCommits) {
        pageInfo { hasNextPage endCursor }
        nodes { ...CommitFields }
      }
      reviews(first: 50, after: $reviewsAfter) @include(if: $withReviews) {
        pageInfo { hasNextPage endCursor }
        nodes { ...ReviewFields }
      }
      comments(first: 100, after: $commentsAfter) @include(if: $withComments) {
        pageInfo { hasNextPage endCursor }
        nodes { ...CommentFields }
      }
    }
  }
  ` + rateLimitFields + `
}
` + fragmentReview + fragmentCommit + fragmentComment

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

// QueryViewer is the cheapest authenticated query, for TestConnection.
const QueryViewer = `query Viewer { viewer { login } ` + rateLimitFields + ` }`

// QueryRateLimit is the cheapest query an App installation may send (it
// has no viewer), for TestConnection under a GitHub App.
const QueryRateLimit = `query RateLimit { ` + rateLimitFields + ` }`

const fragmentPullRequest = `
fragment PullRequestFields on PullRequest {
  id number title body url state isDraft createdAt updatedAt mergedAt closedAt
  additions deletions changedFiles headRefName baseRefName headRefOid
  author { __typename login }
  mergeCommit { oid }
  labels(first: 100) { nodes { name } }
  timelineItems(last: 1, itemTypes: [READY_FOR_REVIEW_EVENT]) {
    nodes { ... on ReadyForReviewEvent { createdAt } }
  }
  commits(first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...CommitFields }
  }
  reviews(first: 20) {
    pageInfo { hasNextPage endCursor }
    nodes { ...ReviewFields }
  }
  comments(first: 50) {
    pageInfo { hasNextPage endCursor }
    nodes { ...CommentFields }
  }
}
`

const fragmentReview = `
fragment ReviewFields on PullRequestReview {
  id state body url submittedAt
  author { __typename login }
  comments(first: 20) {
    pageInfo { hasNextPage endCursor }
    nodes { ...CommentFields }
  }
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
