//! The private list item of a signal (spec 04 §1.2), which search results
//! use as the reference does (its `PrivateSignalSerializerList`), rendered
//! from Postgres rows — never from the index.

use serde_json::{Map, Value, json};
use signalen_api::BaseUrl;
use signalen_api::datetime::format_datetime;
use signalen_domain::status::State;
use signalen_infra::pg::{ListCategory, ListLocation, ListReporter, ListStatus, SignalListRow};

/// What rendering depends on besides the row.
#[derive(Debug, Clone, Copy)]
pub struct Rendering<'a> {
    pub base: &'a BaseUrl,
    /// `SIGNAL_ID_DISPLAY_PREFIX` (`SIG-`).
    pub id_display_prefix: &'a str,
    /// `sia_can_view_contact_details`: e-mail and phone unmasked.
    pub contact_details: bool,
    /// `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED`: whether a
    /// feedback form can withdraw `allows_contact`.
    pub feedback_allows_contact: bool,
}

/// The list item, keys in the reference's order.
pub fn list_item(row: &SignalListRow, rendering: Rendering<'_>) -> Value {
    let created_at = format_datetime(row.created_at);
    let display = format!(
        "{} - {} - {} - {}",
        row.id,
        row.status.as_ref().map_or("", |s| s.state.as_str()),
        row.location
            .as_ref()
            .and_then(|l| l.buurt_code.as_deref())
            .unwrap_or(""),
        created_at
    );
    let mut item = Map::new();
    let mut put = |key: &str, value: Value| {
        item.insert(key.to_owned(), value);
    };
    put(
        "_links",
        json!({"self": {"href": rendering.base.join(&format!("/signals/v1/private/signals/{}", row.id))}}),
    );
    put("_display", json!(display));
    put("id", json!(row.id));
    put(
        "id_display",
        json!(format!("{}{}", rendering.id_display_prefix, row.id)),
    );
    put("signal_id", json!(row.uuid.to_string()));
    put("source", json!(row.source));
    put("text", json!(row.text));
    put("text_extra", json!(row.text_extra));
    put("status", row.status.as_ref().map_or(Value::Null, status));
    put(
        "location",
        row.location.as_ref().map_or(Value::Null, location),
    );
    put(
        "category",
        row.category
            .as_ref()
            .map_or(Value::Null, |c| category(c, rendering.base)),
    );
    put(
        "reporter",
        row.reporter
            .as_ref()
            .map_or(Value::Null, |r| reporter(r, rendering)),
    );
    put(
        "priority",
        row.priority.as_ref().map_or(
            Value::Null,
            |(priority, by)| json!({"priority": priority, "created_by": by}),
        ),
    );
    put(
        "type",
        row.signal_type
            .as_ref()
            .map_or(Value::Null, |(code, at, by)| {
                json!({"code": code, "created_at": format_datetime(*at), "created_by": by})
            }),
    );
    put("created_at", json!(created_at));
    put("updated_at", json!(format_datetime(row.updated_at)));
    put(
        "incident_date_start",
        json!(format_datetime(row.incident_date_start)),
    );
    put(
        "incident_date_end",
        json!(row.incident_date_end.map(format_datetime)),
    );
    put(
        "operational_date",
        json!(row.operational_date.map(format_datetime)),
    );
    put("has_attachments", json!(row.has_attachments));
    put(
        "extra_properties",
        row.extra_properties.clone().unwrap_or(Value::Null),
    );
    put("notes", row.notes.clone());
    if let Some(directing) = &row.directing_departments {
        put("directing_departments", directing.clone());
    }
    put(
        "routing_departments",
        row.routing_departments.clone().unwrap_or(Value::Null),
    );
    put("has_parent", json!(row.has_parent));
    put("has_children", json!(row.has_children));
    put("assigned_user_email", json!(row.assigned_user_email));
    Value::Object(item)
}

fn status(status: &ListStatus) -> Value {
    // The CHECK on signals_status.state admits only known codes.
    let state_display = State::from_code(&status.state)
        .map(State::state_display)
        .unwrap_or("");
    json!({
        "text": status.text,
        "user": status.user,
        "state": status.state,
        "state_display": state_display,
        "target_api": status.target_api,
        "extra_properties": status.extra_properties,
        "send_email": status.send_email,
        "created_at": format_datetime(status.created_at),
        "email_override": status.email_override,
    })
}

fn location(location: &ListLocation) -> Value {
    json!({
        "id": location.id,
        "stadsdeel": location.stadsdeel,
        "buurt_code": location.buurt_code,
        "area_type_code": location.area_type_code,
        "area_code": location.area_code,
        "area_name": location.area_name,
        "address": location.address,
        "address_text": location.address_text,
        "postcode": location.postcode,
        "geometrie": {"type": "Point", "coordinates": [location.lon, location.lat]},
        "extra_properties": location.extra_properties,
        "created_by": location.created_by,
        "bag_validated": location.bag_validated,
    })
}

fn category(category: &ListCategory, base: &BaseUrl) -> Value {
    let category_url = category.main_slug.as_ref().map(|main| {
        base.join(&format!(
            "/signals/v1/public/terms/categories/{main}/sub_categories/{}",
            category.sub_slug
        ))
    });
    json!({
        "sub": category.sub,
        "sub_slug": category.sub_slug,
        "main": category.main,
        "main_slug": category.main_slug,
        "category_url": category_url,
        "departments": category.departments,
        "created_by": category.created_by,
        "text": category.text,
        "deadline": category.deadline.map(format_datetime),
        "deadline_factor_3": category.deadline_factor_3.map(format_datetime),
    })
}

/// NULL renders as `""`; without `sia_can_view_contact_details` a present
/// value renders as `*****` (spec 04 §1.1). `allows_contact` is `true`
/// unless the newest submitted feedback form refused contact, and always
/// with the flag off (01 §2.3).
fn reporter(reporter: &ListReporter, rendering: Rendering<'_>) -> Value {
    let shown = |value: &Option<String>| match value.as_deref() {
        None | Some("") => String::new(),
        Some(_) if !rendering.contact_details => "*****".to_owned(),
        Some(value) => value.to_owned(),
    };
    json!({
        "email": shown(&reporter.email),
        "phone": shown(&reporter.phone),
        "sharing_allowed": reporter.sharing_allowed,
        "allows_contact": !rendering.feedback_allows_contact
            || reporter.latest_feedback_allows_contact.unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn row() -> SignalListRow {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid")
            + chrono::Duration::microseconds(123_456);
        SignalListRow {
            id: 1234,
            uuid: Uuid::nil(),
            source: "online".into(),
            text: "Naast de container ligt afval.".into(),
            text_extra: String::new(),
            created_at: at,
            updated_at: at,
            incident_date_start: at,
            incident_date_end: None,
            operational_date: None,
            extra_properties: None,
            has_parent: false,
            has_children: false,
            has_attachments: false,
            status: Some(ListStatus {
                state: "m".into(),
                text: None,
                user: None,
                target_api: None,
                extra_properties: None,
                send_email: false,
                created_at: at,
                email_override: None,
            }),
            location: Some(ListLocation {
                id: 5,
                stadsdeel: Some("A".into()),
                buurt_code: Some("A04i".into()),
                area_type_code: None,
                area_code: None,
                area_name: None,
                address: None,
                address_text: None,
                postcode: None,
                lon: 4.9,
                lat: 52.37,
                extra_properties: None,
                created_by: None,
                bag_validated: false,
            }),
            category: Some(ListCategory {
                sub: "Container is vol".into(),
                sub_slug: "container-is-vol".into(),
                main: Some("Afval".into()),
                main_slug: Some("afval".into()),
                departments: "ASC, STW".into(),
                created_by: None,
                text: None,
                deadline: None,
                deadline_factor_3: None,
            }),
            reporter: Some(ListReporter {
                email: Some("melder@example.com".into()),
                phone: None,
                sharing_allowed: true,
                latest_feedback_allows_contact: None,
            }),
            priority: Some(("normal".into(), None)),
            signal_type: Some(("SIG".into(), at, None)),
            notes: json!([]),
            directing_departments: None,
            routing_departments: None,
            assigned_user_email: None,
        }
    }

    fn rendering(base: &BaseUrl, contact_details: bool) -> Rendering<'_> {
        Rendering {
            base,
            id_display_prefix: "SIG-",
            contact_details,
            feedback_allows_contact: true,
        }
    }

    #[test]
    fn the_item_has_the_list_fields_in_the_references_order() {
        let base = BaseUrl::new("https://api.example.org");
        let item = list_item(&row(), rendering(&base, true));
        let keys: Vec<&str> = item
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            vec![
                "_links",
                "_display",
                "id",
                "id_display",
                "signal_id",
                "source",
                "text",
                "text_extra",
                "status",
                "location",
                "category",
                "reporter",
                "priority",
                "type",
                "created_at",
                "updated_at",
                "incident_date_start",
                "incident_date_end",
                "operational_date",
                "has_attachments",
                "extra_properties",
                "notes",
                "routing_departments",
                "has_parent",
                "has_children",
                "assigned_user_email",
            ]
        );
        assert_eq!(
            item["_display"],
            "1234 - m - A04i - 2024-03-01T10:15:30.123456+01:00"
        );
        assert_eq!(item["status"]["state_display"], "Gemeld");
        assert_eq!(
            item["category"]["category_url"],
            "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol"
        );
        assert_eq!(
            item["_links"]["self"]["href"],
            "https://api.example.org/signals/v1/private/signals/1234"
        );
    }

    #[test]
    fn contact_details_are_masked_without_the_permission_and_empty_stays_empty() {
        let base = BaseUrl::new("https://api.example.org");
        let masked = list_item(&row(), rendering(&base, false));
        assert_eq!(masked["reporter"]["email"], "*****");
        assert_eq!(masked["reporter"]["phone"], "");
        let shown = list_item(&row(), rendering(&base, true));
        assert_eq!(shown["reporter"]["email"], "melder@example.com");
    }

    #[test]
    fn directing_departments_appear_only_with_a_relation() {
        let base = BaseUrl::new("https://api.example.org");
        let mut with = row();
        with.directing_departments = Some(json!([]));
        assert_eq!(
            list_item(&with, rendering(&base, true))["directing_departments"],
            json!([])
        );
        assert!(
            list_item(&row(), rendering(&base, true))
                .get("directing_departments")
                .is_none()
        );
    }

    #[test]
    fn only_a_refusal_in_the_newest_submitted_feedback_withdraws_contact_and_only_with_the_flag() {
        let base = BaseUrl::new("https://api.example.org");
        for (latest, flag, expected) in [
            (None, true, true),
            (Some(true), true, true),
            (Some(false), true, false),
            (Some(false), false, true),
        ] {
            let mut item = row();
            item.reporter
                .as_mut()
                .expect("reporter")
                .latest_feedback_allows_contact = latest;
            let rendering = Rendering {
                feedback_allows_contact: flag,
                ..rendering(&base, true)
            };
            assert_eq!(
                list_item(&item, rendering)["reporter"]["allows_contact"],
                expected,
                "{latest:?}, flag {flag}"
            );
        }
    }
}
