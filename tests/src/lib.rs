//! End-to-end test support (being built).
