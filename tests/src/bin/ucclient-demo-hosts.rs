//! `ucclient-demo-hosts`: the emulated Salesforce and Dynamics 365 of the end-to-end tests
//! ([`ucclient_e2e::crm::HostSite`], built from `dist/packages/`), served for `cargo xtask demo` with
//! pages around the panels: `/` shows both hosts side by side (ana in Salesforce, bruno in Dynamics),
//! and `/demo/salesforce` and `/demo/dynamics` frame one panel each at 300 px with buttons that fire a
//! click-to-dial / click-to-act for a sample contact and show what the widget asked of the host
//! (`saveLog`, `createRecord`, `updateRecord`, screen pops) and the records as the CRM holds them
//! now (a wrap-up updates the logged Task or phonecall in place).
//!
//! With `--voice-listen 127.0.0.1:8083` it also serves the emulated Salesforce Voice host of the tests
//! ([`ucclient_e2e::voice::VoiceSite`], over https under Salesforce names with a throw-away
//! certificate) with the demo's buttons: `/lightning/voice` frames the package's Visualforce connector,
//! `/lightning/voice-hosted` the backend's `/crm/salesforce-voice`.
//!
//! Usage: `ucclient-demo-hosts --listen 127.0.0.1:8081 --backend http://127.0.0.1:8080
//! [--voice-listen 127.0.0.1:8083]` (the backend must allow this site's origins: `--cors-origin
//! http://127.0.0.1:8081`, and for Voice the connector's and the host page's https origins). Serves
//! until Ctrl-C.

use anyhow::{Context, Result, bail};
use serde_json::json;
use ucclient_e2e::crm::{
    DynamicsOptions, HostOptions, HostSite, PANEL_PATH, SOFTPHONE_PATH, SalesforceOptions,
    packages_dir,
};
use ucclient_e2e::voice::{VoiceOptions, VoiceSite};

/// The sample contact of both hosts.
const CONTACT_NAME: &str = "Rita Lopes";
/// Her number as the CRM record shows it.
const CONTACT_NUMBER: &str = "+351 912 345 678";
/// Her Salesforce record id.
const CONTACT_SF_ID: &str = "003000000000001AAA";
/// Her Dynamics contact id.
const CONTACT_DYN_ID: &str = "5b1d3a5e-0000-4000-8000-000000000001";

/// The Dynamics page's presence menu (CIF 2.0): the agent picks a Dynamics presence as in the
/// real app's menu, and sees the one Dynamics shows now (the widget sets it when the profile
/// changes, through the customer's CRM presence map).
const DYNAMICS_PRESENCE: &str = r#"<h2 style="font-size:14px;margin:10px 0 6px">Dynamics 365 presence (CIF 2.0)</h2>
<p><select id="presence"><option>Available</option><option>Busy</option><option>Busy - DND</option><option>Away</option><option>Offline</option></select>
<button id="set-presence" type="button">Set my presence</button> Now: <b id="presence-now">…</b></p>
<script>
document.getElementById('set-presence').onclick = () => {
  const cif = host().__cif;
  if (!cif || !cif.agentSetsPresence(document.getElementById('presence').value))
    document.getElementById('said').textContent = 'Not set: the CIF library is not initialised yet.';
};
setInterval(() => { const cif = host().__cif; const p = cif && cif.state.presence;
  document.getElementById('presence-now').textContent = p ? p.presenceText : '…'; }, 500);
</script>"#;

/// One emulated CRM page around a 300 px panel: who signs in, the sample contact with a call button,
/// and the host calls the widget made. `frame` is a JavaScript expression of the panel's address.
fn host_page(crm: &str, frame: &str, who: &str, fire: &str, shown: &[&str], extra: &str) -> String {
    let shown = serde_json::to_string(shown).unwrap_or_else(|_| "[]".into());
    format!(
        r##"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{crm} (emulated) · UcClient CRM demo</title>
<style>body{{margin:0;font:13px system-ui,sans-serif;background:#f3f3f3}}
header{{background:#032d60;color:#fff;padding:6px 10px}} main{{display:flex;gap:10px;padding:10px}}
iframe{{border:1px solid #ccc;width:300px;height:520px;background:#fff;display:block}}
#utility{{background:#fff;border:1px solid #ccc;border-top:0;padding:4px 10px;width:278px}}
section{{background:#fff;border:1px solid #ccc;border-radius:4px;padding:8px 10px;min-width:0;flex:1}}
button{{font:inherit;margin:4px 4px 4px 0;padding:4px 8px}} pre{{white-space:pre-wrap;font-size:11px;max-height:300px;overflow:auto;background:#f8f8f8;padding:6px}}</style></head>
<body><header>{crm} (emulated) — sign in as <b>{who}</b>, password <b>demo</b></header>
<main><div><iframe id="panel" title="UcClient CRM" src="about:blank" allow="microphone"></iframe><div id="utility" aria-live="polite">UcClient CRM</div></div>
<section><h2 style="font-size:14px;margin:0 0 6px">Contact: {CONTACT_NAME}</h2>
<p>Phone: <a href="#" id="dial">{CONTACT_NUMBER}</a></p>
<button id="call" type="button">Click to dial {CONTACT_NUMBER}</button>
<button id="show" type="button">Show recorded host calls</button>
<p id="said" role="status"></p><pre id="calls">(none yet)</pre>{extra}</section></main>
<script>
const frame = document.getElementById('panel');
frame.src = {frame};
function host() {{ return frame.contentWindow; }}
function fire() {{
  const delivered = (function () {{ {fire} }})();
  document.getElementById('said').textContent = delivered
    ? 'Delivered to the widget: it places the call (sign in first).'
    : 'Not delivered yet: the widget has not registered its handler (wait for it to load).';
}}
document.getElementById('call').onclick = fire;
document.getElementById('dial').onclick = e => {{ e.preventDefault(); fire(); }};
document.getElementById('show').onclick = () => {{
  const lib = host().__opencti || host().__cif;
  if (!lib) {{ document.getElementById('calls').textContent = 'The host library is not loaded yet.'; return; }}
  const out = {{}};
  for (const m of {shown}) out[m] = lib.callsOf(m).map(c => c.args);
  // The records as the CRM holds them now (a wrap-up updates the logged one in place).
  out.records = lib.state.logs || lib.state.created;
  document.getElementById('calls').textContent = JSON.stringify(out, null, 2);
}};
addEventListener('message', e => {{ const d = e.data || {{}};
  if (d.emulatedOpenCti === 'label') document.getElementById('utility').textContent = '\u260E ' + d.value; }});
</script></body></html>"##,
    )
}

/// Both hosts side by side, Dynamics from the other loopback name (its own session storage).
fn side_by_side() -> String {
    r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>UcClient CRM demo · both hosts</title>
<style>body{margin:0;font:13px system-ui,sans-serif} main{display:flex} iframe{border:0;border-right:2px solid #999;width:50%;height:100vh}</style></head>
<body><main><iframe src="/demo/salesforce" title="Salesforce (emulated): ana" allow="microphone"></iframe><iframe id="dynamics" src="about:blank" title="Dynamics 365 (emulated): bruno" allow="microphone"></iframe></main>
<script>// The other loopback name: another origin, so bruno's sign-in is kept apart from ana's.
const other = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
document.getElementById('dynamics').src = location.protocol + '//' + other + ':' + location.port + '/demo/dynamics';</script></body></html>"#
        .to_owned()
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut listen = "127.0.0.1:8081".to_owned();
    let mut backend = "http://127.0.0.1:8080".to_owned();
    let mut voice_listen = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = value,
            "--backend" => backend = value,
            "--voice-listen" => voice_listen = Some(value),
            _ => bail!(
                "unknown option {flag} (use --listen ADDR --backend URL [--voice-listen ADDR])"
            ),
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    // The Salesforce Voice site first: it needs the packages too, and says so before anything runs.
    let _voice = match voice_listen {
        Some(addr) => {
            let voice_listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            let options = VoiceOptions {
                backend_url: backend.clone(),
                hosted: true,
                controls: true,
            };
            let site = VoiceSite::start_with(voice_listener, &packages_dir(), &options).await?;
            println!("emulated Salesforce Voice host on {}", site.host_url());
            Some(site)
        }
        None => None,
    };
    let options = HostOptions {
        backend_url: backend,
        salesforce: SalesforceOptions {
            search_results: json!({}),
            ..SalesforceOptions::default()
        },
        dynamics: DynamicsOptions {
            contacts: vec![json!({
                "contactid": CONTACT_DYN_ID, "fullname": CONTACT_NAME, "telephone1": "+351912345678"
            })],
            // CIF 2.0, so the agent's Dynamics presence and their profile follow each other.
            cif2: true,
            ..DynamicsOptions::default()
        },
        extra_pages: vec![
            ("/".into(), side_by_side()),
            (
                "/demo/salesforce".into(),
                host_page(
                    "Salesforce Lightning · utility bar",
                    &format!(
                        "'{SOFTPHONE_PATH}?sfdcIFrameOrigin=' + encodeURIComponent(location.origin)"
                    ),
                    "ana@acme.example",
                    &format!(
                        "return host().__opencti && host().__opencti.fireClickToDial({{number: '{CONTACT_NUMBER}', \
                         recordId: '{CONTACT_SF_ID}', recordName: '{CONTACT_NAME}', objectType: 'Contact', params: ''}});"
                    ),
                    &[
                        "saveLog",
                        "searchAndScreenPop",
                        "setSoftphonePanelVisibility",
                        "setSoftphoneItemLabel",
                    ],
                    "",
                ),
            ),
            (
                "/demo/dynamics".into(),
                host_page(
                    "Dynamics 365 · channel panel",
                    &format!("'{PANEL_PATH}'"),
                    "bruno@acme.example",
                    &format!(
                        "return host().__cif && host().__cif.fireClickToAct({{value: '{CONTACT_NUMBER}', name: 'telephone1', \
                         format: 'phone', entityLogicalName: 'contact', entityId: '{CONTACT_DYN_ID}'}});"
                    ),
                    &[
                        "createRecord",
                        "updateRecord",
                        "searchAndOpenRecords",
                        "setMode",
                        "setClickToAct",
                        "setPresence",
                    ],
                    DYNAMICS_PRESENCE,
                ),
            ),
        ],
    };
    let site = HostSite::start(listener, &packages_dir(), &options).await?;
    println!("emulated CRM hosts on {}", site.origin);
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}
