//! UcClient CRM presence backend (being built).
