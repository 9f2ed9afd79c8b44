//! The widget's visible parts, one file each. Components read the shared [`crate::app::Ctx`] from
//! context and never talk to the network or the host page except through its actions.

pub mod badge;
pub mod connection;
pub mod dialer;
pub mod directory;
pub mod history;
pub mod not_enabled;
pub mod profile_switcher;
pub mod routing;
pub mod sign_in;
