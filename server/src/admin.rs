//! The operator's commands: resellers, customers, users (password, permissions, role), devices,
//! hunt groups and registered CRM orgs, so nobody needs SQL. They work on the database directly
//! (a SQLite file or a PostgreSQL database, through [`Engine`]) and may run while servers run on it
//! (SQLite WAL; PostgreSQL's own concurrency). Output is plain text on stdout; secrets are never
//! printed.
//! A change that alters what users show or what the PBX must hold (reseller mode and extension
//! lists, licences, devices) is written with its consequences and their events in one
//! transaction by [`admin_live`], for the running server to apply and announce. Every change is
//! recorded in the audit log ([`crate::audit`]) as made by `operator (CLI)` from `cli`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use ucclient_core::api::{Device, DeviceKind, HexColour, NewCrmOrg, OrgCrm, PresenceColours, Role};
use ucclient_core::licence::KNOWN_PERMISSIONS;
use ucclient_core::pbx::Mode;
use ucclient_core::ring::GroupMember;

use crate::audit::{self, Actor};
use crate::store::engine::Engine;
use crate::store::location::Database;
use crate::store::prelude::*;
use crate::store::{AddOrg, AuditScope, NewUser};
use crate::{admin_live, auth, orgs};

/// The database the admin commands work on.
#[derive(Debug, Clone, Args)]
pub struct DbArg {
    /// The database: a SQLite file path, `sqlite://PATH`, or `postgres://USER@HOST/DATABASE`.
    #[arg(
        long,
        env = "UCCLIENT_DATABASE",
        default_value = "ucclient.db",
        global = true
    )]
    pub database: crate::store::location::DatabaseArg,
}

/// `reseller …`
#[derive(Debug, Args)]
pub struct ResellerArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: ResellerCmd,
}

#[derive(Debug, Subcommand)]
enum ResellerCmd {
    /// Creates a reseller.
    Add {
        /// Name.
        #[arg(long)]
        name: String,
        /// Id (random if omitted).
        #[arg(long)]
        id: Option<String>,
        /// passive or active.
        #[arg(long, default_value = "passive", value_parser = parse_mode)]
        mode: Mode,
        /// Enables user extension lists (active mode).
        #[arg(long)]
        extension_lists: bool,
    },
    /// Sets a reseller's mode (and the extension-list feature).
    Mode {
        /// Reseller id.
        id: String,
        /// passive or active.
        #[arg(value_parser = parse_mode)]
        mode: Mode,
        /// Enables user extension lists.
        #[arg(long)]
        extension_lists: bool,
    },
    /// Sets how the reseller's users see the three presence colours (`#rrggbb`); a colour not
    /// given keeps its current value. Open widgets repaint at once.
    Colours {
        /// Reseller id.
        id: String,
        /// The Available colour.
        #[arg(long, value_parser = parse_colour)]
        available: Option<HexColour>,
        /// The Away colour.
        #[arg(long, value_parser = parse_colour)]
        away: Option<HexColour>,
        /// The Busy colour (also shown during calls).
        #[arg(long, value_parser = parse_colour)]
        busy: Option<HexColour>,
        /// Goes back to the default colours (green, amber, red).
        #[arg(long, conflicts_with_all = ["available", "away", "busy"])]
        reset: bool,
    },
    /// Lists resellers.
    List,
}

/// `customer …`
#[derive(Debug, Args)]
pub struct CustomerArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: CustomerCmd,
}

#[derive(Debug, Subcommand)]
enum CustomerCmd {
    /// Creates a customer.
    Add {
        /// Reseller id.
        #[arg(long)]
        reseller: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Default country for phone numbers (ISO alpha-2).
        #[arg(long, default_value = "PT")]
        country: String,
        /// Id (random if omitted).
        #[arg(long)]
        id: Option<String>,
        /// Log calls between colleagues on CRM records like customer calls (off by default).
        #[arg(long)]
        log_internal_calls: bool,
    },
    /// Turns the logging of calls between colleagues on CRM records on or off.
    LogInternalCalls {
        /// Customer id.
        customer: String,
        /// `on` or `off`.
        #[arg(value_parser = ["on", "off"])]
        setting: String,
    },
    /// Lists customers.
    List,
    /// Shows or sets the customer's after-call work: the dispositions agents pick from when they
    /// wrap up a call, and how long a wrap-up stays open (prints the settings after any change).
    Dispositions {
        /// Customer id.
        customer: String,
        /// The list, as `code=Label` items separated by `;` (codes 1-32 of a-z 0-9 _, labels
        /// 1-64 characters, 1-20 items), e.g. "sale=Sale;callback=Call back".
        #[arg(long, conflicts_with = "reset")]
        set: Option<String>,
        /// Seconds a wrap-up stays open before the widget saves what was typed (10-3600).
        #[arg(long = "wrapup-seconds", conflicts_with = "reset")]
        wrapup_seconds: Option<u32>,
        /// Back to the defaults (Connected, Left voicemail, No answer, Wrong number, Follow-up;
        /// 120 seconds).
        #[arg(long)]
        reset: bool,
    },
    // --- presence-server: the customer's CRM presence map (issue 14) ---
    /// Shows or sets the customer's map between the CRMs' agent statuses (Salesforce
    /// Omni-Channel, Dynamics 365) and presence profiles; prints the map as JSON after any change.
    CrmPresence {
        /// Customer id.
        customer: String,
        /// A JSON file (`-`: standard input) holding the map, the body of `PUT
        /// /api/v1/admin/crm-presence`: {"enabled", "salesforce": [{"status", "profile"}],
        /// "dynamics": [...]}.
        #[arg(long, conflicts_with = "reset")]
        set: Option<PathBuf>,
        /// Back to the default map.
        #[arg(long)]
        reset: bool,
    },
}

/// `user …`
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: UserCmd,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Creates a user; the password is read from the first line of stdin.
    Add {
        /// Customer id.
        #[arg(long)]
        customer: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Login email.
        #[arg(long)]
        email: String,
        /// Extension (2 to 6 digits).
        #[arg(long)]
        extension: String,
        /// user, customer_admin or reseller_admin.
        #[arg(long, default_value = "user", value_parser = parse_role)]
        role: Role,
        /// Grants a permission (repeatable), e.g. crm_client.
        #[arg(long = "permission")]
        permissions: Vec<String>,
        /// Id (random if omitted).
        #[arg(long)]
        id: Option<String>,
    },
    /// Sets a password (read from the first line of stdin) and ends the user's sessions.
    Password {
        /// User id.
        id: String,
    },
    /// Grants a permission.
    Grant {
        /// User id.
        id: String,
        /// Permission (crm_client, desktop_client).
        permission: String,
    },
    /// Revokes a permission.
    Revoke {
        /// User id.
        id: String,
        /// Permission.
        permission: String,
    },
    /// Sets a role.
    Role {
        /// User id.
        id: String,
        /// user, customer_admin or reseller_admin.
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Lets a deactivated user sign in again.
    Activate {
        /// User id.
        id: String,
    },
    /// Deactivates a user: they cannot sign in, and their sessions and live streams end (their
    /// data stays).
    Deactivate {
        /// User id.
        id: String,
    },
    /// Deletes a user.
    Delete {
        /// User id.
        id: String,
    },
    /// Lists users.
    List {
        /// Only this customer's.
        #[arg(long)]
        customer: Option<String>,
    },
}

/// `device …`
#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: DeviceCmd,
}

#[derive(Debug, Subcommand)]
enum DeviceCmd {
    /// Adds a device to a user.
    Add {
        /// User id.
        #[arg(long)]
        user: String,
        /// desk, softphone or mobile.
        #[arg(long, value_parser = parse_kind)]
        kind: DeviceKind,
        /// Label for people.
        #[arg(long)]
        label: String,
        /// Number or SIP address.
        #[arg(long)]
        number: String,
        /// Id (random if omitted).
        #[arg(long)]
        id: Option<String>,
    },
    /// Removes a device.
    Remove {
        /// Device id.
        id: String,
    },
    /// Lists a user's devices.
    List {
        /// User id.
        #[arg(long)]
        user: String,
    },
}

/// `group …`
#[derive(Debug, Args)]
pub struct GroupArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: GroupCmd,
}

#[derive(Debug, Subcommand)]
enum GroupCmd {
    /// Creates or replaces a hunt group.
    Put {
        /// Customer id.
        #[arg(long)]
        customer: String,
        /// Group id.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// A member in ring order (repeatable): `user:<id>` or `list:<id>` (the user's extension list).
        #[arg(long = "member", value_parser = parse_member)]
        members: Vec<GroupMember>,
        /// The group's own extension (2 to 6 digits, nobody else's), to dial or transfer to it.
        #[arg(long, value_parser = parse_extension)]
        extension: Option<String>,
        /// A call nobody in the group answers goes to voicemail (its first member's mailbox).
        #[arg(long)]
        voicemail: bool,
    },
    /// Deletes a hunt group.
    Delete {
        /// Group id.
        id: String,
    },
    /// Lists a customer's hunt groups.
    List {
        /// Customer id.
        #[arg(long)]
        customer: String,
    },
}

/// `org …`
#[derive(Debug, Args)]
pub struct OrgArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: OrgCmd,
}

#[derive(Debug, Subcommand)]
enum OrgCmd {
    /// Registers a customer's CRM org: its pages may then embed the widget and sign that
    /// customer's users in (a running server sees it within seconds).
    Add {
        /// Customer id.
        #[arg(long)]
        customer: String,
        /// A Salesforce org by its My Domain name (`acme`, or one of its URLs).
        #[arg(
            long,
            conflicts_with = "dynamics",
            required_unless_present = "dynamics"
        )]
        salesforce: Option<String>,
        /// The Salesforce org's id (15 or 18 characters, starting 00D), optional.
        #[arg(long, requires = "salesforce")]
        org_id: Option<String>,
        /// A Dynamics 365 org by its URL (`https://acme.crm4.dynamics.com`).
        #[arg(long)]
        dynamics: Option<String>,
        /// Id (random if omitted).
        #[arg(long)]
        id: Option<String>,
    },
    /// Removes a registered org (a running server refuses it within seconds).
    Remove {
        /// Org id.
        id: String,
    },
    /// Lists registered orgs with the origins each allows.
    List {
        /// Only this customer's.
        #[arg(long)]
        customer: Option<String>,
    },
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    Mode::parse(s).ok_or_else(|| "expected passive or active".into())
}

fn parse_colour(s: &str) -> Result<HexColour, String> {
    HexColour::parse(s).map_err(|e| e.to_string())
}

fn parse_role(s: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| "expected user, customer_admin or reseller_admin".into())
}

fn parse_kind(s: &str) -> Result<DeviceKind, String> {
    DeviceKind::parse(s).ok_or_else(|| "expected desk, softphone or mobile".into())
}

fn parse_member(s: &str) -> Result<GroupMember, String> {
    match s.split_once(':') {
        Some(("user", id)) if !id.is_empty() => Ok(GroupMember::User(id.into())),
        Some(("list", id)) if !id.is_empty() => Ok(GroupMember::ExtensionListOf(id.into())),
        _ => Err("expected user:<id> or list:<id>".into()),
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() || pw.len() > 1024 {
        bail!("give the password (1 to 1024 bytes) on the first line of stdin");
    }
    Ok(pw)
}

fn id_or_new(id: Option<String>) -> String {
    id.unwrap_or_else(auth::new_id)
}

/// Opens the database of an admin command, of either engine (running its migrations). A
/// PostgreSQL failure names the (redacted) URL itself; a SQLite one gets the file's name.
pub(crate) async fn open(db: &DbArg) -> anyhow::Result<Engine> {
    Engine::open_default(&db.database)
        .await
        .map_err(|e| match Database::parse(&db.database) {
            Ok(Database::Sqlite(path)) => e.context(format!("opening {}", path.display())),
            _ => e,
        })
}

/// Closes the database of an admin command; after one that `changes` something, on PostgreSQL,
/// first rings every node's doorbell so their streams read the change at once rather than at
/// their next poll (a cluster ringing through `--bus` sees it at that poll).
async fn finish(engine: Engine, changes: bool) {
    if changes
        && let Engine::Postgres(store) = &engine
        && let Err(e) = crate::doorbell::ring_everyone(store.pool()).await
    {
        tracing::warn!(error = %e, "the nodes see the change at their next poll");
    }
    engine.close().await;
}

fn found(ok: bool, what: &str) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(anyhow!("no such {what}"))
    }
}

/// Runs `reseller …`.
pub async fn reseller(args: ResellerArgs) -> anyhow::Result<()> {
    let engine = open(&args.db).await?;
    let store = engine.store();
    let s = &*store;
    let changes = !matches!(args.cmd, ResellerCmd::List);
    match args.cmd {
        ResellerCmd::Add {
            name,
            id,
            mode,
            extension_lists,
        } => {
            let id = id_or_new(id);
            s.create_reseller(&id, &name, mode, extension_lists).await?;
            println!("{id}");
        }
        ResellerCmd::Mode {
            id,
            mode,
            extension_lists,
        } => {
            found(
                admin_live::reseller_mode(s, &id, mode, extension_lists).await?,
                "reseller",
            )?;
            let detail = serde_json::json!({"mode": mode, "extension_lists": extension_lists});
            log(
                s,
                AuditScope::Reseller(id.clone()),
                "reseller.mode",
                &id,
                detail,
            )
            .await?;
        }
        ResellerCmd::Colours {
            id,
            available,
            away,
            busy,
            reset,
        } => {
            let colours = match s.reseller_colours(&id).await? {
                None => None,
                Some(_) if reset => Some(None),
                Some((current, _)) => Some(Some(PresenceColours {
                    available: available.unwrap_or(current.available),
                    away: away.unwrap_or(current.away),
                    busy: busy.unwrap_or(current.busy),
                })),
            };
            let known = match colours {
                Some(colours) => admin_live::reseller_colours(s, &id, colours).await?,
                None => false,
            };
            found(known, "reseller")?;
            let detail = serde_json::json!({"reset": reset});
            log(
                s,
                AuditScope::Reseller(id.clone()),
                "reseller.colours",
                &id,
                detail,
            )
            .await?;
        }
        ResellerCmd::List => {
            for (id, name, mode, xl) in s.list_resellers().await? {
                println!("{id}\t{name}\t{}\textension_lists={xl}", mode.as_str());
            }
        }
    }
    finish(engine, changes).await;
    Ok(())
}

/// Runs `customer …`.
pub async fn customer(args: CustomerArgs) -> anyhow::Result<()> {
    let engine = open(&args.db).await?;
    let store = engine.store();
    let s = &*store;
    let changes = !matches!(args.cmd, CustomerCmd::List);
    match args.cmd {
        CustomerCmd::Add {
            reseller,
            name,
            country,
            id,
            log_internal_calls,
        } => {
            if ucclient_core::phone::country(&country).is_none() {
                bail!("country {country} is not one whose national numbers we can normalise");
            }
            let id = id_or_new(id);
            s.create_customer(&id, &reseller, &name, &country.to_ascii_uppercase())
                .await?;
            if log_internal_calls {
                s.set_log_internal_calls(&id, true).await?;
            }
            let detail = serde_json::json!({"name": name, "country": country.to_ascii_uppercase()});
            log(
                s,
                AuditScope::Reseller(reseller),
                "customer.create",
                &id,
                detail,
            )
            .await?;
            println!("{id}");
        }
        CustomerCmd::LogInternalCalls { customer, setting } => {
            if !s.set_log_internal_calls(&customer, setting == "on").await? {
                bail!("there is no customer {customer}");
            }
            let detail = serde_json::json!({"log_internal_calls": setting == "on"});
            let scope = AuditScope::Customer(customer.clone());
            log(s, scope, "customer.update", &customer, detail).await?;
        }
        CustomerCmd::List => {
            for (id, reseller, name, country) in s.list_customers().await? {
                println!("{id}\t{reseller}\t{name}\t{country}");
            }
        }
        CustomerCmd::Dispositions {
            customer,
            set,
            wrapup_seconds,
            reset,
        } => {
            // Everything is checked before anything is written.
            let list = set
                .as_deref()
                .map(ucclient_core::wrapup::parse_dispositions)
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(secs) = wrapup_seconds {
                ucclient_core::wrapup::check_seconds(secs).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            let known = s.list_customers().await?.iter().any(|c| c.0 == customer);
            if !known {
                bail!("there is no customer {customer}");
            }
            if reset {
                admin_live::set_wrap_up(s, &customer, Some(None), Some(None)).await?;
            }
            let changed = list.is_some() || wrapup_seconds.is_some();
            admin_live::set_wrap_up(
                s,
                &customer,
                list.as_deref().map(Some),
                wrapup_seconds.map(Some),
            )
            .await?;
            let settings = s.wrap_up_settings(&customer).await?;
            if reset || changed {
                let codes: Vec<&str> = settings
                    .dispositions
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect();
                let detail =
                    serde_json::json!({"dispositions": codes, "seconds": settings.seconds});
                let scope = AuditScope::Customer(customer.clone());
                log(s, scope, "wrap_up.put", &customer, detail).await?;
            }
            println!("wrap-up seconds\t{}", settings.seconds);
            for d in settings.dispositions {
                println!("{}\t{}", d.code, d.label);
            }
        }
        CustomerCmd::CrmPresence {
            customer,
            set,
            reset,
        } => crm_presence(s, &customer, set, reset).await?,
    }
    finish(engine, changes).await;
    Ok(())
}

/// Runs `user …`.
pub async fn user(args: UserArgs) -> anyhow::Result<()> {
    let engine = open(&args.db).await?;
    let store = engine.store();
    let s = &*store;
    let changes = !matches!(args.cmd, UserCmd::List { .. });
    match args.cmd {
        UserCmd::Add {
            customer,
            name,
            email,
            extension,
            role,
            permissions,
            id,
        } => {
            if ucclient_core::phone::as_extension(&extension) != Some(extension.as_str()) {
                bail!("an extension is 2 to 6 digits");
            }
            for p in &permissions {
                if !KNOWN_PERMISSIONS.contains(&p.as_str()) {
                    bail!("unknown permission {p}");
                }
            }
            let password = read_password()?;
            let id = id_or_new(id);
            let email = email.trim().to_lowercase();
            let detail = serde_json::json!({"name": name, "email": email, "extension": extension,
                "role": role, "permissions": permissions});
            s.create_user(&NewUser {
                id: id.clone(),
                customer_id: customer.clone(),
                name,
                email,
                extension,
                password_hash: auth::hash_password(password).await?,
                role,
                permissions,
            })
            .await?;
            log(
                s,
                AuditScope::Customer(customer),
                "user.create",
                &id,
                detail,
            )
            .await?;
            println!("{id}");
        }
        UserCmd::Password { id } => {
            let password = read_password()?;
            found(
                s.set_password(&id, &auth::hash_password(password).await?)
                    .await?,
                "user",
            )?;
            log_user(s, &id, "user.password", serde_json::json!({})).await?;
        }
        UserCmd::Grant { id, permission } | UserCmd::Revoke { id, permission }
            if !KNOWN_PERMISSIONS.contains(&permission.as_str()) =>
        {
            bail!("unknown permission {permission} for user {id}");
        }
        UserCmd::Grant { id, permission } => {
            found(
                admin_live::permission(s, &id, &permission, true).await?,
                "user",
            )?;
            let detail = serde_json::json!({ permission: true });
            log_user(s, &id, "user.update", detail).await?;
        }
        UserCmd::Revoke { id, permission } => {
            found(
                admin_live::permission(s, &id, &permission, false).await?,
                "user",
            )?;
            let detail = serde_json::json!({ permission: false });
            log_user(s, &id, "user.update", detail).await?;
        }
        UserCmd::Role { id, role } => {
            found(s.set_role(&id, role).await?, "user")?;
            log_user(s, &id, "user.update", serde_json::json!({"role": role})).await?;
        }
        UserCmd::Activate { id } => set_active(s, &id, true).await?,
        UserCmd::Deactivate { id } => set_active(s, &id, false).await?,
        UserCmd::Delete { id } => {
            let customer = s.account(&id).await?.map(|a| a.customer_id);
            found(s.delete_user(&id).await?, "user")?;
            if let Some(c) = customer {
                log(
                    s,
                    AuditScope::Customer(c),
                    "user.delete",
                    &id,
                    serde_json::json!({}),
                )
                .await?;
            }
        }
        UserCmd::List { customer } => {
            for u in s.list_users(customer.as_deref()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{:?}\t{}",
                    u.user.id,
                    u.customer_id,
                    u.user.extension,
                    u.user.email,
                    u.user.name,
                    u.role,
                    u.permissions.join(",")
                );
            }
        }
    }
    finish(engine, changes).await;
    Ok(())
}

/// Runs `device …`.
pub async fn device(args: DeviceArgs) -> anyhow::Result<()> {
    let engine = open(&args.db).await?;
    let store = engine.store();
    let s = &*store;
    let changes = !matches!(args.cmd, DeviceCmd::List { .. });
    match args.cmd {
        DeviceCmd::Add {
            user,
            kind,
            label,
            number,
            id,
        } => {
            let id = id_or_new(id);
            let device = Device {
                id: id.clone(),
                kind,
                label,
                number,
            };
            found(admin_live::add_device(s, &user, &device).await?, "user")?;
            let detail = serde_json::json!({"user": user, "kind": device.kind,
                "label": device.label, "number": device.number});
            if let Some(c) = customer_of(s, &user).await? {
                log(s, AuditScope::Customer(c), "device.add", &id, detail).await?;
            }
            println!("{id}");
        }
        DeviceCmd::Remove { id } => {
            let owner = s.device_owner(&id).await?;
            found(admin_live::remove_device(s, &id).await?, "device")?;
            if let Some(user) = owner
                && let Some(c) = customer_of(s, &user).await?
            {
                let detail = serde_json::json!({"user": user});
                log(s, AuditScope::Customer(c), "device.remove", &id, detail).await?;
            }
        }
        DeviceCmd::List { user } => {
            for d in s.devices(&user).await? {
                println!("{}\t{}\t{}\t{}", d.id, d.kind.as_str(), d.label, d.number);
            }
        }
    }
    finish(engine, changes).await;
    Ok(())
}

/// Runs `org …`.
pub async fn org(args: OrgArgs) -> anyhow::Result<()> {
    let engine = open(&args.db).await?;
    let store = engine.store();
    let s = &*store;
    let changes = !matches!(args.cmd, OrgCmd::List { .. });
    match args.cmd {
        OrgCmd::Add {
            customer,
            salesforce,
            org_id,
            dynamics,
            id,
        } => {
            let new = match (salesforce, dynamics) {
                (Some(org), None) => NewCrmOrg {
                    crm: OrgCrm::Salesforce,
                    org,
                    org_id,
                },
                (None, Some(org)) => NewCrmOrg {
                    crm: OrgCrm::Dynamics,
                    org,
                    org_id: None,
                },
                _ => bail!("give --salesforce MY_DOMAIN or --dynamics URL"),
            };
            let registration = orgs::parse_new_org(&new)?;
            let id = id_or_new(id);
            match s
                .add_org(
                    &registration.to_stored(id.clone(), &customer),
                    orgs::MAX_ORGS_PER_CUSTOMER,
                )
                .await?
            {
                AddOrg::Added => {
                    let detail = serde_json::json!({"crm": registration.crm.as_str(),
                        "org": registration.name, "org_id": registration.org_id});
                    log(
                        s,
                        AuditScope::Customer(customer.clone()),
                        "org.add",
                        &id,
                        detail,
                    )
                    .await?;
                    println!("{id}");
                }
                AddOrg::Taken => bail!("that org is registered already (ucclient-server org list)"),
                AddOrg::TooMany => bail!(
                    "customer {customer} has {} orgs already, the most allowed",
                    orgs::MAX_ORGS_PER_CUSTOMER
                ),
                AddOrg::UnknownCustomer => bail!("no such customer"),
            }
        }
        OrgCmd::Remove { id } => {
            let org = s.orgs(None).await?.into_iter().find(|o| o.id == id);
            found(s.remove_org(None, &id).await?.is_some(), "org")?;
            if let Some(o) = org {
                let detail = serde_json::json!({"org": o.org_key});
                log(
                    s,
                    AuditScope::Customer(o.customer_id),
                    "org.remove",
                    &id,
                    detail,
                )
                .await?;
            }
        }
        OrgCmd::List { customer } => {
            for o in s.orgs(customer.as_deref()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.customer_id,
                    o.crm.as_str(),
                    o.name,
                    o.org_id.as_deref().unwrap_or("-"),
                    orgs::origins_of(o.crm, &o.name).join(",")
                );
            }
        }
    }
    finish(engine, changes).await;
    Ok(())
}

/// A group's extension: 2 to 6 digits, as core reads an extension.
fn parse_extension(s: &str) -> Result<String, String> {
    ucclient_core::phone::as_extension(s)
        .map(str::to_owned)
        .ok_or_else(|| "an extension is 2 to 6 digits".to_owned())
}

/// Runs `group …`.
pub async fn group(args: GroupArgs) -> anyhow::Result<()> {
    let engine = open(&args.db).await?;
    let store = engine.store();
    let s = &*store;
    let changes = !matches!(args.cmd, GroupCmd::List { .. });
    match args.cmd {
        GroupCmd::Put {
            customer,
            id,
            name,
            members,
            extension,
            voicemail,
        } => {
            admin_live::put_group(
                s,
                &customer,
                &id,
                &name,
                &members,
                extension.as_deref(),
                voicemail,
            )
            .await?;
            let detail = serde_json::json!({"name": name, "extension": extension,
                "voicemail": voicemail, "members": members});
            log(s, AuditScope::Customer(customer), "group.put", &id, detail).await?;
        }
        GroupCmd::Delete { id } => {
            let mut customer = None;
            for (c, ..) in s.list_customers().await? {
                if s.groups(&c).await?.iter().any(|g| g.id == id) {
                    customer = Some(c);
                    break;
                }
            }
            found(s.delete_group(&id).await?, "group")?;
            if let Some(c) = customer {
                log(
                    s,
                    AuditScope::Customer(c),
                    "group.delete",
                    &id,
                    serde_json::json!({}),
                )
                .await?;
            }
        }
        GroupCmd::List { customer } => {
            for g in s.groups(&customer).await? {
                let members: Vec<String> = g
                    .members
                    .iter()
                    .map(|m| match m {
                        GroupMember::User(u) => format!("user:{u}"),
                        GroupMember::ExtensionListOf(u) => format!("list:{u}"),
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    g.id,
                    g.name,
                    members.join(","),
                    g.extension.as_deref().unwrap_or("-"),
                    if g.voicemail { "voicemail" } else { "-" }
                );
            }
        }
    }
    finish(engine, changes).await;
    Ok(())
}

// --- admin-api: the operator's changes in the audit log (issue 15) ---

/// Appends the audit row of an operator's change (actor "operator (CLI)", from `cli`).
async fn log(
    s: &dyn Store,
    scope: AuditScope,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    audit::record(s, &Actor::cli(), scope, action, target, detail).await?;
    Ok(())
}

/// `customer crm-presence`: checked by core's rules before anything is written, stored and
/// audited (`crm_presence.put`) like `PUT /admin/crm-presence`.
async fn crm_presence(
    s: &dyn Store,
    customer: &str,
    set: Option<PathBuf>,
    reset: bool,
) -> anyhow::Result<()> {
    use std::io::Read;
    use ucclient_core::crm_presence::CrmPresenceMap;
    let map = match set {
        None => None,
        Some(path) => {
            let mut text = String::new();
            let limit = crate::MAX_BODY_BYTES as u64 + 1;
            if path.as_os_str() == "-" {
                std::io::stdin().take(limit).read_to_string(&mut text)?;
            } else {
                std::fs::File::open(&path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .take(limit)
                    .read_to_string(&mut text)?;
            }
            if text.len() > crate::MAX_BODY_BYTES {
                bail!("the map is over {} bytes", crate::MAX_BODY_BYTES);
            }
            let map: CrmPresenceMap =
                serde_json::from_str(&text).context("the map is not valid JSON of its shape")?;
            map.check().map_err(|e| anyhow!("{e}"))?;
            Some(map.trimmed())
        }
    };
    if (reset || map.is_some()) && !admin_live::set_crm_presence(s, customer, map.as_ref()).await? {
        bail!("there is no customer {customer}");
    }
    let stored = s.crm_presence(customer).await?;
    if reset || map.is_some() {
        let scope = AuditScope::Customer(customer.to_owned());
        let detail = admin_live::crm_presence_detail(&stored);
        log(s, scope, "crm_presence.put", customer, detail).await?;
    } else if !s.list_customers().await?.iter().any(|c| c.0 == customer) {
        bail!("there is no customer {customer}");
    }
    println!("{}", serde_json::to_string_pretty(&stored)?);
    Ok(())
}

/// The customer of a user, if the user exists.
async fn customer_of(s: &dyn Store, user_id: &str) -> anyhow::Result<Option<String>> {
    Ok(s.account(user_id).await?.map(|a| a.customer_id))
}

/// Appends the audit row of an operator's change to a user, in their customer's log.
async fn log_user(
    s: &dyn Store,
    user_id: &str,
    action: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    if let Some(c) = customer_of(s, user_id).await? {
        log(s, AuditScope::Customer(c), action, user_id, detail).await?;
    }
    Ok(())
}

/// `user activate` / `user deactivate`.
async fn set_active(s: &dyn Store, user_id: &str, on: bool) -> anyhow::Result<()> {
    let Some(customer) = customer_of(s, user_id).await? else {
        bail!("no such user");
    };
    found(
        admin_live::set_active(s, &customer, user_id, on).await?,
        "user",
    )?;
    let detail = serde_json::json!({ "active": on });
    log(
        s,
        AuditScope::Customer(customer),
        "user.update",
        user_id,
        detail,
    )
    .await
}
