-- Issue 17, the softphone: whether a connected call is the caller's side of a call that went to a
-- colleague's voicemail, placed from the caller's softphone (`Call.leaving_message`): the PBX
-- records what the caller says as the message until they hang up or the longest message passes.
-- Every call stored before is not (0).
ALTER TABLE calls ADD COLUMN leaving_message INTEGER NOT NULL DEFAULT 0;
