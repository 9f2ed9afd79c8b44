-- The CRM orgs each customer registered: only these (and the operator's --cors-origin list) may
-- frame the hosted pages, call the API from a browser, and sign users in. An org belongs to one
-- customer: `org_key` ('salesforce:<my domain>' or 'dynamics:<org host>') and a Salesforce org id
-- are unique across customers.
CREATE TABLE crm_orgs (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    crm TEXT NOT NULL CHECK (crm IN ('salesforce', 'dynamics')),
    org_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX crm_orgs_customer ON crm_orgs(customer_id, created_at);
