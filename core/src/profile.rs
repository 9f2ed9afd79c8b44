//! The eleven presence profiles of SPEC §3: stable ids, names, status, colour and the busy overlay.
//!
//! The colour column of the seed is a judgment call (its images did not survive), so the colours are a
//! [`ColourScheme`] with the specification's table as its default, never a constant baked into callers.

use serde::{Deserialize, Serialize};

/// A presence profile, identified on the wire by its stable snake_case id (`in_a_meeting`, …).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ProfileId {
    /// Disponível — the default profile.
    #[default]
    Available,
    /// Afastado.
    Away,
    /// Conforto.
    ComfortBreak,
    /// Numa reunião.
    InAMeeting,
    /// No Escritório.
    InTheOffice,
    /// Almoço.
    Lunch,
    /// De férias.
    OnHoliday,
    /// Na estrada.
    OnTheRoad,
    /// Fora do Escritório.
    OutOfOffice,
    /// Trabalhar a partir de casa.
    WorkingFromHome,
    /// Trabalhar remotamente.
    WorkingRemotely,
}

/// What other users are told about a user's reachability (SPEC §3).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Reachable.
    Available,
    /// Not reachable.
    Unavailable,
}

/// The colour other users see on a presence badge (SPEC §3: three colours).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// Green in the widget.
    Available,
    /// Amber in the widget.
    Away,
    /// Red in the widget; also the busy overlay during calls.
    Busy,
}

/// A language the product speaks. Profile names exist in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    /// English (the default).
    #[default]
    #[serde(rename = "en")]
    En,
    /// European Portuguese (the seed's language).
    #[serde(rename = "pt-PT")]
    PtPt,
    /// Brazilian Portuguese.
    #[serde(rename = "pt-BR")]
    PtBr,
}

impl Language {
    /// Every language, in the order the widget offers them.
    pub const ALL: [Language; 3] = [Language::En, Language::PtPt, Language::PtBr];

    /// The BCP 47 tag of the language.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::PtPt => "pt-PT",
            Language::PtBr => "pt-BR",
        }
    }

    /// The language for one BCP 47 tag, if we speak it: `pt-BR` → Brazilian, any other `pt` → European
    /// Portuguese (the seed's), any `en` → English.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let tag = tag.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Some(Language::En),
            "pt" if tag.ends_with("br") => Some(Language::PtBr),
            "pt" => Some(Language::PtPt),
            _ => None,
        }
    }

    /// The best language for an HTTP `Accept-Language` header, honouring q-values; English when
    /// nothing matches.
    pub fn from_accept_language(header: &str) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Language::from_tag(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// The language for a Dynamics 365 LCID (`userSettings.languageId`): 2070 pt-PT, 1046 pt-BR.
    pub fn from_lcid(lcid: u32) -> Option<Language> {
        match lcid {
            2070 => Some(Language::PtPt),
            1046 => Some(Language::PtBr),
            1033 | 2057 | 3081 | 4105 => Some(Language::En),
            _ => None,
        }
    }
}

/// One row of the profile table of SPEC §3.
struct ProfileRow {
    id: ProfileId,
    key: &'static str,
    pt_pt: &'static str,
    pt_br: &'static str,
    en: &'static str,
    status: Status,
    colour: Colour,
}

/// The seed's profile table, in the order of SPEC §3 (which is the order `GET /profiles` answers in).
#[rustfmt::skip]
const PROFILE_TABLE: [ProfileRow; 11] = {
    use Colour as C;
    use ProfileId as P;
    use Status::{Available as A, Unavailable as U};
    [
        row(P::Available, "available", "Disponível", "Disponível", "Available", A, C::Available),
        row(P::Away, "away", "Afastado", "Ausente", "Away", U, C::Away),
        row(P::ComfortBreak, "comfort_break", "Conforto", "Pausa", "Comfort break", U, C::Away),
        row(P::InAMeeting, "in_a_meeting", "Numa reunião", "Em reunião", "In a meeting", U, C::Busy),
        row(P::InTheOffice, "in_the_office", "No Escritório", "No escritório", "In the office", A, C::Available),
        row(P::Lunch, "lunch", "Almoço", "Almoço", "Lunch", U, C::Away),
        row(P::OnHoliday, "on_holiday", "De férias", "De férias", "On holiday", U, C::Away),
        row(P::OnTheRoad, "on_the_road", "Na estrada", "Na estrada", "On the road", A, C::Available),
        row(P::OutOfOffice, "out_of_office", "Fora do Escritório", "Fora do escritório", "Out of office", U, C::Away),
        row(P::WorkingFromHome, "working_from_home", "Trabalhar a partir de casa", "Trabalhando de casa", "Working from home", A, C::Available),
        row(P::WorkingRemotely, "working_remotely", "Trabalhar remotamente", "Trabalhando remotamente", "Working remotely", A, C::Available),
    ]
};

const fn row(
    id: ProfileId,
    key: &'static str,
    pt_pt: &'static str,
    pt_br: &'static str,
    en: &'static str,
    status: Status,
    colour: Colour,
) -> ProfileRow {
    ProfileRow {
        id,
        key,
        pt_pt,
        pt_br,
        en,
        status,
        colour,
    }
}

impl ProfileId {
    /// The eleven profiles in the order of SPEC §3.
    pub const ALL: [ProfileId; 11] = {
        let mut all = [ProfileId::Available; 11];
        let mut i = 0;
        while i < 11 {
            all[i] = PROFILE_TABLE[i].id;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static ProfileRow {
        // The table is in declaration order, so the discriminant is the index.
        &PROFILE_TABLE[self as usize]
    }

    /// The stable wire id (`in_a_meeting`).
    pub fn as_str(self) -> &'static str {
        self.row().key
    }

    /// The profile with this wire id, if any.
    pub fn parse(id: &str) -> Option<ProfileId> {
        PROFILE_TABLE.iter().find(|r| r.key == id).map(|r| r.id)
    }

    /// The profile's name in `lang`.
    pub fn name(self, lang: Language) -> &'static str {
        let r = self.row();
        match lang {
            Language::En => r.en,
            Language::PtPt => r.pt_pt,
            Language::PtBr => r.pt_br,
        }
    }

    /// The profile's status (Available or Unavailable).
    pub fn status(self) -> Status {
        self.row().status
    }

    /// Whether the seed's active-mode table turns Do Not Disturb on for this profile: exactly the
    /// profiles whose status is Unavailable.
    pub fn default_dnd(self) -> bool {
        self.status() == Status::Unavailable
    }
}

impl std::fmt::Display for ProfileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The colour of each profile. The default is SPEC §3's judgment-call column; a deployment may
/// configure another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourScheme {
    colours: [Colour; 11],
}

impl Default for ColourScheme {
    fn default() -> Self {
        let mut colours = [Colour::Available; 11];
        for (c, r) in colours.iter_mut().zip(PROFILE_TABLE.iter()) {
            *c = r.colour;
        }
        ColourScheme { colours }
    }
}

impl ColourScheme {
    /// The colour the profile shows when its owner is not on a call.
    pub fn colour(&self, profile: ProfileId) -> Colour {
        self.colours[profile as usize]
    }

    /// This scheme with one profile's colour changed.
    pub fn with(mut self, profile: ProfileId, colour: Colour) -> Self {
        self.colours[profile as usize] = colour;
        self
    }
}

/// A colour as CSS writes it, `#rrggbb` in lowercase hex: what a reseller paints one of the three
/// presence colours with. Only this form is accepted, so the value can go into a style attribute
/// as it is (nothing else can be smuggled into the CSS).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexColour(String);

/// A colour that is not `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a colour is written #rrggbb: '#' and six hexadecimal digits, like #1e8e3e")]
pub struct HexColourError;

impl HexColour {
    /// Reads `#rrggbb` (either case; kept in lowercase).
    pub fn parse(s: &str) -> Result<HexColour, HexColourError> {
        let digits = s.strip_prefix('#').ok_or(HexColourError)?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HexColourError);
        }
        Ok(HexColour(s.to_ascii_lowercase()))
    }

    /// The `#rrggbb` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HexColour {
    type Error = HexColourError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        HexColour::parse(&s)
    }
}

impl From<HexColour> for String {
    fn from(c: HexColour) -> String {
        c.0
    }
}

/// What each of SPEC §3's three colours looks like, set per reseller (SPEC §3: "must be
/// configurable"). The widget paints badges with these and has no colours of its own.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PresenceColours {
    /// The Available colour.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^#[0-9a-f]{6}$", example = "#1e8e3e"))]
    pub available: HexColour,
    /// The Away colour.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^#[0-9a-f]{6}$", example = "#c27c00"))]
    pub away: HexColour,
    /// The Busy colour (also the busy overlay during calls).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^#[0-9a-f]{6}$", example = "#c5221f"))]
    pub busy: HexColour,
}

impl Default for PresenceColours {
    /// Green, amber and red, each with at least 3:1 contrast on white (the badge also differs in
    /// shape, so colour is never the only cue).
    fn default() -> Self {
        let c = |s: &str| HexColour(s.to_owned());
        PresenceColours {
            available: c("#1e8e3e"),
            away: c("#c27c00"),
            busy: c("#c5221f"),
        }
    }
}

impl PresenceColours {
    /// How `colour` is painted.
    pub fn of(&self, colour: Colour) -> &HexColour {
        match colour {
            Colour::Available => &self.available,
            Colour::Away => &self.away,
            Colour::Busy => &self.busy,
        }
    }
}

/// The presence others see: the profile's status and colour with the **busy overlay** of SPEC §3
/// applied — a user whose profile has status Available and who is on a call shows Busy.
pub fn shown_colour(profile: ProfileId, on_call: bool, scheme: &ColourScheme) -> Colour {
    if on_call && profile.status() == Status::Available {
        Colour::Busy
    } else {
        scheme.colour(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §3's table, as data: id, pt-PT name, English name, status, colour.
    #[rustfmt::skip]
    const SPEC_TABLE: [(&str, &str, &str, Status, Colour); 11] = [
        ("available", "Disponível", "Available", Status::Available, Colour::Available),
        ("away", "Afastado", "Away", Status::Unavailable, Colour::Away),
        ("comfort_break", "Conforto", "Comfort break", Status::Unavailable, Colour::Away),
        ("in_a_meeting", "Numa reunião", "In a meeting", Status::Unavailable, Colour::Busy),
        ("in_the_office", "No Escritório", "In the office", Status::Available, Colour::Available),
        ("lunch", "Almoço", "Lunch", Status::Unavailable, Colour::Away),
        ("on_holiday", "De férias", "On holiday", Status::Unavailable, Colour::Away),
        ("on_the_road", "Na estrada", "On the road", Status::Available, Colour::Available),
        ("out_of_office", "Fora do Escritório", "Out of office", Status::Unavailable, Colour::Away),
        ("working_from_home", "Trabalhar a partir de casa", "Working from home", Status::Available, Colour::Available),
        ("working_remotely", "Trabalhar remotamente", "Working remotely", Status::Available, Colour::Available),
    ];

    #[test]
    fn the_profile_table_is_the_specifications_in_its_order() {
        let scheme = ColourScheme::default();
        assert_eq!(ProfileId::ALL.len(), SPEC_TABLE.len());
        for (p, (id, pt, en, status, colour)) in ProfileId::ALL.iter().zip(SPEC_TABLE) {
            assert_eq!(p.as_str(), id);
            assert_eq!(ProfileId::parse(id), Some(*p));
            assert_eq!(p.name(Language::PtPt), pt);
            assert_eq!(p.name(Language::En), en);
            assert!(!p.name(Language::PtBr).is_empty());
            assert_eq!(p.status(), status);
            assert_eq!(scheme.colour(*p), colour);
            let json = serde_json::to_string(p).unwrap();
            assert_eq!(json, format!("\"{id}\""));
        }
        assert_eq!(ProfileId::default(), ProfileId::Available);
        assert_eq!(ProfileId::parse("busy"), None);
        assert_eq!(ProfileId::parse("Available"), None);
    }

    #[test]
    fn busy_overlay_applies_only_to_available_status_during_a_call() {
        let scheme = ColourScheme::default();
        for p in ProfileId::ALL {
            assert_eq!(shown_colour(p, false, &scheme), scheme.colour(p));
            let on_call = shown_colour(p, true, &scheme);
            match p.status() {
                Status::Available => assert_eq!(on_call, Colour::Busy, "{p}"),
                Status::Unavailable => assert_eq!(on_call, scheme.colour(p), "{p}"),
            }
        }
    }

    #[test]
    fn colours_are_configurable() {
        let scheme = ColourScheme::default().with(ProfileId::InAMeeting, Colour::Away);
        assert_eq!(
            shown_colour(ProfileId::InAMeeting, false, &scheme),
            Colour::Away
        );
        assert_eq!(scheme.colour(ProfileId::Lunch), Colour::Away);
    }

    #[test]
    fn presence_colours_are_hex_colours_and_nothing_else() {
        assert_eq!(HexColour::parse("#1E8e3E").unwrap().as_str(), "#1e8e3e");
        for bad in [
            "",
            "#",
            "1e8e3e",
            "#1e8e3",
            "#1e8e3e0",
            "#1e8e3g",
            "red",
            "#1e8e3e;x:y",
            "#１e8e3e",
        ] {
            assert_eq!(HexColour::parse(bad), Err(HexColourError), "{bad:?}");
        }
        let c = PresenceColours::default();
        assert_eq!(c.of(Colour::Busy).as_str(), "#c5221f");
        let json =
            serde_json::json!({"available": "#00FF00", "away": "#ffaa00", "busy": "#ff0000"});
        let read: PresenceColours = serde_json::from_value(json).unwrap();
        assert_eq!(read.available.as_str(), "#00ff00");
        assert_eq!(serde_json::to_value(&read).unwrap()["available"], "#00ff00");
        let bad = serde_json::json!({"available": "green", "away": "#ffaa00", "busy": "#ff0000"});
        assert!(serde_json::from_value::<PresenceColours>(bad).is_err());
    }

    #[test]
    fn languages_from_headers_tags_and_lcids() {
        assert_eq!(
            Language::from_accept_language("pt-PT,pt;q=0.9,en;q=0.8"),
            Language::PtPt
        );
        assert_eq!(
            Language::from_accept_language("en;q=0.5, pt-BR"),
            Language::PtBr
        );
        assert_eq!(Language::from_accept_language("de-DE, fr"), Language::En);
        assert_eq!(Language::from_accept_language(""), Language::En);
        assert_eq!(Language::from_accept_language("pt;q=0"), Language::En);
        assert_eq!(Language::from_tag("pt_br"), Some(Language::PtBr));
        assert_eq!(Language::from_tag("pt"), Some(Language::PtPt));
        assert_eq!(Language::from_tag("en-GB"), Some(Language::En));
        assert_eq!(Language::from_lcid(2070), Some(Language::PtPt));
        assert_eq!(Language::from_lcid(1046), Some(Language::PtBr));
        assert_eq!(Language::from_lcid(1031), None);
    }
}
