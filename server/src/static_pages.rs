//! The Content-Security-Policy of the files served from `--static-dir` (the demo pages `/` and
//! `/panel.html`, and the widget's files): `frame-ancestors` only, so no other site can frame the
//! standalone panel (clickjacking a signed-in agent into dialling or changing presence). Allowed
//! framers: the page's own origin; the operator's `--cors-origin` entries that are valid CSP
//! sources (exact origins, `https://*.example.com`, `http://127.0.0.1:*`; other patterns cannot be
//! said in CSP and are left out); and, when the page is asked for on a loopback name, the other
//! loopback name on the same port (the demo's `/` frames its second agent from `localhost` when
//! opened on `127.0.0.1`, and the other way round). Registered CRM orgs are not among them: they
//! embed the hosted pages under `/crm/`, which carry their own policy naming the one org.
//! Scripts are not restricted here: the demo pages' inline scripts would need hashes kept in step
//! with `static/`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The `frame-ancestors` sources from the operator's list (each prefixed with a space).
pub fn operator_ancestors(list: &[String]) -> String {
    crate::cors::patterns(list)
        .iter()
        .filter(|p| is_csp_source(p))
        .map(|p| format!(" {p}"))
        .collect()
}

/// Whether a pattern is also a CSP host source: `http(s)://`, a host whose only `*` is a leading
/// `*.` label, and an optional `:port` or `:*`.
fn is_csp_source(p: &str) -> bool {
    let Some(rest) = p
        .strip_prefix("https://")
        .or_else(|| p.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
    let port_ok = port.is_none_or(|p| {
        p == "*" || (!p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()))
    });
    host_ok && port_ok
}

/// The other loopback name of a `Host` header on a loopback name (`127.0.0.1:8080` ↔
/// `localhost:8080`), as a source.
fn loopback_twin(host: Option<&HeaderValue>) -> Option<String> {
    let host = host?.to_str().ok()?;
    let (name, port) = host.split_once(':')?;
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let twin = match name {
        "127.0.0.1" => "localhost",
        "localhost" => "127.0.0.1",
        _ => return None,
    };
    Some(format!(" http://{twin}:{port}"))
}

/// Adds the `frame-ancestors` policy to a static file's answer; `operator` is
/// [`operator_ancestors`] of the configuration.
pub async fn frame_ancestors(
    State(operator): State<Arc<String>>,
    req: Request,
    next: Next,
) -> Response {
    let twin = loopback_twin(req.headers().get(header::HOST)).unwrap_or_default();
    let mut response = next.run(req).await;
    let policy = format!("frame-ancestors 'self'{operator}{twin}");
    if let Ok(v) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_patterns_csp_can_say_are_kept() {
        let list = [
            "http://127.0.0.1:8081",
            "https://*.example.com",
            "http://127.0.0.1:*",
            "https://*.crm*.dynamics.com",
            "https://a.example/path",
            "https://a.example; script-src *",
        ]
        .map(String::from);
        assert_eq!(
            operator_ancestors(&list),
            " http://127.0.0.1:8081 https://*.example.com http://127.0.0.1:*"
        );
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(
            loopback_twin(Some(&h("127.0.0.1:8080"))).as_deref(),
            Some(" http://localhost:8080")
        );
        assert_eq!(
            loopback_twin(Some(&h("localhost:9"))).as_deref(),
            Some(" http://127.0.0.1:9")
        );
        assert_eq!(loopback_twin(Some(&h("evil.example:80"))), None);
        assert_eq!(loopback_twin(Some(&h("localhost"))), None);
    }
}
