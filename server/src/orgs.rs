//! Which CRM orgs may embed the widget: each customer registers its Salesforce orgs (by My Domain
//! name, optionally the org id) and Dynamics 365 orgs (by URL), and only their origins — plus the
//! operator's `--cors-origin` list — may frame the hosted pages (`crm_pages`), call the API from a
//! browser (`cors`) and sign users in; a sign-in from an org registered to another customer is
//! refused (`org_not_allowed`).
//!
//! This module owns the shapes: what a registration may look like ([`parse_new_org`]), which
//! origins a registered org expands into ([`origins_of`]), and which registered org an origin
//! belongs to ([`key_of_origin`], pure, so an origin of no CRM shape never reaches the store); and
//! [`OrgRegistry`], the bounded cache through which requests ask the store who owns an org. It
//! never decides anything from a pattern alone: a Salesforce-looking origin is only allowed once
//! its My Domain is registered.
//!
//! Salesforce origins are those of enhanced domains (enforced since Winter '24): for My Domain
//! `acme`,
//! - production: `https://acme.my.salesforce.com`, `https://acme.lightning.force.com`, Visualforce
//!   `https://acme--<package>.vf.force.com`;
//! - sandboxes: `https://acme--<sandbox>.sandbox.my.salesforce.com`,
//!   `https://acme--<sandbox>.sandbox.lightning.force.com`,
//!   `https://acme--<sandbox>--<package>.sandbox.vf.force.com`;
//! - other partitioned non-production orgs (`develop`, `scratch`, `demo`, `patch`, `trailblaze`):
//!   `https://acme.develop.my.salesforce.com`, `https://acme.develop.lightning.force.com`,
//!   `https://acme--<package>.develop.vf.force.com`, and likewise.
//!
//! A Dynamics 365 org is one origin, `https://<org>.crm<N>.dynamics.com` (`crm`, `crm4`, `crm11`, …).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ucclient_core::api::{CrmOrg, NewCrmOrg, OrgCrm};

use crate::store::{Store, StoreResult, StoredOrg};

/// Most CRM orgs one customer may register.
pub const MAX_ORGS_PER_CUSTOMER: usize = 50;
/// How long the registry trusts what it read about an org key (a change by this process is seen at
/// once; one by another process, such as the `org` admin command, within this).
pub const ORG_CACHE_TTL: Duration = Duration::from_secs(5);
/// Most org keys the registry remembers (registered or not); when full, expired entries go, and if
/// none has expired the whole cache is dropped (each miss is one indexed read of the store).
pub const ORG_CACHE_MAX: usize = 10_000;
/// Longest origin or registration text read.
pub const MAX_ORG_TEXT: usize = 200;
/// Longest Salesforce My Domain name (Salesforce allows fewer; a DNS label allows 63).
const MAX_MY_DOMAIN: usize = 63;

/// The partitions of Salesforce's non-production orgs other than sandboxes.
const SALESFORCE_PARTITIONS: &[&str] = &["develop", "scratch", "demo", "patch", "trailblaze"];

/// A registered org as the store keys it: one per org, unique across customers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgKey(String);

impl OrgKey {
    /// The key of a Salesforce org by its (lower-case) My Domain name.
    pub fn salesforce(my_domain: &str) -> OrgKey {
        OrgKey(format!("salesforce:{my_domain}"))
    }

    /// The key of a Dynamics 365 org by its (lower-case) host.
    pub fn dynamics(host: &str) -> OrgKey {
        OrgKey(format!("dynamics:{host}"))
    }

    /// A key as the store holds it.
    pub fn from_stored(key: String) -> OrgKey {
        OrgKey(key)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The CRM of the key.
    pub fn crm(&self) -> OrgCrm {
        if self.0.starts_with("salesforce:") {
            OrgCrm::Salesforce
        } else {
            OrgCrm::Dynamics
        }
    }
}

/// A registration, checked and in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRegistration {
    /// Which CRM.
    pub crm: OrgCrm,
    /// The store's key.
    pub key: OrgKey,
    /// Salesforce: the My Domain name; Dynamics 365: the org's origin.
    pub name: String,
    /// Salesforce: the 18-character org id.
    pub org_id: Option<String>,
}

/// Why a registration was refused; the sentence is for the administrator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OrgError(pub String);

fn err(s: &str) -> OrgError {
    OrgError(s.to_owned())
}

/// Checks a registration: a Salesforce My Domain name (or one of its URLs) with an optional org id,
/// or a Dynamics 365 org URL (or host name).
pub fn parse_new_org(new: &NewCrmOrg) -> Result<OrgRegistration, OrgError> {
    let raw = new.org.trim();
    if raw.is_empty() || raw.len() > MAX_ORG_TEXT {
        return Err(OrgError(format!(
            "give the org in 1 to {MAX_ORG_TEXT} characters"
        )));
    }
    match new.crm {
        OrgCrm::Salesforce => {
            let my_domain = salesforce_my_domain(raw)?;
            let org_id = new.org_id.as_deref().map(salesforce_org_id).transpose()?;
            Ok(OrgRegistration {
                crm: OrgCrm::Salesforce,
                key: OrgKey::salesforce(&my_domain),
                name: my_domain,
                org_id,
            })
        }
        OrgCrm::Dynamics => {
            if new.org_id.is_some() {
                return Err(err(
                    "an org id is for Salesforce orgs; a Dynamics 365 org is known by its URL alone",
                ));
            }
            let host = dynamics_host(raw)?;
            Ok(OrgRegistration {
                crm: OrgCrm::Dynamics,
                key: OrgKey::dynamics(&host),
                name: format!("https://{host}"),
                org_id: None,
            })
        }
    }
}

/// A My Domain name: the name itself, or any URL of the org (its My Domain is read from it).
fn salesforce_my_domain(raw: &str) -> Result<String, OrgError> {
    let lower = raw.to_ascii_lowercase();
    if lower.contains("://") || lower.contains('.') {
        let origin = normalise_origin(without_path(&lower)).ok_or_else(|| {
            err("that is neither a My Domain name (such as acme) nor the https address of a Salesforce org")
        })?;
        return match key_of_origin(&origin) {
            Some(key) if key.crm() == OrgCrm::Salesforce => {
                Ok(key.as_str()["salesforce:".len()..].to_owned())
            }
            _ => Err(err(
                "that is not an address of a Salesforce org with enhanced domains (such as \
                 https://acme.my.salesforce.com); give the My Domain name instead",
            )),
        };
    }
    if is_my_domain(&lower) {
        Ok(lower)
    } else {
        Err(err(
            "a My Domain name has letters, digits and single hyphens, starts with a letter and does \
             not end with a hyphen (such as acme)",
        ))
    }
}

fn is_my_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_MY_DOMAIN
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// A Salesforce org id: 15 characters (case-sensitive) or 18 (the case-safe form, whose last three
/// characters are a checksum of the case of the first 15), starting with the org prefix `00D`.
/// Returned in its 18-character form.
pub fn salesforce_org_id(raw: &str) -> Result<String, OrgError> {
    let id = raw.trim();
    let shape_ok = (id.len() == 15 || id.len() == 18)
        && id.bytes().all(|c| c.is_ascii_alphanumeric())
        && id.starts_with("00D");
    if !shape_ok {
        return Err(err(
            "a Salesforce org id has 15 or 18 letters and digits and starts with 00D",
        ));
    }
    let full = format!("{}{}", &id[..15], case_suffix(&id[..15]));
    if id.len() == 18 && !id[15..].eq_ignore_ascii_case(&full[15..]) {
        return Err(err(
            "that 18-character org id does not check out (its last three characters do not match \
             the first fifteen); copy it again from Setup > Company Information",
        ));
    }
    Ok(full)
}

/// The three checksum characters of a 15-character Salesforce id.
fn case_suffix(id15: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            ALPHABET[bits] as char
        })
        .collect()
}

/// A URL without its path, query or fragment (administrators paste what their browser shows).
fn without_path(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find(['/', '?', '#']) {
        Some(end) => &url[..start + end],
        None => url,
    }
}

/// A Dynamics 365 org's host from its URL (`https://acme.crm4.dynamics.com`, a trailing `/` or
/// path allowed, as copied from the browser) or host name.
fn dynamics_host(raw: &str) -> Result<String, OrgError> {
    let lower = raw.to_ascii_lowercase();
    let rest = match lower.split_once("://") {
        Some(("https", rest)) => rest,
        Some(_) => return Err(err("a Dynamics 365 org URL starts with https://")),
        None => lower.as_str(),
    };
    let host = without_path(rest);
    match key_of_origin(&format!("https://{host}")) {
        Some(key) if key.crm() == OrgCrm::Dynamics => Ok(host.to_owned()),
        _ => Err(err(
            "a Dynamics 365 org URL looks like https://acme.crm4.dynamics.com (the org, then crm \
             and the region's number, then dynamics.com)",
        )),
    }
}

/// `https://host[:port]` (or `http://`), lower case, checked to hold only letters, digits, dots,
/// hyphens and one port (so it is safe in HTML attributes and headers as it is); a bare host name
/// is read as `https://host`. `None` for anything else (paths, user info, bad characters).
pub fn normalise_origin(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/');
    if raw.is_empty() || raw.len() > MAX_ORG_TEXT {
        return None;
    }
    let origin = if raw.contains("://") {
        raw.to_ascii_lowercase()
    } else {
        format!("https://{}", raw.to_ascii_lowercase())
    };
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let (host, port) = match rest.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-'])
        && !host.contains("..")
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()));
    (host_ok && port_ok).then_some(origin)
}

/// The registered-org key an origin belongs to, when it has the shape of a Salesforce (enhanced
/// domains) or Dynamics 365 org origin: `https`, no port, one of the shapes in the module doc.
/// Pure: whether that org is registered, and to whom, is the store's to say.
pub fn key_of_origin(origin: &str) -> Option<OrgKey> {
    let host = origin.strip_prefix("https://")?;
    if host.len() > MAX_ORG_TEXT || host.contains(':') || host.contains('/') {
        return None;
    }
    let (label, suffix) = host.split_once('.')?;
    if let Some(rest) = suffix.strip_suffix(".dynamics.com") {
        let region = rest.strip_prefix("crm")?;
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        let region_ok = region.len() <= 2 && region.bytes().all(|c| c.is_ascii_digit());
        return (label_ok && region_ok).then(|| OrgKey::dynamics(host));
    }
    // Salesforce: the label is `mydomain`, `mydomain--x` or `mydomain--x--y`, by suffix.
    let (partition, service) = match suffix.split_once('.') {
        Some((p, s)) if p == "sandbox" || SALESFORCE_PARTITIONS.contains(&p) => (Some(p), s),
        _ => (None, suffix),
    };
    let parts: Vec<&str> = label.split("--").collect();
    let extra = match service {
        "my.salesforce.com" | "lightning.force.com" => 0,
        "vf.force.com" => 1,
        _ => return None,
    } + usize::from(partition == Some("sandbox"));
    let names_ok = parts.len() == 1 + extra
        && is_my_domain(parts[0])
        && parts[1..].iter().all(|p| {
            !p.is_empty()
                && p.len() <= 63
                && !p.ends_with('-')
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        });
    names_ok.then(|| OrgKey::salesforce(parts[0]))
}

/// The origins a registered org allows, `*` standing for a sandbox or package name.
pub fn origins_of(crm: OrgCrm, name: &str) -> Vec<String> {
    match crm {
        OrgCrm::Dynamics => vec![name.to_owned()],
        OrgCrm::Salesforce => {
            let d = name;
            let mut v = vec![
                format!("https://{d}.my.salesforce.com"),
                format!("https://{d}.lightning.force.com"),
                format!("https://{d}--*.vf.force.com"),
                format!("https://{d}--*.sandbox.my.salesforce.com"),
                format!("https://{d}--*.sandbox.lightning.force.com"),
                format!("https://{d}--*--*.sandbox.vf.force.com"),
            ];
            for p in SALESFORCE_PARTITIONS {
                v.push(format!("https://{d}.{p}.my.salesforce.com"));
                v.push(format!("https://{d}.{p}.lightning.force.com"));
                v.push(format!("https://{d}--*.{p}.vf.force.com"));
            }
            v
        }
    }
}

impl OrgRegistration {
    /// The row to store for `customer_id` under `id`, registered now.
    pub fn to_stored(&self, id: String, customer_id: &str) -> StoredOrg {
        StoredOrg {
            id,
            customer_id: customer_id.to_owned(),
            crm: self.crm,
            org_key: self.key.as_str().to_owned(),
            name: self.name.clone(),
            org_id: self.org_id.clone(),
            created_at: chrono::Utc::now(),
        }
    }
}

/// A stored org as the API shows it, with the origins it allows.
pub fn to_wire(org: &StoredOrg) -> CrmOrg {
    CrmOrg {
        id: org.id.clone(),
        crm: org.crm,
        org: org.name.clone(),
        org_id: org.org_id.clone(),
        origins: origins_of(org.crm, &org.name),
        created_at: org.created_at.into(),
    }
}

/// Who owns which org, as the store says, through a bounded cache with a short life
/// ([`ORG_CACHE_TTL`], [`ORG_CACHE_MAX`]): CORS preflights and page loads do not each read the
/// store, and a change made elsewhere (another process's admin command) is seen within the TTL.
/// Changes through this process's API drop their entry at once ([`OrgRegistry::forget`]).
pub struct OrgRegistry {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<OrgKey, (Option<String>, Instant)>>,
    ttl: Duration,
    max: usize,
}

impl OrgRegistry {
    /// A registry over `store` with the default bounds ([`ORG_CACHE_TTL`], [`ORG_CACHE_MAX`]).
    pub fn new(store: Arc<dyn Store>) -> OrgRegistry {
        OrgRegistry::with_limits(store, ORG_CACHE_TTL, ORG_CACHE_MAX)
    }

    /// A registry trusting what it read for `ttl`, remembering at most `max` keys.
    pub fn with_limits(store: Arc<dyn Store>, ttl: Duration, max: usize) -> OrgRegistry {
        OrgRegistry {
            store,
            cache: Mutex::new(HashMap::new()),
            ttl,
            max: max.max(1),
        }
    }

    /// The customer the org of `key` is registered to, if any.
    pub async fn owner(&self, key: &OrgKey) -> StoreResult<Option<String>> {
        let now = Instant::now();
        let cached = self
            .lock()
            .get(key)
            .filter(|(_, at)| now.duration_since(*at) < self.ttl)
            .map(|(owner, _)| owner.clone());
        if let Some(owner) = cached {
            return Ok(owner);
        }
        let owner = self.store.org_owner(key.as_str()).await?;
        let mut cache = self.lock();
        if cache.len() >= self.max {
            cache.retain(|_, (_, at)| now.duration_since(*at) < self.ttl);
            if cache.len() >= self.max {
                cache.clear();
            }
        }
        cache.insert(key.clone(), (owner.clone(), now));
        Ok(owner)
    }

    /// The customer the org of `origin` is registered to, if the origin has an org's shape and it
    /// is registered. A store failure counts as "not registered" (the caller refuses).
    pub async fn owner_of_origin(&self, origin: &str) -> Option<String> {
        let key = key_of_origin(origin)?;
        match self.owner(&key).await {
            Ok(owner) => owner,
            Err(e) => {
                tracing::error!(error = %e, "reading registered CRM orgs");
                None
            }
        }
    }

    /// Forgets what the cache holds about `key` (after this process changed it).
    pub fn forget(&self, key: &OrgKey) {
        self.lock().remove(key);
    }

    /// How many keys the cache holds now.
    pub fn cached(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrgKey, (Option<String>, Instant)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sf(org: &str, org_id: Option<&str>) -> Result<OrgRegistration, OrgError> {
        parse_new_org(&NewCrmOrg {
            crm: OrgCrm::Salesforce,
            org: org.into(),
            org_id: org_id.map(Into::into),
        })
    }

    fn dy(org: &str) -> Result<OrgRegistration, OrgError> {
        parse_new_org(&NewCrmOrg {
            crm: OrgCrm::Dynamics,
            org: org.into(),
            org_id: None,
        })
    }

    #[test]
    fn every_origin_of_a_registered_salesforce_org_maps_back_to_it() {
        let acme = Some(OrgKey::salesforce("acme"));
        for origin in [
            "https://acme.my.salesforce.com",
            "https://acme.lightning.force.com",
            "https://acme--c.vf.force.com",
            "https://acme--ucclient.vf.force.com",
            "https://acme--uat.sandbox.my.salesforce.com",
            "https://acme--uat.sandbox.lightning.force.com",
            "https://acme--uat--c.sandbox.vf.force.com",
            "https://acme.develop.my.salesforce.com",
            "https://acme.develop.lightning.force.com",
            "https://acme--c.develop.vf.force.com",
            "https://acme.scratch.lightning.force.com",
        ] {
            assert_eq!(key_of_origin(origin), acme, "{origin}");
        }
        assert_eq!(
            key_of_origin("https://acme-dev-ed.develop.lightning.force.com"),
            Some(OrgKey::salesforce("acme-dev-ed"))
        );
        for other in [
            "http://acme.lightning.force.com",
            "https://acme.lightning.force.com:8443",
            "https://acme--c.lightning.force.com",
            "https://acme.vf.force.com",
            "https://acme--uat.sandbox.vf.force.com",
            "https://acme.sandbox.lightning.force.com",
            "https://acme.lightning.force.com.evil.example",
            "https://lightning.force.com",
            "https://acme.visualforce.com",
            "https://acme.example",
            "https://1acme.my.salesforce.com",
        ] {
            assert_eq!(key_of_origin(other), None, "{other}");
        }
        let origins = origins_of(OrgCrm::Salesforce, "acme");
        assert!(origins.contains(&"https://acme--*--*.sandbox.vf.force.com".to_owned()));
        for shape in origins {
            let concrete = shape.replace('*', "x");
            assert_eq!(key_of_origin(&concrete), acme, "{shape}");
        }
    }

    async fn store_with_demo() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::sqlite::SqliteStore::open(&dir.path().join("t.db"))
            .await
            .unwrap();
        crate::demo::seed(&store, "x").await.unwrap();
        (dir, Arc::new(store))
    }

    #[tokio::test]
    async fn the_registry_answers_from_its_cache_within_the_ttl_and_stays_bounded() {
        let (_dir, store) = store_with_demo().await;
        let acme = OrgKey::salesforce("acme");
        let long = OrgRegistry::with_limits(store.clone(), Duration::from_secs(3600), 3);
        let none = OrgRegistry::with_limits(store.clone(), Duration::ZERO, 3);
        assert_eq!(long.owner(&acme).await.unwrap().as_deref(), Some("acme"));
        assert_eq!(none.owner(&acme).await.unwrap().as_deref(), Some("acme"));
        // Removed behind the registries' backs (as another process would).
        assert!(
            store
                .remove_org(None, "acme-salesforce")
                .await
                .unwrap()
                .is_some()
        );
        // Within its TTL the cache answers without reading the store; without one, it reads.
        assert_eq!(long.owner(&acme).await.unwrap().as_deref(), Some("acme"));
        assert_eq!(none.owner(&acme).await.unwrap(), None);
        // This process's own change is seen at once.
        long.forget(&acme);
        assert_eq!(long.owner(&acme).await.unwrap(), None);
        // Never more than its bound, however many origins are asked about.
        for i in 0..10 {
            long.owner(&OrgKey::salesforce(&format!("probe{i}")))
                .await
                .unwrap();
            assert!(long.cached() <= 3, "{}", long.cached());
        }
    }

    #[test]
    fn dynamics_origins_are_one_org_each() {
        assert_eq!(
            key_of_origin("https://acme.crm4.dynamics.com"),
            Some(OrgKey::dynamics("acme.crm4.dynamics.com"))
        );
        assert_eq!(
            key_of_origin("https://acme.crm.dynamics.com"),
            Some(OrgKey::dynamics("acme.crm.dynamics.com"))
        );
        for other in [
            "https://acme.dynamics.com",
            "https://acme.crm4x.dynamics.com",
            "https://a.b.crm4.dynamics.com",
            "http://acme.crm4.dynamics.com",
        ] {
            assert_eq!(key_of_origin(other), None, "{other}");
        }
    }

    #[test]
    fn registrations_are_checked_and_made_canonical() {
        let r = sf("Acme", None).unwrap();
        assert_eq!(
            (r.name.as_str(), r.key.as_str()),
            ("acme", "salesforce:acme")
        );
        assert_eq!(
            sf(
                "https://acme--uat.sandbox.lightning.force.com/lightning/page/home",
                None
            )
            .unwrap()
            .name,
            "acme"
        );
        assert_eq!(
            sf("https://acme--uat.sandbox.lightning.force.com", None)
                .unwrap()
                .name,
            "acme"
        );
        for bad in [
            "",
            "a--b",
            "-a",
            "a-",
            "1acme",
            "ac me",
            "https://evil.example",
        ] {
            assert!(sf(bad, None).is_err(), "{bad}");
        }
        assert!(sf(&"a".repeat(64), None).is_err());
        // A known org id: 15 characters → the 18-character form; the 18-character form checks out.
        let id = sf("acme", Some("00D5g000004XyZa")).unwrap().org_id.unwrap();
        assert_eq!(id.len(), 18);
        assert_eq!(
            sf("acme", Some(&id)).unwrap().org_id.as_deref(),
            Some(id.as_str())
        );
        assert_eq!(
            salesforce_org_id("00D000000000062").unwrap(),
            "00D000000000062EAA"
        );
        let mut wrong = id.clone();
        wrong.replace_range(17.., if id.ends_with('A') { "B" } else { "A" });
        assert!(sf("acme", Some(&wrong)).is_err());
        for bad in ["005000000000062", "00D00000000006", "00D00000000006!"] {
            assert!(sf("acme", Some(bad)).is_err(), "{bad}");
        }

        let d = dy("https://Acme.crm4.dynamics.com/main.aspx?appid=1").unwrap();
        assert_eq!(d.name, "https://acme.crm4.dynamics.com");
        assert_eq!(d.key, OrgKey::dynamics("acme.crm4.dynamics.com"));
        assert_eq!(
            dy("acme.crm.dynamics.com").unwrap().name,
            "https://acme.crm.dynamics.com"
        );
        for bad in [
            "http://acme.crm4.dynamics.com",
            "https://acme.dynamics.com",
            "https://acme.lightning.force.com",
            "acme",
        ] {
            assert!(dy(bad).is_err(), "{bad}");
        }
        assert!(
            parse_new_org(&NewCrmOrg {
                crm: OrgCrm::Dynamics,
                org: "https://acme.crm4.dynamics.com".into(),
                org_id: Some("00D000000000062".into()),
            })
            .is_err()
        );
    }
}
