-- Issue 17, the softphone: the devices an inbound call rings on (`Call.rings_on`, a JSON array of
-- device ids in ring order; NULL: none, as for every call stored before). Written when the call is
-- inserted, from the PBX's ring resolution at that moment, and never changed.
ALTER TABLE calls ADD COLUMN rings_on TEXT;
