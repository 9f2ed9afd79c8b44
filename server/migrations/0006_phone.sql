-- The agent's phone (issue 11): calls between colleagues, answer and decline, internal calls.

-- Whether calls between colleagues are logged on CRM records like customer calls (off by default).
ALTER TABLE customers ADD COLUMN log_internal_calls INTEGER NOT NULL DEFAULT 0;

-- Whether the other side is a colleague; how a call that was not talked through ended (core's
-- CallOutcome, snake_case); the device an inbound call was answered on; and, for a call between
-- colleagues, the other leg (the caller's outbound call and the callee's inbound call name each
-- other, so a change to one moves the other in the same transaction).
ALTER TABLE calls ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN outcome TEXT;
ALTER TABLE calls ADD COLUMN answered_on TEXT;
ALTER TABLE calls ADD COLUMN peer_call_id TEXT;
