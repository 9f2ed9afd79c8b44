//! Salesforce Voice with partner telephony, server side (issue 14): for an inbound call of a
//! customer with Salesforce Voice configured, the backend creates the Salesforce VoiceCall record
//! through the Telephony Integration REST API of the org's SCRT domain, and updates it when the
//! call ends — in the background, never blocking or failing the call.
//!
//! The contract (Salesforce's published documentation and samples):
//! - `POST {scrt}/telephony/v1/voiceCalls` creates the record; `PATCH {scrt}/telephony/v1/
//!   voiceCalls/{voiceCallId}` updates it ("Create a Voice Call Record", "Update a Voice Call
//!   Record" in the Salesforce Voice developer guide, `voice_rest_voicecalls_create.htm` /
//!   `voice_rest_voicecalls_update.htm`; the same calls in `src/server/scrtConnector.mjs` of
//!   `salesforce-misc/byo-demo-connector`, which `salesforce/scv-partner-telephony-quickstart`
//!   points to). `{scrt}` is `https://{MyDomain}.my.salesforce-scrt.com`.
//! - Headers: `Authorization: Bearer <JWT>`, `Content-Type: application/json`,
//!   `Telephony-Provider-Name: <provider>` (same pages; the demo sends `demo-connector`).
//! - The JWT ("Telephony Integration REST API Authorization", `voice_rest_authorization.htm`):
//!   header `{"alg":"RS256","typ":"JWT"}`, signed with the private key whose certificate is in the
//!   contact center; claims `iss` = the org id, `sub` = the call center API name, `aud` =
//!   `https://scrt.salesforce.com`, `exp` within 3 minutes, `iat`, and a unique id (`jti`).
//! - The answer of the create call carries `voiceCallId` (the demo connector reads
//!   `response.data.voiceCallId`).
//!
//! What is retried: a create or update that fails on the network, times out, or answers 5xx or
//! 429 is tried again ([`ATTEMPTS`] in all, each bounded by [`ATTEMPT_TIMEOUT`]); any other answer
//! (401 for a key Salesforce does not know, 400 for a refused body) is logged and given up. Logs
//! name the customer, the call, the step and the HTTP status — never the token or the key.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use ucclient_core::api::{CallDirection, Timestamp};

use crate::AppState;
use crate::admin::DbArg;
use crate::audit::{self, Actor};
use crate::store::prelude::*;
use crate::store::{AuditScope, OwnedCall, VoiceKey, VoiceSettings};

/// The JWT's `aud`: "Use https://scrt.salesforce.com" (`voice_rest_authorization.htm`).
pub const SCRT_AUDIENCE: &str = "https://scrt.salesforce.com";
/// The `Telephony-Provider-Name` header we send ("the name of the telephony provider that calls
/// this API", `voice_rest_voicecalls_create.htm`).
pub const TELEPHONY_PROVIDER_NAME: &str = "UcClient CRM";
/// A JWT's lifetime: Salesforce wants `exp` "within 3 minutes".
pub const JWT_LIFETIME_SECS: i64 = 120;
/// How long one HTTP attempt may take, connecting included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many attempts a create or an update gets.
pub const ATTEMPTS: usize = 3;
/// The pause before the second and the third attempt.
const BACKOFF: [Duration; 2] = [Duration::from_millis(300), Duration::from_secs(1)];
// RSA key size (`crate::rsa_key::KEY_BITS`): Salesforce accepts 1024, 2048 or 4096 bits and
// recommends 2048.
/// How long the self-signed certificate is valid.
const CERT_VALIDITY: Duration = Duration::from_secs(2 * 365 * 24 * 3600);

/// The JWT claims of the Telephony Integration REST API (`voice_rest_authorization.htm`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScrtClaims {
    /// The Salesforce org id where the contact center is set up.
    pub iss: String,
    /// The call center API name.
    pub sub: String,
    /// Always [`SCRT_AUDIENCE`].
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expiry (Unix seconds), at most 3 minutes after `iat`.
    pub exp: i64,
    /// A unique id for this token.
    pub jti: String,
}

/// A participant of a new VoiceCall (`participants[]`: `participantKey`, `type`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The caller's number for the end user.
    pub participant_key: String,
    /// `END_USER` for the caller.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The body of `POST /telephony/v1/voiceCalls` (required fields of
/// `voice_rest_voicecalls_create.htm`; `Inbound` as in the demo connector's `createVoiceCall`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVoiceCall {
    /// The contact center's API name.
    pub call_center_api_name: String,
    /// Our call id: the key that identifies the call in the telephony system.
    pub vendor_call_key: String,
    /// The number called: the contact center's number when set, else the user's extension.
    pub to: String,
    /// The caller's number.
    pub from: String,
    /// `Inbound`.
    pub initiation_method: &'static str,
    /// When the call started (ISO 8601, UTC).
    pub start_time: String,
    /// The caller, as the end user.
    pub participants: Vec<Participant>,
}

/// The body of `PATCH /telephony/v1/voiceCalls/{id}` when the call is over (`startTime`,
/// `endTime`, `acceptTime` of `voice_rest_voicecalls_update.htm`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndVoiceCall {
    /// When the call started.
    pub start_time: String,
    /// When it ended.
    pub end_time: String,
    /// When the user answered, if they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    voice_call_id: String,
}

/// A new RSA-2048 key pair for the customer and its self-signed certificate (made `now_ms`).
pub fn new_key(customer_id: &str, now_ms: i64) -> anyhow::Result<VoiceKey> {
    use rsa::pkcs8::LineEnding;
    use std::str::FromStr;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    let mut rng = rand::thread_rng();
    let (private, private_key_pem) = crate::rsa_key::new_key()?;
    let spki = SubjectPublicKeyInfoOwned::from_key(private.to_public_key())
        .map_err(|e| anyhow!("encoding the public key: {e}"))?;
    let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(private.clone());
    let mut serial = [0u8; 16];
    rand::Rng::fill(&mut rng, &mut serial[..]);
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let serial = SerialNumber::new(&serial).map_err(|e| anyhow!("serial number: {e}"))?;
    let validity = Validity::from_now(CERT_VALIDITY).map_err(|e| anyhow!("validity: {e}"))?;
    // Only letters, digits, `-` and `_` make it into the name (customer ids are such already).
    let cn: String = customer_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    let subject = Name::from_str(&format!("CN=UcClient CRM Salesforce Voice {cn},O=UcClient"))
        .map_err(|e| anyhow!("certificate name: {e}"))?;
    let cert = CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signer)
        .map_err(|e| anyhow!("certificate: {e}"))?
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| anyhow!("signing the certificate: {e}"))?;
    let certificate_pem = cert
        .to_pem(LineEnding::LF)
        .map_err(|e| anyhow!("certificate PEM: {e}"))?;
    Ok(VoiceKey {
        private_key_pem,
        certificate_pem,
        created_ms: now_ms,
    })
}

/// The Bearer JWT for the customer's org, issued at `now_secs`.
pub fn sign_jwt(settings: &VoiceSettings, key: &VoiceKey, now_secs: i64) -> anyhow::Result<String> {
    let claims = ScrtClaims {
        iss: settings.org_id.clone(),
        sub: settings.call_center_api_name.clone(),
        aud: SCRT_AUDIENCE.to_owned(),
        iat: now_secs,
        exp: now_secs + JWT_LIFETIME_SECS,
        jti: crate::auth::new_id(),
    };
    let key = EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes())
        .map_err(|_| anyhow!("the stored Salesforce Voice key is not a usable RSA key"))?;
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map_err(|_| anyhow!("signing the Salesforce Voice token failed"))
}

/// Checks an SCRT base URL: `https://` (plain `http://` only to a loopback address, for tests),
/// a host, no path, query or credentials. Returns it without a trailing `/`.
pub fn check_scrt_url(url: &str) -> anyhow::Result<String> {
    let u = reqwest::Url::parse(url.trim()).context("the SCRT URL is not a URL")?;
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => bail!("the SCRT URL must be https:// (e.g. https://mydomain.my.salesforce-scrt.com)"),
    }
    if u.host_str().is_none_or(str::is_empty)
        || !u.username().is_empty()
        || u.password().is_some()
        || u.query().is_some()
        || u.fragment().is_some()
        || !matches!(u.path(), "" | "/")
    {
        bail!("the SCRT URL is only the org's base, e.g. https://mydomain.my.salesforce-scrt.com");
    }
    Ok(u.as_str().trim_end_matches('/').to_owned())
}

/// Checks a Salesforce org id: 15 or 18 letters and digits.
pub fn check_org_id(id: &str) -> anyhow::Result<()> {
    if matches!(id.len(), 15 | 18) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        bail!("an org id is 15 or 18 letters and digits (Setup › Company Information)")
    }
}

/// Checks a phone number in E.164: `+` and 8 to 15 digits.
pub fn check_phone_number(n: &str) -> anyhow::Result<()> {
    match n.strip_prefix('+') {
        Some(d) if (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => bail!("the contact center's number is in E.164: + and 8 to 15 digits"),
    }
}

/// Checks a call center API name: 1 to 80 letters, digits and `_`, starting with a letter.
pub fn check_call_center(name: &str) -> anyhow::Result<()> {
    let ok = (1..=80).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        bail!("a call center API name is 1 to 80 letters, digits and _, starting with a letter")
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(ATTEMPT_TIMEOUT)
            // The token goes to the configured host only.
            .redirect(reqwest::redirect::Policy::none())
            // A call makes two requests minutes apart: keeping connections buys nothing, and a
            // pooled connection would outlive the runtime that opened it (tests run several).
            .pool_max_idle_per_host(0)
            .build()
            .unwrap_or_default()
    })
}

fn iso(t: Timestamp) -> String {
    t.to_string()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Most bytes read of an answer (Salesforce's are a few hundred).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// An answer's body, if it arrives whole within [`MAX_ANSWER_BYTES`].
async fn read_bounded(mut r: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// One request to the org's Telephony Integration REST API with bounded retries; the answer's
/// body on success.
async fn send<B: Serialize>(
    settings: &VoiceSettings,
    key: &VoiceKey,
    method: reqwest::Method,
    path: &str,
    body: &B,
    what: &str,
    call_id: &str,
) -> Option<Vec<u8>> {
    let url = format!("{}/telephony/v1/{path}", settings.scrt_base_url);
    for attempt in 1..=ATTEMPTS {
        if attempt > 1 {
            tokio::time::sleep(BACKOFF[(attempt - 2).min(BACKOFF.len() - 1)]).await;
        }
        // A fresh token each attempt: each lives under 3 minutes.
        let token = match sign_jwt(settings, key, chrono::Utc::now().timestamp()) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(customer = %settings.customer_id, call = %call_id, step = what, error = %e, "salesforce voice");
                return None;
            }
        };
        let sent = client()
            .request(method.clone(), &url)
            .bearer_auth(token)
            .header("Telephony-Provider-Name", TELEPHONY_PROVIDER_NAME)
            .json(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => match read_bounded(r).await {
                Some(b) => return Some(b),
                None => {
                    tracing::warn!(customer = %settings.customer_id, call = %call_id, step = what, attempt, "salesforce voice: the answer broke off or is too long");
                }
            },
            Ok(r) => {
                let status = r.status();
                let retry = status.is_server_error() || status.as_u16() == 429;
                tracing::warn!(customer = %settings.customer_id, call = %call_id, step = what, attempt, status = status.as_u16(), retry, "salesforce voice: refused");
                if !retry {
                    return None;
                }
            }
            Err(e) => {
                // reqwest's error names the URL, never the headers: no token in the log.
                let kind = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connect"
                } else {
                    "request"
                };
                tracing::warn!(customer = %settings.customer_id, call = %call_id, step = what, attempt, kind, "salesforce voice: unreachable");
            }
        }
    }
    None
}

/// The customer's settings and key, when Salesforce Voice is configured for it.
async fn configured(state: &AppState, customer_id: &str) -> Option<(VoiceSettings, VoiceKey)> {
    let settings = state.store.voice_settings(customer_id).await.ok()??;
    match state.store.voice_key(customer_id).await {
        Ok(Some(key)) => Some((settings, key)),
        Ok(None) => {
            tracing::warn!(customer = %customer_id, "salesforce voice: settings but no key pair (ucclient-server voice key)");
            None
        }
        Err(_) => None,
    }
}

/// A new inbound call from outside: creates its VoiceCall in the background when the customer has
/// Salesforce Voice configured (and sends the end-of-call update if the call is over by then).
pub fn inbound_call_created(state: &AppState, owned: &OwnedCall) {
    if owned.call.direction != CallDirection::Inbound || owned.call.internal {
        return;
    }
    let state = state.clone();
    let owned = owned.clone();
    tokio::spawn(async move {
        let Some((settings, key)) = configured(&state, &owned.customer_id).await else {
            return;
        };
        let call = &owned.call;
        let body = CreateVoiceCall {
            call_center_api_name: settings.call_center_api_name.clone(),
            vendor_call_key: call.id.clone(),
            to: settings
                .phone_number
                .clone()
                .unwrap_or_else(|| call.to.clone()),
            from: call.from.clone(),
            initiation_method: "Inbound",
            start_time: iso(call.started_at),
            participants: vec![Participant {
                participant_key: call.from.clone(),
                kind: "END_USER",
            }],
        };
        let Some(answer) = send(
            &settings,
            &key,
            reqwest::Method::POST,
            "voiceCalls",
            &body,
            "create",
            &call.id,
        )
        .await
        else {
            return;
        };
        let Ok(Created { voice_call_id }) = serde_json::from_slice::<Created>(&answer) else {
            tracing::warn!(customer = %owned.customer_id, call = %call.id, "salesforce voice: the create answer has no voiceCallId");
            return;
        };
        if voice_call_id.is_empty()
            || voice_call_id.len() > 64
            || !voice_call_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            tracing::warn!(customer = %owned.customer_id, call = %call.id, "salesforce voice: the voiceCallId is not a record id");
            return;
        }
        if let Err(e) = state
            .store
            .set_voice_call_id(&call.id, &owned.customer_id, &voice_call_id, now_ms())
            .await
        {
            tracing::warn!(customer = %owned.customer_id, call = %call.id, error = %e, "salesforce voice: storing the VoiceCall id");
            return;
        }
        tracing::info!(customer = %owned.customer_id, call = %call.id, voice_call = %voice_call_id, "salesforce voice: VoiceCall created");
        // Over already (a short call, or one that went to voicemail at once): send the update now.
        if let Ok(Some(now)) = state.store.call(&call.id).await
            && now.call.state.is_final()
        {
            end(&state, &settings, &key, &now).await;
        }
    });
}

/// A call moved to a final state: its VoiceCall (if it has one) gets the end-of-call update, in
/// the background and at most once.
pub fn call_ended(state: &AppState, owned: &OwnedCall) {
    if owned.call.direction != CallDirection::Inbound
        || owned.call.internal
        || !owned.call.state.is_final()
    {
        return;
    }
    let state = state.clone();
    let owned = owned.clone();
    tokio::spawn(async move {
        // No VoiceCall yet: the create, still under way, sends the update when it lands.
        if !matches!(state.store.voice_call_id(&owned.call.id).await, Ok(Some(_))) {
            return;
        }
        let Some((settings, key)) = configured(&state, &owned.customer_id).await else {
            return;
        };
        end(&state, &settings, &key, &owned).await;
    });
}

async fn end(state: &AppState, settings: &VoiceSettings, key: &VoiceKey, owned: &OwnedCall) {
    let call = &owned.call;
    let Ok(Some(voice_call_id)) = state.store.claim_voice_call_end(&call.id).await else {
        return;
    };
    let body = EndVoiceCall {
        start_time: iso(call.started_at),
        end_time: iso(call.ended_at.unwrap_or(call.started_at)),
        accept_time: call.answered_at.map(iso),
    };
    if send(
        settings,
        key,
        reqwest::Method::PATCH,
        &format!("voiceCalls/{voice_call_id}"),
        &body,
        "end",
        &call.id,
    )
    .await
    .is_some()
    {
        tracing::info!(customer = %owned.customer_id, call = %call.id, voice_call = %voice_call_id, "salesforce voice: VoiceCall updated");
    }
}

// --- The operator's commands: `ucclient-server voice …` ---

/// `voice …`: a customer's Salesforce Voice settings and key pair.
#[derive(Debug, Args)]
pub struct VoiceArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    cmd: VoiceCmd,
}

#[derive(Debug, Subcommand)]
enum VoiceCmd {
    /// Sets the customer's Salesforce Voice settings; inbound calls then create VoiceCall records
    /// (once a key pair exists and its certificate is in the contact center).
    Set {
        /// Customer id.
        customer: String,
        /// The org's SCRT base URL, e.g. `https://mydomain.my.salesforce-scrt.com`.
        #[arg(long)]
        scrt_url: String,
        /// The contact center's (call center's) API name, e.g. `UcClientContactCenter`.
        #[arg(long)]
        call_center: String,
        /// The Salesforce org id (15 or 18 characters).
        #[arg(long)]
        org_id: String,
        /// The contact center's phone number in E.164 (`+351210000000`): the `to` of inbound
        /// VoiceCalls (without it, the called user's extension).
        #[arg(long)]
        phone_number: Option<String>,
    },
    /// Shows the customer's settings and when its key pair was made (never the private key).
    Show {
        /// Customer id.
        customer: String,
    },
    /// Removes the customer's settings: no more VoiceCall records (the key pair stays).
    Off {
        /// Customer id.
        customer: String,
    },
    /// Makes the customer's RSA key pair and prints its certificate (PEM) to upload to the
    /// contact center. Refuses when a pair exists, unless `--rotate` (the old certificate then
    /// stops working: upload the new one at once).
    Key {
        /// Customer id.
        customer: String,
        /// Replaces an existing key pair.
        #[arg(long)]
        rotate: bool,
    },
    /// Prints the customer's certificate (PEM) again.
    Cert {
        /// Customer id.
        customer: String,
    },
}

async fn log(
    s: &dyn Store,
    customer: &str,
    action: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    audit::record(
        s,
        &Actor::cli(),
        AuditScope::Customer(customer.to_owned()),
        action,
        customer,
        detail,
    )
    .await?;
    Ok(())
}

/// Runs `voice …`.
pub async fn command(args: VoiceArgs) -> anyhow::Result<()> {
    let engine = crate::admin::open(&args.db).await?;
    let done = run(&*engine.store(), args.cmd).await;
    engine.close().await;
    done
}

async fn run(s: &dyn Store, cmd: VoiceCmd) -> anyhow::Result<()> {
    match cmd {
        VoiceCmd::Set {
            customer,
            scrt_url,
            call_center,
            org_id,
            phone_number,
        } => {
            let scrt_base_url = check_scrt_url(&scrt_url)?;
            check_call_center(&call_center)?;
            check_org_id(&org_id)?;
            if let Some(n) = &phone_number {
                check_phone_number(n)?;
            }
            let settings = VoiceSettings {
                customer_id: customer.clone(),
                scrt_base_url,
                call_center_api_name: call_center,
                org_id,
                phone_number,
            };
            if !s.set_voice_settings(&settings, now_ms()).await? {
                bail!("no such customer");
            }
            let detail = serde_json::json!({
                "scrt_url": settings.scrt_base_url,
                "call_center": settings.call_center_api_name,
                "org_id": settings.org_id,
                "phone_number": settings.phone_number,
            });
            log(s, &customer, "voice.settings", detail).await?;
            show(s, &customer).await?;
        }
        VoiceCmd::Show { customer } => show(s, &customer).await?,
        VoiceCmd::Off { customer } => {
            if s.clear_voice_settings(&customer).await? {
                log(s, &customer, "voice.off", serde_json::json!({})).await?;
            }
            println!("salesforce voice off for {customer}");
        }
        VoiceCmd::Key { customer, rotate } => {
            if !rotate && s.voice_key(&customer).await?.is_some() {
                bail!(
                    "the customer has a key pair already: `voice cert` prints its certificate, `voice key --rotate` replaces it"
                );
            }
            let c = customer.clone();
            let key = tokio::task::spawn_blocking(move || new_key(&c, now_ms())).await??;
            if !s.set_voice_key(&customer, &key, rotate).await? {
                bail!("no such customer (or a key pair was made meanwhile)");
            }
            let action = if rotate {
                "voice.key_rotate"
            } else {
                "voice.key"
            };
            log(s, &customer, action, serde_json::json!({})).await?;
            print!("{}", key.certificate_pem);
        }
        VoiceCmd::Cert { customer } => {
            let Some(key) = s.voice_key(&customer).await? else {
                bail!("the customer has no key pair: make one with `voice key`");
            };
            print!("{}", key.certificate_pem);
        }
    }
    Ok(())
}

async fn show(s: &dyn Store, customer: &str) -> anyhow::Result<()> {
    match s.voice_settings(customer).await? {
        Some(v) => {
            println!("scrt_url: {}", v.scrt_base_url);
            println!("call_center: {}", v.call_center_api_name);
            println!("org_id: {}", v.org_id);
            if let Some(n) = &v.phone_number {
                println!("phone_number: {n}");
            }
        }
        None => println!("salesforce voice: off"),
    }
    match s.voice_key(customer).await? {
        Some(k) => println!(
            "key pair: made {}",
            Timestamp::from_millis(k.created_ms)
                .map(|t| t.to_string())
                .unwrap_or_default()
        ),
        None => println!("key pair: none"),
    }
    Ok(())
}
