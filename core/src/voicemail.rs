//! Voicemail (SPEC §8): whether an inbound call the user did not answer goes to their mailbox, and
//! so which outcome it ends with. The one place this rule lives; the server's call simulation and
//! the profile effect ([`crate::effect`]) both ask it.
//!
//! SPEC §8: "A call nobody answers, that the routing sends nowhere (DND, no device), or that is
//! declined goes to the user's voicemail (on by default); otherwise it is missed." Issue 13 adds
//! that a hunt-group call goes to voicemail only if the group says so. A forwarded call never
//! reaches this rule: forwarding handled it. Whether the mailbox is on is the user's setting,
//! stored (on by default: migration 0007) and passed in here.

use crate::api::CallOutcome;

/// How the call reached the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRoute {
    /// Dialled to the user (an outside number or a colleague's extension).
    Direct,
    /// Through a hunt group, whose configuration says whether unanswered calls go to voicemail.
    Group {
        /// The group's own setting.
        to_voicemail: bool,
    },
}

/// Why an inbound call ended without the user answering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnswered {
    /// The routing sent it nowhere: Do Not Disturb, or no device to ring.
    NothingRang,
    /// It rang for the whole ring time and nobody answered.
    RangOut,
    /// The user declined it.
    Declined,
}

/// **The voicemail rule**: whether the unanswered call goes to the user's mailbox. Every reason
/// [`NotAnswered`] names sends a direct call there while the mailbox is on; a group call only when
/// the group also says so. The reason does not matter today (SPEC §8 treats the three alike); it
/// is taken so that a rule that would tell them apart changes here and nowhere else.
pub fn goes_to_voicemail(mailbox_on: bool, route: CallRoute, _why: NotAnswered) -> bool {
    mailbox_on
        && match route {
            CallRoute::Direct => true,
            CallRoute::Group { to_voicemail } => to_voicemail,
        }
}

/// The outcome an unanswered call ends with: `voicemail` when [`goes_to_voicemail`], else
/// `declined` for a declined call and `missed` for the others.
pub fn unanswered_outcome(mailbox_on: bool, route: CallRoute, why: NotAnswered) -> CallOutcome {
    if goes_to_voicemail(mailbox_on, route, why) {
        CallOutcome::Voicemail
    } else if why == NotAnswered::Declined {
        CallOutcome::Declined
    } else {
        CallOutcome::Missed
    }
}

/// The route of a hunt-group call as it reaches one member, for [`unanswered_outcome`]: the
/// group's message goes to one mailbox only, its first member's (ring order: the group's owner),
/// and only when the group says so; every other member's unanswered leg is missed.
pub fn group_route(group_voicemail: bool, first_member: bool) -> CallRoute {
    CallRoute::Group {
        to_voicemail: group_voicemail && first_member,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CallOutcome::{Declined, Missed, Voicemail};
    use NotAnswered::{Declined as Decline, NothingRang, RangOut};

    /// SPEC §8's sentence as a table: (mailbox on, route, why) → outcome.
    #[test]
    fn spec_table() {
        let direct = CallRoute::Direct;
        let group_vm = CallRoute::Group { to_voicemail: true };
        let group = CallRoute::Group {
            to_voicemail: false,
        };
        let table = [
            // A direct call with the mailbox on: every unanswered call is a message.
            (true, direct, NothingRang, Voicemail),
            (true, direct, RangOut, Voicemail),
            (true, direct, Decline, Voicemail),
            // Mailbox off: missed, or declined as it was.
            (false, direct, NothingRang, Missed),
            (false, direct, RangOut, Missed),
            (false, direct, Decline, Declined),
            // Group calls: only when the group says so, and the user's mailbox is on.
            (true, group_vm, RangOut, Voicemail),
            (true, group_vm, Decline, Voicemail),
            (true, group, RangOut, Missed),
            (true, group, Decline, Declined),
            (false, group_vm, RangOut, Missed),
        ];
        for (on, route, why, want) in table {
            assert_eq!(
                unanswered_outcome(on, route, why),
                want,
                "{on} {route:?} {why:?}"
            );
            assert_eq!(goes_to_voicemail(on, route, why), want == Voicemail);
        }
    }

    /// A group's message: the first member's mailbox only, and only when the group says so.
    #[test]
    fn a_group_call_leaves_one_message_at_most() {
        let table = [
            (group_route(true, true), Voicemail),
            (group_route(true, false), Missed),
            (group_route(false, true), Missed),
            (group_route(false, false), Missed),
        ];
        for (route, want) in table {
            assert_eq!(unanswered_outcome(true, route, RangOut), want, "{route:?}");
            // A declined leg stays declined unless it is the group's message.
            assert_ne!(unanswered_outcome(true, route, Decline), Missed);
        }
        assert_eq!(
            unanswered_outcome(false, group_route(true, true), RangOut),
            Missed
        );
    }
}
