//! The responses the unmodified Signalen frontend (Amsterdam/signals-frontend)
//! reads, checked against our own contract (issue 3: "every field the
//! frontend reads is present with the right type").
//!
//! Each contract below is a list of JSON paths with the JSON type the
//! frontend expects there. They were written by reading the frontend's
//! recorded API answers (`src/utils/__tests__/fixtures/*.json`,
//! `internals/mocks/fixtures/*.json`) together with the TypeScript types and
//! the selectors/components that consume them; the comment above each list
//! names its sources. Paths a fixture shows but our spec deliberately answers
//! differently are left out with the spec section that says so. Nothing of
//! the fixtures is copied here: only the paths and types we derived.
//!
//! The responses are real: signals are made by the public create and changed
//! by PATCH, attachments are uploaded to a bucket on the local S3, and every
//! answer comes from our routers on a database of its own. A path missing in
//! an answer, or of another type, is a failure; all of them are reported at
//! once.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use signalen_infra::s3::ObjectStore;
use tower::ServiceExt;

use crate::auth::{BackOffice, NewUser};
use crate::fixtures::citizen_report;
use crate::helpers::{empty_bucket, test_bucket};

/// The JSON type the frontend expects at a path.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    /// An integer (ids, counts).
    Int,
    /// Any number (coordinates).
    Num,
    Bool,
    Array,
    Object,
    /// A string or a number (`Address.huisnummer` is `string | number`).
    StrOrNum,
    /// Present, of any type (an answer to a category question).
    Any,
    /// The value, or `null`.
    OrNull(&'static Kind),
    /// The key must not be there: the frontend tests `=== undefined`.
    Absent,
}

use Kind::*;

type Contract = &'static [(&'static str, Kind)];

// ---------------------------------------------------------------------------
// Private signals (`functions/private-signals`)
// ---------------------------------------------------------------------------

/// Nested objects shared by the detail and the list item. Derived from
/// `src/utils/__tests__/fixtures/incident.json` and `incidents.json`, and the
/// `Incident` / `IncidentListItem` types (`src/types/api/incident.ts`,
/// `incident-list.ts`): `IncidentDetail`, `MetaList` (category departments
/// split on `,`, deadlines, routing departments, assignee), `Location` and
/// `Detail` components, the list's `IncidentOverviewPage` columns.
///
/// Left out: `location.coordinates` (`{lat, lng}`, swapped) — it is in
/// `incident.json` only, not in the frontend's type nor in the reference
/// serializer (spec 04 §1.1 lists the location's keys).
const SIGNAL_NESTED: Contract = &[
    ("_links.self.href", Str),
    ("_display", Str),
    ("id", Int),
    ("has_attachments", Bool),
    ("category", Object),
    ("category.sub", Str),
    ("category.sub_slug", Str),
    ("category.main", Str),
    ("category.main_slug", Str),
    ("category.category_url", Str),
    ("category.departments", Str),
    ("category.created_by", OrNull(&Str)),
    ("category.text", OrNull(&Str)),
    ("category.deadline", OrNull(&Str)),
    ("category.deadline_factor_3", OrNull(&Str)),
    ("location", Object),
    ("location.id", Int),
    ("location.stadsdeel", OrNull(&Str)),
    ("location.buurt_code", OrNull(&Str)),
    ("location.area_type_code", OrNull(&Str)),
    ("location.area_code", OrNull(&Str)),
    ("location.address", Object),
    ("location.address.openbare_ruimte", Str),
    ("location.address.huisnummer", StrOrNum),
    ("location.address.huisletter", OrNull(&Str)),
    ("location.address.huisnummer_toevoeging", StrOrNum),
    ("location.address.postcode", Str),
    ("location.address.woonplaats", Str),
    ("location.address_text", OrNull(&Str)),
    ("location.geometrie.type", Str),
    ("location.geometrie.coordinates", Array),
    ("location.geometrie.coordinates.0", Num),
    ("location.geometrie.coordinates.1", Num),
    ("location.extra_properties", OrNull(&Object)),
    ("location.created_by", OrNull(&Str)),
    ("location.bag_validated", Bool),
    ("status", Object),
    ("status.text", OrNull(&Str)),
    ("status.user", OrNull(&Str)),
    ("status.state", Str),
    ("status.state_display", Str),
    ("status.target_api", OrNull(&Str)),
    ("status.extra_properties", OrNull(&Object)),
    ("status.send_email", Bool),
    ("status.created_at", Str),
    ("reporter", Object),
    ("reporter.email", Str),
    ("reporter.phone", Str),
    ("reporter.sharing_allowed", Bool),
    ("priority.priority", Str),
    ("priority.created_by", OrNull(&Str)),
    ("notes", Array),
    ("notes.0.text", Str),
    ("notes.0.created_by", OrNull(&Str)),
    ("type.code", Str),
    ("type.created_at", Str),
    ("type.created_by", OrNull(&Str)),
    ("source", Str),
    ("text", Str),
    ("text_extra", OrNull(&Str)),
    ("extra_properties", Array),
    ("extra_properties.0.id", Str),
    ("extra_properties.0.label", Str),
    ("extra_properties.0.answer", Any),
    ("extra_properties.0.category_url", Str),
    ("created_at", Str),
    ("updated_at", Str),
    ("incident_date_start", Str),
    ("incident_date_end", OrNull(&Str)),
    ("routing_departments", Array),
    ("routing_departments.0.id", Int),
    ("routing_departments.0.code", Str),
    ("routing_departments.0.name", Str),
    ("assigned_user_email", Str),
];

/// The detail (`GET …/signals/{id}`, also PATCH's answer) of a parent
/// signal with an attachment: `incident.json`, `Incident._links` and
/// `attachments` (`src/types/api/incident.ts`); the links are followed by the
/// detail page (history, attachments, PDF download, context, children).
///
/// Left out: `has_attachmentts` (a typo in `incident.json`; the type and the
/// components read `has_attachments`, which is in `SIGNAL_NESTED`).
const SIGNAL_DETAIL: Contract = &[
    ("_links.curies.name", Str),
    ("_links.curies.href", Str),
    ("_links.archives.href", Str),
    ("_links.sia:attachments.href", Str),
    ("_links.sia:pdf.href", Str),
    ("_links.sia:context.href", Str),
    ("_links.sia:children", Array),
    ("_links.sia:children.0.href", Str),
    ("reporter.allows_contact", Bool),
    ("attachments", Array),
    ("attachments.0", Str),
];

/// A parent's directing departments (`MetaList`'s "Regie" field reads
/// `directing_departments[0].code`; `IncidentSplitContainer` copies them).
/// The key is absent on a signal that never had a directing relation (spec
/// 04 §1.1), which the frontend allows ("can be undefined"), so it is only
/// required of a parent that was given one.
const PARENT_DIRECTING: Contract = &[
    ("directing_departments", Array),
    ("directing_departments.0.id", Int),
    ("directing_departments.0.code", Str),
    ("directing_departments.0.name", Str),
];

/// A child's detail links to its parent (`Incident._links['sia:parent']`,
/// read by `IncidentDetail` and `DetailHeader` to show the parent).
const CHILD_DETAIL: Contract = &[("_links.sia:parent.href", Str)];

/// A signal without a parent has no `sia:parent` key: `parentId` is taken
/// from it whenever it is there.
const CHILD_DETAIL_ABSENT: Contract = &[("_links.sia:parent", Absent)];

/// A list item (`GET …/signals/`): `incidents.json`, `IncidentListItem`
/// (`src/types/api/incident-list.ts`); the overview's columns and the
/// parent/child icons read `has_children`, `has_parent`, `location.postcode`.
///
/// Left out: `image` and `notes_count` (in `incidents.json` only, neither in
/// the frontend's type nor in the reference's list serializer, spec 04 §1.2).
const SIGNAL_LIST_ITEM: Contract = &[
    ("signal_id", Str),
    ("location.postcode", OrNull(&Str)),
    ("operational_date", OrNull(&Str)),
    ("has_children", Bool),
    ("has_parent", Bool),
];

/// The HAL page around the list (`IncidentOverviewPage`: `count`, `results`).
const HAL_PAGE: Contract = &[
    ("_links.self.href", Str),
    ("_links.next.href", OrNull(&Str)),
    ("_links.previous.href", OrNull(&Str)),
    ("count", Int),
    ("results", Array),
];

/// A history entry (`GET …/{id}/history`): `incidentHistory.json`,
/// `IncidentHistory` (`src/types/history.ts`), rendered by `History`.
const HISTORY_ENTRY: Contract = &[
    ("identifier", Str),
    ("when", Str),
    ("what", Str),
    ("action", Str),
    ("description", OrNull(&Str)),
    ("who", Str),
    ("_signal", Int),
];

/// A child in `GET …/{id}/children/`: `internals/mocks/fixtures/children.json`,
/// read by `ChildIncidents` (link, status, category, whether it may be opened).
const CHILD_ITEM: Contract = &[
    ("_links.self.href", Str),
    ("id", Int),
    ("can_view_signal", Bool),
    ("status.state", Str),
    ("status.state_display", Str),
    ("category.sub", Str),
    ("category.sub_slug", Str),
    ("category.main", Str),
    ("category.main_slug", Str),
    ("category.departments", Str),
    ("updated_at", Str),
];

/// The back-office map (`GET …/signals/geography`):
/// `src/utils/__tests__/fixtures/geography.json`, `Geography`
/// (`src/types/api/geography.ts`), drawn by `OverviewMap` (marker per point,
/// click loads the signal by `properties.id`).
///
/// Left out: `properties.status` — declared in `types/api/geography.ts` for
/// the context map (`…/context/near/geography`, `AreaMap`), absent from the
/// map fixture and from the reference's map (spec 04 §6).
const PRIVATE_MAP: Contract = &[
    ("type", Str),
    ("features", Array),
    ("features.0.type", Str),
    ("features.0.geometry.type", Str),
    ("features.0.geometry.coordinates", Array),
    ("features.0.geometry.coordinates.0", Num),
    ("features.0.geometry.coordinates.1", Num),
    ("features.0.properties.id", Int),
    ("features.0.properties.created_at", Str),
];

// ---------------------------------------------------------------------------
// Attachments (`functions/signal-attachments`)
// ---------------------------------------------------------------------------

/// An attachment in `GET …/{id}/attachments/`:
/// `internals/mocks/fixtures/attachments.json`, read by the detail's
/// `Attachments` (thumbnail or file link, who uploaded, public, caption) and
/// its delete action (`_links.self.href`).
const ATTACHMENT: Contract = &[
    ("_display", Str),
    ("_links.self.href", Str),
    ("location", Str),
    ("is_image", Bool),
    ("created_at", Str),
    ("created_by", OrNull(&Str)),
    ("public", Bool),
    ("caption", OrNull(&Str)),
];

// ---------------------------------------------------------------------------
// Back-office bootstrap (`functions/private-admin`)
// ---------------------------------------------------------------------------

/// `GET /private/me/`: `src/utils/__tests__/fixtures/user.json`, `User`
/// (`src/containers/App/types.ts`); `containers/App/selectors.ts` computes
/// the permissions from `is_superuser`, `roles[].permissions[].codename` and
/// `permissions[].codename`; the profile's department names scope the UI.
///
/// `profile.note` is nullable: the fixture shows a string, spec 04 §12 a
/// null for a user without a note.
const ME: Contract = &[
    ("_links.self.href", Str),
    ("_display", Str),
    ("id", Int),
    ("username", Str),
    ("email", Str),
    ("first_name", Str),
    ("last_name", Str),
    ("is_active", Bool),
    ("is_staff", Bool),
    ("is_superuser", Bool),
    ("roles", Array),
    ("roles.0._links.self.href", Str),
    ("roles.0._display", Str),
    ("roles.0.id", Int),
    ("roles.0.name", Str),
    ("roles.0.permissions", Array),
    ("roles.0.permissions.0._links.self.href", Str),
    ("roles.0.permissions.0._display", Str),
    ("roles.0.permissions.0.id", Int),
    ("roles.0.permissions.0.name", Str),
    ("roles.0.permissions.0.codename", Str),
    ("permissions", Array),
    ("permissions.0._links.self.href", Str),
    ("permissions.0._display", Str),
    ("permissions.0.id", Int),
    ("permissions.0.name", Str),
    ("permissions.0.codename", Str),
    ("profile", Object),
    ("profile.note", OrNull(&Str)),
    ("profile.departments", Array),
    ("profile.departments.0", Str),
    ("profile.created_at", Str),
    ("profile.updated_at", Str),
    ("profile.notification_on_user_assignment", Bool),
    ("profile.notification_on_department_assignment", Bool),
];

/// A department in `GET /private/departments/`: `departments.json` (both
/// fixture folders), `Department` (`src/types/api/incident.ts`);
/// `models/departments/selectors.js` reads `code`, `name`, `can_direct`,
/// the settings page `category_names`.
const DEPARTMENT: Contract = &[
    ("_links.self.href", Str),
    ("_display", Str),
    ("id", Int),
    ("name", Str),
    ("code", Str),
    ("is_intern", Bool),
    ("category_names", Array),
    ("category_names.0", Str),
    ("can_direct", Bool),
];

/// A category in `GET /private/categories/?page_size=1000` (what
/// `models/categories/saga.ts` asks): `categories_private.json`, `Category`
/// (`src/types/category.ts`). `models/categories/selectors.ts` keys every
/// category by `_links.self.public`, finds its parent by
/// `_links['sia:parent'].public` and tells main from sub by whether
/// `sia:parent` is undefined.
const PRIVATE_CATEGORY: Contract = &[
    ("_links.self.href", Str),
    ("_links.self.public", Str),
    ("_links.archives.href", Str),
    ("_links.sia:status-message-templates.href", Str),
    ("_display", Str),
    ("id", Int),
    ("name", Str),
    ("slug", Str),
    ("icon", OrNull(&Str)),
    ("is_active", Bool),
    ("is_public_accessible", Bool),
    ("public_name", OrNull(&Str)),
    ("description", OrNull(&Str)),
    ("handling_message", OrNull(&Str)),
    ("sla.n_days", OrNull(&Int)),
    ("sla.use_calendar_days", OrNull(&Bool)),
    ("departments", Array),
    ("note", OrNull(&Str)),
    ("configuration", OrNull(&Object)),
];

/// A sub category additionally links to its parent, and (for one with
/// departments) lists them with both flags (`CategoryDepartment`).
const PRIVATE_SUB_CATEGORY: Contract = &[
    ("_links.sia:parent.href", Str),
    ("_links.sia:parent.public", Str),
    ("sla.n_days", Int),
    ("sla.use_calendar_days", Bool),
    ("departments.0.id", Int),
    ("departments.0.code", Str),
    ("departments.0.name", Str),
    ("departments.0.is_intern", Bool),
    ("departments.0.is_responsible", Bool),
    ("departments.0.can_view", Bool),
];

/// A main category must not carry `sia:parent` at all (`filterForMain`).
const PRIVATE_MAIN_CATEGORY: Contract = &[("_links.sia:parent", Absent)];

/// A source in `GET /private/sources/?is_active=true`: `Source`
/// (`src/containers/App/types.ts`), mapped by `makeSelectSources` from
/// `results[].name` and `can_be_selected`.
///
/// Left out: `key`/`value` of `src/utils/__tests__/fixtures/sources.json`,
/// an older shape that the current selector no longer reads (spec 04b §9
/// gives the reference's keys, checked here).
const SOURCE: Contract = &[
    ("id", Int),
    ("name", Str),
    ("description", OrNull(&Str)),
    ("is_active", Bool),
    ("can_be_selected", Bool),
];

// ---------------------------------------------------------------------------
// Public API (`functions/public-signals`, `functions/public-terms`)
// ---------------------------------------------------------------------------

/// The answer to `POST /public/signals/` (and `GET /public/signals/{uuid}`):
/// `internals/mocks/fixtures/public-incident.json`, `PublicIncident`
/// (`src/types/api/public-incident.ts`); the thank-you page shows `_display`,
/// the attachment upload uses `signal_id`, and the last wizard step
/// (`signals/incident/definitions/wizard-step-5-bedankt.js`) prints
/// `id_display` — a key neither the fixture nor the type declares.
const PUBLIC_SIGNAL: Contract = &[
    ("_display", Str),
    ("id", Int),
    ("id_display", Str),
    ("signal_id", Str),
    ("status.state", Str),
    ("status.state_display", Str),
    ("created_at", Str),
    ("updated_at", Str),
    ("incident_date_start", Str),
    ("incident_date_end", OrNull(&Str)),
];

/// A main category in `GET /public/terms/categories/`: read raw by
/// `shared/services/map-categories` (`_links.self.href`, `name`, `slug`,
/// each sub's `is_active`, `_links.self.href`, `name`, `slug`,
/// `handling_message`) and by the public map's `FilterPanel/utils.ts`
/// (`is_public_accessible`, `public_name`, `configuration`, the subs'
/// `is_public_accessible` and `public_name`). (`categories.json` in the
/// fixtures is the mapped form, not an API answer.)
const TERMS_MAIN_CATEGORY: Contract = &[
    ("_links.self.href", Str),
    ("_display", Str),
    ("name", Str),
    ("slug", Str),
    ("public_name", OrNull(&Str)),
    ("is_public_accessible", Bool),
    ("configuration", OrNull(&Object)),
    ("sub_categories", Array),
    ("sub_categories.0._links.self.href", Str),
    ("sub_categories.0.name", Str),
    ("sub_categories.0.slug", Str),
    ("sub_categories.0.is_active", Bool),
    ("sub_categories.0.handling_message", OrNull(&Str)),
    ("sub_categories.0.public_name", OrNull(&Str)),
    ("sub_categories.0.is_public_accessible", Bool),
];

/// `GET /public/terms/categories/{main}/sub_categories/{sub}`, fetched
/// after a classification: `IncidentContainer/selectors.js`
/// (`getClassificationData`) reads `_links.self.href`, `name`, `slug`,
/// `handling_message`, `is_public_accessible`.
const TERMS_SUB_CATEGORY: Contract = &[
    ("_links.self.href", Str),
    ("name", Str),
    ("slug", Str),
    ("handling_message", OrNull(&Str)),
    ("is_public_accessible", Bool),
    ("is_active", Bool),
];

/// The public map (`GET /public/signals/geography`):
/// `src/utils/__tests__/fixtures/geography_public.json` and the `Properties`
/// of `signals/IncidentMap/types/incident-map.ts` (icons by
/// `category.slug`/`parent.slug`, names in the pop-up, `created_at`).
const PUBLIC_MAP: Contract = &[
    ("type", Str),
    ("features", Array),
    ("features.0.type", Str),
    ("features.0.geometry.type", Str),
    ("features.0.geometry.coordinates", Array),
    ("features.0.geometry.coordinates.0", Num),
    ("features.0.geometry.coordinates.1", Num),
    ("features.0.properties.category.name", Str),
    ("features.0.properties.category.slug", Str),
    ("features.0.properties.category.parent.name", Str),
    ("features.0.properties.category.parent.slug", Str),
    ("features.0.properties.created_at", Str),
];

// ---------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------

/// The value at a dotted path: object keys, or array indices.
fn at<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(document, |value, step| match value {
            Value::Object(map) => map.get(step),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn matches(kind: Kind, value: &Value) -> bool {
    match kind {
        Str => value.is_string(),
        Int => value.is_i64() || value.is_u64(),
        Num => value.is_number(),
        Bool => value.is_boolean(),
        Array => value.is_array(),
        Object => value.is_object(),
        StrOrNum => value.is_string() || value.is_number(),
        Any => true,
        OrNull(inner) => value.is_null() || matches(*inner, value),
        Absent => false,
    }
}

/// Every way `document` breaks `contract`, one line each.
fn violations(name: &str, document: &Value, contract: Contract) -> Vec<String> {
    contract
        .iter()
        .filter_map(|&(path, kind)| match (at(document, path), kind) {
            (None, Absent) => None,
            (Some(value), Absent) => Some(format!(
                "{name}: `{path}` must be absent, is {}",
                type_name(value)
            )),
            (None, _) => Some(format!("{name}: `{path}` is missing (expected {kind:?})")),
            (Some(value), kind) if matches(kind, value) => None,
            (Some(Value::Null), kind) => {
                Some(format!("{name}: `{path}` is null, expected {kind:?}"))
            }
            (Some(value), kind) => Some(format!(
                "{name}: `{path}` is {} {}, expected {kind:?}",
                type_name(value),
                truncated(value)
            )),
        })
        .collect()
}

fn truncated(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Collects the violations of several answers, then fails once with all.
#[derive(Default)]
struct Report(Vec<String>);

impl Report {
    fn check(&mut self, name: &str, document: &Value, contracts: &[Contract]) {
        for contract in contracts {
            self.0.extend(violations(name, document, contract));
        }
    }

    /// The frontend joins answers by these values: `what` in `left` must
    /// equal `right`.
    fn same(&mut self, what: &str, left: Option<&Value>, right: Option<&Value>) {
        match (left, right) {
            (Some(l), Some(r)) if l == r && !l.is_null() => {}
            (l, r) => self.0.push(format!("{what}: {l:?} differs from {r:?}")),
        }
    }

    fn assert_clean(self) {
        assert!(
            self.0.is_empty(),
            "{} mismatch(es) with the frontend contract:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

#[test]
fn the_checker_reports_every_missing_or_mistyped_path_at_once() {
    let document = json!({
        "id": 7,
        "status": {"state": "m", "text": null},
        "features": [{"geometry": {"coordinates": [4.9, 52.3]}}],
        "_links": {"self": {"href": "x"}}
    });
    const CONTRACT: Contract = &[
        ("id", Int),
        ("status.state", Str),
        ("status.text", OrNull(&Str)),
        ("features.0.geometry.coordinates.1", Num),
        ("status.user", OrNull(&Str)),
        ("id", Str),
        ("status.text", Str),
        ("features.1.geometry", Object),
        ("features.x", Object),
        ("_links.self", Absent),
        ("_links.sia:parent", Absent),
    ];

    let found = violations("doc", &document, CONTRACT);

    assert_eq!(
        found,
        [
            "doc: `status.user` is missing (expected OrNull(Str))",
            "doc: `id` is integer 7, expected Str",
            "doc: `status.text` is null, expected Str",
            "doc: `features.1.geometry` is missing (expected Object)",
            "doc: `features.x` is missing (expected Object)",
            "doc: `_links.self` must be absent, is object",
        ]
    );
}

#[test]
fn a_report_with_violations_fails() {
    let mut report = Report::default();
    report.check("doc", &json!({}), &[&[("id", Int)]]);
    let outcome = std::panic::catch_unwind(move || report.assert_clean());
    assert!(outcome.is_err());
}

// ---------------------------------------------------------------------------
// The answers
// ---------------------------------------------------------------------------

const CATEGORIES: &str = "https://api.example.org/signals/v1/public/terms/categories";
const HANDLER: &str = "behandelaar@example.org";
const COLLEAGUE: &str = "collega@example.org";

/// Our routers on one test database, trusting one test issuer.
struct Api {
    office: BackOffice,
    store: ObjectStore,
    admin: Router,
    attachments: Router,
    public: Router,
    terms: Router,
}

impl Api {
    async fn new() -> Self {
        let office = BackOffice::with_app(|pool, auth| {
            private_signals::router(private_signals::AppState::new(pool, auth))
        })
        .await;
        let pool = office.db.pool.clone();
        let auth = || office.authenticator();
        let store = test_bucket().await;
        let admin = private_admin::router(private_admin::AppState {
            pool: pool.clone(),
            auth: auth(),
            media_base_url: None,
        });
        let attachments = signal_attachments::router(signal_attachments::AppState {
            pool: pool.clone(),
            auth: auth(),
            store: store.clone(),
            config: Arc::new(signal_attachments::Config::default()),
        });
        let public = crate::fixtures::public_router(&pool);
        let terms = public_terms::router(public_terms::AppState {
            pool,
            media_base_url: None,
        });
        Api {
            office,
            store,
            admin,
            attachments,
            public,
            terms,
        }
    }

    async fn cleanup(self) {
        empty_bucket(&self.store).await;
        self.office.cleanup().await;
    }

    async fn sql(&self, statement: &str) {
        self.office
            .db
            .client()
            .await
            .batch_execute(statement)
            .await
            .expect(statement);
    }

    /// `GET path` on `app` (the private-signals router when `None`), as `user`.
    async fn get(&self, app: Option<&Router>, user: Option<&str>, path: &str) -> Value {
        let (status, body) = call(
            app.unwrap_or(&self.office.app),
            Method::GET,
            path,
            user.map(|email| self.office.token(email)),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }
}

/// One request through `app`; the status and the JSON body.
async fn call(
    app: &Router,
    method: Method,
    path: &str,
    token: Option<String>,
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (content_type, bytes) = body.unwrap_or(("application/json", Vec::new()));
    let request = request
        .header("content-type", content_type)
        .body(Body::from(bytes))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body");
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, json)
}

/// A citizen's report as the frontend's form sends it (`postIncident.json`'s
/// shape): address, contact details, an answer to a category question.
fn citizen_body(sub: &str) -> Value {
    json!({
        "text": "Naast de container ligt een grote berg afval.",
        "location": {
            "geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
            "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                        "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"},
            "stadsdeel": "A",
            "buurt_code": "A04i"
        },
        "category": {"sub_category": format!("{CATEGORIES}/afval/sub_categories/{sub}")},
        "reporter": {"email": "melder@example.com", "phone": "0612345678", "sharing_allowed": true},
        "incident_date_start": "2024-03-01T09:30:00+01:00",
        "extra_properties": [{
            "id": "extra_container_kind",
            "label": "Wat voor container is het?",
            "answer": {"id": "rest", "label": "Restafval"},
            "category_url": format!("/signals/v1/public/terms/categories/afval/sub_categories/{sub}")
        }]
    })
}

async fn uuid_of(api: &Api, id: i32) -> String {
    api.office
        .db
        .client()
        .await
        .query_one(
            "SELECT uuid::text FROM signals_signal WHERE id = $1",
            &[&id],
        )
        .await
        .expect("uuid")
        .get(0)
}

fn multipart_photo() -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----frontendContractBoundary";
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"container.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend(signal_attachments::file::fixtures::jpeg(8, 8));
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The result of `page` whose `key` is `value`.
fn item<'a>(page: &'a Value, key: &str, value: &Value) -> &'a Value {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|item| &item[key] == value)
        .unwrap_or_else(|| panic!("no result with {key} = {value} in {page}"))
}

#[tokio::test]
async fn the_back_office_signal_answers_carry_every_field_the_frontend_reads() {
    let api = Api::new().await;
    api.office
        .user(NewUser {
            email: HANDLER,
            roles: &[(
                "Behandelaar",
                &[
                    "sia_read",
                    "sia_write",
                    "sia_signal_change_status",
                    "sia_signal_change_category",
                    "sia_signal_create_note",
                    "sia_can_view_all_categories",
                    "sia_can_view_contact_details",
                ],
            )],
            departments: &["STW"],
            ..NewUser::default()
        })
        .await;
    api.office
        .user(NewUser {
            email: COLLEAGUE,
            roles: &[("Lezer", &["sia_read"])],
            departments: &["STW"],
            ..NewUser::default()
        })
        .await;
    api.sql(
        "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
         SELECT c.id, d.id, d.code = 'STW', true
         FROM signals_category c JOIN signals_category m ON m.id = c.parent_id, signals_department d
         WHERE m.slug = 'afval' AND c.slug = 'grofvuil' AND d.code IN ('STW', 'ASC')",
    )
    .await;
    let stw: i32 = api
        .office
        .db
        .client()
        .await
        .query_one("SELECT id FROM signals_department WHERE code = 'STW'", &[])
        .await
        .expect("STW")
        .get(0);
    let asc: i32 = api
        .office
        .db
        .client()
        .await
        .query_one("SELECT id FROM signals_department WHERE code = 'ASC'", &[])
        .await
        .expect("ASC")
        .get(0);

    let parent = citizen_report(&api.office.db.pool, &citizen_body("grofvuil")).await;
    let child = citizen_report(&api.office.db.pool, &citizen_body("grofvuil")).await;
    api.sql(&format!(
        "UPDATE signals_signal SET parent_id = {parent} WHERE id = {child}"
    ))
    .await;
    let (content_type, photo) = multipart_photo();
    let (status, body) = call(
        &api.attachments,
        Method::POST,
        &format!(
            "/signals/v1/public/signals/{}/attachments/",
            uuid_of(&api, parent).await
        ),
        None,
        Some((&content_type, photo)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, changed) = api
        .office
        .send_json_as(
            HANDLER,
            Method::PATCH,
            &format!("/signals/v1/private/signals/{parent}"),
            &json!({
                "status": {"state": "b", "text": "We gaan ermee aan de slag."},
                "notes": [{"text": "Melder gebeld."}],
                "directing_departments": [{"id": asc}],
                "routing_departments": [{"id": stw}],
                "assigned_user_email": COLLEAGUE
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");

    let signals = "/signals/v1/private/signals";
    let detail = api
        .get(None, Some(HANDLER), &format!("{signals}/{parent}"))
        .await;
    let child_detail = api
        .get(None, Some(HANDLER), &format!("{signals}/{child}"))
        .await;
    let list = api.get(None, Some(HANDLER), &format!("{signals}/")).await;
    let history = api
        .get(None, Some(HANDLER), &format!("{signals}/{parent}/history"))
        .await;
    let children = api
        .get(
            None,
            Some(HANDLER),
            &format!("{signals}/{parent}/children/"),
        )
        .await;
    let map = api
        .get(None, Some(HANDLER), &format!("{signals}/geography"))
        .await;
    let attachments = api
        .get(
            Some(&api.attachments),
            Some(HANDLER),
            &format!("{signals}/{parent}/attachments/"),
        )
        .await;
    let categories = api
        .get(
            Some(&api.admin),
            Some(HANDLER),
            "/signals/v1/private/categories/?page_size=1000",
        )
        .await;

    let mut report = Report::default();
    report.check(
        "detail",
        &detail,
        &[
            SIGNAL_NESTED,
            SIGNAL_DETAIL,
            PARENT_DIRECTING,
            CHILD_DETAIL_ABSENT,
        ],
    );
    report.check(
        "PATCH answer",
        &changed,
        &[SIGNAL_NESTED, SIGNAL_DETAIL, PARENT_DIRECTING],
    );
    report.check("child detail", &child_detail, &[CHILD_DETAIL]);
    report.check("list", &list, &[HAL_PAGE]);
    report.check(
        "list item",
        item(&list, "id", &json!(parent)),
        &[SIGNAL_NESTED, SIGNAL_LIST_ITEM],
    );
    assert_eq!(
        item(&list, "id", &json!(parent))["has_children"],
        true,
        "the parent's list item says it has children"
    );
    match history.as_array() {
        Some(entries) if !entries.is_empty() => {
            for entry in entries {
                let name = format!("history entry {}", entry["what"]);
                report.check(&name, entry, &[HISTORY_ENTRY]);
            }
        }
        _ => report
            .0
            .push(format!("history: not a non-empty array: {history}")),
    }
    report.check("children", &children, &[HAL_PAGE]);
    report.check(
        "child item",
        item(&children, "id", &json!(child)),
        &[CHILD_ITEM],
    );
    // `MetaList` takes the parent's id from the end of `sia:parent`, the
    // children's ids from `sia:children`; the sub category select matches
    // `category.category_url` against the private categories' `self.public`.
    let last_segment = |href: Option<&Value>| {
        href.and_then(Value::as_str)
            .and_then(|h| h.rsplit('/').next())
            .map(|id| json!(id.parse::<i64>().ok()))
    };
    report.same(
        "id at the end of the child's sia:parent",
        last_segment(at(&child_detail, "_links.sia:parent.href")).as_ref(),
        Some(&json!(parent)),
    );
    report.same(
        "id at the end of the parent's sia:children",
        last_segment(at(&detail, "_links.sia:children.0.href")).as_ref(),
        Some(&json!(child)),
    );
    report.same(
        "detail category_url = the private category's public link",
        at(&detail, "category.category_url"),
        at(
            item(&categories, "slug", &json!("grofvuil")),
            "_links.self.public",
        ),
    );
    report.check("private map", &map, &[PRIVATE_MAP]);
    report.check("attachments", &attachments, &[HAL_PAGE]);
    report.check("attachment", &attachments["results"][0], &[ATTACHMENT]);
    report.assert_clean();
    api.cleanup().await;
}

#[tokio::test]
async fn the_back_office_bootstrap_answers_carry_every_field_the_frontend_reads() {
    let api = Api::new().await;
    api.office
        .user(NewUser {
            email: HANDLER,
            first_name: "Jan",
            roles: &[("Behandelaar", &["sia_read", "sia_signal_change_status"])],
            direct: &["sia_can_view_contact_details"],
            departments: &["STW"],
            ..NewUser::default()
        })
        .await;
    api.sql(
        "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
         SELECT c.id, d.id, d.code = 'STW', true
         FROM signals_category c JOIN signals_category m ON m.id = c.parent_id, signals_department d
         WHERE m.slug = 'afval' AND c.slug = 'grofvuil' AND d.code IN ('STW', 'ASC')",
    )
    .await;

    let me = api
        .get(Some(&api.admin), Some(HANDLER), "/signals/v1/private/me/")
        .await;
    let departments = api
        .get(
            Some(&api.admin),
            Some(HANDLER),
            "/signals/v1/private/departments/",
        )
        .await;
    let categories = api
        .get(
            Some(&api.admin),
            Some(HANDLER),
            "/signals/v1/private/categories/?page_size=1000",
        )
        .await;
    let sources = api
        .get(
            Some(&api.admin),
            Some(HANDLER),
            "/signals/v1/private/sources/?is_active=true",
        )
        .await;

    let mut report = Report::default();
    report.check("me", &me, &[ME]);
    report.check("departments", &departments, &[HAL_PAGE]);
    report.check(
        "department",
        item(&departments, "code", &json!("STW")),
        &[DEPARTMENT],
    );
    report.check("categories", &categories, &[HAL_PAGE]);
    let grofvuil = categories["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|c| c["slug"] == "grofvuil")
        .expect("grofvuil in the first page of 1000");
    report.check(
        "sub category",
        grofvuil,
        &[PRIVATE_CATEGORY, PRIVATE_SUB_CATEGORY],
    );
    report.check(
        "main category",
        item(&categories, "slug", &json!("afval")),
        &[PRIVATE_CATEGORY, PRIVATE_MAIN_CATEGORY],
    );
    report.check("sources", &sources, &[HAL_PAGE]);
    report.check("source", &sources["results"][0], &[SOURCE]);
    report.assert_clean();
    api.cleanup().await;
}

#[tokio::test]
async fn the_public_answers_carry_every_field_the_frontend_reads() {
    let api = Api::new().await;
    api.sql("UPDATE signals_category SET is_public_accessible = true WHERE slug = 'grofvuil'")
        .await;

    let terms = api
        .get(
            Some(&api.terms),
            None,
            "/signals/v1/public/terms/categories/",
        )
        .await;
    let sub = api
        .get(
            Some(&api.terms),
            None,
            "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil",
        )
        .await;
    // The form sends the classification's `_links.self.href` back as
    // `category.sub_category` (`IncidentContainer/selectors.js`).
    let mut body = citizen_body("grofvuil");
    body["category"]["sub_category"] = sub["_links"]["self"]["href"].clone();
    let (status, created) = call(
        &api.public,
        Method::POST,
        "/signals/v1/public/signals/",
        None,
        Some(("application/json", body.to_string().into_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let uuid = created["signal_id"].as_str().unwrap_or_default();
    let fetched = api
        .get(
            Some(&api.public),
            None,
            &format!("/signals/v1/public/signals/{uuid}"),
        )
        .await;
    let map = api
        .get(
            Some(&api.public),
            None,
            "/signals/v1/public/signals/geography?bbox=4.8,52.3,5.0,52.4",
        )
        .await;

    let mut report = Report::default();
    report.check("create answer", &created, &[PUBLIC_SIGNAL]);
    report.check("public signal", &fetched, &[PUBLIC_SIGNAL]);
    report.check("public map", &map, &[PUBLIC_MAP]);
    report.check("terms", &terms, &[HAL_PAGE]);
    report.check(
        "terms main category",
        item(&terms, "slug", &json!("afval")),
        &[TERMS_MAIN_CATEGORY],
    );
    report.check("terms sub category", &sub, &[TERMS_SUB_CATEGORY]);
    report.assert_clean();
    api.cleanup().await;
}
