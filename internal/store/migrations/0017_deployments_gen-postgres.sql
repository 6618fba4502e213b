-- A counter of the changes to deployments that the metrics' in-memory
-- copy of them holds (when, where, which environment, whether production,
-- failed or rework). The copy is then loaded again only when this counter
-- moves, not on every derive: most derives change PRs or issues alone. The
-- triggers keep it in the same transaction as the change, whatever writes
-- it (the sync, the derive, a cascade from a deleted repository); an
-- UPDATE that leaves those columns as they were (the dirty flag, a flag
-- recomputed to its old value) does not move it. They run once per
-- statement, over its rows (transition tables), so that a bulk write
-- moves the counter once.
CREATE TABLE change_gens (
    name TEXT PRIMARY KEY,
    gen  BIGINT NOT NULL
);
INSERT INTO change_gens (name, gen) VALUES ('deployments', 0);

CREATE FUNCTION deployments_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
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
        -- A row whose columns changed is in new_rows and not in old_rows.
        -- (Not a join on id: the planner knows nothing of transition
        -- tables, and chose a nested loop that took 93 s for an UPDATE of
        -- 30,000 rows; EXCEPT hashes or sorts, about 0.1 s.)
        IF NOT EXISTS (SELECT id, deployed_at, repo_id, environment, production, failed, is_rework FROM new_rows
                EXCEPT SELECT id, deployed_at, repo_id, environment, production, failed, is_rework FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'deployments';
    RETURN NULL;
END
$$;

CREATE TRIGGER deployments_gen_insert AFTER INSERT ON deployments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deployments_gen_bump();
CREATE TRIGGER deployments_gen_delete AFTER DELETE ON deployments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION deployments_gen_bump();
CREATE TRIGGER deployments_gen_update AFTER UPDATE ON deployments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deployments_gen_bump();
CREATE TRIGGER deployments_gen_truncate AFTER TRUNCATE ON deployments
    FOR EACH STATEMENT EXECUTE FUNCTION deployments_gen_bump();
