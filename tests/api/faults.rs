//! Fault tests of the async backbone on the real stack (issue 4's
//! acceptance; docs/async.md): real creates and PATCHes (they write
//! Postgres only), the real relay publishing to moto's SQS, the real consumers (search indexer, mailer)
//! fed from those queues the way Lambda's event source does — a received
//! message is deleted only when its consumer did not report it, otherwise
//! it becomes visible again — and the real OpenSearch and SES behind them.
//!
//! "SQS down" and "OpenSearch down" are endpoints nothing listens on
//! (127.0.0.1:9): to the code that is what a stopped service looks like,
//! and the other tests running against the same moto and OpenSearch carry
//! on undisturbed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use axum::http::{Method, StatusCode};
use mailer::{MailSettings, Mailer};
use outbox_relay::RelayConfig;
use search_indexer::{Indexer, SignalIndex};
use serde_json::{Value, json};
use signalen_domain::mail::MailFlags;
use signalen_infra::config::SearchConfig;
use signalen_infra::consumer::{SqsBatchResponse, SqsEvent};
use signalen_infra::outbox_relay::{DrainReport, Publisher, StopReason};
use signalen_infra::search::SearchClient;
use signalen_infra::sqs::Queue;

use crate::auth::{BackOffice, NewUser};
use crate::fixtures::{citizen_report, record};
use crate::helpers::{sent_mail, test_mailer, test_queue, test_search, unique_name};
use crate::outbox::{options, publisher, unreachable_publisher};

const GROFVUIL: &str =
    "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil";
const HANDLER: &str = "behandelaar@example.org";

/// One database, two queues, an index alias and a sender of its own.
struct Stack {
    office: BackOffice,
    index_queue: Queue,
    mail_queue: Queue,
    index: SignalIndex,
    indexer: Indexer,
    mailer: Mailer,
}

impl Stack {
    async fn new() -> Self {
        let office = BackOffice::with_app(|pool, auth| {
            private_signals::router(private_signals::AppState::new(pool, auth))
        })
        .await;
        office
            .user(NewUser {
                email: HANDLER,
                roles: &[(
                    HANDLER,
                    &[
                        "sia_read",
                        "sia_write",
                        "sia_signal_change_status",
                        "sia_can_view_all_categories",
                    ],
                )],
                ..NewUser::default()
            })
            .await;
        let (client, alias) = test_search().await;
        let index = SignalIndex::new(client, alias);
        let (ses, from) = test_mailer().await;
        Self {
            index_queue: test_queue(HashMap::new()).await,
            mail_queue: test_queue(HashMap::new()).await,
            indexer: Indexer {
                pool: office.db.pool.clone(),
                index: index.clone(),
                replicas: 0,
            },
            mailer: Mailer {
                pool: office.db.pool.clone(),
                ses,
                settings: Arc::new(MailSettings {
                    from,
                    frontend_url: "https://meldingen.example.org".to_owned(),
                    organization_name: "Gemeente Voorbeeld".to_owned(),
                    id_prefix: "SIG-".to_owned(),
                    flags: MailFlags::default(),
                }),
            },
            index,
            office,
        }
    }

    async fn cleanup(self) {
        let (live, building) = self.index.targets().await.expect("targets");
        for index in live.into_iter().chain(building) {
            let _ = self.index.client().delete_index(&index).await;
        }
        self.index_queue.delete_queue().await.expect("cleanup");
        self.mail_queue.delete_queue().await.expect("cleanup");
        self.office.cleanup().await;
    }

    /// A citizen's report through the public router; its id.
    async fn report(&self, email: &str, text: &str) -> i32 {
        let body = json!({
            "text": text,
            "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]}},
            "category": {"sub_category": GROFVUIL},
            "reporter": {"email": email, "sharing_allowed": false},
            "incident_date_start": "2024-03-01T09:30:00+01:00"
        });
        citizen_report(&self.office.db.pool, &body).await
    }

    /// An invocation of the relay with `publisher`, following for
    /// `follow` (polling every 50 ms).
    async fn relay_with(&self, publisher: &Publisher, follow: Duration) -> DrainReport {
        let config = RelayConfig {
            drain: options(),
            follow,
            poll: Duration::from_millis(50),
        };
        outbox_relay::run(&self.office.db.pool, publisher, config, None, |_| {})
            .await
            .expect("the relay run")
    }

    /// A drain: the relay publishes whatever is pending.
    async fn relay(&self) -> usize {
        let report = publisher(&self.index_queue, &self.mail_queue)
            .await
            .drain(&mut self.office.db.client().await, options(), |_| {})
            .await
            .expect("the relay");
        assert_eq!(report.pending, 0, "{report:?}");
        report.published
    }

    /// `publish_attempts` and `last_error` of every pending event.
    async fn attempts_and_errors(&self) -> (Vec<i32>, Vec<String>) {
        let rows = self
            .office
            .db
            .client()
            .await
            .query(
                "SELECT publish_attempts, coalesce(last_error, '') AS error
                 FROM outbox WHERE published_at IS NULL ORDER BY id",
                &[],
            )
            .await
            .expect("pending rows");
        (
            rows.iter().map(|r| r.get("publish_attempts")).collect(),
            rows.iter().map(|r| r.get("error")).collect(),
        )
    }

    async fn pending_events(&self) -> i64 {
        self.office
            .db
            .client()
            .await
            .query_one(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
                &[],
            )
            .await
            .expect("count")
            .get(0)
    }

    async fn documents(&self) -> BTreeMap<String, Value> {
        self.index
            .client()
            .refresh(self.index.alias())
            .await
            .expect("refresh");
        let found = self
            .index
            .client()
            .search(
                self.index.alias(),
                json!({"size": 1000, "query": {"match_all": {}}}),
            )
            .await
            .expect("search");
        found["hits"]["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|hit| {
                (
                    hit["_id"].as_str().expect("id").to_owned(),
                    hit["_source"].clone(),
                )
            })
            .collect()
    }
}

/// What Lambda's SQS event source does for one round: receive up to ten
/// messages, hand them to `consumer` as one batch, delete the ones it did
/// not report and make the reported ones visible again at once. Rounds go
/// on until a receive finds nothing; returns how many messages were
/// reported in all.
async fn drive<F, Fut>(queue: &Queue, mut consumer: F) -> usize
where
    F: FnMut(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    let mut reported = 0;
    for _ in 0..200 {
        let output = queue
            .client()
            .receive_message()
            .queue_url(queue.url())
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .expect("receive");
        let messages = output.messages();
        if messages.is_empty() {
            return reported;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .map_or("1", String::as_str);
                record(
                    m.message_id().unwrap_or_default(),
                    m.receipt_handle().unwrap_or_default(),
                    m.body().unwrap_or_default(),
                    count,
                )
            })
            .collect();
        let event: SqsEvent =
            serde_json::from_value(json!({ "Records": records })).expect("SQS event");
        let response = consumer(event).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        reported += failed.len();
        for message in messages {
            let handle = message.receipt_handle().unwrap_or_default();
            if failed.contains(&message.message_id().unwrap_or_default()) {
                queue
                    .client()
                    .change_message_visibility()
                    .queue_url(queue.url())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .expect("release");
            } else {
                queue.delete(handle).await.expect("delete");
            }
        }
        if !failed.is_empty() {
            // A backend is down: Lambda would back off; the caller decides
            // when it is back, so this round ends here.
            return reported;
        }
    }
    panic!("the queue did not drain in 200 rounds");
}

async fn mails_to(to: &str) -> Vec<String> {
    sent_mail()
        .await
        .iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to)
        .map(|m| m["subject"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn reports_made_while_sqs_is_down_are_all_searchable_and_mailed_once_after_the_relay_ran() {
    const N: usize = 15;
    let stack = Stack::new().await;
    let down = unreachable_publisher(&stack.index_queue, &stack.mail_queue).await;
    let mut reports = Vec::new();
    for n in 0..N {
        let to = format!("{}@example.org", unique_name("melder"));
        let id = stack
            .report(&to, &format!("Grofvuil nummer {n} op de stoep"))
            .await;
        reports.push((id, to));
    }

    // The relay runs while SQS is unreachable: every event stays pending,
    // with the error, tried once.
    let while_down = stack.relay_with(&down, Duration::from_secs(2)).await;
    assert_eq!(while_down.stopped, StopReason::FollowEnded);
    assert_eq!(
        (while_down.published, while_down.failed, while_down.pending),
        (0, N, N as i64),
        "{while_down:?}"
    );
    assert_eq!(
        stack.pending_events().await,
        N as i64,
        "every event waits in the outbox"
    );
    let (attempts, errors) = stack.attempts_and_errors().await;
    assert_eq!(attempts, vec![1; N], "each event tried once in the run");
    assert!(
        errors.iter().all(|e| e.starts_with("search-indexer: ")),
        "{errors:?}"
    );

    // SQS is back: the next invocation publishes, the consumers drain.
    let up = publisher(&stack.index_queue, &stack.mail_queue).await;
    let back = stack.relay_with(&up, Duration::from_secs(1)).await;
    assert_eq!(
        (back.published, back.failed, back.pending),
        (N, 0, 0),
        "every pending event published: {back:?}"
    );
    let index_failures = drive(&stack.index_queue, |e| async {
        stack.indexer.handle(e).await.expect("batch")
    })
    .await;
    let mail_failures = drive(&stack.mail_queue, |e| async {
        stack.mailer.handle(e).await.expect("batch")
    })
    .await;

    // The mails' notes are events of their own (for the index).
    assert_eq!(stack.relay().await, N, "one note per mail");
    let note_failures = drive(&stack.index_queue, |e| async {
        stack.indexer.handle(e).await.expect("batch")
    })
    .await;

    assert_eq!((index_failures, mail_failures, note_failures), (0, 0, 0));
    assert_eq!(stack.pending_events().await, 0);
    let documents = stack.documents().await;
    for (id, to) in &reports {
        assert!(
            documents.contains_key(&id.to_string()),
            "signal {id} is searchable"
        );
        assert_eq!(
            mails_to(to).await,
            [format!("Bedankt voor uw melding SIG-{id}")],
            "one confirmation for {to}"
        );
    }
    assert_eq!(documents.len(), N);
    stack.cleanup().await;
}

#[tokio::test]
async fn changes_made_while_opensearch_is_down_wait_in_the_queue_and_the_index_is_right_when_it_returns()
 {
    let stack = Stack::new().await;
    let a = stack.report("a@example.org", "Matras bij de boom").await;
    let b = stack.report("b@example.org", "Bank op de stoep").await;
    assert_eq!(stack.relay().await, 2);
    drive(&stack.index_queue, |e| async {
        stack.indexer.handle(e).await.expect("batch")
    })
    .await;

    // OpenSearch goes down; the back office keeps working.
    let down = Indexer {
        pool: stack.office.db.pool.clone(),
        index: SignalIndex::new(
            SearchClient::new(&SearchConfig {
                url: "http://127.0.0.1:9".into(),
            })
            .expect("client"),
            stack.index.alias(),
        ),
        replicas: 0,
    };
    for (id, state, text) in [
        (a, "b", "Opgepakt"),
        (b, "b", "Opgepakt"),
        (a, "o", "Opgehaald"),
    ] {
        let (status, body) = stack
            .office
            .send_json_as(
                HANDLER,
                Method::PATCH,
                &format!("/signals/v1/private/signals/{id}"),
                &json!({"status": {"state": state, "text": text}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    stack.relay().await;
    let reported_while_down = drive(&stack.index_queue, |e| async {
        down.handle(e).await.expect("batch")
    })
    .await;
    assert!(reported_while_down > 0, "the indexer reported its failures");

    // OpenSearch is back: the messages SQS kept are indexed.
    let reported_after = drive(&stack.index_queue, |e| async {
        stack.indexer.handle(e).await.expect("batch")
    })
    .await;

    assert_eq!(reported_after, 0);
    let documents = stack.documents().await;
    let state = |id: i32| documents[&id.to_string()]["state"].clone();
    assert_eq!(state(a), "o");
    assert_eq!(state(b), "b");
    stack.cleanup().await;
}
