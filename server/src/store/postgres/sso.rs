//! SsoStore on PostgreSQL.

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
impl SsoStore for PgStore {
    async fn sso_settings(&self, customer_id: &str) -> StoreResult<Option<StoredSso>> {
        todo!("PostgreSQL")
    }
    async fn put_sso_settings(
        &self,
        settings: &StoredSso,
        secret: Option<&Option<String>>,
    ) -> StoreResult<PutSso> {
        todo!("PostgreSQL")
    }
    async fn sso_customer_by_domain(&self, domain: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn create_sso_attempt(&self, attempt: &SsoAttempt, now_ms: i64) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn take_sso_attempt(
        &self,
        state_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SsoAttempt>> {
        todo!("PostgreSQL")
    }
    async fn sso_user(&self, customer_id: &str, email: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn create_sso_user(
        &self,
        customer_id: &str,
        name: &str,
        email: &str,
    ) -> StoreResult<String> {
        todo!("PostgreSQL")
    }
    async fn sso_key(&self, customer_id: &str) -> StoreResult<Option<SsoKey>> {
        todo!("PostgreSQL")
    }
    async fn set_sso_key(&self, customer_id: &str, key: &SsoKey) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
}
