//! EventStore on PostgreSQL.

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
impl EventStore for PgStore {
    async fn append_events(&self, events: &[NewEvent]) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn events_after(
        &self,
        customer_id: &str,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        todo!("PostgreSQL")
    }
    async fn log_after(
        &self,
        customer_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<(Vec<LoggedEvent>, i64)> {
        todo!("PostgreSQL")
    }
    async fn stream_bounds(&self, customer_id: &str) -> StoreResult<(i64, i64)> {
        todo!("PostgreSQL")
    }
    async fn max_event_id(&self) -> StoreResult<i64> {
        todo!("PostgreSQL")
    }
    async fn prune_events(&self, older_than_ms: i64, keep: i64) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }
}
