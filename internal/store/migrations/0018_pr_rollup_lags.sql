-- Per merge day, how many of the PRs merged that day were opened lag days
-- before it (merge day − creation day, UTC days; negative for bad data, a
-- PR merged before it was opened): of everyone (pr_rollup_lags), of each
-- repository (pr_rollup_repo_lags) and of each author (pr_rollup_author_lags;
-- the lower-case login, '' when unknown, as in pr_rollup). Part of the PR
-- rollup (package rollup), rebuilt with it. The dashboard's PR table counts
-- from them, for a range of whole days F ≤ day < U with no filter, a
-- repository or authors (not both), the PRs merged in the range
-- but opened outside it: those with lag > day − F (opened before F) or
-- lag ≤ day − U (opened on U or after). That reads a few thousand rows
-- instead of an index entry for every PR merged in the range.
CREATE TABLE pr_rollup_lags (
    day BIGINT NOT NULL,
    lag BIGINT NOT NULL,
    n   INTEGER NOT NULL,
    PRIMARY KEY (day, lag)
);
CREATE TABLE pr_rollup_author_lags (
    day    BIGINT NOT NULL,
    author TEXT NOT NULL,
    lag    BIGINT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (day, author, lag)
);
CREATE INDEX pr_rollup_author_lags_author ON pr_rollup_author_lags (author, day, lag, n);
CREATE TABLE pr_rollup_repo_lags (
    day     BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    lag     BIGINT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (day, repo_id, lag)
);
CREATE INDEX pr_rollup_repo_lags_repo ON pr_rollup_repo_lags (repo_id, day, lag, n);

-- Filled from the facts the rollup was built from: a dirty day's rebuild
-- replaces that day's rows like its cells.
INSERT INTO pr_rollup_lags (day, lag, n)
SELECT merged_at / 86400000, merged_at / 86400000 - created_at / 86400000, count(*)
FROM pr_facts WHERE merged_at IS NOT NULL
GROUP BY 1, 2;
INSERT INTO pr_rollup_author_lags (day, author, lag, n)
SELECT merged_at / 86400000, coalesce(lower(author_login), ''), merged_at / 86400000 - created_at / 86400000, count(*)
FROM pr_facts WHERE merged_at IS NOT NULL
GROUP BY 1, 2, 3;
INSERT INTO pr_rollup_repo_lags (day, repo_id, lag, n)
SELECT merged_at / 86400000, repo_id, merged_at / 86400000 - created_at / 86400000, count(*)
FROM pr_facts WHERE merged_at IS NOT NULL
GROUP BY 1, 2, 3;
