//! Who may add and remove attachments, and when (spec 03 §4, 04 §7.4):
//! pure rules over facts the routes read.

use signalen_domain::status::State;
use signalen_domain::user::{Permission, User};
use signalen_infra::pg::SignalAccess;

pub const NOT_IN_THIS_STATE: &str = "Public uploads not allowed in current signal state.";
pub const NO_FEEDBACK_EXPECTED: &str =
    "No feedback expected for this signal hence no uploads allowed.";

/// Whether the state admits a citizen's upload at all, and whether that
/// depends on an open feedback request (state `o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicWindow {
    Open,
    /// Open only while a feedback request is open.
    IfFeedbackExpected,
    Closed,
}

/// A citizen may add photos while the signal is new (`m`), while a
/// question is put to them (`reaction requested`), and after closure
/// (`o`) while their feedback is asked for.
pub fn public_window(state: State) -> PublicWindow {
    match state {
        State::Gemeld | State::ReactieGevraagd => PublicWindow::Open,
        State::Afgehandeld => PublicWindow::IfFeedbackExpected,
        _ => PublicWindow::Closed,
    }
}

/// The refusal of a citizen's upload, if any.
pub fn public_refusal(window: PublicWindow, feedback_expected: bool) -> Option<&'static str> {
    match window {
        PublicWindow::Open => None,
        PublicWindow::IfFeedbackExpected if feedback_expected => None,
        PublicWindow::IfFeedbackExpected => Some(NO_FEEDBACK_EXPECTED),
        PublicWindow::Closed => Some(NOT_IN_THIS_STATE),
    }
}

/// Why `user` may not delete an attachment uploaded by `uploaded_by` (the
/// employee's e-mail; `None`: the citizen) from a visible signal, in the
/// reference's order: the kind of signal first, then the uploader.
pub fn delete_refusal(
    user: &User,
    signal: &SignalAccess,
    uploaded_by: Option<&str>,
) -> Option<&'static str> {
    let kind = if signal.is_parent {
        (
            Permission::SIA_DELETE_ATTACHMENT_OF_PARENT_SIGNAL,
            r#"Cannot delete attachment need "sia_delete_attachment_of_parent_signal" permission."#,
        )
    } else if signal.is_child {
        (
            Permission::SIA_DELETE_ATTACHMENT_OF_CHILD_SIGNAL,
            r#"Cannot delete attachment need "sia_delete_attachment_of_child_signal" permission."#,
        )
    } else {
        (
            Permission::SIA_DELETE_ATTACHMENT_OF_NORMAL_SIGNAL,
            r#"Cannot delete attachment need "sia_delete_attachment_of_normal_signal" permission."#,
        )
    };
    if !user.has(kind.0) {
        return Some(kind.1);
    }
    match uploaded_by {
        None if !user.has(Permission::SIA_DELETE_ATTACHMENT_OF_ANONYMOUS_USER) => Some(
            r#"Cannot delete attachment need "sia_delete_attachment_of_anonymous_user" permission."#,
        ),
        Some(email)
            if email != user.email
                && !user.has(Permission::SIA_DELETE_ATTACHMENT_OF_OTHER_USER) =>
        {
            Some(
                r#"Cannot delete attachment need "sia_delete_attachment_of_other_user" permission."#,
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn user(permissions: &[Permission]) -> User {
        User {
            id: 1,
            username: "medewerker@example.org".into(),
            email: "medewerker@example.org".into(),
            is_active: true,
            is_superuser: false,
            role_ids: vec![],
            permissions: permissions
                .iter()
                .map(|p| p.codename().to_owned())
                .collect::<BTreeSet<_>>(),
            department_ids: vec![],
            visible_category_ids: vec![],
        }
    }

    fn signal(is_parent: bool, is_child: bool) -> SignalAccess {
        SignalAccess {
            id: 7,
            visible: true,
            is_parent,
            is_child,
        }
    }

    #[test]
    fn citizens_upload_while_new_asked_or_asked_for_feedback() {
        assert_eq!(public_refusal(public_window(State::Gemeld), false), None);
        assert_eq!(
            public_refusal(public_window(State::ReactieGevraagd), false),
            None
        );
        assert_eq!(
            public_refusal(public_window(State::Afgehandeld), true),
            None
        );
        assert_eq!(
            public_refusal(public_window(State::Afgehandeld), false),
            Some(NO_FEEDBACK_EXPECTED)
        );
        for state in [
            State::Behandeling,
            State::Afwachting,
            State::Geannuleerd,
            State::Heropend,
            State::ReactieOntvangen,
            State::Leeg,
        ] {
            assert_eq!(
                public_refusal(public_window(state), true),
                Some(NOT_IN_THIS_STATE),
                "{state:?}"
            );
        }
    }

    #[test]
    fn the_kind_of_signal_is_checked_before_the_uploader() {
        let none = user(&[]);
        assert_eq!(
            delete_refusal(&none, &signal(true, false), None),
            Some(
                r#"Cannot delete attachment need "sia_delete_attachment_of_parent_signal" permission."#
            )
        );
        assert_eq!(
            delete_refusal(&none, &signal(false, true), None),
            Some(
                r#"Cannot delete attachment need "sia_delete_attachment_of_child_signal" permission."#
            )
        );
        assert_eq!(
            delete_refusal(&none, &signal(false, false), Some("medewerker@example.org")),
            Some(
                r#"Cannot delete attachment need "sia_delete_attachment_of_normal_signal" permission."#
            )
        );
    }

    #[test]
    fn the_uploader_decides_the_second_permission() {
        let normal = user(&[Permission::SIA_DELETE_ATTACHMENT_OF_NORMAL_SIGNAL]);
        let s = signal(false, false);
        assert_eq!(
            delete_refusal(&normal, &s, Some("medewerker@example.org")),
            None
        );
        assert_eq!(
            delete_refusal(&normal, &s, None),
            Some(
                r#"Cannot delete attachment need "sia_delete_attachment_of_anonymous_user" permission."#
            )
        );
        assert_eq!(
            delete_refusal(&normal, &s, Some("collega@example.org")),
            Some(
                r#"Cannot delete attachment need "sia_delete_attachment_of_other_user" permission."#
            )
        );
        let all = user(&[
            Permission::SIA_DELETE_ATTACHMENT_OF_NORMAL_SIGNAL,
            Permission::SIA_DELETE_ATTACHMENT_OF_ANONYMOUS_USER,
            Permission::SIA_DELETE_ATTACHMENT_OF_OTHER_USER,
        ]);
        assert_eq!(delete_refusal(&all, &s, None), None);
        assert_eq!(delete_refusal(&all, &s, Some("collega@example.org")), None);
        // A parent signal needs the parent permission, not the normal one.
        assert!(delete_refusal(&all, &signal(true, false), None).is_some());
    }

    #[test]
    fn a_superuser_passes_every_check() {
        let mut admin = user(&[]);
        admin.is_superuser = true;
        for s in [
            signal(true, false),
            signal(false, true),
            signal(false, false),
        ] {
            assert_eq!(delete_refusal(&admin, &s, None), None);
            assert_eq!(delete_refusal(&admin, &s, Some("x@example.org")), None);
        }
    }
}
