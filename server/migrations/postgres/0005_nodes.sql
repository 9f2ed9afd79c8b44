-- Issue 16: the PostgreSQL twin of the SQLite migration 0019_nodes.sql (the meaning of each table
-- and column is written there).
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    seen_ms BIGINT NOT NULL
);
ALTER TABLE calls ADD COLUMN node TEXT;
