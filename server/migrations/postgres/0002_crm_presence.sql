-- Issue 14, presence in step with the CRM: the PostgreSQL twin of the SQLite migration
-- 0016_crm_presence.sql (the reasons for one row per customer with the rules as JSON text are
-- written there). A customer without a row has core's default map.
CREATE TABLE crm_presence (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL,
    salesforce TEXT NOT NULL CHECK (length(salesforce) <= 16384),
    dynamics TEXT NOT NULL CHECK (length(dynamics) <= 16384)
);
