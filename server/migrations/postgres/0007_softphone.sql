-- Issue 17: the PostgreSQL twin of the SQLite migration 0021_softphone.sql (the meaning of each
-- column is written there).
CREATE TABLE softphone_registrations (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX softphone_registrations_expiry ON softphone_registrations (expires_ms);
