-- After-call work (issue 13): the customer's dispositions and wrap-up time limit, and on each call
-- the agent's wrap-up and the CRM record the call was logged on.

-- The customer's dispositions as JSON `[{"code","label"}]` and its time limit in seconds; NULL is
-- core's defaults (`core::wrapup`: Connected, Left voicemail, No answer, Wrong number, Follow-up;
-- 120 s), so every existing customer has them without a data migration.
ALTER TABLE customers ADD COLUMN dispositions TEXT;
ALTER TABLE customers ADD COLUMN wrap_up_seconds INTEGER CHECK (wrap_up_seconds BETWEEN 10 AND 3600);

-- The saved wrap-up (JSON `{"notes","disposition"?}`) and the CRM record (JSON `{"crm","id"}`),
-- both NULL until set. Bounded in the code (core::wrapup) and here.
ALTER TABLE calls ADD COLUMN wrap_up TEXT CHECK (length(wrap_up) <= 16384);
ALTER TABLE calls ADD COLUMN crm_record TEXT CHECK (length(crm_record) <= 512);
