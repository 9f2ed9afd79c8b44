//! The PBX connector: the only code that talks to a PBX. Active mode hands it the desired state of a
//! user; `/pbx/*` reads what it holds. [`embedded::EmbeddedPbx`] is the default connector and the
//! test double; connectors to real platforms implement [`Pbx`] too.

pub mod embedded;

use async_trait::async_trait;
use ucclient_core::api::PbxUserState;

/// Why a PBX did not do what was asked; the text is for people (it becomes `pbx_error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PbxError {
    /// The PBX answered with a refusal.
    #[error("the phone system refused the change: {0}")]
    Refused(String),
    /// The PBX could not be reached or answered too late.
    #[error("the phone system did not answer in time")]
    Unreachable,
    /// Something under the connector failed.
    #[error("the phone system connector failed")]
    Internal,
}

/// A PBX as the backend needs it.
#[async_trait]
pub trait Pbx: Send + Sync + 'static {
    /// Makes the PBX hold `state` for the user (DND, forwarding, find-me/follow-me, extension list).
    /// Idempotent: applying the same state twice is harmless.
    async fn apply(&self, user_id: &str, state: &PbxUserState) -> Result<(), PbxError>;

    /// What the PBX holds for the user now (the default state if it holds nothing).
    async fn user_state(&self, user_id: &str) -> Result<PbxUserState, PbxError>;
}
