-- Counters of the changes to the incidents and the workflows, as 0017 keeps
-- one for the deployments: an answer the metrics read from them (recovery
-- time, deployment frequency, change failure rate, rework rate, the Teams
-- page's) is then carried over a derive that moved none of its counters,
-- instead of computed again after every sync.
--
-- 'incidents' moves with a change to what the metrics read of an incident
-- (when it opened and resolved, its repository, its source and id, the
-- deployment it is attributed to). The links of a Linear incident's issue,
-- which make it a repository's too (store.IncidentOfRepoSQL), have no
-- counter: the derive rewrites the links of every PR it derives again
-- (about 660,000 in a full derive of the 1M-PR demo), and a trigger would
-- look each one up among the incidents; the metrics compare the few links
-- of incidents themselves instead (metrics.tableGens).
-- 'workflows' moves with a change to a workflow's repository or to whether
-- it deploys (a scope with a deployment workflow and no deployment in a
-- range rates its frequency low rather than not at all).
INSERT INTO change_gens (name, gen) VALUES ('incidents', 0), ('workflows', 0);

CREATE TRIGGER incidents_gen_insert AFTER INSERT ON incidents
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER incidents_gen_delete AFTER DELETE ON incidents
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER incidents_gen_update
AFTER UPDATE OF source, external_id, repo_id, opened_at, resolved_at, deployment_id ON incidents
WHEN OLD.source IS NOT NEW.source OR OLD.external_id IS NOT NEW.external_id OR OLD.repo_id IS NOT NEW.repo_id
    OR OLD.opened_at IS NOT NEW.opened_at OR OLD.resolved_at IS NOT NEW.resolved_at
    OR OLD.deployment_id IS NOT NEW.deployment_id
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER workflows_gen_insert AFTER INSERT ON workflows
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'workflows';
END;

CREATE TRIGGER workflows_gen_delete AFTER DELETE ON workflows
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'workflows';
END;

CREATE TRIGGER workflows_gen_update AFTER UPDATE OF repo_id, is_deployment ON workflows
WHEN OLD.repo_id IS NOT NEW.repo_id OR OLD.is_deployment IS NOT NEW.is_deployment
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'workflows';
END;
