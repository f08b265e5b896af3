//! Parent and child signals (*hoofdmelding* / *deelmelding*): one level deep,
//! at most [`MAX_CHILDREN`] per parent (spec 01 §2.2, 02 §5, 04 §2.2).
//!
//! What a parent's closure does to its children is in
//! [`crate::status::system`]; nothing stops a parent from being closed while
//! children are open, nor a child from changing on its own.

use crate::status::State;

/// The most children a parent may have (`SIGNAL_MAX_NUMBER_OF_CHILDREN`,
/// fixed at 10 in the reference), and the most signals one bulk create takes.
pub const MAX_CHILDREN: usize = 10;

/// What the model rules need to know about a signal being saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalFamily {
    /// Whether the signal is being created (the children limit applies only then).
    pub is_new: bool,
    /// Whether the signal has at least one child.
    pub has_children: bool,
    /// Its parent, if it is a child.
    pub parent: Option<ParentFacts>,
}

/// What the rules need to know about a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentFacts {
    /// Whether the parent is itself a child.
    pub is_child: bool,
    /// How many children it has already, not counting the signal being saved.
    pub children: usize,
}

/// A broken model rule of spec 01 §2.2, or a directing-department change on
/// a signal that is not a parent (04 §3.2). Rendered as a bare list:
/// `["<message>"]` (HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FamilyError {
    /// The reference's text, typo included.
    #[error("Cannot be a parent and a child at the once")]
    BothParentAndChild,
    #[error("A child of a child is not allowed")]
    ChildOfChild,
    #[error("Maximum number of children reached for the parent Signal")]
    TooManyChildren,
    #[error("Directing departments can only be set on a parent Signal")]
    DirectingDepartmentsOnNonParent,
}

/// A broken rule of the private bulk create (spec 04 §2.2). Rendered as
/// `{"non_field_errors": ["<message>"]}` (HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BulkCreateError {
    #[error("Only a maximum of {MAX_CHILDREN} Signals can be created in bulk")]
    TooManyItems,
    #[error("Only Signals OR Child Signals (of the same parent) can be created in bulk")]
    MixedParents,
    #[error("All Parent ID's must be the same Signal")]
    DifferentParents,
    #[error("The given parent Signal is itself a child, therefore it cannot have children")]
    ParentIsChild,
    #[error("Maximum number of {MAX_CHILDREN} child Signals reached for parent Signal")]
    ParentFull,
    #[error(
        "Cannot create the given child signals because this will exceed the maximum of children allowed on a Signal. Which is set to {MAX_CHILDREN} child Signals per parent Signal"
    )]
    WouldExceedMaximum,
}

/// The model rules checked on every save of a signal (spec 01 §2.2), in the
/// reference's order.
pub fn check_family(signal: &SignalFamily) -> Result<(), FamilyError> {
    if signal.has_children && signal.parent.is_some() {
        return Err(FamilyError::BothParentAndChild);
    }
    if let Some(parent) = signal.parent {
        if parent.is_child {
            return Err(FamilyError::ChildOfChild);
        }
        if signal.is_new && parent.children >= MAX_CHILDREN {
            return Err(FamilyError::TooManyChildren);
        }
    }
    Ok(())
}

/// Directing departments can only be set on a parent (spec 02 §5, 04 §3.2).
pub fn check_directing_departments(is_parent: bool) -> Result<(), FamilyError> {
    if is_parent {
        Ok(())
    } else {
        Err(FamilyError::DirectingDepartmentsOnNonParent)
    }
}

/// The first half of the bulk rules (spec 04 §2.2), on the `parent` of each
/// item: at most [`MAX_CHILDREN`] items, all without a parent (`Ok(None)`) or
/// all with the same one (`Ok(Some(parent))`). An empty list is `Ok(None)`.
/// Then look the parent up and call [`check_bulk_children`].
pub fn bulk_parent<Id: PartialEq>(parents: &[Option<Id>]) -> Result<Option<&Id>, BulkCreateError> {
    if parents.len() > MAX_CHILDREN {
        return Err(BulkCreateError::TooManyItems);
    }
    let with_parent = parents.iter().filter(|p| p.is_some()).count();
    if with_parent == 0 {
        return Ok(None);
    }
    if with_parent != parents.len() {
        return Err(BulkCreateError::MixedParents);
    }
    let mut ids = parents.iter().flatten();
    let first = ids.next();
    if ids.any(|id| Some(id) != first) {
        return Err(BulkCreateError::DifferentParents);
    }
    Ok(first)
}

/// The second half of the bulk rules: may `parent` take `new_children` more?
pub fn check_bulk_children(
    parent: ParentFacts,
    new_children: usize,
) -> Result<(), BulkCreateError> {
    if parent.is_child {
        return Err(BulkCreateError::ParentIsChild);
    }
    if parent.children >= MAX_CHILDREN {
        return Err(BulkCreateError::ParentFull);
    }
    if parent.children + new_children > MAX_CHILDREN {
        return Err(BulkCreateError::WouldExceedMaximum);
    }
    Ok(())
}

/// Whether the reporter mails of spec 02 §7 may go out for a signal whose
/// parent is in `parent_state` (`None`: the signal is not a child). Children
/// never mail the reporter, except children of a historical split parent (`s`).
pub fn reporter_mail_allowed(parent_state: Option<State>) -> bool {
    parent_state.is_none_or(|state| state == State::Gesplitst)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FREE_PARENT: ParentFacts = ParentFacts {
        is_child: false,
        children: 3,
    };

    fn new_child_of(parent: ParentFacts) -> SignalFamily {
        SignalFamily {
            is_new: true,
            has_children: false,
            parent: Some(parent),
        }
    }

    #[test]
    fn a_signal_without_parent_or_a_child_of_a_top_level_parent_is_fine() {
        let lone = SignalFamily {
            is_new: true,
            has_children: false,
            parent: None,
        };
        assert_eq!(check_family(&lone), Ok(()));
        let parent = SignalFamily {
            is_new: false,
            has_children: true,
            parent: None,
        };
        assert_eq!(check_family(&parent), Ok(()));
        assert_eq!(check_family(&new_child_of(FREE_PARENT)), Ok(()));
    }

    #[test]
    fn a_signal_cannot_be_parent_and_child_at_once() {
        let both = SignalFamily {
            is_new: false,
            has_children: true,
            parent: Some(FREE_PARENT),
        };
        let err = check_family(&both).expect_err("refused");
        assert_eq!(err, FamilyError::BothParentAndChild);
        assert_eq!(
            err.to_string(),
            "Cannot be a parent and a child at the once"
        );
    }

    #[test]
    fn a_child_of_a_child_is_refused() {
        let grandchild = new_child_of(ParentFacts {
            is_child: true,
            children: 0,
        });
        let err = check_family(&grandchild).expect_err("refused");
        assert_eq!(err.to_string(), "A child of a child is not allowed");
    }

    #[test]
    fn the_eleventh_child_is_refused_but_existing_children_may_still_be_saved() {
        let ten = ParentFacts {
            is_child: false,
            children: 10,
        };
        let nine = ParentFacts {
            is_child: false,
            children: 9,
        };
        assert_eq!(check_family(&new_child_of(nine)), Ok(()));
        let err = check_family(&new_child_of(ten)).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "Maximum number of children reached for the parent Signal"
        );
        let existing = SignalFamily {
            is_new: false,
            ..new_child_of(ten)
        };
        assert_eq!(check_family(&existing), Ok(()));
    }

    #[test]
    fn directing_departments_need_a_parent() {
        assert_eq!(check_directing_departments(true), Ok(()));
        assert_eq!(
            check_directing_departments(false).map_err(|e| e.to_string()),
            Err("Directing departments can only be set on a parent Signal".to_owned())
        );
    }

    #[test]
    fn a_bulk_create_is_all_plain_signals_or_all_children_of_one_parent() {
        assert_eq!(bulk_parent::<i32>(&[None, None]), Ok(None));
        assert_eq!(bulk_parent::<i32>(&[]), Ok(None));
        assert_eq!(bulk_parent(&[Some(7), Some(7)]), Ok(Some(&7)));
        assert_eq!(
            bulk_parent(&[Some(7), None]),
            Err(BulkCreateError::MixedParents)
        );
        assert_eq!(
            bulk_parent(&[Some(7), Some(8)]),
            Err(BulkCreateError::DifferentParents)
        );
        assert_eq!(
            bulk_parent(&[None::<i32>; 11]),
            Err(BulkCreateError::TooManyItems)
        );
        assert_eq!(bulk_parent(&[Some(1); 10]), Ok(Some(&1)));
    }

    #[test]
    fn a_bulk_parent_must_be_top_level_and_have_room() {
        assert_eq!(check_bulk_children(FREE_PARENT, 7), Ok(()));
        assert_eq!(
            check_bulk_children(FREE_PARENT, 8),
            Err(BulkCreateError::WouldExceedMaximum)
        );
        assert_eq!(
            check_bulk_children(
                ParentFacts {
                    is_child: false,
                    children: 10
                },
                1
            ),
            Err(BulkCreateError::ParentFull)
        );
        assert_eq!(
            check_bulk_children(
                ParentFacts {
                    is_child: true,
                    children: 0
                },
                1
            ),
            Err(BulkCreateError::ParentIsChild)
        );
    }

    #[test]
    fn the_bulk_messages_are_the_references() {
        let messages = [
            (
                BulkCreateError::TooManyItems,
                "Only a maximum of 10 Signals can be created in bulk",
            ),
            (
                BulkCreateError::MixedParents,
                "Only Signals OR Child Signals (of the same parent) can be created in bulk",
            ),
            (
                BulkCreateError::DifferentParents,
                "All Parent ID's must be the same Signal",
            ),
            (
                BulkCreateError::ParentIsChild,
                "The given parent Signal is itself a child, therefore it cannot have children",
            ),
            (
                BulkCreateError::ParentFull,
                "Maximum number of 10 child Signals reached for parent Signal",
            ),
            (
                BulkCreateError::WouldExceedMaximum,
                "Cannot create the given child signals because this will exceed the maximum of \
                 children allowed on a Signal. Which is set to 10 child Signals per parent Signal",
            ),
        ];
        for (error, message) in messages {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn children_mail_the_reporter_only_under_a_split_parent() {
        assert!(reporter_mail_allowed(None));
        for parent in State::ALL {
            assert_eq!(
                reporter_mail_allowed(Some(parent)),
                parent == State::Gesplitst,
                "{parent:?}"
            );
        }
    }
}
