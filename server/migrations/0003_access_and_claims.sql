-- The session a ticket was taken for, so a stream knows its session: a logout ends the streams
-- of that session only, and a stream ends when its session's token expires.
ALTER TABLE event_tickets ADD COLUMN session_hash TEXT;

-- Which page (a random id per loaded widget) does what once per call: log it in the CRM, pop
-- its record. The first claim wins; the primary key makes two racing claims agree.
CREATE TABLE call_claims (
    call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    PRIMARY KEY (call_id, kind)
);
