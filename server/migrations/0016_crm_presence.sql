-- Issue 14, presence in step with the CRM: each customer's map between the CRMs' agent statuses
-- (Salesforce Omni-Channel presence statuses, Dynamics 365 presences) and presence profiles
-- (`core::crm_presence::CrmPresenceMap`). A customer without a row has core's default map, so every
-- existing customer has it without a data migration and a better default reaches them all.
--
-- One row per customer with each CRM's rules as JSON text (`[{"status","profile"}]`) rather than
-- a row per rule: the map is only ever read whole (`GET /me`, the admin page) and replaced whole
-- (`PUT /admin/crm-presence`), the rules' order is part of their meaning (the first rule naming a
-- profile is the status published for it), and every rule is checked by core before it is stored
-- (at most 64 rules per CRM, names of 1-80 characters, no status twice, known profiles), so rows
-- would add a position column and a delete-and-insert per change for nothing a query needs.
-- The lengths bound what core allows with room for JSON's escapes (64 x (80 x 2 + 64) < 16384).
CREATE TABLE crm_presence (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    salesforce TEXT NOT NULL CHECK (length(salesforce) <= 16384),
    dynamics TEXT NOT NULL CHECK (length(dynamics) <= 16384)
);
