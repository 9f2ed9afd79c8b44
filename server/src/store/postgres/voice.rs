//! VoiceStore on PostgreSQL.

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
impl VoiceStore for PgStore {
    async fn voice_settings(&self, customer_id: &str) -> StoreResult<Option<VoiceSettings>> {
        todo!("PostgreSQL")
    }
    async fn set_voice_settings(&self, settings: &VoiceSettings, now_ms: i64) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn clear_voice_settings(&self, customer_id: &str) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn voice_key(&self, customer_id: &str) -> StoreResult<Option<VoiceKey>> {
        todo!("PostgreSQL")
    }
    async fn set_voice_key(
        &self,
        customer_id: &str,
        key: &VoiceKey,
        replace: bool,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn set_voice_call_id(
        &self,
        call_id: &str,
        customer_id: &str,
        voice_call_id: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn voice_call_id(&self, call_id: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn claim_voice_call_end(&self, call_id: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
}
