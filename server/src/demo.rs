//! The demo data of API.md, with readable ids (`ana`, `ana-desk`, `sales`, …) and password `demo`.

use std::path::Path;

use chrono::Utc;
use sqlx::Connection;
use ucclient_core::ProfileId;
use ucclient_core::api::{Device, DeviceKind, NewCrmOrg, OrgCrm, PbxSync, Role};
use ucclient_core::licence::CRM_CLIENT;
use ucclient_core::pbx::{Mode, desired_state};
use ucclient_core::ring::GroupMember;
use ucclient_core::settings::default_settings;

/// The demo Sales group's extension.
pub const DEMO_SALES_EXTENSION: &str = "600";

use crate::auth;
use crate::store::engine::Engine;
use crate::store::location::{Database, PostgresUrl};
use crate::store::prelude::*;
use crate::store::sqlite::SqliteStore;
use crate::store::{AddOrg, NewUser};

/// The demo password of every user.
pub const PASSWORD: &str = "demo";

/// SQLite's `application_id` of a database `demo` created ("UCDm"). It lives in the file's
/// header, so it is read without touching the schema, survives migrations, and no database made
/// by `serve` or the admin commands carries it.
pub const DEMO_APPLICATION_ID: i32 = 0x5543_446d;

/// PostgreSQL's mark of a database `demo` filled: the comment on its `resellers` table (the root
/// of every customer's data). Like SQLite's application id it is not data: no query of the
/// server reads it, `TRUNCATE` keeps it, and nothing but `demo` writes it.
pub const DEMO_MARK: &str = "ucclient demo database";

/// Whether the SQLite file `database` may be replaced by the demo: it does not exist, or it is a
/// SQLite database that `demo` marked as its own. Anything else (a real database, a file that is
/// not SQLite) is refused with a sentence saying what to do.
pub async fn check_replaceable(database: &Path) -> anyhow::Result<()> {
    if !database.exists() {
        return Ok(());
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(database)
        .read_only(true);
    let id: Option<i32> = match sqlx::ConnectOptions::connect(&options).await {
        Ok(mut conn) => {
            let id = sqlx::query_scalar("PRAGMA application_id")
                .fetch_one(&mut conn)
                .await
                .ok();
            let _ = sqlx::Connection::close(conn).await;
            id
        }
        Err(_) => None,
    };
    if id == Some(DEMO_APPLICATION_ID) {
        Ok(())
    } else {
        anyhow::bail!(
            "{} exists and was not created by `demo`; refusing to replace it (it may hold real \
             data). Choose another --database, or add --force to replace it.",
            database.display()
        )
    }
}

/// Fills `database` (`--database`: a SQLite path or URL, or a PostgreSQL URL) with the demo data
/// and marks it as a demo database, replacing what it held:
/// - SQLite: deletes the file (and its WAL files) and creates it anew. A file `demo` did not
///   create is refused unless `force`.
/// - PostgreSQL: a database holding data that `demo` did not mark is refused unless `force`
///   (before anything is written); otherwise it is opened (running the migrations) and every
///   table of its schema but the migrations' own is emptied in one transaction
///   ([`empty_postgres`]).
pub async fn recreate(database: &Path, force: bool) -> anyhow::Result<()> {
    let engine = match Database::parse(database)? {
        Database::Sqlite(path) => {
            replace_sqlite_file(&path, force).await?;
            let store = SqliteStore::open(&path).await?;
            sqlx::query(&format!("PRAGMA application_id = {DEMO_APPLICATION_ID}"))
                .execute(store.pool())
                .await?;
            Engine::Sqlite(store)
        }
        Database::Postgres(url) => {
            if !force {
                check_postgres_replaceable(&url).await?;
            }
            let engine = Engine::open_default(database).await?;
            if let Engine::Postgres(store) = &engine {
                empty_postgres(store.pool()).await?;
            }
            engine
        }
    };
    let filled = async {
        let hash = auth::hash_password(PASSWORD.to_owned()).await?;
        seed(&*engine.store(), &hash).await
    }
    .await;
    engine.close().await;
    filled
}

/// Deletes the SQLite file and its WAL files, refusing a file `demo` did not create unless
/// `force`.
async fn replace_sqlite_file(database: &Path, force: bool) -> anyhow::Result<()> {
    if !force {
        check_replaceable(database).await?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = database.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Refuses a PostgreSQL database that holds data `demo` did not mark ([`DEMO_MARK`]), before
/// anything is written to it (its migrations included): rows in any table of its current schema
/// but `_sqlx_migrations` are data.
async fn check_postgres_replaceable(url: &PostgresUrl) -> anyhow::Result<()> {
    let mut conn = sqlx::postgres::PgConnection::connect(url.expose())
        .await
        .map_err(|e| anyhow::anyhow!("opening PostgreSQL at {url}: {e}"))?;
    let checked = async {
        let tables = schema_tables(&mut conn).await?;
        if tables.is_empty() {
            return Ok(());
        }
        let mark: Option<String> =
            sqlx::query_scalar("SELECT obj_description(to_regclass('resellers'), 'pg_class')")
                .fetch_one(&mut conn)
                .await?;
        if mark.as_deref() == Some(DEMO_MARK) {
            return Ok(());
        }
        let any_row = tables
            .iter()
            .map(|t| format!("SELECT 1 FROM {t}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let has_data: bool = sqlx::query_scalar(&format!("SELECT EXISTS ({any_row})"))
            .fetch_one(&mut conn)
            .await?;
        anyhow::ensure!(
            !has_data,
            "{url} holds data that `demo` did not create; refusing to empty it (it may be real). \
             Choose another --database, or add --force to empty it."
        );
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    checked
}

/// The tables of the current schema but `_sqlx_migrations`, quoted for SQL.
async fn schema_tables(conn: &mut sqlx::PgConnection) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables \
         WHERE schemaname = current_schema() AND tablename <> '_sqlx_migrations' \
         ORDER BY tablename",
    )
    .fetch_all(conn)
    .await?;
    Ok(tables.iter().map(|t| quote_ident(t)).collect())
}

/// Empties a migrated PostgreSQL database for the demo and marks it ([`DEMO_MARK`]), in one
/// transaction: either it is emptied and marked, or nothing changed.
///
/// It `TRUNCATE`s every table of the current schema except `_sqlx_migrations` (restarting the
/// identity columns, as a new SQLite file would) rather than dropping and recreating the schema:
/// the tables are the migrations' own, so the role that ran them may truncate them, whereas
/// dropping `public` needs its owner (`pg_database_owner` since PostgreSQL 15) and would lose
/// the grants other roles hold on it; and the migrations stay applied, so nothing is re-run.
async fn empty_postgres(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let tables = schema_tables(&mut tx).await?;
    sqlx::query(&format!("TRUNCATE {} RESTART IDENTITY", tables.join(", ")))
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("COMMENT ON TABLE resellers IS '{DEMO_MARK}'"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `name` as a PostgreSQL identifier in double quotes.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

struct DemoUser {
    id: &'static str,
    customer: &'static str,
    name: &'static str,
    extension: &'static str,
    licensed: bool,
    role: Role,
    devices: &'static [(&'static str, DeviceKind, &'static str, &'static str)],
}

/// The demo users (API.md): Acme on the active reseller, Globex on the passive one.
const USERS: [DemoUser; 5] = [
    DemoUser {
        id: "ana",
        customer: "acme",
        name: "Ana Costa",
        extension: "201",
        licensed: true,
        role: Role::CustomerAdmin,
        devices: &[
            (
                "ana-desk",
                DeviceKind::Desk,
                "Desk phone",
                "sip:201@acme.example",
            ),
            (
                "ana-softphone",
                DeviceKind::Softphone,
                "Softphone",
                "sip:201-soft@acme.example",
            ),
            ("ana-mobile", DeviceKind::Mobile, "Mobile", "+351912000201"),
        ],
    },
    DemoUser {
        id: "bruno",
        customer: "acme",
        name: "Bruno Silva",
        extension: "202",
        licensed: true,
        role: Role::User,
        devices: &[
            (
                "bruno-desk",
                DeviceKind::Desk,
                "Desk phone",
                "sip:202@acme.example",
            ),
            (
                "bruno-mobile",
                DeviceKind::Mobile,
                "Mobile",
                "+351912000202",
            ),
        ],
    },
    DemoUser {
        id: "carla",
        customer: "acme",
        name: "Carla Santos",
        extension: "203",
        licensed: false,
        role: Role::User,
        devices: &[(
            "carla-desk",
            DeviceKind::Desk,
            "Desk phone",
            "sip:203@acme.example",
        )],
    },
    DemoUser {
        id: "dora",
        customer: "globex",
        name: "Dora Lima",
        extension: "301",
        licensed: true,
        role: Role::User,
        devices: &[
            (
                "dora-desk",
                DeviceKind::Desk,
                "Desk phone",
                "sip:301@globex.example",
            ),
            (
                "dora-mobile",
                DeviceKind::Mobile,
                "Mobile",
                "+5511987000301",
            ),
        ],
    },
    DemoUser {
        id: "eli",
        customer: "globex",
        name: "Eli Souza",
        extension: "302",
        licensed: true,
        role: Role::User,
        devices: &[(
            "eli-desk",
            DeviceKind::Desk,
            "Desk phone",
            "sip:302@globex.example",
        )],
    },
];

/// The demo's registered CRM orgs: (id, customer, CRM, My Domain or org URL).
const DEMO_ORGS: [(&str, &str, OrgCrm, &str); 4] = [
    ("acme-salesforce", "acme", OrgCrm::Salesforce, "acme"),
    (
        "acme-dynamics",
        "acme",
        OrgCrm::Dynamics,
        "https://acme.crm4.dynamics.com",
    ),
    ("globex-salesforce", "globex", OrgCrm::Salesforce, "globex"),
    (
        "globex-dynamics",
        "globex",
        OrgCrm::Dynamics,
        "https://globex.crm2.dynamics.com",
    ),
];

/// Writes the demo data into an empty store; every user gets `password_hash` (of [`PASSWORD`]).
pub async fn seed(store: &dyn Store, password_hash: &str) -> anyhow::Result<()> {
    store
        .create_reseller("demo-active", "Demo Active", Mode::Active, true)
        .await?;
    store
        .create_reseller("demo-passive", "Demo Passive", Mode::Passive, false)
        .await?;
    store
        .create_customer("acme", "demo-active", "Acme", "PT")
        .await?;
    store
        .create_customer("globex", "demo-passive", "Globex", "BR")
        .await?;
    for u in &USERS {
        store
            .create_user(&NewUser {
                id: u.id.into(),
                customer_id: u.customer.into(),
                name: u.name.into(),
                email: format!("{}@{}.example", u.id, u.customer),
                extension: u.extension.into(),
                password_hash: password_hash.to_owned(),
                role: u.role,
                permissions: if u.licensed {
                    vec![CRM_CLIENT.to_owned()]
                } else {
                    Vec::new()
                },
            })
            .await?;
        for (id, kind, label, number) in u.devices {
            store
                .add_device(
                    u.id,
                    &Device {
                        id: (*id).into(),
                        kind: *kind,
                        label: (*label).into(),
                        number: (*number).into(),
                    },
                )
                .await?;
        }
        if u.customer == "acme" {
            // Active mode from the start: the PBX holds Available's settings.
            let devices: Vec<&str> = u.devices.iter().map(|d| d.0).collect();
            let desired = desired_state(
                Mode::Active,
                true,
                u.id,
                &default_settings(ProfileId::Available),
                &devices,
                &Default::default(),
                false,
            );
            if let Some(d) = desired {
                store.put_pbx_state(u.id, &d).await?;
                store
                    .set_presence(
                        u.id,
                        ProfileId::Available,
                        Utc::now(),
                        PbxSync::Applied,
                        Some(&d),
                        &[],
                    )
                    .await?;
            }
        }
    }
    for (id, customer, crm, org) in DEMO_ORGS {
        let registration = crate::orgs::parse_new_org(&NewCrmOrg {
            crm,
            org: org.into(),
            org_id: None,
        })
        .map_err(|e| anyhow::anyhow!("demo org {org}: {e}"))?;
        let added = store
            .add_org(
                &registration.to_stored(id.into(), customer),
                crate::orgs::MAX_ORGS_PER_CUSTOMER,
            )
            .await?;
        anyhow::ensure!(added == AddOrg::Added, "demo org {org}: {added:?}");
    }
    store
        .put_group(
            "acme",
            "sales",
            "Sales",
            &[
                GroupMember::ExtensionListOf("ana".into()),
                GroupMember::User("bruno".into()),
            ],
        )
        .await?;
    // Sales is dialable on 600; a call nobody there answers is missed (no group voicemail).
    store
        .set_group_dialling("acme", "sales", Some(DEMO_SALES_EXTENSION), false)
        .await?;
    seed_reseller_admin(store, password_hash).await?;
    Ok(())
}

/// The demo's reseller administrator (issue 15): Rita of Demo Active, `rita@demo-active.example`,
/// in a customer of the reseller's own ("Demo Active HQ", so Acme's users stay as they are). She
/// manages Demo Active's mode and customers on `/admin`; she has no CRM-client permission.
pub const DEMO_RESELLER_ADMIN: &str = "rita@demo-active.example";

async fn seed_reseller_admin(store: &dyn Store, password_hash: &str) -> anyhow::Result<()> {
    store
        .create_customer("demo-active-hq", "demo-active", "Demo Active HQ", "PT")
        .await?;
    store
        .create_user(&NewUser {
            id: "rita".into(),
            customer_id: "demo-active-hq".into(),
            name: "Rita Reis".into(),
            email: DEMO_RESELLER_ADMIN.into(),
            extension: "901".into(),
            password_hash: password_hash.to_owned(),
            role: Role::ResellerAdmin,
            permissions: Vec::new(),
        })
        .await?;
    Ok(())
}
