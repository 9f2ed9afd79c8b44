-- Issue 13, transfer: where a call was transferred to (core's Call::transferred_to), the call a
-- consultation leg consults about (Call::consult_of), and how far the user has seen their missed
-- calls (the highest `calls.seq` of theirs when they last opened History).
ALTER TABLE calls ADD COLUMN transferred_to TEXT;
ALTER TABLE calls ADD COLUMN consult_of TEXT;
ALTER TABLE users ADD COLUMN missed_seen_seq INTEGER NOT NULL DEFAULT 0;

-- Hunt groups are dialable: an extension of their own (unique within the customer, and never a
-- user's: checked on write), and whether a call nobody in the group answers goes to voicemail (the
-- mailbox of the group's first member; off by default: such a call is missed).
ALTER TABLE hunt_groups ADD COLUMN extension TEXT;
ALTER TABLE hunt_groups ADD COLUMN voicemail INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX hunt_groups_extension ON hunt_groups (customer_id, extension) WHERE extension IS NOT NULL;
-- The legs of a hunt-group call are found by the caller's call they point at.
CREATE INDEX calls_peer ON calls (peer_call_id);
