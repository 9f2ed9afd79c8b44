//! Licences (SPEC §2): access to UcClient clients is granted per user through permissions.

use crate::profile::ProfileId;

/// The permission that grants the CRM client (the widget and every API call it makes).
pub const CRM_CLIENT: &str = "crm_client";

/// The permission that grants the desktop client (another member of the UC family). It counts for
/// the "any client" rule below, though this product does not use it otherwise.
pub const DESKTOP_CLIENT: &str = "desktop_client";

/// Every permission the backend knows; anything else is refused when granted.
pub const KNOWN_PERMISSIONS: [&str; 2] = [CRM_CLIENT, DESKTOP_CLIENT];

/// Whether the permissions include the CRM client.
pub fn has_crm_client<S: AsRef<str>>(permissions: &[S]) -> bool {
    permissions.iter().any(|p| p.as_ref() == CRM_CLIENT)
}

/// Whether the permissions include access to any UcClient client.
pub fn has_any_client<S: AsRef<str>>(permissions: &[S]) -> bool {
    permissions
        .iter()
        .any(|p| KNOWN_PERMISSIONS.contains(&p.as_ref()))
}

/// The profile a user actually has: a user without access to any UcClient client stays on
/// Available (their colour still follows their calls through the busy overlay), whatever was stored.
pub fn licensed_profile<S: AsRef<str>>(permissions: &[S], chosen: ProfileId) -> ProfileId {
    if has_any_client(permissions) {
        chosen
    } else {
        ProfileId::Available
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Colour, ColourScheme, shown_colour};

    #[test]
    fn unlicensed_users_stay_available_and_follow_their_calls() {
        let none: [&str; 0] = [];
        for p in ProfileId::ALL {
            assert_eq!(licensed_profile(&none, p), ProfileId::Available);
            assert_eq!(licensed_profile(&[CRM_CLIENT], p), p);
            assert_eq!(licensed_profile(&[DESKTOP_CLIENT], p), p);
        }
        let scheme = ColourScheme::default();
        let p = licensed_profile(&none, ProfileId::Lunch);
        assert_eq!(shown_colour(p, true, &scheme), Colour::Busy);
        assert_eq!(shown_colour(p, false, &scheme), Colour::Available);
    }

    #[test]
    fn only_the_crm_permission_opens_the_crm_client() {
        assert!(has_crm_client(&["crm_client"]));
        assert!(!has_crm_client(&["desktop_client"]));
        assert!(!has_any_client(&["something_else"]));
    }
}
