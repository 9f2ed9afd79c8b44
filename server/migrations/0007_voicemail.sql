-- Voicemail (issue 13): each user's mailbox setting and the messages callers left.

-- Whether the user's mailbox takes the calls they do not answer (SPEC §8: on by default).
ALTER TABLE users ADD COLUMN voicemail INTEGER NOT NULL DEFAULT 1;

-- A message: the call that left it (one message per call, removed with the call or its owner),
-- who called, how long it is, whether the owner heard it, and the WAV bytes themselves. The audio
-- is in the store, in the same transaction as the call's outcome and the `voicemail` event, and
-- bounded here as in the code (512 KiB, 60 s).
CREATE TABLE voicemails (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    call_id TEXT NOT NULL UNIQUE REFERENCES calls(id) ON DELETE CASCADE,
    caller TEXT NOT NULL,
    created_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL CHECK (duration_ms BETWEEN 0 AND 60000),
    heard INTEGER NOT NULL DEFAULT 0,
    audio BLOB NOT NULL CHECK (length(audio) <= 524288)
);
CREATE INDEX voicemails_owner ON voicemails(user_id, created_at);
