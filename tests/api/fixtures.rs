//! Fixtures several test modules share: a citizen's report through the
//! real public router, and SQS batches as Lambda's event source hands them
//! to a consumer.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use signalen_infra::consumer::SqsEvent;
use signalen_infra::pg;
use tower::ServiceExt;

/// The `public-signals` router on `pool`, without its throttle (tests send
/// many reports from one address).
pub fn public_router(pool: &pg::Pool) -> axum::Router {
    public_signals::router(public_signals::AppState {
        pool: pool.clone(),
        config: Arc::new(public_signals::Config {
            throttle: None,
            ..public_signals::Config::default()
        }),
    })
}

/// Creates a signal with the public `POST /signals/v1/public/signals/` of
/// the real router (no throttle) and returns its id; its `signal.created`
/// event waits in the outbox for a relay. Fails the test unless the answer
/// is 201.
pub async fn citizen_report(pool: &pg::Pool, body: &Value) -> i32 {
    let app = public_router(pool);
    let request = Request::post("/signals/v1/public/signals/")
        .header("host", "api.example.org")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let created: Value = serde_json::from_slice(&bytes).expect("JSON");
    let uuid = created["signal_id"].as_str().expect("uuid").to_owned();
    pool.get()
        .await
        .expect("connection")
        .query_one(
            "SELECT id FROM signals_signal WHERE uuid = $1::text::uuid",
            &[&uuid],
        )
        .await
        .expect("signal")
        .get(0)
}

/// An SQS batch of `bodies` as Lambda delivers it: message ids `m0`, `m1`,
/// …, first receive.
pub fn sqs_event(bodies: &[String]) -> SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| record(&format!("m{n}"), &format!("handle-{n}"), body, "1"))
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("SQS event")
}

/// One SQS record of a batch.
pub fn record(message_id: &str, receipt_handle: &str, body: &str, receive_count: &str) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": {"ApproximateReceiveCount": receive_count},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:TestQueue",
        "awsRegion": "eu-west-1"
    })
}
