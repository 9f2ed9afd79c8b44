//! The Single sign-on tab: the customer's OpenID Connect provider (issuer, client id, how UcClient
//! authenticates — a write-only client secret or private key JWT, whose JWKS URL is shown and whose
//! key can be rotated —, allowed email domains, the claim that names the user), whether password
//! sign-in stays on, and just-in-time creation of unknown users.

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::api::{self, SsoSettings, SsoUpdate};
use crate::app::{Change, Ctx, Loaded, checked, field, load};
use crate::validate;
use ucclient_core::api::SsoClientAuth;

/// The settings' path.
const SSO: &str = "/admin/sso";

/// The ID-token claims offered to name the user.
const CLAIMS: [(&str, &str); 3] = [
    ("email", "email"),
    ("preferred_username", "preferred_username"),
    ("upn", "upn (Microsoft Entra ID)"),
];

/// Checks the form: with single sign-on on, the provider must be complete (a secret is needed only
/// when none is stored yet); password sign-in may be switched off only while it is on.
pub fn check(form: &SsoUpdate, secret_stored: bool) -> Result<SsoUpdate, String> {
    let mut out = form.clone();
    out.client_id = form.client_id.trim().to_owned();
    if form.enabled {
        out.issuer = validate::issuer(&form.issuer)?;
        if out.client_id.is_empty() {
            return Err("Give the client id the identity provider issued.".to_owned());
        }
        if form.client_auth == SsoClientAuth::ClientSecret
            && form.client_secret.is_none()
            && !secret_stored
        {
            return Err("Give the client secret the identity provider issued.".to_owned());
        }
        if out.allowed_domains.is_empty() {
            return Err("Give at least one allowed email domain.".to_owned());
        }
    } else if !form.password_login {
        return Err(
            "Password sign-in can be switched off only while single sign-on is on.".to_owned(),
        );
    }
    Ok(out)
}

/// The tab.
#[component]
pub fn Sso() -> impl IntoView {
    let ctx = Ctx::current();
    let settings: Loaded<SsoSettings> = RwSignal::new(None);
    let refresh = move || load(ctx, SSO.to_owned(), settings);
    refresh();
    // The tab's, not the form's: the form is drawn again from the refreshed settings.
    let change = Change::new();
    view! {
        <section aria-labelledby="sso-h">
            <h2 id="sso-h">"Single sign-on"</h2>
            <p class="muted">
                "Your users sign in with your company's identity provider (OpenID Connect). "
                "Register this backend there as a confidential client first."
            </p>
            {move || match settings.get() {
                None => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) if e.is_not_found() => view! {
                    <p class="notice" role="status">"Single sign-on is not available on this server yet."</p>
                }
                .into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(s)) => view! { <SsoForm settings=s change=change refresh=refresh/> }.into_any(),
            }}
        </section>
    }
}

/// The settings form.
#[component]
fn SsoForm(
    settings: SsoSettings,
    change: Change,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = Ctx::current();
    let secret_stored = settings.client_secret_set;
    let key_auth = RwSignal::new(settings.client_auth == SsoClientAuth::PrivateKeyJwt);
    let jwks_uri = settings.jwks_uri.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let secret = field("sso-secret");
        let domains_text = field("sso-domains");
        let domains = if domains_text.trim().is_empty() {
            Ok(Vec::new())
        } else {
            validate::domains(&domains_text)
        };
        let form = domains.and_then(|allowed_domains| {
            check(
                &SsoUpdate {
                    enabled: checked("sso-enabled"),
                    issuer: field("sso-issuer"),
                    client_id: field("sso-client-id"),
                    client_secret: (!secret.is_empty()).then_some(secret),
                    allowed_domains,
                    user_claim: field("sso-claim"),
                    password_login: checked("sso-passwords"),
                    jit: checked("sso-jit"),
                    client_auth: if field("sso-client-auth") == "private_key_jwt" {
                        SsoClientAuth::PrivateKeyJwt
                    } else {
                        SsoClientAuth::ClientSecret
                    },
                    rotate_key: checked("sso-rotate-key"),
                },
                secret_stored,
            )
        });
        let body = match form {
            Ok(b) => b,
            Err(why) => return change.refuse(why),
        };
        change.run(
            ctx,
            Method::PUT,
            SSO.to_owned(),
            api::json(&body),
            "Single sign-on settings saved.".to_owned(),
            move |_: SsoSettings| refresh(),
        );
    };
    let claim = settings.user_claim.clone();
    let mut claims: Vec<(String, String)> = CLAIMS
        .iter()
        .map(|(v, t)| ((*v).to_owned(), (*t).to_owned()))
        .collect();
    if !claim.is_empty() && !claims.iter().any(|(v, _)| *v == claim) {
        claims.push((claim.clone(), claim.clone()));
    }
    let claim_options = claims
        .into_iter()
        .map(|(v, t)| {
            let selected = v == claim;
            view! { <option value=v selected=selected>{t}</option> }
        })
        .collect_view();
    view! {
        <form class="card" data-test="sso" on:submit=submit novalidate>
            <div class="check">
                <input id="sso-enabled" type="checkbox" checked=settings.enabled/>
                <label for="sso-enabled">"Sign in with the identity provider"</label>
            </div>
            <p class="hint">
                "Register this redirect URI at the identity provider: "
                <code data-test="sso-redirect">{settings.redirect_uri.clone()}</code>
            </p>
            <div class="grid">
                <div>
                    <label for="sso-issuer">"Issuer URL"</label>
                    <input id="sso-issuer" type="url" maxlength="300" value=settings.issuer.clone() placeholder="https://login.example.com"/>
                </div>
                <div>
                    <label for="sso-client-id">"Client id"</label>
                    <input id="sso-client-id" maxlength="255" value=settings.client_id.clone() autocomplete="off"/>
                </div>
                <div>
                    <label for="sso-client-auth">"Client authentication"</label>
                    <select
                        id="sso-client-auth"
                        on:change=move |ev| key_auth.set(event_target_value(&ev) == "private_key_jwt")
                    >
                        <option value="client_secret" selected=!key_auth.get_untracked()>"Client secret"</option>
                        <option value="private_key_jwt" selected=key_auth.get_untracked()>"Private key JWT"</option>
                    </select>
                </div>
                <div>
                    <label for="sso-secret">"Client secret"</label>
                    <input
                        id="sso-secret"
                        type="password"
                        maxlength="1024"
                        autocomplete="off"
                        aria-describedby="sso-secret-hint"
                    />
                    <p id="sso-secret-hint" class="hint">
                        {if secret_stored {
                            "A secret is stored; it is never shown. Leave empty to keep it."
                        } else {
                            "No secret stored yet."
                        }}
                    </p>
                </div>
                <div>
                    <label for="sso-domains">"Allowed email domains"</label>
                    <input
                        id="sso-domains"
                        maxlength="2000"
                        value=settings.allowed_domains.join(", ")
                        aria-describedby="sso-domains-hint"
                    />
                    <p id="sso-domains-hint" class="hint">"Separated by commas: acme.example, acme.pt"</p>
                </div>
                <div>
                    <label for="sso-claim">"Claim that names the user"</label>
                    <select id="sso-claim">{claim_options}</select>
                </div>
            </div>
            <div hidden=move || !key_auth.get()>
                <p class="hint" data-test="sso-jwks">
                    {match jwks_uri.clone() {
                        Some(u) => view! {
                            "Register this JWKS URL at the identity provider (private_key_jwt): "
                            <code>{u}</code>
                        }
                        .into_any(),
                        None => view! {
                            "Save to create the key pair; its JWKS URL to register at the identity provider is shown then."
                        }
                        .into_any(),
                    }}
                </p>
                <div class="check">
                    <input id="sso-rotate-key" type="checkbox"/>
                    <label for="sso-rotate-key">"Rotate key (the old one stops working once the identity provider reads the JWKS again)"</label>
                </div>
            </div>
            <div class="check">
                <input id="sso-passwords" type="checkbox" checked=settings.password_login/>
                <label for="sso-passwords">"Users may also sign in with a password"</label>
            </div>
            <div class="check">
                <input id="sso-jit" type="checkbox" checked=settings.jit aria-describedby="sso-jit-hint"/>
                <label for="sso-jit">"Create unknown users when they first sign in"</label>
            </div>
            <p id="sso-jit-hint" class="hint">"Created users do not get the CRM client permission: give it in Users."</p>
            <button type="submit" class="primary" disabled=move || change.busy.get()>"Save"</button>
            {change.outcome()}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SsoUpdate {
        SsoUpdate {
            enabled: true,
            issuer: "https://idp.acme.example/".to_owned(),
            client_id: " ucclient ".to_owned(),
            client_secret: None,
            allowed_domains: vec!["acme.example".to_owned()],
            user_claim: "email".to_owned(),
            password_login: true,
            jit: false,
            client_auth: SsoClientAuth::ClientSecret,
            rotate_key: false,
        }
    }

    #[test]
    fn a_complete_provider_is_needed_only_when_on() {
        let ok = check(&form(), true).unwrap();
        assert_eq!(ok.issuer, "https://idp.acme.example");
        assert_eq!(ok.client_id, "ucclient");
        assert!(check(&form(), false).unwrap_err().contains("secret"));
        let off = SsoUpdate {
            enabled: false,
            issuer: String::new(),
            ..form()
        };
        assert!(check(&off, false).is_ok());
        let locked_out = SsoUpdate {
            password_login: false,
            ..off
        };
        assert!(check(&locked_out, false).is_err());
        let key = SsoUpdate {
            client_auth: SsoClientAuth::PrivateKeyJwt,
            ..form()
        };
        assert!(
            check(&key, false).is_ok(),
            "private key JWT needs no secret"
        );
    }
}
