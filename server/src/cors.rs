//! CORS: an origin may call the API from a browser when the operator lists it (`--cors-origin`)
//! or when it is an origin of a CRM org some customer registered (`crate::orgs`). The operator's
//! patterns are exact origins or contain `*`, which matches any run of letters, digits, dots and
//! hyphens inside the host (e.g. `http://127.0.0.1:*` for local test hosts). CRM origins are not
//! allowed by pattern any more: a Salesforce or Dynamics 365 origin passes only once its org is
//! registered, looked up through the registry's bounded, short-lived cache (never a store read per
//! preflight).
//!
//! With nothing listed and nothing registered, no CORS headers are sent (same-origin use only).

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::orgs::OrgRegistry;

/// Whether `origin` matches `pattern`.
pub fn matches(pattern: &str, origin: &str) -> bool {
    fn go(p: &[u8], o: &[u8]) -> bool {
        match p.split_first() {
            None => o.is_empty(),
            Some((b'*', rest)) => {
                let mut i = 0;
                loop {
                    if go(rest, &o[i..]) {
                        return true;
                    }
                    match o.get(i) {
                        Some(c) if c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.' => i += 1,
                        _ => return false,
                    }
                }
            }
            Some((c, rest)) => {
                o.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &o[1..])
            }
        }
    }
    origin.len() <= 256 && go(pattern.trim().as_bytes(), origin.as_bytes())
}

/// The operator's patterns, trimmed, empty ones dropped.
pub fn patterns(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|p| p.trim().trim_end_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether the operator's `patterns` (already [`patterns`]-cleaned) allow `origin`.
pub fn listed(patterns: &[String], origin: &str) -> bool {
    patterns.iter().any(|p| matches(p, origin))
}

/// The CORS layer: the operator's patterns, then the registered CRM orgs.
pub fn layer(list: &[String], orgs: Arc<OrgRegistry>) -> CorsLayer {
    let patterns = Arc::new(patterns(list));
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(
            move |origin: HeaderValue, _parts| {
                let patterns = patterns.clone();
                let orgs = orgs.clone();
                async move {
                    let Ok(origin) = origin.to_str() else {
                        return false;
                    };
                    listed(&patterns, origin) || orgs.owner_of_origin(origin).await.is_some()
                }
            },
        ))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("last-event-id"),
            HeaderName::from_static(crate::idempotency::HEADER),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static(crate::idempotency::REPLAYED),
        ])
        .max_age(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn crm_origin_patterns() {
        let sf = "https://*.lightning.force.com";
        assert!(matches(sf, "https://acme.lightning.force.com"));
        assert!(matches(
            sf,
            "https://acme-dev-ed.sandbox.lightning.force.com"
        ));
        assert!(!matches(sf, "https://lightning.force.com.evil.example"));
        assert!(!matches(sf, "http://acme.lightning.force.com"));
        assert!(!matches(sf, "https://evil.example/x.lightning.force.com"));
        let d = "https://*.crm*.dynamics.com";
        assert!(matches(d, "https://org1.crm4.dynamics.com"));
        assert!(matches(d, "https://org1.crm.dynamics.com"));
        assert!(!matches(d, "https://org1.dynamics.com"));
        assert!(matches("https://a.example", "https://a.example"));
        assert!(!matches("https://a.example", "https://b.example"));
    }
}
