//! UcClient CRM widget (placeholder until the widget issue lands).
