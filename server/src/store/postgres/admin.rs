//! AdminStore on PostgreSQL.

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
impl AdminStore for PgStore {
    async fn create_reseller(
        &self,
        id: &str,
        name: &str,
        mode: Mode,
        extension_lists: bool,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn list_resellers(&self) -> StoreResult<Vec<(String, String, Mode, bool)>> {
        todo!("PostgreSQL")
    }
    async fn create_customer(
        &self,
        id: &str,
        reseller_id: &str,
        name: &str,
        country: &str,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn list_customers(&self) -> StoreResult<Vec<(String, String, String, String)>> {
        todo!("PostgreSQL")
    }
    async fn set_log_internal_calls(&self, customer_id: &str, on: bool) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn create_user(&self, user: &NewUser) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn list_users(&self, customer_id: Option<&str>) -> StoreResult<Vec<AdminUser>> {
        todo!("PostgreSQL")
    }
    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn set_role(&self, user_id: &str, role: Role) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn add_device(&self, user_id: &str, device: &Device) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn put_group(
        &self,
        customer_id: &str,
        id: &str,
        name: &str,
        members: &[GroupMember],
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
    async fn delete_group(&self, id: &str) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn reseller_user_ids(&self, reseller_id: &str) -> StoreResult<Option<Vec<String>>> {
        todo!("PostgreSQL")
    }
    async fn reseller_colours(
        &self,
        reseller_id: &str,
    ) -> StoreResult<Option<(PresenceColours, Vec<String>)>> {
        todo!("PostgreSQL")
    }
    async fn device_owner(&self, device_id: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn admin_change(
        &self,
        change: &AdminChange,
        consequences: &[PresenceChange],
        events: &[NewEvent],
    ) -> StoreResult<AdminWrite> {
        todo!("PostgreSQL")
    }
    async fn set_group_dialling(
        &self,
        customer_id: &str,
        group_id: &str,
        extension: Option<&str>,
        voicemail: bool,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn append_audit(&self, entry: &NewAudit) -> StoreResult<i64> {
        todo!("PostgreSQL")
    }
    async fn audit(
        &self,
        scope: &AuditScope,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<ucclient_core::api::AuditEntry>> {
        todo!("PostgreSQL")
    }
    async fn managed_users(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<ManagedUser>> {
        todo!("PostgreSQL")
    }
    async fn set_user_name(
        &self,
        customer_id: &str,
        user_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn set_user_active(
        &self,
        customer_id: &str,
        user_id: &str,
        active: bool,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn email_taken(&self, email: &str) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn extension_taken(
        &self,
        customer_id: &str,
        extension: &str,
        except_group: Option<&str>,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
    async fn reseller_info(&self, reseller_id: &str) -> StoreResult<Option<ResellerInfo>> {
        todo!("PostgreSQL")
    }
}
