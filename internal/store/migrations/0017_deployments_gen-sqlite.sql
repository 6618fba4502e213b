-- A counter of the changes to deployments that the metrics' in-memory
-- copy of them holds (when, where, which environment, whether production,
-- failed or rework). The copy is then loaded again only when this counter
-- moves, not on every derive: most derives change PRs or issues alone. The
-- triggers keep it in the same transaction as the change, whatever writes
-- it (the sync, the derive, a cascade from a deleted repository); an
-- UPDATE that leaves those columns as they were (the dirty flag, a flag
-- recomputed to its old value) does not move it.
CREATE TABLE change_gens (
    name TEXT PRIMARY KEY,
    gen  BIGINT NOT NULL
);
INSERT INTO change_gens (name, gen) VALUES ('deployments', 0);

CREATE TRIGGER deployments_gen_insert AFTER INSERT ON deployments
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'deployments';
END;

CREATE TRIGGER deployments_gen_delete AFTER DELETE ON deployments
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'deployments';
END;

CREATE TRIGGER deployments_gen_update
AFTER UPDATE OF deployed_at, repo_id, environment, production, failed, is_rework ON deployments
WHEN OLD.deployed_at IS NOT NEW.deployed_at OR OLD.repo_id IS NOT NEW.repo_id
    OR OLD.environment IS NOT NEW.environment OR OLD.production IS NOT NEW.production
    OR OLD.failed IS NOT NEW.failed OR OLD.is_rework IS NOT NEW.is_rework
BEGIN
    UPDATE change_gens SET gen = gen + 1 WHERE name = 'deployments';
END;
