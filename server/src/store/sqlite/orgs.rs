//! Registered CRM orgs on SQLite ([`OrgStore`]).

use async_trait::async_trait;
use sqlx::Row;

use super::{SqliteStore, conflict, parse_enum};
use crate::store::{AddOrg, OrgStore, StoreError, StoreResult, StoredOrg};

#[async_trait]
impl OrgStore for SqliteStore {
    async fn org_owner(&self, org_key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT customer_id FROM crm_orgs WHERE org_key = ?")
                .bind(org_key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn orgs(&self, customer_id: Option<&str>) -> StoreResult<Vec<StoredOrg>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, crm, org_key, name, org_id, created_at FROM crm_orgs \
             WHERE ?1 IS NULL OR customer_id = ?1 ORDER BY created_at, id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredOrg {
                    id: r.get("id"),
                    customer_id: r.get("customer_id"),
                    crm: parse_enum(r.get::<&str, _>("crm"))?,
                    org_key: r.get("org_key"),
                    name: r.get("name"),
                    org_id: r.get("org_id"),
                    created_at: r.get("created_at"),
                })
            })
            .collect()
    }

    async fn add_org(&self, org: &StoredOrg, max_per_customer: usize) -> StoreResult<AddOrg> {
        let mut tx = self.write().await?;
        let customer: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = ?")
            .bind(&org.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if customer.is_none() {
            return Ok(AddOrg::UnknownCustomer);
        }
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM crm_orgs WHERE org_key = ? OR (org_id IS NOT NULL AND org_id = ?)",
        )
        .bind(&org.org_key)
        .bind(&org.org_id)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Ok(AddOrg::Taken);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM crm_orgs WHERE customer_id = ?")
            .bind(&org.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if count as usize >= max_per_customer {
            return Ok(AddOrg::TooMany);
        }
        let inserted = sqlx::query(
            "INSERT INTO crm_orgs (id, customer_id, crm, org_key, name, org_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&org.id)
        .bind(&org.customer_id)
        .bind(org.crm.as_str())
        .bind(&org.org_key)
        .bind(&org.name)
        .bind(&org.org_id)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await
        .map_err(conflict);
        match inserted {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Ok(AddOrg::Taken),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(AddOrg::Added)
    }

    async fn remove_org(&self, customer_id: Option<&str>, id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM crm_orgs WHERE id = ?1 AND (?2 IS NULL OR customer_id = ?2) RETURNING org_key",
        )
        .bind(id)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
