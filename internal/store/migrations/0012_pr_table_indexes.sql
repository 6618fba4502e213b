-- The dashboard's pull-request table lists the PRs opened or merged in a
-- range, sorted, one page at a time. It reads the candidates from pr_facts
-- through these indexes alone: by creation and by merge (each with every
-- column the table filters and sorts on, and pr_id, which is not the rowid),
-- and, for the default order by lead time, in that order.
--
-- The two range indexes replace the narrower pr_facts_created (the
-- rollup's rebuild of the PRs created on a day, a prefix of the new one) and
-- pr_facts_merged (the merge-time and throughput reads, a prefix too).
DROP INDEX pr_facts_created;
CREATE INDEX pr_facts_created ON pr_facts (created_at, merged_at, repo_id, author_login, deployed_at, first_commit_at,
    first_review_at, size, pr_id);
DROP INDEX pr_facts_merged;
CREATE INDEX pr_facts_merged ON pr_facts (merged_at, created_at, size, repo_id, author_login, deployed_at, first_commit_at,
    first_review_at, pr_id);
CREATE INDEX pr_facts_lead_order ON pr_facts ((deployed_at - first_commit_at), pr_id, created_at, merged_at, repo_id, author_login)
    WHERE deployed_at IS NOT NULL;
-- The author and team filters count their members' PRs from an index led by
-- the login (a team is a few probes), instead of testing every PR of the
-- range; pr_facts_author_merged gains created_at for the same count.
CREATE INDEX pr_facts_author_created ON pr_facts (lower(author_login), created_at, merged_at);
DROP INDEX pr_facts_author_merged;
CREATE INDEX pr_facts_author_merged ON pr_facts (lower(author_login), merged_at, created_at);
-- The longest and shortest time a PR stayed open, read from the index's
-- ends, bound the PRs opened before a range and merged in it.
CREATE INDEX pr_facts_open_time ON pr_facts ((merged_at - created_at)) WHERE merged_at IS NOT NULL;
