//! The administration page at `/admin`: the files `cargo xtask build-admin` writes to
//! `dist/admin/` (index.html, boot.js, admin.css, the wasm module and its glue), served from
//! `--admin-dir` — by default `admin/` beside `--static-dir` (the two are built side by side in
//! `dist/`), else `dist/admin` — with their precompressed `.br` / `.gz` copies.
//!
//! Every answer under `/admin` carries a strict Content-Security-Policy: scripts and the module
//! only from this backend (`'wasm-unsafe-eval'` compiles the module, nothing evaluates strings),
//! requests only to this backend, no inline script or style, and no framing at all (an
//! administrator's page has no reason to be embedded, and clickjacking it would be worth a lot).
//! The page keeps its token in sessionStorage and sends it only in headers; this module never
//! sees it.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;

/// The Content-Security-Policy of every answer under `/admin`.
pub const ADMIN_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     connect-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/// The directory served at `/admin`: `--admin-dir`, else `admin/` beside `--static-dir`, else
/// `dist/admin`.
pub fn dir(config: &Config) -> PathBuf {
    if let Some(dir) = &config.admin_dir {
        return dir.clone();
    }
    match config.static_dir.as_deref().and_then(Path::parent) {
        Some(parent) => parent.join("admin"),
        None => PathBuf::from("dist").join("admin"),
    }
}

/// The routes of `/admin`: the built page when its directory holds an `index.html` (looked at
/// once, at start-up), else a 404 that says how to build it.
pub fn router(config: &Config) -> Router {
    let dir = dir(config);
    let router = if dir.join("index.html").is_file() {
        let files = ServeDir::new(&dir)
            .append_index_html_on_directories(true)
            .precompressed_br()
            .precompressed_gzip();
        Router::new().nest_service("/admin", files)
    } else {
        tracing::info!(dir = %dir.display(), "no administration page there: /admin answers 404");
        Router::new()
            .route("/admin", get(not_built))
            .route("/admin/", get(not_built))
            .route("/admin/{*rest}", get(not_built))
    };
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(ADMIN_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // Revalidated on every load, so a new build is picked up at once (ServeDir answers 304).
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// `/admin` without a built page.
async fn not_built() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        "The administration page is not built on this server: run `cargo xtask build-admin` \
         (or give --admin-dir).\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_defaults_beside_the_widget() {
        let mut c = Config::with_database("x.db".into());
        assert_eq!(dir(&c), PathBuf::from("dist/admin"));
        c.static_dir = Some("/srv/dist/widget".into());
        assert_eq!(dir(&c), PathBuf::from("/srv/dist/admin"));
        c.admin_dir = Some("/srv/admin-page".into());
        assert_eq!(dir(&c), PathBuf::from("/srv/admin-page"));
    }
}
