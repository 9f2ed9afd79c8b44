//! LimitStore on PostgreSQL.

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
impl LimitStore for PgStore {
    async fn hit_rate_limit(
        &self,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> StoreResult<(i64, i64)> {
        todo!("PostgreSQL")
    }
    async fn peek_rate_limit(&self, key: &str) -> StoreResult<Option<(i64, i64)>> {
        todo!("PostgreSQL")
    }
    async fn note_failure(&self, key: &str, forget_ms: i64, now_ms: i64) -> StoreResult<i64> {
        todo!("PostgreSQL")
    }
    async fn clear_rate_limit(&self, key: &str) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
}
