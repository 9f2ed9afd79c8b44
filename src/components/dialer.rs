//! The dialer (number field with immediate feedback, dial) and the call cards: the live call with its
//! state, timer, hold / resume, blind transfer and hang-up, and the incoming-call card.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::Language;
use ucclient_core::api::{Call, CallDirection, CallState, Timestamp};
use ucclient_core::phone::{DialError, DialTarget, format_for_reading};

use crate::api::CallAction;
use crate::app::Ctx;
use crate::i18n::{T, call_state_text, call_summary_named, error_text, phone_error_text, tr};
use crate::state::{ClientState, format_duration, seconds_between};

/// What the dialer says about the input typed so far, `(is_problem, sentence)`, decided as the
/// server decides `POST /calls` (core's `dial_target` with the customer's country and the
/// directory's extensions, [`ClientState::dial_target`]): "Call Ana Silva (ext 201)", "Will dial
/// +351 912 345 678", or why not — for an extension nobody has, the sentence of the server's own
/// refusal (same code, same sentence).
pub fn dial_preview(lang: Language, state: &ClientState, input: &str) -> Option<(bool, String)> {
    if input.trim().is_empty() {
        return None;
    }
    Some(match state.dial_target(input) {
        Ok(DialTarget::Extension(ext)) => {
            let name = state.extension_name(&ext).unwrap_or("");
            let (call, word) = (tr(lang, T::CallColleague), tr(lang, T::Ext));
            (false, format!("{call} {name} ({word} {ext})"))
        }
        Ok(DialTarget::Number(n)) => (
            false,
            format!(
                "{} {}",
                tr(lang, T::WillDial),
                format_for_reading(n.as_str())
            ),
        ),
        Err(e) => (
            true,
            tr(
                lang,
                match &e {
                    DialError::InvalidNumber(p) => phone_error_text(p),
                    DialError::UnknownExtension(_) => error_text(e.reason()),
                },
            )
            .to_owned(),
        ),
    })
}

/// What the call card's transfer field says about its input: the dialer's preview (the server
/// decides a transfer target as it decides a dialled one), and the agent's own extension refused
/// as the server refuses it.
pub fn transfer_preview(
    lang: Language,
    state: &ClientState,
    input: &str,
) -> Option<(bool, String)> {
    let own = state.me.as_ref().map(|m| m.user.extension.as_str());
    if let Ok(DialTarget::Extension(ext)) = state.dial_target(input)
        && Some(ext.as_str()) == own
    {
        return Some((true, tr(lang, T::ErrTransferToSelf).to_owned()));
    }
    dial_preview(lang, state, input)
}

/// The number field and the dial button: Call is enabled only for an input that can be dialled,
/// while no call is in progress (one at a time, and the hint says so).
#[component]
pub fn Dialer() -> impl IntoView {
    let ctx = Ctx::current();
    let hint = move || {
        let s = ctx.store.read();
        if s.on_a_call() {
            return Some((false, ctx.t(T::OneCallAtATime).to_owned()));
        }
        dial_preview(ctx.lang, &s, &ctx.ui.read().dial_input)
    };
    let invalid = move || hint().is_some_and(|(bad, _)| bad);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = ctx.ui.read_untracked().dial_input.clone();
        if !n.trim().is_empty() {
            ctx.dial(n.trim().to_owned(), None);
        }
    };
    view! {
        <form class="uc-dialer" data-test="dialer" on:submit=h(submit)>
            <label for="uc-number">{ctx.t(T::Number)}</label>
            <div class="uc-row">
                <input
                    id="uc-number"
                    type="tel"
                    inputmode="tel"
                    autocomplete="off"
                    maxlength="64"
                    aria-describedby="uc-number-hint"
                    aria-invalid=move || if invalid() { "true" } else { "false" }
                    prop:value=move || ctx.ui.read().dial_input.clone()
                    on:input=h(move |ev| ctx.ui.update(|u| u.dial_input = event_target_value(&ev)))
                />
                <button
                    class="uc-button uc-primary"
                    type="submit"
                    disabled=move || ctx.ui.read().busy || hint().is_none_or(|(bad, _)| bad) || ctx.store.read().on_a_call()
                >
                    {ctx.t(T::Call)}
                </button>
            </div>
            <p
                id="uc-number-hint"
                class=move || if invalid() { "uc-hint uc-invalid" } else { "uc-hint" }
                aria-live="polite"
            >
                {dyn_view(move || hint().map(|(_, s)| s))}
            </p>
        </form>
    }
}

/// The cards of the calls in progress (outgoing and incoming), shown above every tab.
#[component]
pub fn CallCards() -> impl IntoView {
    let ctx = Ctx::current();
    // A wrap-up updates the CRM record the call was logged on: a plain page logs nowhere, and
    // keeps the summary.
    let in_crm = ctx.host().kind() != crate::host::HostKind::Standalone;
    // A tick each second re-reads the clock (a trigger, not a signal of the time: code size).
    let now = Trigger::new();
    // Each tick also saves what was typed in wrap-ups whose time ran out.
    if let Ok(h) = set_interval_with_handle(
        move || {
            now.notify();
            if in_crm {
                crate::components::wrapup::expire(ctx);
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || h.clear());
    }
    // The calls in progress (a consultation leg after the call it is about), then the summaries of
    // those that just ended, then the wrap-ups still open (a call awaiting its wrap-up shows that
    // instead of its summary). The cards are rebuilt when this list changes, not at every presence
    // event (a textarea being typed in keeps its focus): a memo's job, done by an effect and a
    // trigger as the routing editor does (cheaper in the module than a `Memo`).
    let list = move || {
        let lang = ctx.lang;
        let s = ctx.store.read();
        let wrap_ups = if in_crm {
            s.open_wrap_ups(js_sys::Date::now() as i64)
        } else {
            Vec::new()
        };
        let ended = s
            .just_ended
            .iter()
            .filter(|id| !wrap_ups.iter().any(|c| c.id == **id))
            .filter_map(|id| s.history.iter().find(|c| c.id == *id));
        // (Two passes rather than a sort, whose code the module does not otherwise carry.)
        let (legs, firsts) = (
            s.live_calls.iter().filter(|c| c.consult_of.is_some()),
            s.live_calls.iter().filter(|c| c.consult_of.is_none()),
        );
        let shown = |c: &Call, wrap: bool| Shown {
            name: s.party_name(c),
            summary: c.state.is_final().then(|| call_summary_named(lang, &s, c)),
            consulting: s
                .consultation_of(&c.id)
                .map(|leg| (s.party_name(leg), leg.state)),
            wrap,
        };
        firsts
            .chain(legs)
            .chain(ended)
            .map(|c| (c.clone(), shown(c, false)))
            .chain(wrap_ups.iter().map(|c| ((*c).clone(), shown(c, true))))
            .collect::<Vec<_>>()
    };
    let changed = Trigger::new();
    Effect::new(move |prev: Option<Vec<(Call, Shown)>>| {
        now.track();
        let l = list();
        if prev.is_some_and(|p| p != l) {
            changed.notify();
        }
        l
    });
    let cards = move || {
        let lang = ctx.lang;
        changed.track();
        untrack(list)
            .into_iter()
            .map(|(call, shown)| card(ctx, lang, call, shown, now))
            .map(IntoAny::into_any)
            .collect_view()
    };
    view! { <div class="uc-calls" data-test="calls">{dyn_view(cards)}</div> }
}

/// The access key of a call card's button: the first letter of its label in the agent's language
/// ("A" for Answer and Atender, "D" for Decline, "R" for Rejeitar / Recusar), so the two buttons of a
/// ringing card never share one.
pub fn shortcut_key(lang: Language, label: T) -> String {
    tr(lang, label)
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_default()
}

/// The shortcut a button shows and announces (`aria-keyshortcuts`): Alt with its access key, which
/// is how Chromium-based browsers and Firefox on Windows and Linux press it.
pub fn shortcut(lang: Language, label: T) -> String {
    let mut s = String::from("Alt+");
    s.push_str(&shortcut_key(lang, label));
    s
}

/// The lowercase name of a call state, as the call card's `data-state`.
pub fn state_name(state: CallState) -> &'static str {
    match state {
        CallState::Dialing => "dialing",
        CallState::Ringing => "ringing",
        CallState::Connected => "connected",
        CallState::Ended => "ended",
        CallState::Failed => "failed",
    }
}

/// What a call card shows besides the call: the other party's name, the summary of an ended
/// call, and, for a held call with a consultation under way, the consulted party and that leg's
/// state; and whether the card is the call's wrap-up.
#[derive(Clone, PartialEq)]
struct Shown {
    name: String,
    summary: Option<String>,
    consulting: Option<(String, CallState)>,
    wrap: bool,
}

/// What the softphone says on a call's card: "Ringing in this panel" while an inbound call rings
/// here, "Connecting the audio…" while its media is being set up.
#[cfg(feature = "softphone")]
fn softphone_line(ctx: Ctx, call: &Call) -> AnyView {
    use crate::softphone::{S, ts};
    let id = call.id.clone();
    let call = call.clone();
    dyn_view(move || {
        let p = ctx.phone.read();
        let text = if p.connecting.as_deref() == Some(id.as_str()) {
            Some(S::ConnectingAudio)
        } else if p.media_call.is_none() && crate::softphone::rings_here(&p, &call) {
            Some(S::RingsHere)
        } else {
            None
        };
        text.map(|t| {
            view! { <span class="uc-card-state" data-test="softphone-line">{ts(ctx.lang, t)}</span> }
        })
    })
    .into_any()
}

/// Without the softphone, nothing.
#[cfg(not(feature = "softphone"))]
fn softphone_line(_: Ctx, _: &Call) {}

/// Mute and the keypad on the card of the call whose media this panel carries (their code loaded
/// when first shown); rebuilt only when the panel starts or stops carrying it.
#[cfg(feature = "softphone")]
fn softphone_controls(ctx: Ctx, call: &Call, over: bool) -> AnyView {
    if over || call.state.is_final() {
        return ().into_any();
    }
    let id = call.id.clone();
    let carried = Memo::new(move |_| ctx.phone.read().media_call.as_deref() == Some(id.as_str()));
    let call_id = call.id.clone();
    dyn_view(move || {
        carried.get().then(|| {
            let call_id = call_id.clone();
            crate::app::lazy_panel(ctx, move || {
                crate::softphone::panel_view(ctx, Some(call_id.clone()))
            })
        })
    })
    .into_any()
}

/// Without the softphone, nothing.
#[cfg(not(feature = "softphone"))]
fn softphone_controls(_: Ctx, _: &Call, _: bool) {}

/// A call card's plain button (no shortcut): one view type for all of them (code size).
fn act(
    lang: Language,
    class: &'static str,
    test: &'static str,
    label: T,
    disabled: bool,
    go: Box<dyn FnMut(leptos::ev::MouseEvent)>,
) -> AnyView {
    view! {
        <button class=class data-test=test disabled=move || disabled on:click=go>
            {tr(lang, label)}
        </button>
    }
    .into_any()
}

fn card(ctx: Ctx, lang: Language, call: Call, shown: Shown, now: Trigger) -> impl IntoView {
    let incoming = call.direction == CallDirection::Inbound;
    let title = if shown.wrap {
        T::WrapUpTitle
    } else if call.consult_of.is_some() {
        T::Consultation
    } else if incoming {
        T::IncomingCall
    } else {
        T::OutgoingCall
    };
    let Shown {
        name,
        summary,
        consulting,
        wrap,
    } = shown;
    let leg = call.consult_of.is_some();
    let from = call.answered_at.unwrap_or(call.started_at);
    let timer = move || {
        now.track();
        let now = Timestamp::from_millis(js_sys::Date::now() as i64).unwrap_or(from);
        format_duration(seconds_between(from, now))
    };
    let id = call.id.clone();
    let state = call.state;
    view! {
        <div
            class=if incoming { "uc-card uc-incoming" } else { "uc-card" }
            data-test="call-card"
            data-state=state_name(state)
            role="group"
            aria-label={std::sync::Arc::<str>::from(tr(lang, title))}
        >
            <div class="uc-card-text">
                <span class="uc-card-title">{tr(lang, title)}</span>
                <span class="uc-card-number">{name}</span>
                <span class="uc-card-state">
                    {summary.clone().unwrap_or_else(|| tr(lang, if call.held { T::OnHold } else if call.leaving_message { T::LeavingMessage } else { call_state_text(state) }).to_owned())}
                    {(state == CallState::Connected).then(|| view! { " · " <span class="uc-timer">{dyn_view(timer)}</span> }.into_any())}
                </span>
                {consulting.clone().map(|(who, leg_state)| view! {
                    <span class="uc-card-state" data-test="consulting">
                        {format!("{} {who} · {}", tr(lang, T::Consulting), tr(lang, call_state_text(leg_state)))}
                    </span>
                })}
                {softphone_line(ctx, &call)}
            </div>
            {if wrap {
                let call = call.clone();
                let form = move || crate::components::wrapup::form_panel(ctx, lang, call.clone(), now);
                crate::app::lazy_panel(ctx, form)
            } else if summary.is_some() {
                ().into_any()
            } else if incoming && state == CallState::Ringing {
                let (answer, decline) = (id.clone(), id);
                view! {
                    <div class="uc-card-actions">
                    <button
                        class="uc-button"
                        data-test="answer"
                        accesskey=shortcut_key(lang, T::Answer)
                        aria-keyshortcuts=shortcut(lang, T::Answer)
                        on:click=h(move |_| ctx.answer(answer.clone()))
                    >
                        {tr(lang, T::Answer)} <kbd class="uc-kbd" aria-hidden="true">{shortcut(lang, T::Answer)}</kbd>
                    </button>
                    <button
                        class="uc-button uc-danger"
                        data-test="decline"
                        accesskey=shortcut_key(lang, T::Decline)
                        aria-keyshortcuts=shortcut(lang, T::Decline)
                        on:click=h(move |_| ctx.call_action(decline.clone(), CallAction::Decline))
                    >
                        {tr(lang, T::Decline)} <kbd class="uc-kbd" aria-hidden="true">{shortcut(lang, T::Decline)}</kbd>
                    </button>
                    </div>
                }
                .into_any()
            } else if let Some((_, leg_state)) = consulting {
                // A warm transfer under way: the held call completes it or cancels the consultation.
                let (done, cancel) = (id.clone(), id.clone());
                view! {
                    <div class="uc-card-actions">
                    {vec![
                        act(lang, "uc-button uc-primary", "complete-transfer", T::CompleteTransfer, leg_state != CallState::Connected,
                            h(move |_| ctx.call_action(done.clone(), CallAction::CompleteTransfer))),
                        act(lang, "uc-button", "cancel-consult", T::CancelConsult, false,
                            h(move |_| ctx.call_action(cancel.clone(), CallAction::CancelConsult))),
                        act(lang, "uc-button uc-danger", "hangup", T::HangUp, false, h(move |_| ctx.hangup(id.clone()))),
                    ]}
                    </div>
                }
                .into_any()
            } else if state == CallState::Connected && !leg && !call.leaving_message {
                let (held, hold, go) = (call.held, id.clone(), id.clone());
                let hint = move || {
                    let input = ctx.ui.read().transfer_input.clone().unwrap_or_default();
                    transfer_preview(lang, &ctx.store.read(), &input)
                };
                view! {
                    <div class="uc-card-actions">
                    {act(lang, "uc-button", "hold", if held { T::Resume } else { T::Hold }, false,
                        h(move |_| ctx.call_action(hold.clone(), if held { CallAction::Resume } else { CallAction::Hold })))}
                    {[(T::Transfer, false), (T::Consult, true)].map(|(label, consult)| view! {
                        <button
                            class="uc-button"
                            data-test=if consult { "consult" } else { "transfer" }
                            aria-expanded=move || { let u = ctx.ui.read(); if u.transfer_input.is_some() && u.consulting == consult { "true" } else { "false" } }
                            on:click=h(move |_| ctx.ui.update(|u| {
                                let open = u.transfer_input.is_some() && u.consulting == consult;
                                u.transfer_input = (!open).then(String::new);
                                u.consulting = consult;
                            }))
                        >
                            {tr(lang, label)}
                        </button>
                    })}
                    {act(lang, "uc-button uc-danger", "hangup", T::HangUp, false, h(move |_| ctx.hangup(id.clone())))}
                    </div>
                    <form
                        class=move || if ctx.ui.read().transfer_input.is_some() { "uc-transfer" } else { "uc-transfer uc-closed" }
                        data-test="transfer-form"
                        on:submit=h(move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            if hint().is_some_and(|(bad, _)| !bad) {
                                let (to, consult) = { let u = ctx.ui.read_untracked(); (u.transfer_input.clone().unwrap_or_default(), u.consulting) };
                                ctx.transfer(go.clone(), to.trim().to_owned(), consult);
                            }
                        })
                    >
                        <label for="uc-transfer-to">{dyn_view(move || tr(lang, if ctx.ui.read().consulting { T::ConsultWith } else { T::TransferTo }))}</label>
                        <div class="uc-row">
                            <input
                                id="uc-transfer-to"
                                type="tel"
                                inputmode="tel"
                                autocomplete="off"
                                maxlength="64"
                                aria-describedby="uc-transfer-hint"
                                aria-invalid=move || if hint().is_some_and(|(bad, _)| bad) { "true" } else { "false" }
                                prop:value=move || ctx.ui.read().transfer_input.clone().unwrap_or_default()
                                on:input=h(move |ev| ctx.ui.update(|u| u.transfer_input = Some(event_target_value(&ev))))
                            />
                            <button
                                class="uc-button uc-primary"
                                type="submit"
                                data-test="transfer-go"
                                disabled=move || hint().is_none_or(|(bad, _)| bad)
                            >
                                {dyn_view(move || tr(lang, if ctx.ui.read().consulting { T::Consult } else { T::Transfer }))}
                            </button>
                        </div>
                        <p id="uc-transfer-hint" class="uc-hint" aria-live="polite">
                            {dyn_view(move || hint().map(|(_, s)| s))}
                        </p>
                    </form>
                }
                .into_any()
            } else {
                act(lang, "uc-button uc-danger", "hangup", T::HangUp, false, h(move |_| ctx.hangup(id.clone())))
            }}
            {softphone_controls(ctx, &call, summary.is_some())}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ucclient_core::api::{
        CustomerRef, DirectoryEntry, Me, Mode, PbxSync, Presence, Role, User,
    };
    use ucclient_core::phone::{DialError, dial_target};

    #[test]
    fn answer_and_decline_have_distinct_shortcuts_in_every_language() {
        for lang in [Language::En, Language::PtPt, Language::PtBr] {
            assert_ne!(shortcut(lang, T::Answer), shortcut(lang, T::Decline));
        }
        assert_eq!(shortcut(Language::En, T::Answer), "Alt+A");
        assert_eq!(shortcut(Language::PtBr, T::Decline), "Alt+R");
    }
    use ucclient_core::{ProfileId, profile::Colour};

    /// An agent of a customer in `country` whose directory has Ana Silva on 201.
    fn agent_in(country: &str) -> ClientState {
        let ana = User {
            id: "ana".into(),
            name: "Ana Silva".into(),
            email: "ana@acme.example".into(),
            extension: "201".into(),
        };
        let presence = Presence {
            profile: ProfileId::Available,
            status: ProfileId::Available.status(),
            colour: Colour::Available,
            on_call: false,
            since: Timestamp::from_unix(0, 0).unwrap(),
            pbx_sync: PbxSync::NotApplicable,
            pbx_error: None,
        };
        let mut s = ClientState::default();
        s.set_me(Me {
            user: ana.clone(),
            customer: CustomerRef {
                id: "c".into(),
                name: "C".into(),
                country: country.into(),
                log_internal_calls: false,
            },
            permissions: vec![],
            mode: Mode::Active,
            extension_lists_enabled: false,
            presence: presence.clone(),
            devices: vec![],
            role: Role::User,
            colours: Default::default(),
            voicemail: false,
            wrap_up: None,
            crm_presence: None,
        });
        s.set_directory(vec![DirectoryEntry {
            user: ana,
            presence,
        }]);
        s
    }

    #[test]
    fn the_preview_uses_the_customers_country_not_the_language() {
        let (pt, br) = (agent_in("PT"), agent_in("BR"));
        assert_eq!(dial_preview(Language::En, &pt, " "), None);
        // dora (Brazil) in English: a Brazilian number, as the server will dial it.
        assert_eq!(
            dial_preview(Language::En, &br, "(11) 98765-4321"),
            Some((false, "Will dial +55 11 98765-4321".into()))
        );
        assert_eq!(
            dial_preview(Language::En, &br, "912345678"),
            Some((true, "The number has the wrong number of digits.".into()))
        );
        // ana (Portugal) in pt-BR: the reverse.
        assert_eq!(
            dial_preview(Language::PtBr, &pt, "912 345 678"),
            Some((false, "Vai discar +351 912 345 678".into()))
        );
        assert_eq!(
            dial_preview(Language::PtBr, &pt, "(11) 98765-4321").map(|h| h.0),
            Some(true)
        );
        assert_eq!(
            dial_preview(Language::PtPt, &pt, "call me"),
            Some((true, "Use só algarismos, espaços e + - . / ( ).".into()))
        );
    }

    #[test]
    fn the_preview_and_the_server_agree_on_every_input() {
        // Whatever the input, the preview refuses exactly what `POST /calls` (core's
        // `dial_target` with the same country and extensions) refuses.
        let pt = agent_in("PT");
        for input in [
            "201",
            "123",
            "abc",
            "912345678",
            "+5511987654321",
            "(11) 98765-4321",
            "00351912345678",
            "9123456",
            "+",
            "12 34",
        ] {
            let server = dial_target(input, "PT", |e| e == "201");
            let preview = dial_preview(Language::En, &pt, input).map(|h| h.0);
            assert_eq!(preview, Some(server.is_err()), "{input}");
        }
    }

    #[test]
    fn extensions_name_the_colleague_or_are_refused_as_the_server_refuses_them() {
        let pt = agent_in("PT");
        assert_eq!(
            dial_preview(Language::En, &pt, "201"),
            Some((false, "Call Ana Silva (ext 201)".into()))
        );
        assert_eq!(
            dial_preview(Language::PtBr, &pt, "201"),
            Some((false, "Ligar para Ana Silva (ramal 201)".into()))
        );
        // The server answers 422 invalid_number with reason unknown_extension: one sentence.
        let refusal = DialError::UnknownExtension("123".into());
        let server_says = tr(Language::PtPt, error_text(refusal.reason())).to_owned();
        assert_eq!(
            dial_preview(Language::PtPt, &pt, "123"),
            Some((true, server_says))
        );
        assert_eq!(
            dial_preview(Language::En, &pt, "123").unwrap().1,
            "No colleague has that extension."
        );
    }
}
