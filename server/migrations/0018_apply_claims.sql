-- Issue 16, one node applies a user's PBX state at a time: the claim of the node applying it
-- (`presence::sync_user`), taken before the apply and released after its outcome is recorded.
-- `apply_holder` is the node's id (random per process), `apply_until_ms` when the claim lapses if
-- that node dies without releasing it (then another node may take it).
ALTER TABLE presence ADD COLUMN apply_holder TEXT;
ALTER TABLE presence ADD COLUMN apply_until_ms INTEGER;
