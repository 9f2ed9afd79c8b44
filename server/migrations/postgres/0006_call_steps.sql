-- Issue 16: the PostgreSQL twin of the SQLite migration 0020_call_steps.sql (the meaning of each
-- column is written there).
CREATE TABLE call_steps (
    call_id TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    since_ms BIGINT NOT NULL,
    node TEXT,
    message BYTEA,
    message_ms BIGINT
);
-- Live calls from before this table get the step they were waiting for (see the SQLite twin).
INSERT INTO call_steps (call_id, kind, since_ms, node)
SELECT id,
       CASE WHEN state = 'dialing' THEN 'dial'
            WHEN state = 'connected' THEN 'hang_up'
            WHEN direction = 'inbound' THEN 'ring_out'
            ELSE 'answer' END,
       (extract(epoch FROM now()) * 1000)::BIGINT,
       node
FROM calls
WHERE state = 'dialing'
   OR (state = 'ringing' AND (direction = 'inbound' OR peer_call_id IS NULL))
   OR (state = 'connected' AND peer_call_id IS NULL);
