//! AccountStore on PostgreSQL.

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
impl AccountStore for PgStore {
    async fn login_lookup(&self, email: &str) -> StoreResult<Option<(String, String)>> {
        todo!("PostgreSQL")
    }
    async fn account(&self, user_id: &str) -> StoreResult<Option<Account>> {
        todo!("PostgreSQL")
    }
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn session_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn revoke_session(&self, token_hash: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        todo!("PostgreSQL")
    }
    async fn devices(&self, user_id: &str) -> StoreResult<Vec<Device>> {
        todo!("PostgreSQL")
    }
    async fn customer_users(
        &self,
        customer_id: &str,
        q: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(User, Vec<String>)>> {
        todo!("PostgreSQL")
    }
    async fn customer_user(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<(User, Vec<String>)>> {
        todo!("PostgreSQL")
    }
    async fn user_by_extension(
        &self,
        customer_id: &str,
        extension: &str,
    ) -> StoreResult<Option<User>> {
        todo!("PostgreSQL")
    }
    async fn create_ticket(
        &self,
        ticket_hash: &str,
        user_id: &str,
        session_hash: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn take_ticket(&self, ticket_hash: &str, now_ms: i64) -> StoreResult<Option<Ticket>> {
        todo!("PostgreSQL")
    }
}
