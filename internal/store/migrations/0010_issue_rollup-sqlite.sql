-- The issue rollup (internal/rollup/issues.go): per UTC day, repository and
-- author, the Linear issues that cycle time and issues_completed count, so
-- that a filtered range reads a few hundred rows instead of joining every
-- issue of the range to its PRs. Repository 0 means every repository and
-- author '' everyone. The derive step keeps it current (full derives rebuild
-- it, incremental ones the days of the issues in issue_rollup_dirty).
CREATE TABLE issue_rollup (
    repo_id         BIGINT NOT NULL,  -- 0: every repository
    author          TEXT NOT NULL,    -- lower-case login of a linked PR's author; '': everyone
    day             BIGINT NOT NULL,  -- UTC day: Unix ms / 86400000
    done            INTEGER NOT NULL, -- issues completed this day, not canceled, with a linked PR of the cell
    completed       INTEGER NOT NULL, -- issues completed this day, canceled or not, with a linked PR of the cell
    -- Delta-encoded varints (internal/rollup): cycle times (ms) of the
    -- issues whose cycle ends this day with a merged linked PR of the cell,
    -- in the order of their ids; those ids, ascending; the ids of the done
    -- issues, of those of them with a merged linked PR of the cell, and of
    -- the canceled ones.
    cycle_times     BLOB,
    cycle_ids       BLOB,
    done_ids        BLOB,
    done_merged_ids BLOB,
    canceled_ids    BLOB,
    PRIMARY KEY (repo_id, author, day)
);

-- Issues whose rollup days an incremental derive must rebuild.
CREATE TABLE issue_rollup_dirty (
    issue_id BIGINT PRIMARY KEY
);
