//! CORS from the configured allow-list. Patterns are exact origins or contain `*`, which matches
//! any run of letters, digits, dots and hyphens inside the host, e.g.:
//!
//! - Salesforce: `https://*.lightning.force.com`, `https://*.my.salesforce.com`,
//!   `https://*.visualforce.com` (the Open CTI softphone iframe);
//! - Dynamics 365: `https://*.crm*.dynamics.com` (`crm`, `crm4`, `crm11`, …).
//!
//! With no pattern, no CORS headers are sent (same-origin use only).

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

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

/// The CORS layer for these patterns, or `None` when there are none.
pub fn layer(patterns: &[String]) -> Option<CorsLayer> {
    let patterns: Vec<String> = patterns
        .iter()
        .map(|p| p.trim().trim_end_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if patterns.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
                origin
                    .to_str()
                    .is_ok_and(|o| patterns.iter().any(|p| matches(p, o)))
            }))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT_LANGUAGE,
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([header::RETRY_AFTER])
            .max_age(Duration::from_secs(3600)),
    )
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
