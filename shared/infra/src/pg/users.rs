//! Users, roles and permissions (spec 01 §9): the per-request access lookup,
//! the user detail, and the permission list.

use std::collections::BTreeSet;

use signalen_domain::user::{PermissionRecord, Profile, Role, User, UserDetail};
use tokio_postgres::Row;

use super::{Error, GenericClient};

/// The users whose username equals `email` case-insensitively — none, one,
/// or (were the unique index ever dropped) two, so that a caller can tell an
/// ambiguous login from a clear one (05 §3.2). One query: the user with its
/// roles, its effective permission codenames (direct and through its roles),
/// its profile's departments and the categories they see (01 §9.3).
#[tracing::instrument(skip_all)]
pub async fn users_by_login(client: &impl GenericClient, email: &str) -> Result<Vec<User>, Error> {
    // Prepared once per connection: every authenticated request runs it,
    // and planning its four sub-queries cost more than executing them.
    client
        .query(
            &client
                .prepare_cached(
                    "SELECT u.id, u.username, u.email, u.is_active, u.is_superuser,
                    ARRAY(SELECT ug.group_id FROM auth_user_groups ug
                          WHERE ug.user_id = u.id ORDER BY ug.group_id) AS role_ids,
                    ARRAY(SELECT p.codename
                          FROM auth_user_user_permissions up
                          JOIN auth_permission p ON p.id = up.permission_id
                          WHERE up.user_id = u.id
                          UNION
                          SELECT p.codename
                          FROM auth_user_groups ug
                          JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
                          JOIN auth_permission p ON p.id = gp.permission_id
                          WHERE ug.user_id = u.id) AS permissions,
                    ARRAY(SELECT pd.department_id
                          FROM users_profile pr
                          JOIN users_profile_departments pd ON pd.profile_id = pr.id
                          WHERE pr.user_id = u.id ORDER BY pd.department_id) AS department_ids,
                    ARRAY(SELECT DISTINCT cd.category_id
                          FROM users_profile pr
                          JOIN users_profile_departments pd ON pd.profile_id = pr.id
                          JOIN signals_categorydepartment cd ON cd.department_id = pd.department_id
                          WHERE pr.user_id = u.id AND (cd.is_responsible OR cd.can_view)
                          ORDER BY cd.category_id) AS visible_category_ids
             FROM auth_user u
             WHERE lower(u.username) = lower($1)
             LIMIT 2",
                )
                .await?,
            &[&email],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(User {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                email: row.try_get("email")?,
                is_active: row.try_get("is_active")?,
                is_superuser: row.try_get("is_superuser")?,
                role_ids: row.try_get("role_ids")?,
                permissions: row
                    .try_get::<_, Vec<String>>("permissions")?
                    .into_iter()
                    .collect::<BTreeSet<_>>(),
                department_ids: row.try_get("department_ids")?,
                visible_category_ids: row.try_get("visible_category_ids")?,
            })
        })
        .collect()
}

/// The user detail (04b §1.2) in two queries: the user with its profile and
/// department names, then its roles' and its direct permissions.
#[tracing::instrument(skip_all, fields(user_id = id))]
pub async fn user_detail(
    client: &impl GenericClient,
    id: i32,
) -> Result<Option<UserDetail>, Error> {
    let Some(row) = client
        .query_opt(
            "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.is_active,
                    u.is_staff, u.is_superuser,
                    p.id AS profile_id, p.note, p.created_at, p.updated_at,
                    p.notification_on_user_assignment, p.notification_on_department_assignment,
                    ARRAY(SELECT d.name
                          FROM users_profile_departments pd
                          JOIN signals_department d ON d.id = pd.department_id
                          WHERE pd.profile_id = p.id ORDER BY d.name, d.id) AS department_names
             FROM auth_user u
             LEFT JOIN users_profile p ON p.user_id = u.id
             WHERE u.id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let grants = client
        .query(
            "SELECT g.id AS role_id, g.name AS role_name,
                    p.id, p.codename, p.name, p.app_label, p.model, p.model_verbose_name
             FROM auth_user_groups ug
             JOIN auth_group g ON g.id = ug.group_id
             LEFT JOIN auth_group_permissions gp ON gp.group_id = g.id
             LEFT JOIN auth_permission p ON p.id = gp.permission_id
             WHERE ug.user_id = $1
             UNION ALL
             SELECT NULL, NULL, p.id, p.codename, p.name, p.app_label, p.model, p.model_verbose_name
             FROM auth_user_user_permissions up
             JOIN auth_permission p ON p.id = up.permission_id
             WHERE up.user_id = $1",
            &[&id],
        )
        .await?;
    let (roles, permissions) = group_grants(&grants)?;
    let profile = match row.try_get::<_, Option<i32>>("profile_id")? {
        None => None,
        Some(_) => Some(Profile {
            note: row.try_get("note")?,
            departments: row.try_get("department_names")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            notification_on_user_assignment: row.try_get("notification_on_user_assignment")?,
            notification_on_department_assignment: row
                .try_get("notification_on_department_assignment")?,
        }),
    };
    Ok(Some(UserDetail {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        is_active: row.try_get("is_active")?,
        is_staff: row.try_get("is_staff")?,
        is_superuser: row.try_get("is_superuser")?,
        roles,
        permissions,
        profile,
    }))
}

/// Sort key of a permission: (app, model, codename), Django's ordering.
type PermissionKey = (String, String, String);

/// Rows of (role or NULL, permission or NULL) into roles in case-insensitive
/// name order, each with its permissions in Django's order, and the direct
/// permissions in that order.
fn group_grants(rows: &[Row]) -> Result<(Vec<Role>, Vec<PermissionRecord>), Error> {
    let mut roles: Vec<(Role, Vec<(PermissionKey, PermissionRecord)>)> = Vec::new();
    let mut direct: Vec<(PermissionKey, PermissionRecord)> = Vec::new();
    for row in rows {
        let permission = match row.try_get::<_, Option<i32>>("id")? {
            None => None,
            Some(_) => Some((
                (
                    row.try_get("app_label")?,
                    row.try_get("model")?,
                    row.try_get("codename")?,
                ),
                permission(row)?,
            )),
        };
        match row.try_get::<_, Option<i32>>("role_id")? {
            None => direct.extend(permission),
            Some(role_id) => {
                let position = match roles.iter().position(|(r, _)| r.id == role_id) {
                    Some(position) => position,
                    None => {
                        roles.push((
                            Role {
                                id: role_id,
                                name: row.try_get("role_name")?,
                                permissions: Vec::new(),
                            },
                            Vec::new(),
                        ));
                        roles.len() - 1
                    }
                };
                roles[position].1.extend(permission);
            }
        }
    }
    let sorted = |mut keyed: Vec<(PermissionKey, PermissionRecord)>| {
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, p)| p).collect::<Vec<_>>()
    };
    let mut roles: Vec<Role> = roles
        .into_iter()
        .map(|(mut role, keyed)| {
            role.permissions = sorted(keyed);
            role
        })
        .collect();
    roles.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok((roles, sorted(direct)))
}

/// The permissions the API exposes (`sia_*` and `push_to_sigmax`, 04b §3),
/// ordered by (app, model, codename).
#[tracing::instrument(skip_all)]
pub async fn exposed_permissions(
    client: &impl GenericClient,
) -> Result<Vec<PermissionRecord>, Error> {
    client
        .query(
            "SELECT id, codename, name, app_label, model_verbose_name
             FROM auth_permission
             WHERE lower(codename) LIKE 'sia\\_%' OR codename = 'push_to_sigmax'
             ORDER BY app_label, model, codename",
            &[],
        )
        .await?
        .iter()
        .map(permission)
        .collect()
}

fn permission(row: &Row) -> Result<PermissionRecord, Error> {
    Ok(PermissionRecord {
        id: row.try_get("id")?,
        codename: row.try_get("codename")?,
        name: row.try_get("name")?,
        app_label: row.try_get("app_label")?,
        model_verbose_name: row.try_get("model_verbose_name")?,
    })
}

/// Creates an active superuser (and its profile) with `email` as username
/// and e-mail, unless a user with that username exists (case-insensitively).
/// Returns whether it was created. For local development and tests: the
/// API creates users through `/private/users/` (04b §1.3).
#[tracing::instrument(skip_all)]
pub async fn create_superuser_if_missing(
    client: &impl GenericClient,
    email: &str,
) -> Result<bool, Error> {
    let created = client
        .query(
            "WITH new_user AS (
                 INSERT INTO auth_user (username, email, is_superuser, is_staff, is_active)
                 SELECT $1::text, $1::text, true, true, true
                 WHERE NOT EXISTS (SELECT 1 FROM auth_user WHERE lower(username) = lower($1::text))
                 ON CONFLICT DO NOTHING
                 RETURNING id
             )
             INSERT INTO users_profile (user_id)
             SELECT id FROM new_user
             RETURNING user_id",
            &[&email],
        )
        .await?;
    Ok(!created.is_empty())
}
