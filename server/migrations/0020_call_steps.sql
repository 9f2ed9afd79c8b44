-- Issue 16, timers that survive their node: the next step the embedded PBX plays on a live call
-- (`kind`: dial, answer, hang_up, ring_out), timed from `since_ms` (Unix milliseconds), written in
-- the same transaction as the call's move that schedules it, with the node whose timer plays it.
-- A call whose state changes loses its step. When the node dies, the node that adopts the call
-- (`calls.node`) takes its step too and plays it from the stored time on. `message` is the WAV the
-- caller of a ringing inbound call would leave (with its length), so that whichever node ends the
-- call stores the caller's words.
CREATE TABLE call_steps (
    call_id TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    node TEXT,
    message BLOB,
    message_ms INTEGER
);
-- Live calls from before this table get the step they were waiting for, timed from now and
-- stamped with their node (gone after the upgrade, so another node adopts and plays it): a dialling
-- call rings; an outside call ringing is answered by the far side; an inbound call rings out; a
-- call connected to an outside party is hung up after TALK (never when TALK is 0).
INSERT INTO call_steps (call_id, kind, since_ms, node)
SELECT id,
       CASE WHEN state = 'dialing' THEN 'dial'
            WHEN state = 'connected' THEN 'hang_up'
            WHEN direction = 'inbound' THEN 'ring_out'
            ELSE 'answer' END,
       CAST(strftime('%s', 'now') AS INTEGER) * 1000,
       node
FROM calls
WHERE state = 'dialing'
   OR (state = 'ringing' AND (direction = 'inbound' OR peer_call_id IS NULL))
   OR (state = 'connected' AND peer_call_id IS NULL);
