//! Statuses the system flows write (spec 02 §4–§5), with the fixed texts the
//! reference gives them. They go through [`check_transition`] with
//! [`Actor::System`](super::Actor::System) like any other change.
//!
//! [`check_transition`]: super::check_transition

use super::{State, StatusChange};

/// The text of the `a` status a child gets when its parent is closed.
pub const CHILD_CANCELLED_TEXT: &str = "Hoofdmelding is afgehandeld";
/// The text of the `reopen requested` status after negative feedback on a
/// signal in `o`.
pub const REOPEN_REQUESTED_AFTER_FEEDBACK_TEXT: &str =
    "De melder is niet tevreden blijkt uit feedback. Zo nodig heropenen.";
/// The text of the `reaction received` status when a reaction request
/// expires; a status with this text (compared case-insensitively) sends no
/// confirmation mail (spec 02 §7, 11).
pub const NO_REACTION_RECEIVED_TEXT: &str = "Geen reactie ontvangen.";

/// Parent states that cancel the parent's open children (spec 02 §5).
pub const CLOSING_PARENT_STATES: &[State] = &[State::Afgehandeld, State::Geannuleerd];

/// Whether a parent that just got `parent_state` cancels its open children.
pub fn closes_children(parent_state: State) -> bool {
    CLOSING_PARENT_STATES.contains(&parent_state)
}

/// Whether a child counts as open, i.e. would be cancelled by its parent's
/// closure: any state but `o` and `a`. This is also the set behind the
/// frontend's warning "deelmeldingen nog open" before closing a parent;
/// closing the parent is allowed regardless (spec 02 §5).
pub fn is_open_child(child_state: State) -> bool {
    !CLOSING_PARENT_STATES.contains(&child_state)
}

/// The change each open child receives (system actor, `user` NULL).
pub const fn child_cancellation() -> StatusChange<'static> {
    StatusChange::to(State::Geannuleerd).with_text(CHILD_CANCELLED_TEXT)
}

/// The children to cancel after a parent's status became `parent_state`,
/// given each child's id and current state (spec 02 §5): none unless the
/// parent is now `o` or `a`; otherwise every open child whose state allows
/// the move to `a`. Apply [`child_cancellation`] to each, in the same
/// transaction as the parent's status.
///
/// Open children that cannot move to `a` (only `s`, and a child without
/// status) are skipped: the reference would raise on them and stop the
/// cascade halfway.
pub fn children_to_cancel<Id>(
    parent_state: State,
    children: impl IntoIterator<Item = (Id, State)>,
) -> Vec<Id> {
    if !closes_children(parent_state) {
        return Vec::new();
    }
    children
        .into_iter()
        .filter(|(_, state)| is_open_child(*state) && state.can_transition_to(State::Geannuleerd))
        .map(|(id, _)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Actor, check_transition};
    use super::*;

    #[test]
    fn closing_a_parent_cancels_every_open_child() {
        let children = State::ALL.into_iter().enumerate();
        let cancelled = children_to_cancel(State::Afgehandeld, children);
        let states: Vec<State> = cancelled.into_iter().map(|i| State::ALL[i]).collect();
        let expected: Vec<State> = State::ALL
            .into_iter()
            .filter(|s| {
                !matches!(
                    s,
                    State::Afgehandeld | State::Geannuleerd | State::Gesplitst | State::Leeg
                )
            })
            .collect();
        assert_eq!(states, expected);
        assert_eq!(states.len(), 15);
    }

    #[test]
    fn cancelling_a_parent_cascades_like_closing_it() {
        let children = [
            (1, State::Behandeling),
            (2, State::Afgehandeld),
            (3, State::Gemeld),
        ];
        assert_eq!(children_to_cancel(State::Geannuleerd, children), [1, 3]);
    }

    #[test]
    fn no_other_parent_state_touches_the_children() {
        for parent in State::ALL {
            if matches!(parent, State::Afgehandeld | State::Geannuleerd) {
                assert!(closes_children(parent));
                continue;
            }
            assert!(!closes_children(parent), "{parent:?}");
            assert!(children_to_cancel(parent, [(1, State::Behandeling)]).is_empty());
        }
    }

    #[test]
    fn the_cancellation_of_each_selected_child_passes_the_workflow_as_the_system() {
        let children = State::ALL.into_iter().map(|s| (s, s));
        for child in children_to_cancel(State::Afgehandeld, children) {
            assert_eq!(
                check_transition(child, &child_cancellation(), Actor::System),
                Ok(()),
                "{child:?}"
            );
        }
        assert_eq!(child_cancellation().state, State::Geannuleerd);
        assert_eq!(
            child_cancellation().text,
            Some("Hoofdmelding is afgehandeld")
        );
    }

    #[test]
    fn children_in_o_or_a_are_not_open() {
        let open: Vec<State> = State::ALL
            .into_iter()
            .filter(|s| !is_open_child(*s))
            .collect();
        assert_eq!(open, [State::Afgehandeld, State::Geannuleerd]);
    }

    #[test]
    fn the_system_texts_pass_their_transitions() {
        let reopen = StatusChange::to(State::VerzoekTotHeropenen)
            .with_text(REOPEN_REQUESTED_AFTER_FEEDBACK_TEXT);
        assert_eq!(
            check_transition(State::Afgehandeld, &reopen, Actor::System),
            Ok(())
        );
        let expired =
            StatusChange::to(State::ReactieOntvangen).with_text(NO_REACTION_RECEIVED_TEXT);
        assert_eq!(
            check_transition(State::ReactieGevraagd, &expired, Actor::System),
            Ok(())
        );
    }
}
