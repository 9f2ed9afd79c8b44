//! What every form checks before it sends anything: pure functions over the typed text, each
//! answering the sentence the form shows next to its fields. The server checks everything again;
//! these only spare the administrator a round trip for the obvious mistakes.

use ucclient_core::ProfileId;
use ucclient_core::api::{Disposition, WrapUpSettings};
use ucclient_core::crm_presence::{CrmPresenceMap, CrmStatusRule};
use ucclient_core::{phone, wrapup};

use crate::api::sentence;

/// Longest name accepted (users, groups, customers), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest email address, in bytes (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Fewest characters of a password set here.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in bytes (the server's limit).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// A trimmed, non-empty name of at most [`MAX_NAME_CHARS`] characters without control characters.
pub fn name(what: &str, text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("Give the {what}."));
    }
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "The {what} is longer than {MAX_NAME_CHARS} characters."
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(format!("The {what} has control characters."));
    }
    Ok(t.to_owned())
}

/// An email address, trimmed and lower-cased: one `@`, something before it, a dotted domain after.
pub fn email(text: &str) -> Result<String, String> {
    let t = text.trim().to_lowercase();
    let bad = || Err(format!("{t:?} is not an email address."));
    if t.is_empty() {
        return Err("Give the email address.".to_owned());
    }
    if t.len() > MAX_EMAIL_LEN || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    let Some((local, domain)) = t.split_once('@') else {
        return bad();
    };
    let domain_ok = domain_name(domain);
    if local.is_empty() || !domain_ok {
        return bad();
    }
    Ok(t)
}

/// A domain name: dotted labels of letters, digits and `-`.
fn domain_name(d: &str) -> bool {
    d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// An internal extension, as core reads one (2 to 6 digits).
pub fn extension(text: &str) -> Result<String, String> {
    phone::as_extension(text)
        .map(str::to_owned)
        .ok_or_else(|| "An extension is 2 to 6 digits.".to_owned())
}

/// An optional extension: empty is none.
pub fn optional_extension(text: &str) -> Result<Option<String>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        extension(text).map(Some)
    }
}

/// A new password: [`MIN_PASSWORD_CHARS`] characters at least, [`MAX_PASSWORD_LEN`] bytes at most.
pub fn password(text: &str) -> Result<String, String> {
    if text.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "A password has at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    if text.len() > MAX_PASSWORD_LEN {
        return Err(format!("A password has at most {MAX_PASSWORD_LEN} bytes."));
    }
    Ok(text.to_owned())
}

/// An optional first password: empty means an invited user.
pub fn optional_password(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        Ok(None)
    } else {
        password(text).map(Some)
    }
}

/// A two-letter country code (ISO 3166-1 alpha-2), upper-cased.
pub fn country(text: &str) -> Result<String, String> {
    let t = text.trim().to_uppercase();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(t)
    } else {
        Err("A country is two letters (PT, BR, …).".to_owned())
    }
}

/// The after-call work settings, by core's own rules ([`wrapup::check_dispositions`],
/// [`wrapup::check_seconds`]), each row trimmed.
pub fn wrap_up(rows: &[(String, String)], seconds: &str) -> Result<WrapUpSettings, String> {
    let dispositions: Vec<Disposition> = rows
        .iter()
        .map(|(code, label)| Disposition {
            code: code.trim().to_owned(),
            label: label.trim().to_owned(),
        })
        .collect();
    if let Some(d) = dispositions.iter().find(|d| !wrapup::is_code(&d.code)) {
        return Err(format!(
            "{:?} is not a code: 1 to {} of a-z, 0-9 and _.",
            d.code,
            wrapup::MAX_CODE_LEN
        ));
    }
    wrapup::check_dispositions(&dispositions).map_err(|e| sentence(&e.to_string()))?;
    let seconds: u32 = seconds.trim().parse().map_err(|_| {
        format!(
            "The wrap-up time is a whole number of seconds ({} to {}).",
            wrapup::MIN_WRAP_UP_SECONDS,
            wrapup::MAX_WRAP_UP_SECONDS
        )
    })?;
    wrapup::check_seconds(seconds).map_err(|e| sentence(&e.to_string()))?;
    Ok(WrapUpSettings {
        dispositions,
        seconds,
    })
}

/// An identity provider's issuer: an `https://` URL (`http://` only on a loopback name, for
/// testing), without query or fragment.
pub fn issuer(text: &str) -> Result<String, String> {
    let t = text.trim().trim_end_matches('/');
    let rest = t.strip_prefix("https://").or_else(|| {
        t.strip_prefix("http://").filter(|r| {
            let host = r.split(['/', ':']).next().unwrap_or_default();
            host == "localhost" || host == "127.0.0.1"
        })
    });
    match rest {
        Some(r) if !r.is_empty() && !r.contains(['?', '#', ' ']) => Ok(t.to_owned()),
        _ => Err("The issuer is an https:// URL.".to_owned()),
    }
}

/// Allowed email domains, one per line or separated by commas; at least one.
pub fn domains(text: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = text
        .split([',', '\n', ' '])
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if list.is_empty() {
        return Err("Give at least one allowed email domain.".to_owned());
    }
    if let Some(bad) = list.iter().find(|d| !domain_name(d)) {
        return Err(format!("{bad:?} is not a domain name."));
    }
    Ok(list)
}

// --- presence-server: the customer's CRM presence map (issue 14) ---

/// The CRM presence map from the two tables' typed rows (status name, profile id), checked by
/// core's own rules ([`CrmPresenceMap::check`]) and trimmed.
pub fn crm_presence(
    enabled: bool,
    salesforce: &[(String, String)],
    dynamics: &[(String, String)],
) -> Result<CrmPresenceMap, String> {
    let rules = |rows: &[(String, String)]| -> Result<Vec<CrmStatusRule>, String> {
        rows.iter()
            .map(|(status, profile)| {
                Ok(CrmStatusRule {
                    status: status.clone(),
                    profile: ProfileId::parse(profile)
                        .ok_or_else(|| "Pick a profile for every status.".to_owned())?,
                })
            })
            .collect()
    };
    let map = CrmPresenceMap {
        enabled,
        salesforce: rules(salesforce)?,
        dynamics: rules(dynamics)?,
    };
    map.check().map_err(|e| sentence(&e.to_string()))?;
    Ok(map.trimmed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" Dan@Acme.Example ").unwrap(), "dan@acme.example");
        for bad in [
            "",
            "dan",
            "dan@",
            "@acme.example",
            "dan@acme",
            "d an@acme.example",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_extensions_passwords_countries() {
        assert_eq!(name("name", "  Dan  ").unwrap(), "Dan");
        assert_eq!(name("name", " ").unwrap_err(), "Give the name.");
        assert!(name("name", &"x".repeat(101)).is_err());
        assert_eq!(extension(" 104 ").unwrap(), "104");
        assert!(extension("1").is_err() && extension("1234567").is_err());
        assert_eq!(optional_extension("").unwrap(), None);
        assert!(password("short").is_err());
        assert_eq!(optional_password("").unwrap(), None);
        assert_eq!(country("pt").unwrap(), "PT");
        assert!(country("PRT").is_err());
    }

    #[test]
    fn wrap_up_follows_cores_rules() {
        let rows = vec![("connected".to_owned(), "Connected".to_owned())];
        assert_eq!(wrap_up(&rows, "60").unwrap().seconds, 60);
        assert!(wrap_up(&rows, "5").is_err());
        assert!(wrap_up(&rows, "sixty").is_err());
        assert!(wrap_up(&[], "60").is_err());
        let bad = vec![("Not A Code".to_owned(), "x".to_owned())];
        assert!(wrap_up(&bad, "60").unwrap_err().contains("is not a code"));
    }

    #[test]
    fn issuers_and_domains() {
        assert_eq!(
            issuer("https://idp.acme.example/").unwrap(),
            "https://idp.acme.example"
        );
        assert!(issuer("http://127.0.0.1:9000").is_ok());
        assert!(issuer("http://idp.acme.example").is_err());
        assert!(issuer("https://").is_err());
        assert_eq!(
            domains("acme.example, @Acme.PT").unwrap(),
            ["acme.example", "acme.pt"]
        );
        assert!(domains("  ").is_err());
        assert!(domains("acme").is_err());
    }

    #[test]
    fn crm_presence_follows_cores_rules() {
        let row = |s: &str, p: &str| (s.to_owned(), p.to_owned());
        let map = crm_presence(
            false,
            &[row(" Busy ", "in_a_meeting"), row("Online", "available")],
            &[row("Away", "away")],
        )
        .unwrap();
        assert!(!map.enabled);
        assert_eq!(map.salesforce[0].status, "Busy");
        assert_eq!(map.salesforce[0].profile, ProfileId::InAMeeting);
        assert_eq!(map.dynamics.len(), 1);
        assert_eq!(
            crm_presence(
                true,
                &[row("Busy", "in_a_meeting"), row("busy", "away")],
                &[]
            )
            .unwrap_err(),
            "The CRM status \"busy\" is mapped twice."
        );
        assert!(crm_presence(true, &[row(" ", "away")], &[]).is_err());
        assert_eq!(
            crm_presence(true, &[], &[row("Away", "")]).unwrap_err(),
            "Pick a profile for every status."
        );
    }
}
