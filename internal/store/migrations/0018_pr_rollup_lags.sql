-- Per merge day, how many of the PRs merged that day were opened lag days
-- before it (merge day − creation day, UTC days; negative for bad data, a
-- PR merged before it was opened). Part of the PR rollup (package rollup),
-- rebuilt with it. The dashboard's PR table counts from it, for a range of
-- whole days F ≤ day < U and no filter, the PRs merged in the range but
-- opened outside it: those with lag > day − F (opened before F) or
-- lag ≤ day − U (opened on U or after), a few thousand rows instead of an
-- index scan over every PR merged in the range.
CREATE TABLE pr_rollup_lags (
    day BIGINT NOT NULL,
    lag BIGINT NOT NULL,
    n   INTEGER NOT NULL,
    PRIMARY KEY (day, lag)
);

-- Filled from the facts the rollup was built from: a dirty day's rebuild
-- replaces that day's rows like its cells.
INSERT INTO pr_rollup_lags (day, lag, n)
SELECT merged_at / 86400000, merged_at / 86400000 - created_at / 86400000, count(*)
FROM pr_facts WHERE merged_at IS NOT NULL
GROUP BY 1, 2;
