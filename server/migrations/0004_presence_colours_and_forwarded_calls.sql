-- Presence colours per reseller (SPEC §3: configurable), `#rrggbb`; NULL means core's default
-- (`PresenceColours::default`), so the defaults live in one place.
ALTER TABLE resellers ADD COLUMN colour_available TEXT;
ALTER TABLE resellers ADD COLUMN colour_away TEXT;
ALTER TABLE resellers ADD COLUMN colour_busy TEXT;

-- An inbound call the PBX forwarded: the number it went to (E.164); NULL for every other call.
ALTER TABLE calls ADD COLUMN forwarded_to TEXT;
