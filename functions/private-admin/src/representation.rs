//! The JSON of the reference's serializers for these resources, field order
//! included (04 §12, 04b §1.2, §3, §4, §5, §9).

use serde_json::{Map, Value, json};
use signalen_api::BaseUrl;
use signalen_api::datetime::format_datetime;
use signalen_api::links::media_url;
use signalen_domain::category::{BackOfficeCategory, BackOfficeTaxonomy, Category, DepartmentLink};
use signalen_domain::department::Department;
use signalen_domain::source::Source;
use signalen_domain::user::{PermissionRecord, Profile, Role, UserDetail};

/// Builds absolute links and the documents that carry them.
pub struct Documents<'a> {
    base: &'a BaseUrl,
    media_base_url: Option<&'a str>,
}

impl<'a> Documents<'a> {
    pub fn new(base: &'a BaseUrl, media_base_url: Option<&'a str>) -> Self {
        Self {
            base,
            media_base_url,
        }
    }

    fn href(&self, path: &str) -> Value {
        json!({ "href": self.base.join(path) })
    }

    fn curies(&self) -> Value {
        json!({"name": "sia", "href": self.base.join("/signals/v1/relations")})
    }

    fn media(&self, path: &str) -> String {
        media_url(self.base, self.media_base_url, path)
    }

    /// The user detail (04b §1.2), which is also `/private/me/`.
    pub fn user(&self, user: &UserDetail) -> Value {
        json!({
            "_links": {
                "curies": self.curies(),
                "self": self.href(&format!("/signals/v1/private/users/{}", user.id)),
            },
            "_display": user.username,
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "roles": user.roles.iter().map(|r| self.role(r)).collect::<Vec<_>>(),
            "permissions": user.permissions.iter().map(|p| self.permission(p)).collect::<Vec<_>>(),
            "profile": user.profile.as_ref().map(profile),
        })
    }

    pub fn role(&self, role: &Role) -> Value {
        json!({
            "_links": {"self": self.href(&format!("/signals/v1/private/roles/{}", role.id))},
            "_display": role.name,
            "id": role.id,
            "name": role.name,
            "permissions": role.permissions.iter().map(|p| self.permission(p)).collect::<Vec<_>>(),
        })
    }

    pub fn permission(&self, permission: &PermissionRecord) -> Value {
        json!({
            "_links": {"self": self.href(&format!("/signals/v1/private/permissions/{}", permission.id))},
            "_display": permission.display(),
            "id": permission.id,
            "name": permission.name,
            "codename": permission.codename,
        })
    }

    fn department_links(&self, department: &Department) -> Value {
        json!({"self": self.href(&format!("/signals/v1/private/departments/{}", department.id))})
    }

    /// A department in the list (04b §4).
    pub fn department_item(&self, department: &Department, category_names: &[String]) -> Value {
        json!({
            "_links": self.department_links(department),
            "_display": department_display(department),
            "id": department.id,
            "name": department.name,
            "code": department.code,
            "is_intern": department.is_intern,
            "category_names": category_names,
            "can_direct": department.can_direct,
        })
    }

    /// A department with its links to active categories (04b §4).
    pub fn department_detail(
        &self,
        department: &Department,
        taxonomy: &BackOfficeTaxonomy,
    ) -> Value {
        let categories: Vec<Value> = taxonomy
            .active_links_of_department(department.id)
            .into_iter()
            .map(|(category, link)| {
                json!({
                    "id": link.id,
                    "category": self.public_category(taxonomy, &category.category),
                    "is_responsible": link.is_responsible,
                    "can_view": link.can_view,
                })
            })
            .collect();
        json!({
            "_links": self.department_links(department),
            "_display": department_display(department),
            "id": department.id,
            "name": department.name,
            "code": department.code,
            "is_intern": department.is_intern,
            "categories": categories,
            "can_direct": department.can_direct,
        })
    }

    fn public_path(taxonomy: &BackOfficeTaxonomy, category: &Category) -> String {
        match taxonomy.parent_of(category) {
            Some(main) => format!(
                "/signals/v1/public/terms/categories/{}/sub_categories/{}",
                main.slug, category.slug
            ),
            None => format!("/signals/v1/public/terms/categories/{}", category.slug),
        }
    }

    /// The icon a category shows: its own, else its main category's.
    fn shown_icon<'t>(taxonomy: &'t BackOfficeTaxonomy, category: &'t Category) -> Option<&'t str> {
        category
            .icon
            .as_deref()
            .or_else(|| taxonomy.parent_of(category).and_then(|m| m.icon.as_deref()))
            .filter(|icon| !icon.is_empty())
    }

    /// A category as a department detail embeds it: the public links and
    /// the responsible departments.
    fn public_category(&self, taxonomy: &BackOfficeTaxonomy, category: &Category) -> Value {
        let mut links = Map::new();
        links.insert("curies".into(), self.curies());
        links.insert(
            "self".into(),
            self.href(&Self::public_path(taxonomy, category)),
        );
        if let Some(icon) = Self::shown_icon(taxonomy, category) {
            links.insert("sia:icon".into(), json!({"href": self.media(icon)}));
        }
        let departments: Vec<Value> = taxonomy
            .responsible_departments(category.id)
            .into_iter()
            .map(|d| json!({"code": d.code, "name": d.name, "is_intern": d.is_intern}))
            .collect();
        json!({
            "_links": links,
            "_display": category_display(taxonomy, category),
            "id": category.id,
            "name": category.name,
            "slug": category.slug,
            "handling": category.handling,
            "departments": departments,
            "is_active": category.is_active,
            "description": category.description,
            "handling_message": category.handling_message,
        })
    }

    /// The private category (04b §5).
    pub fn category(&self, taxonomy: &BackOfficeTaxonomy, entry: &BackOfficeCategory) -> Value {
        let category = &entry.category;
        let private = |id: i32| {
            self.base
                .join(&format!("/signals/v1/private/categories/{id}"))
        };
        let public = |c: &Category| self.base.join(&Self::public_path(taxonomy, c));
        let parent = taxonomy.parent_of(category);
        let templates = match parent {
            Some(main) => format!(
                "/signals/v1/private/terms/categories/{}/sub_categories/{}/status-message-templates",
                main.slug, category.slug
            ),
            None => format!(
                "/signals/v1/private/terms/categories/{}/status-message-templates",
                category.slug
            ),
        };
        let mut links = Map::new();
        links.insert("curies".into(), self.curies());
        links.insert(
            "self".into(),
            json!({"href": private(category.id), "public": public(category)}),
        );
        links.insert(
            "archives".into(),
            self.href(&format!(
                "/signals/v1/private/categories/{}/history",
                category.id
            )),
        );
        links.insert("sia:status-message-templates".into(), self.href(&templates));
        if let Some(main) = parent {
            links.insert(
                "sia:parent".into(),
                json!({"href": private(main.id), "public": public(main)}),
            );
        }
        if let Some(icon) = Self::shown_icon(taxonomy, category) {
            links.insert("sia:icon".into(), json!({"href": self.media(icon)}));
        }
        let sla = match &entry.service_level {
            Some(sla) => json!({"n_days": sla.n_days, "use_calendar_days": sla.use_calendar_days}),
            None => json!({"n_days": null, "use_calendar_days": null}),
        };
        json!({
            "_links": links,
            "_display": category_display(taxonomy, category),
            "id": category.id,
            "name": category.name,
            "slug": category.slug,
            "is_active": category.is_active,
            "description": category.description,
            "handling_message": category.handling_message,
            "sla": sla,
            "departments": entry.departments.iter().map(category_department).collect::<Vec<_>>(),
            "note": entry.note,
            "public_name": category.public_name,
            "is_public_accessible": category.is_public_accessible,
            "configuration": category.configuration,
            "icon": category.icon.as_deref().filter(|i| !i.is_empty()).map(|i| self.media(i)),
        })
    }
}

fn category_department(link: &DepartmentLink) -> Value {
    json!({
        "id": link.department.id,
        "code": link.department.code,
        "name": link.department.name,
        "is_intern": link.department.is_intern,
        "is_responsible": link.is_responsible,
        "can_view": link.can_view,
    })
}

/// `<name> (<main name>)` for a sub category, `<name>` for a main (01 §4.1).
fn category_display(taxonomy: &BackOfficeTaxonomy, category: &Category) -> String {
    match taxonomy.parent_of(category) {
        Some(main) => format!("{} ({})", category.name, main.name),
        None => category.name.clone(),
    }
}

/// `<code> (<name>)` (01 §5.1).
fn department_display(department: &Department) -> String {
    format!("{} ({})", department.code, department.name)
}

fn profile(profile: &Profile) -> Value {
    json!({
        "note": profile.note,
        "departments": profile.departments,
        "created_at": format_datetime(profile.created_at),
        "updated_at": format_datetime(profile.updated_at),
        "notification_on_user_assignment": profile.notification_on_user_assignment,
        "notification_on_department_assignment": profile.notification_on_department_assignment,
    })
}

/// A source (04b §9): no links.
pub fn source(source: &Source) -> Value {
    json!({
        "id": source.id,
        "name": source.name,
        "description": source.description,
        "is_active": source.is_active,
        "can_be_selected": source.can_be_selected,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use signalen_domain::category::ServiceLevel;

    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api.example.org")
    }

    fn category(id: i32, parent_id: Option<i32>, slug: &str, name: &str) -> Category {
        Category {
            id,
            parent_id,
            slug: slug.into(),
            name: name.into(),
            public_name: None,
            is_public_accessible: false,
            configuration: None,
            handling: "A3DEVOMC".into(),
            handling_message: Some(
                "Wij laten u binnen 3 werkdagen weten wat wij hebben gedaan.".into(),
            ),
            is_active: true,
            description: None,
            icon: None,
        }
    }

    fn asc() -> Department {
        Department {
            id: 3,
            code: "ASC".into(),
            name: "Actiecentrum".into(),
            is_intern: true,
            can_direct: true,
        }
    }

    fn taxonomy() -> BackOfficeTaxonomy {
        let mut afval = category(1, None, "afval", "Afval");
        afval.icon = Some("icons/categories/afval/afval.svg".into());
        BackOfficeTaxonomy::new(
            vec![
                (afval, None, None),
                (
                    category(12, Some(1), "grofvuil", "Grofvuil"),
                    None,
                    Some(ServiceLevel {
                        n_days: 3,
                        use_calendar_days: false,
                    }),
                ),
            ],
            vec![DepartmentLink {
                id: 81,
                category_id: 12,
                department: asc(),
                is_responsible: true,
                can_view: true,
            }],
        )
    }

    #[test]
    fn a_private_sub_category_has_the_references_links_sla_and_departments() {
        let taxonomy = taxonomy();
        let base = base();
        let documents = Documents::new(&base, None);

        let sub = documents.category(&taxonomy, taxonomy.get(12).expect("grofvuil"));

        assert_eq!(
            sub,
            json!({
                "_links": {
                    "curies": {"name": "sia", "href": "https://api.example.org/signals/v1/relations"},
                    "self": {
                        "href": "https://api.example.org/signals/v1/private/categories/12",
                        "public": "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"
                    },
                    "archives": {"href": "https://api.example.org/signals/v1/private/categories/12/history"},
                    "sia:status-message-templates": {"href": "https://api.example.org/signals/v1/private/terms/categories/afval/sub_categories/grofvuil/status-message-templates"},
                    "sia:parent": {
                        "href": "https://api.example.org/signals/v1/private/categories/1",
                        "public": "https://api.example.org/signals/v1/public/terms/categories/afval"
                    },
                    "sia:icon": {"href": "https://api.example.org/signals/media/icons/categories/afval/afval.svg"}
                },
                "_display": "Grofvuil (Afval)",
                "id": 12,
                "name": "Grofvuil",
                "slug": "grofvuil",
                "is_active": true,
                "description": null,
                "handling_message": "Wij laten u binnen 3 werkdagen weten wat wij hebben gedaan.",
                "sla": {"n_days": 3, "use_calendar_days": false},
                "departments": [
                    {"id": 3, "code": "ASC", "name": "Actiecentrum", "is_intern": true, "is_responsible": true, "can_view": true}
                ],
                "note": null,
                "public_name": null,
                "is_public_accessible": false,
                "configuration": null,
                "icon": null
            })
        );
        let keys: Vec<&String> = sub.as_object().expect("object").keys().collect();
        assert_eq!(
            keys[..4],
            ["_links", "_display", "id", "name"],
            "the reference's order"
        );
    }

    #[test]
    fn a_main_category_without_slo_has_a_null_sla_and_no_parent() {
        let taxonomy = taxonomy();
        let main =
            Documents::new(&base(), None).category(&taxonomy, taxonomy.get(1).expect("afval"));

        assert_eq!(
            main["sla"],
            json!({"n_days": null, "use_calendar_days": null})
        );
        assert!(main["_links"].get("sia:parent").is_none());
        assert_eq!(
            main["_links"]["sia:status-message-templates"]["href"],
            "https://api.example.org/signals/v1/private/terms/categories/afval/status-message-templates"
        );
        assert_eq!(
            main["icon"],
            "https://api.example.org/signals/media/icons/categories/afval/afval.svg"
        );
    }

    #[test]
    fn a_department_detail_embeds_its_active_categories_with_public_links() {
        let taxonomy = taxonomy();
        let detail = Documents::new(&base(), None).department_detail(&asc(), &taxonomy);

        assert_eq!(detail["_display"], "ASC (Actiecentrum)");
        assert_eq!(detail["categories"][0]["id"], 81);
        let category = &detail["categories"][0]["category"];
        assert_eq!(
            category["_links"]["self"]["href"],
            "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"
        );
        assert_eq!(
            category["departments"],
            json!([{"code": "ASC", "name": "Actiecentrum", "is_intern": true}])
        );
        assert_eq!(category["_display"], "Grofvuil (Afval)");
    }

    #[test]
    fn the_user_detail_shows_roles_direct_permissions_and_the_profile() {
        let read = PermissionRecord {
            id: 41,
            codename: "sia_read".into(),
            name: "Leesrechten algemeen".into(),
            app_label: "signals".into(),
            model_verbose_name: "signal".into(),
        };
        let at = Utc
            .with_ymd_and_hms(2023, 1, 10, 8, 0, 0)
            .single()
            .expect("time");
        let user = UserDetail {
            id: 7,
            username: "medewerker@example.org".into(),
            email: "medewerker@example.org".into(),
            first_name: "Jan".into(),
            last_name: "Jansen".into(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            roles: vec![Role {
                id: 2,
                name: "Behandelaar".into(),
                permissions: vec![read],
            }],
            permissions: vec![],
            profile: Some(Profile {
                note: None,
                departments: vec!["Actiecentrum".into()],
                created_at: at,
                updated_at: at,
                notification_on_user_assignment: false,
                notification_on_department_assignment: false,
            }),
        };

        let document = Documents::new(&base(), None).user(&user);

        assert_eq!(
            document,
            json!({
                "_links": {
                    "curies": {"name": "sia", "href": "https://api.example.org/signals/v1/relations"},
                    "self": {"href": "https://api.example.org/signals/v1/private/users/7"}
                },
                "_display": "medewerker@example.org",
                "id": 7,
                "username": "medewerker@example.org",
                "email": "medewerker@example.org",
                "first_name": "Jan",
                "last_name": "Jansen",
                "is_active": true,
                "is_staff": false,
                "is_superuser": false,
                "roles": [{
                    "_links": {"self": {"href": "https://api.example.org/signals/v1/private/roles/2"}},
                    "_display": "Behandelaar",
                    "id": 2,
                    "name": "Behandelaar",
                    "permissions": [{
                        "_links": {"self": {"href": "https://api.example.org/signals/v1/private/permissions/41"}},
                        "_display": "signals | signal | Leesrechten algemeen",
                        "id": 41,
                        "name": "Leesrechten algemeen",
                        "codename": "sia_read"
                    }]
                }],
                "permissions": [],
                "profile": {
                    "note": null,
                    "departments": ["Actiecentrum"],
                    "created_at": "2023-01-10T09:00:00+01:00",
                    "updated_at": "2023-01-10T09:00:00+01:00",
                    "notification_on_user_assignment": false,
                    "notification_on_department_assignment": false
                }
            })
        );
    }
}
