-- Issue 16: the PostgreSQL twin of the SQLite migration 0018_apply_claims.sql (the meaning of
-- each column is written there).
ALTER TABLE presence ADD COLUMN apply_holder TEXT;
ALTER TABLE presence ADD COLUMN apply_until_ms BIGINT;
