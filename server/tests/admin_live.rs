//! The operator's commands take effect live: with the real server binary running on a database,
//! an admin command run as a separate process on the same file changes what users show and what
//! the PBX holds, and the change is announced on the event streams, with no further user action.
//! Everything is observed through the HTTP API only (SSE, `/pbx/users`, `/directory`, `/me`).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Received, Sse};
use serde_json::{Value, json};

/// How long a live consequence may take to show before a test fails (far above the sync worker's
/// and the event tail's poll intervals; a bound, not a measurement).
const DEADLINE: Duration = Duration::from_secs(30);

/// The real server binary (`demo`: the demo data, every user may read `/pbx/*`), killed on drop.
type Server = common::Binary;

impl Server {
    /// Runs an admin command as its own process on the server's database.
    fn admin(&self, args: &[&str]) {
        admin(&self.db, args);
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        answer(client().get(self.url(path)).bearer_auth(token)).await
    }

    async fn put(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        answer(client().put(self.url(path)).bearer_auth(token).json(&body)).await
    }

    /// `POST /events/ticket`: status and body.
    async fn post_ticket(&self, token: &str) -> (u16, Value) {
        answer(client().post(self.url("/events/ticket")).bearer_auth(token)).await
    }

    async fn pbx(&self, token: &str, user: &str) -> Value {
        let (status, body) = self.get(&format!("/pbx/users/{user}"), token).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// An event stream, past its first `snapshot`.
    async fn live(&self, token: &str) -> Sse {
        let mut sse = self.events(token, None).await;
        assert_eq!(sse.next().await.event, "snapshot");
        sse
    }

    /// Polls until the signed-in user's own presence shows `pbx_sync` = `want`.
    async fn wait_sync(&self, token: &str, want: &str) {
        let start = Instant::now();
        loop {
            let (_, me) = self.get("/me", token).await;
            if me["presence"]["pbx_sync"] == want {
                return;
            }
            assert!(start.elapsed() < DEADLINE, "never {want}: {me}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls until `check` holds for the user's PBX state (or fails at the deadline).
    async fn wait_pbx(&self, token: &str, user: &str, check: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let state = self.pbx(token, user).await;
            if check(&state) {
                return state;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "PBX state of {user} never matched: {state}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Sends a request: the status and the JSON body (`null` when there is none).
async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn admin(db: &Path, args: &[&str]) {
    admin_with_stdin(db, args, "");
}

/// Runs an admin command that reads `stdin` (a password).
fn admin_with_stdin(db: &Path, args: &[&str], stdin: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads `presence` events of `user` until one matches `done`; returns every event of that user
/// seen on the way (ids strictly increasing), the matching one last.
async fn presence_until(sse: &mut Sse, user: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut last_id = 0i64;
    loop {
        assert!(
            start.elapsed() < DEADLINE,
            "no matching presence of {user}; saw {seen:?}"
        );
        let Received { id, event, data } = sse.next().await;
        let id: i64 = id.parse().unwrap();
        assert!(id > last_id, "ids increase");
        last_id = id;
        if event != "presence" || data["user_id"] != user {
            continue;
        }
        let p = data["presence"].clone();
        seen.push(p.clone());
        if done(&p) {
            return seen;
        }
    }
}

fn sync_is(want: &'static str) -> impl Fn(&Value) -> bool {
    move |p: &Value| p["pbx_sync"] == want
}

#[tokio::test]
async fn switching_a_reseller_to_active_applies_every_users_profile_and_back_to_passive_releases_it()
 {
    let s = Server::demo(&[]);
    let dora = s.login("dora").await;
    let eli = s.login("eli").await;
    // Passive: Lunch is only visual; the PBX holds nothing.
    let (status, p) = s
        .put("/me/presence", &dora, json!({"profile": "lunch"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["pbx_sync"], "not_applicable");
    assert_eq!(s.pbx(&dora, "dora").await["dnd"], false);
    let mut stream = s.live(&eli).await;

    s.admin(&["reseller", "mode", "demo-passive", "active"]);

    // Announced without any user action: pending (the operator's commit), then applied (the
    // server's sync worker).
    let seen = presence_until(&mut stream, "dora", sync_is("applied")).await;
    assert_eq!(seen[0]["pbx_sync"], "pending", "{seen:?}");
    assert!(seen.iter().all(|p| p["profile"] == "lunch"), "{seen:?}");
    let pbx = s.pbx(&dora, "dora").await;
    assert_eq!(pbx["dnd"], true, "Lunch has DND on: {pbx}");
    assert_eq!(pbx["forwarding"]["enabled"], false);
    assert_eq!(pbx["find_me_follow_me"], Value::Null);
    // Eli, on Available, gets Available's state applied too.
    s.wait_sync(&eli, "applied").await;
    assert_eq!(s.pbx(&eli, "eli").await["dnd"], false);
    let (_, me) = s.get("/me", &dora).await;
    assert_eq!(me["mode"], "active");
    // Profile changes now drive the PBX as usual.
    let (status, _) = s
        .put("/me/presence", &dora, json!({"profile": "on_the_road"}))
        .await;
    assert_eq!(status, 200);
    s.wait_pbx(&dora, "dora", |p| p["dnd"] == false).await;
    s.put("/me/presence", &dora, json!({"profile": "lunch"}))
        .await;
    s.wait_pbx(&dora, "dora", |p| p["dnd"] == true).await;
    // Settings can be overridden now (409 in passive mode).
    let forward = json!({"dnd": false, "forwarding": {"enabled": true, "to": "+5511987654321"},
        "routing": {"ring": "all"}});
    let (status, _) = s.put("/me/profiles/lunch/settings", &dora, forward).await;
    assert_eq!(status, 200);
    s.wait_pbx(&dora, "dora", |p| p["forwarding"]["enabled"] == true)
        .await;

    s.admin(&["reseller", "mode", "demo-passive", "passive"]);

    // Passive again: the PBX is released (DND and forwarding off, every device rings) and is no
    // longer managed; the chosen profile stays.
    // (The stream also carries Dora's own changes above, first.)
    let seen = presence_until(&mut stream, "dora", sync_is("not_applicable")).await;
    let [.., before, last] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(before["pbx_sync"], "pending", "{seen:?}");
    assert_eq!(last["profile"], "lunch", "{seen:?}");
    let pbx = s.pbx(&dora, "dora").await;
    assert_eq!(pbx["dnd"], false, "{pbx}");
    assert_eq!(pbx["forwarding"]["enabled"], false, "{pbx}");
    assert_eq!(pbx["find_me_follow_me"], Value::Null);
    let (_, ring) = s.get("/pbx/ring?user=dora", &dora).await;
    assert_eq!(
        ring["devices"],
        json!(["dora-desk", "dora-mobile"]),
        "{ring}"
    );
    let (_, me) = s.get("/me", &dora).await;
    assert_eq!(me["mode"], "passive");
    assert_eq!(me["presence"]["profile"], "lunch");
    assert_eq!(me["presence"]["pbx_sync"], "not_applicable");
    // And profile changes no longer touch it.
    s.put("/me/presence", &dora, json!({"profile": "away"}))
        .await;
    assert_eq!(s.pbx(&dora, "dora").await["dnd"], false);
}

#[tokio::test]
async fn revoking_the_crm_licence_puts_the_user_on_available_at_once_and_granting_gives_it_back() {
    let s = Server::demo(&[]);
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let (status, _) = s
        .put("/me/presence", &bruno, json!({"profile": "in_a_meeting"}))
        .await;
    assert_eq!(status, 200);
    s.wait_sync(&bruno, "applied").await;
    assert_eq!(s.pbx(&ana, "bruno").await["dnd"], true);
    let mut stream = s.live(&ana).await;
    let mut his = s.events(&bruno, None).await;
    let opened = his.next().await;
    assert_eq!(opened.event, "snapshot");

    s.admin(&["user", "revoke", "bruno", "crm_client"]);

    // His own stream, open before, ends (after what was logged before the end: never the marker),
    // and a new one is refused; ana's goes on (below).
    let last = his.until_end(DEADLINE).await;
    assert!(last.iter().all(|r| r.event == "presence"), "{last:?}");
    let (status, body) = s.post_ticket(&bruno).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("client_not_licensed"))
    );

    // Everyone of the customer sees it: the licensed profile (Available), and in active mode the
    // PBX follows it (DND off).
    let seen = presence_until(&mut stream, "bruno", sync_is("applied")).await;
    assert_eq!(seen[0]["profile"], "available", "{seen:?}");
    assert_eq!(seen[0]["status"], "available");
    assert_eq!(seen[0]["colour"], "available");
    assert_eq!(s.pbx(&ana, "bruno").await["dnd"], false);
    let (_, dir) = s.get("/directory?q=bruno", &ana).await;
    assert_eq!(dir[0]["presence"]["profile"], "available", "{dir}");
    let (status, body) = s.get("/profiles", &bruno).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "client_not_licensed");

    s.admin(&["user", "grant", "bruno", "crm_client"]);

    // Licensed again: a usable profile (Available, with its PBX state), announced.
    let seen = presence_until(&mut stream, "bruno", sync_is("applied")).await;
    assert!(seen.iter().all(|p| p["profile"] == "available"), "{seen:?}");
    let (status, _) = s.get("/profiles", &bruno).await;
    assert_eq!(status, 200);
    // A stream opened now, even resuming from before the end, is not ended by that old end.
    let mut again = s.events(&bruno, Some(&opened.id)).await;
    let (status, p) = s
        .put("/me/presence", &bruno, json!({"profile": "lunch"}))
        .await;
    assert_eq!(status, 200, "{p}");
    s.wait_pbx(&ana, "bruno", |p| p["dnd"] == true).await;
    presence_until(&mut again, "bruno", |p| p["profile"] == "lunch").await;
}

#[tokio::test]
async fn a_new_password_or_deleting_the_user_ends_their_open_streams_only() {
    let s = Server::demo(&[]);
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut his = s.live(&bruno).await;
    let mut hers = s.live(&ana).await;

    admin_with_stdin(
        &s.db,
        &["user", "password", "bruno"],
        "a-new-long-password\n",
    );
    his.until_end(DEADLINE).await;
    // His sessions ended with it; ana's stream still carries changes.
    let (status, _) = s.post_ticket(&bruno).await;
    assert_eq!(status, 401);
    s.put("/me/presence", &ana, json!({"profile": "lunch"}))
        .await;
    presence_until(&mut hers, "ana", |p| p["profile"] == "lunch").await;

    s.admin(&["user", "delete", "ana"]);
    hers.until_end(DEADLINE).await;
}

#[tokio::test]
async fn revoking_in_passive_mode_is_announced_without_touching_the_pbx() {
    let s = Server::demo(&[]);
    let dora = s.login("dora").await;
    let eli = s.login("eli").await;
    s.put("/me/presence", &dora, json!({"profile": "on_holiday"}))
        .await;
    let mut stream = s.live(&eli).await;

    s.admin(&["user", "revoke", "dora", "crm_client"]);

    let seen = presence_until(&mut stream, "dora", |p| p["profile"] == "available").await;
    let last = seen.last().unwrap();
    assert_eq!(last["pbx_sync"], "not_applicable");
    assert_eq!(last["colour"], "available");
    let (_, dir) = s.get("/directory?q=dora", &eli).await;
    assert_eq!(dir[0]["presence"]["profile"], "available", "{dir}");
    assert_eq!(s.pbx(&eli, "dora").await["dnd"], false);
}

#[tokio::test]
async fn devices_added_or_removed_by_the_operator_reach_routing_and_the_extension_list() {
    let s = Server::demo(&[]);
    let ana = s.login("ana").await;
    // Ana customises On the road: desk, then mobile after 15 s — this creates her extension list.
    let road = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
        "routing": {"ring": "selected", "steps": [
            {"devices": ["ana-desk"], "after_seconds": 0},
            {"devices": ["ana-mobile"], "after_seconds": 15}]}});
    let (status, body) = s.put("/me/profiles/on_the_road/settings", &ana, road).await;
    assert_eq!(status, 200, "{body}");
    s.put("/me/presence", &ana, json!({"profile": "on_the_road"}))
        .await;
    s.wait_sync(&ana, "applied").await;
    let pbx = s.pbx(&ana, "ana").await;
    assert_eq!(
        pbx["extension_list"]["devices"],
        json!(["ana-desk", "ana-mobile"]),
        "{pbx}"
    );
    let mut stream = s.live(&ana).await;

    s.admin(&["device", "remove", "ana-mobile"]);

    // Her override loses the device (announced to her), and the PBX follows.
    let profile = loop {
        let e = stream.next().await;
        if e.event == "profile" {
            break e.data;
        }
    };
    assert_eq!(profile["id"], "on_the_road");
    assert_eq!(
        profile["settings"]["routing"]["steps"],
        json!([{"devices": ["ana-desk"], "after_seconds": 0}])
    );
    presence_until(&mut stream, "ana", sync_is("applied")).await;
    let pbx = s.pbx(&ana, "ana").await;
    assert_eq!(
        pbx["extension_list"]["devices"],
        json!(["ana-desk"]),
        "{pbx}"
    );
    assert_eq!(
        pbx["find_me_follow_me"]["steps"],
        json!([{"devices": ["ana-desk"], "after_seconds": 0}])
    );
    let (_, ring) = s.get("/pbx/ring?group=sales", &ana).await;
    assert_eq!(
        ring["devices"],
        json!(["ana-desk", "bruno-desk", "bruno-mobile"])
    );

    // On a "Ring all" profile her list holds every device, so a new one joins it.
    s.put("/me/presence", &ana, json!({"profile": "in_the_office"}))
        .await;
    s.wait_pbx(&ana, "ana", |p| {
        p["extension_list"]["devices"] == json!(["ana-desk", "ana-softphone"])
    })
    .await;
    s.admin(&[
        "device",
        "add",
        "--user",
        "ana",
        "--id",
        "ana-tablet",
        "--kind",
        "softphone",
        "--label",
        "Tablet",
        "--number",
        "sip:201-tab@acme.example",
    ]);
    s.wait_pbx(&ana, "ana", |p| {
        p["extension_list"]["devices"] == json!(["ana-desk", "ana-softphone", "ana-tablet"])
    })
    .await;

    // The reseller turns extension lists off: her list goes (the group rings all her devices).
    s.admin(&["reseller", "mode", "demo-active", "active"]);
    s.wait_pbx(&ana, "ana", |p| p["extension_list"].is_null())
        .await;
    let (_, ring) = s.get("/pbx/ring?group=sales", &ana).await;
    assert_eq!(
        ring["devices"],
        json!([
            "ana-desk",
            "ana-softphone",
            "ana-tablet",
            "bruno-desk",
            "bruno-mobile"
        ])
    );
    let (_, me) = s.get("/me", &ana).await;
    assert_eq!(me["extension_lists_enabled"], false);
}

#[tokio::test]
async fn a_resellers_presence_colours_are_set_by_the_operator_and_reach_open_widgets() {
    let s = Server::demo(&[]);
    let ana = s.login("ana").await;
    let dora = s.login("dora").await;
    let defaults = json!({"available": "#1e8e3e", "away": "#c27c00", "busy": "#c5221f"});
    assert_eq!(s.get("/me", &ana).await.1["colours"], defaults);
    let mut hers = s.live(&ana).await;

    s.admin(&["reseller", "colours", "demo-active", "--busy", "#800080"]);

    // Open widgets get a `colours` event (the other colours kept); the next load and a new
    // stream's snapshot show them; the other reseller's users see nothing of it.
    let start = Instant::now();
    let event = loop {
        let e = hers.next().await;
        if e.event == "colours" {
            break e;
        }
        assert!(start.elapsed() < DEADLINE, "no colours event");
    };
    let purple = json!({"available": "#1e8e3e", "away": "#c27c00", "busy": "#800080"});
    assert_eq!(event.data, purple);
    assert_eq!(s.get("/me", &ana).await.1["colours"], purple);
    let mut fresh = s.events(&ana, None).await;
    let snapshot = fresh.next().await;
    assert_eq!(snapshot.event, "snapshot");
    assert_eq!(snapshot.data["colours"], purple);
    assert_eq!(s.get("/me", &dora).await.1["colours"], defaults);

    // Only `#rrggbb` is taken; a refused command changes nothing.
    for bad in ["purple", "#80008", "#800080;x:y"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
            .args([
                "reseller",
                "colours",
                "demo-active",
                "--away",
                bad,
                "--database",
            ])
            .arg(&s.db)
            .env_remove("UCCLIENT_DATABASE")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad} was taken");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("#rrggbb"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(s.get("/me", &ana).await.1["colours"], purple);

    s.admin(&["reseller", "colours", "demo-active", "--reset"]);
    assert_eq!(s.get("/me", &ana).await.1["colours"], defaults);
}
