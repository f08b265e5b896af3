//! The JSON of the back office's signals (spec 04 §1): the nested objects,
//! the list item (§1.2: the signal list of private-signals and the search
//! results of private-search), the detail (§1.3), the abridged child (§5).
//! Field order is the reference serializers'.
//!
//! The nested objects and the list item are `Serialize` views borrowing
//! from the [`SignalRow`]: a page of 50 list items is written straight into
//! the response body, not built as a `serde_json::Value` tree first (a map,
//! keys and values allocated per field, then serialized and dropped). The
//! detail (one per request) is a `Value` assembled from the same views.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use signalen_domain::status::State;
use signalen_infra::pg::signal_read::{
    CategoryRow, ChildRow, LocationRow, PriorityRow, ReporterRow, SignalRow, StatusRow, TypeRow,
};
use uuid::Uuid;

use crate::BaseUrl;
use crate::datetime::format_datetime;
use crate::links::Href;

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

fn optional_datetime(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(format_datetime)
}

fn state_display(code: &str) -> &'static str {
    State::from_code(code).map_or("", State::state_display)
}

/// A view as a `Value` (for the detail). The views are maps with string
/// keys of strings, numbers and `Value`s: serializing them cannot fail.
fn to_value(view: impl Serialize) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// `{"self": {"href": …}}`.
#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    this: Href<String>,
}

/// GeoJSON point, `[longitude, latitude]`.
#[derive(Serialize)]
struct Point {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct LocationView<'a> {
    id: i32,
    stadsdeel: &'a Option<String>,
    buurt_code: &'a Option<String>,
    area_type_code: &'a Option<String>,
    area_code: &'a Option<String>,
    area_name: &'a Option<String>,
    address: &'a Option<Value>,
    address_text: &'a Option<String>,
    postcode: &'a Option<String>,
    geometrie: Point,
    extra_properties: &'a Option<Value>,
    created_by: &'a Option<String>,
    bag_validated: bool,
}

impl<'a> LocationView<'a> {
    fn of(location: &'a LocationRow) -> Self {
        Self {
            id: location.id,
            stadsdeel: &location.stadsdeel,
            buurt_code: &location.buurt_code,
            area_type_code: &location.area_type_code,
            area_code: &location.area_code,
            area_name: &location.area_name,
            address: &location.address,
            address_text: &location.address_text,
            postcode: &location.postcode,
            geometrie: Point {
                kind: "Point",
                coordinates: [location.lon, location.lat],
            },
            extra_properties: &location.extra_properties,
            created_by: &location.created_by,
            bag_validated: location.bag_validated,
        }
    }
}

#[derive(Serialize)]
struct StatusView<'a> {
    text: &'a Option<String>,
    user: &'a Option<String>,
    state: &'a str,
    state_display: &'static str,
    target_api: &'a Option<String>,
    extra_properties: &'a Option<Value>,
    send_email: bool,
    created_at: String,
    email_override: &'a Option<String>,
}

impl<'a> StatusView<'a> {
    fn of(status: &'a StatusRow) -> Self {
        Self {
            text: &status.text,
            user: &status.user,
            state: &status.state,
            state_display: state_display(&status.state),
            target_api: &status.target_api,
            extra_properties: &status.extra_properties,
            send_email: status.send_email,
            created_at: format_datetime(status.created_at),
            email_override: &status.email_override,
        }
    }
}

#[derive(Serialize)]
struct CategoryView<'a> {
    sub: &'a str,
    sub_slug: &'a str,
    main: &'a Option<String>,
    main_slug: &'a Option<String>,
    category_url: String,
    departments: &'a str,
    created_by: &'a Option<String>,
    text: &'a Option<String>,
    deadline: Option<String>,
    deadline_factor_3: Option<String>,
}

#[derive(Serialize)]
struct ReporterView<'a> {
    email: &'a str,
    phone: &'a str,
    sharing_allowed: bool,
    allows_contact: bool,
}

#[derive(Serialize)]
struct PriorityView<'a> {
    priority: &'a str,
    created_by: &'a Option<String>,
}

impl<'a> PriorityView<'a> {
    fn of(priority: &'a PriorityRow) -> Self {
        Self {
            priority: &priority.priority,
            created_by: &priority.created_by,
        }
    }
}

#[derive(Serialize)]
struct TypeView<'a> {
    code: &'a str,
    created_at: String,
    created_by: &'a Option<String>,
}

impl<'a> TypeView<'a> {
    fn of(signal_type: &'a TypeRow) -> Self {
        Self {
            code: &signal_type.code,
            created_at: format_datetime(signal_type.created_at),
            created_by: &signal_type.created_by,
        }
    }
}

/// The nested objects both shapes share, by field name.
struct Nested<'a> {
    status: Option<StatusView<'a>>,
    location: Option<LocationView<'a>>,
    category: Option<CategoryView<'a>>,
    reporter: Option<ReporterView<'a>>,
    priority: Option<PriorityView<'a>>,
    signal_type: Option<TypeView<'a>>,
}

/// The list item (04 §1.2), serialized into the page as it is.
#[derive(Serialize)]
pub struct ListItem<'a> {
    _links: SelfLink,
    _display: String,
    id: i32,
    id_display: String,
    signal_id: &'a Uuid,
    source: &'a str,
    text: &'a str,
    text_extra: &'a str,
    status: Option<StatusView<'a>>,
    location: Option<LocationView<'a>>,
    category: Option<CategoryView<'a>>,
    reporter: Option<ReporterView<'a>>,
    priority: Option<PriorityView<'a>>,
    #[serde(rename = "type")]
    signal_type: Option<TypeView<'a>>,
    created_at: String,
    updated_at: String,
    incident_date_start: String,
    incident_date_end: Option<String>,
    operational_date: Option<String>,
    has_attachments: bool,
    extra_properties: &'a Option<Value>,
    notes: &'a Value,
    /// Omitted without a directing relation.
    #[serde(skip_serializing_if = "Option::is_none")]
    directing_departments: Option<&'a Value>,
    /// `null` without a routing relation.
    routing_departments: Option<&'a Value>,
    has_parent: bool,
    has_children: bool,
    assigned_user_email: Option<&'a str>,
}

impl Documents<'_> {
    pub fn signal_url(&self, id: i32) -> String {
        self.base.join(&format!("/signals/v1/private/signals/{id}"))
    }

    fn href(&self, path: String) -> Value {
        json!({ "href": self.base.join(&path) })
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

    fn category<'a>(&self, category: &'a CategoryRow) -> CategoryView<'a> {
        CategoryView {
            sub: &category.sub,
            sub_slug: &category.sub_slug,
            main: &category.main,
            main_slug: &category.main_slug,
            category_url: self.category_url(category),
            departments: category.departments.as_deref().unwrap_or_default(),
            created_by: &category.created_by,
            text: &category.text,
            deadline: optional_datetime(category.deadline),
            deadline_factor_3: optional_datetime(category.deadline_factor_3),
        }
    }

    /// Absent values as `""`; present ones masked without the permission.
    fn contact<'v>(&self, value: Option<&'v str>) -> &'v str {
        match value {
            None | Some("") => "",
            Some(_) if !self.show_contact_details => MASKED,
            Some(value) => value,
        }
    }

    fn reporter<'a>(&self, reporter: &'a ReporterRow) -> ReporterView<'a> {
        ReporterView {
            email: self.contact(reporter.email.as_deref()),
            phone: self.contact(reporter.phone.as_deref()),
            sharing_allowed: reporter.sharing_allowed,
            allows_contact: self.allows_contact(reporter),
        }
    }

    /// `true` unless the newest submitted feedback form of the signal
    /// refused contact, and always with the flag off (01 §2.3).
    fn allows_contact(&self, reporter: &ReporterRow) -> bool {
        !self.feedback_allows_contact || reporter.latest_feedback_allows_contact.unwrap_or(true)
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

    fn nested<'a>(&self, signal: &'a SignalRow) -> Nested<'a> {
        Nested {
            status: signal.status.as_ref().map(StatusView::of),
            location: signal.location.as_ref().map(LocationView::of),
            category: signal.category.as_ref().map(|c| self.category(c)),
            reporter: signal.reporter.as_ref().map(|r| self.reporter(r)),
            priority: signal.priority.as_ref().map(PriorityView::of),
            signal_type: signal.signal_type.as_ref().map(TypeView::of),
        }
    }

    /// The list item (04 §1.2).
    pub fn list_item<'a>(&self, signal: &'a SignalRow) -> ListItem<'a> {
        let nested = self.nested(signal);
        ListItem {
            _links: SelfLink {
                this: Href {
                    href: self.signal_url(signal.id),
                },
            },
            _display: Self::display(signal),
            id: signal.id,
            id_display: format!("{}{}", self.id_display_prefix, signal.id),
            signal_id: &signal.uuid,
            source: &signal.source,
            text: &signal.text,
            text_extra: &signal.text_extra,
            status: nested.status,
            location: nested.location,
            category: nested.category,
            reporter: nested.reporter,
            priority: nested.priority,
            signal_type: nested.signal_type,
            created_at: format_datetime(signal.created_at),
            updated_at: format_datetime(signal.updated_at),
            incident_date_start: format_datetime(signal.incident_date_start),
            incident_date_end: optional_datetime(signal.incident_date_end),
            operational_date: optional_datetime(signal.operational_date),
            has_attachments: !signal.attachment_ids.is_empty(),
            extra_properties: &signal.extra_properties,
            notes: &signal.notes,
            directing_departments: signal.directing_departments.as_ref(),
            routing_departments: signal.routing_departments.as_ref(),
            has_parent: signal.parent_id.is_some(),
            has_children: !signal.child_ids.is_empty(),
            assigned_user_email: signal.assigned_user_email.as_deref(),
        }
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
        document.insert("category".into(), to_value(nested.category));
        document.insert("id".into(), signal.id.into());
        document.insert(
            "id_display".into(),
            format!("{}{}", self.id_display_prefix, signal.id).into(),
        );
        document.insert(
            "has_attachments".into(),
            (!signal.attachment_ids.is_empty()).into(),
        );
        document.insert("location".into(), to_value(nested.location));
        document.insert("status".into(), to_value(nested.status));
        document.insert("reporter".into(), to_value(nested.reporter));
        document.insert("priority".into(), to_value(nested.priority));
        document.insert("notes".into(), signal.notes.clone());
        document.insert("type".into(), to_value(nested.signal_type));
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
            to_value(optional_datetime(signal.incident_date_end)),
        );
        if let Some(directing) = &signal.directing_departments {
            document.insert("directing_departments".into(), directing.clone());
        }
        document.insert(
            "routing_departments".into(),
            signal.routing_departments.clone().unwrap_or(Value::Null),
        );
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

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
        let item = to_value(documents(&base, true).list_item(&signal()));
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
        let masked = to_value(documents(&base, false).list_item(&signal()));
        assert_eq!(masked["reporter"]["email"], MASKED);
        assert_eq!(masked["reporter"]["phone"], "");
        let shown = to_value(documents(&base, true).list_item(&signal()));
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
                to_value(documents.list_item(&row))["reporter"]["allows_contact"],
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
