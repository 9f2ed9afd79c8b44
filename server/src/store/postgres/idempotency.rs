//! IdempotencyStore on PostgreSQL.

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
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
        abandoned_before_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<IdempotencyClaim> {
        todo!("PostgreSQL")
    }
    async fn idempotency_entry(
        &self,
        scope: &str,
        key: &str,
        now_ms: i64,
    ) -> StoreResult<Option<IdempotencyClaim>> {
        todo!("PostgreSQL")
    }
    async fn store_idempotent_answer(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
        answer: &IdempotentAnswer,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn prune_idempotency_keys(&self, now_ms: i64, limit: i64) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }
}
