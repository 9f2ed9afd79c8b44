-- Issue 15, the administration API: whether a user may sign in, and the audit log of every change
-- administrators (or the operator's command line) make.

-- A deactivated user keeps their data, calls and devices, but cannot sign in: no login, no session,
-- no event ticket (the store's checks refuse them); deactivation ends their sessions and streams.
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;

-- One row per change: of a customer (`customer_id` set) or of a reseller itself (`reseller_id`
-- set: its mode, its new customers). Who (id and name as they were), what (`action`, `target`,
-- a short JSON `detail` that never holds a secret), when (Unix ms) and from where (the client's
-- address, or `cli`). Ids increase: the log pages newest first with `before`.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT,
    reseller_id TEXT,
    at_ms INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL CHECK (length(action) <= 64),
    target TEXT NOT NULL CHECK (length(target) <= 256),
    detail TEXT NOT NULL DEFAULT '{}' CHECK (length(detail) <= 4096),
    source TEXT NOT NULL CHECK (length(source) <= 64),
    CHECK (customer_id IS NOT NULL OR reseller_id IS NOT NULL)
);
CREATE INDEX audit_log_customer ON audit_log (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_log_reseller ON audit_log (reseller_id, id) WHERE reseller_id IS NOT NULL;
