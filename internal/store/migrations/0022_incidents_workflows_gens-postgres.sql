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
-- As in 0017, the triggers run once per statement, over its rows.
INSERT INTO change_gens (name, gen) VALUES ('incidents', 0), ('workflows', 0);

CREATE FUNCTION incidents_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT id, source, external_id, repo_id, opened_at, resolved_at, deployment_id FROM new_rows
                EXCEPT SELECT id, source, external_id, repo_id, opened_at, resolved_at, deployment_id FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'incidents';
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_gen_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incidents_gen_bump();
CREATE TRIGGER incidents_gen_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION incidents_gen_bump();
CREATE TRIGGER incidents_gen_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incidents_gen_bump();
CREATE TRIGGER incidents_gen_truncate AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_gen_bump();

CREATE FUNCTION workflows_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT id, repo_id, is_deployment FROM new_rows
                EXCEPT SELECT id, repo_id, is_deployment FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'workflows';
    RETURN NULL;
END
$$;

CREATE TRIGGER workflows_gen_insert AFTER INSERT ON workflows
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_gen_bump();
CREATE TRIGGER workflows_gen_delete AFTER DELETE ON workflows
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_gen_bump();
CREATE TRIGGER workflows_gen_update AFTER UPDATE ON workflows
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_gen_bump();
CREATE TRIGGER workflows_gen_truncate AFTER TRUNCATE ON workflows
    FOR EACH STATEMENT EXECUTE FUNCTION workflows_gen_bump();
