//! The agent's own presence badge: colour, shape and label (never colour alone), the busy overlay
//! during calls, and a small indicator while the PBX has not applied the profile yet.

use std::sync::Arc;

use leptos::prelude::*;
use ucclient_core::api::{PbxSync, Presence, PresenceColours};
use ucclient_core::profile::Colour;

use crate::app::Ctx;
use crate::components::dyn_view;
use crate::i18n::T;

/// The lowercase name of a colour, as the badge's `data-colour`.
pub fn colour_name(c: Colour) -> &'static str {
    match c {
        Colour::Available => "available",
        Colour::Away => "away",
        Colour::Busy => "busy",
        Colour::Unknown => "unknown",
    }
}

/// The widget's `style`: the reseller's three presence colours as the CSS custom properties the
/// stylesheet paints dots with (`--uc-available`, `--uc-away`, `--uc-busy`). The widget has no
/// colours of its own: before `/me` has come there is nothing to paint. Each value is a checked
/// `#rrggbb` (core's `HexColour`), so nothing else can reach the style.
pub fn colour_style(colours: Option<&PresenceColours>) -> String {
    let mut out = String::new();
    if let Some(c) = colours {
        for (name, hex) in [
            ("--uc-available:", &c.available),
            ("--uc-away:", &c.away),
            ("--uc-busy:", &c.busy),
        ] {
            out.push_str(name);
            out.push_str(hex.as_str());
            out.push(';');
        }
    }
    out
}

/// The CSS class of a colour; the stylesheet gives each a different shape too.
pub fn colour_class(c: Colour) -> &'static str {
    match c {
        Colour::Available => "uc-dot uc-available",
        Colour::Away => "uc-dot uc-away",
        Colour::Busy => "uc-dot uc-busy",
        Colour::Unknown => "uc-dot uc-unknown",
    }
}

/// Reads a presence (reactively, from the store): a plain shared function rather than a derived
/// `Signal`, whose code Leptos would instantiate for `Option<Presence>` (code size).
pub type PresenceOf = Arc<dyn Fn() -> Option<Presence> + Send + Sync>;

/// A presence as a dot plus one message that agrees with it: the profile's name, or during a call
/// (the busy overlay: the dot turns busy) "On a call" alone, so a busy dot never sits next to
/// "Available".
#[component]
pub fn PresenceLabel(
    /// The presence shown.
    presence: PresenceOf,
) -> impl IntoView {
    let presence2 = presence.clone();
    let ctx = Ctx::current();
    let label = move || {
        presence().map(|p| {
            if p.on_call {
                ctx.t(T::OnACall)
            } else {
                p.profile.name(ctx.lang)
            }
        })
    };
    view! {
        <span
            class=move || presence2().map(|p| colour_class(p.colour)).unwrap_or("uc-dot")
            aria-hidden="true"
        ></span>
        <span class="uc-presence-label">{dyn_view(label)}</span>
    }
}

/// The badge in the header.
#[component]
pub fn Badge() -> impl IntoView {
    let ctx = Ctx::current();
    let mine: PresenceOf = Arc::new(move || {
        let s = ctx.store.read();
        s.my_presence().cloned()
    });
    let (mine2, mine3) = (mine.clone(), mine.clone());
    let sync = move || {
        let p = mine2()?;
        let (class, text) = match p.pbx_sync {
            PbxSync::Pending => ("uc-sync uc-sync-pending", T::PbxPending),
            PbxSync::Failed => ("uc-sync uc-sync-failed", T::PbxFailed),
            _ => return None,
        };
        let reason = match p.pbx_error {
            Some(e) => format!("{} {e}", ctx.t(text)),
            None => ctx.t(text).to_owned(),
        };
        let (title, aria) = (reason.clone(), reason.clone());
        Some(
            view! {
                <span class=class tabindex="0" title={std::sync::Arc::<str>::from(title)} aria-label={std::sync::Arc::<str>::from(aria)}>
                    <span class="uc-tip" role="tooltip">{reason}</span>
                </span>
            }
            .into_any(),
        )
    };
    view! {
        <div
            class="uc-badge"
            data-test="badge"
            aria-label={std::sync::Arc::<str>::from(ctx.t(T::YourPresence))}
            role="group"
            data-colour=move || {
                mine3().map(|p| colour_name(p.colour)).unwrap_or_default()
            }
        >
            <PresenceLabel presence=mine />
            {dyn_view(sync)}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::HexColour;

    #[test]
    fn dots_are_painted_with_the_resellers_colours_only() {
        let colours = PresenceColours {
            away: HexColour::parse("#123ABC").unwrap(),
            ..PresenceColours::default()
        };
        assert_eq!(
            colour_style(Some(&colours)),
            "--uc-available:#1e8e3e;--uc-away:#123abc;--uc-busy:#c5221f;"
        );
        assert_eq!(colour_style(None), "", "no colours of the widget's own");
    }
}
