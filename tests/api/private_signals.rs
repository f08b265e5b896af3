//! The back office's signal reads through the `private-signals` router on a
//! real database (spec 04 §1–§6, 06, 01 §9.3): every list filter with a
//! case that selects and one that does not, the orderings, HAL pagination,
//! visibility by department (list and object rules), authentication,
//! masked contact details, the detail, history with its `what` filter,
//! children and the map.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::auth::{AUDIENCE, BackOffice, ISSUER, NewUser};

const LIST: &str = "/signals/v1/private/signals/";
const BASE: &str = "https://api.example.org";

async fn office() -> BackOffice {
    BackOffice::with_app(|pool, auth| {
        private_signals::router(private_signals::AppState::new(pool, auth))
    })
    .await
}

/// A user with a role of `permissions` and the departments with `codes`.
async fn employee(
    office: &BackOffice,
    email: &'static str,
    permissions: &'static [&'static str],
    departments: &'static [&'static str],
) {
    office
        .user(NewUser {
            email,
            roles: &[(email, permissions)],
            departments,
            ..NewUser::default()
        })
        .await;
}

const ADMIN: &str = "beheerder@example.org";

async fn admin(office: &BackOffice) {
    office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("timestamp")
        .with_timezone(&Utc)
}

/// What a test signal is made of; each current aspect gets one row.
struct Spec {
    category: (&'static str, &'static str),
    state: &'static str,
    priority: &'static str,
    type_code: &'static str,
    source: &'static str,
    /// `None`: the signal has no location at all.
    location: Option<Place>,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    created_at: &'static str,
    updated_at: &'static str,
    incident: &'static str,
    deadlines: Option<(&'static str, &'static str)>,
    parent: Option<i32>,
}

struct Place {
    stadsdeel: Option<&'static str>,
    buurt_code: Option<&'static str>,
    /// (type code, code, name)
    area: Option<(&'static str, &'static str, &'static str)>,
    /// (address text, postcode); none: `""` and no postcode.
    address: Option<(&'static str, &'static str)>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            category: ("overig", "overig"),
            state: "m",
            priority: "normal",
            type_code: "SIG",
            source: "Interne melding",
            location: Some(Place {
                stadsdeel: None,
                buurt_code: None,
                area: None,
                address: None,
            }),
            email: None,
            phone: None,
            created_at: "2024-03-01T10:00:00+01:00",
            updated_at: "2024-03-01T10:00:00+01:00",
            incident: "2024-03-01T09:00:00+01:00",
            deadlines: None,
            parent: None,
        }
    }
}

/// Writes a signal with its aspects as the create would, pointers set; its id.
async fn make(office: &BackOffice, spec: Spec) -> i32 {
    let mut client = office.db.client().await;
    let tx = client.transaction().await.expect("transaction");
    let created = at(spec.created_at);
    let id: i32 = tx
        .query_one(
            "INSERT INTO signals_signal (source, text, incident_date_start, parent_id, created_at, updated_at)
             VALUES ($1, 'Er ligt afval.', $2, $3, $4, $5) RETURNING id",
            &[&spec.source, &at(spec.incident), &spec.parent, &created, &at(spec.updated_at)],
        )
        .await
        .expect("signal")
        .get(0);
    let location: Option<i32> = match &spec.location {
        None => None,
        Some(place) => {
            let (address, address_text, postcode) = match place.address {
                Some((text, postcode)) => (
                    Some(
                        json!({"openbare_ruimte": text.split(' ').next(), "huisnummer": 1,
                                "postcode": postcode, "woonplaats": "Amsterdam"}),
                    ),
                    text.to_owned(),
                    Some(postcode),
                ),
                None => (None, String::new(), None),
            };
            let (area_type, area_code, area_name) = match place.area {
                Some((t, c, n)) => (Some(t), Some(c), Some(n)),
                None => (None, None, None),
            };
            Some(
                tx.query_one(
                    "INSERT INTO signals_location (_signal_id, geometrie, stadsdeel, buurt_code, area_type_code,
                                                   area_code, area_name, address, address_text, postcode,
                                                   created_at, updated_at)
                     VALUES ($1, ST_SetSRID(ST_MakePoint(4.9, 52.37), 4326), $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
                     RETURNING id",
                    &[&id, &place.stadsdeel, &place.buurt_code, &area_type, &area_code, &area_name,
                      &address, &address_text, &postcode, &created],
                )
                .await
                .expect("location")
                .get(0),
            )
        }
    };
    let (deadline, factor_3) = match spec.deadlines {
        Some((d, f)) => (Some(at(d)), Some(at(f))),
        None => (None, None),
    };
    let row = tx
        .query_one(
            "WITH st AS (INSERT INTO signals_status (_signal_id, state, created_at, updated_at)
                         VALUES ($1, $2, $3, $3) RETURNING id),
                  ca AS (INSERT INTO signals_categoryassignment (_signal_id, category_id, deadline,
                                                                 deadline_factor_3, created_at, updated_at)
                         SELECT $1, c.id, $4, $5, $3, $3 FROM signals_category c
                         JOIN signals_category m ON m.id = c.parent_id WHERE m.slug = $6 AND c.slug = $7
                         RETURNING id),
                  rep AS (INSERT INTO signals_reporter (_signal_id, email, phone, state, created_at, updated_at)
                          VALUES ($1, $8, $9, 'approved', $3, $3) RETURNING id),
                  pr AS (INSERT INTO signals_priority (_signal_id, priority, created_at, updated_at)
                         VALUES ($1, $10, $3, $3) RETURNING id),
                  ty AS (INSERT INTO signals_type (_signal_id, name, created_at) VALUES ($1, $11, $3) RETURNING id)
             SELECT (SELECT id FROM st), (SELECT id FROM ca), (SELECT id FROM rep), (SELECT id FROM pr),
                    (SELECT id FROM ty)",
            &[&id, &spec.state, &created, &deadline, &factor_3, &spec.category.0, &spec.category.1,
              &spec.email, &spec.phone, &spec.priority, &spec.type_code],
        )
        .await
        .expect("aspects");
    let ids: Vec<i32> = (0..5).map(|i| row.get(i)).collect();
    tx.execute(
        "UPDATE signals_signal SET location_id = $2, status_id = $3, category_assignment_id = $4,
                reporter_id = $5, priority_id = $6, type_assignment_id = $7 WHERE id = $1",
        &[&id, &location, &ids[0], &ids[1], &ids[2], &ids[3], &ids[4]],
    )
    .await
    .expect("pointers");
    tx.commit().await.expect("commit");
    id
}

/// A new department relation of `relation_type` with `codes`, made current.
async fn relate(office: &BackOffice, id: i32, relation_type: &str, codes: &[&str]) {
    let pointer = if relation_type == "routing" {
        "routing_assignment_id"
    } else {
        "directing_departments_assignment_id"
    };
    let codes: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    let client = office.db.client().await;
    let relation: i32 = client
        .query_one(
            "INSERT INTO signals_signaldepartments (_signal_id, relation_type) VALUES ($1, $2) RETURNING id",
            &[&id, &relation_type],
        )
        .await
        .expect("relation")
        .get(0);
    client
        .execute(
            "INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
             SELECT $1, id FROM signals_department WHERE code = ANY($2)",
            &[&relation, &codes],
        )
        .await
        .expect("departments");
    client
        .execute(
            &format!("UPDATE signals_signal SET {pointer} = $2 WHERE id = $1"),
            &[&id, &relation],
        )
        .await
        .expect("pointer");
}

async fn sql(office: &BackOffice, statement: &str) {
    office
        .db
        .client()
        .await
        .batch_execute(statement)
        .await
        .expect("statement");
}

/// The signals of the filter tests, by name.
struct Fixture {
    a: i32,
    b: i32,
    p: i32,
    c1: i32,
    q: i32,
    c2: i32,
    d: i32,
    grofvuil: i32,
}

impl Fixture {
    fn all(&self) -> BTreeSet<i32> {
        [self.a, self.b, self.p, self.c1, self.q, self.c2, self.d]
            .into_iter()
            .collect()
    }

    fn name(&self, id: i32) -> &'static str {
        match id {
            id if id == self.a => "A",
            id if id == self.b => "B",
            id if id == self.p => "P",
            id if id == self.c1 => "C1",
            id if id == self.q => "Q",
            id if id == self.c2 => "C2",
            id if id == self.d => "D",
            _ => "?",
        }
    }
}

/// Seven signals that differ in every filtered aspect:
/// * A: afval/grofvuil, `m`, normal, SIG, online, district A, buurt A04i,
///   area district/centrum, Amstel 1, e-mail, assigned, on time, incident
///   just after midnight on 1 March (29 February in UTC);
/// * B: afval/container-is-vol, `b`, high, REQ, `Telefoon – ASC`, district
///   E, Dam 1, phone, routed to STW, a note, late (also by factor 3);
/// * P: a parent (overig), `i`, low, COM, directing ASC, no deadline;
///   its child C1 (`m`) changed after it;
/// * Q: a parent (`b`) without directing relation, changed after its child
///   C2 (`ingepland`, no location at all);
/// * D: grofvuil, closed (`o`) past its deadline, district K, Zeedijk 5.
async fn fixture(office: &BackOffice) -> Fixture {
    sql(
        office,
        "INSERT INTO signals_areatype (name, code) VALUES ('Wijk', 'district'), ('Stadsdeel', 'sia-stadsdeel');
         INSERT INTO signals_area (name, code, _type_id, geometry)
         SELECT v.name, v.code, t.id, ST_Multi(ST_MakeEnvelope(4.8, 52.3, 5.0, 52.4, 4326))
         FROM (VALUES ('Centrum', 'centrum'), ('Noord', 'noord')) v (name, code), signals_areatype t
         WHERE t.code = 'district';
         INSERT INTO buurt_simple (ogc_fid, id, vollcode, naam)
         VALUES (1, '03630000000001', 'A04i', 'Nieuwmarkt'), (2, '03630000000002', 'E01a', 'Spaarndammer'),
                (3, '03630000000003', 'N12x', 'Noord');",
    )
    .await;
    let a = make(
        office,
        Spec {
            category: ("afval", "grofvuil"),
            source: "online",
            location: Some(Place {
                stadsdeel: Some("A"),
                buurt_code: Some("A04i"),
                area: Some(("district", "centrum", "Centrum")),
                address: Some(("Amstel 1 1011PN Amsterdam", "1011PN")),
            }),
            email: Some("melder@example.com"),
            created_at: "2024-03-01T10:00:00+01:00",
            updated_at: "2024-03-01T10:00:00+01:00",
            incident: "2024-03-01T00:30:00+01:00",
            deadlines: Some(("2999-01-01T00:00:00Z", "2999-01-03T00:00:00Z")),
            ..Spec::default()
        },
    )
    .await;
    let b = make(
        office,
        Spec {
            category: ("afval", "container-is-vol"),
            state: "b",
            priority: "high",
            type_code: "REQ",
            source: "Telefoon – ASC",
            location: Some(Place {
                stadsdeel: Some("E"),
                buurt_code: Some("E01a"),
                area: None,
                address: Some(("Dam 1 1012JS Amsterdam", "1012JS")),
            }),
            phone: Some("0612345678"),
            created_at: "2024-03-02T10:00:00+01:00",
            updated_at: "2024-03-02T10:00:00+01:00",
            incident: "2024-03-02T09:00:00+01:00",
            deadlines: Some(("2020-01-01T00:00:00Z", "2020-01-03T00:00:00Z")),
            ..Spec::default()
        },
    )
    .await;
    let p = make(
        office,
        Spec {
            state: "i",
            priority: "low",
            type_code: "COM",
            created_at: "2024-03-03T10:00:00+01:00",
            updated_at: "2024-03-03T10:00:00+01:00",
            incident: "2024-03-03T09:00:00+01:00",
            ..Spec::default()
        },
    )
    .await;
    let c1 = make(
        office,
        Spec {
            created_at: "2024-03-04T10:00:00+01:00",
            updated_at: "2024-03-10T10:00:00+01:00",
            incident: "2024-03-04T09:00:00+01:00",
            parent: Some(p),
            ..Spec::default()
        },
    )
    .await;
    let q = make(
        office,
        Spec {
            state: "b",
            created_at: "2024-03-05T10:00:00+01:00",
            updated_at: "2024-03-20T10:00:00+01:00",
            incident: "2024-03-05T09:00:00+01:00",
            ..Spec::default()
        },
    )
    .await;
    let c2 = make(
        office,
        Spec {
            state: "ingepland",
            location: None,
            created_at: "2024-03-06T10:00:00+01:00",
            updated_at: "2024-03-06T10:00:00+01:00",
            incident: "2024-03-06T09:00:00+01:00",
            parent: Some(q),
            ..Spec::default()
        },
    )
    .await;
    let d = make(
        office,
        Spec {
            category: ("afval", "grofvuil"),
            state: "o",
            source: "online",
            location: Some(Place {
                stadsdeel: Some("K"),
                buurt_code: None,
                area: None,
                address: Some(("Zeedijk 5 1012AB Amsterdam", "1012AB")),
            }),
            created_at: "2024-03-07T10:00:00+01:00",
            updated_at: "2024-03-07T10:00:00+01:00",
            incident: "2024-03-07T09:00:00+01:00",
            deadlines: Some(("2020-01-01T00:00:00Z", "2020-01-03T00:00:00Z")),
            ..Spec::default()
        },
    )
    .await;
    relate(office, b, "routing", &["STW"]).await;
    relate(office, p, "directing", &["ASC"]).await;
    let client = office.db.client().await;
    client
        .execute(
            "INSERT INTO signals_note (_signal_id, text, created_by) VALUES ($1, 'Melder gebeld over de container.', 'medewerker@example.org')",
            &[&b],
        )
        .await
        .expect("note");
    let assignee = office
        .user(NewUser {
            email: "behandelaar@example.org",
            ..NewUser::default()
        })
        .await;
    client
        .execute(
            "WITH su AS (INSERT INTO signals_signaluser (_signal_id, user_id) VALUES ($1, $2) RETURNING id)
             UPDATE signals_signal SET user_assignment_id = (SELECT id FROM su) WHERE id = $1",
            &[&a, &assignee],
        )
        .await
        .expect("assignment");
    let grofvuil: i32 = client
        .query_one(
            "SELECT c.id FROM signals_category c JOIN signals_category m ON m.id = c.parent_id
             WHERE m.slug = 'afval' AND c.slug = 'grofvuil'",
            &[],
        )
        .await
        .expect("category")
        .get(0);
    Fixture {
        a,
        b,
        p,
        c1,
        q,
        c2,
        d,
        grofvuil,
    }
}

fn ids(page: &Value) -> Vec<i32> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|item| item["id"].as_i64().expect("id") as i32)
        .collect()
}

async fn list(office: &BackOffice, email: &str, query: &str) -> (StatusCode, Value) {
    office
        .get_as(email, &format!("{LIST}?page_size=1000&{query}"))
        .await
}

#[tokio::test]
async fn every_filter_selects_its_signals_and_only_those() {
    let office = office().await;
    admin(&office).await;
    let f = fixture(&office).await;
    let all = f.all();
    let but = |left_out: &[i32]| -> Vec<i32> {
        all.iter()
            .copied()
            .filter(|id| !left_out.contains(id))
            .collect()
    };
    let grofvuil = f.grofvuil;
    let cases: Vec<(String, Vec<i32>)> = vec![
        (format!("id={}", f.a), vec![f.a]),
        ("id=0".into(), vec![]),
        ("id=1.5".into(), vec![]),
        ("address_text=amstel".into(), vec![f.a]),
        ("address_text=_".into(), vec![]),
        ("address_text=nergens".into(), vec![]),
        ("area_code=centrum".into(), vec![f.a]),
        ("area_code=noord".into(), vec![]),
        ("area_code=null".into(), but(&[f.a])),
        ("area_code=null&area_code=centrum".into(), but(&[])),
        ("area_type_code=district".into(), vec![f.a]),
        ("area_type_code=sia-stadsdeel".into(), vec![]),
        ("area_type_code=null".into(), but(&[f.a])),
        ("buurt_code=A04i".into(), vec![f.a]),
        ("buurt_code=A04i&buurt_code=E01a".into(), vec![f.a, f.b]),
        ("buurt_code=N12x".into(), vec![]),
        (format!("category_id={grofvuil}"), vec![f.a, f.d]),
        (
            format!(
                "category_id={grofvuil}&maincategory_slug=overig&category_slug=container-is-vol"
            ),
            vec![f.a, f.d],
        ),
        ("maincategory_slug=afval".into(), vec![f.a, f.b, f.d]),
        ("category_slug=container-is-vol".into(), vec![f.b]),
        ("category_slug=container-is-kapot".into(), vec![]),
        ("category_slug=overig".into(), vec![f.p, f.c1, f.q, f.c2]),
        (
            "maincategory_slug=overig&category_slug=grofvuil".into(),
            but(&[f.b]),
        ),
        ("contact_details=email".into(), vec![f.a]),
        ("contact_details=phone".into(), vec![f.b]),
        ("contact_details=none".into(), but(&[f.a, f.b])),
        (
            "contact_details=email&contact_details=phone".into(),
            vec![f.a, f.b],
        ),
        (
            "contact_details=email&contact_details=phone&contact_details=none".into(),
            but(&[]),
        ),
        (
            "created_before=2024-03-01T12:00:00%2B01:00".into(),
            vec![f.a],
        ),
        ("created_before=2024-02-01T00:00:00".into(), vec![]),
        (
            "created_after=2024-03-07T00:00:00%2B01:00".into(),
            vec![f.d],
        ),
        ("created_after=2025-01-01".into(), vec![]),
        ("updated_after=2024-03-15".into(), vec![f.q]),
        ("updated_before=2024-03-01T12:00:00".into(), vec![f.a]),
        ("updated_after=2024-04-01".into(), vec![]),
        ("incident_date=2024-03-01".into(), vec![f.a]),
        ("incident_date=2024-02-29".into(), vec![]),
        ("incident_date=01-03-2024".into(), vec![f.a]),
        ("incident_date_before=2024-03-06".into(), vec![f.c2, f.d]),
        ("incident_date_after=2024-03-01".into(), vec![f.a]),
        ("incident_date_after=2024-02-28".into(), vec![]),
        ("directing_department=ASC".into(), vec![f.p]),
        ("directing_department=STW".into(), vec![]),
        ("directing_department=null".into(), vec![f.q]),
        (
            "directing_department=null&directing_department=ASC".into(),
            vec![f.p, f.q],
        ),
        ("routing_department_code=STW".into(), vec![f.b]),
        ("routing_department_code=ASC".into(), vec![]),
        ("routing_department_code=null".into(), but(&[f.b])),
        (
            "assigned_user_email=behandelaar@example.org".into(),
            vec![f.a],
        ),
        (
            "assigned_user_email=BEHANDELAAR@Example.org".into(),
            vec![f.a],
        ),
        ("assigned_user_email=niemand@example.org".into(), vec![]),
        ("assigned_user_email=null".into(), but(&[f.a])),
        ("reporter_email=MELDER@example.com".into(), vec![f.a]),
        ("reporter_email=melder@example".into(), vec![]),
        ("feedback=satisfied".into(), vec![]),
        ("feedback=not_received".into(), vec![]),
        ("has_changed_children=true".into(), vec![f.p]),
        ("has_changed_children=False".into(), vec![f.q]),
        (
            "has_changed_children=1&has_changed_children=0".into(),
            vec![f.p, f.q],
        ),
        ("kind=signal".into(), vec![f.a, f.b, f.d]),
        ("kind=parent_signal".into(), vec![f.p, f.q]),
        ("kind=child_signal".into(), vec![f.c1, f.c2]),
        ("kind=exclude_parent_signal".into(), but(&[f.p, f.q])),
        ("kind=signal&kind=child_signal".into(), but(&[f.p, f.q])),
        (
            "kind=parent_signal&kind=exclude_parent_signal".into(),
            but(&[]),
        ),
        ("note_keyword=GEBELD".into(), vec![f.b]),
        ("note_keyword=%25".into(), vec![]),
        ("note_keyword=afgehandeld".into(), vec![]),
        ("priority=high".into(), vec![f.b]),
        ("priority=low&priority=high".into(), vec![f.b, f.p]),
        ("priority=normal".into(), but(&[f.b, f.p])),
        ("punctuality=on_time".into(), vec![f.a]),
        ("punctuality=late".into(), vec![f.b]),
        ("punctuality=late_factor_3".into(), vec![f.b]),
        ("punctuality=null".into(), vec![f.p, f.c1, f.q, f.c2]),
        ("source=Telefoon%20%E2%80%93%20ASC".into(), vec![f.b]),
        ("source=online&source=Interne%20melding".into(), but(&[f.b])),
        ("source=E-mail%20%E2%80%93%20CCA".into(), vec![]),
        ("stadsdeel=A".into(), vec![f.a]),
        ("stadsdeel=A&stadsdeel=K".into(), vec![f.a, f.d]),
        ("stadsdeel=N".into(), vec![]),
        ("stadsdeel=null".into(), vec![f.p, f.c1, f.q, f.c2]),
        ("status=m".into(), vec![f.a, f.c1]),
        ("status=b&status=ingepland".into(), vec![f.b, f.q, f.c2]),
        ("status=reopened".into(), vec![]),
        ("type=REQ".into(), vec![f.b]),
        ("type=COM&type=REQ".into(), vec![f.b, f.p]),
        ("type=PRJ".into(), vec![]),
        ("status=m&kind=child_signal".into(), vec![f.c1]),
        ("status=m&priority=high".into(), vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = list(&office, ADMIN, &query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        let found: BTreeSet<&str> = ids(&page).into_iter().map(|id| f.name(id)).collect();
        let wanted: BTreeSet<&str> = expected.into_iter().map(|id| f.name(id)).collect();
        assert_eq!(found, wanted, "{query}");
        assert_eq!(page["count"], found.len(), "{query}");
    }
    office.cleanup().await;
}

#[tokio::test]
async fn invalid_filter_values_are_400s_with_the_frameworks_messages() {
    let office = office().await;
    admin(&office).await;
    fixture(&office).await;
    let choice = |v: &str| format!("Selecteer een geldige keuze. {v} is geen beschikbare keuze.");

    for (query, expected) in [
        (
            "area_code=nergens",
            json!({"area_code": [choice("nergens")]}),
        ),
        (
            "area_type_code=wijk",
            json!({"area_type_code": [choice("wijk")]}),
        ),
        ("buurt_code=ZZ99", json!({"buurt_code": [choice("ZZ99")]})),
        (
            "category_id=999999",
            json!({"category_id": [choice("999999")]}),
        ),
        (
            "category_slug=afval",
            json!({"category_slug": [choice("afval")]}),
        ),
        (
            "maincategory_slug=grofvuil",
            json!({"maincategory_slug": [choice("grofvuil")]}),
        ),
        ("source=Postduif", json!({"source": [choice("Postduif")]})),
        (
            "directing_department=XYZ",
            json!({"directing_department": [choice("XYZ")]}),
        ),
        (
            "routing_department_code=ASC&routing_department_code=QQQ",
            json!({"routing_department_code": [choice("QQQ")]}),
        ),
        ("status=x", json!({"status": [choice("x")]})),
        (
            "created_after=gisteren",
            json!({"created_after": ["Voer een geldige datum/tijd in."]}),
        ),
        (
            "incident_date=2024-13-01",
            json!({"incident_date": ["Voer een geldige datum in."]}),
        ),
        (
            "incident_date_before=maart",
            json!({"incident_date_before": ["Voer een geldige datum in."]}),
        ),
        ("id=een", json!({"id": ["Voer een getal in."]})),
        (
            "source=Postduif&stadsdeel=Z&area_code=nergens",
            json!({"area_code": [choice("nergens")], "source": [choice("Postduif")], "stadsdeel": [choice("Z")]}),
        ),
    ] {
        let (status, body) = list(&office, ADMIN, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body, expected, "{query}");
    }
    office.cleanup().await;
}

#[tokio::test]
async fn orderings_sort_by_their_keys_with_nulls_as_postgres_orders_them() {
    let office = office().await;
    admin(&office).await;
    let f = fixture(&office).await;
    let names = |page: &Value| -> Vec<&'static str> {
        ids(page).into_iter().map(|id| f.name(id)).collect()
    };

    for (ordering, expected) in [
        ("", vec!["D", "C2", "Q", "C1", "P", "B", "A"]),
        (
            "ordering=onbekend",
            vec!["D", "C2", "Q", "C1", "P", "B", "A"],
        ),
        (
            "ordering=created_at",
            vec!["A", "B", "P", "C1", "Q", "C2", "D"],
        ),
        ("ordering=id", vec!["A", "B", "P", "C1", "Q", "C2", "D"]),
        ("ordering=-id", vec!["D", "C2", "Q", "C1", "P", "B", "A"]),
        (
            "ordering=-updated_at",
            vec!["Q", "C1", "D", "C2", "P", "B", "A"],
        ),
        (
            "ordering=priority",
            vec!["B", "P", "A", "C1", "Q", "C2", "D"],
        ),
        (
            "ordering=-priority",
            vec!["D", "C2", "Q", "C1", "A", "P", "B"],
        ),
        ("ordering=status", vec!["B", "Q", "P", "C2", "A", "C1", "D"]),
        (
            "ordering=stadsdeel",
            vec!["A", "B", "D", "P", "C1", "Q", "C2"],
        ),
        (
            "ordering=-stadsdeel",
            vec!["C2", "Q", "C1", "P", "D", "B", "A"],
        ),
        (
            "ordering=sub_category",
            vec!["B", "A", "D", "P", "C1", "Q", "C2"],
        ),
        (
            "ordering=main_category",
            vec!["A", "B", "D", "P", "C1", "Q", "C2"],
        ),
        (
            "ordering=address",
            vec!["P", "C1", "Q", "A", "B", "D", "C2"],
        ),
        (
            "ordering=postcode",
            vec!["A", "D", "B", "P", "C1", "Q", "C2"],
        ),
        (
            "ordering=area_name",
            vec!["A", "B", "P", "C1", "Q", "C2", "D"],
        ),
        (
            "ordering=-assigned_user_email",
            vec!["D", "C2", "Q", "C1", "P", "B", "A"],
        ),
        (
            "ordering=assigned_user_email",
            vec!["A", "B", "P", "C1", "Q", "C2", "D"],
        ),
        (
            "ordering=-priority,created_at",
            vec!["A", "C1", "Q", "C2", "D", "P", "B"],
        ),
        (
            "ordering=-priority,onbekend,-created_at",
            vec!["D", "C2", "Q", "C1", "A", "P", "B"],
        ),
    ] {
        let (status, page) = list(&office, ADMIN, ordering).await;
        assert_eq!(status, StatusCode::OK, "{ordering}: {page}");
        assert_eq!(names(&page), expected, "{ordering}");
    }
    office.cleanup().await;
}

#[tokio::test]
async fn the_list_is_hal_paginated_with_links_that_repeat_the_query() {
    let office = office().await;
    admin(&office).await;
    let f = fixture(&office).await;

    let (status, first) = office
        .get_as(
            ADMIN,
            &format!("{LIST}?page_size=3&status=m&status=b&status=i&status=ingepland&status=o"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["count"], 7);
    assert_eq!(ids(&first), [f.d, f.c2, f.q]);
    assert_eq!(
        first["_links"]["self"]["href"],
        format!("{BASE}{LIST}?page_size=3&status=m&status=b&status=i&status=ingepland&status=o")
    );
    assert_eq!(
        first["_links"]["next"]["href"],
        format!(
            "{BASE}{LIST}?page=2&page_size=3&status=m&status=b&status=i&status=ingepland&status=o"
        )
    );
    assert_eq!(first["_links"]["previous"], json!({"href": null}));

    let (_, second) = office
        .get_as(ADMIN, &format!("{LIST}?page_size=3&page=2"))
        .await;
    assert_eq!(ids(&second), [f.c1, f.p, f.b]);
    assert_eq!(
        second["_links"]["previous"]["href"],
        format!("{BASE}{LIST}?page=1&page_size=3")
    );
    let (_, last) = office
        .get_as(ADMIN, &format!("{LIST}?page_size=3&page=last"))
        .await;
    assert_eq!(ids(&last), [f.a]);
    assert_eq!(last["_links"]["next"], json!({"href": null}));
    assert_eq!(
        last["_links"]["previous"]["href"],
        format!("{BASE}{LIST}?page=2&page_size=3")
    );
    for beyond in ["page=4", "page=0", "page=twee"] {
        let (status, body) = office
            .get_as(ADMIN, &format!("{LIST}?page_size=3&{beyond}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{beyond}");
        assert_eq!(body, json!({"detail": "Ongeldige pagina."}));
    }
    let (status, unslashed) = office.get_as(ADMIN, "/signals/v1/private/signals").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        unslashed["count"], 7,
        "default page size 100 holds them all"
    );
    office.cleanup().await;
}

#[tokio::test]
async fn departments_see_their_categories_and_routed_signals_and_others_nothing() {
    let office = office().await;
    let f = fixture(&office).await;
    sql(
        &office,
        "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
         SELECT c.id, d.id, false, true FROM signals_category c JOIN signals_category m ON m.id = c.parent_id,
                signals_department d
         WHERE m.slug = 'afval' AND c.slug = 'grofvuil' AND d.code = 'ASC'",
    )
    .await;
    employee(&office, "asc@example.org", &["sia_read"], &["ASC"]).await;
    employee(&office, "stw@example.org", &["sia_read"], &["STW"]).await;
    employee(&office, "oov@example.org", &["sia_read"], &["OOV"]).await;
    employee(
        &office,
        "alles@example.org",
        &["sia_read", "sia_can_view_all_categories"],
        &[],
    )
    .await;
    employee(
        &office,
        "gast@example.org",
        &["sia_signal_report"],
        &["ASC"],
    )
    .await;
    let set = |page: &Value| -> BTreeSet<i32> { ids(page).into_iter().collect() };

    let (_, asc) = list(&office, "asc@example.org", "").await;
    assert_eq!(set(&asc), [f.a, f.d].into_iter().collect());
    let (_, stw) = list(&office, "stw@example.org", "").await;
    assert_eq!(set(&stw), [f.b].into_iter().collect());
    let (status, oov) = list(&office, "oov@example.org", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(oov["count"], 0);
    let (_, everything) = list(&office, "alles@example.org", "").await;
    assert_eq!(set(&everything), f.all());
    let (status, _) = list(&office, "gast@example.org", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the list needs sia_read");

    let forbidden = json!({"detail": "Je hebt geen toestemming om deze actie uit te voeren."});
    for path in [
        format!("{LIST}{}", f.a),
        format!("{LIST}{}/history", f.a),
        format!("{LIST}{}/children/", f.p),
    ] {
        let (status, body) = office.get_as("oov@example.org", &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body, forbidden, "{path}");
        let (status, _) = office.get_as("alles@example.org", &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, _) = office
        .get_as("asc@example.org", &format!("{LIST}{}", f.a))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = office
        .get_as("oov@example.org", &format!("{LIST}999999"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"detail": "No Signal matches the given query."})
    );
    let (status, body) = office
        .get_as("alles@example.org", &format!("{LIST}abc"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Niet gevonden."}));

    // B is routed away from STW: the list (current routing) drops it, the
    // object rule (any routing ever) still lets STW open it.
    relate(&office, f.b, "routing", &[]).await;
    let (_, stw) = list(&office, "stw@example.org", "").await;
    assert_eq!(stw["count"], 0);
    let (status, detail) = office
        .get_as("stw@example.org", &format!("{LIST}{}", f.b))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["routing_departments"], json!([]));
    office.cleanup().await;
}

/// Whether `signals_signal_routing` (V0019) holds exactly one row per
/// current routing department of every signal, with its creation time and
/// current category.
async fn routing_runs_match_the_signals(office: &BackOffice) -> bool {
    office
        .db
        .client()
        .await
        .query_one(
            "SELECT (SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM
                        (SELECT row(d, s.created_at, s.id, s.current_category_id)::text AS x
                         FROM signals_signal s, unnest(s.current_routing_department_ids) AS d) AS copy)
                    = (SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM
                        (SELECT row(department_id, created_at, signal_id, category_id)::text AS x
                         FROM signals_signal_routing) AS runs)",
            &[],
        )
        .await
        .expect("routing runs")
        .get(0)
}

/// A signal of the merge test: what decides whether a department sees it.
struct Made {
    id: i32,
    created: DateTime<Utc>,
    /// The sub-category's slug.
    category: &'static str,
    state: &'static str,
    routing: &'static [&'static str],
}

impl Made {
    /// ASC sees grofvuil, STW container-is-vol; both see what is routed to them.
    fn seen_by(&self, departments: &[&str]) -> bool {
        let by_category = match self.category {
            "grofvuil" => departments.contains(&"ASC"),
            "container-is-vol" => departments.contains(&"STW"),
            _ => false,
        };
        by_category || self.routing.iter().any(|d| departments.contains(d))
    }
}

/// Every page of `query` for `email` with `page_size`, concatenated.
async fn all_pages(office: &BackOffice, email: &str, query: &str, page_size: usize) -> Vec<i32> {
    let mut seen = Vec::new();
    for page in 1.. {
        let (status, body) = office
            .get_as(
                email,
                &format!("{LIST}?page_size={page_size}&page={page}&{query}"),
            )
            .await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert_eq!(status, StatusCode::OK, "{query} page {page}: {body}");
        let ids = ids(&body);
        assert!(!ids.is_empty(), "{query} page {page}");
        seen.extend(ids);
    }
    seen
}

/// A department's list in creation order is a merge of one run per visible
/// category and one per department of the user (V0019); every signal it
/// may see comes exactly once, in the order of the one walk of the whole
/// list (`-created_at,-id`, which is not merged), on every page size, with
/// filters, and after routings, categories and creation times change.
#[tokio::test]
async fn a_departments_pages_merge_its_categories_and_routings_in_list_order() {
    let office = office().await;
    sql(
        &office,
        "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
         SELECT c.id, d.id, d.code = 'STW', true FROM signals_category c
         JOIN signals_category m ON m.id = c.parent_id, signals_department d
         WHERE m.slug = 'afval' AND ((c.slug = 'grofvuil' AND d.code = 'ASC')
                                     OR (c.slug = 'container-is-vol' AND d.code = 'STW'))",
    )
    .await;
    employee(&office, "twee@example.org", &["sia_read"], &["ASC", "STW"]).await;
    employee(&office, "stw@example.org", &["sia_read"], &["STW"]).await;

    let categories = [
        ("afval", "grofvuil"),
        ("afval", "container-is-vol"),
        ("overig", "overig"),
    ];
    // Five routings against three categories: every pair occurs twice.
    let routings: [&[&str]; 5] = [&[], &["STW"], &["ASC"], &["ASC", "STW"], &["OOV"]];
    let client = office.db.client().await;
    let mut signals = Vec::new();
    for i in 0..30 {
        let category = categories[i % 3];
        let state = if i % 4 == 0 { "b" } else { "m" };
        let id = make(
            &office,
            Spec {
                category,
                state,
                ..Spec::default()
            },
        )
        .await;
        let routing = routings[i % 5];
        if !routing.is_empty() {
            relate(&office, id, "routing", routing).await;
        }
        // Pairs share their creation time: the id decides between them.
        let created = at("2024-03-01T10:00:00+01:00") + chrono::Duration::hours((i / 2) as i64);
        client
            .execute(
                "UPDATE signals_signal SET created_at = $2 WHERE id = $1",
                &[&id, &created],
            )
            .await
            .expect("created_at");
        signals.push(Made {
            id,
            created,
            category: category.1,
            state,
            routing,
        });
    }
    assert!(routing_runs_match_the_signals(&office).await);

    let expected = |signals: &[Made], departments: &[&str], state: Option<&str>| {
        let mut visible: Vec<_> = signals
            .iter()
            .filter(|s| s.seen_by(departments) && state.is_none_or(|state| s.state == state))
            .map(|s| (s.created, s.id))
            .collect();
        visible.sort_by(|a, b| b.cmp(a));
        visible.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    let both = expected(&signals, &["ASC", "STW"], None);
    assert_eq!(
        both.len(),
        26,
        "all but the four in overig routed nowhere or to OOV"
    );
    for size in [1, 4, 7, 100] {
        assert_eq!(
            all_pages(&office, "twee@example.org", "", size).await,
            both,
            "page size {size}"
        );
    }
    assert_eq!(
        all_pages(&office, "twee@example.org", "ordering=-created_at,-id", 4).await,
        both
    );
    let mut oldest_first = both.clone();
    oldest_first.reverse();
    assert_eq!(
        all_pages(&office, "twee@example.org", "ordering=created_at", 3).await,
        oldest_first
    );
    let behandeling = expected(&signals, &["ASC", "STW"], Some("b"));
    assert!(!behandeling.is_empty());
    assert_eq!(
        all_pages(&office, "twee@example.org", "status=b", 2).await,
        behandeling
    );
    assert_eq!(
        all_pages(&office, "stw@example.org", "", 3).await,
        expected(&signals, &["STW"], None)
    );
    let (_, first) = list(&office, "twee@example.org", "").await;
    assert_eq!(first["count"], 26);

    // A routed signal in a visible category leaves its category: it now
    // comes from its department's run. A hidden signal is routed to STW,
    // two routed ones are routed away (one of them stays visible by its
    // category), one signal becomes the newest.
    let container = signals[1].id;
    client
        .execute(
            "WITH ca AS (INSERT INTO signals_categoryassignment (_signal_id, category_id)
                         SELECT $1, c.id FROM signals_category c JOIN signals_category m ON m.id = c.parent_id
                         WHERE m.slug = 'overig' AND c.slug = 'overig' RETURNING id)
             UPDATE signals_signal SET category_assignment_id = (SELECT id FROM ca) WHERE id = $1",
            &[&container],
        )
        .await
        .expect("category");
    signals[1].category = "overig";
    relate(&office, signals[5].id, "routing", &["STW"]).await;
    signals[5].routing = &["STW"];
    for routed_away in [8, 13] {
        relate(&office, signals[routed_away].id, "routing", &[]).await;
        signals[routed_away].routing = &[];
    }
    let newest = at("2025-01-01T00:00:00Z");
    client
        .execute(
            "UPDATE signals_signal SET created_at = $2 WHERE id = $1",
            &[&signals[3].id, &newest],
        )
        .await
        .expect("created_at");
    signals[3].created = newest;
    assert!(routing_runs_match_the_signals(&office).await);
    let both = expected(&signals, &["ASC", "STW"], None);
    assert_eq!(both[0], signals[3].id);
    for size in [1, 5, 100] {
        assert_eq!(
            all_pages(&office, "twee@example.org", "", size).await,
            both,
            "page size {size}"
        );
    }
    assert_eq!(
        all_pages(&office, "stw@example.org", "", 3).await,
        expected(&signals, &["STW"], None)
    );
    drop(client);
    office.cleanup().await;
}

fn claims(email: &str, expires_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": email, "email": email, "iat": now, "exp": now + expires_in})
}

#[tokio::test]
async fn tokens_are_checked_before_anything_else() {
    let office = office().await;
    admin(&office).await;
    let forger = dev_token::SigningKey::generate().expect("key");
    let forged = forger
        .sign_with_header(
            &json!({"alg": "RS256", "kid": office.key.kid()}),
            &claims(ADMIN, 300),
        )
        .expect("token");
    let expired = office.key.sign(&claims(ADMIN, -10)).expect("token");

    for path in [
        LIST.to_owned(),
        format!("{LIST}1"),
        format!("{LIST}1/history"),
        format!("{LIST}geography"),
    ] {
        let (status, headers, body) = office.send(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(headers["www-authenticate"], r#"Bearer realm="signals""#);
        assert_eq!(
            body,
            json!({"detail": "Authenticatiegegevens zijn niet opgegeven."})
        );
        for token in [&forged, &expired] {
            let (status, _, body) = office
                .send(Method::GET, &path, Some(&format!("Bearer {token}")))
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(body, json!({"detail": "Login failed"}));
        }
    }
    office.cleanup().await;
}

#[tokio::test]
async fn methods_the_routes_do_not_take_are_refused_after_authentication_and_permission() {
    let office = office().await;
    admin(&office).await;
    employee(
        &office,
        "lezer@example.org",
        &["sia_read", "sia_can_view_all_categories"],
        &[],
    )
    .await;
    let f = fixture(&office).await;
    let reader = format!("Bearer {}", office.token("lezer@example.org"));
    let superuser = format!("Bearer {}", office.token(ADMIN));
    let detail = format!("{LIST}{}", f.a);

    let (status, _, _) = office.send(Method::PUT, &detail, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = office.send(Method::PUT, &detail, Some(&reader)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "PUT asks for sia_write first"
    );
    let (status, headers, body) = office.send(Method::PUT, &detail, Some(&superuser)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"detail": "Methode \"PUT\" niet toegestaan."}));
    assert_eq!(headers["allow"], "GET, PATCH, HEAD, OPTIONS");
    let (status, _, body) = office.send(Method::DELETE, &detail, Some(&reader)).await;
    assert_eq!(
        status,
        StatusCode::METHOD_NOT_ALLOWED,
        "DELETE has no permission entry"
    );
    assert_eq!(
        body,
        json!({"detail": "Methode \"DELETE\" niet toegestaan."})
    );
    let (status, _, _) = office
        .send(Method::POST, &format!("{detail}/history"), Some(&reader))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = office
        .send(Method::POST, &format!("{detail}/history"), Some(&superuser))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _, body) = office.send(Method::HEAD, &detail, Some(&reader)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "HEAD needs only authentication (05 §6)"
    );
    assert_eq!(body, Value::Null);
    office.cleanup().await;
}

#[tokio::test]
async fn contact_details_are_masked_without_the_permission() {
    let office = office().await;
    let f = fixture(&office).await;
    employee(
        &office,
        "zonder@example.org",
        &["sia_read", "sia_can_view_all_categories"],
        &[],
    )
    .await;
    employee(
        &office,
        "met@example.org",
        &[
            "sia_read",
            "sia_can_view_all_categories",
            "sia_can_view_contact_details",
        ],
        &[],
    )
    .await;

    let reporter_in = |page: &Value, id: i32| -> Value {
        page["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|item| item["id"] == id)
            .expect("item")["reporter"]
            .clone()
    };
    let (_, masked) = list(&office, "zonder@example.org", "").await;
    assert_eq!(
        reporter_in(&masked, f.a),
        json!({"email": "*****", "phone": "", "sharing_allowed": false, "allows_contact": true})
    );
    assert_eq!(reporter_in(&masked, f.b)["phone"], "*****");
    assert_eq!(reporter_in(&masked, f.p)["email"], "", "absent stays empty");
    let (_, detail) = office
        .get_as("zonder@example.org", &format!("{LIST}{}", f.b))
        .await;
    assert_eq!(detail["reporter"]["phone"], "*****");

    let (_, shown) = list(&office, "met@example.org", "").await;
    assert_eq!(reporter_in(&shown, f.a)["email"], "melder@example.com");
    assert_eq!(reporter_in(&shown, f.b)["phone"], "0612345678");
    office.cleanup().await;
}

#[tokio::test]
async fn a_list_item_carries_the_nested_objects_of_the_spec() {
    let office = office().await;
    admin(&office).await;
    let f = fixture(&office).await;

    let (_, page) = list(&office, ADMIN, &format!("id={}", f.b)).await;
    let item = &page["results"][0];
    assert_eq!(
        item["_links"]["self"]["href"],
        format!("{BASE}{LIST}{}", f.b)
    );
    assert_eq!(
        item["_display"],
        format!("{} - b - E01a - 2024-03-02T10:00:00+01:00", f.b)
    );
    assert_eq!(item["id_display"], format!("SIG-{}", f.b));
    assert_eq!(item["source"], "Telefoon – ASC");
    assert_eq!(item["status"]["state_display"], "In behandeling");
    assert_eq!(item["location"]["stadsdeel"], "E");
    assert_eq!(item["location"]["postcode"], "1012JS");
    assert_eq!(
        item["location"]["geometrie"],
        json!({"type": "Point", "coordinates": [4.9, 52.37]})
    );
    assert_eq!(item["category"]["sub_slug"], "container-is-vol");
    assert_eq!(item["category"]["main_slug"], "afval");
    assert_eq!(
        item["category"]["category_url"],
        format!("{BASE}/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol")
    );
    assert_eq!(item["category"]["deadline"], "2020-01-01T01:00:00+01:00");
    assert_eq!(
        item["priority"],
        json!({"priority": "high", "created_by": null})
    );
    assert_eq!(item["type"]["code"], "REQ");
    assert_eq!(
        item["notes"],
        json!([{"text": "Melder gebeld over de container.", "created_by": "medewerker@example.org"}])
    );
    assert!(
        item.get("directing_departments").is_none(),
        "never had a directing relation"
    );
    assert_eq!(
        item["routing_departments"],
        json!([{"id": item["routing_departments"][0]["id"], "code": "STW", "name": "Stadswerken", "is_intern": true}])
    );
    assert_eq!(item["has_parent"], false);
    assert_eq!(item["has_children"], false);
    assert_eq!(item["assigned_user_email"], Value::Null);

    let (_, page) = list(&office, ADMIN, &format!("id={}", f.p)).await;
    let parent = &page["results"][0];
    assert_eq!(parent["directing_departments"][0]["code"], "ASC");
    assert_eq!(parent["has_children"], true);
    assert_eq!(parent["routing_departments"], Value::Null);
    let (_, page) = list(&office, ADMIN, &format!("id={}", f.a)).await;
    assert_eq!(
        page["results"][0]["assigned_user_email"],
        "behandelaar@example.org"
    );
    let (_, page) = list(&office, ADMIN, &format!("id={}", f.c2)).await;
    assert_eq!(page["results"][0]["location"], Value::Null);
    assert_eq!(page["results"][0]["has_parent"], true);
    office.cleanup().await;
}

/// A citizen's report through the public router (spec 03 §2.1's body); its id.
async fn report(office: &BackOffice) -> i32 {
    let app = crate::fixtures::public_router(&office.db.pool);
    let body = json!({
        "text": "Naast de container ligt een grote berg afval.",
        "location": {
            "geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
            "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                        "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"},
            "stadsdeel": "A"
        },
        "category": {"sub_category": format!("{BASE}/signals/v1/public/terms/categories/afval/sub_categories/grofvuil")},
        "reporter": {"email": "melder@example.com", "phone": "0612345678", "sharing_allowed": true},
        "incident_date_start": "2024-03-01T09:30:00+01:00"
    });
    let request = Request::post("/signals/v1/public/signals/")
        .header("host", "api.example.org")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::CREATED);
    let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let created: Value = serde_json::from_slice(&bytes).expect("JSON");
    let uuid = created["signal_id"].as_str().expect("uuid").to_owned();
    office
        .db
        .client()
        .await
        .query_one(
            "SELECT id FROM signals_signal WHERE uuid = $1::text::uuid",
            &[&uuid],
        )
        .await
        .expect("signal")
        .get(0)
}

#[tokio::test]
async fn a_fresh_public_report_has_its_detail_and_creation_history() {
    let office = office().await;
    employee(
        &office,
        "medewerker@example.org",
        &[
            "sia_read",
            "sia_can_view_all_categories",
            "sia_can_view_contact_details",
        ],
        &[],
    )
    .await;
    let id = report(&office).await;
    let email = "medewerker@example.org";

    let (status, detail) = office.get_as(email, &format!("{LIST}{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let own = format!("{BASE}/signals/v1/private/signals/{id}");
    assert_eq!(
        detail["_links"],
        json!({
            "curies": {"name": "sia", "href": format!("{BASE}/signals/v1/relations")},
            "self": {"href": own},
            "archives": {"href": format!("{own}/history")},
            "sia:attachments": {"href": format!("{own}/attachments")},
            "sia:pdf": {"href": format!("{own}/pdf")},
            "sia:context": {"href": format!("{own}/context")},
        })
    );
    let keys: Vec<&str> = detail
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
            "category",
            "id",
            "id_display",
            "has_attachments",
            "location",
            "status",
            "reporter",
            "priority",
            "notes",
            "type",
            "source",
            "text",
            "text_extra",
            "extra_properties",
            "created_at",
            "updated_at",
            "incident_date_start",
            "incident_date_end",
            "routing_departments",
            "attachments",
            "assigned_user_email"
        ]
    );
    assert_eq!(detail["status"]["state"], "m");
    assert_eq!(detail["status"]["user"], Value::Null);
    assert_eq!(detail["reporter"]["email"], "melder@example.com");
    assert_eq!(
        detail["location"]["address_text"],
        "Amstel 1 1011PN Amsterdam"
    );
    assert_eq!(detail["category"]["sub"], "Grofvuil");
    assert!(
        detail["category"]["deadline"].as_str().is_some(),
        "grofvuil has a service level"
    );
    assert_eq!(detail["incident_date_start"], "2024-03-01T09:30:00+01:00");
    assert_eq!(detail["attachments"], json!([]));
    assert_eq!(detail["has_attachments"], false);

    let (status, history) = office.get_as(email, &format!("{LIST}{id}/history")).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let entries = history.as_array().expect("a plain array");
    let whats: Vec<&str> = entries
        .iter()
        .map(|e| e["what"].as_str().expect("what"))
        .collect();
    assert_eq!(
        whats,
        [
            "UPDATE_TYPE_ASSIGNMENT",
            "UPDATE_PRIORITY",
            "UPDATE_CATEGORY_ASSIGNMENT",
            "UPDATE_SLA",
            "UPDATE_STATUS",
            "UPDATE_LOCATION"
        ],
        "newest first; equal times in reverse insertion order"
    );
    let by_what = |what: &str| {
        entries
            .iter()
            .find(|e| e["what"] == what)
            .expect("entry")
            .clone()
    };
    let location = by_what("UPDATE_LOCATION");
    assert_eq!(location["action"], "Locatie gewijzigd naar:");
    assert_eq!(
        location["description"],
        "Stadsdeel: Centrum\nAmstel 1\nAmsterdam"
    );
    assert_eq!(location["who"], "Signalen systeem");
    assert_eq!(location["_signal"], id);
    assert_eq!(location["when"], detail["created_at"]);
    let status_entry = by_what("UPDATE_STATUS");
    assert_eq!(status_entry["action"], "Status gewijzigd naar: Gemeld");
    assert_eq!(status_entry["description"], Value::Null);
    assert!(
        status_entry["identifier"]
            .as_str()
            .expect("identifier")
            .starts_with("UPDATE_STATUS_")
    );
    assert_eq!(
        by_what("UPDATE_CATEGORY_ASSIGNMENT")["action"],
        "Categorie gewijzigd naar: Grofvuil"
    );
    assert_eq!(
        by_what("UPDATE_PRIORITY")["action"],
        "Urgentie gewijzigd naar: Normaal"
    );
    assert_eq!(
        by_what("UPDATE_TYPE_ASSIGNMENT")["action"],
        "Type gewijzigd naar: Melding"
    );
    let sla = by_what("UPDATE_SLA");
    assert_eq!(sla["action"], "Servicebelofte:");
    assert!(sla["description"].as_str().is_some_and(|d| !d.is_empty()));

    for (query, expected) in [
        ("what=UPDATE_STATUS", vec!["UPDATE_STATUS"]),
        ("what=UPDATE_SLA", vec!["UPDATE_SLA"]),
        (
            "what=UPDATE_TYPE_ASSIGNMENT",
            vec!["UPDATE_TYPE_ASSIGNMENT"],
        ),
        ("what=CREATE_NOTE", vec![]),
        ("what=NIETS", vec![]),
        ("created_after=2999-01-01T00:00:00", vec![]),
        (
            "what=UPDATE_LOCATION&created_after=2020-01-01",
            vec!["UPDATE_LOCATION"],
        ),
    ] {
        let (status, filtered) = office
            .get_as(email, &format!("{LIST}{id}/history?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let whats: Vec<&str> = filtered
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["what"].as_str().expect("what"))
            .collect();
        assert_eq!(whats, expected, "{query}");
    }
    let (status, body) = office
        .get_as(email, &format!("{LIST}{id}/history?created_after=gisteren"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"created_after": ["Voer een geldige datum/tijd in."]})
    );
    office.cleanup().await;
}

#[tokio::test]
async fn children_are_listed_for_parents_with_whether_the_caller_may_open_them() {
    let office = office().await;
    admin(&office).await;
    let f = fixture(&office).await;
    sql(
        &office,
        "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
         SELECT c.id, d.id, true, true FROM signals_category c JOIN signals_category m ON m.id = c.parent_id,
                signals_department d
         WHERE m.slug = 'overig' AND c.slug = 'overig' AND d.code = 'STW'",
    )
    .await;
    relate(&office, f.q, "routing", &["ASC"]).await;
    employee(&office, "asc@example.org", &["sia_read"], &["ASC"]).await;

    let (status, page) = office
        .get_as(ADMIN, &format!("{LIST}{}/children/", f.p))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["count"], 1);
    assert_eq!(
        page["results"][0],
        json!({
            "_links": {"self": {"href": format!("{BASE}{LIST}{}", f.c1)}},
            "id": f.c1,
            "status": {"state": "m", "state_display": "Gemeld"},
            "category": {"sub": "Overig", "sub_slug": "overig", "departments": "STW", "main": "Overig", "main_slug": "overig"},
            "updated_at": "2024-03-10T10:00:00+01:00",
            "can_view_signal": true
        })
    );
    let (status, page) = office
        .get_as("asc@example.org", &format!("{LIST}{}/children", f.q))
        .await;
    assert_eq!(status, StatusCode::OK, "Q is routed to ASC: {page}");
    assert_eq!(page["results"][0]["id"], f.c2);
    assert_eq!(
        page["results"][0]["can_view_signal"], false,
        "C2 itself is not visible to ASC"
    );

    let (status, body) = office
        .get_as(ADMIN, &format!("{LIST}{}/children/", f.c1))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"detail": format!("Signal {} has no children, it itself is a child signal.", f.c1)})
    );
    let (status, body) = office
        .get_as(ADMIN, &format!("{LIST}{}/children/", f.a))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"detail": format!("Signal {} has no children.", f.a)})
    );
    let (status, _) = office
        .get_as(ADMIN, &format!("{LIST}999999/children/"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, detail) = office.get_as(ADMIN, &format!("{LIST}{}", f.p)).await;
    assert_eq!(
        detail["_links"]["sia:children"],
        json!([{"href": format!("{BASE}/signals/v1/private/signals/{}", f.c1)}])
    );
    let (_, child) = office.get_as(ADMIN, &format!("{LIST}{}", f.c1)).await;
    assert_eq!(
        child["_links"]["sia:parent"]["href"],
        format!("{BASE}/signals/v1/private/signals/{}", f.p)
    );
    office.cleanup().await;
}

#[tokio::test]
async fn the_map_pages_located_signals_with_link_headers() {
    let office = office().await;
    admin(&office).await;
    let f = fixture(&office).await;
    let token = format!("Bearer {}", office.token(ADMIN));
    let geography = "/signals/v1/private/signals/geography";

    let (status, headers, body) = office.send(Method::GET, geography, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-total-count"], "6", "C2 has no location");
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().expect("features");
    assert_eq!(features.len(), 6);
    assert_eq!(features[0]["properties"]["id"], f.d, "newest first");
    assert_eq!(
        features[0]["properties"]["created_at"],
        "2024-03-07T09:00:00+00:00"
    );
    assert_eq!(
        features[0]["geometry"],
        json!({"type": "Point", "coordinates": [4.9, 52.37]})
    );

    let (_, headers, body) = office
        .send(
            Method::GET,
            &format!("{geography}?status=m&status=b&page_size=2"),
            Some(&token),
        )
        .await;
    assert_eq!(headers["x-total-count"], "4");
    assert_eq!(body["features"].as_array().expect("features").len(), 2);
    assert_eq!(
        headers["link"],
        format!(
            "<{BASE}{geography}?status=m&status=b&page_size=2>; rel=\"self\",<{BASE}{geography}?geopage=2&page_size=2&status=m&status=b>; rel=\"next\""
        )
    );
    let (_, headers, _) = office
        .send(
            Method::GET,
            &format!("{geography}?status=m&status=b&page_size=2&geopage=2"),
            Some(&token),
        )
        .await;
    let link = headers["link"].to_str().expect("ascii");
    assert!(
        link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
        "{link}"
    );

    let (_, headers, body) = office
        .send(
            Method::GET,
            &format!("{geography}?status=reopened"),
            Some(&token),
        )
        .await;
    assert_eq!(headers["x-total-count"], "0");
    assert_eq!(body, json!({"type": "FeatureCollection", "features": null}));
    let (status, _, _) = office
        .send(Method::GET, &format!("{geography}?status=x"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    office.cleanup().await;
}

/// The `current_*` columns of signal `id` (migration V0016), and what the
/// pointers name, read through the joins: both as one JSON array each.
async fn current_columns(office: &BackOffice, id: i32) -> (Value, Value) {
    let row = office
        .db
        .client()
        .await
        .query_one(
            "SELECT json_build_array(s.current_state, s.current_state_at, s.current_category_id,
                                     s.current_main_category_id, s.current_deadline,
                                     s.current_deadline_factor_3, s.current_priority, s.current_type,
                                     s.current_routing_department_ids) AS copy,
                    json_build_array(st.state, st.created_at, ca.category_id, c.parent_id, ca.deadline,
                                     ca.deadline_factor_3, pr.priority, ty.name,
                                     CASE WHEN s.routing_assignment_id IS NOT NULL THEN
                                         ARRAY(SELECT rd.department_id FROM signals_signaldepartments_departments rd
                                               WHERE rd.signaldepartments_id = s.routing_assignment_id
                                               ORDER BY rd.department_id)
                                     END) AS joined
             FROM signals_signal s
             LEFT JOIN signals_status st ON st.id = s.status_id
             LEFT JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
             LEFT JOIN signals_category c ON c.id = ca.category_id
             LEFT JOIN signals_priority pr ON pr.id = s.priority_id
             LEFT JOIN signals_type ty ON ty.id = s.type_assignment_id
             WHERE s.id = $1",
            &[&id],
        )
        .await
        .expect("current columns");
    (row.get("copy"), row.get("joined"))
}

#[tokio::test]
async fn the_current_columns_follow_every_pointer_move() {
    let office = office().await;
    let id = make(
        &office,
        Spec {
            category: ("afval", "grofvuil"),
            deadlines: Some(("2024-03-06T10:00:00+01:00", "2024-03-16T10:00:00+01:00")),
            ..Spec::default()
        },
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(copy[0], "m");
    assert_eq!(copy[6], "normal");
    assert_eq!(copy[7], "SIG");
    assert_eq!(copy[8], Value::Null, "no routing relation");

    // New rows, then the pointers moved (PATCH's order), one aspect at a time
    // and all at once.
    sql(
        &office,
        &format!(
            "WITH st AS (INSERT INTO signals_status (_signal_id, state, created_at) VALUES ({id}, 'b', '2024-03-02T10:00:00Z') RETURNING id)
             UPDATE signals_signal SET status_id = (SELECT id FROM st) WHERE id = {id};"
        ),
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(copy[0], "b");
    assert_eq!(copy[1], "2024-03-02T10:00:00+00:00");
    sql(
        &office,
        &format!(
            "WITH ca AS (INSERT INTO signals_categoryassignment (_signal_id, category_id, deadline)
                         SELECT {id}, c.id, NULL FROM signals_category c JOIN signals_category m ON m.id = c.parent_id
                         WHERE m.slug = 'wegen-verkeer-straatmeubilair' AND c.slug = 'lantaarnpaal-straatverlichting'
                         RETURNING id),
                  pr AS (INSERT INTO signals_priority (_signal_id, priority) VALUES ({id}, 'high') RETURNING id),
                  ty AS (INSERT INTO signals_type (_signal_id, name) VALUES ({id}, 'REQ') RETURNING id)
             UPDATE signals_signal SET category_assignment_id = (SELECT id FROM ca), priority_id = (SELECT id FROM pr),
                                       type_assignment_id = (SELECT id FROM ty), updated_at = now()
             WHERE id = {id};"
        ),
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(
        (&copy[4], &copy[6], &copy[7]),
        (&Value::Null, &json!("high"), &json!("REQ"))
    );
    assert_ne!(copy[2], Value::Null);

    // Routing: the relation made current, then a department added to it and
    // one taken away; an empty relation; no relation.
    relate(&office, id, "routing", &["STW"]).await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(copy[8].as_array().map(Vec::len), Some(1));
    sql(
        &office,
        &format!(
            "INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
             SELECT s.routing_assignment_id, d.id FROM signals_signal s, signals_department d
             WHERE s.id = {id} AND d.code = 'ASC';"
        ),
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(copy[8].as_array().map(Vec::len), Some(2));
    sql(
        &office,
        &format!(
            "DELETE FROM signals_signaldepartments_departments rd USING signals_signal s, signals_department d
             WHERE s.id = {id} AND rd.signaldepartments_id = s.routing_assignment_id
               AND rd.department_id = d.id AND d.code = 'STW';"
        ),
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(copy[8].as_array().map(Vec::len), Some(1));
    relate(&office, id, "routing", &[]).await;
    let (copy, _) = current_columns(&office, id).await;
    assert_eq!(copy[8], json!([]));
    sql(
        &office,
        &format!("UPDATE signals_signal SET routing_assignment_id = NULL WHERE id = {id};"),
    )
    .await;
    let (copy, _) = current_columns(&office, id).await;
    assert_eq!(copy[8], Value::Null);

    // A deleted status row clears the pointer (ON DELETE SET NULL) and so the copy.
    sql(
        &office,
        &format!(
            "DELETE FROM signals_status WHERE id = (SELECT status_id FROM signals_signal WHERE id = {id});"
        ),
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!((&copy[0], &copy[1]), (&Value::Null, &Value::Null));

    // The sub category moved to another main category.
    sql(
        &office,
        &format!(
            "UPDATE signals_category SET parent_id = (SELECT id FROM signals_category WHERE slug = 'afval' AND parent_id IS NULL)
             WHERE id = (SELECT current_category_id FROM signals_signal WHERE id = {id});"
        ),
    )
    .await;
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    office.cleanup().await;
}

#[tokio::test]
async fn a_signal_written_before_its_rows_in_one_statement_gets_its_current_columns() {
    // The public create's shape: pre-allocated ids, the signal pointing at
    // rows inserted by the same statement.
    let office = office().await;
    let client = office.db.client().await;
    let id: i32 = client
        .query_one(
            "WITH ids AS (SELECT nextval(pg_get_serial_sequence('signals_signal', 'id'))::int4 AS s,
                                 nextval(pg_get_serial_sequence('signals_status', 'id'))::int4 AS st,
                                 nextval(pg_get_serial_sequence('signals_categoryassignment', 'id'))::int4 AS ca,
                                 nextval(pg_get_serial_sequence('signals_priority', 'id'))::int4 AS pr,
                                 nextval(pg_get_serial_sequence('signals_type', 'id'))::int4 AS ty),
                  signal AS (INSERT INTO signals_signal (id, text, incident_date_start, status_id, category_assignment_id,
                                                         priority_id, type_assignment_id)
                             SELECT s, 'Vol', now(), st, ca, pr, ty FROM ids RETURNING id),
                  st AS (INSERT INTO signals_status (id, _signal_id, state) SELECT st, s, 'i' FROM ids),
                  ca AS (INSERT INTO signals_categoryassignment (id, _signal_id, category_id, deadline)
                         SELECT ids.ca, ids.s, c.id, '2030-01-01T00:00:00Z' FROM ids, signals_category c
                         WHERE c.slug = 'grofvuil' AND c.parent_id IS NOT NULL),
                  pr AS (INSERT INTO signals_priority (id, _signal_id, priority) SELECT pr, s, 'low' FROM ids),
                  ty AS (INSERT INTO signals_type (id, _signal_id, name) SELECT ty, s, 'COM' FROM ids)
             SELECT id FROM signal",
            &[],
        )
        .await
        .expect("one-statement create")
        .get(0);
    let (copy, joined) = current_columns(&office, id).await;
    assert_eq!(copy, joined);
    assert_eq!(
        (&copy[0], &copy[4], &copy[6], &copy[7]),
        (
            &json!("i"),
            &json!("2030-01-01T00:00:00+00:00"),
            &json!("low"),
            &json!("COM")
        )
    );
    office.cleanup().await;
}

#[tokio::test]
async fn the_migration_backfills_the_current_columns_of_existing_signals() {
    // Signals written without the triggers (as before V0016), then the
    // migration's backfill statement.
    let office = office().await;
    let mut client = office.db.client().await;
    let tx = client.transaction().await.expect("transaction");
    tx.batch_execute("SET LOCAL session_replication_role = replica")
        .await
        .expect("triggers off");
    let old: i32 = tx
        .query_one(
            "INSERT INTO signals_signal (text, incident_date_start) VALUES ('Oud', now()) RETURNING id",
            &[],
        )
        .await
        .expect("old signal")
        .get(0);
    tx.batch_execute(&format!(
        "WITH s AS (SELECT {old} AS id),
              st AS (INSERT INTO signals_status (_signal_id, state) SELECT id, 'o' FROM s RETURNING id, _signal_id),
              ca AS (INSERT INTO signals_categoryassignment (_signal_id, category_id, deadline, deadline_factor_3)
                     SELECT s.id, c.id, '2024-01-01T00:00:00Z', '2024-01-11T00:00:00Z' FROM s, signals_category c
                     WHERE c.slug = 'grofvuil' AND c.parent_id IS NOT NULL RETURNING id),
              pr AS (INSERT INTO signals_priority (_signal_id, priority) SELECT id, 'high' FROM s RETURNING id),
              ty AS (INSERT INTO signals_type (_signal_id, name) SELECT id, 'QUE' FROM s RETURNING id),
              rel AS (INSERT INTO signals_signaldepartments (_signal_id, relation_type)
                      SELECT id, 'routing' FROM s RETURNING id),
              rd AS (INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
                     SELECT rel.id, d.id FROM rel, signals_department d WHERE d.code IN ('STW', 'ASC'))
         UPDATE signals_signal SET status_id = (SELECT id FROM st), category_assignment_id = (SELECT id FROM ca),
                                   priority_id = (SELECT id FROM pr), type_assignment_id = (SELECT id FROM ty),
                                   routing_assignment_id = (SELECT id FROM rel)
         WHERE id = {old};
         INSERT INTO signals_signal (text, incident_date_start) VALUES ('Zonder alles', now());"
    ))
    .await
    .expect("signals without triggers");
    let before: i64 = tx
        .query_one(
            "SELECT count(*) FROM signals_signal WHERE current_state IS NOT NULL OR current_type IS NOT NULL",
            &[],
        )
        .await
        .expect("before")
        .get(0);
    assert_eq!(before, 0, "written without the triggers");
    tx.batch_execute("SET LOCAL session_replication_role = origin")
        .await
        .expect("triggers on");
    let migration = include_str!("../../migrations/V0016__signal_current_columns.sql");
    let backfill = migration
        .split("-- Backfill.")
        .nth(1)
        .and_then(|rest| rest.split_once('\n'))
        .and_then(|(_, rest)| rest.split("\n-- ").next())
        .expect("the backfill section of V0016");
    tx.batch_execute(backfill).await.expect("backfill");
    tx.commit().await.expect("commit");

    let ids: Vec<i32> = client
        .query("SELECT id FROM signals_signal ORDER BY id", &[])
        .await
        .expect("ids")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(ids.len(), 2);
    let (copy, joined) = current_columns(&office, ids[0]).await;
    assert_eq!(copy, joined);
    assert_eq!(
        (&copy[0], &copy[6], &copy[7]),
        (&json!("o"), &json!("high"), &json!("QUE"))
    );
    assert_eq!(copy[8].as_array().map(Vec::len), Some(2));
    assert_ne!(copy[3], Value::Null, "main category");
    let (copy, joined) = current_columns(&office, ids[1]).await;
    assert_eq!(copy, joined);
    assert!(copy.as_array().expect("array").iter().all(Value::is_null));
    office.cleanup().await;
}

/// Signals with KTO requests (`feedback_feedback`, spec 15) as the mailer
/// and the feedback form leave them, by name.
struct Feedbacks {
    none: i32,
    open: i32,
    happy: i32,
    unhappy: i32,
    reopened: i32,
    crossed: i32,
    refused: i32,
    changed_mind: i32,
}

/// A request for `id` created at `created`, answered at `submitted` with
/// (`is_satisfied`, `allows_contact`) or open.
async fn feedback(
    office: &BackOffice,
    id: i32,
    token: &str,
    created: &str,
    answer: Option<(&str, bool, bool)>,
) {
    let (submitted, is_satisfied, allows_contact) = match answer {
        Some((at_text, satisfied, contact)) => (Some(at(at_text)), Some(satisfied), contact),
        // An open request keeps the column's default (false): only a
        // submitted form may say anything about contact.
        None => (None, None, false),
    };
    office
        .db
        .client()
        .await
        .execute(
            "INSERT INTO feedback_feedback (token, _signal_id, created_at, submitted_at, is_satisfied,
                                            allows_contact, text)
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE 'Prima' END)",
            &[&token, &id, &at(created), &submitted, &is_satisfied, &allows_contact],
        )
        .await
        .expect("feedback");
}

/// * none: no request; open: one unanswered request;
/// * happy / unhappy: one answered request, satisfied / not;
/// * reopened: a satisfied answer, then a newer unanswered request;
/// * crossed: the newest request answered (satisfied), but an older one
///   answered after it (not satisfied): neither is both newest request and
///   newest answer, so no `feedback` value selects it;
/// * refused: its newest answer refuses contact, after an older allowing
///   one; changed_mind: an older refusal, then a newer answer allowing it.
async fn feedbacks(office: &BackOffice) -> Feedbacks {
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(make(office, Spec::default()).await);
    }
    let f = Feedbacks {
        none: ids[0],
        open: ids[1],
        happy: ids[2],
        unhappy: ids[3],
        reopened: ids[4],
        crossed: ids[5],
        refused: ids[6],
        changed_mind: ids[7],
    };
    feedback(office, f.open, "open-1", "2024-03-02T10:00:00Z", None).await;
    feedback(
        office,
        f.happy,
        "happy-1",
        "2024-03-02T10:00:00Z",
        Some(("2024-03-03T10:00:00Z", true, true)),
    )
    .await;
    feedback(
        office,
        f.unhappy,
        "unhappy-1",
        "2024-03-02T10:00:00Z",
        Some(("2024-03-03T10:00:00Z", false, true)),
    )
    .await;
    feedback(
        office,
        f.reopened,
        "reopened-1",
        "2024-03-02T10:00:00Z",
        Some(("2024-03-03T10:00:00Z", true, true)),
    )
    .await;
    feedback(
        office,
        f.reopened,
        "reopened-2",
        "2024-03-05T10:00:00Z",
        None,
    )
    .await;
    feedback(
        office,
        f.crossed,
        "crossed-1",
        "2024-03-02T10:00:00Z",
        Some(("2024-03-09T10:00:00Z", false, true)),
    )
    .await;
    feedback(
        office,
        f.crossed,
        "crossed-2",
        "2024-03-05T10:00:00Z",
        Some(("2024-03-06T10:00:00Z", true, true)),
    )
    .await;
    feedback(
        office,
        f.refused,
        "refused-1",
        "2024-03-02T10:00:00Z",
        Some(("2024-03-03T10:00:00Z", true, true)),
    )
    .await;
    feedback(
        office,
        f.refused,
        "refused-2",
        "2024-03-05T10:00:00Z",
        Some(("2024-03-06T10:00:00Z", false, false)),
    )
    .await;
    feedback(
        office,
        f.changed_mind,
        "changed-1",
        "2024-03-02T10:00:00Z",
        Some(("2024-03-03T10:00:00Z", false, false)),
    )
    .await;
    feedback(
        office,
        f.changed_mind,
        "changed-2",
        "2024-03-05T10:00:00Z",
        Some(("2024-03-06T10:00:00Z", true, true)),
    )
    .await;
    f
}

#[tokio::test]
async fn the_feedback_filter_reads_the_newest_request_and_answer() {
    let office = office().await;
    admin(&office).await;
    let f = feedbacks(&office).await;
    for (query, expected) in [
        ("feedback=satisfied", vec![f.happy, f.changed_mind]),
        ("feedback=not_satisfied", vec![f.unhappy, f.refused]),
        ("feedback=not_received", vec![f.open, f.reopened]),
    ] {
        let (status, page) = list(&office, ADMIN, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        let found: BTreeSet<i32> = ids(&page).into_iter().collect();
        assert_eq!(
            found,
            expected.iter().copied().collect::<BTreeSet<i32>>(),
            "{query}"
        );
        assert_eq!(page["count"], expected.len(), "{query}");
        assert!(!found.contains(&f.none), "{query}: no request at all");
        assert!(!found.contains(&f.crossed), "{query}: crossed answers");
    }
    let (_, everything) = list(&office, ADMIN, "").await;
    assert_eq!(everything["count"], 8, "without the filter every signal");

    // The map takes the list's filters.
    let token = format!("Bearer {}", office.token(ADMIN));
    let (status, headers, body) = office
        .send(
            Method::GET,
            "/signals/v1/private/signals/geography?feedback=not_received",
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-total-count"], "2");
    let mapped: BTreeSet<i64> = body["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|feature| feature["properties"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        mapped,
        [i64::from(f.open), i64::from(f.reopened)]
            .into_iter()
            .collect()
    );

    let (status, body) = list(&office, ADMIN, "feedback=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    office.cleanup().await;
}

#[tokio::test]
async fn allows_contact_follows_the_newest_submitted_feedback() {
    let office = office().await;
    admin(&office).await;
    let f = feedbacks(&office).await;
    let (status, page) = list(&office, ADMIN, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed = |id: i32| -> Value {
        page["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|item| item["id"] == id)
            .expect("item")["reporter"]["allows_contact"]
            .clone()
    };
    for (name, id, expected) in [
        ("no feedback", f.none, true),
        ("an open request says nothing", f.open, true),
        ("allowed", f.happy, true),
        ("newest answer refused", f.refused, false),
        ("older refusal, newer allowed", f.changed_mind, true),
    ] {
        assert_eq!(listed(id), expected, "list: {name}");
        let (status, detail) = office.get_as(ADMIN, &format!("{LIST}{id}")).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(
            detail["reporter"]["allows_contact"], expected,
            "detail: {name}"
        );
    }
    office.cleanup().await;

    // With REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED off a
    // refusal changes nothing.
    let office = BackOffice::with_app(|pool, auth| {
        let mut state = private_signals::AppState::new(pool, auth);
        state.config = Arc::new(private_signals::Config {
            feedback_allows_contact: false,
            ..private_signals::Config::default()
        });
        private_signals::router(state)
    })
    .await;
    admin(&office).await;
    let f = feedbacks(&office).await;
    let (_, detail) = office.get_as(ADMIN, &format!("{LIST}{}", f.refused)).await;
    assert_eq!(detail["reporter"]["allows_contact"], true, "{detail}");
    let (_, page) = list(&office, ADMIN, &format!("id={}", f.refused)).await;
    assert_eq!(page["results"][0]["reporter"]["allows_contact"], true);
    office.cleanup().await;
}
