//! The embedded PBX: users' DND, forwarding, find-me/follow-me and extension lists, persisted in the
//! backend's own store (devices and hunt groups live there too, and ring resolution is `core`'s).
//! It also plays simulated calls (see [`crate::calls`]).
//!
//! For tests it takes injected faults: the next N applies fail, or hang past the apply timeout.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use ucclient_core::api::PbxUserState;

use super::{Pbx, PbxError};
use crate::store::Store;

/// Faults to inject into the next applies.
#[derive(Debug, Default)]
struct Faults {
    /// Applies still to refuse.
    fail: u32,
    /// Applies still to hang, and for how long.
    hang: u32,
    /// How long a hanging apply sleeps.
    hang_for: Duration,
}

/// The embedded PBX.
pub struct EmbeddedPbx {
    /// Where it keeps what it holds.
    store: Arc<dyn Store>,
    /// Faults injected by tests (process-local on purpose: they model this PBX misbehaving).
    faults: Mutex<Faults>,
}

impl EmbeddedPbx {
    /// A PBX keeping its state in `store`.
    pub fn new(store: Arc<dyn Store>) -> EmbeddedPbx {
        EmbeddedPbx {
            store,
            faults: Mutex::new(Faults::default()),
        }
    }

    /// Makes the next `n` applies fail with a refusal.
    pub fn fail_next(&self, n: u32) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).fail = n;
    }

    /// Whether no injected fault is left to take (every one was consumed by an apply).
    pub fn faults_consumed(&self) -> bool {
        let f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        f.fail == 0 && f.hang == 0
    }

    /// Makes the next `n` applies hang for `for_` (longer than the apply timeout to simulate one).
    pub fn hang_next(&self, n: u32, for_: Duration) {
        let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        f.hang = n;
        f.hang_for = for_;
    }
}

#[async_trait]
impl Pbx for EmbeddedPbx {
    async fn apply(&self, user_id: &str, state: &PbxUserState) -> Result<(), PbxError> {
        let hang = {
            let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            if f.fail > 0 {
                f.fail -= 1;
                return Err(PbxError::Refused("injected fault".into()));
            }
            if f.hang > 0 {
                f.hang -= 1;
                Some(f.hang_for)
            } else {
                None
            }
        };
        if let Some(d) = hang {
            tokio::time::sleep(d).await;
        }
        self.store.put_pbx_state(user_id, state).await.map_err(|e| {
            tracing::error!(error = %e, "embedded PBX store");
            PbxError::Internal
        })
    }

    async fn user_state(&self, user_id: &str) -> Result<PbxUserState, PbxError> {
        match self.store.pbx_state(user_id).await {
            Ok(s) => Ok(s.unwrap_or_default()),
            Err(e) => {
                tracing::error!(error = %e, "embedded PBX store");
                Err(PbxError::Internal)
            }
        }
    }
}
