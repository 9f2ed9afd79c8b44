//! After-call work (issue 13): what a customer's disposition list may hold, how long a wrap-up
//! stays open, and what an agent's wrap-up and a reported CRM record may contain. The one place
//! these rules live: the admin CLI and the API ask them before storing, the widget bounds its
//! fields and its timer with the same constants.

use crate::api::{Call, CallDirection, CrmKind, CrmRecord, Disposition, Timestamp, WrapUp};

/// Most dispositions a customer may configure.
pub const MAX_DISPOSITIONS: usize = 20;
/// Longest disposition code, in characters.
pub const MAX_CODE_LEN: usize = 32;
/// Longest disposition label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// Longest wrap-up notes, in characters (Unicode scalar values, as the browser's `maxlength`
/// counts them closely enough for text without astral characters).
pub const MAX_NOTES_CHARS: usize = 2000;
/// Shortest wrap-up time limit a customer may set, in seconds.
pub const MIN_WRAP_UP_SECONDS: u32 = 10;
/// Longest wrap-up time limit a customer may set, in seconds (an hour).
pub const MAX_WRAP_UP_SECONDS: u32 = 3600;
/// The time limit of a customer that set none: two minutes.
pub const DEFAULT_WRAP_UP_SECONDS: u32 = 120;
/// Longest CRM record id accepted.
pub const MAX_RECORD_ID_LEN: usize = 64;

/// The dispositions of a customer that configured none, as `code=Label` pairs.
pub const DEFAULT_DISPOSITIONS: [(&str, &str); 5] = [
    ("connected", "Connected"),
    ("left_voicemail", "Left voicemail"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
    ("follow_up", "Follow-up"),
];

/// [`DEFAULT_DISPOSITIONS`] as the wire type.
pub fn default_dispositions() -> Vec<Disposition> {
    DEFAULT_DISPOSITIONS
        .iter()
        .map(|(code, label)| Disposition {
            code: (*code).into(),
            label: (*label).into(),
        })
        .collect()
}

/// Why a disposition list, a time limit, a wrap-up or a CRM record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WrapUpError {
    /// The list is empty or longer than [`MAX_DISPOSITIONS`].
    #[error("a customer has 1 to {MAX_DISPOSITIONS} dispositions")]
    DispositionCount,
    /// A code that is not 1-32 of `a-z 0-9 _`.
    #[error("disposition code {0:?} is not 1 to {MAX_CODE_LEN} of a-z, 0-9 and _")]
    InvalidCode(String),
    /// A code given twice.
    #[error("disposition code {0:?} is given twice")]
    DuplicateCode(String),
    /// A label that is empty, too long or has control characters.
    #[error(
        "the label of {0:?} must be 1 to {MAX_LABEL_CHARS} characters without control characters"
    )]
    InvalidLabel(String),
    /// A `code=Label` item without its `=`.
    #[error("{0:?} is not code=Label")]
    NotAPair(String),
    /// A time limit outside the bounds.
    #[error("the wrap-up time is {MIN_WRAP_UP_SECONDS} to {MAX_WRAP_UP_SECONDS} seconds")]
    Seconds,
    /// Notes over [`MAX_NOTES_CHARS`].
    #[error("the notes are longer than {MAX_NOTES_CHARS} characters")]
    NotesTooLong,
    /// Notes with control characters other than line breaks and tabs.
    #[error("the notes contain control characters")]
    InvalidNotes,
    /// A disposition that is not one of the customer's codes.
    #[error("the disposition is not one of the customer's")]
    UnknownDisposition,
    /// A record of the standalone page, or an id that is not 1-64 of `A-Z a-z 0-9 - { }`.
    #[error("the CRM record is not a Salesforce or Dynamics record id")]
    InvalidCrmRecord,
}

/// Whether `code` is a disposition code: 1-32 of `a-z 0-9 _`.
pub fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// **The disposition list rule**: 1 to [`MAX_DISPOSITIONS`] items, codes well-formed and unique,
/// labels 1-64 characters without control characters.
pub fn check_dispositions(list: &[Disposition]) -> Result<(), WrapUpError> {
    if list.is_empty() || list.len() > MAX_DISPOSITIONS {
        return Err(WrapUpError::DispositionCount);
    }
    for (i, d) in list.iter().enumerate() {
        if !is_code(&d.code) {
            return Err(WrapUpError::InvalidCode(d.code.clone()));
        }
        if list[..i].iter().any(|e| e.code == d.code) {
            return Err(WrapUpError::DuplicateCode(d.code.clone()));
        }
        let n = d.label.chars().count();
        if n == 0 || n > MAX_LABEL_CHARS || d.label.chars().any(char::is_control) {
            return Err(WrapUpError::InvalidLabel(d.code.clone()));
        }
    }
    Ok(())
}

/// Reads the admin CLI's `code=Label;code=Label` form (labels trimmed; `;` separates, since
/// labels may hold commas) and checks it with [`check_dispositions`].
pub fn parse_dispositions(text: &str) -> Result<Vec<Disposition>, WrapUpError> {
    let list = text
        .split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (code, label) = item
                .split_once('=')
                .ok_or_else(|| WrapUpError::NotAPair(item.into()))?;
            Ok(Disposition {
                code: code.trim().into(),
                label: label.trim().into(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_dispositions(&list)?;
    Ok(list)
}

/// **The time limit rule**: [`MIN_WRAP_UP_SECONDS`]..=[`MAX_WRAP_UP_SECONDS`].
pub fn check_seconds(seconds: u32) -> Result<(), WrapUpError> {
    if (MIN_WRAP_UP_SECONDS..=MAX_WRAP_UP_SECONDS).contains(&seconds) {
        Ok(())
    } else {
        Err(WrapUpError::Seconds)
    }
}

/// Whether a character may stand in notes: anything but control characters, except line breaks
/// and tabs (what a textarea produces).
fn allowed_in_notes(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

/// **The wrap-up rule**: notes within [`MAX_NOTES_CHARS`] and without control characters but line
/// breaks and tabs; the disposition, if any, one of the customer's codes.
pub fn check_wrap_up(wrap_up: &WrapUp, dispositions: &[Disposition]) -> Result<(), WrapUpError> {
    if wrap_up.notes.chars().count() > MAX_NOTES_CHARS {
        return Err(WrapUpError::NotesTooLong);
    }
    if !wrap_up.notes.chars().all(allowed_in_notes) {
        return Err(WrapUpError::InvalidNotes);
    }
    if let Some(code) = &wrap_up.disposition
        && !dispositions.iter().any(|d| &d.code == code)
    {
        return Err(WrapUpError::UnknownDisposition);
    }
    Ok(())
}

/// **The CRM record rule**: a Salesforce or Dynamics record, its id 1-64 of `A-Z a-z 0-9 - { }`
/// (a Salesforce 15/18-character id, a Dynamics GUID with or without braces).
pub fn check_crm_record(record: &CrmRecord) -> Result<(), WrapUpError> {
    let id_ok = !record.id.is_empty()
        && record.id.len() <= MAX_RECORD_ID_LEN
        && record
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'{' | b'}'));
    if record.crm == CrmKind::Standalone || !id_ok {
        return Err(WrapUpError::InvalidCrmRecord);
    }
    Ok(())
}

/// **Who wraps up a call**: one that is over and not wrapped up yet, that the agent took part in:
/// every call they placed (a "No answer" is an outcome too) and the inbound calls they answered (a
/// call that rang out, went to voicemail or was declined was never theirs to wrap up). A
/// consultation leg of a warm transfer is not wrapped up on its own: the call it consulted about
/// is. Whether the call is logged on the CRM at all is the customer's setting, asked apart
/// ([`Call::is_logged_on_crm`]).
pub fn awaits_wrap_up(call: &Call) -> bool {
    call.state.is_final()
        && call.wrap_up.is_none()
        && call.consult_of.is_none()
        && (call.direction == CallDirection::Outbound || call.answered_at.is_some())
}

/// When the wrap-up of `call` closes on its own: `seconds` after the call ended (`None` for a call
/// not over). Measured on the backend's clock (`ended_at`), so every tab and a reloaded panel agree.
pub fn wrap_up_deadline(call: &Call, seconds: u32) -> Option<Timestamp> {
    call.ended_at?.checked_add_seconds(i64::from(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str, label: &str) -> Disposition {
        Disposition {
            code: code.into(),
            label: label.into(),
        }
    }

    #[test]
    fn the_defaults_are_a_valid_list_of_the_five_outcomes() {
        let list = default_dispositions();
        assert_eq!(list.len(), 5);
        assert_eq!(check_dispositions(&list), Ok(()));
        assert_eq!(list[0], d("connected", "Connected"));
        assert_eq!(list[4], d("follow_up", "Follow-up"));
        assert_eq!(check_seconds(DEFAULT_WRAP_UP_SECONDS), Ok(()));
    }

    #[test]
    fn a_disposition_list_is_bounded_with_unique_well_formed_codes() {
        assert_eq!(check_dispositions(&[]), Err(WrapUpError::DispositionCount));
        let many: Vec<_> = (0..=MAX_DISPOSITIONS)
            .map(|i| d(&format!("c{i}"), "L"))
            .collect();
        assert_eq!(check_dispositions(&many[..MAX_DISPOSITIONS]), Ok(()));
        assert_eq!(
            check_dispositions(&many),
            Err(WrapUpError::DispositionCount)
        );
        for bad in ["", "Sale", "a-b", "a b", &"x".repeat(33)] {
            assert_eq!(
                check_dispositions(&[d(bad, "L")]),
                Err(WrapUpError::InvalidCode(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(check_dispositions(&[d(&"x".repeat(32), "L")]), Ok(()));
        assert_eq!(
            check_dispositions(&[d("a", "A"), d("a", "B")]),
            Err(WrapUpError::DuplicateCode("a".into()))
        );
        for bad in ["", "tab\there", &"é".repeat(65)] {
            assert_eq!(
                check_dispositions(&[d("a", bad)]),
                Err(WrapUpError::InvalidLabel("a".into()))
            );
        }
        assert_eq!(check_dispositions(&[d("a", &"é".repeat(64))]), Ok(()));
    }

    #[test]
    fn the_cli_form_reads_code_label_pairs_separated_by_semicolons() {
        assert_eq!(
            parse_dispositions(" sale = Sale, closed ; callback=Call back;").unwrap(),
            vec![d("sale", "Sale, closed"), d("callback", "Call back")]
        );
        assert_eq!(
            parse_dispositions("sale"),
            Err(WrapUpError::NotAPair("sale".into()))
        );
        assert_eq!(
            parse_dispositions(" ; "),
            Err(WrapUpError::DispositionCount)
        );
        assert_eq!(
            parse_dispositions("Sale=Sale"),
            Err(WrapUpError::InvalidCode("Sale".into()))
        );
    }

    #[test]
    fn the_time_limit_is_bounded_at_both_ends() {
        assert_eq!(check_seconds(MIN_WRAP_UP_SECONDS), Ok(()));
        assert_eq!(check_seconds(MAX_WRAP_UP_SECONDS), Ok(()));
        assert_eq!(
            check_seconds(MIN_WRAP_UP_SECONDS - 1),
            Err(WrapUpError::Seconds)
        );
        assert_eq!(
            check_seconds(MAX_WRAP_UP_SECONDS + 1),
            Err(WrapUpError::Seconds)
        );
    }

    #[test]
    fn a_wrap_up_has_bounded_plain_notes_and_one_of_the_customers_codes() {
        let list = default_dispositions();
        let w = |notes: &str, disposition: Option<&str>| WrapUp {
            notes: notes.into(),
            disposition: disposition.map(Into::into),
        };
        assert_eq!(check_wrap_up(&w("", None), &list), Ok(()));
        assert_eq!(
            check_wrap_up(&w("Call back\r\nat 3\tpm", Some("follow_up")), &list),
            Ok(())
        );
        assert_eq!(
            check_wrap_up(&w(&"é".repeat(MAX_NOTES_CHARS), None), &list),
            Ok(())
        );
        assert_eq!(
            check_wrap_up(&w(&"é".repeat(MAX_NOTES_CHARS + 1), None), &list),
            Err(WrapUpError::NotesTooLong)
        );
        for bad in ["bell\u{7}", "nul\0", "esc\u{1b}[2J", "del\u{7f}"] {
            assert_eq!(
                check_wrap_up(&w(bad, None), &list),
                Err(WrapUpError::InvalidNotes),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_wrap_up(&w("", Some("sale")), &list),
            Err(WrapUpError::UnknownDisposition)
        );
    }

    #[test]
    fn a_crm_record_is_a_salesforce_or_dynamics_id() {
        let r = |crm, id: &str| CrmRecord { crm, id: id.into() };
        assert_eq!(
            check_crm_record(&r(CrmKind::Salesforce, "00T5g00000AbCdEAAV")),
            Ok(())
        );
        assert_eq!(
            check_crm_record(&r(
                CrmKind::Dynamics,
                "{6f1c2a3b-0000-4c5d-9e8f-0123456789ab}"
            )),
            Ok(())
        );
        for (crm, id) in [
            (CrmKind::Standalone, "abc"),
            (CrmKind::Salesforce, ""),
            (CrmKind::Salesforce, "00T/../x"),
            (CrmKind::Dynamics, "a b"),
        ] {
            assert_eq!(
                check_crm_record(&r(crm, id)),
                Err(WrapUpError::InvalidCrmRecord)
            );
        }
        assert_eq!(
            check_crm_record(&r(CrmKind::Dynamics, &"a".repeat(65))),
            Err(WrapUpError::InvalidCrmRecord)
        );
    }

    #[test]
    fn placed_calls_and_answered_inbound_calls_await_a_wrap_up_until_saved() {
        let mut call: Call = serde_json::from_value(serde_json::json!({
            "id": "c1", "direction": "outbound", "from": "201", "to": "+351912345678",
            "state": "connected", "started_at": "2026-01-01T10:00:00Z",
            "answered_at": "2026-01-01T10:00:05Z", "ended_at": null, "context": null
        }))
        .unwrap();
        assert!(!awaits_wrap_up(&call), "not while talking");
        assert_eq!(wrap_up_deadline(&call, 120), None);
        call.state = crate::api::CallState::Ended;
        call.ended_at = Some(Timestamp::parse("2026-01-01T10:01:00Z").unwrap());
        assert!(awaits_wrap_up(&call));
        assert_eq!(
            wrap_up_deadline(&call, 120),
            Some(Timestamp::parse("2026-01-01T10:03:00Z").unwrap())
        );
        call.answered_at = None;
        call.state = crate::api::CallState::Failed;
        assert!(
            awaits_wrap_up(&call),
            "a placed call nobody answered: No answer"
        );
        call.direction = CallDirection::Inbound;
        assert!(!awaits_wrap_up(&call), "an inbound call never answered");
        call.answered_at = call.ended_at;
        call.state = crate::api::CallState::Ended;
        assert!(awaits_wrap_up(&call));
        call.consult_of = Some("c0".into());
        assert!(
            !awaits_wrap_up(&call),
            "a consultation leg: the call it consulted about is wrapped up"
        );
        call.consult_of = None;
        call.wrap_up = Some(WrapUp::default());
        assert!(!awaits_wrap_up(&call), "saved");
    }

    #[test]
    fn an_inbound_call_declined_missed_or_sent_to_voicemail_asks_for_no_wrap_up() {
        use crate::api::{CallOutcome, CallState};
        let ringing: Call = serde_json::from_value(serde_json::json!({
            "id": "c2", "direction": "inbound", "from": "+351210000001", "to": "201",
            "state": "ringing", "started_at": "2026-01-01T10:00:00Z",
            "answered_at": null, "ended_at": null, "context": null
        }))
        .unwrap();
        for (state, outcome) in [
            (CallState::Failed, CallOutcome::Declined),
            (CallState::Failed, CallOutcome::Voicemail),
            (CallState::Failed, CallOutcome::Missed),
            (CallState::Ended, CallOutcome::AnsweredElsewhere),
        ] {
            let mut call = ringing.clone();
            call.state = state;
            call.outcome = Some(outcome);
            call.ended_at = Some(Timestamp::parse("2026-01-01T10:00:09Z").unwrap());
            assert!(!awaits_wrap_up(&call), "{outcome:?}: never the agent's");
        }
        // The same call answered and then ended is the agent's to wrap up.
        let mut answered = ringing;
        answered.answered_at = Some(Timestamp::parse("2026-01-01T10:00:03Z").unwrap());
        answered.ended_at = Some(Timestamp::parse("2026-01-01T10:00:09Z").unwrap());
        answered.state = CallState::Ended;
        assert!(awaits_wrap_up(&answered));
    }

    #[test]
    fn a_call_without_wrap_up_is_written_as_before_and_one_with_it_round_trips() {
        let mut call: crate::api::Call = serde_json::from_value(serde_json::json!({
            "id": "c1", "direction": "outbound", "from": "201", "to": "+351912345678",
            "state": "ended", "started_at": "2026-01-01T10:00:00Z", "answered_at": null,
            "ended_at": null, "context": null
        }))
        .unwrap();
        let json = serde_json::to_value(&call).unwrap();
        assert!(json.get("wrap_up").is_none() && json.get("crm_record").is_none());
        call.wrap_up = Some(WrapUp {
            notes: "n".into(),
            disposition: Some("connected".into()),
        });
        call.crm_record = Some(CrmRecord {
            crm: CrmKind::Salesforce,
            id: "00T1".into(),
        });
        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(json["wrap_up"]["disposition"], "connected");
        assert_eq!(json["crm_record"]["crm"], "salesforce");
        assert_eq!(
            serde_json::from_value::<crate::api::Call>(json).unwrap(),
            call
        );
    }
}
