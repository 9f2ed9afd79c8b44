-- Issue 13, transfer: where a call was transferred to (core's Call::transferred_to), the call a
-- consultation leg consults about (Call::consult_of), and how far the user has seen their missed
-- calls (the highest `calls.seq` of theirs when they last opened History).
ALTER TABLE calls ADD COLUMN transferred_to TEXT;
ALTER TABLE calls ADD COLUMN consult_of TEXT;
ALTER TABLE users ADD COLUMN missed_seen_seq INTEGER NOT NULL DEFAULT 0;
