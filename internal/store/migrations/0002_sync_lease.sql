-- The sync lease: at most one row, held by the process that runs a sync,
-- so that two processes on one database (serve and `veelocity sync`) never
-- sync at once. A holder renews it while it syncs; a lease left behind by a
-- killed process lapses at expires_at.
CREATE TABLE sync_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    owner       TEXT NOT NULL,      -- the holding process: host, pid and a random part
    started_by  TEXT NOT NULL,      -- what started its sync (its trigger)
    started_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
