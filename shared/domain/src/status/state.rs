use std::fmt;

use serde::{Deserialize, Serialize};

/// A workflow state of a signal (spec 02 §1), stored and exchanged by its
/// [`code`](State::code).
///
/// The variants carry the reference's internal names (`workflow.py`), which
/// the frontend's `StatusCode` enum uses too. `Leeg` is the pseudo state of a
/// signal without any status row; it is never stored and nothing transitions
/// into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum State {
    /// `''`: a signal without status.
    Leeg,
    /// `m`: the initial state of every new signal.
    Gemeld,
    /// `i`
    Afwachting,
    /// `b`
    Behandeling,
    /// `h`: legacy, nothing transitions into it.
    OnHold,
    /// `ingepland`
    Ingepland,
    /// `ready to send`: hand-over to an external system (`target_api`).
    TeVerzenden,
    /// `o`: closed.
    Afgehandeld,
    /// `a`: closed.
    Geannuleerd,
    /// `reopened`
    Heropend,
    /// `s`: legacy split parent, closed and terminal.
    Gesplitst,
    /// `closure requested`
    VerzoekTotAfhandeling,
    /// `reaction requested`: the reporter is asked a question by e-mail.
    ReactieGevraagd,
    /// `reaction received`: the reporter answered, or the question expired.
    ReactieOntvangen,
    /// `forward to external`: a question to someone outside Signalen (`email_override`).
    DoorgezetNaarExtern,
    /// `sent`: the Sigmax/CityControl push succeeded.
    Verzonden,
    /// `send failed`: the Sigmax/CityControl push failed or got stuck.
    VerzendenMislukt,
    /// `done external`: Sigmax/CityControl reports the work done.
    AfgehandeldExtern,
    /// `reopen requested`: the reporter was unhappy with how the signal was handled.
    VerzoekTotHeropenen,
}

/// The state as the public API shows it: only open or closed (spec 02 §1,
/// the reference's `app_settings.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PublicState {
    #[serde(rename = "OPEN")]
    Open,
    #[serde(rename = "CLOSED")]
    Closed,
}

/// The external system a `ready to send` status hands the signal to
/// (`target_api`, spec 01 §3.2).
///
/// The reference's field also accepts `""`, which its rules treat as absent:
/// map an empty value to `None` before it reaches the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum TargetApi {
    Sigmax,
    Gisib,
    Straatnotes,
}

/// A value outside a fixed list of codes, with the framework's Dutch message
/// (spec 05 §4.1, "invalid choice (body)"): `"x" is een ongeldige keuze.`
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is een ongeldige keuze.")]
pub struct InvalidChoice(pub String);

impl State {
    /// Every state, in the order of spec 02 §1.
    pub const ALL: [State; 19] = [
        State::Leeg,
        State::Gemeld,
        State::Afwachting,
        State::Behandeling,
        State::OnHold,
        State::Ingepland,
        State::TeVerzenden,
        State::Afgehandeld,
        State::Geannuleerd,
        State::Heropend,
        State::Gesplitst,
        State::VerzoekTotAfhandeling,
        State::ReactieGevraagd,
        State::ReactieOntvangen,
        State::DoorgezetNaarExtern,
        State::Verzonden,
        State::VerzendenMislukt,
        State::AfgehandeldExtern,
        State::VerzoekTotHeropenen,
    ];

    /// The wire and database code, verbatim (some contain spaces).
    pub const fn code(self) -> &'static str {
        match self {
            State::Leeg => "",
            State::Gemeld => "m",
            State::Afwachting => "i",
            State::Behandeling => "b",
            State::OnHold => "h",
            State::Ingepland => "ingepland",
            State::TeVerzenden => "ready to send",
            State::Afgehandeld => "o",
            State::Geannuleerd => "a",
            State::Heropend => "reopened",
            State::Gesplitst => "s",
            State::VerzoekTotAfhandeling => "closure requested",
            State::ReactieGevraagd => "reaction requested",
            State::ReactieOntvangen => "reaction received",
            State::DoorgezetNaarExtern => "forward to external",
            State::Verzonden => "sent",
            State::VerzendenMislukt => "send failed",
            State::AfgehandeldExtern => "done external",
            State::VerzoekTotHeropenen => "reopen requested",
        }
    }

    /// The state for a code; exact and case-sensitive, as the reference's
    /// choice field. `""` is [`State::Leeg`]: the reference's field accepts a
    /// blank state and then refuses the transition into it, and so do we.
    pub fn from_code(code: &str) -> Result<State, InvalidChoice> {
        State::ALL
            .into_iter()
            .find(|state| state.code() == code)
            .ok_or_else(|| InvalidChoice(code.to_owned()))
    }

    /// The Dutch name the API renders as `state_display` and that the
    /// transition messages quote (spec 02 §1). `Leeg` has the empty string,
    /// as in the reference's messages.
    pub const fn state_display(self) -> &'static str {
        match self {
            State::Leeg => "",
            State::Gemeld => "Gemeld",
            State::Afwachting => "In afwachting van behandeling",
            State::Behandeling => "In behandeling",
            State::OnHold => "On hold",
            State::Ingepland => "Ingepland",
            State::TeVerzenden => "Extern: te verzenden",
            State::Afgehandeld => "Afgehandeld",
            State::Geannuleerd => "Geannuleerd",
            State::Heropend => "Heropend",
            State::Gesplitst => "Gesplitst",
            State::VerzoekTotAfhandeling => "Extern: verzoek tot afhandeling",
            State::ReactieGevraagd => "Reactie gevraagd",
            State::ReactieOntvangen => "Reactie ontvangen",
            State::DoorgezetNaarExtern => "Doorgezet naar extern",
            State::Verzonden => "Extern: verzonden",
            State::VerzendenMislukt => "Extern: mislukt",
            State::AfgehandeldExtern => "Extern: afgehandeld",
            State::VerzoekTotHeropenen => "Verzoek tot heropenen",
        }
    }

    /// What the public API shows: closed for [`PUBLIC_CLOSED`], open otherwise.
    pub fn public_state(self) -> PublicState {
        if PUBLIC_CLOSED.contains(&self) {
            PublicState::Closed
        } else {
            PublicState::Open
        }
    }

    /// Whether only the system flows may set this state; the API refuses it
    /// (see the module documentation for the decision and its reasons).
    pub const fn is_system_only(self) -> bool {
        matches!(
            self,
            State::Verzonden
                | State::VerzendenMislukt
                | State::AfgehandeldExtern
                | State::ReactieOntvangen
        )
    }

    /// Whether a citizen may add attachments through the public API in this
    /// state (spec 02 §1): `m` and `reaction requested`, and `o` only while a
    /// feedback request of the signal is open.
    pub const fn allows_public_attachment_upload(self, has_open_feedback_request: bool) -> bool {
        match self {
            State::Gemeld | State::ReactieGevraagd => true,
            State::Afgehandeld => has_open_feedback_request,
            _ => false,
        }
    }
}

/// States the public API reports as `CLOSED` ("Gesloten"); every other state
/// is `OPEN` (spec 02 §1, `SIGNALS_API_CLOSED_STATES`).
pub const PUBLIC_CLOSED: &[State] = &[State::Afgehandeld, State::Geannuleerd, State::Gesplitst];

/// States the public geography map leaves out (spec 02 §1, 03).
pub const PUBLIC_MAP_HIDDEN: &[State] = &[
    State::Afgehandeld,
    State::AfgehandeldExtern,
    State::Geannuleerd,
    State::Gesplitst,
    State::VerzoekTotHeropenen,
];

/// States the deprecated `map-signals` endpoint leaves out: the public map's
/// set without `s` (spec 02 §1).
pub const MAP_SIGNALS_HIDDEN: &[State] = &[
    State::Afgehandeld,
    State::AfgehandeldExtern,
    State::Geannuleerd,
    State::VerzoekTotHeropenen,
];

/// States that do not count as open for the punctuality filter and for the
/// reporter context's "open" counts (spec 02 §1, 04 §2.1, §10.2).
pub const NOT_OPEN_FOR_COUNTS: &[State] =
    &[State::Afgehandeld, State::Geannuleerd, State::Gesplitst];

/// States in which citizens may add attachments publicly (spec 02 §1); for `o`
/// see [`State::allows_public_attachment_upload`].
pub const PUBLIC_ATTACHMENT_UPLOAD: &[State] =
    &[State::Gemeld, State::ReactieGevraagd, State::Afgehandeld];

/// The codes of a set of states, for a query parameter (`state = ANY($1)`).
pub fn codes(states: &[State]) -> Vec<&'static str> {
    states.iter().map(|state| state.code()).collect()
}

impl fmt::Display for State {
    /// The wire code (`ready to send`), not the Dutch display name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for State {
    type Error = InvalidChoice;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        State::from_code(&value)
    }
}

impl From<State> for &'static str {
    fn from(state: State) -> Self {
        state.code()
    }
}

impl PublicState {
    /// `OPEN` or `CLOSED`.
    pub const fn code(self) -> &'static str {
        match self {
            PublicState::Open => "OPEN",
            PublicState::Closed => "CLOSED",
        }
    }

    /// `Open` or `Gesloten`.
    pub const fn state_display(self) -> &'static str {
        match self {
            PublicState::Open => "Open",
            PublicState::Closed => "Gesloten",
        }
    }
}

impl TargetApi {
    pub const ALL: [TargetApi; 3] = [TargetApi::Sigmax, TargetApi::Gisib, TargetApi::Straatnotes];

    pub const fn code(self) -> &'static str {
        match self {
            TargetApi::Sigmax => "sigmax",
            TargetApi::Gisib => "gisib",
            TargetApi::Straatnotes => "straatnotes",
        }
    }

    pub fn from_code(code: &str) -> Result<TargetApi, InvalidChoice> {
        TargetApi::ALL
            .into_iter()
            .find(|target| target.code() == code)
            .ok_or_else(|| InvalidChoice(code.to_owned()))
    }
}

impl fmt::Display for TargetApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for TargetApi {
    type Error = InvalidChoice;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        TargetApi::from_code(&value)
    }
}

impl From<TargetApi> for &'static str {
    fn from(target: TargetApi) -> Self {
        target.code()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Code, display name and public state of every state, written out from
    /// the table in spec 02 §1.
    const SPEC_TABLE: [(State, &str, &str, PublicState); 19] = [
        (State::Leeg, "", "", PublicState::Open),
        (State::Gemeld, "m", "Gemeld", PublicState::Open),
        (
            State::Afwachting,
            "i",
            "In afwachting van behandeling",
            PublicState::Open,
        ),
        (State::Behandeling, "b", "In behandeling", PublicState::Open),
        (State::OnHold, "h", "On hold", PublicState::Open),
        (
            State::Ingepland,
            "ingepland",
            "Ingepland",
            PublicState::Open,
        ),
        (
            State::TeVerzenden,
            "ready to send",
            "Extern: te verzenden",
            PublicState::Open,
        ),
        (State::Afgehandeld, "o", "Afgehandeld", PublicState::Closed),
        (State::Geannuleerd, "a", "Geannuleerd", PublicState::Closed),
        (State::Heropend, "reopened", "Heropend", PublicState::Open),
        (State::Gesplitst, "s", "Gesplitst", PublicState::Closed),
        (
            State::VerzoekTotAfhandeling,
            "closure requested",
            "Extern: verzoek tot afhandeling",
            PublicState::Open,
        ),
        (
            State::ReactieGevraagd,
            "reaction requested",
            "Reactie gevraagd",
            PublicState::Open,
        ),
        (
            State::ReactieOntvangen,
            "reaction received",
            "Reactie ontvangen",
            PublicState::Open,
        ),
        (
            State::DoorgezetNaarExtern,
            "forward to external",
            "Doorgezet naar extern",
            PublicState::Open,
        ),
        (
            State::Verzonden,
            "sent",
            "Extern: verzonden",
            PublicState::Open,
        ),
        (
            State::VerzendenMislukt,
            "send failed",
            "Extern: mislukt",
            PublicState::Open,
        ),
        (
            State::AfgehandeldExtern,
            "done external",
            "Extern: afgehandeld",
            PublicState::Open,
        ),
        (
            State::VerzoekTotHeropenen,
            "reopen requested",
            "Verzoek tot heropenen",
            PublicState::Open,
        ),
    ];

    #[test]
    fn every_state_has_the_code_display_name_and_public_state_of_the_spec() {
        assert_eq!(
            SPEC_TABLE.map(|(state, ..)| state),
            State::ALL,
            "ALL follows the spec's order"
        );
        for (state, code, display, public) in SPEC_TABLE {
            assert_eq!(state.code(), code, "{state:?}");
            assert_eq!(state.state_display(), display, "{state:?}");
            assert_eq!(state.public_state(), public, "{state:?}");
        }
    }

    #[test]
    fn the_codes_are_distinct_and_fit_the_database_column() {
        let codes: HashSet<_> = State::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes.len(), 19);
        assert!(
            State::ALL.iter().all(|s| s.code().len() <= 20),
            "varchar(20)"
        );
    }

    #[test]
    fn every_code_round_trips_through_parse_and_serde() {
        for state in State::ALL {
            assert_eq!(State::from_code(state.code()), Ok(state));
            assert_eq!(state.to_string(), state.code());
            let json = serde_json::to_string(&state).expect("serialises");
            assert_eq!(json, format!("\"{}\"", state.code()));
            assert_eq!(
                serde_json::from_str::<State>(&json).expect("deserialises"),
                state
            );
        }
    }

    #[test]
    fn an_unknown_code_is_an_invalid_choice_with_the_framework_message() {
        for bad in ["x", "M", "reopened ", "ready_to_send", "Gemeld"] {
            let err = State::from_code(bad).expect_err(bad);
            assert_eq!(
                err.to_string(),
                format!("\"{bad}\" is een ongeldige keuze.")
            );
        }
        let err = serde_json::from_str::<State>("\"x\"").expect_err("unknown");
        assert!(err.to_string().starts_with("\"x\" is een ongeldige keuze."));
    }

    #[test]
    fn the_public_state_renders_as_open_or_gesloten() {
        assert_eq!(
            serde_json::to_string(&PublicState::Open).expect("serialises"),
            "\"OPEN\""
        );
        assert_eq!(
            serde_json::to_string(&PublicState::Closed).expect("serialises"),
            "\"CLOSED\""
        );
        assert_eq!(
            (PublicState::Open.code(), PublicState::Open.state_display()),
            ("OPEN", "Open")
        );
        assert_eq!(
            (
                PublicState::Closed.code(),
                PublicState::Closed.state_display()
            ),
            ("CLOSED", "Gesloten")
        );
    }

    #[test]
    fn the_closed_sets_are_the_spec_lists_and_differ_on_purpose() {
        let set = |codes_: &[&str]| -> HashSet<State> {
            codes_
                .iter()
                .map(|c| State::from_code(c).expect("known"))
                .collect()
        };
        let as_set = |states: &[State]| -> HashSet<State> { states.iter().copied().collect() };

        assert_eq!(as_set(PUBLIC_CLOSED), set(&["o", "a", "s"]));
        assert_eq!(
            as_set(PUBLIC_MAP_HIDDEN),
            set(&["o", "done external", "a", "s", "reopen requested"])
        );
        assert_eq!(
            as_set(MAP_SIGNALS_HIDDEN),
            set(&["o", "done external", "a", "reopen requested"])
        );
        assert_eq!(as_set(NOT_OPEN_FOR_COUNTS), set(&["o", "a", "s"]));
        assert_eq!(
            as_set(PUBLIC_ATTACHMENT_UPLOAD),
            set(&["m", "reaction requested", "o"])
        );
        assert_ne!(as_set(PUBLIC_MAP_HIDDEN), as_set(MAP_SIGNALS_HIDDEN));
        assert_ne!(as_set(PUBLIC_MAP_HIDDEN), as_set(PUBLIC_CLOSED));
        assert_eq!(codes(PUBLIC_CLOSED), ["o", "a", "s"]);
    }

    #[test]
    fn public_attachments_are_accepted_in_o_only_with_an_open_feedback_request() {
        for state in State::ALL {
            let expected_without = matches!(state, State::Gemeld | State::ReactieGevraagd);
            assert_eq!(
                state.allows_public_attachment_upload(false),
                expected_without,
                "{state:?}"
            );
            assert_eq!(
                state.allows_public_attachment_upload(true),
                expected_without || state == State::Afgehandeld,
                "{state:?}"
            );
            assert_eq!(
                PUBLIC_ATTACHMENT_UPLOAD.contains(&state),
                state.allows_public_attachment_upload(true),
                "{state:?}"
            );
        }
    }

    #[test]
    fn only_the_external_system_states_and_reaction_received_are_system_only() {
        let system_only: HashSet<_> = State::ALL
            .into_iter()
            .filter(|s| s.is_system_only())
            .map(State::code)
            .collect();
        assert_eq!(
            system_only,
            HashSet::from(["sent", "send failed", "done external", "reaction received"])
        );
    }

    #[test]
    fn target_api_codes_round_trip_and_others_are_invalid_choices() {
        for target in TargetApi::ALL {
            assert_eq!(TargetApi::from_code(target.code()), Ok(target));
            let json = serde_json::to_string(&target).expect("serialises");
            assert_eq!(
                serde_json::from_str::<TargetApi>(&json).expect("deserialises"),
                target
            );
        }
        assert_eq!(
            TargetApi::from_code("SIGMAX").map_err(|e| e.to_string()),
            Err("\"SIGMAX\" is een ongeldige keuze.".to_owned())
        );
    }
}
