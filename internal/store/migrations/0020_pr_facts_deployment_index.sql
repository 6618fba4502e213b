-- The deployments page lists each deployment's first shipped PRs, in merge
-- order, and how many it shipped (store.shippedPRs): with the merge instant
-- and the PR in the index, that is read from the index alone, not from a
-- pr_facts row for each of the 40-odd PRs a deployment ships.
--
-- (IF EXISTS: a first derive interrupted before it rebuilt pr_facts' indexes
-- has dropped them; it restores the old definitions of those still missing,
-- and this one is not.)
DROP INDEX IF EXISTS pr_facts_deployment;
CREATE INDEX IF NOT EXISTS pr_facts_deployment ON pr_facts (deployment_id, merged_at, pr_id);
