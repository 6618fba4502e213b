-- The PR rollup (internal/rollup): per UTC day, repository and person, the
-- counts and the sorted durations the PR metrics read, so that an exact
-- percentile over a range merges a few hundred small arrays instead of
-- scanning every PR of the range. The derive step keeps it current: full
-- derives rebuild it, incremental ones rebuild the days in pr_rollup_dirty.
CREATE TABLE pr_rollup (
    day                BIGINT NOT NULL,  -- UTC day: Unix ms / 86400000
    repo_id            BIGINT NOT NULL,
    author             TEXT NOT NULL,    -- lower-case login; '' when unknown
    login              TEXT NOT NULL,    -- the login as spelt on GitHub
    opened             INTEGER NOT NULL, -- PRs created this day
    merged             INTEGER NOT NULL, -- PRs merged this day
    undeployed         INTEGER NOT NULL, -- of those, undeployed (METRICS.md, lead time 7)
    reviewed           INTEGER NOT NULL, -- PRs first reviewed this day
    reviews_given      INTEGER NOT NULL, -- reviews this person gave to others' PRs this day
    -- Sorted values, delta-encoded varints (internal/rollup): merge times
    -- and sizes of the PRs merged this day, review times of those first
    -- reviewed this day, lead times and phases of those deployed this day.
    merge_times        BLOB,
    pr_sizes           BLOB,
    review_times       BLOB,
    lead_times         BLOB,
    coding_times       BLOB,
    pickup_times       BLOB,
    review_phase_times BLOB,
    deploy_times       BLOB,
    PRIMARY KEY (day, repo_id, author)
);
CREATE INDEX pr_rollup_author ON pr_rollup (author, day);
CREATE INDEX pr_rollup_repo ON pr_rollup (repo_id, day);

-- Days whose rollup rows an incremental derive must rebuild.
CREATE TABLE pr_rollup_dirty (
    day BIGINT PRIMARY KEY
);

-- The rollup rebuilds the PRs created on a dirty day.
CREATE INDEX pr_facts_created ON pr_facts (created_at);

-- Linear issues completed in a range (throughput's issues_completed, the
-- developers table), counted from the index alone.
CREATE INDEX linear_issues_completed_state ON linear_issues (completed_at, canceled_at, state_type, id);
