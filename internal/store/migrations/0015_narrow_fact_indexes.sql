-- pr_facts_deployed, pr_facts_repo_deployed and pr_facts_first_review
-- covered the lead-time and review-time reads of pr_facts (0001_init).
-- Those reads now come from the PR rollup (0006); pr_facts answers them only
-- in a database whose first derive has not finished. What still needs these
-- columns indexed is the rollup's rebuild of a few days, which finds the PRs
-- deployed or first reviewed on them: the column alone serves it. The
-- narrow indexes are a fraction of the wide ones, which the first derive of
-- a large database spent seconds building.
--
-- (IF EXISTS: a first derive interrupted before it rebuilt pr_facts' indexes
-- has dropped them; it restores the old definitions of those still missing.)
DROP INDEX IF EXISTS pr_facts_repo_deployed;
DROP INDEX IF EXISTS pr_facts_deployed;
CREATE INDEX IF NOT EXISTS pr_facts_deployed ON pr_facts (deployed_at);
DROP INDEX IF EXISTS pr_facts_first_review;
CREATE INDEX IF NOT EXISTS pr_facts_first_review ON pr_facts (first_review_at);
