//! The outbox relay (spec 10 §10.1, docs/async.md): publishes the events
//! writers committed to `outbox` to the SQS queue of every consumer that
//! subscribes to their type, then marks them published.
//!
//! # The relay alone, following the outbox
//!
//! Writers only commit their change and its outbox rows: the request path
//! writes Postgres and nothing else. The scheduled `outbox-relay` function
//! publishes:
//!
//! * [`Publisher::drain`] — batches of the oldest pending rows until none
//!   is left, the time budget is used, or SQS refuses a whole batch (one
//!   pass: `outbox-relay --once`, `OUTBOX_RELAY_FOLLOW_SECONDS=0`);
//! * [`Publisher::follow`] — the same, and then it keeps polling for new
//!   pending rows every [`FollowOptions::poll`] while idle, publishing what
//!   it finds at once, until the follow period ends. Invocations overlap a
//!   little (the schedule fires every minute, each follows ~65 s), so one
//!   is always polling: publication latency is the poll interval plus SQS.
//!   While SQS refuses whole batches it waits [`FollowOptions::backoff`]
//!   between tries and logs the outage once.
//!
//! Both claim rows with `FOR UPDATE SKIP LOCKED` in a transaction that stays
//! open while the messages are sent and commits `published_at` with them, so
//! concurrent relays never publish the same row twice: a row one of them
//! holds is skipped by the others, and a row committed as published no
//! longer matches (Postgres re-checks `published_at IS NULL` on the row's
//! latest version when it locks it). Rows are claimed by id order but no id
//! high-water mark is kept (ids are allocated at insert, not at commit). A
//! row that failed in a run is not tried again in that run; the next run
//! retries it. A relay killed or frozen mid-batch loses nothing: its
//! transaction never commits, the rows stay pending and their locks go with
//! the connection.
//!
//! # Routing
//!
//! One standard SQS queue per consumer ([`SUBSCRIPTIONS`]: the consumer's
//! name, the variable with its queue URL, the event types it wants); the
//! relay does the fan-out with `SendMessageBatch` per queue. A row is marked
//! published only when every subscribed queue took it; otherwise its
//! `publish_attempts` goes up, `last_error` says which queue refused it and
//! why, and a later run sends it again — to every subscribed queue, so a
//! consumer can see an event twice. Consumers are idempotent on the
//! envelope's `event_id` anyway (SQS itself is at-least-once; see
//! [`crate::consumer`]). A row no consumer subscribes to is marked
//! published without a message.
//!
//! # Adding a consumer or an event type
//!
//! Add a [`Subscription`] (and its queue, DLQ and variable in template.yaml:
//! docs/async.md). Writers need no change.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use signalen_domain::signal::SIGNAL_CREATED;
use signalen_domain::signal::events::SIGNAL_STATUS_CHANGED;
use uuid::Uuid;

use crate::config::{self, ConfigError};
use crate::envelope::{EVENT_ID_ATTRIBUTE, EVENT_TYPE_ATTRIBUTE, Envelope};
use crate::pg::{self, tokio_postgres};
use crate::sqs::{self, Outgoing, Queue};

/// Consumer name of the search indexer (also its `consumer_effect.consumer`).
pub const SEARCH_INDEXER: &str = "search-indexer";
/// Consumer name of the mailer.
pub const MAILER: &str = "mailer";

/// Which event types a consumer wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFilter {
    /// Every type starting with the prefix (`signal.`).
    Prefix(&'static str),
    /// Exactly these types.
    OneOf(&'static [&'static str]),
}

impl EventFilter {
    pub fn wants(&self, event_type: &str) -> bool {
        match self {
            EventFilter::Prefix(prefix) => event_type.starts_with(prefix),
            EventFilter::OneOf(types) => types.contains(&event_type),
        }
    }
}

/// A consumer of the outbox: its name, the environment variable holding
/// its queue's URL, and the events it subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub consumer: &'static str,
    pub queue_url_var: &'static str,
    pub events: EventFilter,
}

/// The routing table. The search indexer re-indexes on every signal event
/// (status and contact changes included, spec 13's flaw not copied); the
/// mailer sends the confirmation and the status-change mails (spec 11).
pub const SUBSCRIPTIONS: &[Subscription] = &[
    Subscription {
        consumer: SEARCH_INDEXER,
        queue_url_var: "SEARCH_INDEX_QUEUE_URL",
        events: EventFilter::Prefix("signal."),
    },
    Subscription {
        consumer: MAILER,
        queue_url_var: "MAIL_QUEUE_URL",
        events: EventFilter::OneOf(&[SIGNAL_CREATED, SIGNAL_STATUS_CHANGED]),
    },
];

/// A subscription resolved to its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub consumer: String,
    pub queue_url: String,
    pub events: EventFilter,
}

/// The routes of [`SUBSCRIPTIONS`] from the environment: `None` when none
/// of their variables is set (publishing is off: the rows wait for a relay
/// that has them), an error naming the first missing one when only some
/// are — a relay that skipped a consumer would mark its events published
/// without ever sending them to it.
pub fn routes_from_env() -> Result<Option<Vec<Route>>, ConfigError> {
    routes_from(config::optional)
}

fn routes_from(
    lookup: impl Fn(&'static str) -> Result<Option<String>, ConfigError>,
) -> Result<Option<Vec<Route>>, ConfigError> {
    let mut routes = Vec::new();
    let mut missing = None;
    for subscription in SUBSCRIPTIONS {
        match lookup(subscription.queue_url_var)? {
            Some(url) => routes.push(Route {
                consumer: subscription.consumer.to_owned(),
                queue_url: url.trim().to_owned(),
                events: subscription.events,
            }),
            None => missing = missing.or(Some(subscription.queue_url_var)),
        }
    }
    match (routes.is_empty(), missing) {
        (true, _) => Ok(None),
        (false, Some(var)) => Err(ConfigError::Missing(var)),
        (false, None) => Ok(Some(routes)),
    }
}

/// How long a send may take before the relay gives up on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Per SQS call, retries included.
    pub operation_timeout: Duration,
    pub max_attempts: u32,
}

impl SendLimits {
    /// For the scheduled relay.
    pub const RELAY: Self = Self {
        operation_timeout: Duration::from_secs(10),
        max_attempts: 3,
    };
}

/// What went wrong with the database; SQS failures are not errors of the
/// relay but outcomes recorded on the rows ([`BatchReport::failed`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no database connection could be had")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error")]
    Db(#[from] tokio_postgres::Error),
}

/// An event that stayed pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedEvent {
    pub id: i64,
    pub event_id: Uuid,
    pub error: String,
}

/// The outcome of one claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    /// Rows claimed (pending and not locked by another relay).
    pub claimed: usize,
    /// Rows marked published.
    pub published: usize,
    /// SQS messages sent (a row goes to each subscribed queue).
    pub messages: usize,
    pub failed: Vec<FailedEvent>,
}

/// Why [`Publisher::drain`] or [`Publisher::follow`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Nothing pending was left that this run had not tried.
    Drained,
    /// The time budget was used.
    Budget,
    /// A whole batch failed: SQS is down or refuses; the next run retries.
    SqsFailing,
    /// The follow period ended.
    FollowEnded,
}

/// The outcome of a run: totals over all its batches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    pub batches: usize,
    pub claimed: usize,
    pub published: usize,
    pub messages: usize,
    pub failed: usize,
    pub stopped: StopReason,
    /// Rows still pending at the end (failed ones, those other relays
    /// hold, those committed meanwhile).
    pub pending: i64,
    /// Polls that found nothing to claim (follow mode; 0 for a drain).
    pub idle_polls: usize,
    /// Batches SQS refused entirely (a drain stops at the first).
    pub refused_batches: usize,
    /// How long the run took.
    pub elapsed_ms: u64,
}

impl DrainReport {
    fn new(stopped: StopReason) -> Self {
        Self {
            batches: 0,
            claimed: 0,
            published: 0,
            messages: 0,
            failed: 0,
            stopped,
            pending: 0,
            idle_polls: 0,
            refused_batches: 0,
            elapsed_ms: 0,
        }
    }

    fn add(&mut self, batch: &BatchReport) {
        self.batches += 1;
        self.claimed += batch.claimed;
        self.published += batch.published;
        self.messages += batch.messages;
        self.failed += batch.failed.len();
        if batch.claimed > 0 && batch.published == 0 {
            self.refused_batches += 1;
        }
    }
}

/// Options of a drain (one pass over what is pending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainOptions {
    /// Rows per claim (each becomes ⌈n/10⌉ `SendMessageBatch` calls per queue).
    pub batch_size: i64,
    /// Stop claiming new batches after this long.
    pub budget: Duration,
}

impl Default for DrainOptions {
    fn default() -> Self {
        Self {
            batch_size: 100,
            budget: Duration::from_secs(45),
        }
    }
}

/// Options of [`Publisher::follow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowOptions {
    /// Rows per claim.
    pub batch_size: i64,
    /// The pause after a poll that found nothing to claim.
    pub poll: Duration,
    /// The pause after a batch SQS refused entirely (SQS down): keeps an
    /// outage from turning the poll loop into a stream of failing calls.
    pub backoff: Duration,
}

impl FollowOptions {
    /// How many poll intervals the relay waits after SQS refused a batch.
    pub const BACKOFF_POLLS: u32 = 20;

    /// `poll` and a backoff of [`Self::BACKOFF_POLLS`] polls, at least a
    /// second.
    pub fn new(batch_size: i64, poll: Duration) -> Self {
        Self {
            batch_size,
            poll,
            backoff: (poll * Self::BACKOFF_POLLS).max(Duration::from_secs(1)),
        }
    }
}

#[derive(Debug, Clone)]
struct Target {
    consumer: String,
    events: EventFilter,
    queue: Queue,
}

/// Publishes outbox rows to the consumers' queues. Build it once per
/// process (it holds one SQS client) and share it.
#[derive(Debug, Clone)]
pub struct Publisher {
    targets: Vec<Target>,
}

/// SQS's limit on one `SendMessageBatch` request: ten entries and 256 KiB
/// in all (the older, smaller of the limits AWS has had).
const MAX_BATCH_ENTRIES: usize = 10;
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// `last_error` keeps this many characters.
const MAX_ERROR_CHARS: usize = 1000;

impl Publisher {
    pub fn new(sdk_config: &aws_config::SdkConfig, routes: Vec<Route>, limits: SendLimits) -> Self {
        Self::with_client(
            sqs::client_with_limits(sdk_config, limits.operation_timeout, limits.max_attempts),
            routes,
        )
    }

    /// A publisher on a client of the caller's (its timeouts and endpoint).
    pub fn with_client(client: aws_sdk_sqs::Client, routes: Vec<Route>) -> Self {
        Self {
            targets: routes
                .into_iter()
                .map(|route| Target {
                    consumer: route.consumer,
                    events: route.events,
                    queue: Queue::with_client(client.clone(), route.queue_url),
                })
                .collect(),
        }
    }

    /// The publisher of [`routes_from_env`]; `None` when no queue variable
    /// is set. Loads the AWS configuration only when there is something to
    /// publish to.
    pub async fn from_env(limits: SendLimits) -> Result<Option<Self>, ConfigError> {
        let Some(routes) = routes_from_env()? else {
            return Ok(None);
        };
        let sdk_config = crate::aws::load().await;
        Ok(Some(Self::new(&sdk_config, routes, limits)))
    }

    /// The consumers and their queue URLs.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.targets
            .iter()
            .map(|t| (t.consumer.as_str(), t.queue.url()))
    }

    /// Claims up to `limit` of the oldest pending rows except those in
    /// `exclude` (rows that already failed in this run), sends each to
    /// every queue that subscribes to its type and records the outcome per
    /// row, in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn publish(
        &self,
        client: &mut pg::Client,
        limit: i64,
        exclude: &[i64],
    ) -> Result<BatchReport, Error> {
        let tx = client.transaction().await?;
        let rows = claim(&tx, limit.max(1), exclude).await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(BatchReport::default());
        }
        let (messages, errors) = self.send(&rows).await;
        let mut published = Vec::new();
        let mut failed = Vec::new();
        for row in &rows {
            match errors.get(&row.id) {
                None => published.push(row.id),
                Some(error) => failed.push(FailedEvent {
                    id: row.id,
                    event_id: row.envelope.event_id,
                    error: error.chars().take(MAX_ERROR_CHARS).collect(),
                }),
            }
        }
        mark(&tx, &published, &failed).await?;
        tx.commit().await?;
        if published.is_empty() {
            // SQS refused the whole batch: one line, not one per row (the
            // caller says what happens next).
            tracing::warn!(
                failed = failed.len(),
                error.message = failed.first().map_or("", |f| f.error.as_str()),
                "no outbox event of the batch was published; they stay pending"
            );
        } else {
            for failure in &failed {
                tracing::warn!(
                    outbox_id = failure.id,
                    event_id = %failure.event_id,
                    error.message = %failure.error,
                    "outbox event not published; it stays pending"
                );
            }
        }
        Ok(BatchReport {
            claimed: rows.len(),
            published: published.len(),
            messages,
            failed,
        })
    }

    /// One pass: batches of the oldest pending rows until none is left
    /// (rows that failed in this run are not tried again in it), the budget
    /// is used, or a whole batch failed. `progress` sees every batch.
    pub async fn drain(
        &self,
        client: &mut pg::Client,
        options: DrainOptions,
        mut progress: impl FnMut(&BatchReport),
    ) -> Result<DrainReport, Error> {
        let started = Instant::now();
        let mut failed_ids: Vec<i64> = Vec::new();
        let mut report = DrainReport::new(StopReason::Drained);
        loop {
            if started.elapsed() >= options.budget {
                report.stopped = StopReason::Budget;
                break;
            }
            let batch = self
                .publish(client, options.batch_size, &failed_ids)
                .await?;
            if batch.claimed == 0 {
                break;
            }
            progress(&batch);
            report.add(&batch);
            failed_ids.extend(batch.failed.iter().map(|f| f.id));
            if batch.published == 0 {
                report.stopped = StopReason::SqsFailing;
                break;
            }
        }
        report.pending = pending_count(&*client).await?;
        report.elapsed_ms = millis(started.elapsed());
        Ok(report)
    }

    /// Follow mode: publishes what is pending, then keeps polling for new
    /// rows — a cheap check every `options.poll` while idle, a claim as soon
    /// as there is something — until `until`. Rows that failed in this run
    /// are not tried again in it (the next run retries them); after a batch
    /// SQS refused entirely it waits `options.backoff` before the next try,
    /// and logs the outage when it starts and when it ends, not per poll.
    /// Uses the one connection `client` throughout. `progress` sees every
    /// batch; the report holds the totals of the whole period.
    pub async fn follow(
        &self,
        client: &mut pg::Client,
        options: FollowOptions,
        until: Instant,
        mut progress: impl FnMut(&BatchReport),
    ) -> Result<DrainReport, Error> {
        let started = Instant::now();
        let mut failed_ids: Vec<i64> = Vec::new();
        let mut report = DrainReport::new(StopReason::FollowEnded);
        let mut refusing = false;
        loop {
            let now = Instant::now();
            if now >= until {
                break;
            }
            let pause = if !has_pending(&*client, &failed_ids).await? {
                report.idle_polls += 1;
                options.poll
            } else {
                let batch = self
                    .publish(client, options.batch_size, &failed_ids)
                    .await?;
                if batch.claimed == 0 {
                    // What is pending is held by another relay.
                    report.idle_polls += 1;
                    options.poll
                } else {
                    progress(&batch);
                    report.add(&batch);
                    failed_ids.extend(batch.failed.iter().map(|f| f.id));
                    if batch.published == 0 {
                        if !refusing {
                            tracing::error!(
                                failed = batch.failed.len(),
                                retry_every_ms = millis(options.backoff),
                                "SQS refuses the relay's messages: the events stay pending for \
                                 the next invocation; new ones are tried after each pause"
                            );
                            refusing = true;
                        }
                        options.backoff
                    } else {
                        if refusing {
                            tracing::info!("SQS takes the relay's messages again");
                            refusing = false;
                        }
                        // More may be pending: claim again at once.
                        Duration::ZERO
                    }
                }
            };
            let left = until.saturating_duration_since(Instant::now());
            if !pause.is_zero() {
                tokio::time::sleep(pause.min(left)).await;
            }
        }
        report.pending = pending_count(&*client).await?;
        report.elapsed_ms = millis(started.elapsed());
        Ok(report)
    }

    /// Sends `rows` to their queues: the number of messages sent, and the
    /// first error of each row that some queue did not take.
    async fn send(&self, rows: &[Claimed]) -> (usize, HashMap<i64, String>) {
        let mut sent_messages = 0;
        let mut errors: HashMap<i64, String> = HashMap::new();
        for target in &self.targets {
            let entries: Vec<Outgoing> = rows
                .iter()
                .filter(|row| target.events.wants(&row.envelope.event_type))
                .map(|row| Outgoing {
                    id: row.id.to_string(),
                    body: row.body.clone(),
                    attributes: vec![
                        (EVENT_TYPE_ATTRIBUTE, row.envelope.event_type.clone()),
                        (EVENT_ID_ATTRIBUTE, row.envelope.event_id.to_string()),
                    ],
                })
                .collect();
            // After a failed call the queue is taken as down for this batch:
            // its remaining entries fail with the same error, unsent.
            let mut down: Option<String> = None;
            for chunk in chunks(&entries) {
                if let Some(error) = &down {
                    for entry in chunk {
                        note(&mut errors, &entry.id, &target.consumer, error);
                    }
                    continue;
                }
                match target.queue.send_batch(chunk).await {
                    Ok(outcome) => {
                        sent_messages += outcome.sent.len();
                        for (id, reason) in &outcome.failed {
                            note(&mut errors, id, &target.consumer, reason);
                        }
                        for entry in chunk {
                            if !outcome.sent.contains(&entry.id)
                                && !outcome.failed.iter().any(|(id, _)| id == &entry.id)
                            {
                                note(
                                    &mut errors,
                                    &entry.id,
                                    &target.consumer,
                                    "SQS did not answer for this entry",
                                );
                            }
                        }
                    }
                    Err(error) => {
                        let error = error.to_string();
                        for entry in chunk {
                            note(&mut errors, &entry.id, &target.consumer, &error);
                        }
                        down = Some(error);
                    }
                }
            }
        }
        (sent_messages, errors)
    }
}

fn note(errors: &mut HashMap<i64, String>, entry_id: &str, consumer: &str, reason: &str) {
    if let Ok(id) = entry_id.parse() {
        errors
            .entry(id)
            .or_insert_with(|| format!("{consumer}: {reason}"));
    }
}

/// `entries` in runs that fit one `SendMessageBatch`.
fn chunks(entries: &[Outgoing]) -> Vec<&[Outgoing]> {
    let size = |e: &Outgoing| {
        e.body.len()
            + e.attributes
                .iter()
                .map(|(name, value)| name.len() + value.len() + "String".len())
                .sum::<usize>()
    };
    let mut runs = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, entry) in entries.iter().enumerate() {
        let n = size(entry);
        if i > start && (i - start == MAX_BATCH_ENTRIES || bytes + n > MAX_BATCH_BYTES) {
            runs.push(&entries[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if start < entries.len() {
        runs.push(&entries[start..]);
    }
    runs
}

/// A claimed row, its envelope and the envelope as the message body.
struct Claimed {
    id: i64,
    envelope: Envelope,
    body: String,
}

const COLUMNS: &str =
    "id, event_id, aggregate_type, aggregate_id, event_type, payload, occurred_at";

async fn claim(
    client: &impl pg::GenericClient,
    limit: i64,
    exclude: &[i64],
) -> Result<Vec<Claimed>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE published_at IS NULL AND NOT (id = ANY($2::bigint[]))
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
    );
    let rows = client
        .query(&client.prepare_cached(&sql).await?, &[&limit, &exclude])
        .await?;
    rows.iter()
        .map(|row| {
            let envelope = Envelope {
                event_id: row.try_get("event_id")?,
                event_type: row.try_get("event_type")?,
                aggregate_type: row.try_get("aggregate_type")?,
                aggregate_id: row.try_get("aggregate_id")?,
                occurred_at: row.try_get::<_, DateTime<Utc>>("occurred_at")?,
                payload: row.try_get::<_, Value>("payload")?,
            };
            let body = serde_json::to_string(&envelope).unwrap_or_default();
            Ok(Claimed {
                id: row.try_get("id")?,
                envelope,
                body,
            })
        })
        .collect()
}

async fn mark(
    client: &impl pg::GenericClient,
    published: &[i64],
    failed: &[FailedEvent],
) -> Result<(), tokio_postgres::Error> {
    if !published.is_empty() {
        client
            .execute(
                &client
                    .prepare_cached(
                        "UPDATE outbox
                         SET published_at = now(), publish_attempts = publish_attempts + 1,
                             last_error = NULL
                         WHERE id = ANY($1::bigint[])",
                    )
                    .await?,
                &[&published],
            )
            .await?;
    }
    if !failed.is_empty() {
        let ids: Vec<i64> = failed.iter().map(|f| f.id).collect();
        let errors: Vec<&str> = failed.iter().map(|f| f.error.as_str()).collect();
        client
            .execute(
                &client
                    .prepare_cached(
                        "UPDATE outbox AS o
                         SET publish_attempts = o.publish_attempts + 1, last_error = f.error
                         FROM unnest($1::bigint[], $2::text[]) AS f (id, error)
                         WHERE o.id = f.id",
                    )
                    .await?,
                &[&ids, &errors],
            )
            .await?;
    }
    Ok(())
}

/// How many outbox rows are not published yet.
pub async fn pending_count(client: &impl pg::GenericClient) -> Result<i64, tokio_postgres::Error> {
    client
        .query_one(
            "SELECT count(*) AS pending FROM outbox WHERE published_at IS NULL",
            &[],
        )
        .await?
        .try_get("pending")
}

/// Whether any row other than `exclude` is pending: the idle poll of
/// [`Publisher::follow`], one index lookup (`outbox_unpublished_idx`), no
/// transaction and no lock. Rows another relay holds count.
async fn has_pending(
    client: &impl pg::GenericClient,
    exclude: &[i64],
) -> Result<bool, tokio_postgres::Error> {
    client
        .query_one(
            &client
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM outbox
                     WHERE published_at IS NULL AND NOT (id = ANY($1::bigint[]))) AS pending",
                )
                .await?,
            &[&exclude],
        )
        .await?
        .try_get("pending")
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(id: usize, bytes: usize) -> Outgoing {
        Outgoing {
            id: id.to_string(),
            body: "x".repeat(bytes),
            attributes: Vec::new(),
        }
    }

    #[test]
    fn the_indexer_wants_every_signal_event_and_the_mailer_two() {
        let indexer = SUBSCRIPTIONS[0];
        let mailer = SUBSCRIPTIONS[1];
        for event_type in signalen_domain::signal::events::SIGNAL_EVENT_TYPES {
            assert!(indexer.events.wants(event_type), "{event_type}");
        }
        assert!(mailer.events.wants("signal.created"));
        assert!(mailer.events.wants("signal.status_changed"));
        assert!(!mailer.events.wants("signal.note_added"));
        assert!(!indexer.events.wants("user.created"));
    }

    #[test]
    fn routes_are_off_without_variables_and_refused_when_one_is_missing() {
        let none = routes_from(|_| Ok(None)).expect("no variables");
        let some = routes_from(|var| {
            Ok((var == "SEARCH_INDEX_QUEUE_URL").then(|| "http://q/search".to_owned()))
        });
        let all = routes_from(|var| Ok(Some(format!("http://q/{var}"))))
            .expect("all variables")
            .expect("routes");

        assert_eq!(none, None);
        match some {
            Err(ConfigError::Missing(var)) => assert_eq!(var, "MAIL_QUEUE_URL"),
            other => panic!("expected MAIL_QUEUE_URL missing, got {other:?}"),
        }
        assert_eq!(all.len(), SUBSCRIPTIONS.len());
        assert_eq!(all[1].consumer, MAILER);
        assert_eq!(all[1].queue_url, "http://q/MAIL_QUEUE_URL");
    }

    #[test]
    fn batches_hold_at_most_ten_entries_and_256_kib() {
        let small: Vec<_> = (0..23).map(|i| outgoing(i, 100)).collect();
        let large: Vec<_> = (0..5).map(|i| outgoing(i, 100 * 1024)).collect();

        let small_runs: Vec<usize> = chunks(&small).iter().map(|r| r.len()).collect();
        let large_runs: Vec<usize> = chunks(&large).iter().map(|r| r.len()).collect();

        assert_eq!(small_runs, vec![10, 10, 3]);
        assert_eq!(large_runs, vec![2, 2, 1]);
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn the_backoff_after_a_refused_batch_is_twenty_polls_and_at_least_a_second() {
        let default = FollowOptions::new(100, Duration::from_millis(250));
        let fast = FollowOptions::new(100, Duration::from_millis(10));

        assert_eq!(default.backoff, Duration::from_secs(5));
        assert_eq!(fast.backoff, Duration::from_secs(1));
        assert_eq!(default.poll, Duration::from_millis(250));
    }

    #[test]
    fn a_wholly_refused_batch_counts_as_refused_and_a_partial_one_does_not() {
        let failed = |id| FailedEvent {
            id,
            event_id: Uuid::nil(),
            error: "mailer: down".into(),
        };
        let mut report = DrainReport::new(StopReason::FollowEnded);

        report.add(&BatchReport {
            claimed: 2,
            published: 0,
            messages: 0,
            failed: vec![failed(1), failed(2)],
        });
        report.add(&BatchReport {
            claimed: 3,
            published: 2,
            messages: 3,
            failed: vec![failed(3)],
        });

        assert_eq!(
            (
                report.batches,
                report.claimed,
                report.published,
                report.failed
            ),
            (2, 5, 2, 3)
        );
        assert_eq!((report.messages, report.refused_batches), (3, 1));
    }

    #[test]
    fn one_oversized_entry_still_gets_a_batch_of_its_own() {
        let entries = vec![outgoing(1, 10), outgoing(2, 300 * 1024), outgoing(3, 10)];

        let runs: Vec<usize> = chunks(&entries).iter().map(|r| r.len()).collect();

        assert_eq!(runs, vec![1, 1, 1]);
    }
}
