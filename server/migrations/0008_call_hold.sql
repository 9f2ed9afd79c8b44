-- Call control (issue 13): whether the user put a connected call on hold. A flag beside `state`
-- (core's Call::held), not a state: a held call is still connected, and its user still busy.
ALTER TABLE calls ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
