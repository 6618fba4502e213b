-- Which days of the issue rollup changed, and when: as pr_rollup_days
-- (migration 0013) for the PR rollup, with app_state rollup.issues_gen and
-- rollup.issues_built.
CREATE TABLE issue_rollup_days (
    day BIGINT PRIMARY KEY,
    gen BIGINT NOT NULL
);
CREATE INDEX issue_rollup_days_gen ON issue_rollup_days (gen);
