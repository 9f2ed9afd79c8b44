//! The rules of UcClient CRM, written once and shared by the widget (wasm32) and the backend.
//!
//! This crate does no I/O: no clock, no network, no storage. Everything in `SPEC.md` that is a rule
//! is a plain type or a pure function here, tested here, and used by both programs, so the widget
//! and the backend cannot disagree.
//!
//! # Layout
//!
//! - [`profile`]: the eleven presence profiles, their names in three languages, status and colour,
//!   and the busy overlay (SPEC §3).
//! - [`licence`]: who may use the client, and the profile an unlicensed user keeps (SPEC §2).
//! - [`settings`]: active-mode settings per profile — the seed's defaults and the user's validated
//!   overrides (SPEC §4).
//! - [`pbx`]: what a profile change asks of the PBX in each mode, including the user extension list
//!   lifecycle (SPEC §4, §5).
//! - [`ring`]: which devices ring for a direct call or a hunt-group call; the judgment calls of
//!   SPEC §5 live in [`ring::policy`] only — the DND rule once ([`ring::policy::under_dnd`]), for
//!   direct calls, group calls and the extension list's contents alike.
//! - [`phone`]: phone numbers normalised to E.164 with a default country (SPEC §6), what a dialled
//!   input reaches (a colleague's extension or a number, SPEC §8), and numbers formatted for reading.
//! - [`effect`]: what a profile does to the user's calls, as the PBX will do it, for the widget to
//!   word.
//! - [`voicemail`]: whether an unanswered inbound call goes to the user's mailbox (SPEC §8), and
//!   the outcome it ends with.
//! - [`wrapup`]: after-call work: the customer's dispositions and time limit, and what a
//!   wrap-up and a reported CRM record may hold.
//! - [`time`]: [`time::Timestamp`], the UTC instant of the wire types and its RFC 3339 form (no
//!   clock: `now` is always the caller's).
//! - [`api`]: the wire types of `API.md` (serde), used verbatim by both sides.

pub mod api;
pub mod crm_presence;
pub mod effect;
pub mod licence;
pub mod pbx;
pub mod phone;
pub mod profile;
pub mod ring;
pub mod settings;
pub mod time;
pub mod voicemail;
pub mod wrapup;

pub use profile::{Colour, Language, ProfileId, Status};
