//! The audit log of administrators' changes (issue 15): who (user id and name), what (an action,
//! its target's id and a short JSON detail, never a secret), when (ms) and from where (the
//! client's address, or `cli`). The admin API and the operator's commands both write it through
//! [`record`], one row per successful change, after the change itself.

use serde_json::Value;

use crate::store::{Account, AuditScope, NewAudit, Store, StoreResult};

/// Longest detail stored, in bytes of JSON; a longer one is replaced by a note saying so.
pub const MAX_DETAIL_BYTES: usize = 2048;

/// Who makes a change, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A user id, or `operator` for the command line.
    pub id: String,
    /// Their name.
    pub name: String,
    /// The client's address, or `cli`.
    pub source: String,
}

impl Actor {
    /// The operator at the command line.
    pub fn cli() -> Actor {
        Actor {
            id: "operator".into(),
            name: "operator (CLI)".into(),
            source: "cli".into(),
        }
    }

    /// A signed-in administrator calling from `source`.
    pub fn user(account: &Account, source: String) -> Actor {
        Actor {
            id: account.user.id.clone(),
            name: account.user.name.clone(),
            source,
        }
    }
}

/// Appends one audit row to the log of `scope`.
pub async fn record(
    store: &dyn Store,
    actor: &Actor,
    scope: AuditScope,
    action: &str,
    target: &str,
    detail: Value,
) -> StoreResult<()> {
    let (customer_id, reseller_id) = match scope {
        AuditScope::Customer(c) => (Some(c), None),
        AuditScope::Reseller(r) => (None, Some(r)),
    };
    let detail = if detail.to_string().len() > MAX_DETAIL_BYTES {
        serde_json::json!({"truncated": true})
    } else {
        detail
    };
    store
        .append_audit(&NewAudit {
            customer_id,
            reseller_id,
            at_ms: chrono::Utc::now().timestamp_millis(),
            actor_id: clip(&actor.id, 64),
            actor_name: clip(&actor.name, 200),
            action: clip(action, 64),
            target: clip(target, 256),
            detail,
            source: clip(&actor.source, 64),
        })
        .await?;
    Ok(())
}

/// At most `max` bytes of `s`, cut on a character boundary.
fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clipping_keeps_whole_characters() {
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip("ãéí", 3), "ã");
        assert_eq!(clip("", 0), "");
    }
}
