-- linear_issues_completed (completed_at) is the first column of
-- linear_issues_completed_state (completed_at, canceled_at, state_type, id,
-- 0006), which serves every read of a range of completed_at as well. Every
-- new version of an issue row updated both: the first derive of a large
-- database writes one for each issue it gives a cycle end (563,000 of
-- 825,000 in the 1M-PR demo).
DROP INDEX IF EXISTS linear_issues_completed;
