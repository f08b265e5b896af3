//! Object access to one signal (spec 01 §9.3), for the detail-style
//! endpoints — detail, PATCH, history, children: 404 when the signal does
//! not exist, 403 when the object-level rule keeps it from the user.
//!
//! The rule differs from the list's on purpose: a user who does not see
//! every category needs `sia_read` and either a department that may view
//! the signal's current category, or one named by **any** routing relation
//! the signal ever had (the list looks at the current routing only).

use signalen_api::ApiError;
use signalen_domain::user::{Permission, User};
use signalen_infra::pg::{self, GenericClient};

use crate::NO_SIGNAL;

/// `Ok` when `user` may see signal `id`; 404 when there is no such signal,
/// 403 when the object-level rule refuses it.
pub async fn object_access(
    client: &impl GenericClient,
    user: &User,
    id: i32,
) -> Result<(), ApiError> {
    let departments: &[i32] = if user.sees_all_categories() {
        &[]
    } else {
        &user.department_ids
    };
    let visible = pg::signal_read::signal_visible_to(client, id, departments)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound(NO_SIGNAL))?;
    if decide(user, visible) {
        Ok(())
    } else {
        tracing::info!(user_id = user.id, signal_id = id, "signal not visible");
        Err(ApiError::Forbidden)
    }
}

/// The rule, given whether the user's departments reach the signal.
fn decide(user: &User, departments_reach_it: bool) -> bool {
    user.sees_all_categories() || (user.has(Permission::SIA_READ) && departments_reach_it)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn user(codenames: &[&str]) -> User {
        User {
            id: 7,
            username: "medewerker@example.org".into(),
            email: "medewerker@example.org".into(),
            is_active: true,
            is_superuser: false,
            role_ids: vec![],
            permissions: codenames
                .iter()
                .map(|c| (*c).to_owned())
                .collect::<BTreeSet<_>>(),
            department_ids: vec![3],
            visible_category_ids: vec![],
        }
    }

    #[test]
    fn seeing_every_category_needs_no_department() {
        assert!(decide(&user(&["sia_can_view_all_categories"]), false));
        let mut admin = user(&[]);
        admin.is_superuser = true;
        assert!(decide(&admin, false));
    }

    #[test]
    fn others_need_sia_read_and_a_department_that_reaches_the_signal() {
        assert!(decide(&user(&["sia_read"]), true));
        assert!(!decide(&user(&["sia_read"]), false));
        assert!(!decide(&user(&["sia_write"]), true));
    }
}
