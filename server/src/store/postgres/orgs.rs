//! OrgStore on PostgreSQL.

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
impl OrgStore for PgStore {
    async fn org_owner(&self, org_key: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
    async fn orgs(&self, customer_id: Option<&str>) -> StoreResult<Vec<StoredOrg>> {
        todo!("PostgreSQL")
    }
    async fn add_org(&self, org: &StoredOrg, max_per_customer: usize) -> StoreResult<AddOrg> {
        todo!("PostgreSQL")
    }
    async fn remove_org(&self, customer_id: Option<&str>, id: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }
}
