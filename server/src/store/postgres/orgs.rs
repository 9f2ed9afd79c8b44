//! Registered CRM orgs on PostgreSQL ([`OrgStore`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Lock, PgStore, conflict, parse_enum};
use crate::store::{AddOrg, OrgStore, StoreError, StoreResult, StoredOrg};

#[async_trait]
impl OrgStore for PgStore {
    async fn org_owner(&self, org_key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT customer_id FROM crm_orgs WHERE org_key = $1")
                .bind(org_key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn orgs(&self, customer_id: Option<&str>) -> StoreResult<Vec<StoredOrg>> {
        // Byte order, as SQLite's BINARY collation sorts (the times are RFC 3339 text).
        let rows = sqlx::query(
            "SELECT id, customer_id, crm, org_key, name, org_id, created_at FROM crm_orgs \
             WHERE $1::text IS NULL OR customer_id = $1 \
             ORDER BY created_at COLLATE \"C\", id COLLATE \"C\"",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let created_at: &str = r.get("created_at");
                Ok(StoredOrg {
                    id: r.get("id"),
                    customer_id: r.get("customer_id"),
                    crm: parse_enum(r.get::<&str, _>("crm"))?,
                    org_key: r.get("org_key"),
                    name: r.get("name"),
                    org_id: r.get("org_id"),
                    created_at: DateTime::parse_from_rfc3339(created_at)
                        .map_err(|e| StoreError::Data(format!("created_at {created_at}: {e}")))?
                        .with_timezone(&Utc),
                })
            })
            .collect()
    }

    async fn add_org(&self, org: &StoredOrg, max_per_customer: usize) -> StoreResult<AddOrg> {
        // The customer's lock: two additions of one customer cannot both pass the count. Another
        // customer taking the same key or org id at once is stopped by the unique indexes.
        let mut tx = self.write(Lock::Customer(&org.customer_id)).await?;
        let customer: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(&org.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if customer.is_none() {
            return Ok(AddOrg::UnknownCustomer);
        }
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM crm_orgs WHERE org_key = $1 OR (org_id IS NOT NULL AND org_id = $2)",
        )
        .bind(&org.org_key)
        .bind(&org.org_id)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Ok(AddOrg::Taken);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM crm_orgs WHERE customer_id = $1")
            .bind(&org.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if count as usize >= max_per_customer {
            return Ok(AddOrg::TooMany);
        }
        let inserted = sqlx::query(
            "INSERT INTO crm_orgs (id, customer_id, crm, org_key, name, org_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&org.id)
        .bind(&org.customer_id)
        .bind(org.crm.as_str())
        .bind(&org.org_key)
        .bind(&org.name)
        .bind(&org.org_id)
        .bind(org.created_at.to_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(conflict);
        match inserted {
            Ok(_) => {}
            // Dropping the transaction rolls it back.
            Err(StoreError::Conflict(_)) => return Ok(AddOrg::Taken),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(AddOrg::Added)
    }

    async fn remove_org(&self, customer_id: Option<&str>, id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM crm_orgs WHERE id = $1 AND ($2::text IS NULL OR customer_id = $2)
             RETURNING org_key",
        )
        .bind(id)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
