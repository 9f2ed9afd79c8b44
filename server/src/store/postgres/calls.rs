//! CallStore on PostgreSQL.

#![allow(unused_variables)]

use async_trait::async_trait;

use super::PgStore;
#[allow(unused_imports)]
use crate::store::*;
#[allow(unused_imports)]
use chrono::{DateTime, Utc};
#[allow(unused_imports)]
use std::collections::{HashMap, HashSet};
#[allow(unused_imports)]
use ucclient_core::ProfileId;
#[allow(unused_imports)]
use ucclient_core::api::*;
#[allow(unused_imports)]
use ucclient_core::pbx::Mode;
#[allow(unused_imports)]
use ucclient_core::ring::GroupMember;

#[async_trait]
impl CallStore for PgStore {
    async fn insert_call(&self, call: &OwnedCall, events: &[NewEvent]) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn write_calls(
        &self,
        updates: &[(OwnedCall, CallState)],
        inserts: &[OwnedCall],
        events: &[NewEvent],
        overlays: &[Overlay],
        messages: &[NewVoicemail],
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn call(&self, call_id: &str) -> StoreResult<Option<OwnedCall>> {
        todo!("PostgreSQL")
    }
    async fn mailbox_state(&self, user_id: &str) -> StoreResult<(bool, u32)> {
        todo!("PostgreSQL")
    }
    async fn set_mailbox(&self, user_id: &str, enabled: bool) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn voicemails(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<(u32, Vec<VoicemailMessage>)> {
        todo!("PostgreSQL")
    }
    async fn voicemail_audio(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        todo!("PostgreSQL")
    }
    async fn mark_voicemail_heard(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<VoicemailMessage>> {
        todo!("PostgreSQL")
    }
    async fn delete_voicemail(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn claim_call(
        &self,
        user_id: &str,
        call_id: &str,
        kind: &str,
        client: &str,
    ) -> StoreResult<Option<bool>> {
        todo!("PostgreSQL")
    }
    async fn calls_of(&self, user_id: &str, limit: i64) -> StoreResult<Vec<Call>> {
        todo!("PostgreSQL")
    }
    async fn live_calls(&self, user_id: Option<&str>) -> StoreResult<Vec<OwnedCall>> {
        todo!("PostgreSQL")
    }
    async fn unheard_voicemails(&self, user_id: &str) -> StoreResult<u32> {
        todo!("PostgreSQL")
    }
    async fn wrap_up_settings(&self, customer_id: &str) -> StoreResult<WrapUpSettings> {
        todo!("PostgreSQL")
    }
    async fn set_dispositions(
        &self,
        customer_id: &str,
        dispositions: Option<&[Disposition]>,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn set_wrap_up_seconds(
        &self,
        customer_id: &str,
        seconds: Option<u32>,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn set_after_call_work(
        &self,
        owned: &OwnedCall,
        events: &[NewEvent],
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn missed_calls(&self, user_id: &str) -> StoreResult<u32> {
        todo!("PostgreSQL")
    }
    async fn mark_missed_seen(&self, customer_id: &str, user_id: &str) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn calls_with_peer(&self, peer_id: &str) -> StoreResult<Vec<OwnedCall>> {
        todo!("PostgreSQL")
    }
}
