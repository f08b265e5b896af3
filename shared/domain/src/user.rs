//! Back-office users, their roles and permissions (spec 01 §9).
//!
//! Access is binary per codename (01 §9.2): a user may do something when the
//! codename is among its effective permissions — its direct permissions plus
//! those of all its roles — or when it is a superuser, who passes every check.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

/// A permission codename that the API checks (01 §9.2, 05 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(&'static str);

impl Permission {
    /// Every GET on the private API (with the exceptions of 05 §6).
    pub const SIA_READ: Self = Self("sia_read");
    /// Every POST/PUT/PATCH/DELETE on the private API.
    pub const SIA_WRITE: Self = Self("sia_write");
    pub const SIA_SIGNAL_CREATE_INITIAL: Self = Self("sia_signal_create_initial");
    pub const SIA_SIGNAL_CREATE_NOTE: Self = Self("sia_signal_create_note");
    pub const SIA_SIGNAL_CHANGE_STATUS: Self = Self("sia_signal_change_status");
    pub const SIA_SIGNAL_CHANGE_CATEGORY: Self = Self("sia_signal_change_category");
    /// Sees every signal, whatever the user's departments (01 §9.3).
    pub const SIA_CAN_VIEW_ALL_CATEGORIES: Self = Self("sia_can_view_all_categories");
    pub const SIA_CAN_VIEW_CONTACT_DETAILS: Self = Self("sia_can_view_contact_details");
    pub const PUSH_TO_SIGMAX: Self = Self("push_to_sigmax");
    pub const SIA_ADD_ATTACHMENT: Self = Self("sia_add_attachment");
    pub const SIA_CHANGE_ATTACHMENT: Self = Self("sia_change_attachment");
    pub const SIA_DELETE_ATTACHMENT_OF_NORMAL_SIGNAL: Self =
        Self("sia_delete_attachment_of_normal_signal");
    pub const SIA_DELETE_ATTACHMENT_OF_PARENT_SIGNAL: Self =
        Self("sia_delete_attachment_of_parent_signal");
    pub const SIA_DELETE_ATTACHMENT_OF_CHILD_SIGNAL: Self =
        Self("sia_delete_attachment_of_child_signal");
    pub const SIA_DELETE_ATTACHMENT_OF_OTHER_USER: Self =
        Self("sia_delete_attachment_of_other_user");
    pub const SIA_DELETE_ATTACHMENT_OF_ANONYMOUS_USER: Self =
        Self("sia_delete_attachment_of_anonymous_user");
    pub const SIA_CATEGORY_WRITE: Self = Self("sia_category_write");
    pub const SIA_DEPARTMENT_WRITE: Self = Self("sia_department_write");
    pub const SIA_STATUSMESSAGETEMPLATE_WRITE: Self = Self("sia_statusmessagetemplate_write");
    pub const SIA_STATUSMESSAGE_WRITE: Self = Self("sia_statusmessage_write");
    pub const SIA_STATUSMESSAGECATEGORY_WRITE: Self = Self("sia_statusmessagecategory_write");
    pub const SIA_AREA_WRITE: Self = Self("sia_area_write");
    pub const SIA_AREATYPE_WRITE: Self = Self("sia_areatype_write");
    pub const SIA_EXPRESSION_WRITE: Self = Self("sia_expression_write");
    pub const SIA_SIGNAL_REPORT: Self = Self("sia_signal_report");
    pub const SIA_ADD_I18NEXT_TRANSLATION_FILE: Self = Self("sia_add_i18next_translation_file");
    /// Django built-ins the user and role endpoints check (04b §0).
    pub const VIEW_USER: Self = Self("view_user");
    pub const ADD_USER: Self = Self("add_user");
    pub const CHANGE_USER: Self = Self("change_user");
    pub const ADD_GROUP: Self = Self("add_group");
    pub const CHANGE_GROUP: Self = Self("change_group");
    pub const DELETE_GROUP: Self = Self("delete_group");

    /// The codename as stored in `auth_permission.codename`.
    pub const fn codename(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Whether a codename is one the API exposes (04b §3): `sia_*` and `push_to_sigmax`.
pub fn is_exposed_codename(codename: &str) -> bool {
    codename.to_ascii_lowercase().starts_with("sia_") || codename == "push_to_sigmax"
}

/// A user as the access rules see it: loaded once per request, in one query,
/// from the `auth_user` row the token's e-mail names (05 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i32,
    pub username: String,
    /// What `created_by`/`user` fields and history authorship record (05 §3.2).
    pub email: String,
    pub is_active: bool,
    pub is_superuser: bool,
    /// Ids of the user's roles.
    pub role_ids: Vec<i32>,
    /// Effective codenames: direct permissions and those of every role.
    pub permissions: BTreeSet<String>,
    /// Ids of the departments of the user's profile (visibility, 01 §9.3).
    pub department_ids: Vec<i32>,
    /// Ids of the categories those departments are responsible for or may
    /// view, ascending: whose signals the user sees in lists (01 §9.3).
    pub visible_category_ids: Vec<i32>,
}

impl User {
    /// Whether the user may do what `permission` guards; superusers may do everything.
    pub fn has(&self, permission: Permission) -> bool {
        self.is_superuser || self.permissions.contains(permission.codename())
    }

    /// Whether the user has every one of `permissions`.
    pub fn has_all(&self, permissions: &[Permission]) -> bool {
        permissions.iter().all(|p| self.has(*p))
    }

    /// Sees all signals regardless of department (01 §9.3).
    pub fn sees_all_categories(&self) -> bool {
        self.has(Permission::SIA_CAN_VIEW_ALL_CATEGORIES)
    }
}

/// A row of `auth_permission` (04b §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRecord {
    pub id: i32,
    pub codename: String,
    pub name: String,
    pub app_label: String,
    pub model_verbose_name: String,
}

impl PermissionRecord {
    /// `<app> | <model verbose name> | <name>`, as Django renders a permission.
    pub fn display(&self) -> String {
        format!(
            "{} | {} | {}",
            self.app_label, self.model_verbose_name, self.name
        )
    }
}

/// A role (Django group) with its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: i32,
    pub name: String,
    pub permissions: Vec<PermissionRecord>,
}

/// A user's profile (01 §9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub note: Option<String>,
    /// Names of the profile's departments, in name order.
    pub departments: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub notification_on_user_assignment: bool,
    pub notification_on_department_assignment: bool,
}

/// Everything the user detail shows (04b §1.2, also `/private/me/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetail {
    pub id: i32,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    /// In name order (case-insensitive), each with its permissions.
    pub roles: Vec<Role>,
    /// Permissions granted to the user directly (not through a role).
    pub permissions: Vec<PermissionRecord>,
    /// `None` only for a user created without one (outside the API).
    pub profile: Option<Profile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(codenames: &[&str], is_superuser: bool) -> User {
        User {
            id: 1,
            username: "medewerker@example.org".into(),
            email: "medewerker@example.org".into(),
            is_active: true,
            is_superuser,
            role_ids: vec![],
            permissions: codenames.iter().map(|c| (*c).to_owned()).collect(),
            department_ids: vec![],
            visible_category_ids: vec![],
        }
    }

    #[test]
    fn a_user_has_exactly_its_effective_codenames() {
        let reader = user(&["sia_read"], false);
        assert!(reader.has(Permission::SIA_READ));
        assert!(!reader.has(Permission::SIA_WRITE));
        assert!(!reader.has_all(&[Permission::SIA_READ, Permission::SIA_WRITE]));
        assert!(!reader.sees_all_categories());
    }

    #[test]
    fn a_superuser_passes_every_check() {
        let admin = user(&[], true);
        assert!(admin.has_all(&[
            Permission::SIA_READ,
            Permission::SIA_WRITE,
            Permission::PUSH_TO_SIGMAX
        ]));
        assert!(admin.sees_all_categories());
    }

    #[test]
    fn only_sia_codenames_and_push_to_sigmax_are_exposed() {
        assert!(is_exposed_codename("sia_read"));
        assert!(is_exposed_codename("SIA_read"));
        assert!(is_exposed_codename("push_to_sigmax"));
        assert!(!is_exposed_codename("view_user"));
        assert!(!is_exposed_codename("perform_sigmax_updates"));
    }

    #[test]
    fn a_permission_displays_as_django_does() {
        let permission = PermissionRecord {
            id: 1,
            codename: "sia_read".into(),
            name: "Leesrechten algemeen".into(),
            app_label: "signals".into(),
            model_verbose_name: "signal".into(),
        };
        assert_eq!(
            permission.display(),
            "signals | signal | Leesrechten algemeen"
        );
    }
}
