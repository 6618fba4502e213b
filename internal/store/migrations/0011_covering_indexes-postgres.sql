-- The DORA metrics read every production deployment of a range (deployed_at,
-- failed, is_rework, optionally by repository): answered from this index
-- alone, without a visit to each deployment's row. It has
-- deployments_deployed's columns first, and takes its place.
CREATE INDEX deployments_deployed_production ON deployments (deployed_at, production, failed, is_rework, repo_id);
DROP INDEX deployments_deployed;

-- The PR rollup counts the reviews given per day from this index alone
-- (pr_reviews' rows carry the reviews' bodies). It has
-- pr_reviews_submitted's column first, and takes its place.
CREATE INDEX pr_reviews_submitted_by ON pr_reviews (submitted_at, state, author_login, pr_id);
DROP INDEX pr_reviews_submitted;
