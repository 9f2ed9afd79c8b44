//! The store's types of the administration API (issue 15): audit rows, and users and resellers
//! as their administrators see them.

use ucclient_core::api::{Device, ResellerCustomer, Role, User};
use ucclient_core::pbx::Mode;

/// An audit row to append ([`super::Store::append_audit`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    /// The customer whose log it is in (`None`: a reseller-level change).
    pub customer_id: Option<String>,
    /// The reseller whose log it is in (reseller-level changes only).
    pub reseller_id: Option<String>,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Who: a user id, or `operator` for the command line.
    pub actor_id: String,
    /// Their name at the time.
    pub actor_name: String,
    /// What (`user.create`, `org.remove`, …).
    pub action: String,
    /// The id of what changed.
    pub target: String,
    /// A short description (never a secret).
    pub detail: serde_json::Value,
    /// From where: the client's address, or `cli`.
    pub source: String,
}

/// Whose audit log to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    /// One customer's changes.
    Customer(String),
    /// A reseller's own changes (its mode, its new customers).
    Reseller(String),
}

/// A user as their customer's administrators see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedUser {
    /// The user.
    pub user: User,
    /// Their role.
    pub role: Role,
    /// Whether they may sign in.
    pub active: bool,
    /// Their permissions, sorted.
    pub permissions: Vec<String>,
    /// Their devices in order.
    pub devices: Vec<Device>,
}

/// A reseller with its customers and their user counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResellerInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Mode.
    pub mode: Mode,
    /// Whether user extension lists are enabled.
    pub extension_lists: bool,
    /// Its customers by name.
    pub customers: Vec<ResellerCustomer>,
}
