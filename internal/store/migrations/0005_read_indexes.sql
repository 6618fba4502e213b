-- Indexes for the read API (GET /api/v1/github/repos).

-- Per-repository PR counts by state, read from the index alone.
CREATE INDEX pull_requests_repo_state ON pull_requests (repo_id, state);
