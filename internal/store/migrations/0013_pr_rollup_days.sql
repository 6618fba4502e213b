-- Which days of the PR rollup changed, and when: an incremental derive gives
-- each day it rebuilds the next generation (app_state rollup.gen), so that a
-- reader holding the rollup in memory (metrics' mirror) reloads only the days
-- changed since the generation it holds. A full rebuild empties the table and
-- gives rollup.built a new value instead: the reader then reloads everything.
CREATE TABLE pr_rollup_days (
    day BIGINT PRIMARY KEY,
    gen BIGINT NOT NULL
);
CREATE INDEX pr_rollup_days_gen ON pr_rollup_days (gen);

