-- Issue 17: the PostgreSQL twin of the SQLite migration 0024_leaving_message.sql (the column's
-- meaning is written there).
ALTER TABLE calls ADD COLUMN leaving_message BOOLEAN NOT NULL DEFAULT FALSE;
