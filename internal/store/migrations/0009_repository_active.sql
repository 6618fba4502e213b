-- Whether a repository is still in GITHUB_REPOS. A repository that leaves
-- the list (removed, excluded, archived, or gone from an owner/* listing)
-- stops syncing; its data is kept and it is marked inactive.
ALTER TABLE repositories ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
