-- Issue 16, a retried write is not applied twice: the answers of writes sent with an
-- `Idempotency-Key` header (`server/src/idempotency.rs`). One row per (session, key): `scope` is
-- the session's key (`store::session_key`, a hash of its token's hash, so this table holds nothing
-- that looks a session up), `key` the client's header (1-255 visible ASCII characters),
-- `fingerprint` the SHA-256 of the request's method, path and query, and body's SHA-256.
--
-- A row is claimed (status NULL, `claimed_ms` set) before the request is processed, atomically
-- with `INSERT ... ON CONFLICT`, and gets the answer (status, content type, body) after; an answer
-- that is not stored (5xx, 429) deletes the claim so a retry is processed again. A row is replayed
-- until `expires_ms`, then swept by the periodic pruning (or taken over by the next claim).
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint TEXT NOT NULL,
    claimed_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    status INTEGER,
    content_type TEXT,
    body BLOB,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_ms);
