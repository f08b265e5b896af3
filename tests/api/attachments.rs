//! Attachments through the `signal-attachments` router on the real stack:
//! objects in a bucket of their own on the local S3 (moto), rows, notes,
//! history and outbox events in a database of their own (spec 17 §17.1–
//! §17.2, 03 §4, 04 §7). Every refusal is checked to store nothing.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use signal_attachments::file::fixtures;
use signal_attachments::{AppState, Config, router};
use signalen_infra::pg::tokio_postgres::Row;
use signalen_infra::pg::tokio_postgres::types::ToSql;
use signalen_infra::s3::ObjectStore;
use tower::ServiceExt;
use uuid::Uuid;

use crate::auth::{BackOffice, NewUser};
use crate::helpers::{empty_bucket, test_bucket};

const BASE: &str = "https://api.example.org";
const BOUNDARY: &str = "----signalenTestBoundary7MA4YWxk";

struct Env {
    office: BackOffice,
    store: ObjectStore,
    app: Router,
}

impl Env {
    async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    async fn with_config(config: Config) -> Self {
        let office = BackOffice::new().await;
        let store = test_bucket().await;
        let auth = office.authenticator();
        let app = router(AppState {
            pool: office.db.pool.clone(),
            auth,
            store: store.clone(),
            config: Arc::new(config),
        });
        Env { office, store, app }
    }

    async fn cleanup(self) {
        empty_bucket(&self.store).await;
        self.office.cleanup().await;
    }

    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Vec<Row> {
        self.office
            .db
            .client()
            .await
            .query(sql, params)
            .await
            .expect(sql)
    }

    /// A signal in state `state` of category `afval/container-is-vol`, with
    /// `parent` as its parent; returns its id and uuid.
    async fn signal(&self, state: &str, parent: Option<i32>) -> (i32, Uuid) {
        let mut client = self.office.db.client().await;
        let tx = client.transaction().await.expect("transaction");
        let row = tx
            .query_one(
                "INSERT INTO signals_signal (text, incident_date_start, parent_id, updated_at)
                 VALUES ('Container is vol', now(), $1, now() - interval '1 day') RETURNING id, uuid",
                &[&parent],
            )
            .await
            .expect("signal");
        let (id, uuid): (i32, Uuid) = (row.get(0), row.get(1));
        tx.execute(
            "WITH st AS (INSERT INTO signals_status (_signal_id, state) VALUES ($1, $2) RETURNING id),
                  ca AS (INSERT INTO signals_categoryassignment (_signal_id, category_id)
                         SELECT $1, c.id FROM signals_category c JOIN signals_category m ON m.id = c.parent_id
                         WHERE m.slug = 'afval' AND c.slug = 'container-is-vol' RETURNING id)
             UPDATE signals_signal SET status_id = (SELECT id FROM st), category_assignment_id = (SELECT id FROM ca)
             WHERE id = $1",
            &[&id, &state],
        )
        .await
        .expect("status and category");
        tx.commit().await.expect("commit");
        (id, uuid)
    }

    /// Lets department `code` see the category of [`Env::signal`].
    async fn department_sees_the_category(&self, code: &str) {
        self.query(
            "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
             SELECT c.id, d.id, false, true FROM signals_category c
             JOIN signals_category m ON m.id = c.parent_id, signals_department d
             WHERE m.slug = 'afval' AND c.slug = 'container-is-vol' AND d.code = $1",
            &[&code],
        )
        .await;
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "api.example.org")
            .header("x-forwarded-proto", "https");
        if let Some(email) = token {
            request = request.header(
                "authorization",
                format!("Bearer {}", self.office.token(email)),
            );
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1024 * 1024)
            .await
            .expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        (status, body)
    }

    /// A multipart upload of `file` (name, content) plus small fields.
    async fn upload(
        &self,
        path: &str,
        token: Option<&str>,
        file: Option<(&str, &[u8])>,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        self.send(
            Method::POST,
            path,
            token,
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            form(file, fields),
        )
        .await
    }

    /// (attachments, notes, note history entries, outbox rows) in the database.
    async fn counts(&self) -> (i64, i64, i64, i64) {
        let row = &self
            .query(
                "SELECT (SELECT count(*) FROM signals_attachment), (SELECT count(*) FROM signals_note),
                        (SELECT count(*) FROM history_log WHERE object_type = 'note'),
                        (SELECT count(*) FROM outbox)",
                &[],
            )
            .await[0];
        (row.get(0), row.get(1), row.get(2), row.get(3))
    }

    async fn objects(&self) -> Vec<String> {
        self.store.list("").await.expect("list the bucket")
    }
}

fn form(file: Option<(&str, &[u8])>, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, content)) = file {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn public_path(uuid: Uuid) -> String {
    format!("/signals/v1/public/signals/{uuid}/attachments/")
}

fn private_path(id: i32) -> String {
    format!("/signals/v1/private/signals/{id}/attachments/")
}

fn key_pattern_ok(key: &str, name: &str) -> bool {
    let parts: Vec<&str> = key.split('/').collect();
    parts.len() == 5
        && parts[0] == "attachments"
        && parts[1].len() == 4
        && parts[2].len() == 2
        && parts[3].len() == 2
        && parts[4] == name
}

#[tokio::test]
async fn a_citizens_photo_is_stored_in_s3_with_its_row_note_history_and_events() {
    let env = Env::new().await;
    let (signal_id, uuid) = env.signal("m", None).await;
    let photo = fixtures::png(16, 9);

    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("container.png", &photo)),
            &[],
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let rows = env
        .query(
            "SELECT id, file, mimetype, is_image, public, caption, created_by, meta, created_at
             FROM signals_attachment WHERE _signal_id = $1",
            &[&signal_id],
        )
        .await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let attachment_id: i32 = row.get("id");
    let key: String = row.get("file");
    assert!(key_pattern_ok(&key, "container.png"), "{key}");
    assert_eq!(row.get::<_, String>("mimetype"), "image/png");
    assert!(row.get::<_, bool>("is_image"));
    assert!(row.get::<_, bool>("public"));
    assert_eq!(row.get::<_, Option<String>>("caption"), None);
    assert_eq!(row.get::<_, Option<String>>("created_by"), None);
    let meta: Value = row.get("meta");
    assert_eq!(meta["size"], photo.len());
    assert_eq!(meta["width"], 16);

    // The object in S3, byte for byte.
    let object = env.store.get(&key).await.expect("get").expect("object");
    assert_eq!(&object.body[..], &photo[..]);
    assert_eq!(object.content_type.as_deref(), Some("image/png"));
    assert_eq!(env.objects().await, vec![key.clone()]);

    // The response: the reference's public shape, `location` presigned.
    assert_eq!(
        body["_display"],
        format!("Attachment object ({attachment_id})")
    );
    assert_eq!(
        body["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/public/signals/{uuid}/attachments")
    );
    assert_eq!(body["is_image"], true);
    assert!(body.get("created_by").is_none(), "{body}");
    let location = body["location"].as_str().expect("location");
    assert!(location.contains("X-Amz-Expires=300"), "{location}");
    let fetched = reqwest::get(location).await.expect("GET location");
    assert_eq!(fetched.status(), 200);
    assert_eq!(&fetched.bytes().await.expect("bytes")[..], &photo[..]);

    // The note, its history entry, the signal's updated_at, the events.
    let note = &env
        .query(
            "SELECT n.id, n.text, n.created_by, n.created_at, s.updated_at
             FROM signals_note n JOIN signals_signal s ON s.id = n._signal_id WHERE n._signal_id = $1",
            &[&signal_id],
        )
        .await[0];
    let note_id: i32 = note.get("id");
    assert_eq!(
        note.get::<_, String>("text"),
        "Bijlage toegevoegd door melder: container.png"
    );
    assert_eq!(note.get::<_, Option<String>>("created_by"), None);
    let noted: chrono::DateTime<chrono::Utc> = note.get("created_at");
    assert_eq!(
        note.get::<_, chrono::DateTime<chrono::Utc>>("updated_at"),
        noted
    );
    let history = env
        .query(
            "SELECT object_pk, action, extra, description, created_by FROM history_log
             WHERE _signal_id = $1 AND object_type = 'note'",
            &[&signal_id],
        )
        .await;
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].get::<_, String>("object_pk"),
        note_id.to_string()
    );
    assert_eq!(history[0].get::<_, String>("action"), "CREATE");
    assert_eq!(
        history[0].get::<_, Option<String>>("extra").as_deref(),
        Some("Notitie toegevoegd")
    );
    assert_eq!(
        history[0]
            .get::<_, Option<String>>("description")
            .as_deref(),
        Some("Bijlage toegevoegd door melder: container.png")
    );
    let events = env
        .query(
            "SELECT aggregate_type, aggregate_id, event_type, payload FROM outbox ORDER BY id",
            &[],
        )
        .await;
    let types: Vec<String> = events.iter().map(|e| e.get("event_type")).collect();
    assert_eq!(types, ["signal.attachment_added", "signal.note_added"]);
    let added: Value = events[0].get("payload");
    assert_eq!(
        events[0].get::<_, String>("aggregate_id"),
        signal_id.to_string()
    );
    assert_eq!(added["signal_id"], signal_id);
    assert_eq!(added["object_id"], attachment_id);
    assert_eq!(added["actor"], Value::Null);
    let updated = chrono::DateTime::parse_from_rfc3339(added["updated_at"].as_str().expect("at"))
        .expect("rfc3339");
    assert_eq!(updated, noted);
    let note_event: Value = events[1].get("payload");
    assert_eq!(note_event["object_id"], note_id);

    // The same name again: a new key with a suffix; the first is untouched.
    let other = fixtures::png(4, 4);
    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("container.png", &other)),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let keys = env.objects().await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let second = keys.iter().find(|k| **k != key).expect("second key");
    let name = second.rsplit('/').next().expect("name");
    assert!(
        name.starts_with("container_")
            && name.ends_with(".png")
            && name.len() == "container_.png".len() + 7,
        "{second}"
    );
    let first = env.store.get(&key).await.expect("get").expect("first");
    assert_eq!(&first.body[..], &photo[..]);
    let texts: Vec<String> = env
        .query(
            "SELECT text FROM signals_note WHERE _signal_id = $1 ORDER BY id",
            &[&signal_id],
        )
        .await
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(texts[1], format!("Bijlage toegevoegd door melder: {name}"));
    env.cleanup().await;
}

#[tokio::test]
async fn a_citizen_may_upload_while_a_question_is_put_to_them() {
    let env = Env::new().await;
    let (_, uuid) = env.signal("reaction requested", None).await;
    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("foto.jpg", &fixtures::jpeg(64, 48))),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("anim.gif", &fixtures::gif(3, 2))),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(env.objects().await.len(), 2);
    env.cleanup().await;
}

#[tokio::test]
async fn a_citizen_may_upload_to_a_closed_signal_while_its_feedback_is_expected() {
    let env = Env::new().await;
    let (id, uuid) = env.signal("o", None).await;
    let expected = env
        .query(
            "INSERT INTO feedback_feedback (token, _signal_id) VALUES ('open-kto', $1)",
            &[&id],
        )
        .await;
    assert!(expected.is_empty());
    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("foto.jpg", &fixtures::jpeg(64, 48))),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Answered, the request no longer admits photos.
    env.query(
        "UPDATE feedback_feedback SET submitted_at = now() WHERE token = 'open-kto'",
        &[],
    )
    .await;
    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("foto.jpg", &fixtures::jpeg(64, 48))),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    env.cleanup().await;
}

#[tokio::test]
async fn every_refused_public_upload_is_a_4xx_and_stores_nothing() {
    let env = Env::with_config(Config {
        max_upload_size: 2_000,
        url_expiry: Duration::from_secs(300),
    })
    .await;
    let (_, new) = env.signal("m", None).await;
    let (_, in_progress) = env.signal("b", None).await;
    let (_, closed) = env.signal("o", None).await;
    let jpeg = fixtures::jpeg(16, 16);
    let large = fixtures::png(30, 30);
    assert!(
        large.len() > 2_000 && large.len() < 4_000,
        "{}",
        large.len()
    );
    let bomb = fixtures::png(20_000, 20_000);
    let truncated = &jpeg[..fixtures::jpeg_sof_offset(&jpeg) + 4];
    let file = |message: &str| json!({"file": [message]});

    for (path, upload, status, expected) in [
        (
            public_path(new),
            Some(("brief.pdf", fixtures::pdf())),
            StatusCode::BAD_REQUEST,
            file("Files of type 'application/pdf' are not allowed!"),
        ),
        (
            public_path(new),
            Some(("notitie.txt", b"Geen foto".to_vec())),
            StatusCode::BAD_REQUEST,
            file("Files of type 'text/plain' are not allowed!"),
        ),
        (
            public_path(new),
            Some(("foto.png", jpeg.clone())),
            StatusCode::BAD_REQUEST,
            file("'image/jpeg' does not match filename extension!"),
        ),
        (
            public_path(new),
            Some(("foto.jpg", truncated.to_vec())),
            StatusCode::BAD_REQUEST,
            file("File is not valid!"),
        ),
        (
            public_path(new),
            Some(("bom.png", bomb)),
            StatusCode::BAD_REQUEST,
            file("File is not valid!"),
        ),
        (
            public_path(new),
            Some(("groot.png", large.clone())),
            StatusCode::BAD_REQUEST,
            file(&format!(
                "File size of {} is more than the allowed size 2000!",
                large.len()
            )),
        ),
        (
            public_path(new),
            Some(("leeg.jpg", Vec::new())),
            StatusCode::BAD_REQUEST,
            file("Het verstuurde bestand is leeg."),
        ),
        (
            public_path(new),
            None,
            StatusCode::BAD_REQUEST,
            file("Er is geen bestand opgestuurd."),
        ),
        (
            public_path(Uuid::new_v4()),
            Some(("foto.jpg", jpeg.clone())),
            StatusCode::NOT_FOUND,
            json!({"detail": "No Signal matches the given query."}),
        ),
        (
            public_path(in_progress),
            Some(("foto.jpg", jpeg.clone())),
            StatusCode::BAD_REQUEST,
            json!(["Public uploads not allowed in current signal state."]),
        ),
        (
            public_path(closed),
            Some(("foto.jpg", jpeg.clone())),
            StatusCode::BAD_REQUEST,
            json!(["No feedback expected for this signal hence no uploads allowed."]),
        ),
    ] {
        let (got, body) = env
            .upload(
                &path,
                None,
                upload.as_ref().map(|(n, c)| (*n, c.as_slice())),
                &[],
            )
            .await;
        assert_eq!(
            (got, &body),
            (status, &expected),
            "{path} {:?}",
            upload.as_ref().map(|u| u.0)
        );
    }

    // A body far beyond the limit is refused before it is parsed.
    let huge = vec![0u8; 2_000 + 70 * 1024];
    let (status, body) = env
        .upload(&public_path(new), None, Some(("groot.jpg", &huge)), &[])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Not a form at all.
    let (status, _) = env
        .send(
            Method::POST,
            &public_path(new),
            None,
            Some("image/jpeg"),
            jpeg.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(env.counts().await, (0, 0, 0, 0));
    assert!(env.objects().await.is_empty());
    env.cleanup().await;
}

#[tokio::test]
async fn a_failed_commit_deletes_the_uploaded_object_and_leaves_no_row() {
    let env = Env::new().await;
    let (_, uuid) = env.signal("m", None).await;
    // A deferred check that fails every commit that wrote an attachment.
    env.office
        .db
        .client()
        .await
        .batch_execute(
            "CREATE FUNCTION refuse_attachment() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
             CREATE CONSTRAINT TRIGGER refuse_attachment AFTER INSERT ON signals_attachment
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_attachment();",
        )
        .await
        .expect("trigger");

    let (status, body) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("foto.jpg", &fixtures::jpeg(8, 8))),
            &[],
        )
        .await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(env.counts().await, (0, 0, 0, 0));
    assert!(env.objects().await.is_empty(), "{:?}", env.objects().await);
    env.cleanup().await;
}

const WRITER: &[&str] = &["sia_read", "sia_write", "sia_add_attachment"];

#[tokio::test]
async fn the_back_office_lists_uploads_reads_and_changes_attachments_of_visible_signals() {
    let env = Env::new().await;
    let (signal_id, uuid) = env.signal("m", None).await;
    env.department_sees_the_category("ASC").await;
    for (email, codenames, departments) in [
        (
            "behandelaar@example.org",
            &[WRITER, &["sia_change_attachment"]].concat(),
            &["ASC"][..],
        ),
        ("lezer@example.org", &vec!["sia_read"], &["ASC"][..]),
        (
            "vreemde@example.org",
            &[WRITER, &["sia_change_attachment"]].concat(),
            &["STW"][..],
        ),
        (
            "alleskijker@example.org",
            &vec!["sia_can_view_all_categories"],
            &[][..],
        ),
    ] {
        env.office
            .user(NewUser {
                email,
                direct: codenames,
                departments,
                ..NewUser::default()
            })
            .await;
    }
    let (status, _) = env
        .upload(
            &public_path(uuid),
            None,
            Some(("melder.jpg", &fixtures::jpeg(8, 8))),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Upload: sia_write + sia_add_attachment (403), then the signal visible (404).
    let pdf = fixtures::pdf();
    let path = private_path(signal_id);
    let (status, body) = env
        .upload(
            &path,
            Some("lezer@example.org"),
            Some(("brief.pdf", &pdf)),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = env
        .upload(
            &path,
            Some("vreemde@example.org"),
            Some(("brief.pdf", &pdf)),
            &[],
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Signal matches the given query."})
        )
    );
    let (status, body) = env
        .upload(
            &path,
            Some("behandelaar@example.org"),
            Some(("brief.pdf", &pdf)),
            &[("public", "false"), ("caption", "De brief van de melder")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment_id = body["_links"]["self"]["href"]
        .as_str()
        .and_then(|h| h.rsplit('/').next())
        .and_then(|id| id.parse::<i32>().ok())
        .expect("id in self link");
    assert_eq!(
        body["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/private/signals/{signal_id}/attachments/{attachment_id}")
    );
    assert_eq!(body["is_image"], false);
    assert_eq!(body["created_by"], "behandelaar@example.org");
    assert_eq!(body["public"], false);
    assert_eq!(body["caption"], "De brief van de melder");
    let fetched = reqwest::get(body["location"].as_str().expect("location"))
        .await
        .expect("GET location");
    assert_eq!(&fetched.bytes().await.expect("bytes")[..], &pdf[..]);
    let note = &env
        .query(
            "SELECT text, created_by FROM signals_note WHERE _signal_id = $1 ORDER BY id DESC LIMIT 1",
            &[&signal_id],
        )
        .await[0];
    assert_eq!(note.get::<_, String>(0), "Bijlage toegevoegd: brief.pdf");
    assert_eq!(
        note.get::<_, Option<String>>(1).as_deref(),
        Some("behandelaar@example.org")
    );
    let actor: Value = env
        .query(
            "SELECT payload FROM outbox WHERE event_type = 'signal.attachment_added' ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await[0]
        .get(0);
    assert_eq!(actor["actor"], "behandelaar@example.org");

    // The back office may upload a PDF; a PDF named .jpg is still refused.
    let (status, body) = env
        .upload(
            &path,
            Some("behandelaar@example.org"),
            Some(("brief.jpg", &pdf)),
            &[],
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"file": ["'application/pdf' does not match filename extension!"]})
        )
    );

    // List: visible to the department and to whoever sees all; 403 to others.
    for email in ["lezer@example.org", "alleskijker@example.org"] {
        let (status, list) = env
            .send(
                Method::GET,
                &format!("{path}?page_size=1"),
                Some(email),
                None,
                vec![],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{email}: {list}");
        assert_eq!(list["count"], 2);
        assert_eq!(list["results"].as_array().expect("results").len(), 1);
        assert_eq!(
            list["results"][0]["created_by"],
            Value::Null,
            "oldest first"
        );
        assert_eq!(list["results"][0]["public"], true);
        assert_eq!(
            list["_links"]["next"]["href"],
            format!("{BASE}{path}?page=2&page_size=1")
        );
    }
    let (status, body) = env
        .send(
            Method::GET,
            &path,
            Some("vreemde@example.org"),
            None,
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = env
        .send(
            Method::GET,
            &private_path(999_999),
            Some("vreemde@example.org"),
            None,
            vec![],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a missing signal too (04 §7.1)"
    );

    // Detail, and an attachment of another signal is not found here.
    let item = format!("/signals/v1/private/signals/{signal_id}/attachments/{attachment_id}");
    let (status, detail) = env
        .send(Method::GET, &item, Some("lezer@example.org"), None, vec![])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["caption"], "De brief van de melder");
    let (other_signal, _) = env.signal("m", None).await;
    let (status, body) = env
        .send(
            Method::GET,
            &format!("/signals/v1/private/signals/{other_signal}/attachments/{attachment_id}"),
            Some("alleskijker@example.org"),
            None,
            vec![],
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Attachment matches the given query."})
        )
    );

    // PATCH: sia_change_attachment (403); answers with the two fields only.
    let change = json!({"public": true, "caption": "Foto van de situatie"}).to_string();
    let (status, _) = env
        .send(
            Method::PATCH,
            &item,
            Some("lezer@example.org"),
            Some("application/json"),
            change.clone().into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = env
        .send(
            Method::PATCH,
            &item,
            Some("behandelaar@example.org"),
            Some("application/json"),
            change.into_bytes(),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"public": true, "caption": "Foto van de situatie"})
        )
    );
    let (status, body) = env
        .send(
            Method::PATCH,
            &item,
            Some("behandelaar@example.org"),
            Some("application/json"),
            json!({"caption": "x".repeat(256), "public": "misschien"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({
                "public": ["Must be a valid boolean."],
                "caption": ["Zorg ervoor dat dit veld niet meer dan 255 karakters bevat."]
            })
        )
    );
    let (status, body) = env
        .send(
            Method::PATCH,
            &item,
            Some("behandelaar@example.org"),
            Some("application/json"),
            br#"{"caption": null}"#.to_vec(),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"public": true, "caption": null}))
    );
    let (status, _) = env
        .send(
            Method::POST,
            &item,
            Some("behandelaar@example.org"),
            None,
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    env.cleanup().await;
}

#[tokio::test]
async fn deleting_follows_the_permission_order_and_removes_row_and_object() {
    let env = Env::new().await;
    env.department_sees_the_category("ASC").await;
    let (normal, normal_uuid) = env.signal("m", None).await;
    let (parent, parent_uuid) = env.signal("m", None).await;
    let (child, child_uuid) = env.signal("m", Some(parent)).await;
    let (hidden, _) = env.signal("m", None).await;
    env.query(
        "UPDATE signals_categoryassignment SET category_id = (SELECT id FROM signals_category WHERE slug = 'overig' AND parent_id IS NOT NULL LIMIT 1)
         WHERE _signal_id = $1",
        &[&hidden],
    )
    .await;
    let user = |email: &'static str, codenames: &'static [&'static str]| NewUser {
        email,
        direct: codenames,
        departments: &["ASC"],
        ..NewUser::default()
    };
    for new in [
        user("niemand@example.org", &["sia_read"]),
        user(
            "normaal@example.org",
            &[
                "sia_read",
                "sia_write",
                "sia_add_attachment",
                "sia_delete_attachment_of_normal_signal",
            ],
        ),
        user(
            "anoniem@example.org",
            &[
                "sia_delete_attachment_of_normal_signal",
                "sia_delete_attachment_of_anonymous_user",
            ],
        ),
        user(
            "ander@example.org",
            &[
                "sia_delete_attachment_of_normal_signal",
                "sia_delete_attachment_of_other_user",
            ],
        ),
        user(
            "hoofd@example.org",
            &[
                "sia_delete_attachment_of_parent_signal",
                "sia_delete_attachment_of_anonymous_user",
            ],
        ),
        user(
            "deel@example.org",
            &[
                "sia_delete_attachment_of_child_signal",
                "sia_delete_attachment_of_anonymous_user",
            ],
        ),
    ] {
        env.office.user(new).await;
    }
    let photo = fixtures::jpeg(8, 8);
    let mut citizen = Vec::new();
    for uuid in [normal_uuid, parent_uuid, child_uuid] {
        let (status, body) = env
            .upload(&public_path(uuid), None, Some(("melder.jpg", &photo)), &[])
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id: i32 = body["_display"]
            .as_str()
            .and_then(|d| {
                d.trim_start_matches("Attachment object (")
                    .trim_end_matches(')')
                    .parse()
                    .ok()
            })
            .expect("id");
        citizen.push(id);
    }
    let (status, body) = env
        .upload(
            &private_path(normal),
            Some("normaal@example.org"),
            Some(("eigen.jpg", &photo)),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let own: i32 = body["_links"]["self"]["href"]
        .as_str()
        .and_then(|h| h.rsplit('/').next())
        .and_then(|id| id.parse().ok())
        .expect("id");
    let item = |signal: i32, attachment: i32| {
        format!("/signals/v1/private/signals/{signal}/attachments/{attachment}")
    };
    let need = |codename: &str| json!({"detail": format!("Cannot delete attachment need \"{codename}\" permission.")});
    let (objects_before, outbox_before) = (env.objects().await.len(), env.counts().await.3);

    for (email, signal, attachment, status, body) in [
        // The signal must be visible by the list rule (404), the attachment be its (404).
        (
            "normaal@example.org",
            hidden,
            own,
            StatusCode::NOT_FOUND,
            json!({"detail": "No Signal matches the given query."}),
        ),
        (
            "normaal@example.org",
            normal,
            citizen[1],
            StatusCode::NOT_FOUND,
            json!({"detail": "No Attachment matches the given query."}),
        ),
        (
            "normaal@example.org",
            normal,
            999_999,
            StatusCode::NOT_FOUND,
            json!({"detail": "No Attachment matches the given query."}),
        ),
        // Then the kind of signal, then the uploader.
        (
            "niemand@example.org",
            normal,
            own,
            StatusCode::FORBIDDEN,
            need("sia_delete_attachment_of_normal_signal"),
        ),
        (
            "normaal@example.org",
            normal,
            citizen[0],
            StatusCode::FORBIDDEN,
            need("sia_delete_attachment_of_anonymous_user"),
        ),
        (
            "anoniem@example.org",
            normal,
            own,
            StatusCode::FORBIDDEN,
            need("sia_delete_attachment_of_other_user"),
        ),
        (
            "normaal@example.org",
            parent,
            citizen[1],
            StatusCode::FORBIDDEN,
            need("sia_delete_attachment_of_parent_signal"),
        ),
        (
            "hoofd@example.org",
            child,
            citizen[2],
            StatusCode::FORBIDDEN,
            need("sia_delete_attachment_of_child_signal"),
        ),
        (
            "deel@example.org",
            parent,
            citizen[1],
            StatusCode::FORBIDDEN,
            need("sia_delete_attachment_of_parent_signal"),
        ),
    ] {
        let (got, answer) = env
            .send(
                Method::DELETE,
                &item(signal, attachment),
                Some(email),
                None,
                vec![],
            )
            .await;
        assert_eq!(
            (got, &answer),
            (status, &body),
            "{email} {signal}/{attachment}"
        );
    }
    assert_eq!(
        env.objects().await.len(),
        objects_before,
        "refusals delete nothing"
    );
    assert_eq!(env.counts().await.3, outbox_before);

    for (email, signal, attachment) in [
        ("ander@example.org", normal, own),
        ("anoniem@example.org", normal, citizen[0]),
        ("hoofd@example.org", parent, citizen[1]),
        ("deel@example.org", child, citizen[2]),
    ] {
        let key: String = env
            .query(
                "SELECT file FROM signals_attachment WHERE id = $1",
                &[&attachment],
            )
            .await[0]
            .get(0);
        let (status, body) = env
            .send(
                Method::DELETE,
                &item(signal, attachment),
                Some(email),
                None,
                vec![],
            )
            .await;
        assert_eq!(
            (status, &body),
            (StatusCode::NO_CONTENT, &Value::Null),
            "{email}"
        );
        assert!(
            env.query(
                "SELECT 1 FROM signals_attachment WHERE id = $1",
                &[&attachment]
            )
            .await
            .is_empty()
        );
        assert!(
            env.store.get(&key).await.expect("get").is_none(),
            "{key} is gone from S3"
        );
        let name = key.rsplit('/').next().expect("name");
        let note = &env
            .query(
                "SELECT n.text, n.created_by, h.action FROM signals_note n
                 JOIN history_log h ON h.object_type = 'note' AND h.object_pk = n.id::text
                 WHERE n._signal_id = $1 ORDER BY n.id DESC LIMIT 1",
                &[&signal],
            )
            .await[0];
        assert_eq!(
            note.get::<_, String>(0),
            format!("Bijlage {name} is verwijderd.")
        );
        assert_eq!(note.get::<_, Option<String>>(1).as_deref(), Some(email));
        assert_eq!(note.get::<_, String>(2), "CREATE");
        let events: Vec<(String, Value)> = env
            .query(
                "SELECT event_type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY id DESC LIMIT 2",
                &[&signal.to_string()],
            )
            .await
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(events[1].0, "signal.attachment_deleted");
        assert_eq!(events[1].1["facts"]["attachment_id"], attachment);
        assert_eq!(events[1].1["actor"], email);
        assert_eq!(events[0].0, "signal.note_added");
    }
    assert!(env.objects().await.is_empty());
    env.cleanup().await;
}
