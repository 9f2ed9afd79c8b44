-- Issue 17, the softphone: the panel registered as a user's softphone device, one per user
-- (`user_id` is the key, so a new registration replaces the old in one upsert). `id` is what the
-- panel names it by (keep-alives, media offers, its end); `expires_ms` (Unix milliseconds) is
-- moved on by every keep-alive, and a registration past it is expired: the node sweeping first
-- deletes it and logs its `softphone` event (`expired`). A removed device or user takes its
-- registration with it.
CREATE TABLE softphone_registrations (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX softphone_registrations_expiry ON softphone_registrations (expires_ms);
