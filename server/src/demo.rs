//! The demo data of API.md, with readable ids (`ana`, `ana-desk`, `sales`, …) and password `demo`.

use std::path::Path;

use chrono::Utc;
use ucclient_core::ProfileId;
use ucclient_core::api::{Device, DeviceKind, NewCrmOrg, OrgCrm, PbxSync, Role};
use ucclient_core::licence::CRM_CLIENT;
use ucclient_core::pbx::{Mode, desired_state};
use ucclient_core::ring::GroupMember;
use ucclient_core::settings::default_settings;

/// The demo Sales group's extension.
pub const DEMO_SALES_EXTENSION: &str = "600";

use crate::auth;
use crate::store::prelude::*;
use crate::store::sqlite::SqliteStore;
use crate::store::{AddOrg, NewUser};

/// The demo password of every user.
pub const PASSWORD: &str = "demo";

/// SQLite's `application_id` of a database `demo` created ("UCDm"). It lives in the file's
/// header, so it is read without touching the schema, survives migrations, and no database made
/// by `serve` or the admin commands carries it.
pub const DEMO_APPLICATION_ID: i32 = 0x5543_446d;

/// Whether `database` may be replaced by the demo: it does not exist, or it is a SQLite database
/// that `demo` marked as its own. Anything else (a real database, a file that is not SQLite) is
/// refused with a sentence saying what to do.
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

/// Deletes the database file (and its WAL files) and creates it anew with the demo data, marked
/// as a demo database. Refuses a file `demo` did not create unless `force`.
pub async fn recreate(database: &Path, force: bool) -> anyhow::Result<()> {
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
    let store = SqliteStore::open(database).await?;
    sqlx::query(&format!("PRAGMA application_id = {DEMO_APPLICATION_ID}"))
        .execute(store.pool())
        .await?;
    let hash = auth::hash_password(PASSWORD.to_owned()).await?;
    seed(&store, &hash).await?;
    store.close().await;
    Ok(())
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
