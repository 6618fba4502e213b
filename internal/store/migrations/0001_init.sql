-- Veelocity's data model. One file runs on SQLite and PostgreSQL; the only
-- dialect word is {{id}}, an auto-assigned primary key (see dialect.go).
--
-- Conventions:
--   * Every timestamp is a UTC instant stored as BIGINT Unix milliseconds, so
--     range filters are integer comparisons on both engines.
--   * Natural keys from GitHub and Linear are UNIQUE, so every sync upsert is
--     idempotent.
--   * Columns marked "derived" are written only by the derive step; `dirty`
--     flags tell it which rows changed since it last ran.

-- Source tables: GitHub ------------------------------------------------------

CREATE TABLE repositories (
    id              {{id}},
    github_id       BIGINT UNIQUE,              -- NULL until synced (a repo first named by POST /deployments)
    full_name       TEXT NOT NULL,              -- owner/name as GitHub spells it
    full_name_key   TEXT NOT NULL UNIQUE,       -- lower(full_name), the lookup key
    owner           TEXT NOT NULL,
    name            TEXT NOT NULL,
    default_branch  TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    html_url        TEXT NOT NULL DEFAULT '',
    private         BOOLEAN NOT NULL DEFAULT FALSE,
    archived        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT,
    updated_at      BIGINT,
    first_deploy_created_at BIGINT              -- derived: creation time of its first deployment
);

CREATE TABLE pull_requests (
    id                {{id}},
    repo_id           BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,
    node_id           TEXT NOT NULL DEFAULT '',
    title             TEXT NOT NULL DEFAULT '',
    body              TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,            -- open, closed, merged
    draft             BOOLEAN NOT NULL DEFAULT FALSE,
    author_login      TEXT,                     -- NULL for deleted accounts; bots as "name[bot]"
    head_branch       TEXT NOT NULL DEFAULT '',
    base_branch       TEXT NOT NULL DEFAULT '',
    head_sha          TEXT NOT NULL DEFAULT '',
    merge_commit_sha  TEXT,
    additions         INTEGER NOT NULL DEFAULT 0,
    deletions         INTEGER NOT NULL DEFAULT 0,
    changed_files     INTEGER NOT NULL DEFAULT 0,
    commit_count      INTEGER NOT NULL DEFAULT 0,
    labels            TEXT NOT NULL DEFAULT '[]', -- JSON array of label names
    html_url          TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    merged_at         BIGINT,
    closed_at         BIGINT,
    ready_at          BIGINT,                   -- last "ready for review" event, for drafts
    dirty             BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (repo_id, number)
);
CREATE INDEX pull_requests_repo_updated ON pull_requests (repo_id, updated_at);
CREATE INDEX pull_requests_merge_sha ON pull_requests (merge_commit_sha);
CREATE INDEX pull_requests_merged ON pull_requests (repo_id, merged_at);
CREATE INDEX pull_requests_repo_state ON pull_requests (repo_id, state); -- PR counts per repo, from the index alone
CREATE INDEX pull_requests_dirty ON pull_requests (id) WHERE dirty;

CREATE TABLE pr_reviews (
    id            {{id}},
    pr_id         BIGINT NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
    github_id     TEXT NOT NULL UNIQUE,         -- GraphQL node id (REST: node_id)
    author_login  TEXT,
    state         TEXT NOT NULL,                -- APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    body          TEXT NOT NULL DEFAULT '',
    html_url      TEXT NOT NULL DEFAULT '',
    submitted_at  BIGINT                        -- NULL while PENDING
);
CREATE INDEX pr_reviews_pr ON pr_reviews (pr_id, submitted_at);
CREATE INDEX pr_reviews_author ON pr_reviews (author_login, submitted_at);
CREATE INDEX pr_reviews_submitted ON pr_reviews (submitted_at);

CREATE TABLE pr_comments (
    id            {{id}},
    pr_id         BIGINT NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
    github_id     TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,                -- issue (conversation) or review (on a diff line)
    author_login  TEXT,
    body          TEXT NOT NULL DEFAULT '',
    html_url      TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT
);
CREATE INDEX pr_comments_pr ON pr_comments (pr_id);

CREATE TABLE commits (
    id                {{id}},
    pr_id             BIGINT NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
    sha               TEXT NOT NULL,
    message_headline  TEXT NOT NULL DEFAULT '',
    author_login      TEXT,
    author_name       TEXT NOT NULL DEFAULT '',
    authored_at       BIGINT NOT NULL,
    committed_at      BIGINT NOT NULL,
    UNIQUE (pr_id, sha)
);
CREATE INDEX commits_sha ON commits (sha);
CREATE INDEX commits_pr_authored ON commits (pr_id, authored_at);

-- Source tables: GitHub Actions and issues -----------------------------------

CREATE TABLE workflows (
    id             {{id}},
    repo_id        BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    github_id      BIGINT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    path           TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL DEFAULT '',
    html_url       TEXT NOT NULL DEFAULT '',
    created_at     BIGINT,
    updated_at     BIGINT,
    is_deployment  BOOLEAN NOT NULL DEFAULT FALSE   -- derived from DEPLOYMENT_PATTERNS
);
CREATE INDEX workflows_repo ON workflows (repo_id);

CREATE TABLE workflow_runs (
    id              {{id}},
    repo_id         BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    workflow_id     BIGINT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    github_id       BIGINT NOT NULL UNIQUE,
    name            TEXT NOT NULL DEFAULT '',
    run_number      INTEGER NOT NULL DEFAULT 0,
    run_attempt     INTEGER NOT NULL DEFAULT 1,
    event           TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,              -- queued, in_progress, completed, …
    conclusion      TEXT,                       -- success, failure, cancelled, skipped, … (NULL until completed)
    head_sha        TEXT NOT NULL DEFAULT '',
    head_branch     TEXT NOT NULL DEFAULT '',
    html_url        TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    run_started_at  BIGINT,
    updated_at      BIGINT NOT NULL,
    dirty           BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX workflow_runs_repo_created ON workflow_runs (repo_id, created_at);
CREATE INDEX workflow_runs_workflow ON workflow_runs (workflow_id);
CREATE INDEX workflow_runs_unfinished ON workflow_runs (repo_id) WHERE status <> 'completed';
CREATE INDEX workflow_runs_dirty ON workflow_runs (id) WHERE dirty;

-- GitHub issues that carry an incident label (INCIDENT_LABELS).
CREATE TABLE github_issues (
    id          {{id}},
    repo_id     BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    github_id   BIGINT NOT NULL UNIQUE,
    number      INTEGER NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,                  -- open, closed
    labels      TEXT NOT NULL DEFAULT '[]',     -- JSON array of label names
    html_url    TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    closed_at   BIGINT,
    dirty       BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (repo_id, number)
);
CREATE INDEX github_issues_dirty ON github_issues (id) WHERE dirty;

-- Source tables: Linear -------------------------------------------------------

CREATE TABLE linear_teams (
    id         {{id}},
    linear_id  TEXT NOT NULL UNIQUE,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX linear_teams_key ON linear_teams (key);

CREATE TABLE linear_issues (
    id              {{id}},
    team_id         BIGINT NOT NULL REFERENCES linear_teams(id) ON DELETE CASCADE,
    linear_id       TEXT NOT NULL UNIQUE,
    identifier      TEXT NOT NULL,              -- ENG-123
    number          INTEGER NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    branch_name     TEXT NOT NULL DEFAULT '',
    state_name      TEXT NOT NULL DEFAULT '',
    state_type      TEXT NOT NULL DEFAULT '',   -- triage, backlog, unstarted, started, completed, canceled, duplicate
    priority        INTEGER NOT NULL DEFAULT 0, -- 0 none, 1 urgent … 4 low
    estimate        DOUBLE PRECISION,
    assignee_name   TEXT NOT NULL DEFAULT '',
    assignee_email  TEXT NOT NULL DEFAULT '',
    labels          TEXT NOT NULL DEFAULT '[]', -- JSON array of label names
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    started_at      BIGINT,
    completed_at    BIGINT,
    canceled_at     BIGINT,
    cycle_end_at    BIGINT,                     -- derived: latest merge among its merged linked PRs
    dirty           BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX linear_issues_identifier ON linear_issues (identifier);
CREATE INDEX linear_issues_completed ON linear_issues (completed_at);
CREATE INDEX linear_issues_cycle_end ON linear_issues (cycle_end_at, created_at); -- covers cycle time
CREATE INDEX linear_issues_team_updated ON linear_issues (team_id, updated_at);
CREATE INDEX linear_issues_dirty ON linear_issues (id) WHERE dirty;

CREATE TABLE linear_attachments (
    id           {{id}},
    issue_id     BIGINT NOT NULL REFERENCES linear_issues(id) ON DELETE CASCADE,
    linear_id    TEXT NOT NULL UNIQUE,
    url          TEXT NOT NULL,
    source_type  TEXT NOT NULL DEFAULT '',
    pr_key       TEXT                        -- derived: "owner/repo#number" when url is a pull request
);
CREATE INDEX linear_attachments_issue ON linear_attachments (issue_id);
CREATE INDEX linear_attachments_pr_key ON linear_attachments (pr_key);

-- Domain tables (vendor-neutral) ---------------------------------------------

-- Deployments from every source: successful runs of deployment workflows
-- (source github_actions, kept in step with workflow_runs by the derive step)
-- and deployments recorded through POST /api/v1/deployments (source api).
CREATE TABLE deployments (
    id               {{id}},
    source           TEXT NOT NULL,             -- github_actions, api
    external_id      TEXT NOT NULL,             -- run id, or the caller's id
    repo_id          BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    workflow_run_id  BIGINT REFERENCES workflow_runs(id) ON DELETE CASCADE,
    environment      TEXT NOT NULL DEFAULT '',
    head_sha         TEXT NOT NULL DEFAULT '',
    head_branch      TEXT NOT NULL DEFAULT '',
    url              TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,           -- creation time, used to link PRs by time
    deployed_at      BIGINT NOT NULL,           -- completion time
    recorded_at      BIGINT NOT NULL,
    failed           BOOLEAN NOT NULL DEFAULT FALSE,  -- derived: has an attributed incident
    is_rework        BOOLEAN NOT NULL DEFAULT FALSE,  -- derived: linked deployment of a rework PR
    dirty            BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (source, external_id)
);
CREATE INDEX deployments_deployed ON deployments (deployed_at, failed, is_rework);
CREATE INDEX deployments_repo_deployed ON deployments (repo_id, deployed_at, failed, is_rework);
-- Linking a PR (derive): the first deployment created at or after its merge,
-- and the first to deploy its merge commit, in the order the rules break
-- ties (the id is implicit).
CREATE INDEX deployments_repo_created ON deployments (repo_id, created_at, deployed_at);
CREATE INDEX deployments_sha ON deployments (repo_id, head_sha, deployed_at);
CREATE INDEX deployments_dirty ON deployments (id) WHERE dirty;

-- Incidents from every source: labelled GitHub issues, labelled Linear issues
-- (both kept in step by the derive step) and POST /api/v1/incidents.
CREATE TABLE incidents (
    id             {{id}},
    source         TEXT NOT NULL,               -- github, linear, api
    external_id    TEXT NOT NULL,
    repo_id        BIGINT REFERENCES repositories(id) ON DELETE CASCADE,
    title          TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    opened_at      BIGINT NOT NULL,
    resolved_at    BIGINT,
    recorded_at    BIGINT NOT NULL,
    deployment_id  BIGINT REFERENCES deployments(id) ON DELETE SET NULL,  -- derived: attribution
    dirty          BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (source, external_id)
);
CREATE INDEX incidents_opened ON incidents (opened_at);
CREATE INDEX incidents_resolved ON incidents (resolved_at);
CREATE INDEX incidents_deployment ON incidents (deployment_id);
CREATE INDEX incidents_dirty ON incidents (id) WHERE dirty;

-- Derived facts ----------------------------------------------------------------

-- One row per pull request: everything the PR metrics read, in one narrow
-- table indexed on the timestamps METRICS.md filters on.
CREATE TABLE pr_facts (
    pr_id              BIGINT PRIMARY KEY REFERENCES pull_requests(id) ON DELETE CASCADE,
    repo_id            BIGINT NOT NULL,
    author_login       TEXT,
    created_at         BIGINT NOT NULL,
    merged_at          BIGINT,
    to_default_branch  BOOLEAN NOT NULL DEFAULT FALSE,
    first_commit_at    BIGINT NOT NULL,         -- earliest authored commit, else created_at
    first_review_at    BIGINT,                  -- first non-pending review by someone else, not a bot
    deployment_id      BIGINT REFERENCES deployments(id) ON DELETE SET NULL,
    deployed_at        BIGINT,
    undeployed         BOOLEAN NOT NULL DEFAULT FALSE,  -- eligible, after the first deployment, not linked
    is_rework          BOOLEAN NOT NULL DEFAULT FALSE,
    size               INTEGER NOT NULL DEFAULT 0       -- additions + deletions
);
-- The metric queries read a time range of facts; these covering indexes let
-- them do so from the index alone (lead time by deployed_at, merge time and
-- throughput by merged_at, review time by first_review_at), with the
-- repo-scoped variants for the repo filter.
CREATE INDEX pr_facts_deployed ON pr_facts (deployed_at, first_commit_at, created_at, merged_at, first_review_at, repo_id, author_login);
CREATE INDEX pr_facts_merged ON pr_facts (merged_at, created_at, size, repo_id, author_login);
CREATE INDEX pr_facts_first_review ON pr_facts (first_review_at, created_at, repo_id, author_login);
CREATE INDEX pr_facts_repo_deployed ON pr_facts (repo_id, deployed_at, first_commit_at, created_at, merged_at, first_review_at);
CREATE INDEX pr_facts_repo_merged ON pr_facts (repo_id, merged_at, created_at, size);
CREATE INDEX pr_facts_undeployed ON pr_facts (merged_at, repo_id) WHERE undeployed;
CREATE INDEX pr_facts_deployment ON pr_facts (deployment_id);

-- Links between Linear issues and pull requests (derived).
CREATE TABLE linear_issue_prs (
    issue_id  BIGINT NOT NULL REFERENCES linear_issues(id) ON DELETE CASCADE,
    pr_id     BIGINT NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
    via       TEXT NOT NULL,                    -- identifier, attachment
    PRIMARY KEY (issue_id, pr_id)
);
CREATE INDEX linear_issue_prs_pr ON linear_issue_prs (pr_id);

-- Linear identifiers (of synced teams' keys) that a PR's head branch, title
-- or body mentions, so a newly synced issue finds its PRs (derived).
CREATE TABLE pr_mentions (
    pr_id       BIGINT NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
    identifier  TEXT NOT NULL,                  -- upper case, e.g. ENG-123
    PRIMARY KEY (pr_id, identifier)
);
CREATE INDEX pr_mentions_identifier ON pr_mentions (identifier);

-- Sync bookkeeping ---------------------------------------------------------------

-- Incremental state per source and scope (a repo, a team, or "" for the
-- source as a whole).
CREATE TABLE sync_state (
    source           TEXT NOT NULL,
    scope            TEXT NOT NULL,
    cursor           TEXT NOT NULL DEFAULT '',
    last_started_at  BIGINT,
    last_success_at  BIGINT,
    last_error       TEXT NOT NULL DEFAULT '',
    last_error_at    BIGINT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (source, scope)
);

-- History of syncs, one row per source per run.
CREATE TABLE sync_runs (
    id           {{id}},
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,                 -- full, recent
    triggered_by TEXT NOT NULL DEFAULT '',      -- startup, schedule, api, cli
    status       TEXT NOT NULL,                 -- running, success, failed, canceled
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    records      BIGINT NOT NULL DEFAULT 0,
    requests     BIGINT NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_source_started ON sync_runs (source, started_at);

-- Validators for conditional requests (ETag / If-None-Match), by request key.
CREATE TABLE http_cache (
    key         TEXT PRIMARY KEY,
    etag        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Small key/value facts about the installation, such as the
-- DEPLOYMENT_PATTERNS the derive step last classified with.
CREATE TABLE app_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
