-- The dashboard's PR table counts the PRs opened in a range from the PR
-- rollup's daily counts (store.openedFromRollup): of every cell, of a
-- repository's, or of some authors'. Its rows are wide, a few kilobytes of
-- value arrays each, so reaching the count through the table read megabytes
-- for a 90-day range (SQLite: 1,600 pages, read again after every commit,
-- which empties a connection's page cache). With the count in the index,
-- the sum reads the index alone.
CREATE INDEX pr_rollup_day_opened ON pr_rollup (day, opened);
DROP INDEX pr_rollup_author;
CREATE INDEX pr_rollup_author ON pr_rollup (author, day, opened);
DROP INDEX pr_rollup_repo;
CREATE INDEX pr_rollup_repo ON pr_rollup (repo_id, day, opened);
