//! The PostgreSQL engine's accounts, limits, orgs, single sign-on and Salesforce Voice (issue 16)
//! against SQLite's: the same calls on the same rows give the same answers on both engines, and
//! on PostgreSQL the counters shared by several nodes count every hit and the single-use takes
//! and claims have exactly one winner when callers race on separate connections.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use ucclient_core::api::OrgCrm;
use ucclient_server::store::engine::Engine;
use ucclient_server::store::prelude::*;
use ucclient_server::store::{
    AddOrg, PutSso, SsoAttempt, SsoKey, StoredOrg, StoredSso, VoiceKey, VoiceSettings,
};

/// Two customers of one reseller, their users (one deactivated), a group, permissions, devices and
/// a call.
const SEED: &[&str] = &[
    "INSERT INTO resellers (id, name, mode, extension_lists_enabled, colour_available) VALUES ('r1', 'R', 'active', TRUE, '#112233')",
    "INSERT INTO customers (id, reseller_id, name, default_country, log_internal_calls) VALUES ('c1', 'r1', 'C1', 'DE', TRUE)",
    "INSERT INTO customers (id, reseller_id, name) VALUES ('c2', 'r1', 'C2')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash, role) VALUES ('u1', 'c1', 'bob', 'Bob@Example.com', '101', 'h1', 'customer_admin')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u2', 'c1', 'Alice', 'alice@example.com', '250', 'h2')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u3', 'c1', 'al_ice%', 'x@example.com', '9a', 'h3')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash, active) VALUES ('u4', 'c1', 'Zed', 'zed@example.com', '102', 'h4', FALSE)",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u5', 'c2', 'Other', 'other@example.com', '101', 'h5')",
    "INSERT INTO hunt_groups (id, customer_id, name, extension) VALUES ('g1', 'c1', 'G', '300')",
    "INSERT INTO permissions (user_id, permission) VALUES ('u1', 'b'), ('u1', 'B'), ('u1', 'a_x'), ('u1', 'a')",
    "INSERT INTO devices (id, user_id, kind, label, number, position) VALUES ('d2', 'u1', 'mobile', 'M', '+351910000000', 1), ('d1', 'u1', 'desk', 'D', '101', 1), ('d0', 'u1', 'softphone', 'S', '101', 0)",
    "INSERT INTO calls (id, user_id, customer_id, direction, from_number, to_number, state, started_at) VALUES ('k1', 'u1', 'c1', 'inbound', '+1', '101', 'ended', '2026-01-01T00:00:00+00:00')",
];

/// A fresh database of either engine with [`SEED`]'s rows (and the temporary directory of a
/// SQLite file).
async fn open(pg: bool) -> (Engine, std::path::PathBuf, Option<tempfile::TempDir>) {
    common::open_seeded(pg, SEED).await
}

/// The one number `sql` selects.
async fn count(engine: &Engine, sql: &str) -> i64 {
    match engine {
        Engine::Sqlite(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
        Engine::Postgres(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
    }
}

/// Single sign-on settings of `customer` allowing `domains`.
fn sso(customer: &str, domains: &[&str]) -> StoredSso {
    StoredSso {
        customer_id: customer.into(),
        customer_name: String::new(),
        enabled: true,
        issuer: "https://idp".into(),
        client_id: "cid".into(),
        client_secret: None,
        allowed_domains: domains.iter().map(|d| d.to_string()).collect(),
        user_claim: "email".into(),
        password_login: false,
        jit: true,
        client_auth: ucclient_core::api::SsoClientAuth::PrivateKeyJwt,
    }
}

/// Every method of the five traits, in one order, each call and its answer as text.
async fn scenario(engine: &Engine) -> Vec<String> {
    let s = engine.store();
    let mut out = Vec::new();
    macro_rules! log {
        ($e:expr) => {
            out.push(format!("{} = {:?}", stringify!($e), $e));
        };
    }
    log!(s.login_lookup("bob@example.COM").await.unwrap());
    log!(s.login_lookup("zed@example.com").await.unwrap());
    log!(s.login_lookup("nobody@example.com").await.unwrap());
    log!(s.account("u1").await.unwrap().map(|a| format!("{a:?}")));
    log!(s.account("nope").await.unwrap().map(|a| format!("{a:?}")));
    log!(s.create_session("t1", "u1", i64::MAX).await.unwrap());
    log!(s.create_session("t0", "u1", 1).await.unwrap());
    log!(s.create_session("t4", "u4", i64::MAX).await.unwrap());
    log!(s.create_session("tx", "u1", 2).await.unwrap()); // sweeps t0
    log!(s.session_expiry("t0").await.unwrap());
    log!(s.session_expiry("t1").await.unwrap());
    log!(s.session_user("t1", 5).await.unwrap());
    log!(s.session_user("t4", 5).await.unwrap());
    log!(s.session_user("tx", 5).await.unwrap());
    log!(s.revoke_session("t1").await.unwrap());
    log!(s.revoke_session("t1").await.unwrap());
    log!(
        count(
            engine,
            "SELECT COUNT(*) FROM events WHERE customer_id = 'c1'"
        )
        .await
    );
    log!(s.devices("u1").await.unwrap());
    log!(s.devices("u2").await.unwrap());
    log!(s.customer_users("c1", None, 10).await.unwrap());
    log!(s.customer_users("c1", Some("ALI"), 10).await.unwrap());
    log!(s.customer_users("c1", Some("_"), 10).await.unwrap());
    log!(s.customer_users("c1", Some("%"), 10).await.unwrap());
    log!(s.customer_users("c1", Some("10"), 10).await.unwrap());
    log!(s.customer_users("c1", None, 2).await.unwrap());
    log!(s.customer_user("c1", "u1").await.unwrap());
    log!(s.customer_user("c2", "u1").await.unwrap());
    log!(s.user_by_extension("c1", "101").await.unwrap());
    log!(s.user_by_extension("c2", "101").await.unwrap());
    log!(s.user_by_extension("c2", "102").await.unwrap());
    log!(s.create_ticket("k", "u1", "t1", 100).await.unwrap());
    log!(s.take_ticket("k", 50).await.unwrap());
    log!(s.take_ticket("k", 50).await.unwrap());
    log!(s.create_ticket("k2", "u1", "t1", 100).await.unwrap());
    log!(s.take_ticket("k2", 100).await.unwrap());
    log!(s.take_ticket("k2", 10).await.unwrap());

    // limits
    log!(s.peek_rate_limit("a").await.unwrap());
    log!(s.hit_rate_limit("a", 1000, 10_000).await.unwrap());
    log!(s.hit_rate_limit("a", 1000, 10_500).await.unwrap());
    log!(s.hit_rate_limit("a", 1000, 10_999).await.unwrap());
    log!(s.hit_rate_limit("a", 1000, 11_000).await.unwrap());
    log!(s.hit_rate_limit("a", 0, 11_000).await.unwrap());
    log!(s.peek_rate_limit("a").await.unwrap());
    log!(s.note_failure("f", 1000, 10_000).await.unwrap());
    log!(s.note_failure("f", 1000, 10_900).await.unwrap());
    log!(s.note_failure("f", 1000, 11_800).await.unwrap());
    log!(s.note_failure("f", 1000, 12_800).await.unwrap());
    log!(s.peek_rate_limit("f").await.unwrap());
    log!(s.clear_rate_limit("f").await.unwrap());
    log!(s.peek_rate_limit("f").await.unwrap());

    // orgs
    let org = |id: &str, c: &str, key: &str, org_id: Option<&str>, secs: i64| StoredOrg {
        id: id.into(),
        customer_id: c.into(),
        crm: if org_id.is_some() {
            OrgCrm::Salesforce
        } else {
            OrgCrm::Dynamics
        },
        org_key: key.into(),
        name: key.into(),
        org_id: org_id.map(str::to_owned),
        created_at: Utc.timestamp_millis_opt(secs).unwrap(),
    };
    log!(
        s.add_org(&org("o1", "c1", "k1", Some("00D1"), 2_000_123), 2)
            .await
            .unwrap()
    );
    log!(
        s.add_org(&org("o2", "c1", "k2", None, 1_000_000), 2)
            .await
            .unwrap()
    );
    log!(
        s.add_org(&org("o3", "c1", "k3", None, 1_000_000), 2)
            .await
            .unwrap()
    );
    log!(
        s.add_org(&org("o4", "c2", "k1", None, 1_000_000), 2)
            .await
            .unwrap()
    );
    log!(
        s.add_org(&org("o5", "c2", "k5", Some("00D1"), 1_000_000), 2)
            .await
            .unwrap()
    );
    log!(
        s.add_org(&org("o6", "cX", "k6", None, 1_000_000), 2)
            .await
            .unwrap()
    );
    log!(
        s.add_org(&org("o7", "c2", "k7", None, 1_000_000), 2)
            .await
            .unwrap()
    );
    log!(
        s.orgs(None)
            .await
            .unwrap()
            .iter()
            .map(|o| format!(
                "{} {} {:?} {} {} {:?} {}",
                o.id, o.customer_id, o.crm, o.org_key, o.name, o.org_id, o.created_at
            ))
            .collect::<Vec<_>>()
    );
    log!(s.orgs(Some("c2")).await.unwrap().len());
    log!(s.org_owner("k1").await.unwrap());
    log!(s.org_owner("k9").await.unwrap());
    log!(s.remove_org(Some("c2"), "o1").await.unwrap());
    log!(s.remove_org(Some("c1"), "o1").await.unwrap());
    log!(s.remove_org(None, "o7").await.unwrap());
    log!(s.orgs(None).await.unwrap().len());

    // sso
    let show = |x: Option<StoredSso>| {
        x.map(|s| {
            format!(
                "{} {} {} {} {} {:?} {:?} {} {} {} {:?}",
                s.customer_id,
                s.customer_name,
                s.enabled,
                s.issuer,
                s.client_id,
                s.client_secret,
                s.allowed_domains,
                s.user_claim,
                s.password_login,
                s.jit,
                s.client_auth
            )
        })
    };
    log!(show(s.sso_settings("c1").await.unwrap()));
    log!(s.put_sso_settings(&sso("cX", &[]), None).await.unwrap());
    log!(
        s.put_sso_settings(
            &sso("c1", &["b.com", "a.com", "Z.com"]),
            Some(&Some("sec".into()))
        )
        .await
        .unwrap()
    );
    log!(show(s.sso_settings("c1").await.unwrap()));
    log!(
        s.put_sso_settings(&sso("c1", &["b.com", "a.com"]), None)
            .await
            .unwrap()
    );
    log!(show(s.sso_settings("c1").await.unwrap()));
    log!(
        s.put_sso_settings(&sso("c2", &["x.com", "B.COM"]), None)
            .await
            .unwrap()
    );
    log!(show(s.sso_settings("c2").await.unwrap()));
    log!(
        s.put_sso_settings(&sso("c1", &["a.com"]), Some(&None))
            .await
            .unwrap()
    );
    log!(show(s.sso_settings("c1").await.unwrap()));
    log!(s.sso_customer_by_domain("A.com").await.unwrap());
    log!(s.sso_customer_by_domain("b.com").await.unwrap());
    log!(
        s.sso_key("c1")
            .await
            .unwrap()
            .map(|k| (k.kid, k.private_key_pem, k.created_ms))
    );
    let key = |kid: &str| SsoKey {
        kid: kid.into(),
        private_key_pem: "pem".into(),
        created_ms: 7,
    };
    log!(s.set_sso_key("c1", &key("k1")).await.unwrap());
    log!(s.set_sso_key("c1", &key("k2")).await.unwrap());
    log!(
        s.sso_key("c1")
            .await
            .unwrap()
            .map(|k| (k.kid, k.private_key_pem, k.created_ms))
    );
    let attempt = |h: &str, exp: i64| SsoAttempt {
        state_hash: h.into(),
        customer_id: "c1".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        redirect_uri: "r".into(),
        opener_origin: "o".into(),
        expires_at_ms: exp,
    };
    let show_a = |a: Option<SsoAttempt>| {
        a.map(|a| {
            format!(
                "{} {} {} {} {} {} {}",
                a.state_hash,
                a.customer_id,
                a.nonce,
                a.pkce_verifier,
                a.redirect_uri,
                a.opener_origin,
                a.expires_at_ms
            )
        })
    };
    log!(s.create_sso_attempt(&attempt("s1", 100), 0).await.unwrap());
    log!(s.create_sso_attempt(&attempt("s2", 100), 0).await.unwrap());
    log!(
        s.create_sso_attempt(&attempt("s3", 500), 100)
            .await
            .unwrap()
    ); // sweeps s1, s2
    log!(show_a(s.take_sso_attempt("s1", 0).await.unwrap()));
    log!(show_a(s.take_sso_attempt("s3", 499).await.unwrap()));
    log!(show_a(s.take_sso_attempt("s3", 0).await.unwrap()));
    log!(s.sso_user("c1", "ALICE@example.com").await.unwrap());
    log!(s.sso_user("c1", "zed@example.com").await.unwrap());
    log!(s.sso_user("c2", "alice@example.com").await.unwrap());
    let new = s
        .create_sso_user("c1", "New", "new@example.com")
        .await
        .unwrap();
    log!(s.customer_user("c1", &new).await.unwrap().map(|(u, p)| (
        u.name,
        u.email,
        u.extension,
        p
    )));
    log!(
        count(
            engine,
            &format!(
                "SELECT COUNT(*) FROM presence WHERE user_id = '{new}' AND profile = 'available'"
            )
        )
        .await
    );
    log!(
        s.create_sso_user("c2", "Dup", "NEW@example.com")
            .await
            .map_err(|e| matches!(e, ucclient_server::store::StoreError::Conflict(_)))
    );
    let other = s
        .create_sso_user("c2", "N2", "n2@example.com")
        .await
        .unwrap();
    log!(
        s.customer_user("c2", &other)
            .await
            .unwrap()
            .map(|(u, _)| u.extension)
    );

    // voice
    let settings = |c: &str, phone: Option<&str>| VoiceSettings {
        customer_id: c.into(),
        scrt_base_url: "https://scrt".into(),
        call_center_api_name: "cc".into(),
        org_id: "00D".into(),
        phone_number: phone.map(str::to_owned),
    };
    let show_v = |v: Option<VoiceSettings>| {
        v.map(|v| {
            format!(
                "{} {} {} {} {:?}",
                v.customer_id, v.scrt_base_url, v.call_center_api_name, v.org_id, v.phone_number
            )
        })
    };
    log!(show_v(s.voice_settings("c1").await.unwrap()));
    log!(
        s.set_voice_settings(&settings("cX", None), 1)
            .await
            .unwrap()
    );
    log!(
        s.set_voice_settings(&settings("c1", None), 1)
            .await
            .unwrap()
    );
    log!(
        s.set_voice_settings(&settings("c1", Some("+1")), 2)
            .await
            .unwrap()
    );
    log!(show_v(s.voice_settings("c1").await.unwrap()));
    log!(s.clear_voice_settings("c1").await.unwrap());
    log!(s.clear_voice_settings("c1").await.unwrap());
    let vkey = |p: &str| VoiceKey {
        private_key_pem: p.into(),
        certificate_pem: "cert".into(),
        created_ms: 3,
    };
    let show_k =
        |k: Option<VoiceKey>| k.map(|k| (k.private_key_pem, k.certificate_pem, k.created_ms));
    log!(show_k(s.voice_key("c1").await.unwrap()));
    log!(s.set_voice_key("cX", &vkey("p0"), true).await.unwrap());
    log!(s.set_voice_key("c1", &vkey("p1"), false).await.unwrap());
    log!(s.set_voice_key("c1", &vkey("p2"), false).await.unwrap());
    log!(show_k(s.voice_key("c1").await.unwrap()));
    log!(s.set_voice_key("c1", &vkey("p3"), true).await.unwrap());
    log!(show_k(s.voice_key("c1").await.unwrap()));
    log!(s.voice_call_id("k1").await.unwrap());
    log!(s.claim_voice_call_end("k1").await.unwrap());
    log!(s.set_voice_call_id("k1", "c1", "0LQ1", 5).await.unwrap());
    log!(s.set_voice_call_id("k1", "c1", "0LQ2", 6).await.unwrap());
    log!(s.voice_call_id("k1").await.unwrap());
    log!(s.claim_voice_call_end("k1").await.unwrap());
    log!(s.claim_voice_call_end("k1").await.unwrap());
    out
}

#[tokio::test]
async fn postgres_answers_like_sqlite() {
    let (lite, _, _dir) = open(false).await;
    let (pg, _, _) = open(true).await;
    let a = scenario(&lite).await;
    let b = scenario(&pg).await;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
    for x in &a {
        println!("{x}");
    }
}

#[tokio::test]
async fn races_on_postgres_have_one_winner_and_count_every_hit() {
    let (pg, url, _) = open(true).await;
    // Two "nodes": two pools on one database, the racing callers alternating between them.
    let other = Engine::open(&url, Duration::from_secs(10)).await.unwrap();
    let nodes: [Arc<dyn Store>; 2] = [pg.store(), other.store()];
    let s = &nodes[0];
    let n = 40_usize;
    let hits = futures::future::join_all((0..n).map(|i| {
        let s = nodes[i % 2].clone();
        async move { s.hit_rate_limit("k", 60_000, 1_000).await.unwrap().0 }
    }))
    .await;
    let mut sorted = hits.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=n as i64).collect::<Vec<i64>>());
    let fails = futures::future::join_all((0..n).map(|i| {
        let s = nodes[i % 2].clone();
        async move { s.note_failure("f", 60_000, 1_000).await.unwrap() }
    }))
    .await;
    assert_eq!(fails.iter().max(), Some(&(n as i64)));

    s.create_ticket("t", "u1", "x", i64::MAX).await.unwrap();
    let taken = futures::future::join_all((0..10).map(|i| {
        let s = nodes[i % 2].clone();
        async move { s.take_ticket("t", 0).await.unwrap() }
    }))
    .await;
    assert_eq!(taken.iter().filter(|t| t.is_some()).count(), 1);

    s.set_voice_call_id("k1", "c1", "v", 0).await.unwrap();
    let claims = futures::future::join_all((0..10).map(|i| {
        let s = nodes[i % 2].clone();
        async move { s.claim_voice_call_end("k1").await.unwrap() }
    }))
    .await;
    assert_eq!(claims.iter().filter(|t| t.is_some()).count(), 1);

    s.create_session("sess", "u1", i64::MAX).await.unwrap();
    let revoked = futures::future::join_all((0..10).map(|i| {
        let s = nodes[i % 2].clone();
        async move { s.revoke_session("sess").await.unwrap() }
    }))
    .await;
    assert_eq!(revoked.iter().filter(|t| t.is_some()).count(), 1);
    assert_eq!(count(&pg, "SELECT COUNT(*) FROM events").await, 1);

    let added = futures::future::join_all((0..10).map(|i| {
        let s = nodes[i % 2].clone();
        async move {
            s.add_org(
                &StoredOrg {
                    id: format!("o{i}"),
                    customer_id: "c1".into(),
                    crm: OrgCrm::Dynamics,
                    org_key: format!("k{i}"),
                    name: "n".into(),
                    org_id: None,
                    created_at: Utc::now(),
                },
                3,
            )
            .await
            .unwrap()
        }
    }))
    .await;
    assert_eq!(added.iter().filter(|a| **a == AddOrg::Added).count(), 3);
    assert_eq!(added.iter().filter(|a| **a == AddOrg::TooMany).count(), 7);
    let same_key =
        futures::future::join_all(["c1", "c2", "c2"].iter().enumerate().map(|(i, c)| {
            let s = nodes[i % 2].clone();
            async move {
                s.add_org(
                    &StoredOrg {
                        id: format!("same{i}"),
                        customer_id: c.to_string(),
                        crm: OrgCrm::Dynamics,
                        org_key: "shared".into(),
                        name: "n".into(),
                        org_id: None,
                        created_at: Utc::now(),
                    },
                    30,
                )
                .await
                .unwrap()
            }
        }))
        .await;
    assert_eq!(
        same_key.iter().filter(|a| **a == AddOrg::Added).count(),
        1,
        "{same_key:?}"
    );

    let puts = futures::future::join_all(["c1", "c2"].iter().enumerate().map(|(i, c)| {
        let s = nodes[i % 2].clone();
        async move {
            s.put_sso_settings(&sso(c, &["same.com"]), None)
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(
        puts.iter().filter(|p| **p == PutSso::Done).count(),
        1,
        "{puts:?}"
    );

    let users = futures::future::join_all((0..5).map(|i| {
        let s = nodes[i % 2].clone();
        async move {
            s.create_sso_user("c1", "n", &format!("sso{i}@example.com"))
                .await
                .unwrap()
        }
    }))
    .await;
    let mut exts = Vec::new();
    for u in users {
        exts.push(
            s.customer_user("c1", &u)
                .await
                .unwrap()
                .unwrap()
                .0
                .extension,
        );
    }
    exts.sort();
    assert_eq!(exts, ["301", "302", "303", "304", "305"]);
}
