//! The async backbone on the real stack (docs/async.md): the outbox relay
//! (a drain, and follow mode polling for new rows) against moto's SQS and a
//! test database, the consumer framework's idempotency and item failures,
//! the DLQ replay, and the local driver delivering to a function through
//! the Lambda Invoke API.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use local_events::driver::{self, Invoker, LocalQueue};
use local_events::template::{ScheduleSpec, SqsSource, Template};
use outbox_relay::RelayConfig;
use serde_json::{Value, json};
use signalen_infra::consumer::{self, Applied, Failure, Message, apply_once};
use signalen_infra::envelope::Envelope;
use signalen_infra::outbox_relay::{
    DrainOptions, DrainReport, EventFilter, Publisher, Route, SendLimits, StopReason,
};
use signalen_infra::pg;
use signalen_infra::sqs::Queue;
use tower::ServiceExt;
use uuid::Uuid;

use crate::helpers::{TestDatabase, sdk_config, test_queue, unique_name};

const SIGNAL_EVENTS: EventFilter = EventFilter::Prefix("signal.");
const MAIL_EVENTS: EventFilter = EventFilter::OneOf(&["signal.created", "signal.status_changed"]);

async fn insert_event(db: &TestDatabase, aggregate_id: &str, event_type: &str) -> Uuid {
    db.client()
        .await
        .query_one(
            "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload)
             VALUES ('signal', $1, $2, $3) RETURNING event_id",
            &[
                &aggregate_id,
                &event_type,
                &json!({"signal_id": aggregate_id.parse::<i32>().unwrap_or(0)}),
            ],
        )
        .await
        .expect("insert an outbox row")
        .get("event_id")
}

struct Row {
    published: bool,
    attempts: i32,
    last_error: Option<String>,
}

async fn outbox_row(db: &TestDatabase, event_id: Uuid) -> Row {
    let row = db
        .client()
        .await
        .query_one(
            "SELECT published_at IS NOT NULL AS published, publish_attempts, last_error
             FROM outbox WHERE event_id = $1",
            &[&event_id],
        )
        .await
        .expect("outbox row");
    Row {
        published: row.get("published"),
        attempts: row.get("publish_attempts"),
        last_error: row.get("last_error"),
    }
}

/// Every message of a queue (received and deleted until a receive finds
/// none): the envelope and the `event_type` message attribute.
pub(crate) async fn take_all(queue: &Queue) -> Vec<(Envelope, Option<String>)> {
    let mut all = Vec::new();
    loop {
        let output = queue
            .client()
            .receive_message()
            .queue_url(queue.url())
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive");
        let messages = output.messages();
        if messages.is_empty() {
            return all;
        }
        for message in messages {
            let envelope: Envelope =
                serde_json::from_str(message.body().unwrap_or_default()).expect("an envelope");
            let event_type = message
                .message_attributes()
                .and_then(|a| a.get("event_type"))
                .and_then(|v| v.string_value())
                .map(str::to_owned);
            all.push((envelope, event_type));
            queue
                .delete(message.receipt_handle().unwrap_or_default())
                .await
                .expect("delete");
        }
    }
}

pub(crate) fn routes(index: &Queue, mail: &Queue) -> Vec<Route> {
    vec![
        Route {
            consumer: "search-indexer".into(),
            queue_url: index.url().to_owned(),
            events: SIGNAL_EVENTS,
        },
        Route {
            consumer: "mailer".into(),
            queue_url: mail.url().to_owned(),
            events: MAIL_EVENTS,
        },
    ]
}

pub(crate) async fn publisher(index: &Queue, mail: &Queue) -> Publisher {
    Publisher::new(&sdk_config().await, routes(index, mail), SendLimits::RELAY)
}

/// A publisher whose SQS endpoint is a port nothing listens on (set on the
/// client: `AWS_ENDPOINT_URL` from the environment wins over the shared
/// configuration's endpoint).
pub(crate) async fn unreachable_publisher(index: &Queue, mail: &Queue) -> Publisher {
    let dead = aws_sdk_sqs::config::Builder::from(&sdk_config().await)
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_sdk_sqs::config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    Publisher::with_client(aws_sdk_sqs::Client::from_conf(dead), routes(index, mail))
}

pub(crate) fn options() -> DrainOptions {
    DrainOptions {
        batch_size: 100,
        budget: Duration::from_secs(30),
    }
}

#[tokio::test]
async fn the_relay_publishes_each_pending_event_once_to_every_queue_that_subscribes() {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let created = insert_event(&db, "1", "signal.created").await;
    let note = insert_event(&db, "1", "signal.note_added").await;
    let status = insert_event(&db, "2", "signal.status_changed").await;
    let foreign = insert_event(&db, "3", "user.created").await;
    let relay = publisher(&index, &mail).await;

    let report = relay
        .drain(&mut db.client().await, options(), |_| {})
        .await
        .expect("drain");
    let again = relay
        .drain(&mut db.client().await, options(), |_| {})
        .await
        .expect("second drain");

    assert_eq!(
        (
            report.claimed,
            report.published,
            report.messages,
            report.failed
        ),
        (4, 4, 5, 0)
    );
    assert_eq!((report.stopped, report.pending), (StopReason::Drained, 0));
    assert_eq!((again.claimed, again.messages), (0, 0));
    let indexed = take_all(&index).await;
    let mailed = take_all(&mail).await;
    let ids = |messages: &[(Envelope, Option<String>)]| {
        let mut ids: Vec<Uuid> = messages.iter().map(|(e, _)| e.event_id).collect();
        ids.sort();
        ids
    };
    let mut want_indexed = vec![created, note, status];
    want_indexed.sort();
    let mut want_mailed = vec![created, status];
    want_mailed.sort();
    assert_eq!(ids(&indexed), want_indexed);
    assert_eq!(ids(&mailed), want_mailed);
    let (envelope, attribute) = indexed
        .iter()
        .find(|(e, _)| e.event_id == status)
        .expect("the status event");
    assert_eq!(envelope.event_type, "signal.status_changed");
    assert_eq!(attribute.as_deref(), Some("signal.status_changed"));
    assert_eq!(
        (
            envelope.aggregate_type.as_str(),
            envelope.aggregate_id.as_str()
        ),
        ("signal", "2")
    );
    assert_eq!(envelope.payload, json!({"signal_id": 2}));
    for event_id in [created, note, status, foreign] {
        let row = outbox_row(&db, event_id).await;
        assert!(row.published, "{event_id} is published");
        assert_eq!((row.attempts, row.last_error), (1, None));
    }
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

#[tokio::test]
async fn with_sqs_unreachable_the_events_stay_pending_with_their_error_and_a_later_run_publishes_them()
 {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let events = [
        insert_event(&db, "1", "signal.created").await,
        insert_event(&db, "2", "signal.location_changed").await,
    ];

    let down = unreachable_publisher(&index, &mail)
        .await
        .drain(&mut db.client().await, options(), |_| {})
        .await
        .expect("drain against a dead SQS");
    let rows_while_down = [
        outbox_row(&db, events[0]).await,
        outbox_row(&db, events[1]).await,
    ];
    let up = publisher(&index, &mail)
        .await
        .drain(&mut db.client().await, options(), |_| {})
        .await
        .expect("drain");

    assert_eq!(down.stopped, StopReason::SqsFailing);
    assert_eq!((down.published, down.failed, down.pending), (0, 2, 2));
    for row in &rows_while_down {
        assert!(!row.published);
        assert_eq!(row.attempts, 1);
        let error = row.last_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("search-indexer: "), "{error}");
    }
    assert_eq!((up.published, up.pending), (2, 0));
    assert_eq!(take_all(&index).await.len(), 2);
    assert_eq!(take_all(&mail).await.len(), 1);
    let row = outbox_row(&db, events[0]).await;
    assert!(row.published);
    assert_eq!((row.attempts, row.last_error), (2, None));
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

#[tokio::test]
async fn concurrent_relays_never_publish_an_event_twice() {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let mut events = Vec::new();
    for n in 0..60 {
        events.push(insert_event(&db, &n.to_string(), "signal.created").await);
    }
    let relay = publisher(&index, &mail).await;
    let small_batches = DrainOptions {
        batch_size: 4,
        budget: Duration::from_secs(60),
    };

    let runs = futures_join(
        (0..3)
            .map(|_| {
                let (relay, pool) = (relay.clone(), db.pool.clone());
                tokio::spawn(async move {
                    let mut client = pool.get().await.expect("connection");
                    relay
                        .drain(&mut client, small_batches, |_| {})
                        .await
                        .expect("drain")
                })
            })
            .collect(),
    )
    .await;

    let published: usize = runs.iter().map(|r| r.published).sum();
    assert_eq!(published, 60);
    assert!(
        runs.iter().filter(|r| r.published > 0).count() >= 2,
        "the relays ran side by side: {runs:?}"
    );
    assert_each_event_once(&[&index, &mail], &events).await;
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

/// Every queue holds each of `events` exactly once (and nothing else).
async fn assert_each_event_once(queues: &[&Queue], events: &[Uuid]) {
    let mut want = events.to_vec();
    want.sort();
    for queue in queues {
        let mut ids: Vec<Uuid> = take_all(queue)
            .await
            .iter()
            .map(|(e, _)| e.event_id)
            .collect();
        ids.sort();
        assert_eq!(ids, want, "each event exactly once");
    }
}

async fn futures_join<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

// ---- follow mode -------------------------------------------------------------

/// A relay configuration that follows for `follow`, polling every 50 ms.
fn following(follow: Duration) -> RelayConfig {
    RelayConfig {
        drain: options(),
        follow,
        poll: Duration::from_millis(50),
    }
}

/// Runs the relay as an invocation does (`outbox_relay::run`) in a task:
/// the report and how long the run took.
fn spawn_relay(
    db: &TestDatabase,
    relay: Publisher,
    config: RelayConfig,
    deadline: Option<SystemTime>,
) -> tokio::task::JoinHandle<(DrainReport, Duration)> {
    let pool = db.pool.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let report = outbox_relay::run(&pool, &relay, config, deadline, |_| {})
            .await
            .expect("the relay run");
        (report, started.elapsed())
    })
}

/// Receives from `queue` until `want` messages came or `within` passed:
/// the envelopes and when the last one arrived (from `since`).
async fn receive_within(
    queue: &Queue,
    want: usize,
    since: Instant,
    within: Duration,
) -> (Vec<Envelope>, Duration) {
    let mut got = Vec::new();
    let mut last = Duration::ZERO;
    while got.len() < want && since.elapsed() < within {
        let output = queue
            .client()
            .receive_message()
            .queue_url(queue.url())
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for message in output.messages() {
            got.push(
                serde_json::from_str::<Envelope>(message.body().unwrap_or_default())
                    .expect("an envelope"),
            );
            last = since.elapsed();
            queue
                .delete(message.receipt_handle().unwrap_or_default())
                .await
                .expect("delete");
        }
    }
    (got, last)
}

#[tokio::test]
async fn a_following_relay_publishes_new_events_and_reports_within_a_second_and_stops_on_time() {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let follow = Duration::from_secs(6);
    let relay = spawn_relay(&db, publisher(&index, &mail).await, following(follow), None);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let inserted = Instant::now();
    let note = insert_event(&db, "5", "signal.note_added").await;
    let (first, note_latency) = receive_within(&index, 1, inserted, Duration::from_secs(4)).await;
    let created_at = Instant::now();
    let response = public_signals(&db)
        .oneshot(create_request())
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::CREATED);
    let (signal_id, created) = created_event(&db).await;
    let (indexed, index_latency) =
        receive_within(&index, 1, created_at, Duration::from_secs(4)).await;
    let (mailed, mail_latency) = receive_within(&mail, 1, created_at, Duration::from_secs(4)).await;
    let (report, took) = relay.await.expect("the relay task");

    assert_eq!(first.iter().map(|e| e.event_id).collect::<Vec<_>>(), [note]);
    assert_eq!(indexed.len(), 1);
    assert_eq!(
        (indexed[0].event_id, indexed[0].aggregate_id.as_str()),
        (created, signal_id.as_str())
    );
    assert_eq!(
        mailed.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        [created]
    );
    for latency in [note_latency, index_latency, mail_latency] {
        assert!(
            latency < Duration::from_secs(1),
            "published after {latency:?}"
        );
    }
    assert!(
        took >= follow && took < follow + Duration::from_millis(1500),
        "the run follows for {follow:?}, it took {took:?}"
    );
    assert_eq!(report.stopped, StopReason::FollowEnded);
    assert_eq!(
        (
            report.published,
            report.messages,
            report.failed,
            report.pending
        ),
        (2, 3, 0, 0)
    );
    assert!(report.idle_polls > 20, "it kept polling: {report:?}");
    assert!(outbox_row(&db, created).await.published);
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

#[tokio::test]
async fn overlapping_following_relays_publish_each_new_event_once() {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let relay = publisher(&index, &mail).await;
    // The earlier run ends while rows still come in; the later one, started
    // during the earlier one's last second, takes over (as consecutive
    // invocations overlap by a few seconds).
    let earlier = spawn_relay(&db, relay.clone(), following(Duration::from_secs(2)), None);
    let mut events = Vec::new();
    let mut later = None;
    for n in 0..30 {
        if n == 10 {
            later = Some(spawn_relay(
                &db,
                relay.clone(),
                following(Duration::from_secs(4)),
                None,
            ));
        }
        events.push(insert_event(&db, &n.to_string(), "signal.created").await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (a, _) = earlier.await.expect("the earlier relay");
    let (b, _) = later.expect("started").await.expect("the later relay");

    assert_eq!(a.published + b.published, 30, "{a:?} {b:?}");
    assert!(
        a.published > 0 && b.published > 0,
        "the later relay took over after the earlier one stopped: {a:?} {b:?}"
    );
    assert_eq!((a.failed, b.failed, b.pending), (0, 0, 0));
    assert_each_event_once(&[&index, &mail], &events).await;
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

#[tokio::test]
async fn a_following_relay_tries_each_row_once_while_sqs_refuses_backs_off_and_the_next_run_publishes()
 {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let before = insert_event(&db, "1", "signal.created").await;
    // Poll 50 ms: the backoff after a refused batch is its floor, 1 s.
    let relay = spawn_relay(
        &db,
        unreachable_publisher(&index, &mail).await,
        following(Duration::from_secs(3)),
        None,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during = insert_event(&db, "2", "signal.status_changed").await;
    let (down, _) = relay.await.expect("the relay against a dead SQS");
    let rows_while_down = [outbox_row(&db, before).await, outbox_row(&db, during).await];

    let (up, _) = spawn_relay(
        &db,
        publisher(&index, &mail).await,
        following(Duration::from_secs(1)),
        None,
    )
    .await
    .expect("the next run");

    assert_eq!(down.stopped, StopReason::FollowEnded);
    assert_eq!(
        (
            down.published,
            down.failed,
            down.refused_batches,
            down.pending
        ),
        (0, 2, 2, 2),
        "each row tried once, one refused batch each: {down:?}"
    );
    assert!(
        down.idle_polls < 40,
        "backed off instead of polling on: {down:?}"
    );
    for row in &rows_while_down {
        assert!(!row.published);
        assert_eq!(row.attempts, 1);
        let error = row.last_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("search-indexer: "), "{error}");
    }
    assert_eq!((up.published, up.failed, up.pending), (2, 0, 0));
    assert_eq!(take_all(&index).await.len(), 2);
    assert_eq!(take_all(&mail).await.len(), 2);
    let row = outbox_row(&db, during).await;
    assert!(row.published);
    assert_eq!((row.attempts, row.last_error), (2, None));
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

#[tokio::test]
async fn a_following_relay_stops_twenty_seconds_before_the_invocations_deadline() {
    let db = TestDatabase::new().await;
    let (index, mail) = (
        test_queue(HashMap::new()).await,
        test_queue(HashMap::new()).await,
    );
    let deadline = SystemTime::now() + outbox_relay::DEADLINE_MARGIN + Duration::from_secs(2);

    let (report, took) = spawn_relay(
        &db,
        publisher(&index, &mail).await,
        following(Duration::from_secs(65)),
        Some(deadline),
    )
    .await
    .expect("the relay");

    assert_eq!(report.stopped, StopReason::FollowEnded);
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
        "ends at the deadline less the margin, took {took:?}"
    );
    index.delete_queue().await.expect("cleanup");
    mail.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

fn create_request() -> Request<Body> {
    let body = json!({
        "text": "Naast de container ligt een grote berg afval.",
        "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]}},
        "category": {"sub_category":
            "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"},
        "reporter": {"email": "melder@example.com", "sharing_allowed": false},
        "incident_date_start": "2024-03-01T09:30:00+01:00"
    });
    Request::post("/signals/v1/public/signals/")
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn public_signals(db: &TestDatabase) -> Router {
    crate::fixtures::public_router(&db.pool)
}

async fn created_event(db: &TestDatabase) -> (String, Uuid) {
    let row = db
        .client()
        .await
        .query_one(
            "SELECT aggregate_id, event_id FROM outbox WHERE event_type = 'signal.created'",
            &[],
        )
        .await
        .expect("the created event");
    (row.get("aggregate_id"), row.get("event_id"))
}

#[tokio::test]
async fn a_create_writes_postgres_only_and_leaves_its_event_pending_for_the_relay() {
    let db = TestDatabase::new().await;

    let response = public_signals(&db)
        .oneshot(create_request())
        .await
        .expect("response");

    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, event_id) = created_event(&db).await;
    let row = outbox_row(&db, event_id).await;
    assert!(!row.published);
    assert_eq!((row.attempts, row.last_error), (0, None));
    db.cleanup().await;
}

// ---- the consumer framework -------------------------------------------------

fn envelope_body(event_id: Uuid, aggregate_id: &str) -> String {
    serde_json::to_string(&Envelope {
        event_id,
        event_type: "signal.created".into(),
        aggregate_type: "signal".into(),
        aggregate_id: aggregate_id.into(),
        occurred_at: chrono::Utc::now(),
        payload: json!({}),
    })
    .expect("serialise")
}

fn sqs_event(records: &[(&str, String)]) -> SqsEvent {
    serde_json::from_value(json!({
        "Records": records.iter().map(|(id, body)| json!({
            "messageId": id,
            "receiptHandle": format!("handle-{id}"),
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        })).collect::<Vec<_>>()
    }))
    .expect("an SQS event")
}

async fn effect_table(db: &TestDatabase) {
    db.client()
        .await
        .batch_execute(
            "CREATE TABLE test_effect (event_id uuid NOT NULL, aggregate_id text NOT NULL)",
        )
        .await
        .expect("create the effect table");
}

async fn effects(db: &TestDatabase) -> BTreeMap<Uuid, i64> {
    db.client()
        .await
        .query(
            "SELECT event_id, count(*) AS n FROM test_effect GROUP BY event_id",
            &[],
        )
        .await
        .expect("effects")
        .iter()
        .map(|r| (r.get("event_id"), r.get("n")))
        .collect()
}

/// The effect of the test consumer: one row per event, written in the
/// transaction of its `consumer_effect` row; `pause` holds the transaction
/// open (a slow e-mail send).
async fn record(pool: &pg::Pool, message: &Message, pause: Duration) -> Result<(), Failure> {
    let mut client = pool.get().await.map_err(Failure::unavailable)?;
    let aggregate_id = message.envelope.aggregate_id.clone();
    let event_id = message.envelope.event_id;
    apply_once(&mut client, "test-consumer", event_id, async |tx| {
        tokio::time::sleep(pause).await;
        tx.execute(
            "INSERT INTO test_effect (event_id, aggregate_id) VALUES ($1, $2)",
            &[&event_id, &aggregate_id],
        )
        .await
    })
    .await
    .map(|_| ())
    .map_err(Failure::item)
}

fn failures(response: &consumer::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn a_duplicate_delivery_has_one_effect_even_when_both_arrive_at_once() {
    let db = TestDatabase::new().await;
    effect_table(&db).await;
    let (twice_in_a_batch, concurrent) = (Uuid::new_v4(), Uuid::new_v4());
    let batch = sqs_event(&[
        ("m1", envelope_body(twice_in_a_batch, "1")),
        ("m2", envelope_body(twice_in_a_batch, "1")),
    ]);

    let pool = &db.pool;
    let first = consumer::handle_batch("test-consumer", batch, |m: Message| async move {
        record(pool, &m, Duration::ZERO).await
    })
    .await
    .expect("batch");
    let deliveries = (0..2).map(|n| {
        let pool = db.pool.clone();
        let event = sqs_event(&[(&format!("c{n}"), envelope_body(concurrent, "2"))]);
        tokio::spawn(async move {
            let pool = &pool;
            consumer::handle_batch("test-consumer", event, |m: Message| async move {
                record(pool, &m, Duration::from_millis(500)).await
            })
            .await
            .expect("batch")
        })
    });
    let concurrent_responses = futures_join(deliveries.collect()).await;

    assert!(failures(&first).is_empty());
    for response in &concurrent_responses {
        assert!(
            failures(response).is_empty(),
            "the waiting delivery succeeds as done"
        );
    }
    assert_eq!(
        effects(&db).await,
        BTreeMap::from([(twice_in_a_batch, 1), (concurrent, 1)])
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_failed_effect_keeps_no_claim_so_the_redelivery_does_it() {
    let db = TestDatabase::new().await;
    effect_table(&db).await;
    let event_id = Uuid::new_v4();
    let mut client = db.client().await;

    let failed = apply_once(&mut client, "test-consumer", event_id, async |_tx| {
        Err::<(), _>("SES refused the message")
    })
    .await;
    let retried = apply_once(&mut client, "test-consumer", event_id, async |tx| {
        tx.execute(
            "INSERT INTO test_effect (event_id, aggregate_id) VALUES ($1, 'x')",
            &[&event_id],
        )
        .await
    })
    .await
    .expect("the retry");
    let third = apply_once(&mut client, "test-consumer", event_id, async |_tx| {
        Ok::<_, std::convert::Infallible>(())
    })
    .await
    .expect("a third delivery");

    assert!(matches!(failed, Err(consumer::OnceError::Effect(_))));
    assert_eq!(retried, Applied::Done(1));
    assert_eq!(third, Applied::AlreadyDone);
    assert_eq!(effects(&db).await, BTreeMap::from([(event_id, 1)]));
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn a_malformed_message_fails_alone_and_the_rest_of_its_batch_is_done() {
    let db = TestDatabase::new().await;
    effect_table(&db).await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let batch = sqs_event(&[
        ("good-1", envelope_body(a, "1")),
        (
            "poison",
            r#"{"event_type": "signal.created", "payload": "#.into(),
        ),
        ("good-2", envelope_body(b, "2")),
    ]);

    let pool = &db.pool;
    let response = consumer::handle_batch("test-consumer", batch, |m: Message| async move {
        record(pool, &m, Duration::ZERO).await
    })
    .await
    .expect("batch");

    assert_eq!(failures(&response), vec!["poison".to_owned()]);
    assert_eq!(effects(&db).await, BTreeMap::from([(a, 1), (b, 1)]));
    db.cleanup().await;
}

// ---- DLQ replay ---------------------------------------------------------------

async fn queue_with_dlq(visibility: &str, max_receives: u32) -> (Queue, Queue) {
    let dlq = test_queue(HashMap::new()).await;
    let redrive = json!({
        "deadLetterTargetArn": dlq.arn().await.expect("arn"),
        "maxReceiveCount": max_receives.to_string()
    })
    .to_string();
    let queue = test_queue(HashMap::from([
        (QueueAttributeName::VisibilityTimeout, visibility.to_owned()),
        (QueueAttributeName::RedrivePolicy, redrive),
    ]))
    .await;
    (queue, dlq)
}

#[tokio::test]
async fn the_replay_moves_dead_letters_back_to_their_queue_unchanged_and_bounded() {
    let (queue, dlq) = queue_with_dlq("30", 5).await;
    for n in 0..3 {
        dlq.client()
            .send_message()
            .queue_url(dlq.url())
            .message_body(format!("dead {n}"))
            .message_attributes(
                "event_type",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("signal.created")
                    .build()
                    .expect("attribute"),
            )
            .send()
            .await
            .expect("send to the DLQ");
    }
    let client = dlq.client().clone();

    let (from_source, to_source) =
        outbox_relay::replay::dead_letters_and_source(&client, queue.url(), None)
            .await
            .expect("found from the source queue");
    let (from_dlq, to_dlq) =
        outbox_relay::replay::dead_letters_and_source(&client, dlq.url(), None)
            .await
            .expect("found from the DLQ");
    let bounded = outbox_relay::replay::replay(&from_source, &to_source, 2, |_| {})
        .await
        .expect("replay 2");
    let rest = outbox_relay::replay::replay(&from_dlq, &to_dlq, 100, |_| {})
        .await
        .expect("replay the rest");

    assert_eq!(
        (from_source.url(), to_source.url()),
        (dlq.url(), queue.url())
    );
    assert_eq!((from_dlq.url(), to_dlq.url()), (dlq.url(), queue.url()));
    assert_eq!((bounded.moved, bounded.left), (2, 1));
    assert_eq!((rest.moved, rest.left), (1, 0));
    let output = queue
        .client()
        .receive_message()
        .queue_url(queue.url())
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .message_attribute_names("All")
        .send()
        .await
        .expect("receive");
    let mut bodies: Vec<&str> = output.messages().iter().filter_map(|m| m.body()).collect();
    bodies.sort();
    assert_eq!(bodies, vec!["dead 0", "dead 1", "dead 2"]);
    for message in output.messages() {
        let attribute = message
            .message_attributes()
            .and_then(|a| a.get("event_type"))
            .and_then(|v| v.string_value());
        assert_eq!(attribute, Some("signal.created"));
    }
    assert!(dlq.receive(10, 1).await.expect("receive").is_empty());
    queue.delete_queue().await.expect("cleanup");
    dlq.delete_queue().await.expect("cleanup");
}

// ---- the local driver --------------------------------------------------------

/// A stand-in for `cargo lambda watch`'s Lambda Invoke API: the "function"
/// is the consumer framework with the test consumer's effect, the way a
/// consumer's main wires it.
#[derive(Clone)]
struct FakeLambda {
    pool: pg::Pool,
    invocations: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn invoke(
    State(lambda): State<FakeLambda>,
    Path(function): Path<String>,
    Json(event): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    lambda
        .invocations
        .lock()
        .expect("lock")
        .push((function.clone(), event.clone()));
    if event.get("Records").is_none() {
        return Ok(Json(json!({"scheduled": true})));
    }
    let event: SqsEvent = serde_json::from_value(event).map_err(|_| StatusCode::BAD_REQUEST)?;
    let pool = &lambda.pool;
    let response = consumer::handle_batch("test-consumer", event, |m: Message| async move {
        record(pool, &m, Duration::ZERO).await
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(serde_json::to_value(response).expect("json")))
}

async fn fake_lambda(pool: pg::Pool) -> (Invoker, Arc<Mutex<Vec<(String, Value)>>>) {
    let invocations = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .with_state(FakeLambda {
            pool,
            invocations: invocations.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (Invoker::new(format!("http://{address}")), invocations)
}

#[tokio::test]
async fn the_local_driver_delivers_batches_and_a_poison_message_ends_in_the_dlq() {
    let db = TestDatabase::new().await;
    effect_table(&db).await;
    let (queue, dlq) = queue_with_dlq("1", 2).await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    queue.send(&envelope_body(a, "1")).await.expect("send");
    queue.send("not an envelope").await.expect("send");
    queue.send(&envelope_body(b, "2")).await.expect("send");
    let (invoker, invocations) = fake_lambda(db.pool.clone()).await;
    let local = LocalQueue {
        logical_id: "TestQueue".into(),
        url: queue.url().to_owned(),
        arn: queue.arn().await.expect("arn"),
    };
    let source = SqsSource {
        event: "Work".into(),
        function: "test-consumer".into(),
        queue: "TestQueue".into(),
        batch_size: 10,
        report_batch_item_failures: true,
        timeout: 5,
    };
    let sqs = queue.client().clone();

    let mut dead = Vec::new();
    for _ in 0..20 {
        driver::poll_once(&sqs, &local, &source, &invoker, "eu-west-1", 1)
            .await
            .expect("poll");
        dead = dlq.receive(10, 0).await.expect("receive the DLQ");
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
    }

    assert_eq!(dead.len(), 1, "the poison message is in the DLQ");
    assert_eq!(dead[0].body, "not an envelope");
    assert_eq!(effects(&db).await, BTreeMap::from([(a, 1), (b, 1)]));
    assert!(
        queue.receive(10, 2).await.expect("receive").is_empty(),
        "the queue is empty"
    );
    let invocations = invocations.lock().expect("lock").clone();
    assert!(
        invocations.len() >= 2,
        "the poison message was delivered again"
    );
    assert!(
        invocations
            .iter()
            .all(|(function, _)| function == "test-consumer")
    );
    let first = &invocations[0].1["Records"];
    assert_eq!(
        first.as_array().map(Vec::len),
        Some(3),
        "one batch of three"
    );
    assert_eq!(first[0]["eventSource"], "aws:sqs");
    assert_eq!(first[0]["eventSourceARN"], local.arn.as_str());
    queue.delete_queue().await.expect("cleanup");
    dlq.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

#[tokio::test]
async fn the_local_driver_makes_the_templates_queues_and_fires_a_rate_schedule_at_once() {
    let db = TestDatabase::new().await;
    let id = unique_name("T").replace('-', "");
    let template = Template::parse(&format!(
        r#"
Resources:
  {id}Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 180
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt {id}Dlq.Arn
        maxReceiveCount: 5
  {id}Dlq:
    Type: AWS::SQS::Queue
"#
    ))
    .expect("template");
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let (invoker, invocations) = fake_lambda(db.pool.clone()).await;
    let schedule = ScheduleSpec {
        event: "EveryHour".into(),
        function: "relay".into(),
        schedule: local_events::schedule::Schedule::parse("rate(1 hour)").expect("rate"),
        expression: "rate(1 hour)".into(),
        input: None,
        timeout: 5,
    };

    let queues = driver::ensure_queues(&sqs, &template)
        .await
        .expect("queues");
    let again = driver::ensure_queues(&sqs, &template)
        .await
        .expect("idempotent");
    let firing = tokio::spawn(driver::run_schedule(schedule, invoker, "eu-west-1".into()));
    let mut fired = Vec::new();
    for _ in 0..50 {
        fired = invocations.lock().expect("lock").clone();
        if !fired.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    firing.abort();

    assert_eq!(queues, again);
    let source = Queue::with_client(sqs.clone(), queues[&format!("{id}Queue")].url.clone());
    let dlq = Queue::with_client(sqs.clone(), queues[&format!("{id}Dlq")].url.clone());
    assert_eq!(
        source.dead_letter_target().await.expect("policy"),
        Some(queues[&format!("{id}Dlq")].arn.clone())
    );
    assert_eq!(
        dlq.dead_letter_sources().await.expect("sources"),
        vec![source.url().to_owned()]
    );
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].0, "relay");
    assert_eq!(fired[0].1["detail-type"], "Scheduled Event");
    assert_eq!(fired[0].1["source"], "aws.events");
    source.delete_queue().await.expect("cleanup");
    dlq.delete_queue().await.expect("cleanup");
    db.cleanup().await;
}

type Times = Arc<Mutex<Vec<(Duration, Duration)>>>;

/// A stand-in for the watch server whose function takes `busy` per
/// invocation, one at a time as `cargo lambda watch` runs it: when each
/// invocation started and ended, and when each request arrived (since the
/// test's start).
async fn slow_lambda(
    busy: Duration,
    since: Instant,
) -> (Invoker, Times, Arc<Mutex<Vec<Duration>>>) {
    let runs = Arc::new(Mutex::new(Vec::new()));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let one_at_a_time = Arc::new(tokio::sync::Mutex::new(()));
    let (recorded, arrived) = (runs.clone(), arrivals.clone());
    let app = Router::new().route(
        "/2015-03-31/functions/{function}/invocations",
        post(move || {
            let (runs, arrivals, one_at_a_time) =
                (recorded.clone(), arrived.clone(), one_at_a_time.clone());
            async move {
                arrivals.lock().expect("lock").push(since.elapsed());
                let _instance = one_at_a_time.lock().await;
                let started = since.elapsed();
                tokio::time::sleep(busy).await;
                runs.lock().expect("lock").push((started, since.elapsed()));
                Json(json!({"published": 0}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (Invoker::new(format!("http://{address}")), runs, arrivals)
}

fn every_second(timeout: u32) -> ScheduleSpec {
    ScheduleSpec {
        event: "EverySecond".into(),
        function: "relay".into(),
        schedule: local_events::schedule::Schedule::Rate(Duration::from_secs(1)),
        expression: "rate(1 second)".into(),
        input: None,
        timeout,
    }
}

#[tokio::test]
async fn a_schedule_whose_invocation_outlasts_its_period_fires_again_as_it_ends_without_a_backlog()
{
    let since = Instant::now();
    let (invoker, runs, _) = slow_lambda(Duration::from_millis(1500), since).await;

    let firing = tokio::spawn(driver::run_schedule(
        every_second(5),
        invoker,
        "eu-west-1".into(),
    ));
    tokio::time::sleep(Duration::from_millis(5200)).await;
    firing.abort();
    let runs = runs.lock().expect("lock").clone();

    // 1.5 s each, back to back: three done by 4.5 s (a fourth still runs).
    assert_eq!(runs.len(), 3, "{runs:?}");
    for pair in runs.windows(2) {
        let gap = pair[1].0.saturating_sub(pair[0].1);
        assert!(
            gap < Duration::from_millis(300),
            "the next run starts as the previous ends: {runs:?}"
        );
    }
}

#[tokio::test]
async fn a_schedule_fires_again_once_the_running_invocation_outlived_the_functions_timeout() {
    // An invocation the watch server never answers (it restarted the
    // function after a rebuild) holds the next firing back only until the
    // function's Timeout.
    let since = Instant::now();
    let (invoker, _, arrivals) = slow_lambda(Duration::from_secs(30), since).await;

    let firing = tokio::spawn(driver::run_schedule(
        every_second(1),
        invoker,
        "eu-west-1".into(),
    ));
    tokio::time::sleep(Duration::from_millis(2600)).await;
    firing.abort();
    let arrivals = arrivals.lock().expect("lock").clone();

    assert_eq!(arrivals.len(), 3, "at 0, 1 and 2 s: {arrivals:?}");
    assert!(
        arrivals[1] >= Duration::from_millis(900),
        "not before the Timeout: {arrivals:?}"
    );
}
