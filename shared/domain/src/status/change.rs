use super::{State, TargetApi};

/// The reference's message texts for a refused status change, verbatim: the
/// frontend shows them as they come (spec 02 §3, 05 §4.1). Messages that
/// quote a state are functions; the others are constants.
pub mod messages {
    use super::State;

    /// 403 on `ready to send` + `sigmax` without `push_to_sigmax`.
    pub const PUSH_TO_SIGMAX_FORBIDDEN: &str =
        "You don't have permissions to push to Sigmax/CityControl.";
    /// 403 without `sia_signal_change_status`.
    pub const PERMISSION_DENIED: &str = "Je hebt geen toestemming om deze actie uit te voeren.";
    /// `reaction requested` for a reporter without e-mail. The braces are
    /// literal: the reference does not fill in the template.
    pub const NO_REPORTER_EMAIL: &str =
        "No email address known for signal with ID={{ signal.id }}.";
    pub const FORWARD_TO_EXTERNAL_INCOMPLETE: &str =
        "email_override, send_email, and text must all be set for DOORGEZET_NAAR_EXTERN flow";
    /// The framework's "required" message.
    pub const FIELD_REQUIRED: &str = "Dit veld is vereist.";
    pub const TARGET_API_ONLY_FOR_READY_TO_SEND: &str =
        "This field can only be set when changing `state` to `ready to send`.";

    /// ``Invalid state transition from `<from>` to `<to>`.`` with display names.
    pub fn invalid_transition(from: State, to: State) -> String {
        format!(
            "Invalid state transition from `{}` to `{}`.",
            from.state_display(),
            to.state_display()
        )
    }

    /// ``This field is required when changing `state` to `<to>`.`` with the
    /// display name (used for `target_api` and for `text`).
    pub fn required_when_changing_to(to: State) -> String {
        format!(
            "This field is required when changing `state` to `{}`.",
            to.state_display()
        )
    }

    /// The framework's "invalid choice" message, for a state the API refuses.
    pub fn invalid_choice(value: &str) -> String {
        format!("\"{value}\" is een ongeldige keuze.")
    }

    /// The framework's length message of a text field (serializer level).
    pub fn too_long(max: usize) -> String {
        format!("Zorg ervoor dat dit veld niet meer dan {max} karakters bevat.")
    }

    /// Django's length message, used for the `reaction requested` text.
    pub fn value_too_long(max: usize, len: usize) -> String {
        format!("Zorg dat deze waarde niet meer dan {max} tekens bevat (het zijn er nu {len}).")
    }
}

/// The longest status text the database takes (`varchar(10000)`, spec 01 §3.2).
pub const TEXT_MAX_CHARS: usize = 10_000;
/// The longest question a `reaction requested` status may ask (spec 02 §3).
pub const REACTION_REQUEST_TEXT_MAX_CHARS: usize = 1_000;

/// A requested new status: the writable fields of a status row.
///
/// `text` is compared after trimming surrounding whitespace, as the
/// reference's text field trims its input before validating it; store
/// [`StatusChange::trimmed_text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange<'a> {
    pub state: State,
    pub text: Option<&'a str>,
    /// `None` also for an empty `target_api`.
    pub target_api: Option<TargetApi>,
    pub send_email: bool,
    /// Expected to be a syntactically valid e-mail address already; checking
    /// the syntax (`Voer een geldig e-mailadres in.`) is the payload's job.
    pub email_override: Option<&'a str>,
}

impl<'a> StatusChange<'a> {
    /// A change to `state` with every other field empty.
    pub const fn to(state: State) -> Self {
        Self {
            state,
            text: None,
            target_api: None,
            send_email: false,
            email_override: None,
        }
    }

    pub const fn with_text(self, text: &'a str) -> Self {
        Self {
            text: Some(text),
            ..self
        }
    }

    /// The text as it is validated and stored: trimmed, `None` if absent.
    pub fn trimmed_text(&self) -> Option<&'a str> {
        self.text.map(str::trim)
    }

    fn has_text(&self) -> bool {
        self.trimmed_text().is_some_and(|text| !text.is_empty())
    }
}

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An employee through the private API (`PATCH …/signals/{id}` with a
    /// `status`): every check of spec 02 §3.
    Api(ApiContext),
    /// A system flow (Sigmax, feedback, questionnaires, the child cascade):
    /// only the model-level rules (spec 02 §3, 6–9), as the reference's
    /// `Status.clean`, and any state.
    System,
}

/// What the API checks of spec 02 §3 need to know besides the change itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiContext {
    /// The caller has `sia_signal_change_status` (and `sia_write`).
    pub may_change_status: bool,
    /// The caller has `push_to_sigmax`.
    pub may_push_to_sigmax: bool,
    /// The signal's current reporter has an e-mail address.
    pub reporter_has_email: bool,
}

/// Why a status change is refused, grouped the way the reference renders it
/// (spec 02 §3, 05 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// 400, nested under the payload key:
    /// `{"status": {"<field>": ["<message>"], …}}` (serializer level).
    #[error("the status payload is invalid")]
    Invalid(Vec<PayloadError>),
    /// 403; see [`Forbidden`] for the two body shapes.
    #[error(transparent)]
    Forbidden(Forbidden),
    /// 400, at the top level of the body, all messages together:
    /// `{"state": ["…"], "target_api": ["…"], "text": ["…"]}` (model level).
    #[error("the status change breaks the workflow rules")]
    Rejected(Vec<RuleViolation>),
}

/// A serializer-level problem with one field of the status payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The API refuses a state that only the system sets
    /// ([`State::is_system_only`]); rendered as the framework's invalid
    /// choice, which is what the reference's API choice list would say.
    #[error("{}", messages::invalid_choice(.0.code()))]
    SystemOnly(State),
    /// `text` is longer than [`TEXT_MAX_CHARS`].
    #[error("{}", messages::too_long(TEXT_MAX_CHARS))]
    TextTooLong { chars: usize },
    #[error("{}", messages::NO_REPORTER_EMAIL)]
    ReporterWithoutEmail,
    /// `reaction requested` without any `text` (the reference fails with a 500).
    #[error("{}", messages::FIELD_REQUIRED)]
    ReactionTextMissing,
    #[error("{}", messages::value_too_long(REACTION_REQUEST_TEXT_MAX_CHARS, *.chars))]
    ReactionTextTooLong { chars: usize },
    /// `forward to external` needs `email_override`, `send_email = true` and a
    /// non-empty `text` (the reference fails with a 500 on missing keys).
    #[error("{}", messages::FORWARD_TO_EXTERNAL_INCOMPLETE)]
    ForwardToExternalIncomplete,
}

/// A 403 during status validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    /// Body `{"state": "<message>"}`: a bare string, not a list, no `detail`.
    #[error("{}", messages::PUSH_TO_SIGMAX_FORBIDDEN)]
    PushToSigmax,
    /// Body `{"detail": "<message>"}`.
    #[error("{}", messages::PERMISSION_DENIED)]
    ChangeStatus,
}

/// A model-level rule of spec 02 §3 (6–9) that a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The table of spec 02 §2 does not allow `from → to`.
    #[error("{}", messages::invalid_transition(*.from, *.to))]
    NotAllowed { from: State, to: State },
    /// `ready to send` without `target_api`.
    #[error("{}", messages::required_when_changing_to(State::TeVerzenden))]
    TargetApiRequired,
    /// `target_api` with any state but `ready to send`.
    #[error("{}", messages::TARGET_API_ONLY_FOR_READY_TO_SEND)]
    TargetApiForbidden,
    /// `o` or `reopened` without a (non-blank) text.
    #[error("{}", messages::required_when_changing_to(*.to))]
    TextRequired { to: State },
}

impl PayloadError {
    /// The key under `status` that carries the message.
    pub const fn field(&self) -> &'static str {
        match self {
            PayloadError::SystemOnly(_) | PayloadError::ReporterWithoutEmail => "state",
            PayloadError::TextTooLong { .. }
            | PayloadError::ReactionTextMissing
            | PayloadError::ReactionTextTooLong { .. }
            | PayloadError::ForwardToExternalIncomplete => "text",
        }
    }
}

impl Forbidden {
    /// The key of the body: `state` or `detail`.
    pub const fn field(&self) -> &'static str {
        match self {
            Forbidden::PushToSigmax => "state",
            Forbidden::ChangeStatus => "detail",
        }
    }
}

impl RuleViolation {
    /// The top-level key that carries the message.
    pub const fn field(&self) -> &'static str {
        match self {
            RuleViolation::NotAllowed { .. } => "state",
            RuleViolation::TargetApiRequired | RuleViolation::TargetApiForbidden => "target_api",
            RuleViolation::TextRequired { .. } => "text",
        }
    }
}

/// Checks a status change of a signal whose current state is `current`
/// ([`State::Leeg`] for a signal without status), in the order of spec 02 §3.
///
/// For [`Actor::Api`]: field checks (system-only state, text length; all
/// reported together), then the payload rules 2–5 (first failure wins), then
/// the model rules. For [`Actor::System`]: the model rules only. The model
/// rules are all reported together.
pub fn check_transition(
    current: State,
    change: &StatusChange<'_>,
    actor: Actor,
) -> Result<(), TransitionError> {
    if let Actor::Api(context) = actor {
        check_payload(change, &context)?;
    }
    check_rules(current, change)
}

fn check_payload(change: &StatusChange<'_>, context: &ApiContext) -> Result<(), TransitionError> {
    let chars = change.trimmed_text().map_or(0, |text| text.chars().count());

    let mut field_errors = Vec::new();
    if change.state.is_system_only() {
        field_errors.push(PayloadError::SystemOnly(change.state));
    }
    if chars > TEXT_MAX_CHARS {
        field_errors.push(PayloadError::TextTooLong { chars });
    }
    if !field_errors.is_empty() {
        return Err(TransitionError::Invalid(field_errors));
    }

    let invalid = |error| Err(TransitionError::Invalid(vec![error]));
    match change.state {
        State::TeVerzenden
            if change.target_api == Some(TargetApi::Sigmax) && !context.may_push_to_sigmax =>
        {
            return Err(TransitionError::Forbidden(Forbidden::PushToSigmax));
        }
        State::ReactieGevraagd => {
            if !context.reporter_has_email {
                return invalid(PayloadError::ReporterWithoutEmail);
            }
            if change.text.is_none() {
                return invalid(PayloadError::ReactionTextMissing);
            }
            if chars > REACTION_REQUEST_TEXT_MAX_CHARS {
                return invalid(PayloadError::ReactionTextTooLong { chars });
            }
        }
        State::DoorgezetNaarExtern => {
            let has_recipient = change.email_override.is_some_and(|e| !e.trim().is_empty());
            if !(has_recipient && change.send_email && change.has_text()) {
                return invalid(PayloadError::ForwardToExternalIncomplete);
            }
        }
        _ => {}
    }
    if !context.may_change_status {
        return Err(TransitionError::Forbidden(Forbidden::ChangeStatus));
    }
    Ok(())
}

fn check_rules(current: State, change: &StatusChange<'_>) -> Result<(), TransitionError> {
    let to = change.state;
    let mut violations = Vec::new();
    if !current.can_transition_to(to) {
        violations.push(RuleViolation::NotAllowed { from: current, to });
    }
    match (to, change.target_api) {
        (State::TeVerzenden, None) => violations.push(RuleViolation::TargetApiRequired),
        (State::TeVerzenden, Some(_)) | (_, None) => {}
        (_, Some(_)) => violations.push(RuleViolation::TargetApiForbidden),
    }
    if text_required(to) && !change.has_text() {
        violations.push(RuleViolation::TextRequired { to });
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(TransitionError::Rejected(violations))
    }
}

/// Whether a status into `to` needs a non-blank text whoever sets it
/// (spec 02 §3, rule 9). The API's extra text rules (`reaction requested`,
/// `forward to external`) are in [`check_transition`].
pub const fn text_required(to: State) -> bool {
    matches!(to, State::Afgehandeld | State::Heropend)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPLOYEE: ApiContext = ApiContext {
        may_change_status: true,
        may_push_to_sigmax: false,
        reporter_has_email: true,
    };
    const API: Actor = Actor::Api(EMPLOYEE);

    fn rejected(violations: &[RuleViolation]) -> Result<(), TransitionError> {
        Err(TransitionError::Rejected(violations.to_vec()))
    }

    fn invalid(error: PayloadError) -> Result<(), TransitionError> {
        Err(TransitionError::Invalid(vec![error]))
    }

    /// A change to `to` that satisfies every rule but the transition table.
    fn complete_change(to: State) -> StatusChange<'static> {
        StatusChange {
            state: to,
            text: Some("Toelichting."),
            target_api: (to == State::TeVerzenden).then_some(TargetApi::Gisib),
            send_email: true,
            email_override: Some("aannemer@example.com"),
        }
    }

    #[test]
    fn the_api_may_make_every_allowed_transition_into_a_state_it_may_set() {
        for from in State::ALL {
            for to in State::ALL {
                let result = check_transition(from, &complete_change(to), API);
                let expected = if to.is_system_only() {
                    invalid(PayloadError::SystemOnly(to))
                } else if from.can_transition_to(to) {
                    Ok(())
                } else {
                    rejected(&[RuleViolation::NotAllowed { from, to }])
                };
                assert_eq!(result, expected, "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn the_system_may_make_exactly_the_transitions_of_the_table() {
        for from in State::ALL {
            for to in State::ALL {
                let result = check_transition(from, &complete_change(to), Actor::System);
                assert_eq!(
                    result.is_ok(),
                    from.can_transition_to(to),
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn the_api_refuses_system_only_states_as_an_invalid_choice_even_when_the_table_allows_them() {
        for (from, to) in [
            (State::TeVerzenden, State::Verzonden),
            (State::TeVerzenden, State::VerzendenMislukt),
            (State::Verzonden, State::AfgehandeldExtern),
            (State::ReactieGevraagd, State::ReactieOntvangen),
        ] {
            let change = StatusChange::to(to).with_text("Klaar.");
            let err = check_transition(from, &change, API).expect_err("refused");
            assert_eq!(
                err,
                TransitionError::Invalid(vec![PayloadError::SystemOnly(to)])
            );
            let TransitionError::Invalid(errors) = err else {
                unreachable!()
            };
            assert_eq!(errors[0].field(), "state");
            assert_eq!(
                errors[0].to_string(),
                format!("\"{}\" is een ongeldige keuze.", to.code())
            );
            assert_eq!(check_transition(from, &change, Actor::System), Ok(()));
        }
    }

    #[test]
    fn reopen_requested_is_accepted_from_the_api_because_the_frontend_offers_it() {
        let change = StatusChange::to(State::VerzoekTotHeropenen).with_text("Melder belde.");
        assert_eq!(check_transition(State::Afgehandeld, &change, API), Ok(()));
    }

    #[test]
    fn a_refused_transition_quotes_both_display_names() {
        let err = check_transition(
            State::Afgehandeld,
            &StatusChange::to(State::Behandeling),
            API,
        )
        .expect_err("o → b is refused");
        let TransitionError::Rejected(violations) = err else {
            panic!("model level: {err:?}")
        };
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field(), "state");
        assert_eq!(
            violations[0].to_string(),
            "Invalid state transition from `Afgehandeld` to `In behandeling`."
        );
    }

    #[test]
    fn a_signal_without_status_may_only_become_gemeld_and_quotes_an_empty_name() {
        assert_eq!(
            check_transition(State::Leeg, &StatusChange::to(State::Gemeld), Actor::System),
            Ok(())
        );
        let err = check_transition(State::Leeg, &StatusChange::to(State::Behandeling), API)
            .expect_err("'' → b is refused");
        assert_eq!(
            err,
            TransitionError::Rejected(vec![RuleViolation::NotAllowed {
                from: State::Leeg,
                to: State::Behandeling
            }])
        );
        assert_eq!(
            messages::invalid_transition(State::Leeg, State::Behandeling),
            "Invalid state transition from `` to `In behandeling`."
        );
        assert_eq!(
            messages::invalid_transition(State::Gemeld, State::Leeg),
            "Invalid state transition from `Gemeld` to ``."
        );
    }

    #[test]
    fn afgehandeld_and_heropend_need_a_non_blank_text_from_anyone() {
        for (from, to, display) in [
            (State::Behandeling, State::Afgehandeld, "Afgehandeld"),
            (State::Afgehandeld, State::Heropend, "Heropend"),
        ] {
            for text in [None, Some(""), Some("   \n")] {
                let change = StatusChange {
                    text,
                    ..StatusChange::to(to)
                };
                for actor in [API, Actor::System] {
                    assert_eq!(
                        check_transition(from, &change, actor),
                        rejected(&[RuleViolation::TextRequired { to }]),
                        "{to:?} with {text:?}"
                    );
                }
            }
            let message = RuleViolation::TextRequired { to }.to_string();
            assert_eq!(
                message,
                format!("This field is required when changing `state` to `{display}`.")
            );
            assert_eq!(RuleViolation::TextRequired { to }.field(), "text");
            let change = StatusChange::to(to).with_text("Opgelost.");
            assert_eq!(check_transition(from, &change, API), Ok(()));
        }
    }

    #[test]
    fn only_afgehandeld_and_heropend_need_a_text_at_model_level() {
        let needing: Vec<State> = State::ALL
            .into_iter()
            .filter(|s| text_required(*s))
            .collect();
        assert_eq!(needing, [State::Afgehandeld, State::Heropend]);
        for to in [State::Behandeling, State::Geannuleerd, State::Ingepland] {
            assert_eq!(
                check_transition(State::Gemeld, &StatusChange::to(to), API),
                Ok(()),
                "{to:?} without text"
            );
        }
    }

    #[test]
    fn ready_to_send_needs_a_target_api_and_no_other_state_takes_one() {
        let without = StatusChange::to(State::TeVerzenden);
        let err = check_transition(State::Behandeling, &without, API).expect_err("needs target");
        assert_eq!(
            err,
            TransitionError::Rejected(vec![RuleViolation::TargetApiRequired])
        );
        assert_eq!(
            RuleViolation::TargetApiRequired.to_string(),
            "This field is required when changing `state` to `Extern: te verzenden`."
        );
        assert_eq!(RuleViolation::TargetApiRequired.field(), "target_api");

        let with = StatusChange {
            target_api: Some(TargetApi::Gisib),
            ..without
        };
        assert_eq!(check_transition(State::Behandeling, &with, API), Ok(()));

        let elsewhere = StatusChange {
            target_api: Some(TargetApi::Gisib),
            ..StatusChange::to(State::Behandeling)
        };
        assert_eq!(
            check_transition(State::Gemeld, &elsewhere, API),
            rejected(&[RuleViolation::TargetApiForbidden])
        );
        assert_eq!(
            RuleViolation::TargetApiForbidden.to_string(),
            "This field can only be set when changing `state` to `ready to send`."
        );
    }

    #[test]
    fn all_model_level_violations_are_reported_together_in_order() {
        let change = StatusChange {
            target_api: Some(TargetApi::Sigmax),
            ..StatusChange::to(State::Heropend)
        };
        assert_eq!(
            check_transition(State::Gemeld, &change, API),
            rejected(&[
                RuleViolation::NotAllowed {
                    from: State::Gemeld,
                    to: State::Heropend
                },
                RuleViolation::TargetApiForbidden,
                RuleViolation::TextRequired {
                    to: State::Heropend
                },
            ])
        );
    }

    #[test]
    fn pushing_to_sigmax_needs_its_permission_and_answers_403() {
        let change = StatusChange {
            target_api: Some(TargetApi::Sigmax),
            ..StatusChange::to(State::TeVerzenden)
        };
        assert_eq!(
            check_transition(State::Behandeling, &change, API),
            Err(TransitionError::Forbidden(Forbidden::PushToSigmax))
        );
        assert_eq!(
            Forbidden::PushToSigmax.to_string(),
            "You don't have permissions to push to Sigmax/CityControl."
        );
        assert_eq!(Forbidden::PushToSigmax.field(), "state");
        let pusher = Actor::Api(ApiContext {
            may_push_to_sigmax: true,
            ..EMPLOYEE
        });
        assert_eq!(
            check_transition(State::Behandeling, &change, pusher),
            Ok(())
        );
        let gisib = StatusChange {
            target_api: Some(TargetApi::Gisib),
            ..change
        };
        assert_eq!(check_transition(State::Behandeling, &gisib, API), Ok(()));
    }

    #[test]
    fn the_payload_checks_come_before_the_model_rules() {
        let change = StatusChange {
            target_api: Some(TargetApi::Sigmax),
            ..StatusChange::to(State::TeVerzenden)
        };
        assert_eq!(
            check_transition(State::Afgehandeld, &change, API),
            Err(TransitionError::Forbidden(Forbidden::PushToSigmax)),
            "403 although o → ready to send is also refused"
        );
    }

    #[test]
    fn a_reaction_request_needs_a_reporter_e_mail_and_a_text_of_at_most_1000_characters() {
        let question = StatusChange::to(State::ReactieGevraagd).with_text("Waar staat de bank?");
        assert_eq!(check_transition(State::Behandeling, &question, API), Ok(()));

        let no_email = Actor::Api(ApiContext {
            reporter_has_email: false,
            ..EMPLOYEE
        });
        let err = check_transition(State::Behandeling, &question, no_email).expect_err("no e-mail");
        assert_eq!(
            err,
            TransitionError::Invalid(vec![PayloadError::ReporterWithoutEmail])
        );
        assert_eq!(
            PayloadError::ReporterWithoutEmail.to_string(),
            "No email address known for signal with ID={{ signal.id }}."
        );
        assert_eq!(PayloadError::ReporterWithoutEmail.field(), "state");

        assert_eq!(
            check_transition(
                State::Behandeling,
                &StatusChange::to(State::ReactieGevraagd),
                API
            ),
            invalid(PayloadError::ReactionTextMissing)
        );
        assert_eq!(
            PayloadError::ReactionTextMissing.to_string(),
            "Dit veld is vereist."
        );
        assert_eq!(PayloadError::ReactionTextMissing.field(), "text");

        let exactly = "é".repeat(1000);
        let at_limit = StatusChange::to(State::ReactieGevraagd).with_text(&exactly);
        assert_eq!(
            check_transition(State::Behandeling, &at_limit, API),
            Ok(()),
            "characters, not bytes"
        );
        let long = "a".repeat(1001);
        let too_long = StatusChange::to(State::ReactieGevraagd).with_text(&long);
        let err = check_transition(State::Behandeling, &too_long, API).expect_err("too long");
        assert_eq!(
            err,
            TransitionError::Invalid(vec![PayloadError::ReactionTextTooLong { chars: 1001 }])
        );
        assert_eq!(
            PayloadError::ReactionTextTooLong { chars: 1001 }.to_string(),
            "Zorg dat deze waarde niet meer dan 1000 tekens bevat (het zijn er nu 1001)."
        );
    }

    #[test]
    fn an_empty_reaction_question_is_accepted_as_by_the_reference() {
        let empty = StatusChange::to(State::ReactieGevraagd).with_text("");
        assert_eq!(check_transition(State::Behandeling, &empty, API), Ok(()));
    }

    #[test]
    fn forward_to_external_needs_a_recipient_send_email_and_a_text() {
        let full = StatusChange {
            state: State::DoorgezetNaarExtern,
            text: Some("Kunt u dit oppakken?"),
            target_api: None,
            send_email: true,
            email_override: Some("aannemer@example.com"),
        };
        assert_eq!(check_transition(State::Behandeling, &full, API), Ok(()));
        for incomplete in [
            StatusChange {
                email_override: None,
                ..full
            },
            StatusChange {
                email_override: Some(""),
                ..full
            },
            StatusChange {
                send_email: false,
                ..full
            },
            StatusChange { text: None, ..full },
            StatusChange {
                text: Some("  "),
                ..full
            },
        ] {
            assert_eq!(
                check_transition(State::Behandeling, &incomplete, API),
                invalid(PayloadError::ForwardToExternalIncomplete),
                "{incomplete:?}"
            );
        }
        assert_eq!(
            PayloadError::ForwardToExternalIncomplete.to_string(),
            "email_override, send_email, and text must all be set for DOORGEZET_NAAR_EXTERN flow"
        );
        assert_eq!(PayloadError::ForwardToExternalIncomplete.field(), "text");
    }

    #[test]
    fn a_status_text_is_at_most_10000_characters_after_trimming() {
        let limit = format!("  {}  ", "x".repeat(TEXT_MAX_CHARS));
        let change = StatusChange::to(State::Behandeling).with_text(&limit);
        assert_eq!(check_transition(State::Gemeld, &change, API), Ok(()));
        assert_eq!(change.trimmed_text().map(str::len), Some(TEXT_MAX_CHARS));

        let over = "x".repeat(TEXT_MAX_CHARS + 1);
        let change = StatusChange::to(State::Behandeling).with_text(&over);
        assert_eq!(
            check_transition(State::Gemeld, &change, API),
            invalid(PayloadError::TextTooLong { chars: 10_001 })
        );
        assert_eq!(
            PayloadError::TextTooLong { chars: 10_001 }.to_string(),
            "Zorg ervoor dat dit veld niet meer dan 10000 karakters bevat."
        );
    }

    #[test]
    fn field_errors_are_reported_together() {
        let over = "x".repeat(TEXT_MAX_CHARS + 1);
        let change = StatusChange::to(State::Verzonden).with_text(&over);
        assert_eq!(
            check_transition(State::TeVerzenden, &change, API),
            Err(TransitionError::Invalid(vec![
                PayloadError::SystemOnly(State::Verzonden),
                PayloadError::TextTooLong { chars: 10_001 },
            ]))
        );
    }

    #[test]
    fn without_the_change_status_permission_the_api_answers_403_after_the_payload_checks() {
        let clerk = Actor::Api(ApiContext {
            may_change_status: false,
            ..EMPLOYEE
        });
        assert_eq!(
            check_transition(State::Gemeld, &StatusChange::to(State::Behandeling), clerk),
            Err(TransitionError::Forbidden(Forbidden::ChangeStatus))
        );
        assert_eq!(
            Forbidden::ChangeStatus.to_string(),
            "Je hebt geen toestemming om deze actie uit te voeren."
        );
        assert_eq!(Forbidden::ChangeStatus.field(), "detail");
        assert_eq!(
            check_transition(
                State::Gemeld,
                &StatusChange::to(State::ReactieGevraagd),
                clerk
            ),
            invalid(PayloadError::ReactionTextMissing),
            "400 from the payload checks first"
        );
    }

    #[test]
    fn the_system_skips_the_api_payload_rules() {
        let no_text = StatusChange::to(State::ReactieOntvangen);
        assert_eq!(
            check_transition(State::ReactieGevraagd, &no_text, Actor::System),
            Ok(())
        );
        let forward = StatusChange::to(State::DoorgezetNaarExtern);
        assert_eq!(
            check_transition(State::Behandeling, &forward, Actor::System),
            Ok(())
        );
    }
}
