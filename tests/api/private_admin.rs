//! The back office's bootstrap resources through the `private-admin` router
//! and a real database: `me`, departments, categories, sources, permissions,
//! with their permissions (spec 04 §12, 04b §3–§5, §9, 05 §6).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::{BackOffice, NewUser, reader};

const BASE: &str = "https://api.example.org";

/// The seeded sub category `afval/container-is-vol` (SLO: 3 working days).
async fn container_is_vol(office: &BackOffice) -> i32 {
    office
        .db
        .client()
        .await
        .query_one(
            "SELECT c.id FROM signals_category c JOIN signals_category m ON m.id = c.parent_id
             WHERE m.slug = 'afval' AND c.slug = 'container-is-vol'",
            &[],
        )
        .await
        .expect("category")
        .get(0)
}

/// Links `category` to STW (responsible) and ASC (can view only).
async fn link_departments(office: &BackOffice, category: i32) {
    office
        .db
        .client()
        .await
        .execute(
            "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
             SELECT $1, d.id, d.code = 'STW', true FROM signals_department d WHERE d.code IN ('STW', 'ASC')",
            &[&category],
        )
        .await
        .expect("links");
}

#[tokio::test]
async fn me_shows_the_user_with_its_roles_permissions_and_departments() {
    let office = BackOffice::new().await;
    let id = office
        .user(NewUser {
            email: "medewerker@example.org",
            first_name: "Jan",
            roles: &[("Behandelaar", &["sia_read", "sia_signal_change_status"])],
            direct: &["sia_can_view_contact_details"],
            departments: &["ASC", "STW"],
            ..NewUser::default()
        })
        .await;

    let (status, me) = office
        .get_as("medewerker@example.org", "/signals/v1/private/me/")
        .await;

    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        me["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/private/users/{id}")
    );
    assert_eq!(me["_display"], "medewerker@example.org");
    assert_eq!(me["id"], id);
    assert_eq!(me["first_name"], "Jan");
    assert_eq!(me["is_superuser"], json!(false), "explicit, never missing");
    assert_eq!(me["is_staff"], json!(false));
    let roles = me["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["name"], "Behandelaar");
    let codenames: Vec<&str> = roles[0]["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p["codename"].as_str().expect("codename"))
        .collect();
    assert_eq!(codenames, ["sia_read", "sia_signal_change_status"]);
    assert_eq!(
        roles[0]["permissions"][0]["_display"],
        "signals | signal | Leesrechten algemeen"
    );
    assert_eq!(me["permissions"].as_array().expect("direct").len(), 1);
    assert_eq!(
        me["permissions"][0]["codename"],
        "sia_can_view_contact_details"
    );
    assert_eq!(
        me["profile"]["departments"],
        json!(["Actie Service Centrum", "Stadswerken"])
    );
    assert_eq!(me["profile"]["note"], "test");
    let created = me["profile"]["created_at"].as_str().expect("created_at");
    assert!(
        created.ends_with("+01:00") || created.ends_with("+02:00"),
        "Amsterdam time: {created}"
    );
    office.cleanup().await;
}

#[tokio::test]
async fn a_user_without_sia_read_is_forbidden_the_guarded_resources_but_may_list_sources() {
    let office = BackOffice::new().await;
    office
        .user(NewUser {
            email: "gast@example.org",
            roles: &[("Gast", &["sia_signal_report"])],
            ..NewUser::default()
        })
        .await;
    let forbidden = json!({"detail": "Je hebt geen toestemming om deze actie uit te voeren."});

    for path in [
        "/signals/v1/private/departments/",
        "/signals/v1/private/departments/1",
        "/signals/v1/private/categories/",
        "/signals/v1/private/permissions",
        "/signals/v1/private/me",
    ] {
        let (status, body) = office.get_as("gast@example.org", path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body, forbidden, "{path}");
    }
    let (status, _) = office
        .get_as("gast@example.org", "/signals/v1/private/sources/")
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = format!("Bearer {}", office.token("gast@example.org"));
    let (status, _, _) = office
        .send(
            Method::HEAD,
            "/signals/v1/private/departments/",
            Some(&token),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "HEAD needs only authentication (05 §6)"
    );
    office.cleanup().await;
}

#[tokio::test]
async fn writes_are_authenticated_then_permission_checked_then_refused() {
    let office = BackOffice::new().await;
    office.user(reader("lezer@example.org")).await;
    office
        .user(NewUser {
            email: "beheerder@example.org",
            superuser: true,
            ..NewUser::default()
        })
        .await;
    let reader_token = format!("Bearer {}", office.token("lezer@example.org"));
    let admin_token = format!("Bearer {}", office.token("beheerder@example.org"));

    let (anonymous, _, _) = office
        .send(Method::POST, "/signals/v1/private/departments/", None)
        .await;
    let (reader, _, _) = office
        .send(
            Method::POST,
            "/signals/v1/private/departments/",
            Some(&reader_token),
        )
        .await;
    let (admin, headers, body) = office
        .send(
            Method::PATCH,
            "/signals/v1/private/categories/1",
            Some(&admin_token),
        )
        .await;

    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
    assert_eq!(reader, StatusCode::FORBIDDEN);
    assert_eq!(admin, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        body,
        json!({"detail": "Methode \"PATCH\" niet toegestaan."})
    );
    assert_eq!(headers["allow"], "GET, HEAD, OPTIONS");
    office.cleanup().await;
}

#[tokio::test]
async fn private_categories_list_every_category_with_its_sla_and_departments() {
    let office = BackOffice::new().await;
    office.user(reader("lezer@example.org")).await;
    let vol = container_is_vol(&office).await;
    link_departments(&office, vol).await;

    let (status, page) = office
        .get_as(
            "lezer@example.org",
            "/signals/v1/private/categories/?page_size=1000",
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 168, "13 main and 155 sub categories");
    let results = page["results"].as_array().expect("results");
    assert_eq!(results.len(), 168);
    let names: Vec<&str> = results
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "name order");
    let category = results
        .iter()
        .find(|c| c["id"] == vol)
        .expect("container-is-vol");
    assert_eq!(category["_display"], "Container is vol (Afval)");
    assert_eq!(
        category["sla"],
        json!({"n_days": 3, "use_calendar_days": false})
    );
    let departments = category["departments"].as_array().expect("departments");
    assert_eq!(departments.len(), 2);
    assert_eq!(departments[0]["code"], "ASC", "code order");
    assert_eq!(departments[0]["is_responsible"], false);
    assert_eq!(departments[0]["can_view"], true);
    assert_eq!(departments[1]["code"], "STW");
    assert_eq!(departments[1]["is_responsible"], true);
    assert_eq!(
        category["_links"]["self"]["public"],
        format!("{BASE}/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol")
    );
    assert!(category["_links"]["sia:parent"]["href"].is_string());
    for key in [
        "note",
        "public_name",
        "configuration",
        "icon",
        "handling_message",
    ] {
        assert!(category.get(key).is_some(), "{key}");
    }
    let afval = results
        .iter()
        .find(|c| c["slug"] == "afval")
        .expect("afval");
    assert_eq!(
        afval["sla"],
        json!({"n_days": null, "use_calendar_days": null})
    );
    office.cleanup().await;
}

#[tokio::test]
async fn a_private_category_is_found_by_id_and_other_ids_are_not_found() {
    let office = BackOffice::new().await;
    office.user(reader("lezer@example.org")).await;
    let vol = container_is_vol(&office).await;

    let (found, category) = office
        .get_as(
            "lezer@example.org",
            &format!("/signals/v1/private/categories/{vol}"),
        )
        .await;
    let (missing, missing_body) = office
        .get_as(
            "lezer@example.org",
            "/signals/v1/private/categories/999999/",
        )
        .await;
    let (malformed, malformed_body) = office
        .get_as("lezer@example.org", "/signals/v1/private/categories/afval")
        .await;

    assert_eq!(found, StatusCode::OK);
    assert_eq!(category["slug"], "container-is-vol");
    assert_eq!(
        category["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/private/categories/{vol}")
    );
    assert_eq!(missing, StatusCode::NOT_FOUND);
    assert_eq!(
        missing_body,
        json!({"detail": "No Category matches the given query."})
    );
    assert_eq!(malformed, StatusCode::NOT_FOUND);
    assert_eq!(malformed_body, json!({"detail": "Niet gevonden."}));
    office.cleanup().await;
}

fn by_code<'a>(page: &'a Value, code: &str) -> &'a Value {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {page}"))
}

#[tokio::test]
async fn departments_list_their_active_categories_and_filter_on_can_direct() {
    let office = BackOffice::new().await;
    office.user(reader("lezer@example.org")).await;
    let vol = container_is_vol(&office).await;
    link_departments(&office, vol).await;
    office
        .db
        .client()
        .await
        .batch_execute("UPDATE signals_department SET can_direct = true WHERE code = 'STW'")
        .await
        .expect("can_direct");

    let (status, page) = office
        .get_as("lezer@example.org", "/signals/v1/private/departments/")
        .await;
    let (_, directing) = office
        .get_as(
            "lezer@example.org",
            "/signals/v1/private/departments?can_direct=true",
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 19);
    let stw = by_code(&page, "STW");
    assert_eq!(stw["_display"], "STW (Stadswerken)");
    assert_eq!(stw["category_names"], json!(["Container is vol"]));
    assert_eq!(stw["can_direct"], true);
    assert_eq!(
        stw["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/private/departments/{}", stw["id"])
    );
    let names: Vec<&str> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "name order");
    assert_eq!(directing["count"], 1);
    assert_eq!(directing["results"][0]["code"], "STW");
    office.cleanup().await;
}

#[tokio::test]
async fn a_department_detail_embeds_its_category_links() {
    let office = BackOffice::new().await;
    office.user(reader("lezer@example.org")).await;
    let vol = container_is_vol(&office).await;
    link_departments(&office, vol).await;
    let (_, page) = office
        .get_as("lezer@example.org", "/signals/v1/private/departments/")
        .await;
    let asc = by_code(&page, "ASC")["id"].clone();

    let (status, detail) = office
        .get_as(
            "lezer@example.org",
            &format!("/signals/v1/private/departments/{asc}/"),
        )
        .await;
    let (missing, body) = office
        .get_as("lezer@example.org", "/signals/v1/private/departments/99999")
        .await;

    assert_eq!(status, StatusCode::OK);
    let categories = detail["categories"].as_array().expect("categories");
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0]["is_responsible"], false);
    assert_eq!(categories[0]["can_view"], true);
    let category = &categories[0]["category"];
    assert_eq!(category["id"], vol);
    assert_eq!(
        category["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol")
    );
    assert_eq!(
        category["departments"],
        json!([{"code": "STW", "name": "Stadswerken", "is_intern": true}]),
        "the public departments are the responsible ones"
    );
    assert_eq!(missing, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"detail": "No Department matches the given query."})
    );
    office.cleanup().await;
}

#[tokio::test]
async fn sources_come_in_their_order_and_filter_on_their_flags() {
    let office = BackOffice::new().await;
    office
        .user(NewUser {
            email: "zonderrechten@example.org",
            ..NewUser::default()
        })
        .await;

    let (status, all) = office
        .get_as("zonderrechten@example.org", "/signals/v1/private/sources/")
        .await;
    let (_, selectable) = office
        .get_as(
            "zonderrechten@example.org",
            "/signals/v1/private/sources?is_active=true&can_be_selected=1",
        )
        .await;

    assert_eq!(status, StatusCode::OK, "authentication is enough");
    assert_eq!(all["count"], 18);
    assert_eq!(
        all["results"][0],
        json!({"id": all["results"][0]["id"], "name": "online", "description": "Publiek meldformulier", "is_active": true, "can_be_selected": false})
    );
    assert_eq!(selectable["count"], 17, "all but online");
    assert_eq!(selectable["results"][0]["name"], "Telefoon – Adoptant");
    office.cleanup().await;
}

#[tokio::test]
async fn permissions_list_only_the_exposed_codenames() {
    let office = BackOffice::new().await;
    office.user(reader("lezer@example.org")).await;

    let (status, page) = office
        .get_as("lezer@example.org", "/signals/v1/private/permissions/")
        .await;

    assert_eq!(status, StatusCode::OK);
    let codenames: Vec<&str> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|p| p["codename"].as_str().expect("codename"))
        .collect();
    assert_eq!(
        codenames.len() as u64,
        page["count"].as_u64().expect("count")
    );
    assert!(codenames.contains(&"sia_read"));
    assert!(codenames.contains(&"push_to_sigmax"));
    assert!(!codenames.contains(&"view_user"));
    assert!(!codenames.contains(&"perform_sigmax_updates"));
    let read = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|p| p["codename"] == "sia_read")
        .expect("sia_read");
    let (status, detail) = office
        .get_as(
            "lezer@example.org",
            &format!("/signals/v1/private/permissions/{}", read["id"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&detail, read);
    office.cleanup().await;
}
