//! PbxStore on PostgreSQL.

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
impl PbxStore for PgStore {
    async fn record_sync(
        &self,
        user_id: &str,
        version: i64,
        outcome: &SyncOutcome,
        events: &[NewEvent],
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn make_pending_due(&self, now_ms: i64) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }
    async fn due_syncs(&self, now_ms: i64) -> StoreResult<Vec<String>> {
        todo!("PostgreSQL")
    }
    async fn set_desired(
        &self,
        user_id: &str,
        version: i64,
        desired: &PbxUserState,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn pbx_state(&self, user_id: &str) -> StoreResult<Option<PbxUserState>> {
        todo!("PostgreSQL")
    }
    async fn put_pbx_state(&self, user_id: &str, state: &PbxUserState) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn groups(&self, customer_id: &str) -> StoreResult<Vec<HuntGroup>> {
        todo!("PostgreSQL")
    }
}
