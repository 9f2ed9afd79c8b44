//! The widget end to end: the real backend (`UCCLIENT_SERVER_BIN`), the built widget
//! (`UCCLIENT_WIDGET_DIST`) and two headless Chromium sessions, one per agent. Screenshots of the
//! 300 px panel in each state go to `artifacts/screenshots/widget-*.png`.

use anyhow::{Result, ensure};
use fantoccini::{Client, Locator};
use ucclient_e2e::{
    Server, click, open_panel, screenshot, sign_in, text_of, type_into, wait_attr, wait_text,
    wait_until, widget_dist, with_browsers,
};

/// Window size (Chromium's narrowest; the panel inside is 300 px wide).
const W: u32 = 500;
const H: u32 = 560;

/// The presence label of a colleague's row in the directory.
fn row(user: &str) -> String {
    format!("[data-user={user}] .uc-presence")
}

async fn ready(client: &Client) -> Result<()> {
    wait_attr(client, "[data-test=connection]", "data-state", "live").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_see_each_others_presence_and_calls_live() -> Result<()> {
    let server = Server::demo(Some("300,600,0")).await?;
    let (a_origin, b_origin) = (server.url(), server.other_url());
    with_browsers(2, W, H, async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        open_panel(ana, &a_origin).await?;
        ana.wait().for_element(Locator::Css("#uc-email")).await?;
        screenshot(ana, "widget-01-sign-in").await?;

        // A wrong password is explained in the agent's language.
        type_into(ana, "#uc-email", "ana@acme.example").await?;
        type_into(ana, "#uc-password", "wrong").await?;
        click(ana, "form[data-test=sign-in] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "Wrong email or password.").await?;
        screenshot(ana, "widget-02-sign-in-error").await?;

        sign_in(ana, &a_origin, "ana@acme.example").await?;
        sign_in(bruno, &b_origin, "bruno@acme.example").await?;
        ready(ana).await?;
        ready(bruno).await?;
        wait_text(ana, "[data-test=badge]", "Available").await?;
        screenshot(ana, "widget-03-presence").await?;

        // Bruno's change of profile reaches Ana's directory live.
        click(ana, "#uc-tab-directory").await?;
        wait_text(ana, &row("bruno"), "Available").await?;
        click(bruno, "[data-profile=in_a_meeting]").await?;
        wait_text(bruno, "[data-test=badge]", "In a meeting").await?;
        wait_text(ana, &row("bruno"), "In a meeting").await?;
        screenshot(ana, "widget-04-directory-live").await?;
        screenshot(bruno, "widget-05-bruno-in-a-meeting").await?;

        // Ana dials; she sees the progress, Bruno sees her busy, then available again.
        click(bruno, "#uc-tab-directory").await?;
        click(ana, "#uc-tab-dial").await?;
        type_into(ana, "#uc-number", "912 34").await?;
        wait_text(ana, "#uc-number-hint", "wrong number of digits").await?;
        screenshot(ana, "widget-06-dialer-invalid").await?;
        type_into(ana, "#uc-number", "912 345 678").await?;
        wait_text(ana, "#uc-number-hint", "+351 912 345 678").await?;
        click(ana, "form[data-test=dialer] button[type=submit]").await?;
        wait_until(ana, "a call card", async |c| {
            Ok(c.find(Locator::Css("[data-test=call-card]")).await.is_ok())
        })
        .await?;
        screenshot(ana, "widget-07-call-progress").await?;
        wait_attr(ana, "[data-test=call-card]", "data-state", "connected").await?;
        wait_text(ana, "[data-test=badge]", "On a call").await?;
        wait_text(bruno, &row("ana"), "On a call").await?;
        wait_attr(bruno, "[data-user=ana] .uc-dot", "class", "uc-dot uc-busy").await?;
        screenshot(ana, "widget-08-call-connected").await?;
        screenshot(bruno, "widget-09-bruno-sees-ana-busy").await?;
        click(ana, "[data-test=hangup]").await?;
        // The card says how the call ended a moment, then goes; the focus waits in the dial field.
        wait_text(ana, "[data-test=call-card]", "Call ended").await?;
        screenshot(ana, "widget-09b-call-ended-summary").await?;
        let focused = ana
            .execute("return document.activeElement.id;", vec![])
            .await?;
        anyhow::ensure!(focused == "uc-number", "focus after hang-up: {focused}");
        wait_until(ana, "the call card to go", async |c| {
            Ok(c.find(Locator::Css("[data-test=call-card]")).await.is_err())
        })
        .await?;
        wait_until(bruno, "ana available again", async |c| {
            let t = text_of(c, &row("ana")).await?;
            Ok(t.contains("Available") && !t.contains("On a call"))
        })
        .await?;
        wait_attr(
            bruno,
            "[data-user=ana] .uc-dot",
            "class",
            "uc-dot uc-available",
        )
        .await?;

        // The finished call is in Ana's history.
        click(ana, "#uc-tab-history").await?;
        wait_text(ana, "[data-test=history-row]", "+351 912 345 678").await?;
        screenshot(ana, "widget-10-history").await?;

        // Ana's routing editor (active mode).
        click(ana, "#uc-tab-routing").await?;
        click(ana, "[data-test=ring-selected]").await?;
        click(ana, "form[data-test=routing] button[type=submit]").await?;
        wait_text(ana, "form[data-test=routing]", "customised").await?;
        screenshot(ana, "widget-11-routing").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlicensed_user_sees_not_enabled() -> Result<()> {
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_browsers(1, W, H, async |b| {
        let carla = &b[0].client;
        sign_in(carla, &origin, "carla@acme.example").await?;
        wait_text(
            carla,
            "[data-test=not-enabled]",
            "UcClient CRM is not enabled for your account",
        )
        .await?;
        wait_text(carla, "[data-test=not-enabled]", "administrator").await?;
        screenshot(carla, "widget-12-not-enabled").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_restart_is_survived_without_missing_a_change() -> Result<()> {
    let mut server = Server::demo(None).await?;
    let (a_origin, b_origin) = (server.url(), server.other_url());
    with_browsers(2, W, H, async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        sign_in(ana, &a_origin, "ana@acme.example").await?;
        sign_in(bruno, &b_origin, "bruno@acme.example").await?;
        ready(ana).await?;
        ready(bruno).await?;
        click(ana, "#uc-tab-directory").await?;
        wait_text(ana, &row("bruno"), "Available").await?;

        server.kill().await?;
        wait_until(ana, "ana's widget to notice", async |c| {
            let s = c
                .find(Locator::Css("[data-test=connection]"))
                .await?
                .attr("data-state")
                .await?;
            Ok(matches!(s.as_deref(), Some("reconnecting" | "offline")))
        })
        .await?;
        screenshot(ana, "widget-13-reconnecting").await?;

        server.restart().await?;
        // Bruno changes profile at once, before Ana's widget is back: the resume must bring it.
        click(bruno, "[data-profile=lunch]").await?;
        wait_text(bruno, "[data-test=badge]", "Lunch").await?;
        ready(ana).await?;
        wait_text(ana, &row("bruno"), "Lunch").await?;
        screenshot(ana, "widget-14-resumed").await?;
        // And live deltas keep flowing after the restart.
        ready(bruno).await?;
        click(bruno, "[data-profile=working_from_home]").await?;
        wait_text(ana, &row("bruno"), "Working from home").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_page_frames_two_agents_from_two_origins() -> Result<()> {
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_browsers(1, 720, 640, async |b| {
        let c = &b[0].client;
        c.goto(&format!("{origin}/index.html")).await?;
        let second = c.find(Locator::Css("#agent2")).await?;
        wait_until(c, "the second agent's frame", async |c| {
            let src = c.find(Locator::Css("#agent2")).await?.attr("src").await?;
            Ok(src.is_some_and(|s| s.starts_with("http://localhost:")))
        })
        .await?;
        // Each frame signs in on its own (separate sessionStorage per origin).
        for (i, email) in [(0u16, "ana@acme.example"), (1, "bruno@acme.example")] {
            c.enter_frame(i).await?;
            type_into(c, "#uc-email", email).await?;
            type_into(c, "#uc-password", "demo").await?;
            click(c, "form[data-test=sign-in] button[type=submit]").await?;
            ready(c).await?;
            c.enter_parent_frame().await?;
        }
        c.enter_frame(1).await?;
        wait_text(c, "[data-test=badge]", "Available").await?;
        c.enter_parent_frame().await?;
        let png = c.screenshot().await?;
        let dir = ucclient_e2e::artifacts_dir();
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("widget-00-demo-page.png"), png)?;
        drop(second);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_call_shows_the_incoming_card_and_pops_the_host() -> Result<()> {
    let server = Server::demo(Some("300,600,0")).await?;
    let origin = server.url();
    with_browsers(1, W, H, async |b| {
        let ana = &b[0].client;
        sign_in(ana, &origin, "ana@acme.example").await?;
        ready(ana).await?;
        // The standalone host announces screen pops as a window event: record them.
        ana.execute(
            "window.__pops = []; window.addEventListener('ucclient:screen-pop', e => window.__pops.push(e.detail));",
            vec![],
        )
        .await?;
        // The embedded PBX places an inbound call to Ana (as the demo's customer admin, Ana may).
        let status = ana
            .execute_async(
                "const done = arguments[0];
                 fetch('/api/v1/pbx/calls/inbound', {method: 'POST', headers: {
                   'Authorization': 'Bearer ' + sessionStorage.getItem('ucclient.token:'),
                   'Content-Type': 'application/json'},
                   body: JSON.stringify({from: '+351912999888', to_user: 'ana'})})
                 .then(r => done(r.status), e => done(String(e)));",
                vec![],
            )
            .await?;
        anyhow::ensure!(status.as_i64() == Some(201), "inbound call: {status}");
        wait_text(ana, ".uc-incoming .uc-card-number", "+351 912 999 888").await?;
        wait_attr(ana, ".uc-incoming", "aria-label", "Incoming call").await?;
        screenshot(ana, "widget-15-incoming-call").await?;
        wait_until(ana, "a screen pop", async |c| {
            let pops = c.execute("return window.__pops.length;", vec![]).await?;
            Ok(pops.as_i64().unwrap_or(0) > 0)
        })
        .await?;
        wait_text(ana, "[data-test=announcer]", "+351 912 999 888").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_panels_of_the_same_agent_converge() -> Result<()> {
    let server = Server::demo(None).await?;
    let (first, second) = (server.url(), server.other_url());
    with_browsers(2, W, H, async |b| {
        let (one, two) = (&b[0].client, &b[1].client);
        sign_in(one, &first, "ana@acme.example").await?;
        sign_in(two, &second, "ana@acme.example").await?;
        ready(one).await?;
        ready(two).await?;
        click(one, "[data-profile=on_holiday]").await?;
        wait_text(two, "[data-test=badge]", "On holiday").await?;
        wait_attr(two, "[data-profile=on_holiday]", "aria-checked", "true").await?;
        click(two, "[data-profile=on_the_road]").await?;
        wait_text(one, "[data-test=badge]", "On the road").await?;
        Ok(())
    })
    .await
}

/// The layout promise: from 200 to 400 px wide, 240 px tall, no sideways scrolling in any
/// tab (`screenshot` fails on horizontal overflow), with the narrowest panels kept as artifacts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_fits_from_200_to_400_px_wide_at_240_px_tall() -> Result<()> {
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_browsers(1, W, H, async |b| {
        let ana = &b[0].client;
        sign_in(ana, &origin, "ana@acme.example").await?;
        ready(ana).await?;
        for width in [200, 400] {
            ana.execute(
                &format!(
                    "const app = document.getElementById('app'); \
                     app.style.width = '{width}px'; app.style.height = '240px'; \
                     app.style.overflowY = 'auto';"
                ),
                vec![],
            )
            .await?;
            for tab in ["presence", "dial", "directory", "history", "routing"] {
                click(ana, &format!("#uc-tab-{tab}")).await?;
                wait_attr(ana, &format!("#uc-tab-{tab}"), "aria-selected", "true").await?;
                if tab == "dial" {
                    type_into(ana, "#uc-number", "+44 20 7946 0000 ext. 12345 (long)").await?;
                }
                if tab == "routing" && width == 200 {
                    // The step editor's rows: device choice, delay, remove.
                    click(ana, "[data-test=ring-selected]").await?;
                    ana.wait()
                        .for_element(Locator::Css("[data-test=step]"))
                        .await?;
                }
                screenshot(ana, &format!("widget-fit-{width}-{tab}")).await?;
                if tab == "routing" && width == 200 {
                    // Leaving with unsaved edits: the editor asks, and the agent throws them away.
                    click(ana, "#uc-tab-presence").await?;
                    screenshot(ana, "widget-fit-200-routing-unsaved").await?;
                    click(ana, "[data-test=confirm-yes]").await?;
                }
            }
        }
        Ok(())
    })
    .await
}

/// Signing out elsewhere (another tab or window of the same session) ends this panel's live
/// stream at once, and the panel says why on the sign-in form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_elsewhere_shows_sign_in_with_the_reason() -> Result<()> {
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_browsers(1, W, H, async |b| {
        let ana = &b[0].client;
        sign_in(ana, &origin, "ana@acme.example").await?;
        ready(ana).await?;
        // The same session, signed out from elsewhere (as another tab holding its token would).
        let token = ana
            .execute(
                "for (const k of Object.keys(sessionStorage)) { if (k.startsWith('ucclient.token:')) { return sessionStorage.getItem(k); } } return null;",
                vec![],
            )
            .await?;
        let token = token.as_str().unwrap_or_default().to_owned();
        anyhow::ensure!(!token.is_empty(), "no token in sessionStorage");
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()?
            .post(format!("{origin}/api/v1/logout"))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 204, "logout: {}", r.status());
        wait_text(
            ana,
            "form[data-test=sign-in] .uc-info",
            "You signed out in another tab or window.",
        )
        .await?;
        screenshot(ana, "widget-13-signed-out-elsewhere").await?;
        Ok(())
    })
    .await
}

/// The lazily loaded chunks of the split standalone module (`pkg/split_*.wasm`, `pkg/chunk_*.wasm`)
/// the page has fetched so far, from its resource timing entries.
const CHUNKS_FETCHED: &str = "return performance.getEntriesByType('resource')\
     .map(e => e.name.split('/').pop()).filter(n => /^(split|chunk)_.*\\.wasm$/.test(n)).sort()";

/// The chunks fetched so far (see [`CHUNKS_FETCHED`]).
async fn chunks_fetched(client: &Client) -> Result<Vec<String>> {
    let v = client.execute(CHUNKS_FETCHED, vec![]).await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lazy_panels_load_their_code_when_first_shown() -> Result<()> {
    // The release build splits the standalone module (issue 12): the Voicemail, Routing,
    // Directory and History tabs and the wrap-up form are each a wasm chunk fetched the first time they show (the form
    // never, on this page). A `--dev` build is whole: then only the panels themselves are checked.
    let split = widget_dist()?.join("pkg/__wasm_split.js").is_file();
    let server = Server::demo(Some("300,600,0")).await?;
    let origin = server.url();
    with_browsers(1, W, H, async |b| {
        let ana = &b[0].client;
        open_panel(ana, &origin).await?;
        sign_in(ana, &origin, "ana@acme.example").await?;
        ready(ana).await?;
        wait_text(ana, "[data-test=badge]", "Available").await?;
        ensure!(
            chunks_fetched(ana).await?.is_empty(),
            "a chunk was fetched before any lazy tab opened: {:?}",
            chunks_fetched(ana).await?
        );

        click(ana, "#uc-tab-voicemail").await?;
        ana.wait()
            .for_element(Locator::Css("[data-test=vm-player]"))
            .await?;
        let fetched = chunks_fetched(ana).await?;
        if split {
            ensure!(
                fetched
                    .iter()
                    .any(|n| n.starts_with("split_voicemail_panel_"))
                    && !fetched
                        .iter()
                        .any(|n| n.starts_with("split_routing_panel_")),
                "opening Voicemail fetched {fetched:?}"
            );
        }

        click(ana, "#uc-tab-routing").await?;
        click(ana, "[data-test=ring-selected]").await?;
        click(ana, "form[data-test=routing] button[type=submit]").await?;
        wait_text(ana, "form[data-test=routing]", "customised").await?;
        let fetched = chunks_fetched(ana).await?;
        if split {
            ensure!(
                fetched
                    .iter()
                    .any(|n| n.starts_with("split_routing_panel_")),
                "opening Routing fetched {fetched:?}"
            );
        }

        // Directory and History (issue 12): each its own chunk, fetched when it first opens.
        for (tab, shown, chunk) in [
            (
                "#uc-tab-directory",
                "[data-user=bruno]",
                "split_directory_panel_",
            ),
            (
                "#uc-tab-history",
                "[data-test=history]",
                "split_history_panel_",
            ),
        ] {
            ensure!(
                !chunks_fetched(ana)
                    .await?
                    .iter()
                    .any(|n| n.starts_with(chunk)),
                "{chunk} fetched before {tab} opened"
            );
            click(ana, tab).await?;
            ana.wait().for_element(Locator::Css(shown)).await?;
            if split {
                let now = chunks_fetched(ana).await?;
                ensure!(
                    now.iter().any(|n| n.starts_with(chunk)),
                    "opening {tab} fetched {now:?}"
                );
            }
        }
        let fetched = chunks_fetched(ana).await?;

        // Back to Voicemail: the chunk is in, the tab shows at once and nothing is fetched again.
        click(ana, "#uc-tab-voicemail").await?;
        ana.wait()
            .for_element(Locator::Css("[data-test=vm-player]"))
            .await?;
        ensure!(
            chunks_fetched(ana).await? == fetched,
            "reopening a tab fetched its chunk again: {:?}",
            chunks_fetched(ana).await?
        );

        // A call ends: the plain page shows its summary, never a wrap-up form (it logs nowhere),
        // so the form's chunk is never fetched here.
        click(ana, "#uc-tab-dial").await?;
        type_into(ana, "#uc-number", "912 345 678").await?;
        click(ana, "form[data-test=dialer] button[type=submit]").await?;
        wait_attr(ana, "[data-test=call-card]", "data-state", "connected").await?;
        click(ana, "[data-test=hangup]").await?;
        wait_text(ana, "[data-test=call-card]", "Call ended").await?;
        let after_call = chunks_fetched(ana).await?;
        ensure!(
            after_call == fetched
                && !after_call
                    .iter()
                    .any(|n| n.starts_with("split_form_panel_")),
            "a call's end fetched {after_call:?}"
        );
        Ok(())
    })
    .await
}

/// Test-only: makes the page's `fetch` fail for the Directory tab's chunk while
/// `window.__ucBlockChunk` is true, as a network gone away (or a chunk gone after an upgrade) would.
const BLOCK_DIRECTORY_CHUNK: &str = "window.__ucBlockChunk = true; \
    if (!window.__ucFetch) { window.__ucFetch = window.fetch; \
    window.fetch = (url, ...rest) => (window.__ucBlockChunk && /split_directory_panel_/.test(String(url))) \
        ? Promise.reject(new TypeError('Failed to fetch')) : window.__ucFetch.call(window, url, ...rest); }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazy_panel_whose_code_cannot_be_fetched_says_so_and_tries_again() -> Result<()> {
    // Only a split module fetches chunks (a `--dev` build is whole).
    if !widget_dist()?.join("pkg/__wasm_split.js").is_file() {
        return Ok(());
    }
    let server = Server::demo(Some("300,600,0")).await?;
    let origin = server.url();
    with_browsers(1, W, H, async |b| {
        let ana = &b[0].client;
        open_panel(ana, &origin).await?;
        sign_in(ana, &origin, "ana@acme.example").await?;
        ready(ana).await?;
        ana.execute(BLOCK_DIRECTORY_CHUNK, vec![]).await?;

        // The tab says its part could not be loaded, in a sentence, with Try again.
        click(ana, "#uc-tab-directory").await?;
        wait_text(ana, "[data-test=unloaded]", "could not be loaded").await?;
        screenshot(ana, "widget-part-not-loaded").await?;
        // The rest of the panel goes on (no panic stopped the module): dialling previews a colleague.
        click(ana, "#uc-tab-dial").await?;
        type_into(ana, "#uc-number", "202").await?;
        wait_text(ana, "#uc-number-hint", "Bruno").await?;
        // Still failing: Try again says so again.
        click(ana, "#uc-tab-directory").await?;
        wait_text(ana, "[data-test=unloaded]", "could not be loaded").await?;
        click(ana, "[data-test=retry]").await?;
        wait_text(ana, "[data-test=unloaded]", "could not be loaded").await?;
        // The network is back: Try again loads the tab.
        ana.execute("window.__ucBlockChunk = false", vec![]).await?;
        click(ana, "[data-test=retry]").await?;
        ana.wait()
            .for_element(Locator::Css("[data-user=bruno]"))
            .await?;
        ensure!(
            ana.find_all(Locator::Css("[data-test=unloaded]"))
                .await?
                .is_empty(),
            "the sentence stays after the tab loaded"
        );
        Ok(())
    })
    .await
}
