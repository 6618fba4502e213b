-- The deployments page lists each deployment's first shipped PRs, in merge
-- order, and how many it shipped (store.shippedPRs): with the merge instant
-- and the PR in the index, that is read from the index alone, not from a
-- pr_facts row for each of the 40-odd PRs a deployment ships.
DROP INDEX pr_facts_deployment;
CREATE INDEX pr_facts_deployment ON pr_facts (deployment_id, merged_at, pr_id);
