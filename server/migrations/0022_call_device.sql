-- Issue 17, the softphone: the user's device an outbound call was placed from
-- (`PlaceCallRequest.device`; NULL: none named, the desk phone as before). Written when the call
-- is inserted and never changed, so the media endpoint knows a call was placed from the softphone.
ALTER TABLE calls ADD COLUMN from_device TEXT;
