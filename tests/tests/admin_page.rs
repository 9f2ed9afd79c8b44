//! The administration page end to end: the real backend (`UCCLIENT_SERVER_BIN`) serving the built
//! page at `/admin` (`dist/admin` beside `UCCLIENT_WIDGET_DIST`) and the widget, in headless
//! Chromium. Ana, Acme's customer administrator, signs in, manages the CRM orgs, and takes the CRM
//! client permission from Bruno: his widget's session ends at once saying so, and signed in again
//! it shows "not enabled"; an agent is refused.
//! Screenshots at 1280 and 800 px go to `artifacts/screenshots/admin-*.png`.

use anyhow::{Result, ensure};
use fantoccini::{Client, Locator};
use ucclient_e2e::{
    Browser, Server, admin_dist, admin_sign_in, click, page_screenshot, screenshot, sign_in,
    type_into, wait_attr, wait_text, wait_until,
};

/// Desktop window.
const WIDE: (u32, u32) = (1280, 900);
/// The narrow width the page must stay readable at.
const NARROW: u32 = 800;
/// The widget's window (its panel is narrowed inside).
const PANEL: (u32, u32) = (500, 560);

/// Runs `body` with one browser per size, closing them all whatever happens.
async fn with_sized<F>(sizes: &[(u32, u32)], body: F) -> Result<()>
where
    F: AsyncFnOnce(&[Browser]) -> Result<()>,
{
    let mut browsers = Vec::new();
    for &(w, h) in sizes {
        match Browser::start(w, h).await {
            Ok(b) => browsers.push(b),
            Err(e) => {
                for b in browsers {
                    b.close().await;
                }
                return Err(e);
            }
        }
    }
    let result = body(&browsers).await;
    for b in browsers {
        b.close().await;
    }
    result
}

/// A shot at desktop width, then at 800 px, then back.
async fn both_widths(client: &Client, name: &str) -> Result<()> {
    page_screenshot(client, &format!("{name}-1280")).await?;
    client.set_window_size(NARROW, WIDE.1).await?;
    let shot = page_screenshot(client, &format!("{name}-800")).await;
    client.set_window_size(WIDE.0, WIDE.1).await?;
    shot.map(|_| ())
}

/// Whether the element `css` exists.
async fn exists(client: &Client, css: &str) -> Result<bool> {
    Ok(client.find(Locator::Css(css)).await.is_ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_signs_in_and_manages_the_crm_orgs() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_sized(&[WIDE], async |b| {
        let ana = &b[0].client;
        ana.goto(&format!("{origin}/admin")).await?;
        // Checked before sending, then the server's own sentence.
        click(ana, "form[data-test=sign-in] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "Give the email address.").await?;
        type_into(ana, "#email", "ana@acme.example").await?;
        type_into(ana, "#password", "wrong").await?;
        click(ana, "form[data-test=sign-in] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "The email or password is not right.").await?;
        page_screenshot(ana, "admin-01-sign-in-error").await?;

        admin_sign_in(ana, &origin, "ana@acme.example").await?;
        wait_text(ana, "[data-test=who]", "customer administrator").await?;
        wait_text(ana, "[data-test=who]", "Acme").await?;
        // The token is in this tab's sessionStorage, never in the address.
        let url = ana.current_url().await?;
        ensure!(url.query().is_none() && url.fragment().is_none(), "{url}");
        let kept = ana
            .execute(
                "return sessionStorage.getItem('ucclient-admin-token') !== null;",
                vec![],
            )
            .await?;
        ensure!(
            kept == serde_json::json!(true),
            "no token in sessionStorage"
        );

        // Every customer-administrator tab is there.
        for tab in ["users", "groups", "wrap-up", "orgs", "sso", "audit"] {
            ensure!(exists(ana, &format!("#tab-{tab}")).await?, "no {tab} tab");
        }
        ensure!(!exists(ana, "#tab-customers").await?, "a reseller tab");

        click(ana, "#tab-orgs").await?;
        wait_attr(ana, "#tab-orgs", "aria-current", "page").await?;
        wait_text(ana, "table[data-test=orgs]", "acme").await?;
        // A Dynamics org is its https:// URL: refused before anything is sent.
        click(ana, "#org-crm option[value=dynamics]").await?;
        type_into(ana, "#org-name", "initech.crm4.dynamics.com").await?;
        click(ana, "form[data-test=new-org] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "https:// URL").await?;
        type_into(ana, "#org-name", "https://initech.crm4.dynamics.com").await?;
        click(ana, "form[data-test=new-org] button[type=submit]").await?;
        wait_text(ana, "[role=status]", "registered").await?;
        wait_text(ana, "table[data-test=orgs]", "initech").await?;
        both_widths(ana, "admin-02-orgs").await?;

        // Globex's org: the server refuses, and says why.
        click(ana, "#org-crm option[value=salesforce]").await?;
        type_into(ana, "#org-name", "globex").await?;
        click(ana, "form[data-test=new-org] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "registered already").await?;

        click(
            ana,
            "button[aria-label='Remove https://initech.crm4.dynamics.com']",
        )
        .await?;
        wait_text(ana, "[role=status]", "removed").await?;
        wait_until(ana, "initech to leave the table", async |c| {
            Ok(!ucclient_e2e::text_of(c, "table[data-test=orgs]")
                .await?
                .contains("initech"))
        })
        .await?;

        // A reload keeps the session (this tab's storage); signing out forgets it.
        ana.goto(&format!("{origin}/admin")).await?;
        wait_text(ana, "[data-test=who]", "Ana").await?;
        click(ana, "[data-test=sign-out]").await?;
        ana.wait().for_element(Locator::Css("#email")).await?;
        let gone = ana
            .execute(
                "return sessionStorage.getItem('ucclient-admin-token') === null;",
                vec![],
            )
            .await?;
        ensure!(
            gone == serde_json::json!(true),
            "the token outlived sign-out"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_is_told_they_are_not_an_administrator() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_sized(&[WIDE], async |b| {
        let bruno = &b[0].client;
        admin_sign_in(bruno, &origin, "bruno@acme.example").await?;
        wait_text(
            bruno,
            "[data-test=not-admin]",
            "You are not an administrator",
        )
        .await?;
        ensure!(!exists(bruno, "nav").await?, "an agent sees the tabs");
        both_widths(bruno, "admin-03-not-an-administrator").await?;
        click(bruno, "[data-test=not-admin] button").await?;
        bruno.wait().for_element(Locator::Css("#email")).await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ana_takes_the_crm_client_from_bruno_and_his_widget_says_so_live() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let (admin_origin, widget_origin) = (server.url(), server.other_url());
    with_sized(&[WIDE, PANEL], async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        sign_in(bruno, &widget_origin, "bruno@acme.example").await?;
        wait_attr(bruno, "[data-test=connection]", "data-state", "live").await?;

        admin_sign_in(ana, &admin_origin, "ana@acme.example").await?;
        let row = "tr[data-email='bruno@acme.example']";
        wait_text(ana, row, "Bruno").await?;
        let toggle = format!("{row} input[data-test=crm-client]");
        let is_checked = async |c: &Client| -> Result<bool> {
            let el = c.find(Locator::Css(&toggle)).await?;
            Ok(el.prop("checked").await?.as_deref() == Some("true"))
        };
        ensure!(is_checked(ana).await?, "bruno starts with the CRM client");
        both_widths(ana, "admin-04-users").await?;

        click(ana, &toggle).await?;
        wait_text(ana, "[role=status]", "may no longer use the CRM client").await?;
        wait_until(
            ana,
            "the refreshed row to show the permission off",
            async |c| Ok(!is_checked(c).await?),
        )
        .await?;
        // Bruno's live stream ends at once with the reason, and his panel says it...
        wait_text(
            bruno,
            ".uc-signin [role=status]",
            "Your access to the CRM client was removed.",
        )
        .await?;
        screenshot(bruno, "admin-05-bruno-access-removed").await?;
        // ...and signing in again only shows that the client is not enabled for him.
        sign_in(bruno, &widget_origin, "bruno@acme.example").await?;
        wait_text(
            bruno,
            "[data-test=not-enabled]",
            "UcClient CRM is not enabled for your account",
        )
        .await?;
        screenshot(bruno, "admin-06-bruno-not-enabled").await?;

        // The change is in the audit log, newest first, with who made it.
        click(ana, "#tab-audit").await?;
        wait_text(ana, "table[data-test=audit] tbody tr", "user.update").await?;
        wait_text(ana, "table[data-test=audit] tbody tr", "Ana").await?;
        both_widths(ana, "admin-07-audit").await?;

        // The other tabs, as an administrator finds them.
        click(ana, "#tab-users").await?;
        click(ana, &format!("{row} button[data-test=manage]")).await?;
        wait_text(ana, "[data-test=user-panel]", "Devices").await?;
        both_widths(ana, "admin-08-user-devices").await?;
        click(ana, "#tab-groups").await?;
        wait_text(ana, "main", "Sales").await?;
        click(ana, "[data-group] button").await?;
        ana.wait()
            .for_element(Locator::Css("form[data-test=group-form]"))
            .await?;
        both_widths(ana, "admin-09-groups").await?;
        click(ana, "#tab-wrap-up").await?;
        ana.wait()
            .for_element(Locator::Css("form[data-test=wrap-up]"))
            .await?;
        both_widths(ana, "admin-10-wrap-up").await?;
        click(ana, "#tab-sso").await?;
        wait_until(ana, "the SSO tab to load", async |c| {
            Ok(!ucclient_e2e::text_of(c, "main").await?.contains("Loading"))
        })
        .await?;
        both_widths(ana, "admin-11-sso").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reseller_administrator_manages_customers_and_the_mode() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_sized(&[WIDE], async |b| {
        let rita = &b[0].client;
        admin_sign_in(rita, &origin, "rita@demo-active.example").await?;
        wait_text(rita, "[data-test=who]", "reseller administrator").await?;
        wait_attr(rita, "#tab-customers", "aria-current", "page").await?;
        wait_text(rita, "table[data-test=customers]", "Acme").await?;

        // A customer: the country is checked before sending.
        type_into(rita, "#customer-name", "Initech").await?;
        type_into(rita, "#customer-country", "P1").await?;
        click(rita, "form[data-test=new-customer] button[type=submit]").await?;
        wait_text(rita, "[role=alert]", "A country is two letters").await?;
        type_into(rita, "#customer-country", "pt").await?;
        click(rita, "form[data-test=new-customer] button[type=submit]").await?;
        wait_text(rita, "[role=status]", "Initech created.").await?;
        wait_text(rita, "table[data-test=customers]", "Initech").await?;
        both_widths(rita, "admin-12-customers").await?;

        // The mode: extension lists need active mode, said before sending.
        click(rita, "#tab-mode").await?;
        click(rita, "#mode-passive").await?;
        click(rita, "form[data-test=mode] button[type=submit]").await?;
        wait_text(
            rita,
            "[role=alert]",
            "User extension lists need active mode.",
        )
        .await?;
        click(rita, "#mode-lists").await?;
        click(rita, "form[data-test=mode] button[type=submit]").await?;
        wait_text(rita, "[role=status]", "Mode set to passive").await?;
        both_widths(rita, "admin-13-presence-mode").await?;

        click(rita, "#tab-reseller-audit").await?;
        wait_text(rita, "table[data-test=audit]", "reseller.mode").await?;
        wait_text(rita, "table[data-test=audit]", "customer.create").await?;
        both_widths(rita, "admin-14-reseller-audit").await?;
        Ok(())
    })
    .await
}

/// Clicks the button `data-test=<test>` of the table row whose header cell reads `name`.
async fn click_in_row(client: &Client, name: &str, test: &str) -> Result<()> {
    let xpath =
        format!("//tr[th[contains(normalize-space(), '{name}')]]//button[@data-test='{test}']");
    wait_until(client, &xpath, async |c| {
        Ok(c.find(Locator::XPath(&xpath)).await.is_ok())
    })
    .await?;
    client.find(Locator::XPath(&xpath)).await?.click().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ana_manages_users_devices_groups_and_after_call_work() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_sized(&[WIDE], async |b| {
        let ana = &b[0].client;
        admin_sign_in(ana, &origin, "ana@acme.example").await?;
        let create = "form[data-test=new-user] button[type=submit]";

        // A user: checked before sending, then the server's refusal, then invited.
        type_into(ana, "#new-name", "Dan Reis").await?;
        type_into(ana, "#new-email", "dan@acme.example").await?;
        type_into(ana, "#new-extension", "2").await?;
        click(ana, create).await?;
        wait_text(ana, "[role=alert]", "An extension is 2 to 6 digits.").await?;
        type_into(ana, "#new-extension", "201").await?;
        click(ana, create).await?;
        wait_text(ana, "[role=alert]", "This extension is another user's").await?;
        type_into(ana, "#new-extension", "209").await?;
        click(ana, create).await?;
        wait_text(ana, "[role=status]", "Dan Reis invited").await?;
        let dan = "tr[data-email='dan@acme.example']";
        wait_text(ana, dan, "209").await?;

        // Deactivated, then active again.
        click(ana, &format!("{dan} button[data-test=active]")).await?;
        wait_text(ana, dan, "Deactivated").await?;
        wait_text(
            ana,
            &format!("{dan} button[data-test=active]"),
            "Reactivate",
        )
        .await?;
        click(ana, &format!("{dan} button[data-test=active]")).await?;
        wait_text(ana, "[role=status]", "Dan Reis is active again.").await?;
        // Ana cannot deactivate herself.
        let own = ana
            .find(Locator::Css(
                "tr[data-email='ana@acme.example'] button[data-test=active]",
            ))
            .await?;
        ensure!(
            own.attr("disabled").await?.is_some(),
            "ana may deactivate herself"
        );

        // Dan's devices and password.
        click(ana, &format!("{dan} button[data-test=manage]")).await?;
        wait_text(ana, "[data-test=user-panel]", "Dan Reis").await?;
        click(ana, "#device-kind option[value=mobile]").await?;
        type_into(ana, "#device-number", "+351912000209").await?;
        click(
            ana,
            "[data-test=user-panel] form.fields button[type=submit]",
        )
        .await?;
        wait_text(ana, "[data-test=user-panel] ul.devices", "+351912000209").await?;
        wait_text(ana, dan, "Mobile").await?;
        click(ana, "[data-test=user-panel] ul.devices button").await?;
        wait_text(ana, "[data-test=user-panel] [role=status]", "removed").await?;
        wait_text(ana, "[data-test=user-panel]", "No devices.").await?;
        type_into(ana, "#new-password", "a-long-password").await?;
        type_into(ana, "#new-password-again", "another-password").await?;
        ana.find(Locator::Css("#new-password-again"))
            .await?
            .send_keys("\u{E007}")
            .await?;
        // Enter in the last field sends the form, as a keyboard user would.
        wait_text(
            ana,
            "[data-test=user-panel] [role=alert]",
            "The two passwords differ.",
        )
        .await?;
        type_into(ana, "#new-password-again", "a-long-password").await?;
        ana.find(Locator::Css("#new-password-again"))
            .await?
            .send_keys("\u{E007}")
            .await?;
        wait_text(ana, "[data-test=user-panel] [role=status]", "Password set").await?;

        // A hunt group: members are needed, then saved, then deleted after a second click.
        click(ana, "#tab-groups").await?;
        click(ana, "[data-test=new-group]").await?;
        type_into(ana, "#group-name", "Support").await?;
        type_into(ana, "#group-extension", "650").await?;
        click(ana, "form[data-test=group-form] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "Add at least one member.").await?;
        click(ana, "#group-add option[value='list:bruno']").await?;
        click(ana, "[data-test=add-member]").await?;
        wait_text(ana, "ol.members", "Bruno Silva's extension list").await?;
        click(ana, "form[data-test=group-form] button[type=submit]").await?;
        wait_text(ana, "[role=status]", "Support saved.").await?;
        wait_text(ana, "main table", "Support").await?;
        click_in_row(ana, "Support", "delete").await?;
        wait_text(ana, "main table", "Really delete Support?").await?;
        click_in_row(ana, "Support", "delete").await?;
        wait_text(ana, "[role=status]", "Support deleted.").await?;

        // After-call work, by core's rules.
        click(ana, "#tab-wrap-up").await?;
        type_into(ana, "#code-0", "Not A Code").await?;
        click(ana, "form[data-test=wrap-up] button[type=submit]").await?;
        wait_text(ana, "[role=alert]", "is not a code").await?;
        type_into(ana, "#code-0", "reached").await?;
        type_into(ana, "#wrap-up-seconds", "90").await?;
        click(ana, "form[data-test=wrap-up] button[type=submit]").await?;
        wait_text(ana, "[role=status]", "After-call work saved.").await?;

        // Each change is in the audit log.
        click(ana, "#tab-audit").await?;
        for action in [
            "user.create",
            "user.update",
            "device.add",
            "device.remove",
            "user.password",
            "group.put",
            "group.delete",
            "wrap_up.put",
        ] {
            wait_text(ana, "table[data-test=audit]", action).await?;
        }
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ana_sets_up_single_sign_on_and_the_audit_log_shows_it_without_the_secret() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_sized(&[WIDE], async |b| {
        let ana = &b[0].client;
        admin_sign_in(ana, &origin, "ana@acme.example").await?;
        click(ana, "#tab-sso").await?;
        // The redirect URI to register at the provider is this backend's callback.
        wait_text(ana, "[data-test=sso-redirect]", "/api/v1/sso/callback").await?;
        let save = "form[data-test=sso] button[type=submit]";

        // Switched on without a provider: said before sending.
        click(ana, "#sso-enabled").await?;
        click(ana, save).await?;
        wait_text(ana, "form[data-test=sso] [role=alert]", "issuer").await?;

        // The server's own check: an http issuer is refused with its sentence.
        type_into(ana, "#sso-issuer", "http://login.acme.example").await?;
        type_into(ana, "#sso-client-id", "ucclient").await?;
        type_into(ana, "#sso-secret", "a-very-secret-value").await?;
        type_into(ana, "#sso-domains", "acme.example").await?;
        click(ana, save).await?;
        wait_text(ana, "form[data-test=sso] [role=alert]", "https").await?;

        type_into(ana, "#sso-issuer", "https://login.acme.example").await?;
        type_into(ana, "#sso-secret", "a-very-secret-value").await?;
        click(ana, save).await?;
        wait_text(ana, "[role=status]", "Single sign-on settings saved.").await?;
        wait_text(ana, "#sso-secret-hint", "A secret is stored").await?;
        both_widths(ana, "admin-15-sso").await?;

        click(ana, "#tab-audit").await?;
        wait_text(ana, "table[data-test=audit]", "sso.put").await?;
        let audit = ana
            .find(Locator::Css("table[data-test=audit]"))
            .await?
            .text()
            .await?;
        ensure!(
            !audit.contains("a-very-secret-value"),
            "the audit log shows the client secret: {audit}"
        );
        Ok(())
    })
    .await
}

// --- presence-server: the customer's CRM presence map (issue 14) ---

/// The `value` of the form control `css`.
async fn value_of(client: &Client, css: &str) -> Result<String> {
    let el = client.find(Locator::Css(css)).await?;
    Ok(el.prop("value").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ana_edits_the_crm_presence_map_and_agents_get_it_in_me() -> Result<()> {
    admin_dist()?;
    let server = Server::demo(None).await?;
    let origin = server.url();
    with_sized(&[WIDE], async |b| {
        let ana = &b[0].client;
        admin_sign_in(ana, &origin, "ana@acme.example").await?;
        click(ana, "#tab-crm-presence").await?;
        wait_attr(ana, "#tab-crm-presence", "aria-current", "page").await?;
        // Core's default until Acme stores its own: seven Omni-Channel rows, five Dynamics 365 rows.
        wait_until(ana, "the default map", async |c| {
            Ok(value_of(c, "#salesforce-status-0").await? == "Available")
        })
        .await?;
        ensure!(value_of(ana, "#salesforce-profile-2").await? == "in_a_meeting");
        ensure!(value_of(ana, "#dynamics-status-10").await? == "Away");
        both_widths(ana, "admin-crm-presence").await?;
        let save = "form[data-test=crm-presence] button[type=submit]";

        // A status twice is refused before sending, in a sentence.
        type_into(ana, "#salesforce-status-1", " available ").await?;
        click(ana, save).await?;
        wait_text(
            ana,
            "form[data-test=crm-presence] [role=alert]",
            "The CRM status \"available\" is mapped twice.",
        )
        .await?;

        // Rename one, remove Dynamics' first row, add one with its profile, switch the map off.
        type_into(ana, "#salesforce-status-1", "  Phone ").await?;
        click(
            ana,
            "table[data-test=dynamics-rules] tbody tr:first-child button",
        )
        .await?;
        click(ana, "[data-test=dynamics-add]").await?;
        type_into(ana, "#dynamics-status-12", "On a call").await?;
        click(ana, "#dynamics-profile-12 option[value=in_a_meeting]").await?;
        click(ana, "#crm-presence-enabled").await?;
        click(ana, save).await?;
        wait_text(ana, "[role=status]", "CRM presence saved.").await?;

        // Drawn again from the server's answer: trimmed, renumbered, off.
        wait_until(ana, "the stored map", async |c| {
            Ok(value_of(c, "#dynamics-status-11").await.unwrap_or_default() == "On a call")
        })
        .await?;
        ensure!(value_of(ana, "#salesforce-status-1").await? == "Phone");
        ensure!(value_of(ana, "#dynamics-profile-11").await? == "in_a_meeting");
        ensure!(value_of(ana, "#dynamics-status-7").await? == "Busy");
        let on = ana.find(Locator::Css("#crm-presence-enabled")).await?;
        ensure!(on.prop("checked").await?.as_deref() == Some("false"));

        // An agent's widget reads it from /me.
        let http = reqwest::Client::new();
        let login: serde_json::Value = http
            .post(format!("{origin}/api/v1/login"))
            .json(&serde_json::json!({"email": "bruno@acme.example", "password": "demo"}))
            .send()
            .await?
            .json()
            .await?;
        let token = login["token"].as_str().unwrap_or_default();
        let me: serde_json::Value = http
            .get(format!("{origin}/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let map = &me["crm_presence"];
        ensure!(map["enabled"] == false, "{map}");
        ensure!(map["salesforce"][1]["status"] == "Phone", "{map}");
        ensure!(map["dynamics"][4]["status"] == "On a call", "{map}");

        // And the change is in the audit log.
        click(ana, "#tab-audit").await?;
        wait_text(ana, "table[data-test=audit]", "crm_presence.put").await?;
        Ok(())
    })
    .await
}
