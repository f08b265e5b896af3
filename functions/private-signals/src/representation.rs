//! The JSON of the back office's signals (spec 04 §1): the nested objects,
//! the list item (§1.2), the detail (§1.3), the abridged child (§5).
//! Field order is the reference serializers'.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use signalen_api::BaseUrl;
use signalen_api::datetime::format_datetime;
use signalen_domain::status::State;
use signalen_infra::pg::signal_read::{
    CategoryRow, ChildRow, LocationRow, PriorityRow, ReporterRow, SignalRow, StatusRow, TypeRow,
};

/// What masked contact details show (04 §1.1).
pub const MASKED: &str = "*****";

/// Builds documents for one request.
pub struct Documents<'a> {
    pub base: &'a BaseUrl,
    pub id_display_prefix: &'a str,
    /// `sia_can_view_contact_details`: reporters' e-mail and phone unmasked.
    pub show_contact_details: bool,
    /// `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED`: whether a
    /// feedback form can withdraw `allows_contact`.
    pub feedback_allows_contact: bool,
}

fn datetime(at: DateTime<Utc>) -> Value {
    Value::String(format_datetime(at))
}

fn optional_datetime(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, datetime)
}

fn state_display(code: &str) -> &'static str {
    State::from_code(code).map_or("", State::state_display)
}

impl Documents<'_> {
    pub fn signal_url(&self, id: i32) -> String {
        self.base.join(&format!("/signals/v1/private/signals/{id}"))
    }

    fn href(&self, path: String) -> Value {
        json!({ "href": self.base.join(&path) })
    }

    fn location(location: &LocationRow) -> Value {
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

    fn status(status: &StatusRow) -> Value {
        json!({
            "text": status.text,
            "user": status.user,
            "state": status.state,
            "state_display": state_display(&status.state),
            "target_api": status.target_api,
            "extra_properties": status.extra_properties,
            "send_email": status.send_email,
            "created_at": datetime(status.created_at),
            "email_override": status.email_override,
        })
    }

    fn category_url(&self, category: &CategoryRow) -> String {
        let path = match &category.main_slug {
            Some(main) => format!(
                "/signals/v1/public/terms/categories/{main}/sub_categories/{}",
                category.sub_slug
            ),
            None => format!("/signals/v1/public/terms/categories/{}", category.sub_slug),
        };
        self.base.join(&path)
    }

    fn category(&self, category: &CategoryRow) -> Value {
        json!({
            "sub": category.sub,
            "sub_slug": category.sub_slug,
            "main": category.main,
            "main_slug": category.main_slug,
            "category_url": self.category_url(category),
            "departments": category.departments.clone().unwrap_or_default(),
            "created_by": category.created_by,
            "text": category.text,
            "deadline": optional_datetime(category.deadline),
            "deadline_factor_3": optional_datetime(category.deadline_factor_3),
        })
    }

    /// Absent values as `""`; present ones masked without the permission.
    fn contact<'v>(&self, value: Option<&'v str>) -> &'v str {
        match value {
            None | Some("") => "",
            Some(_) if !self.show_contact_details => MASKED,
            Some(value) => value,
        }
    }

    fn reporter(&self, reporter: &ReporterRow) -> Value {
        json!({
            "email": self.contact(reporter.email.as_deref()),
            "phone": self.contact(reporter.phone.as_deref()),
            "sharing_allowed": reporter.sharing_allowed,
            "allows_contact": self.allows_contact(reporter),
        })
    }

    /// `true` unless the newest submitted feedback form of the signal
    /// refused contact, and always with the flag off (01 §2.3).
    fn allows_contact(&self, reporter: &ReporterRow) -> bool {
        !self.feedback_allows_contact || reporter.latest_feedback_allows_contact.unwrap_or(true)
    }

    fn priority(priority: &PriorityRow) -> Value {
        json!({"priority": priority.priority, "created_by": priority.created_by})
    }

    fn signal_type(signal_type: &TypeRow) -> Value {
        json!({
            "code": signal_type.code,
            "created_at": datetime(signal_type.created_at),
            "created_by": signal_type.created_by,
        })
    }

    /// `<id> - <state> - <buurt_code> - <created_at>` (01 §2.3).
    fn display(signal: &SignalRow) -> String {
        format!(
            "{} - {} - {} - {}",
            signal.id,
            signal.status.as_ref().map_or("", |s| s.state.as_str()),
            signal
                .location
                .as_ref()
                .and_then(|l| l.buurt_code.as_deref())
                .unwrap_or(""),
            format_datetime(signal.created_at)
        )
    }

    /// The nested objects both shapes share, by field name.
    fn nested(&self, signal: &SignalRow) -> Nested {
        Nested {
            status: signal.status.as_ref().map_or(Value::Null, Self::status),
            location: signal.location.as_ref().map_or(Value::Null, Self::location),
            category: signal
                .category
                .as_ref()
                .map_or(Value::Null, |c| self.category(c)),
            reporter: signal
                .reporter
                .as_ref()
                .map_or(Value::Null, |r| self.reporter(r)),
            priority: signal.priority.as_ref().map_or(Value::Null, Self::priority),
            signal_type: signal
                .signal_type
                .as_ref()
                .map_or(Value::Null, Self::signal_type),
        }
    }

    /// `directing_departments` (omitted without a relation) and
    /// `routing_departments` (null without one).
    fn departments(signal: &SignalRow, document: &mut Map<String, Value>) {
        if let Some(directing) = &signal.directing_departments {
            document.insert("directing_departments".into(), directing.clone());
        }
        document.insert(
            "routing_departments".into(),
            signal.routing_departments.clone().unwrap_or(Value::Null),
        );
    }

    /// The list item (04 §1.2).
    pub fn list_item(&self, signal: &SignalRow) -> Value {
        let nested = self.nested(signal);
        let mut document = Map::new();
        document.insert(
            "_links".into(),
            json!({"self": {"href": self.signal_url(signal.id)}}),
        );
        document.insert("_display".into(), Self::display(signal).into());
        document.insert("id".into(), signal.id.into());
        document.insert(
            "id_display".into(),
            format!("{}{}", self.id_display_prefix, signal.id).into(),
        );
        document.insert("signal_id".into(), signal.uuid.to_string().into());
        document.insert("source".into(), signal.source.clone().into());
        document.insert("text".into(), signal.text.clone().into());
        document.insert("text_extra".into(), signal.text_extra.clone().into());
        document.insert("status".into(), nested.status);
        document.insert("location".into(), nested.location);
        document.insert("category".into(), nested.category);
        document.insert("reporter".into(), nested.reporter);
        document.insert("priority".into(), nested.priority);
        document.insert("type".into(), nested.signal_type);
        document.insert("created_at".into(), datetime(signal.created_at));
        document.insert("updated_at".into(), datetime(signal.updated_at));
        document.insert(
            "incident_date_start".into(),
            datetime(signal.incident_date_start),
        );
        document.insert(
            "incident_date_end".into(),
            optional_datetime(signal.incident_date_end),
        );
        document.insert(
            "operational_date".into(),
            optional_datetime(signal.operational_date),
        );
        document.insert(
            "has_attachments".into(),
            (!signal.attachment_ids.is_empty()).into(),
        );
        document.insert(
            "extra_properties".into(),
            signal.extra_properties.clone().unwrap_or(Value::Null),
        );
        document.insert("notes".into(), signal.notes.clone());
        Self::departments(signal, &mut document);
        document.insert("has_parent".into(), signal.parent_id.is_some().into());
        document.insert("has_children".into(), (!signal.child_ids.is_empty()).into());
        document.insert(
            "assigned_user_email".into(),
            signal.assigned_user_email.clone().into(),
        );
        Value::Object(document)
    }

    /// The detail (04 §1.3): `_links` with history, attachments, pdf,
    /// context and the family, and the attachments' URLs.
    pub fn detail(&self, signal: &SignalRow) -> Value {
        let nested = self.nested(signal);
        let own = format!("/signals/v1/private/signals/{}", signal.id);
        let mut links = Map::new();
        links.insert(
            "curies".into(),
            json!({"name": "sia", "href": self.base.join("/signals/v1/relations")}),
        );
        links.insert("self".into(), self.href(own.clone()));
        links.insert("archives".into(), self.href(format!("{own}/history")));
        links.insert(
            "sia:attachments".into(),
            self.href(format!("{own}/attachments")),
        );
        links.insert("sia:pdf".into(), self.href(format!("{own}/pdf")));
        links.insert("sia:context".into(), self.href(format!("{own}/context")));
        if !signal.child_ids.is_empty() {
            links.insert(
                "sia:children".into(),
                signal
                    .child_ids
                    .iter()
                    .map(|id| json!({"href": self.signal_url(*id)}))
                    .collect(),
            );
        }
        if let Some(parent) = signal.parent_id {
            links.insert(
                "sia:parent".into(),
                json!({"href": self.signal_url(parent)}),
            );
        }

        let mut document = Map::new();
        document.insert("_links".into(), Value::Object(links));
        document.insert("_display".into(), Self::display(signal).into());
        document.insert("category".into(), nested.category);
        document.insert("id".into(), signal.id.into());
        document.insert(
            "id_display".into(),
            format!("{}{}", self.id_display_prefix, signal.id).into(),
        );
        document.insert(
            "has_attachments".into(),
            (!signal.attachment_ids.is_empty()).into(),
        );
        document.insert("location".into(), nested.location);
        document.insert("status".into(), nested.status);
        document.insert("reporter".into(), nested.reporter);
        document.insert("priority".into(), nested.priority);
        document.insert("notes".into(), signal.notes.clone());
        document.insert("type".into(), nested.signal_type);
        document.insert("source".into(), signal.source.clone().into());
        document.insert("text".into(), signal.text.clone().into());
        document.insert("text_extra".into(), signal.text_extra.clone().into());
        document.insert(
            "extra_properties".into(),
            signal.extra_properties.clone().unwrap_or(Value::Null),
        );
        document.insert("created_at".into(), datetime(signal.created_at));
        document.insert("updated_at".into(), datetime(signal.updated_at));
        document.insert(
            "incident_date_start".into(),
            datetime(signal.incident_date_start),
        );
        document.insert(
            "incident_date_end".into(),
            optional_datetime(signal.incident_date_end),
        );
        Self::departments(signal, &mut document);
        document.insert(
            "attachments".into(),
            signal
                .attachment_ids
                .iter()
                .map(|id| Value::String(format!("{}/attachments/{id}", self.signal_url(signal.id))))
                .collect(),
        );
        document.insert(
            "assigned_user_email".into(),
            signal.assigned_user_email.clone().into(),
        );
        Value::Object(document)
    }

    /// A child as the children endpoint shows it (04 §5).
    pub fn child(&self, child: &ChildRow) -> Value {
        json!({
            "_links": {"self": {"href": self.signal_url(child.id)}},
            "id": child.id,
            "status": child.state.as_deref().map_or(Value::Null, |state| json!({
                "state": state,
                "state_display": state_display(state),
            })),
            "category": child.category.as_ref().map_or(Value::Null, |c| json!({
                "sub": c.sub,
                "sub_slug": c.sub_slug,
                "departments": c.departments.clone().unwrap_or_default(),
                "main": c.main,
                "main_slug": c.main_slug,
            })),
            "updated_at": datetime(child.updated_at),
            "can_view_signal": child.can_view,
        })
    }
}

struct Nested {
    status: Value,
    location: Value,
    category: Value,
    reporter: Value,
    priority: Value,
    signal_type: Value,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn at(second: u32, micro: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 9, 15, second)
            .single()
            .expect("valid")
            + chrono::TimeDelta::microseconds(i64::from(micro))
    }

    fn signal() -> SignalRow {
        SignalRow {
            id: 1234,
            uuid: Uuid::nil(),
            source: "online".into(),
            text: "Naast de container ligt een grote berg afval.".into(),
            text_extra: String::new(),
            created_at: at(30, 123_456),
            updated_at: at(31, 0),
            incident_date_start: at(0, 0),
            incident_date_end: None,
            operational_date: None,
            extra_properties: Some(json!([])),
            parent_id: None,
            location: Some(LocationRow {
                id: 5678,
                stadsdeel: Some("A".into()),
                buurt_code: Some("A04i".into()),
                area_type_code: None,
                area_code: None,
                area_name: None,
                address: None,
                address_text: Some(String::new()),
                postcode: None,
                lon: 4.90022563,
                lat: 52.36768424,
                extra_properties: None,
                created_by: None,
                bag_validated: false,
            }),
            status: Some(StatusRow {
                text: None,
                user: None,
                state: "b".into(),
                target_api: None,
                extra_properties: None,
                send_email: false,
                created_at: at(30, 123_456),
                email_override: None,
            }),
            category: Some(CategoryRow {
                sub: "Grofvuil".into(),
                sub_slug: "grofvuil".into(),
                main: Some("Afval".into()),
                main_slug: Some("afval".into()),
                departments: Some("ASC, STW".into()),
                created_by: None,
                text: None,
                deadline: None,
                deadline_factor_3: None,
            }),
            reporter: Some(ReporterRow {
                email: Some("melder@example.com".into()),
                phone: None,
                sharing_allowed: true,
                latest_feedback_allows_contact: None,
            }),
            priority: Some(PriorityRow {
                priority: "normal".into(),
                created_by: None,
            }),
            signal_type: Some(TypeRow {
                code: "SIG".into(),
                created_at: at(30, 200_000),
                created_by: None,
            }),
            notes: json!([]),
            directing_departments: None,
            routing_departments: None,
            assigned_user_email: None,
            attachment_ids: vec![55],
            child_ids: vec![1240, 1241],
        }
    }

    fn documents(base: &BaseUrl, show_contact_details: bool) -> Documents<'_> {
        Documents {
            base,
            id_display_prefix: "SIG-",
            show_contact_details,
            feedback_allows_contact: true,
        }
    }

    #[test]
    fn a_list_item_has_the_reference_fields_in_order() {
        let base = BaseUrl::new("https://api.example.org");
        let item = documents(&base, true).list_item(&signal());
        let keys: Vec<&str> = item
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
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
                "assigned_user_email"
            ],
            "no directing_departments without a directing relation"
        );
        assert_eq!(
            item["_display"],
            "1234 - b - A04i - 2024-03-01T10:15:30.123456+01:00"
        );
        assert_eq!(item["id_display"], "SIG-1234");
        assert_eq!(item["status"]["state_display"], "In behandeling");
        assert_eq!(
            item["category"]["category_url"],
            "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"
        );
        assert_eq!(item["routing_departments"], Value::Null);
        assert_eq!(item["has_children"], true);
        assert_eq!(item["updated_at"], "2024-03-01T10:15:31+01:00");
    }

    #[test]
    fn contact_details_are_masked_without_the_permission_and_absent_ones_stay_empty() {
        let base = BaseUrl::new("https://api.example.org");
        let masked = documents(&base, false).list_item(&signal());
        assert_eq!(masked["reporter"]["email"], MASKED);
        assert_eq!(masked["reporter"]["phone"], "");
        let shown = documents(&base, true).list_item(&signal());
        assert_eq!(shown["reporter"]["email"], "melder@example.com");
    }

    #[test]
    fn the_detail_links_history_attachments_and_children() {
        let base = BaseUrl::new("https://api.example.org");
        let mut row = signal();
        row.directing_departments = Some(json!([]));
        let detail = documents(&base, true).detail(&row);
        let links = &detail["_links"];
        assert_eq!(
            links["archives"]["href"],
            "https://api.example.org/signals/v1/private/signals/1234/history"
        );
        assert_eq!(
            links["sia:children"],
            json!([
                {"href": "https://api.example.org/signals/v1/private/signals/1240"},
                {"href": "https://api.example.org/signals/v1/private/signals/1241"}
            ])
        );
        assert!(links.get("sia:parent").is_none());
        assert_eq!(
            detail["attachments"],
            json!(["https://api.example.org/signals/v1/private/signals/1234/attachments/55"])
        );
        assert_eq!(detail["directing_departments"], json!([]));
        for absent in [
            "signal_id",
            "operational_date",
            "has_parent",
            "has_children",
        ] {
            assert!(detail.get(absent).is_none(), "{absent}");
        }
        let keys: Vec<&str> = detail
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys[..4], ["_links", "_display", "category", "id"]);
    }

    #[test]
    fn a_child_links_to_its_parent() {
        let base = BaseUrl::new("https://api.example.org");
        let mut row = signal();
        row.child_ids.clear();
        row.parent_id = Some(1200);
        let detail = documents(&base, true).detail(&row);
        assert_eq!(
            detail["_links"]["sia:parent"]["href"],
            "https://api.example.org/signals/v1/private/signals/1200"
        );
        assert!(detail["_links"].get("sia:children").is_none());
    }

    #[test]
    fn only_a_refusal_in_the_newest_submitted_feedback_withdraws_contact_and_only_with_the_flag() {
        let base = BaseUrl::new("https://api.example.org");
        for (latest, flag, expected) in [
            (None, true, true),
            (Some(true), true, true),
            (Some(false), true, false),
            (Some(false), false, true),
            (None, false, true),
        ] {
            let mut row = signal();
            row.reporter
                .as_mut()
                .expect("reporter")
                .latest_feedback_allows_contact = latest;
            let documents = Documents {
                feedback_allows_contact: flag,
                ..documents(&base, true)
            };
            assert_eq!(
                documents.list_item(&row)["reporter"]["allows_contact"],
                expected,
                "{latest:?}, flag {flag}"
            );
            assert_eq!(
                documents.detail(&row)["reporter"]["allows_contact"],
                expected,
                "{latest:?}, flag {flag}"
            );
        }
    }
}
