// Package github syncs GitHub: a client for the REST and GraphQL APIs, the
// "github" connector (repositories, pull requests with their commits,
// reviews and comments, and incident issues) and the "actions" connector
// (GitHub Actions workflows and runs).
//
// # The client
//
// Client sends GitHub's headers (Bearer token, application/vnd.github+json,
// X-GitHub-Api-Version, User-Agent), remembers the x-ratelimit-* headers
// and GraphQL's rateLimit.cost, and waits for the reset instead of failing
// when the budget is spent. It waits out secondary limits (Retry-After, or
// a minute doubling), retries 5xx and network errors with exponential
// backoff and jitter a bounded number of times, and reports a 401 at once.
// All waiting goes through an injectable clock and respects ctx. The token
// is sent in one place and never logged or returned.
//
// # Request plan
//
// Per repository, the github connector sends SyncPage queries: each brings
// the repository (default branch and all), a page of 50 pull requests,
// newest update first, each with up to 100 commits, 20 reviews (with 20
// review comments each), 50 comments, its labels and its last
// ready-for-review event, and a page of 100 issues updated since the
// cursor. The walk over pull requests stops at the first one older than
// the cursor. A pull request with more children than that costs one
// PullRequestMore query per further page, and a review with more comments
// one ReviewComments query per page.
//
//   - First sync of 1,000 pull requests: 20 SyncPage queries (~13 points
//     each); issues ride along.
//   - Sync with nothing changed: 1 SyncPage query, with a first page of 10
//     pull requests.
//
// The actions connector lists workflows (GET …/actions/workflows, 100 per
// page) and runs (GET …/actions/runs, 100 per page, newest first), walking
// the runs down to the newest run of the last sync, or further back to the
// oldest run stored unfinished (up to 35 days) and to 24 hours ago.
//
//   - First sync of 1,000 runs: 1 + 10 requests.
//   - Sync with nothing changed: 2 conditional requests (If-None-Match),
//     both 304, which cost no rate limit.
//
// Every page is stored in one transaction with the scope's cursor (and the
// ETag it stands for), so a sync that dies resumes after the last stored
// page.
package github
