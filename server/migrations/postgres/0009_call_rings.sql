-- Issue 17: the PostgreSQL twin of the SQLite migration 0023_call_rings.sql (the column's
-- meaning is written there).
ALTER TABLE calls ADD COLUMN rings_on TEXT;
