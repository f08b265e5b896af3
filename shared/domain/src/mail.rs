//! Which status mail a status change sends to the reporter (spec 11 §11.4).
//!
//! On the creation of a signal and on every new status row the mailer
//! tries the actions below in order; the first whose rule passes sends
//! exactly one mail. The rules are evaluated on [`StatusMailFacts`] read
//! for the status row the event names (append-only rows, so they describe
//! the change that triggered the event, not the signal at send time —
//! spec 11's flaw not copied).
//!
//! Built: rules 1–5, 7 and 8. Not built: rule 6 (reaction request) and
//! rule 9 (forward to external), which need the questionnaire sessions of
//! spec 15 §15.2–§15.4 ([extended]); their states send no mail here.

use crate::signal::reporter_mail_allowed;
use crate::status::State;

/// A status-mail action of spec 11 §11.4, in rule order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusMail {
    /// Rule 1: the confirmation of a new signal.
    Created,
    /// Rule 2: closed (`o`), with the KTO feedback links.
    Handled,
    /// Rule 3: `ingepland`, when the employee ticked "send e-mail".
    Scheduled,
    /// Rule 4: `reopened`.
    Reopened,
    /// Rule 5: the employee's optional status update.
    Optional,
    /// Rule 7: the reporter's reaction was received.
    ReactionReceived,
    /// Rule 8: closed again after negative feedback (flag, default off).
    HandledNegativeContact,
}

impl StatusMail {
    /// Every action, in the order the rules are tried.
    pub const ALL: [StatusMail; 7] = [
        StatusMail::Created,
        StatusMail::Handled,
        StatusMail::Scheduled,
        StatusMail::Reopened,
        StatusMail::Optional,
        StatusMail::ReactionReceived,
        StatusMail::HandledNegativeContact,
    ];

    /// The `email_integrations_emailtemplate.key` of its text.
    pub const fn template_key(self) -> &'static str {
        match self {
            StatusMail::Created => "signal_created",
            StatusMail::Handled => "signal_status_changed_afgehandeld",
            StatusMail::Scheduled => "signal_status_changed_ingepland",
            StatusMail::Reopened => "signal_status_changed_heropend",
            StatusMail::Optional => "signal_status_changed_optional",
            StatusMail::ReactionReceived => "signal_status_changed_reactie_ontvangen",
            StatusMail::HandledNegativeContact => {
                "signal_status_changed_afgehandeld_kto_negative_contact"
            }
        }
    }

    /// The subject when no template row exists; `formatted_id` is
    /// `SIG-<id>`.
    pub fn fallback_subject(self, formatted_id: &str) -> String {
        match self {
            StatusMail::Created => format!("Bedankt voor uw melding {formatted_id}"),
            _ => format!("Meer over uw melding {formatted_id}"),
        }
    }

    /// The note the mailer adds to the signal after sending.
    pub const fn note(self) -> &'static str {
        match self {
            StatusMail::Created => {
                "Automatische e-mail bij registratie van de melding is verzonden aan de melder."
            }
            StatusMail::Handled => "Automatische e-mail bij afhandelen is verzonden aan de melder.",
            StatusMail::Scheduled => {
                "Automatische e-mail bij inplannen is verzonden aan de melder."
            }
            StatusMail::Reopened => "Automatische e-mail bij heropenen is verzonden aan de melder.",
            StatusMail::Optional => "De statusupdate is per e-mail verzonden aan de melder",
            StatusMail::ReactionReceived => {
                "Automatische e-mail bij Reactie ontvangen is verzonden aan de melder."
            }
            StatusMail::HandledNegativeContact => {
                "Automatische e-mail bij afhandelen heropenen negatieve feedback"
            }
        }
    }
}

/// The note when the signal's text holds encoded characters that survive
/// decoding (spec 11 §11.3): the mail is not sent.
pub const SUSPICIOUS_TEXT_NOTE: &str =
    "E-mail is niet verzonden omdat er verdachte tekens in de meldtekst staan.";

/// The status text that rule 7 does not mail about (compared
/// case-insensitively): the reaction request expired unanswered.
pub const NO_REACTION_RECEIVED: &str = "Geen reactie ontvangen.";

/// States with an optional status mail (rule 5).
const OPTIONAL_STATES: [State; 7] = [
    State::Gemeld,
    State::Afwachting,
    State::Behandeling,
    State::OnHold,
    State::VerzoekTotAfhandeling,
    State::Geannuleerd,
    State::Ingepland,
];

/// What the rules look at, for one status row of one signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMailFacts<'a> {
    /// The state of the status row.
    pub state: State,
    /// Its text (empty when none).
    pub text: &'a str,
    /// Its "send e-mail" checkbox.
    pub send_email: bool,
    /// No other status row of the signal is older.
    pub is_first_status: bool,
    /// The state of the newest other status row older than this one.
    pub previous_state: Option<State>,
    /// The reporter has a non-empty e-mail address.
    pub reporter_has_email: bool,
    /// `Some(parent's current state)` for a child signal.
    pub parent_state: Option<State>,
    /// `allows_contact` of the newest submitted feedback, `None` without one.
    pub latest_feedback_allows_contact: Option<bool>,
    /// Flags of the reference (spec 11 §11.4).
    pub flags: MailFlags,
}

/// The reference's feature flags that change the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailFlags {
    /// `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED` (default on):
    /// a reporter who answered "no contact" in the feedback gets no more mail.
    pub feedback_allows_contact: bool,
    /// `REPORTER_MAIL_HANDLED_NEGATIVE_CONTACT_ENABLED` (default off): rule 8.
    pub handled_negative_contact: bool,
}

impl Default for MailFlags {
    fn default() -> Self {
        Self {
            feedback_allows_contact: true,
            handled_negative_contact: false,
        }
    }
}

impl StatusMailFacts<'_> {
    /// The reporter gate of rules 1–8: an address, not a child (unless its
    /// parent was split, the historic flow), and contact allowed.
    pub fn reporter_gate(&self) -> bool {
        self.reporter_has_email && reporter_mail_allowed(self.parent_state) && self.allows_contact()
    }

    /// `signal.allows_contact` of the reference.
    pub fn allows_contact(&self) -> bool {
        !self.flags.feedback_allows_contact || self.latest_feedback_allows_contact.unwrap_or(true)
    }

    fn passes(&self, mail: StatusMail) -> bool {
        let previous_was_reopen_requested = self.previous_state == Some(State::VerzoekTotHeropenen);
        match mail {
            StatusMail::Created => self.state == State::Gemeld && self.is_first_status,
            StatusMail::Handled => {
                self.state == State::Afgehandeld && !previous_was_reopen_requested
            }
            StatusMail::Scheduled => self.state == State::Ingepland && self.send_email,
            StatusMail::Reopened => self.state == State::Heropend,
            StatusMail::Optional => OPTIONAL_STATES.contains(&self.state) && self.send_email,
            StatusMail::ReactionReceived => {
                self.state == State::ReactieOntvangen
                    && !self.text.trim().eq_ignore_ascii_case(NO_REACTION_RECEIVED)
            }
            StatusMail::HandledNegativeContact => {
                self.state == State::Afgehandeld
                    && previous_was_reopen_requested
                    && self.flags.handled_negative_contact
                    && self.latest_feedback_allows_contact == Some(true)
            }
        }
    }
}

/// The mail this status row sends, if any.
pub fn status_mail(facts: &StatusMailFacts<'_>) -> Option<StatusMail> {
    if !facts.reporter_gate() {
        return None;
    }
    StatusMail::ALL.into_iter().find(|mail| facts.passes(*mail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(state: State) -> StatusMailFacts<'static> {
        StatusMailFacts {
            state,
            text: "",
            send_email: false,
            is_first_status: false,
            previous_state: Some(State::Behandeling),
            reporter_has_email: true,
            parent_state: None,
            latest_feedback_allows_contact: None,
            flags: MailFlags::default(),
        }
    }

    #[test]
    fn a_new_signal_gets_the_confirmation() {
        let new = StatusMailFacts {
            is_first_status: true,
            previous_state: None,
            ..facts(State::Gemeld)
        };
        assert_eq!(status_mail(&new), Some(StatusMail::Created));
    }

    #[test]
    fn a_later_gemeld_only_mails_when_asked() {
        let back = facts(State::Gemeld);
        assert_eq!(status_mail(&back), None);
        let asked = StatusMailFacts {
            send_email: true,
            ..back
        };
        assert_eq!(status_mail(&asked), Some(StatusMail::Optional));
    }

    #[test]
    fn closing_mails_without_the_checkbox_unless_it_follows_a_reopen_request() {
        assert_eq!(
            status_mail(&facts(State::Afgehandeld)),
            Some(StatusMail::Handled)
        );
        let after_reopen_request = StatusMailFacts {
            previous_state: Some(State::VerzoekTotHeropenen),
            ..facts(State::Afgehandeld)
        };
        assert_eq!(status_mail(&after_reopen_request), None);
        let flagged = StatusMailFacts {
            flags: MailFlags {
                handled_negative_contact: true,
                ..MailFlags::default()
            },
            latest_feedback_allows_contact: Some(true),
            ..after_reopen_request.clone()
        };
        assert_eq!(
            status_mail(&flagged),
            Some(StatusMail::HandledNegativeContact)
        );
        let flagged_without_feedback = StatusMailFacts {
            latest_feedback_allows_contact: None,
            ..flagged
        };
        assert_eq!(status_mail(&flagged_without_feedback), None);
    }

    #[test]
    fn scheduled_and_optional_need_the_checkbox_reopened_does_not() {
        assert_eq!(status_mail(&facts(State::Ingepland)), None);
        let scheduled = StatusMailFacts {
            send_email: true,
            ..facts(State::Ingepland)
        };
        assert_eq!(status_mail(&scheduled), Some(StatusMail::Scheduled));
        assert_eq!(
            status_mail(&facts(State::Heropend)),
            Some(StatusMail::Reopened)
        );
        for state in [
            State::Afwachting,
            State::Behandeling,
            State::OnHold,
            State::VerzoekTotAfhandeling,
            State::Geannuleerd,
        ] {
            assert_eq!(status_mail(&facts(state)), None, "{state:?}");
            let asked = StatusMailFacts {
                send_email: true,
                ..facts(state)
            };
            assert_eq!(status_mail(&asked), Some(StatusMail::Optional), "{state:?}");
        }
    }

    #[test]
    fn states_without_a_rule_never_mail() {
        for state in [
            State::TeVerzenden,
            State::Verzonden,
            State::VerzendenMislukt,
            State::AfgehandeldExtern,
            State::VerzoekTotHeropenen,
            State::Gesplitst,
            State::ReactieGevraagd,
            State::DoorgezetNaarExtern,
        ] {
            let asked = StatusMailFacts {
                send_email: true,
                ..facts(state)
            };
            assert_eq!(status_mail(&asked), None, "{state:?}");
        }
    }

    #[test]
    fn a_reaction_mails_unless_it_expired() {
        let received = StatusMailFacts {
            text: "De container staat er nog",
            ..facts(State::ReactieOntvangen)
        };
        assert_eq!(status_mail(&received), Some(StatusMail::ReactionReceived));
        let expired = StatusMailFacts {
            text: "geen reactie ontvangen.",
            ..received
        };
        assert_eq!(status_mail(&expired), None);
    }

    #[test]
    fn the_reporter_gate_holds_for_every_rule() {
        let no_address = StatusMailFacts {
            reporter_has_email: false,
            ..facts(State::Afgehandeld)
        };
        assert_eq!(status_mail(&no_address), None);
        let child = StatusMailFacts {
            parent_state: Some(State::Behandeling),
            ..facts(State::Afgehandeld)
        };
        assert_eq!(status_mail(&child), None);
        let child_of_split = StatusMailFacts {
            parent_state: Some(State::Gesplitst),
            ..facts(State::Afgehandeld)
        };
        assert_eq!(status_mail(&child_of_split), Some(StatusMail::Handled));
        let refused_contact = StatusMailFacts {
            latest_feedback_allows_contact: Some(false),
            ..facts(State::Afgehandeld)
        };
        assert_eq!(status_mail(&refused_contact), None);
        let flag_off = StatusMailFacts {
            flags: MailFlags {
                feedback_allows_contact: false,
                ..MailFlags::default()
            },
            ..refused_contact
        };
        assert_eq!(status_mail(&flag_off), Some(StatusMail::Handled));
    }

    #[test]
    fn every_action_has_a_distinct_template_key() {
        let keys: std::collections::BTreeSet<_> =
            StatusMail::ALL.iter().map(|m| m.template_key()).collect();
        assert_eq!(keys.len(), StatusMail::ALL.len());
        assert_eq!(
            StatusMail::Created.fallback_subject("SIG-12"),
            "Bedankt voor uw melding SIG-12"
        );
    }
}
