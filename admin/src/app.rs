//! The session and the frame of the page: sign-in, who is signed in (`GET /me`), the role gate,
//! the tabs, sign-out; and the pieces every tab shares: [`Ctx`] (requests that notice an ended
//! session), [`Loaded`] (a list fetched from the server) and [`Change`] (one form's request and its
//! outcome, shown to the administrator).

use gloo_net::http::Method;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use ucclient_core::api::{LoginRequest, LoginResponse, Me, Role};

use crate::api::{self, ApiError, ApiResult};

/// The page's session, shared through Leptos's context.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The bearer token (also in sessionStorage), while signed in.
    pub token: RwSignal<Option<String>>,
    /// Who is signed in, once `GET /me` answered.
    pub me: RwSignal<Option<Me>>,
    /// Why the sign-in form is shown again (the session ended by itself).
    pub notice: RwSignal<Option<String>>,
    /// `GET /me` failed for another reason than an ended session.
    pub me_error: RwSignal<Option<String>>,
}

impl Ctx {
    /// The session of the page.
    pub fn current() -> Ctx {
        expect_context()
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(self, path: &str) -> ApiResult<T> {
        self.send(Method::GET, path, None).await
    }

    /// A request with the token; a 401 `unauthenticated` signs the page out with a notice.
    pub async fn send<T: DeserializeOwned>(
        self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> ApiResult<T> {
        let token = self.token.get_untracked();
        let result = api::call(method, path, token.as_deref(), body).await;
        if let Err(e) = &result
            && e.is_unauthenticated()
            && token.is_some()
        {
            self.forget(Some("Your session has ended. Sign in again.".to_owned()));
        }
        result
    }

    /// Forgets the session (token, user) and shows the sign-in form with `notice`.
    pub fn forget(self, notice: Option<String>) {
        api::store_token(None);
        self.token.set(None);
        self.me.set(None);
        self.me_error.set(None);
        self.notice.set(notice);
    }

    /// Signs out: `POST /logout` (the token stops working at once), then forgets the session.
    pub fn sign_out(self) {
        leptos::task::spawn_local(async move {
            let _ = self.send::<()>(Method::POST, "/logout", None).await;
            self.forget(None);
        });
    }

    /// Loads who is signed in.
    fn load_me(self) {
        leptos::task::spawn_local(async move {
            match self.get::<Me>("/me").await {
                Ok(me) => self.me.set(Some(me)),
                Err(e) if e.is_unauthenticated() => {}
                Err(e) => self.me_error.set(Some(e.message)),
            }
        });
    }
}

/// A list (or object) fetched from the server: nothing yet, the server's error, or the value.
pub type Loaded<T> = RwSignal<Option<Result<T, ApiError>>>;

/// Fetches `path` into `into` (keeping the old value on screen until the answer comes).
pub fn load<T: DeserializeOwned + Send + Sync + 'static>(ctx: Ctx, path: String, into: Loaded<T>) {
    leptos::task::spawn_local(async move {
        let result = ctx.get::<T>(&path).await;
        into.set(Some(result));
    });
}

/// Shows a [`Loaded`] value through `show`, "Loading…" before it comes and the server's sentence
/// when it failed.
pub fn loaded_view<T, V>(
    data: Loaded<T>,
    show: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match data.get() {
        None => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
        Some(Ok(v)) => show(v).into_any(),
    }
}

/// One change the administrator makes (a form, a row's button): busy while its request runs, then
/// the server's error sentence or a confirmation, shown by [`Change::outcome`].
#[derive(Clone, Copy)]
pub struct Change {
    /// A request is under way (its buttons are disabled).
    pub busy: RwSignal<bool>,
    /// What went wrong: the form's own check or the server's sentence.
    pub error: RwSignal<Option<String>>,
    /// What went right.
    pub done: RwSignal<Option<String>>,
}

impl Default for Change {
    fn default() -> Self {
        Change::new()
    }
}

impl Change {
    /// Nothing done yet.
    pub fn new() -> Change {
        Change {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            done: RwSignal::new(None),
        }
    }

    /// Shows the form's own refusal (nothing was sent).
    pub fn refuse(self, why: String) {
        self.done.set(None);
        self.error.set(Some(why));
    }

    /// Sends one request; on success shows `done` and calls `then` with the answer, on failure
    /// shows the server's sentence.
    pub fn run<T: DeserializeOwned + 'static>(
        self,
        ctx: Ctx,
        method: Method,
        path: String,
        body: Option<String>,
        done: String,
        then: impl FnOnce(T) + 'static,
    ) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        self.done.set(None);
        leptos::task::spawn_local(async move {
            let result = ctx.send::<T>(method, &path, body).await;
            self.busy.set(false);
            match result {
                Ok(v) => {
                    self.done.set(Some(done));
                    then(v);
                }
                Err(e) => self.error.set(Some(e.message)),
            }
        });
    }

    /// The outcome: an alert with the error, or a status line with the confirmation.
    pub fn outcome(self) -> impl IntoView {
        view! {
            {move || self.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || self.done.get().map(|d| view! { <p class="ok" role="status">{d}</p> })}
        }
    }
}

/// Puts the keyboard focus on the element `id` once the view has been redrawn (a row re-rendered
/// after a change keeps the administrator's place).
pub fn focus_later(id: String) {
    request_animation_frame(move || {
        let element = document()
            .get_element_by_id(&id)
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        if let Some(e) = element {
            let _ = e.focus();
        }
    });
}

/// The value of the form control `id` in the document (forms read their fields when sent).
pub fn field(id: &str) -> String {
    let Some(element) = document().get_element_by_id(id) else {
        return String::new();
    };
    if let Some(input) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlInputElement>(&element) {
        if matches!(input.type_().as_str(), "checkbox" | "radio") {
            return if input.checked() { "on" } else { "" }.to_owned();
        }
        return input.value();
    }
    if let Some(select) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlSelectElement>(&element) {
        return select.value();
    }
    String::new()
}

/// Whether the checkbox or radio button `id` is ticked.
pub fn checked(id: &str) -> bool {
    field(id) == "on"
}

/// The tabs of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The reseller's customers.
    Customers,
    /// The reseller's presence mode.
    PresenceMode,
    /// The reseller's own audit log.
    ResellerAudit,
    /// The customer's users.
    Users,
    /// Hunt groups.
    Groups,
    /// Dispositions and wrap-up time.
    WrapUp,
    /// The map between the CRMs' agent statuses and profiles.
    CrmPresence,
    /// Registered CRM orgs.
    Orgs,
    /// Single sign-on.
    Sso,
    /// The customer's audit log.
    Audit,
}

impl Tab {
    /// What the tab is called.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Customers => "Customers",
            Tab::PresenceMode => "Presence mode",
            Tab::ResellerAudit => "Reseller audit log",
            Tab::Users => "Users",
            Tab::Groups => "Hunt groups",
            Tab::WrapUp => "After-call work",
            Tab::CrmPresence => "CRM presence",
            Tab::Orgs => "CRM orgs",
            Tab::Sso => "Single sign-on",
            Tab::Audit => "Audit log",
        }
    }

    /// The stable id of its button (`tab-<slug>`), for tests and links.
    pub fn slug(self) -> &'static str {
        match self {
            Tab::Customers => "customers",
            Tab::PresenceMode => "mode",
            Tab::ResellerAudit => "reseller-audit",
            Tab::Users => "users",
            Tab::Groups => "groups",
            Tab::WrapUp => "wrap-up",
            Tab::CrmPresence => "crm-presence",
            Tab::Orgs => "orgs",
            Tab::Sso => "sso",
            Tab::Audit => "audit",
        }
    }
}

/// The customer administrator's tabs.
const CUSTOMER_TABS: [Tab; 7] = [
    Tab::Users,
    Tab::Groups,
    Tab::WrapUp,
    Tab::CrmPresence,
    Tab::Orgs,
    Tab::Sso,
    Tab::Audit,
];
/// The reseller administrator's own tabs (they also administer their own customer).
const RESELLER_TABS: [Tab; 3] = [Tab::Customers, Tab::PresenceMode, Tab::ResellerAudit];

/// The tabs a role sees: none for an agent.
pub fn tabs_of(role: Role) -> Vec<Tab> {
    match role {
        Role::User => Vec::new(),
        Role::CustomerAdmin => CUSTOMER_TABS.to_vec(),
        Role::ResellerAdmin => RESELLER_TABS.into_iter().chain(CUSTOMER_TABS).collect(),
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx {
        token: RwSignal::new(api::stored_token()),
        me: RwSignal::new(None),
        notice: RwSignal::new(None),
        me_error: RwSignal::new(None),
    };
    provide_context(ctx);
    if ctx.token.get_untracked().is_some() {
        ctx.load_me();
    }
    move || {
        if ctx.token.with(Option::is_none) {
            return view! { <SignIn/> }.into_any();
        }
        if let Some(e) = ctx.me_error.get() {
            return view! {
                <main class="narrow">
                    <h1>"UcClient CRM administration"</h1>
                    <p class="error" role="alert">{e}</p>
                    <button type="button" on:click=move |_| ctx.forget(None)>"Sign out"</button>
                </main>
            }
            .into_any();
        }
        match ctx.me.get() {
            None => {
                view! { <main class="narrow"><p role="status">"Loading…"</p></main> }.into_any()
            }
            Some(me) if me.role == Role::User => view! { <NotAdmin me=me/> }.into_any(),
            Some(me) => view! { <Shell me=me/> }.into_any(),
        }
    }
}

/// Email and password; the token goes to sessionStorage, never to a URL.
#[component]
fn SignIn() -> impl IntoView {
    let ctx = Ctx::current();
    let change = Change::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let email = match crate::validate::email(&field("email")) {
            Ok(e) => e,
            Err(why) => return change.refuse(why),
        };
        let password = field("password");
        if password.is_empty() {
            return change.refuse("Give your password.".to_owned());
        }
        let body = api::json(&LoginRequest {
            email,
            password,
            crm_origin: None,
        });
        change.run(
            ctx,
            Method::POST,
            "/login".to_owned(),
            body,
            "Signed in.".to_owned(),
            move |r: LoginResponse| {
                api::store_token(Some(&r.token));
                ctx.notice.set(None);
                ctx.token.set(Some(r.token));
                ctx.load_me();
            },
        );
    };
    view! {
        <main class="narrow">
            <h1>"UcClient CRM administration"</h1>
            {move || ctx.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <form class="card" data-test="sign-in" on:submit=submit novalidate>
                <h2>"Sign in"</h2>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" maxlength="254" autofocus/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024"/>
                <button type="submit" class="primary" disabled=move || change.busy.get()>
                    {move || if change.busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
                {change.outcome()}
            </form>
        </main>
    }
}

/// What an agent sees: no administration, and a way out.
#[component]
fn NotAdmin(me: Me) -> impl IntoView {
    let ctx = Ctx::current();
    view! {
        <main class="narrow" data-test="not-admin">
            <h1>"You are not an administrator"</h1>
            <p>
                "You are signed in as " {me.user.name} " (" {me.user.email} "). "
                "This page is for your company's administrators; ask one of them for what you need."
            </p>
            <button type="button" class="primary" on:click=move |_| ctx.sign_out()>"Sign out"</button>
        </main>
    }
}

/// The administrator's page: header, tabs, the current tab.
#[component]
fn Shell(me: Me) -> impl IntoView {
    let ctx = Ctx::current();
    let tabs = tabs_of(me.role);
    let current = RwSignal::new(tabs[0]);
    let role = match me.role {
        Role::ResellerAdmin => "reseller administrator",
        _ => "customer administrator",
    };
    let reseller = me.role == Role::ResellerAdmin;
    let buttons = tabs
        .iter()
        .map(|&tab| {
            // A reseller administrator's own customer's tabs come after a divider.
            let divider = (reseller && tab == Tab::Users)
                .then(|| view! { <span class="divider" aria-hidden="true"></span> });
            view! {
                {divider}
                <button
                    type="button"
                    id=format!("tab-{}", tab.slug())
                    aria-current=move || (current.get() == tab).then_some("page")
                    on:click=move |_| current.set(tab)
                >
                    {tab.label()}
                </button>
            }
        })
        .collect_view();
    let me_id = me.user.id.clone();
    view! {
        <header class="top">
            <div>
                <h1>"UcClient CRM administration"</h1>
                <p class="muted" data-test="who">
                    {me.user.name} " · " {role} " · " {me.customer.name}
                </p>
            </div>
            <button type="button" data-test="sign-out" on:click=move |_| ctx.sign_out()>"Sign out"</button>
        </header>
        <nav aria-label="Administration">{buttons}</nav>
        <main class="tab" data-tab=move || current.get().slug()>
            {move || {
                let me_id = me_id.clone();
                match current.get() {
                    Tab::Users => view! { <crate::users::Users me=me_id/> }.into_any(),
                    Tab::Groups => view! { <crate::groups::Groups/> }.into_any(),
                    Tab::WrapUp => view! { <crate::wrap_up::WrapUpTab/> }.into_any(),
                    Tab::CrmPresence => view! { <crate::crm_presence::CrmPresenceTab/> }.into_any(),
                    Tab::Orgs => view! { <crate::orgs::Orgs/> }.into_any(),
                    Tab::Sso => view! { <crate::sso::Sso/> }.into_any(),
                    Tab::Audit => view! { <crate::audit::Audit path="/admin/audit"/> }.into_any(),
                    Tab::ResellerAudit => {
                        view! { <crate::audit::Audit path="/admin/reseller/audit"/> }.into_any()
                    }
                    Tab::Customers => view! { <crate::reseller::Customers/> }.into_any(),
                    Tab::PresenceMode => view! { <crate::reseller::PresenceMode/> }.into_any(),
                }
            }}
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_decides_the_tabs() {
        assert!(tabs_of(Role::User).is_empty());
        assert_eq!(tabs_of(Role::CustomerAdmin)[0], Tab::Users);
        let reseller = tabs_of(Role::ResellerAdmin);
        assert_eq!(reseller[0], Tab::Customers);
        assert!(reseller.contains(&Tab::Users) && reseller.contains(&Tab::ResellerAudit));
        assert!(!tabs_of(Role::CustomerAdmin).contains(&Tab::Customers));
    }
}
