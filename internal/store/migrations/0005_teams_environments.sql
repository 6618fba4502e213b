-- Teams and environments (issue 12; METRICS.md, Environments and Teams).

-- GitHub deployments (the REST Deployments API) and every status of each.
-- The derive step turns them into rows of deployments, for the repositories
-- whose deployments come from GitHub deployments.
CREATE TABLE github_deployments (
    id             {{id}},
    repo_id        BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    github_id      BIGINT NOT NULL UNIQUE,
    environment    TEXT NOT NULL DEFAULT '',
    sha            TEXT NOT NULL DEFAULT '',
    ref            TEXT NOT NULL DEFAULT '',
    task           TEXT NOT NULL DEFAULT '',
    creator_login  TEXT,
    description    TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    final          BOOLEAN NOT NULL DEFAULT FALSE,  -- a success, failure or error status is known: statuses need no re-read
    dirty          BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX github_deployments_repo_created ON github_deployments (repo_id, created_at);
CREATE INDEX github_deployments_unfinished ON github_deployments (repo_id) WHERE NOT final;
CREATE INDEX github_deployments_dirty ON github_deployments (id) WHERE dirty;

CREATE TABLE github_deployment_statuses (
    id             {{id}},
    deployment_id  BIGINT NOT NULL REFERENCES github_deployments(id) ON DELETE CASCADE,
    github_id      BIGINT NOT NULL UNIQUE,
    state          TEXT NOT NULL,               -- error, failure, inactive, in_progress, queued, pending, success
    environment    TEXT NOT NULL DEFAULT '',
    creator_login  TEXT,
    description    TEXT NOT NULL DEFAULT '',
    target_url     TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);
CREATE INDEX github_deployment_statuses_deployment ON github_deployment_statuses (deployment_id, created_at);

-- Every deployment has an environment; runs of deployment workflows and
-- deployments recorded before it existed deploy to production.
UPDATE deployments SET environment = 'production' WHERE environment = '';
-- derived: the environment is one of PRODUCTION_ENVIRONMENTS, so the
-- deployment counts in the DORA metrics, lead-time linking and incident
-- attribution.
ALTER TABLE deployments ADD COLUMN production BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX deployments_production ON deployments (production, deployed_at, repo_id);

-- derived: where the repository's deployments come from (DEPLOYMENT_SOURCE):
-- actions (deployment workflow runs) or github (GitHub deployments).
ALTER TABLE repositories ADD COLUMN deployment_source TEXT NOT NULL DEFAULT 'actions';

-- Teams, from GitHub (GITHUB_TEAMS; slug "org/slug") or defined through the
-- API or the Settings page (source manual). Membership is as of now.
CREATE TABLE teams (
    id          {{id}},
    slug        TEXT NOT NULL,
    slug_key    TEXT NOT NULL UNIQUE,           -- lower(slug), the lookup key
    name        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,                  -- github, manual
    updated_at  BIGINT NOT NULL
);

-- Members, lower case, so that team= resolves to an indexed set of logins.
CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    login    TEXT NOT NULL,                     -- lower case
    PRIMARY KEY (team_id, login)
);
CREATE INDEX team_members_login ON team_members (login);

-- Repositories by name (owner/name, lower case): a team may name a
-- repository before it is synced.
CREATE TABLE team_repositories (
    team_id    BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    repo_key   TEXT NOT NULL,                   -- lower(owner/name), as repositories.full_name_key
    PRIMARY KEY (team_id, repo_key)
);

-- The members' PRs, by author, from the index.
CREATE INDEX pr_facts_author_merged ON pr_facts (lower(author_login), merged_at);
