package linear

// The GraphQL documents Veelocity sends to Linear. A test validates each
// against Linear's official schema, and the fake validates every request.
//
// Complexity, by Linear's published rules: a property costs 0.1 point, an
// object 1, and a connection multiplies the cost of what it holds by its
// first argument; the total is rounded up and one query may cost at most
// 10,000. The estimates below count pageInfo inside the multiplier too,
// which overestimates.

// viewerQuery checks the key: viewer 1 + id 0.1 → 2 points.
const viewerQuery = `query Viewer {
  viewer { id }
}`

// teamsPageSize is the number of teams per page of teamsQuery.
const teamsPageSize = 50

// teamsQuery lists the teams the key can see: 50 × (node 1 + 3 × 0.1 +
// pageInfo 1.2) = 125 points.
const teamsQuery = `query Teams($first: Int!, $after: String) {
  teams(first: $first, after: $after) {
    nodes { id key name }
    pageInfo { hasNextPage endCursor }
  }
}`

// issuesQuery fetches a page of a team's issues, most recently updated
// first, archived ones included (Linear archives old closed issues, and
// they still count in the metrics); trashed (deleted) issues come too, so
// the cursor passes them, but are not stored. It nests the first 10 labels
// and attachments of each issue; an issue with more gets the rest from
// issueLabelsQuery or issueAttachmentsQuery. Per issue: node 1 + 14
// properties 1.4 + state 1.2 + assignee 1.2 + labels 10 × (1.1 + pageInfo
// 1.1) + attachments 10 × (1.3 + pageInfo 1.1) = 50.8; with the page's
// pageInfo, 52 per issue: 2,600 points at the default 50 issues a page and
// 5,200 at the maximum of 100, both well under 10,000.
const issuesQuery = `query Issues($first: Int!, $after: String, $filter: IssueFilter!) {
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt, includeArchived: true) {
    nodes {
      id identifier number title url branchName priority estimate
      createdAt updatedAt startedAt completedAt canceledAt trashed
      state { name type }
      assignee { name email }
      labels(first: 10) { nodes { name } pageInfo { hasNextPage } }
      attachments(first: 10) { nodes { id url sourceType } pageInfo { hasNextPage } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// overflowPageSize is the page size of the per-issue queries below.
const overflowPageSize = 100

// issueLabelsQuery pages through the labels of one issue that has more
// than nestedPageSize: 1 + 100 × (1.1 + 1.2) = 231 points.
const issueLabelsQuery = `query IssueLabels($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    labels(first: $first, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } }
  }
}`

// issueAttachmentsQuery pages through the attachments of one issue that
// has more than 10: 1 + 100 × (1.3 + 1.2) = 251 points.
const issueAttachmentsQuery = `query IssueAttachments($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    attachments(first: $first, after: $after) { nodes { id url sourceType } pageInfo { hasNextPage endCursor } }
  }
}`

// queries lists every document the package sends, by operation name, for
// tests that validate them.
var queries = map[string]string{
	"Viewer":           viewerQuery,
	"Teams":            teamsQuery,
	"Issues":           issuesQuery,
	"IssueLabels":      issueLabelsQuery,
	"IssueAttachments": issueAttachmentsQuery,
}
