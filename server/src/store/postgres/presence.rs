//! PresenceStore on PostgreSQL.

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
impl PresenceStore for PgStore {
    async fn presence_rows(&self, user_ids: &[String]) -> StoreResult<Vec<PresenceRow>> {
        todo!("PostgreSQL")
    }
    async fn users_on_call(&self, customer_id: &str) -> StoreResult<HashSet<String>> {
        todo!("PostgreSQL")
    }
    async fn set_presence(
        &self,
        user_id: &str,
        profile: ProfileId,
        since: DateTime<Utc>,
        sync: PbxSync,
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<i64> {
        todo!("PostgreSQL")
    }
    async fn overrides(&self, user_id: &str) -> StoreResult<HashMap<ProfileId, ProfileSettings>> {
        todo!("PostgreSQL")
    }
    async fn set_override(
        &self,
        user_id: &str,
        profile: ProfileId,
        settings: Option<&ProfileSettings>,
        devices: &[String],
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<Option<i64>> {
        todo!("PostgreSQL")
    }

    // --- presence-server: the customer's CRM presence map (issue 14) ---

    async fn crm_presence(
        &self,
        customer_id: &str,
    ) -> StoreResult<ucclient_core::crm_presence::CrmPresenceMap> {
        todo!("PostgreSQL")
    }
    async fn set_crm_presence(
        &self,
        customer_id: &str,
        map: Option<&ucclient_core::crm_presence::CrmPresenceMap>,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }
}
