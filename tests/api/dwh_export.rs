//! The datawarehouse export on the real stack (spec 12): the objects read
//! back from S3 compared with the spec column by column, the zip, crash
//! safety of the multipart uploads, the clean-up of old exports.

use std::collections::BTreeMap;
use std::io::Read;

use bytes::Bytes;
use chrono::{Duration, Utc};
use dwh_export::{ExportConfig, ExportError, ExportHooks, ExportReport, ExportRequest, run};
use serde_json::json;
use signalen_infra::pg::GenericClient;
use signalen_infra::s3::ObjectStore;

use crate::helpers::{TestDatabase, empty_bucket, test_bucket};
use crate::seed_sql::{SeedSignal, seed_signal};

/// The headers of spec 12 §12.2, written out here independently of the
/// crate's own tables.
const SPEC_HEADERS: [(&str, &str); 11] = [
    (
        "signals.csv",
        "id,signal_uuid,source,text,text_extra,incident_date_start,incident_date_end,created_at,updated_at,\
         operational_date,expire_date,image,upload,extra_properties,category_assignment_id,location_id,\
         reporter_id,status_id,priority,priority_created_at,parent,type,type_created_at,\
         directing_departments_assignment_id",
    ),
    ("ml.csv", "Text,Main,Sub"),
    ("signals_assigned_user.csv", "id,assigned_to,assigned_at"),
    (
        "locations.csv",
        "id,lat,lng,stadsdeel,buurt_code,address,address_text,created_at,updated_at,extra_properties,\
         _signal_id,address_street,address_number,address_postalcode,address_city,area_code,area_name",
    ),
    (
        "reporters.csv",
        "id,email,phone,is_anonymized,created_at,updated_at,extra_properties,_signal_id",
    ),
    (
        "categories.csv",
        "id,main,sub,departments,created_at,updated_at,extra_properties,_signal_id,deadline,deadline_factor_3",
    ),
    (
        "statuses.csv",
        "id,text,user,target_api,state_display,extern,created_at,updated_at,extra_properties,_signal_id,state",
    ),
    ("sla.csv", "id,main,sub,n_days,use_calendar_days,created_at"),
    (
        "directing_departments.csv",
        "id,created_at,updated_at,_signal_id,departments",
    ),
    (
        "routing_departments.csv",
        "id,created_at,updated_at,_signal_id,departments",
    ),
    ("notes.csv", "id,created_at,updated_at,_signal_id,text"),
];

const STATES: [&str; 18] = [
    "m",
    "i",
    "b",
    "h",
    "ingepland",
    "ready to send",
    "o",
    "a",
    "reopened",
    "s",
    "closure requested",
    "reaction requested",
    "reaction received",
    "forward to external",
    "sent",
    "send failed",
    "done external",
    "reopen requested",
];

fn config(prefix: &str) -> ExportConfig {
    ExportConfig {
        prefix: prefix.to_owned(),
        part_size: 5 * 1024 * 1024,
        zip: true,
        zip_level: 6,
        keep_days: 30,
        environment: None,
    }
}

async fn export(
    db: &TestDatabase,
    store: &ObjectStore,
    config: &ExportConfig,
    hooks: ExportHooks,
) -> Result<ExportReport, ExportError> {
    run(
        &db.pool,
        store,
        config,
        &ExportRequest::default(),
        hooks,
        &mut |_| {},
    )
    .await
}

/// A tiny zip reader (central directory → inflated entries), to check the
/// archive independently of the writer.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let u32_at =
        |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
    let eocd = bytes.len() - 22;
    assert_eq!(u32_at(eocd), 0x0605_4b50, "end of central directory");
    let (count, mut at) = (u16_at(eocd + 10), u32_at(eocd + 16));
    let mut entries = BTreeMap::new();
    for _ in 0..count {
        assert_eq!(u32_at(at), 0x0201_4b50, "central directory header");
        assert_eq!(u16_at(at + 10), 8, "deflated");
        let (crc, compressed, size) = (u32_at(at + 16), u32_at(at + 20), u32_at(at + 24));
        let name_len = u16_at(at + 28);
        let offset = u32_at(at + 42);
        let name = String::from_utf8(bytes[at + 46..at + 46 + name_len].to_vec()).expect("name");
        let data_at = offset + 30 + u16_at(offset + 26) + u16_at(offset + 28);
        let mut content = Vec::new();
        flate2::read::DeflateDecoder::new(&bytes[data_at..data_at + compressed])
            .read_to_end(&mut content)
            .expect("inflate");
        assert_eq!(content.len(), size, "{name}");
        assert_eq!(crc32(&content), crc as u32, "{name}");
        entries.insert(name, content);
        at += 46 + name_len + u16_at(at + 30) + u16_at(at + 32);
    }
    entries
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Parses a CSV the way its consumers do; returns header + rows.
fn parse(content: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(content);
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name}"));
    &row[i]
}

fn is_pg_timestamp(value: &str) -> bool {
    // YYYY-MM-DD HH:MM:SS[.ffffff]+00
    let b = value.as_bytes();
    value.len() >= 22
        && value.ends_with("+00")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && (value.len() == 22 || (b[19] == b'.' && value.len() <= 29))
}

async fn objects(store: &ObjectStore, prefix: &str) -> BTreeMap<String, Bytes> {
    let mut found = BTreeMap::new();
    for summary in store.list_objects(prefix).await.expect("list") {
        let object = store.get(&summary.key).await.expect("get").expect("exists");
        found.insert(summary.key, object.body);
    }
    found
}

#[tokio::test]
async fn every_file_has_the_reference_columns_order_and_value_formats() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    let mut client = db.client().await;

    // Every state; reporters with e-mail, phone, none and anonymised.
    let mut ids = BTreeMap::new();
    for (i, state) in STATES.iter().enumerate() {
        let mut signal = SeedSignal::new(&format!("Melding {i}")).in_state(state, 2);
        signal = match i % 4 {
            0 => signal.reporter(Some("melder@example.org"), None, 3),
            1 => signal.reporter(None, Some("0612345678"), 3),
            2 => signal,
            _ => {
                signal.email_anonymized = true;
                signal.phone_anonymized = true;
                signal
            }
        };
        ids.insert(*state, seed_signal(&mut client, &signal).await);
    }
    // A text a CSV must quote, with Windows line ends; JSON; an address.
    let mut special = SeedSignal::new("Tekst, met \"quotes\"\r\nen regels").in_state("o", 1);
    special.main_slug = "wegen-verkeer-straatmeubilair";
    special.sub_slug = "onderhoud-stoep-straat-en-fietspad";
    special.stadsdeel = Some("A");
    special.extra_properties = Some(json!([{"id": "q1", "answer": "ja"}]));
    special.address = Some(
        json!({"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN", "woonplaats": "Amsterdam"}),
    );
    special.status_text = Some("Opgelost".into());
    special.status_by = Some("medewerker@example.org".into());
    let special = seed_signal(&mut client, &special).await;
    // A handled signal in an "Overig" category: not in ml.csv.
    let mut overig = SeedSignal::new("Iets anders").in_state("o", 1);
    overig.main_slug = "overig";
    overig.sub_slug = "overig";
    overig.area_code = Some("weesp-area");
    let overig = seed_signal(&mut client, &overig).await;
    // A note, a user assignment, directing departments.
    client
        .batch_execute(&format!(
            "INSERT INTO signals_note (_signal_id, text, created_at, updated_at)
                 VALUES ({s}, 'Melder gebeld, komt terug', now(), now());
             INSERT INTO auth_user (username, email, password, is_active, date_joined)
                 VALUES ('behandelaar', 'behandelaar@example.org', '', true, now());
             WITH u AS (INSERT INTO signals_signaluser (_signal_id, user_id, created_at, updated_at)
                        SELECT {s}, id, now(), now() FROM auth_user WHERE username = 'behandelaar' RETURNING id)
             UPDATE signals_signal SET user_assignment_id = (SELECT id FROM u) WHERE id = {s};
             WITH d AS (INSERT INTO signals_signaldepartments (_signal_id, relation_type, created_at, updated_at)
                        VALUES ({s}, 'directing', now(), now()) RETURNING id),
                  m AS (INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
                        SELECT d.id, dep.id FROM d, signals_department dep WHERE dep.code IN ('ASC', 'STW'))
             UPDATE signals_signal SET directing_departments_assignment_id = (SELECT id FROM d) WHERE id = {s};",
            s = special.signal
        ))
        .await
        .expect("note, assignment, directing departments");

    let report = export(&db, &store, &config("dwh/"), ExportHooks::default())
        .await
        .expect("export");

    let found = objects(&store, "dwh/").await;
    let stamp = report.started_at.format("%H%M%SUTC").to_string();
    let folder = report.started_at.format("dwh/%Y/%m/%d/").to_string();
    let zip_key = format!(
        "{folder}{}",
        report.started_at.format("%Y%m%d_%H%M%SUTC.zip")
    );
    let mut expected_keys: Vec<String> = SPEC_HEADERS
        .iter()
        .map(|(name, _)| format!("{folder}{stamp}_{name}"))
        .collect();
    expected_keys.push(zip_key.clone());
    expected_keys.sort();
    assert_eq!(found.keys().cloned().collect::<Vec<_>>(), expected_keys);

    let csv = |name: &str| found[&format!("{folder}{stamp}_{name}")].clone();
    for (name, header) in SPEC_HEADERS {
        let content = csv(name);
        let text = std::str::from_utf8(&content).expect("UTF-8");
        assert!(
            text.starts_with(&format!("{header}\r\n")),
            "{name}: {text:.200}"
        );
        assert!(text.ends_with("\r\n"), "{name}");
        assert_eq!(
            text.matches("\r\n").count(),
            parse(&content).1.len() + 1,
            "{name}: every record ends in CRLF and no value holds one"
        );
    }

    // signals.csv: one row per signal, in created_at order, formats.
    let (header, rows) = parse(&csv("signals.csv"));
    assert_eq!(rows.len(), STATES.len() + 2);
    let created: Vec<&str> = rows
        .iter()
        .map(|r| column(&header, r, "created_at"))
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] <= w[1]),
        "ordered by created_at"
    );
    for row in &rows {
        for name in [
            "incident_date_start",
            "created_at",
            "updated_at",
            "priority_created_at",
            "type_created_at",
        ] {
            assert!(
                is_pg_timestamp(column(&header, row, name)),
                "{name}: {}",
                column(&header, row, name)
            );
        }
        assert_eq!(column(&header, row, "image"), "");
        assert_eq!(column(&header, row, "upload"), "");
        assert_eq!(column(&header, row, "priority"), "normal");
        assert_eq!(column(&header, row, "type"), "SIG");
        assert_eq!(column(&header, row, "incident_date_end"), "");
    }
    let special_row = rows
        .iter()
        .find(|r| column(&header, r, "id") == special.signal.to_string())
        .expect("the special signal");
    assert_eq!(
        column(&header, special_row, "text"),
        "Tekst, met \"quotes\"\nen regels",
        "CR LF read as LF"
    );
    assert_eq!(
        column(&header, special_row, "extra_properties"),
        r#"[{"id": "q1", "answer": "ja"}]"#
    );
    assert_eq!(
        column(&header, special_row, "status_id"),
        special.status.to_string()
    );
    assert_eq!(
        column(&header, special_row, "location_id"),
        special.location.to_string()
    );
    let plain_row = rows
        .iter()
        .find(|r| column(&header, r, "id") == ids["m"].signal.to_string())
        .expect("an open signal");
    assert_eq!(column(&header, plain_row, "extra_properties"), "null");
    assert_eq!(
        column(&header, plain_row, "directing_departments_assignment_id"),
        ""
    );

    // ml.csv: handled or cancelled, without "Overig".
    let (_, ml) = parse(&csv("ml.csv"));
    let texts: Vec<&str> = ml.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        texts,
        ["Melding 6", "Melding 7", "Tekst, met \"quotes\"\nen regels"]
    );
    assert_eq!(ml[0][1..], ["Afval".to_owned(), "Grofvuil".to_owned()]);
    assert!(
        !texts.contains(&"Iets anders"),
        "{overig:?} is in an Overig category"
    );

    // signals_assigned_user.csv
    let (header, rows) = parse(&csv("signals_assigned_user.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        column(&header, &rows[0], "assigned_to"),
        "behandelaar@example.org"
    );
    assert!(is_pg_timestamp(column(&header, &rows[0], "assigned_at")));

    // locations.csv: swapped lat/lng, district names, unwrapped JSON strings.
    let (header, rows) = parse(&csv("locations.csv"));
    let location = |signal: i32| {
        rows.iter()
            .find(|r| column(&header, r, "_signal_id") == signal.to_string())
            .expect("location")
            .clone()
    };
    let row = location(special.signal);
    assert_eq!(
        column(&header, &row, "lat"),
        "4.8951",
        "lat is ST_X, the longitude"
    );
    assert_eq!(column(&header, &row, "lng"), "52.3702");
    assert_eq!(column(&header, &row, "stadsdeel"), "Centrum");
    assert_eq!(column(&header, &row, "address_street"), "Amstel");
    assert_eq!(column(&header, &row, "address_number"), "1");
    assert_eq!(column(&header, &row, "address_postalcode"), "1011PN");
    assert_eq!(column(&header, &row, "address_city"), "Amsterdam");
    assert!(column(&header, &row, "address").starts_with("{\"postcode\": \"1011PN\""));
    assert_eq!(column(&header, &row, "extra_properties"), "null");
    let row = location(overig.signal);
    assert_eq!(
        column(&header, &row, "stadsdeel"),
        "weesp-area",
        "falls back to the area code"
    );
    assert_eq!(column(&header, &row, "address"), "null");
    assert_eq!(column(&header, &row, "address_street"), "null");

    // reporters.csv: clear text, is_anonymized True/False, extra_properties null.
    let (header, rows) = parse(&csv("reporters.csv"));
    let reporter = |state: &str| {
        rows.iter()
            .find(|r| column(&header, r, "_signal_id") == ids[state].signal.to_string())
            .expect("reporter")
            .clone()
    };
    let r = reporter("m");
    assert_eq!(
        (
            column(&header, &r, "email"),
            column(&header, &r, "is_anonymized")
        ),
        ("melder@example.org", "False")
    );
    let r = reporter("i");
    assert_eq!(
        (column(&header, &r, "phone"), column(&header, &r, "email")),
        ("0612345678", "")
    );
    let r = reporter("b");
    assert_eq!(
        column(&header, &r, "is_anonymized"),
        "False",
        "no contact details, not anonymised"
    );
    let r = reporter("h");
    assert_eq!(column(&header, &r, "is_anonymized"), "True");
    assert!(
        rows.iter()
            .all(|r| column(&header, r, "extra_properties") == "null")
    );

    // categories.csv: main/sub names, responsible departments, deadlines.
    let (header, rows) = parse(&csv("categories.csv"));
    let row = rows
        .iter()
        .find(|r| column(&header, r, "_signal_id") == ids["m"].signal.to_string())
        .expect("assignment");
    assert_eq!(
        (column(&header, row, "main"), column(&header, row, "sub")),
        ("Afval", "Grofvuil")
    );
    assert!(is_pg_timestamp(column(&header, row, "deadline")));
    assert!(is_pg_timestamp(column(&header, row, "deadline_factor_3")));
    assert_eq!(column(&header, row, "extra_properties"), "null");
    let departments: String = client
        .query_one(
            "SELECT COALESCE(string_agg(d.name, ', ' ORDER BY cd.id), '') FROM signals_categorydepartment cd
             JOIN signals_department d ON d.id = cd.department_id
             JOIN signals_category c ON c.id = cd.category_id JOIN signals_category p ON p.id = c.parent_id
             WHERE cd.is_responsible AND p.slug = 'afval' AND c.slug = 'grofvuil'",
            &[],
        )
        .await
        .expect("departments")
        .get(0);
    assert_eq!(column(&header, row, "departments"), departments);

    // statuses.csv: labels, True/False, author, state code.
    let (header, rows) = parse(&csv("statuses.csv"));
    let label = |code: &str| {
        rows.iter()
            .find(|r| column(&header, r, "state") == code)
            .map(|r| column(&header, r, "state_display").to_owned())
            .expect("a status in that state")
    };
    assert_eq!(label("m"), "Gemeld");
    assert_eq!(
        label("closure requested"),
        "Extern: verzoek tot afhandeling"
    );
    assert_eq!(label("forward to external"), "Doorgezet naar extern");
    assert!(rows.iter().all(|r| column(&header, r, "extern") == "False"));
    let done = rows
        .iter()
        .find(|r| column(&header, r, "id") == special.status.to_string())
        .expect("status");
    assert_eq!(column(&header, done, "user"), "medewerker@example.org");
    assert_eq!(column(&header, done, "text"), "Opgelost");
    assert_eq!(column(&header, done, "extra_properties"), "null");

    // sla.csv: t/f.
    let (header, rows) = parse(&csv("sla.csv"));
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| ["t", "f"].contains(&column(&header, r, "use_calendar_days")))
    );

    // directing_departments.csv: names joined with ", ".
    let (header, rows) = parse(&csv("directing_departments.csv"));
    assert_eq!(rows.len(), 1);
    let mut names: Vec<&str> = column(&header, &rows[0], "departments")
        .split(", ")
        .collect();
    names.sort_unstable();
    assert_eq!(names.len(), 2, "{names:?}");

    // notes.csv
    let (header, rows) = parse(&csv("notes.csv"));
    assert_eq!(
        column(&header, &rows[0], "text"),
        "Melder gebeld, komt terug"
    );

    // The zip: every CSV, byte for byte, under its stored name.
    let entries = unzip(&found[&zip_key]);
    assert_eq!(entries.len(), SPEC_HEADERS.len());
    for (name, _) in SPEC_HEADERS {
        assert_eq!(
            entries[&format!("{stamp}_{name}")],
            csv(name).to_vec(),
            "{name} in the zip"
        );
    }
    assert_eq!(
        report.zip.as_ref().map(|z| z.key.as_str()),
        Some(zip_key.as_str())
    );

    empty_bucket(&store).await;
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn the_kto_file_is_written_in_production_from_submitted_feedback() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    let mut client = db.client().await;
    let signal = seed_signal(&mut client, &SeedSignal::new("Melding").in_state("o", 1)).await;
    // Two submitted KTO answers and one request not answered yet (spec 15).
    client
        .batch_execute(&format!(
            "INSERT INTO feedback_feedback (token, _signal_id, is_satisfied, allows_contact, text, text_extra,
                                            text_list, created_at, submitted_at)
             VALUES ('kto-1', {s}, true, false, '', 'Top', ARRAY['Snel opgelost', 'Vriendelijk'], now(), now()),
                    ('kto-2', {s}, null, true, 'Zelf', null, null, now() - interval '1 hour', now()),
                    ('kto-3', {s}, false, false, 'Niet ingestuurd', null, null, now(), null);",
            s = signal.signal
        ))
        .await
        .expect("feedback");
    let mut config = config("dwh/");
    config.environment = Some("PRODUCTION".into());

    let report = export(&db, &store, &config, ExportHooks::default())
        .await
        .expect("export");

    let kto = report
        .files
        .iter()
        .find(|f| f.name == "kto-feedback-PRODUCTION.csv")
        .expect("the KTO file");
    let content = store
        .get(&kto.key)
        .await
        .expect("get")
        .expect("exists")
        .body;
    let (header, rows) = parse(&content);
    assert_eq!(
        header,
        [
            "_signal_id",
            "is_satisfied",
            "allows_contact",
            "text",
            "text_extra",
            "created_at",
            "submitted_at",
            "text_list"
        ]
    );
    assert_eq!(rows.len(), 2, "only submitted feedback");
    assert_eq!(
        rows[0][1..5],
        ["True", "False", "Snel opgelost", "Top"].map(str::to_owned)
    );
    assert_eq!(rows[0][7], r#"["Snel opgelost", "Vriendelijk"]"#);
    assert_eq!(rows[1][1..5], ["", "True", "Zelf", ""].map(str::to_owned));
    assert_eq!(rows[1][7], "");

    empty_bucket(&store).await;
    drop(client);
    db.cleanup().await;
}

/// Enough text for several 5 MiB parts of signals.csv.
async fn seed_bulk(db: &TestDatabase, rows: i32) {
    db.client()
        .await
        .execute(
            "INSERT INTO signals_signal (text, incident_date_start, created_at, updated_at)
             SELECT repeat(md5(g::text), 60), now(), now() - g * interval '1 second', now()
             FROM generate_series(1, $1) AS g",
            &[&rows],
        )
        .await
        .expect("bulk signals");
}

#[tokio::test]
async fn a_file_of_several_parts_arrives_whole() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    seed_bulk(&db, 6_000).await; // ~12 MB of signals.csv

    let report = run(
        &db.pool,
        &store,
        &config("dwh/"),
        &ExportRequest {
            dry_run: false,
            reports: Some(vec!["signals".into()]),
        },
        ExportHooks::default(),
        &mut |_| {},
    )
    .await
    .expect("export");

    let file = &report.files[0];
    assert!(file.bytes > 2 * 5 * 1024 * 1024, "{} bytes", file.bytes);
    let body = store
        .get(&file.key)
        .await
        .expect("get")
        .expect("exists")
        .body;
    assert_eq!(body.len() as u64, file.bytes);
    let (_, rows) = parse(&body);
    assert_eq!(rows.len(), 6_000);
    let zip = store
        .get(&report.zip.as_ref().expect("zip").key)
        .await
        .expect("get")
        .expect("exists");
    let entries = unzip(&zip.body);
    assert_eq!(entries.values().next().map(Vec::len), Some(body.len()));

    empty_bucket(&store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_crash_mid_export_leaves_nothing_visible_and_the_next_run_completes() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    seed_bulk(&db, 3_000).await;

    let crashed = export(
        &db,
        &store,
        &config("dwh/"),
        ExportHooks {
            crash_after_rows: Some(1_000),
            ..ExportHooks::default()
        },
    )
    .await;

    assert!(
        matches!(crashed, Err(ExportError::Crashed(_))),
        "{crashed:?}"
    );
    assert_eq!(
        store.list_objects("dwh/").await.expect("list"),
        vec![],
        "no object is visible"
    );
    let pending = store
        .pending_multiparts("dwh/")
        .await
        .expect("pending uploads");
    assert!(
        pending.len() >= 2,
        "the CSV and the zip stay pending: {pending:?}"
    );

    let report = export(&db, &store, &config("dwh/"), ExportHooks::default())
        .await
        .expect("the next run");

    assert_eq!(report.aborted_stale_uploads, pending.len());
    assert_eq!(
        store.pending_multiparts("dwh/").await.expect("pending"),
        vec![]
    );
    let signals = report
        .files
        .iter()
        .find(|f| f.name == "signals.csv")
        .expect("signals");
    assert_eq!(signals.rows, 3_000);
    let body = store
        .get(&signals.key)
        .await
        .expect("get")
        .expect("exists")
        .body;
    assert_eq!(parse(&body).1.len(), 3_000);
    assert!(
        store
            .get(&report.zip.expect("zip").key)
            .await
            .expect("get")
            .is_some()
    );

    empty_bucket(&store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_failing_export_aborts_its_uploads() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    seed_bulk(&db, 2_000).await;

    let failed = export(
        &db,
        &store,
        &config("dwh/"),
        ExportHooks {
            fail_after_rows: Some(1_500),
            ..ExportHooks::default()
        },
    )
    .await;

    assert!(
        matches!(failed, Err(ExportError::Injected(_))),
        "{failed:?}"
    );
    assert_eq!(store.list_objects("dwh/").await.expect("list"), vec![]);
    assert_eq!(
        store.pending_multiparts("dwh/").await.expect("pending"),
        vec![]
    );
    // The connection went back to the pool usable.
    let n: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM signals_signal", &[])
        .await
        .expect("query")
        .get(0);
    assert_eq!(n, 2_000);

    empty_bucket(&store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn old_exports_are_deleted_and_a_dry_run_writes_nothing() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    let old_day = (Utc::now() - Duration::days(40))
        .format("dwh/%Y/%m/%d/")
        .to_string();
    let recent_day = (Utc::now() - Duration::days(29))
        .format("dwh/%Y/%m/%d/")
        .to_string();
    for key in [
        format!("{old_day}040000UTC_signals.csv"),
        format!("{recent_day}040000UTC_signals.csv"),
        "elsewhere/2000/01/01/a.csv".to_owned(),
    ] {
        store
            .put(&key, Bytes::from_static(b"id\r\n"), "text/csv")
            .await
            .expect("put");
    }

    let dry = run(
        &db.pool,
        &store,
        &config("dwh/"),
        &ExportRequest {
            dry_run: true,
            reports: None,
        },
        ExportHooks::default(),
        &mut |_| {},
    )
    .await
    .expect("dry run");
    assert_eq!(
        dry.expired_objects,
        vec![format!("{old_day}040000UTC_signals.csv")]
    );
    assert_eq!(
        store.list_objects("").await.expect("list").len(),
        3,
        "a dry run writes and deletes nothing"
    );
    assert!(dry.files.iter().any(|f| f.name == "sla.csv" && f.rows > 0));

    export(&db, &store, &config("dwh/"), ExportHooks::default())
        .await
        .expect("export");

    let keys: Vec<String> = store
        .list_objects("")
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert!(!keys.contains(&format!("{old_day}040000UTC_signals.csv")));
    assert!(keys.contains(&format!("{recent_day}040000UTC_signals.csv")));
    assert!(keys.contains(&"elsewhere/2000/01/01/a.csv".to_owned()));

    empty_bucket(&store).await;
    db.cleanup().await;
}
