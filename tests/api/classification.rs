//! The classifier end to end: trained on the shipped corpus, published to a
//! bucket of the local S3, served by the category-prediction function's
//! router with the categories of a real database.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use category_prediction::{AppState, CategoryCache, ModelCache, router};
use serde_json::{Value, json};
use signalen_classifier::train::{TrainingConfig, TrainingRow, train};
use signalen_classifier::{Metrics, encode};
use signalen_infra::models::{self, ModelPointer, ModelStore};
use tower::ServiceExt;

use crate::helpers::{TestDatabase, empty_bucket, test_bucket};

const CORPUS: &str = include_str!("../../data/meldingen-train.csv");

/// The model of these tests, trained once per test process: the whole
/// corpus, held-out evaluation, a narrower feature space than the default so
/// that the suite stays quick.
fn trained() -> &'static (Bytes, Metrics) {
    static MODEL: OnceLock<(Bytes, Metrics)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let rows = csv_rows(CORPUS);
        let config = TrainingConfig {
            width: 3000,
            max_iterations: 60,
            refit_on_all: false,
            ..TrainingConfig::default()
        };
        let started = std::time::Instant::now();
        let model = train(rows, &config, &mut |_| {}).expect("the corpus trains");
        eprintln!(
            "trained on the corpus in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let metrics = model.info.metrics.clone().expect("held-out metrics");
        (Bytes::from(encode(&model)), metrics)
    })
}

/// The corpus' `text,main_slug,sub_slug` rows.
fn csv_rows(text: &str) -> Vec<TrainingRow> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|record| {
            let record = record.expect("a CSV record");
            TrainingRow::new(&record[0], &record[1], &record[2])
        })
        .collect()
}

async fn model_store() -> ModelStore {
    ModelStore::new(test_bucket().await)
}

async fn publish(store: &ModelStore, version: &str) -> ModelPointer {
    let (bytes, metrics) = trained();
    store
        .publish(
            version,
            &"0".repeat(64),
            "2026-12-01T00:00:00Z",
            bytes.clone(),
            Bytes::from(serde_json::to_vec(metrics).expect("metrics JSON")),
        )
        .await
        .expect("publish")
}

fn app(store: &ModelStore, db: &TestDatabase, top_n: usize, refresh: Duration) -> Router {
    router(AppState {
        model: Arc::new(ModelCache::new(store.clone(), refresh)),
        categories: Arc::new(CategoryCache::new(
            db.pool.clone(),
            Duration::from_secs(300),
        )),
        top_n,
    })
}

async fn post(app: &Router, body: &str) -> (StatusCode, Value) {
    let request = Request::post("/signals/category/prediction")
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, value)
}

async fn predict(app: &Router, text: &str) -> Value {
    let (status, body) = post(app, &json!({ "text": text }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// What the frontend's resolveClassification reads: the slugs at the end of
/// the first URL of a level (`…/terms/categories/{main}[/sub_categories/{sub}]`)
/// and the first probability.
fn first(level: &Value) -> (String, Option<String>, f64) {
    let url = level[0][0].as_str().expect("a URL string");
    let path = url
        .split_once("/terms/categories/")
        .expect("a public category URL")
        .1;
    let (main, sub) = match path.split_once("/sub_categories/") {
        Some((main, sub)) => (main.to_owned(), Some(sub.to_owned())),
        None => (path.to_owned(), None),
    };
    (main, sub, level[1][0].as_f64().expect("a probability"))
}

/// Every level is `[[url, …], [p, …]]` of equal lengths, URLs absolute under
/// the request's base and without trailing slash, probabilities in [0, 1]
/// and descending.
fn assert_well_formed(body: &Value, expected_len: usize) {
    let object = body.as_object().expect("an object");
    assert_eq!(object.len(), 2, "{body}");
    for key in ["hoofdrubriek", "subrubriek"] {
        let level = body[key].as_array().expect("a level is a list");
        assert_eq!(level.len(), 2, "{key}: [urls, probabilities]");
        let urls = level[0].as_array().expect("URL list");
        let probabilities = level[1].as_array().expect("probability list");
        assert_eq!(urls.len(), probabilities.len(), "{key}");
        assert!(
            !urls.is_empty() && urls.len() <= expected_len,
            "{key}: {body}"
        );
        for url in urls {
            let url = url.as_str().expect("URL string");
            assert!(
                url.starts_with("https://api.example.org/signals/v1/public/terms/categories/"),
                "{url}"
            );
            assert!(!url.ends_with('/'), "{url}");
        }
        let p: Vec<f64> = probabilities
            .iter()
            .map(|p| p.as_f64().expect("number"))
            .collect();
        assert!(p.iter().all(|p| (0.0..=1.0).contains(p)), "{p:?}");
        assert!(
            p.windows(2).all(|w| w[0] >= w[1]),
            "{key} descending: {p:?}"
        );
    }
}

#[test]
fn the_model_trained_on_the_corpus_scores_well_on_held_out_rows() {
    let (bytes, metrics) = trained();
    assert_eq!(metrics.classes, 123);
    assert!(metrics.held_out >= 700, "{metrics:?}");
    assert!(metrics.macro_f1_sub >= 0.8, "{metrics:?}");
    assert!(metrics.accuracy_main >= 0.9, "{metrics:?}");
    assert!(metrics.top3_sub >= 0.9, "{metrics:?}");
    assert!(bytes.len() < 4_000_000, "{} bytes", bytes.len());
}

#[tokio::test]
async fn clear_dutch_texts_get_their_sub_category() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    publish(&store, "v1").await;
    let app = app(&store, &db, 1, Duration::from_secs(300));

    for (text, main, sub) in [
        (
            "De restafvalcontainer zit al dagen vol, graag vaker legen.",
            "afval",
            "container-is-vol",
        ),
        (
            "Er staat grofvuil op de stoep: een oude bank en een matras.",
            "afval",
            "grofvuil",
        ),
        (
            "De lantaarnpaal voor mijn huis is kapot, de straat is 's avonds donker.",
            "wegen-verkeer-straatmeubilair",
            "lantaarnpaal-straatverlichting",
        ),
        (
            "De glasbak zit vol, mensen zetten flessen ernaast.",
            "afval",
            "container-glas-vol",
        ),
        (
            "Het café op de hoek draait elke nacht harde muziek met de deuren open.",
            "overlast-bedrijven-en-horeca",
            "geluidsoverlast-muziek",
        ),
    ] {
        let body = predict(&app, text).await;
        assert_well_formed(&body, 1);
        let (sub_main, sub_slug, p) = first(&body["subrubriek"]);
        assert_eq!(
            (sub_main.as_str(), sub_slug.as_deref()),
            (main, Some(sub)),
            "{text}: {body}"
        );
        assert!(
            p >= 0.41,
            "{text}: the frontend takes it at 0.41 or more: {body}"
        );
        let (main_slug, none, _) = first(&body["hoofdrubriek"]);
        assert_eq!(main_slug, main, "{text}");
        assert_eq!(none, None);
    }
    empty_bucket(store.objects()).await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_answer_parses_the_way_the_frontend_parses_it() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    publish(&store, "v1").await;

    let reference = app(&store, &db, 1, Duration::from_secs(300));
    let body = predict(&reference, "Er ligt afval naast de container").await;
    assert_well_formed(&body, 1);

    let ranked = app(&store, &db, 5, Duration::from_secs(300));
    let body = predict(&ranked, "Er ligt afval naast de container").await;
    assert_well_formed(&body, 5);
    assert_eq!(body["subrubriek"][0].as_array().map(Vec::len), Some(5));

    let body = predict(&ranked, "xq zzv 12345 ???").await;
    assert_well_formed(&body, 5);
    empty_bucket(store.objects()).await;
    db.cleanup().await;
}

#[tokio::test]
async fn an_inactive_category_is_answered_as_overig() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    publish(&store, "v1").await;
    db.client()
        .await
        .execute(
            "UPDATE signals_category SET is_active = false WHERE slug = 'container-is-vol'",
            &[],
        )
        .await
        .expect("deactivate");
    let app = app(&store, &db, 1, Duration::from_secs(300));

    let body = predict(
        &app,
        "De restafvalcontainer zit al dagen vol, graag vaker legen.",
    )
    .await;

    assert_eq!(
        body["subrubriek"][0][0],
        "https://api.example.org/signals/v1/public/terms/categories/overig/sub_categories/overig"
    );
    assert_eq!(
        body["hoofdrubriek"][0][0],
        "https://api.example.org/signals/v1/public/terms/categories/afval"
    );
    empty_bucket(store.objects()).await;
    db.cleanup().await;
}

#[tokio::test]
async fn bad_input_gets_a_4xx_in_the_reference_format() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    publish(&store, "v1").await;
    let app = app(&store, &db, 1, Duration::from_secs(300));

    let (status, body) = post(&app, r#"{"text": ""}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!(["Zorg dat deze waarde ten minste 1 tekens bevat (het zijn er nu 0)."])
    );
    let (status, _) = post(&app, r#"{"text": "   "}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = post(&app, "{}").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"text": ["Dit veld is vereist."]})
        )
    );
    let (status, body) = post(&app, r#"{"text": 12}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["text"].is_array(), "{body}");
    let (status, body) = post(&app, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("JSON parse error")),
        "{body}"
    );
    let (status, body) = post(&app, r#"["text"]"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["non_field_errors"].is_array(), "{body}");
    let (status, body) = post(&app, &json!({ "text": "afval ".repeat(700) }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = post(&app, &json!({ "text": "x".repeat(100_000) }).to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    empty_bucket(store.objects()).await;
    db.cleanup().await;
}

#[tokio::test]
async fn without_a_published_model_the_answer_is_503_with_a_detail() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    let app = app(&store, &db, 1, Duration::from_secs(300));

    let (status, body) = post(&app, r#"{"text": "container vol"}"#).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["detail"].is_string(), "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_pointer_to_a_missing_or_damaged_version_is_an_error_not_a_crash() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    let missing = ModelPointer {
        version: "v-missing".into(),
        model_key: models::model_key("v-missing"),
        metrics_key: models::metrics_key("v-missing"),
        fingerprint: "0".repeat(64),
        published_at: "2026-12-01T00:00:00Z".into(),
    };
    store.switch_to(&missing).await.expect("pointer");

    let loaded = store.load_current().await;
    assert!(
        matches!(loaded, Err(models::Error::MissingModel { ref version, .. }) if version == "v-missing"),
        "{loaded:?}"
    );
    let (status, body) = post(
        &app(&store, &db, 1, Duration::ZERO),
        r#"{"text": "container vol"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    let (bytes, _) = trained();
    let half = bytes.slice(..bytes.len() / 2);
    store
        .objects()
        .put(&missing.model_key, half, "application/octet-stream")
        .await
        .expect("put half a model");
    let (status, body) = post(
        &app(&store, &db, 1, Duration::ZERO),
        r#"{"text": "container vol"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    empty_bucket(store.objects()).await;
    db.cleanup().await;
}

#[tokio::test]
async fn retraining_while_predicting_never_serves_a_half_written_model() {
    let (store, db) = (model_store().await, TestDatabase::new().await);
    let v1 = publish(&store, "v1").await;
    // Re-check the pointer on every request, so each publication is seen.
    let app = app(&store, &db, 1, Duration::ZERO);
    predict(&app, "container vol").await;

    let publisher = {
        let store = store.clone();
        tokio::spawn(async move {
            for version in ["v2", "v3", "v4"] {
                publish(&store, version).await;
            }
        })
    };
    let mut answered = 0;
    while !publisher.is_finished() || answered < 10 {
        let body = predict(&app, "De container is vol, er staan zakken naast").await;
        assert_well_formed(&body, 1);
        assert_eq!(
            first(&body["subrubriek"]).1.as_deref(),
            Some("container-is-vol")
        );
        answered += 1;
    }
    publisher.await.expect("publisher");

    let current = store.current().await.expect("pointer").expect("published");
    assert_eq!(current.version, "v4");
    let earlier = store.model(&v1).await.expect("v1 is still there");
    assert_eq!(
        earlier,
        trained().0,
        "published versions are never rewritten"
    );
    let again = store
        .publish("v1", "x", "now", Bytes::from_static(b"other"), Bytes::new())
        .await;
    assert!(
        matches!(again, Err(models::Error::VersionExists(_))),
        "{again:?}"
    );
    empty_bucket(store.objects()).await;
    db.cleanup().await;
}

#[tokio::test]
async fn handled_signals_with_their_final_category_are_the_training_texts() {
    let db = TestDatabase::new().await;
    let client = db.client().await;
    let insert = |text: &'static str, state: &'static str, sub: &'static str| {
        let client = &client;
        async move {
            let signal: i32 = client
                .query_one(
                    "INSERT INTO signals_signal (text, incident_date_start) VALUES ($1, now()) RETURNING id",
                    &[&text],
                )
                .await
                .expect("signal")
                .get(0);
            let status: i32 = client
                .query_one(
                    "INSERT INTO signals_status (_signal_id, state) VALUES ($1, $2) RETURNING id",
                    &[&signal, &state],
                )
                .await
                .expect("status")
                .get(0);
            let assignment: i32 = client
                .query_one(
                    "INSERT INTO signals_categoryassignment (_signal_id, category_id) \
                     SELECT $1, id FROM signals_category WHERE slug = $2 AND parent_id IS NOT NULL \
                     LIMIT 1 RETURNING id",
                    &[&signal, &sub],
                )
                .await
                .expect("category assignment")
                .get(0);
            client
                .execute(
                    "UPDATE signals_signal SET status_id = $2, category_assignment_id = $3 WHERE id = $1",
                    &[&signal, &status, &assignment],
                )
                .await
                .expect("pointers");
        }
    };
    insert("de container is vol", "o", "container-is-vol").await;
    insert("nog niet afgehandeld", "m", "container-is-vol").await;
    insert("onbekend", "o", "overig").await;
    insert("lamp kapot", "o", "lantaarnpaal-straatverlichting").await;

    let texts = signalen_infra::pg::training_texts(&client, 100)
        .await
        .expect("query");

    let found: Vec<(&str, &str, &str)> = texts
        .iter()
        .map(|t| (t.text.as_str(), t.main_slug.as_str(), t.sub_slug.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "lamp kapot",
                "wegen-verkeer-straatmeubilair",
                "lantaarnpaal-straatverlichting"
            ),
            ("de container is vol", "afval", "container-is-vol"),
        ]
    );
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn a_publication_writes_the_version_before_the_pointer() {
    let store = model_store().await;
    let pointer = publish(&store, "20261201T000000Z-000000000000").await;

    let keys = store.objects().list("classifier/").await.expect("list");
    assert_eq!(
        keys,
        [
            "classifier/20261201T000000Z-000000000000/metrics.json",
            "classifier/20261201T000000Z-000000000000/model.bin",
            "classifier/current",
        ]
    );
    let (loaded_pointer, bytes) = store.load_current().await.expect("load").expect("a model");
    assert_eq!(loaded_pointer, pointer);
    let model = signalen_classifier::decode(&bytes).expect("a valid model");
    assert_eq!(model.classes(), 123);
    empty_bucket(store.objects()).await;
}
