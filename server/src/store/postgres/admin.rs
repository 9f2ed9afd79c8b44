//! Administration and the audit log on PostgreSQL ([`AdminStore`]), the twin of
//! `store/sqlite/admin.rs`: the same results, errors and events.
//!
//! Differences, each because PostgreSQL is not SQLite:
//! - the writes that read, decide and write take their customer's lock (or every customer's for a
//!   reseller's change), where SQLite relied on its one writer (see the module `postgres`);
//! - text is ordered `COLLATE "C"` (byte order, SQLite's BINARY) whatever the database's locale;
//! - emails compare as `lower(email)` (SQLite: the column's `COLLATE NOCASE`).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{PgConnection, Row};
use ucclient_core::api::{
    AccessEndReason, AuditActor, AuditEntry, Device, DeviceKind, PresenceColours, ProfileSettings,
    ResellerCustomer, Role,
};
use ucclient_core::pbx::Mode;
use ucclient_core::ring::GroupMember;

use super::{
    Lock, PgStore, colours_of, conflict, enum_str, from_json, log_events, parse_enum, to_json,
    user_of,
};
use crate::store::{
    AdminChange, AdminStore, AdminUser, AdminWrite, AuditScope, ManagedUser, NewAudit, NewEvent,
    NewUser, PbxWork, PresenceChange, ResellerInfo, StoreError, StoreResult, end_of_access,
};

#[async_trait]
impl AdminStore for PgStore {
    async fn create_reseller(
        &self,
        id: &str,
        name: &str,
        mode: Mode,
        extension_lists: bool,
    ) -> StoreResult<()> {
        let mut tx = self.write(Lock::All).await?;
        sqlx::query(
            "INSERT INTO resellers (id, name, mode, extension_lists_enabled) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(name)
        .bind(mode.as_str())
        .bind(extension_lists)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_resellers(&self) -> StoreResult<Vec<(String, String, Mode, bool)>> {
        let rows = sqlx::query(
            r#"SELECT id, name, mode, extension_lists_enabled FROM resellers ORDER BY id COLLATE "C""#,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.get("id"),
                    r.get("name"),
                    parse_enum(r.get::<&str, _>("mode"))?,
                    r.get::<bool, _>("extension_lists_enabled"),
                ))
            })
            .collect()
    }

    async fn create_customer(
        &self,
        id: &str,
        reseller_id: &str,
        name: &str,
        country: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write(Lock::All).await?;
        sqlx::query(
            "INSERT INTO customers (id, reseller_id, name, default_country) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(reseller_id)
        .bind(name)
        .bind(country)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_customers(&self) -> StoreResult<Vec<(String, String, String, String)>> {
        let rows = sqlx::query(
            r#"SELECT id, reseller_id, name, default_country FROM customers ORDER BY id COLLATE "C""#,
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get("id"),
                    r.get("reseller_id"),
                    r.get("name"),
                    r.get("default_country"),
                )
            })
            .collect())
    }

    async fn set_log_internal_calls(&self, customer_id: &str, on: bool) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE customers SET log_internal_calls = $1 WHERE id = $2")
                .bind(on)
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn create_user(&self, user: &NewUser) -> StoreResult<()> {
        let mut tx = self.write(Lock::Customer(&user.customer_id)).await?;
        sqlx::query(
            "INSERT INTO users (id, customer_id, name, email, extension, password_hash, role)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.customer_id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(&user.extension)
        .bind(&user.password_hash)
        .bind(enum_str(&user.role))
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        for p in &user.permissions {
            sqlx::query(
                "INSERT INTO permissions (user_id, permission) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&user.id)
            .bind(p)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO presence (user_id, profile, since) VALUES ($1, 'available', $2)")
            .bind(&user.id)
            .bind(Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_users(&self, customer_id: Option<&str>) -> StoreResult<Vec<AdminUser>> {
        let rows = sqlx::query(
            r#"SELECT u.id, u.name, u.email, u.extension, u.customer_id, u.role,
                    (SELECT string_agg(permission, ',') FROM permissions p WHERE p.user_id = u.id)
                        AS perms
               FROM users u WHERE $1::text IS NULL OR u.customer_id = $1
               ORDER BY u.customer_id COLLATE "C", u.extension COLLATE "C""#,
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let perms: Option<String> = r.get("perms");
                Ok(AdminUser {
                    user: user_of(r),
                    customer_id: r.get("customer_id"),
                    role: parse_enum(r.get::<&str, _>("role"))?,
                    permissions: perms
                        .map(|p| p.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<bool> {
        let Some(mut tx) = self.write_for_user(user_id).await? else {
            return Ok(false);
        };
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        end_access(&mut tx, user_id, AccessEndReason::PasswordChanged).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn set_role(&self, user_id: &str, role: Role) -> StoreResult<bool> {
        Ok(sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(enum_str(&role))
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        let Some(mut tx) = self.write_for_user(user_id).await? else {
            return Ok(false);
        };
        end_access(&mut tx, user_id, AccessEndReason::UserDeleted).await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn add_device(&self, user_id: &str, device: &Device) -> StoreResult<()> {
        // The customer's lock: two devices added at once take different positions.
        match self.write_for_user(user_id).await? {
            Some(mut tx) => {
                insert_device(user_id, device)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict)?;
                tx.commit().await?;
            }
            // No such user: the insert fails on its reference, a conflict as on SQLite.
            None => {
                insert_device(user_id, device)
                    .execute(&self.pool)
                    .await
                    .map_err(conflict)?;
            }
        }
        Ok(())
    }

    async fn put_group(
        &self,
        customer_id: &str,
        id: &str,
        name: &str,
        members: &[GroupMember],
    ) -> StoreResult<()> {
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        sqlx::query(
            "INSERT INTO hunt_groups (id, customer_id, name) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = $3 WHERE hunt_groups.customer_id = $2",
        )
        .bind(id)
        .bind(customer_id)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        sqlx::query("DELETE FROM hunt_group_members WHERE group_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, m) in members.iter().enumerate() {
            let kind = match m {
                GroupMember::User(_) => "user",
                GroupMember::ExtensionListOf(_) => "extension_list_of",
            };
            let in_customer: Option<String> =
                sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND customer_id = $2")
                    .bind(m.user_id())
                    .bind(customer_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if in_customer.is_none() {
                return Err(StoreError::Conflict(format!(
                    "user {} is not in customer {customer_id}",
                    m.user_id()
                )));
            }
            sqlx::query(
                "INSERT INTO hunt_group_members (group_id, position, kind, user_id)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(kind)
            .bind(m.user_id())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_group(&self, id: &str) -> StoreResult<bool> {
        Ok(sqlx::query("DELETE FROM hunt_groups WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn reseller_user_ids(&self, reseller_id: &str) -> StoreResult<Option<Vec<String>>> {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM resellers WHERE id = $1")
            .bind(reseller_id)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_scalar(
                r#"SELECT u.id FROM users u JOIN customers c ON c.id = u.customer_id
                   WHERE c.reseller_id = $1 ORDER BY u.id COLLATE "C""#,
            )
            .bind(reseller_id)
            .fetch_all(&self.pool)
            .await?,
        ))
    }

    async fn reseller_colours(
        &self,
        reseller_id: &str,
    ) -> StoreResult<Option<(PresenceColours, Vec<String>)>> {
        let Some(row) = sqlx::query(
            "SELECT colour_available, colour_away, colour_busy FROM resellers WHERE id = $1",
        )
        .bind(reseller_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let customers = sqlx::query_scalar(
            r#"SELECT id FROM customers WHERE reseller_id = $1 ORDER BY id COLLATE "C""#,
        )
        .bind(reseller_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some((colours_of(&row), customers)))
    }

    async fn device_owner(&self, device_id: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM devices WHERE id = $1")
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn admin_change(
        &self,
        change: &AdminChange,
        consequences: &[PresenceChange],
        events: &[NewEvent],
    ) -> StoreResult<AdminWrite> {
        let customer = self.customer_of_change(change).await?;
        let lock = match &customer {
            Some(c) => Lock::Customer(c),
            // A reseller's change (its customers' users' presence), or an unknown target (then
            // nothing is written below).
            None => Lock::All,
        };
        let mut tx = self.write(lock).await?;
        if !write_admin_change(&mut tx, change).await? {
            return Ok(AdminWrite::Unknown);
        }
        for c in consequences {
            if !write_presence_change(&mut tx, c).await? {
                // Dropping the transaction rolls the change back too.
                return Ok(AdminWrite::Stale);
            }
        }
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(AdminWrite::Done)
    }

    async fn set_group_dialling(
        &self,
        customer_id: &str,
        group_id: &str,
        extension: Option<&str>,
        voicemail: bool,
    ) -> StoreResult<bool> {
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        if let Some(ext) = extension {
            let user: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE customer_id = $1 AND extension = $2",
            )
            .bind(customer_id)
            .bind(ext)
            .fetch_one(&mut *tx)
            .await?;
            if user > 0 {
                return Err(StoreError::Data(format!(
                    "extension {ext} is a user's already"
                )));
            }
        }
        let done = sqlx::query(
            "UPDATE hunt_groups SET extension = $1, voicemail = $2
             WHERE id = $3 AND customer_id = $4",
        )
        .bind(extension)
        .bind(voicemail)
        .bind(group_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn append_audit(&self, e: &NewAudit) -> StoreResult<i64> {
        // One statement, no decision: no lock (the identity column gives the id).
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log
                (customer_id, reseller_id, at_ms, actor_id, actor_name, action, target, detail, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&e.customer_id)
        .bind(&e.reseller_id)
        .bind(e.at_ms)
        .bind(&e.actor_id)
        .bind(&e.actor_name)
        .bind(&e.action)
        .bind(&e.target)
        .bind(to_json(&e.detail)?)
        .bind(&e.source)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    async fn audit(
        &self,
        scope: &AuditScope,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let (column, owner) = match scope {
            AuditScope::Customer(c) => ("customer_id", c),
            AuditScope::Reseller(r) => ("reseller_id", r),
        };
        let rows = sqlx::query(&format!(
            "SELECT id, at_ms, actor_id, actor_name, action, target, detail, source FROM audit_log
             WHERE {column} = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(owner)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.get("id"),
                    at: r.get("at_ms"),
                    actor: AuditActor {
                        id: r.get("actor_id"),
                        name: r.get("actor_name"),
                    },
                    action: r.get("action"),
                    target: r.get("target"),
                    detail: from_json(r.get::<&str, _>("detail"))?,
                    from: r.get("source"),
                })
            })
            .collect()
    }

    async fn managed_users(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<ManagedUser>> {
        let rows = sqlx::query(
            r#"SELECT u.id, u.name, u.email, u.extension, u.role, u.active,
                    (SELECT string_agg(permission, ',') FROM permissions p WHERE p.user_id = u.id)
                        AS perms
               FROM users u WHERE u.customer_id = $1 AND ($2::text IS NULL OR u.id = $2)
               ORDER BY u.name COLLATE "C", u.id COLLATE "C""#,
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let devices = sqlx::query(
            r#"SELECT d.id, d.user_id, d.kind, d.label, d.number FROM devices d
               JOIN users u ON u.id = d.user_id
               WHERE u.customer_id = $1 AND ($2::text IS NULL OR u.id = $2)
               ORDER BY d.user_id COLLATE "C", d.position, d.id COLLATE "C""#,
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_user: HashMap<String, Vec<Device>> = HashMap::new();
        for r in &devices {
            let Some(kind) = DeviceKind::parse(r.get("kind")) else {
                return Err(StoreError::Data("device kind".into()));
            };
            by_user.entry(r.get("user_id")).or_default().push(Device {
                id: r.get("id"),
                kind,
                label: r.get("label"),
                number: r.get("number"),
            });
        }
        rows.iter()
            .map(|r| {
                let perms: Option<String> = r.get("perms");
                let mut permissions: Vec<String> = perms
                    .map(|p| p.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                permissions.sort();
                let user = user_of(r);
                Ok(ManagedUser {
                    devices: by_user.remove(&user.id).unwrap_or_default(),
                    role: parse_enum(r.get::<&str, _>("role"))?,
                    active: r.get::<bool, _>("active"),
                    permissions,
                    user,
                })
            })
            .collect()
    }

    async fn set_user_name(
        &self,
        customer_id: &str,
        user_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE users SET name = $1 WHERE id = $2 AND customer_id = $3")
                .bind(name)
                .bind(user_id)
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn set_user_active(
        &self,
        customer_id: &str,
        user_id: &str,
        active: bool,
    ) -> StoreResult<bool> {
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        let done = sqlx::query("UPDATE users SET active = $1 WHERE id = $2 AND customer_id = $3")
            .bind(active)
            .bind(user_id)
            .bind(customer_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done && !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM event_tickets WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            end_access(&mut tx, user_id, AccessEndReason::UserDeleted).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn email_taken(&self, email: &str) -> StoreResult<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE lower(email) = lower($1)")
                .bind(email)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    async fn extension_taken(
        &self,
        customer_id: &str,
        extension: &str,
        except_group: Option<&str>,
    ) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users WHERE customer_id = $1 AND extension = $2)
                  + (SELECT COUNT(*) FROM hunt_groups WHERE customer_id = $1 AND extension = $2
                       AND ($3::text IS NULL OR id <> $3))",
        )
        .bind(customer_id)
        .bind(extension)
        .bind(except_group)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn reseller_info(&self, reseller_id: &str) -> StoreResult<Option<ResellerInfo>> {
        let Some(r) = sqlx::query(
            "SELECT id, name, mode, extension_lists_enabled FROM resellers WHERE id = $1",
        )
        .bind(reseller_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let customers = sqlx::query(
            r#"SELECT c.id, c.name, c.default_country,
                    (SELECT COUNT(*) FROM users u WHERE u.customer_id = c.id) AS users
               FROM customers c WHERE c.reseller_id = $1
               ORDER BY c.name COLLATE "C", c.id COLLATE "C""#,
        )
        .bind(reseller_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(ResellerInfo {
            id: r.get("id"),
            name: r.get("name"),
            mode: parse_enum(r.get::<&str, _>("mode"))?,
            extension_lists: r.get::<bool, _>("extension_lists_enabled"),
            customers: customers
                .iter()
                .map(|c| ResellerCustomer {
                    id: c.get("id"),
                    name: c.get("name"),
                    country: c.get("default_country"),
                    users: u32::try_from(c.get::<i64, _>("users")).unwrap_or(u32::MAX),
                })
                .collect(),
        }))
    }
}

impl PgStore {
    /// The customer whose lock an operator's change takes: its user's (or its device's user's);
    /// `None` for a reseller's change (every customer's lock) or an unknown target.
    async fn customer_of_change(&self, change: &AdminChange) -> StoreResult<Option<String>> {
        let query = match change {
            AdminChange::ResellerMode { .. } | AdminChange::ResellerColours { .. } => {
                return Ok(None);
            }
            AdminChange::Permission { user_id, .. } | AdminChange::AddDevice { user_id, .. } => {
                sqlx::query_scalar("SELECT customer_id FROM users WHERE id = $1").bind(user_id)
            }
            AdminChange::RemoveDevice { device_id } => sqlx::query_scalar(
                "SELECT u.customer_id FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE d.id = $1",
            )
            .bind(device_id),
        };
        // A user never changes customer nor a device user, so the lock read here stays theirs.
        Ok(query.fetch_optional(&self.pool).await?)
    }
}

/// Logs an end-of-access marker for every open stream of the user (nothing if the user is
/// unknown).
async fn end_access(
    tx: &mut PgConnection,
    user_id: &str,
    reason: AccessEndReason,
) -> StoreResult<()> {
    let customer: Option<String> =
        sqlx::query_scalar("SELECT customer_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    match customer {
        Some(customer) => log_events(tx, &[end_of_access(&customer, user_id, reason, None)]).await,
        None => Ok(()),
    }
}

/// The operator's change itself, inside an [`AdminStore::admin_change`] transaction; false if its
/// target is unknown.
async fn write_admin_change(tx: &mut PgConnection, change: &AdminChange) -> StoreResult<bool> {
    let affected = match change {
        AdminChange::ResellerMode {
            id,
            mode,
            extension_lists,
        } => sqlx::query(
            "UPDATE resellers SET mode = $1, extension_lists_enabled = $2 WHERE id = $3",
        )
        .bind(mode.as_str())
        .bind(*extension_lists)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        AdminChange::Permission {
            user_id,
            permission,
            granted,
        } => {
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(false);
            }
            let sql = if *granted {
                "INSERT INTO permissions (user_id, permission) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM permissions WHERE user_id = $1 AND permission = $2"
            };
            sqlx::query(sql)
                .bind(user_id)
                .bind(permission)
                .execute(&mut *tx)
                .await?;
            1
        }
        AdminChange::AddDevice { user_id, device } => insert_device(user_id, device)
            .execute(&mut *tx)
            .await
            .map_err(conflict)?
            .rows_affected(),
        AdminChange::RemoveDevice { device_id } => sqlx::query("DELETE FROM devices WHERE id = $1")
            .bind(device_id)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        AdminChange::ResellerColours { id, colours } => {
            // `None` writes NULLs: back to core's defaults.
            let [available, away, busy] = match colours {
                Some(c) => [&c.available, &c.away, &c.busy].map(|h| Some(h.as_str().to_owned())),
                None => [None, None, None],
            };
            sqlx::query(
                "UPDATE resellers SET colour_available = $1, colour_away = $2, colour_busy = $3
                 WHERE id = $4",
            )
            .bind(available)
            .bind(away)
            .bind(busy)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        }
    };
    Ok(affected == 1)
}

/// One user's consequence inside an [`AdminStore::admin_change`] transaction; false if stale.
async fn write_presence_change(tx: &mut PgConnection, c: &PresenceChange) -> StoreResult<bool> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT desired_version FROM presence WHERE user_id = $1")
            .bind(&c.user_id)
            .fetch_optional(&mut *tx)
            .await?;
    if version != Some(c.expected_version) {
        return Ok(false);
    }
    if let Some((profile, since)) = c.profile {
        sqlx::query("UPDATE presence SET profile = $1, since = $2 WHERE user_id = $3")
            .bind(profile.as_str())
            .bind(since.to_rfc3339())
            .bind(&c.user_id)
            .execute(&mut *tx)
            .await?;
    }
    if c.pbx == PbxWork::Reconcile {
        sqlx::query(
            "UPDATE presence SET pbx_sync = 'pending', pbx_error = NULL, desired_pbx = NULL,
                desired_version = desired_version + 1, sync_attempts = 0, next_attempt_ms = $2
             WHERE user_id = $1",
        )
        .bind(&c.user_id)
        .bind(Utc::now().timestamp_millis())
        .execute(&mut *tx)
        .await?;
    }
    for o in &c.overrides {
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT settings FROM profile_overrides WHERE user_id = $1 AND profile = $2",
        )
        .bind(&c.user_id)
        .bind(o.profile.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let stored: Option<ProfileSettings> = stored.map(|j| from_json(&j)).transpose()?;
        if stored.as_ref() != Some(&o.was) {
            // The user saved this profile's routing meanwhile.
            return Ok(false);
        }
        let profile = &o.profile;
        match &o.now {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO profile_overrides (user_id, profile, settings) VALUES ($1, $2, $3)
                     ON CONFLICT (user_id, profile) DO UPDATE SET settings = $3",
                )
                .bind(&c.user_id)
                .bind(profile.as_str())
                .bind(to_json(s)?)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM profile_overrides WHERE user_id = $1 AND profile = $2")
                    .bind(&c.user_id)
                    .bind(profile.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    Ok(true)
}

/// The insert of a user's device, last in their ring order (the store's `add_device` and the
/// operator's transactional change share it).
fn insert_device<'q>(
    user_id: &'q str,
    device: &'q Device,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(
        "INSERT INTO devices (id, user_id, kind, label, number, position)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT COALESCE(MAX(position), 0) + 1 FROM devices WHERE user_id = $2))",
    )
    .bind(&device.id)
    .bind(user_id)
    .bind(device.kind.as_str())
    .bind(&device.label)
    .bind(&device.number)
}
