-- An issue's cycle end (METRICS.md: the latest merge among its merged linked
-- PRs) is derived: it moves to a narrow table of its own. As a column of
-- linear_issues, every issue the derive gave a cycle end was a new version of
-- a wide row (PostgreSQL: in each of its indexes too; 564,000 of 827,000
-- issues in the 1M-PR demo, 10 s for one UPDATE of them all, against 1.7 s to
-- insert them here and index them), and the table needed vacuuming after.
-- created_at is the issue's, kept beside it so that cycle time reads this
-- table's index alone; the derive rewrites a row when either changes.
CREATE TABLE linear_issue_cycles (
    issue_id     INTEGER PRIMARY KEY REFERENCES linear_issues(id) ON DELETE CASCADE,
    cycle_end_at BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
INSERT INTO linear_issue_cycles (issue_id, cycle_end_at, created_at)
    SELECT id, cycle_end_at, created_at FROM linear_issues WHERE cycle_end_at IS NOT NULL;
CREATE INDEX linear_issue_cycles_end ON linear_issue_cycles (cycle_end_at, created_at);
DROP INDEX IF EXISTS linear_issues_cycle_end;
ALTER TABLE linear_issues DROP COLUMN cycle_end_at;
