-- Issue 17: the PostgreSQL twin of the SQLite migration 0022_call_device.sql (the column's
-- meaning is written there).
ALTER TABLE calls ADD COLUMN from_device TEXT;
