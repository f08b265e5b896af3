//! The status workflow of a signal (spec 02): the 19 states and their codes,
//! display names and public mapping, the transition table, the rules a status
//! change must pass, and the statuses the system writes itself.
//!
//! A status change is checked with [`check_transition`], which returns the
//! reference's error messages grouped the way the reference renders them
//! ([`TransitionError`]). `docs/workflow.md` has the tables.
//!
//! # Which states the API may set
//!
//! The reference's status serializer accepts every state code, so an API
//! client can move a signal `ready to send → sent` although no external system
//! ever received it (spec 02 §4, 00 §8). We decided: **the API refuses the
//! states only the system sets**, [`State::is_system_only`]:
//!
//! * `sent`, `send failed` — written by the Sigmax/CityControl push;
//! * `done external` — written when Sigmax/CityControl reports the work done;
//! * `reaction received` — written when the reporter answers the reaction
//!   questionnaire or it expires; set by hand it would send the reporter a
//!   confirmation of an answer they never gave (spec 02 §7, rule 7).
//!
//! The frontend never offers these four. A refused state gets the framework's
//! invalid-choice message (`"sent" is een ongeldige keuze.`) under
//! `status.state`, which is what the reference itself would answer had its
//! serializer used its own API choice list (`STATUS_CHOICES_API`).
//!
//! `reopen requested` stays settable through the API: it is written by the
//! negative-feedback flow, but the current frontend offers "Verzoek tot
//! heropenen" in its status form (Amsterdam/signals-frontend, July 2026), so
//! refusing it would break the unmodified frontend. The transition table
//! still only allows it from `o`.
//!
//! System flows pass [`Actor::System`]: they may set any state the table
//! allows and skip the API's payload checks, as the reference's model-level
//! `Status.clean` does.

mod change;
mod state;
pub mod system;
mod transitions;

pub use change::{
    Actor, ApiContext, Forbidden, PayloadError, REACTION_REQUEST_TEXT_MAX_CHARS, RuleViolation,
    StatusChange, TEXT_MAX_CHARS, TransitionError, check_transition, messages, text_required,
};
pub use state::{
    InvalidChoice, MAP_SIGNALS_HIDDEN, NOT_OPEN_FOR_COUNTS, PUBLIC_ATTACHMENT_UPLOAD,
    PUBLIC_CLOSED, PUBLIC_MAP_HIDDEN, PublicState, State, TargetApi, codes,
};
