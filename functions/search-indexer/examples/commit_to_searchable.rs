//! Benchmark (bench/search/run): time from a change's commit to the moment
//! a search finds it, under a steady stream of changes.
//!
//! A producer commits one change per tick — a signal's text gets a unique
//! word, `updated_at` moves, a `signal.status_changed` outbox row is
//! written, in one transaction, as a writer does. Every `--window-ms` the
//! pending events go to the indexer as one SQS batch, as the event source
//! mapping's batching window does (SQS's own delivery time is not part of
//! this measurement). A poller searches for the outstanding words every
//! 20 ms and stamps each signal when it first appears. Prints p50/p90/p99/max.
//!
//! Usage: `commit_to_searchable [--count N] [--rate PER_SECOND] [--window-ms MS]`.
//! Environment: `DATABASE_URL`, `OPENSEARCH_URL`, `SEARCH_INDEX_ALIAS`
//! (the alias must exist: run `reindex` first).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use search_indexer::batch::SqsEvent;
use search_indexer::{IndexConfig, Indexer};
use serde_json::json;
use signalen_infra::config::DatabaseConfig;
use signalen_infra::pg;

struct Options {
    count: usize,
    rate: f64,
    window: Duration,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        count: 300,
        rate: 20.0,
        window: Duration::from_millis(1000),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().context("every option takes a value")?;
        match arg.as_str() {
            "--count" => options.count = value.parse()?,
            "--rate" => options.rate = value.parse()?,
            "--window-ms" => options.window = Duration::from_millis(value.parse()?),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(options)
}

/// A word no report contains and the Dutch stemmer leaves alone.
fn word(n: usize) -> String {
    let letters: String = format!("{n:06}")
        .bytes()
        .map(|b| char::from(b'q' + (b - b'0') % 10))
        .collect();
    format!("zq{letters}")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let pool = pg::pool(&DatabaseConfig::from_env()?)?;
    let config = IndexConfig::from_env()?;
    let index = config.index()?;
    let indexer = Indexer {
        pool: pool.clone(),
        index: index.clone(),
        replicas: config.replicas,
    };
    let client = pool.get().await?;
    let ids: Vec<i32> = client
        .query(
            "SELECT id FROM signals_signal ORDER BY id DESC LIMIT $1",
            &[&(options.count as i64)],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    anyhow::ensure!(ids.len() == options.count, "seed at least --count signals");

    let committed: Arc<Mutex<HashMap<i32, (String, Instant)>>> = Arc::default();
    let found: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (committed, found, done, index) = (
            committed.clone(),
            found.clone(),
            done.clone(),
            index.clone(),
        );
        tokio::spawn(async move {
            loop {
                let outstanding: Vec<(i32, String)> = committed
                    .lock()
                    .expect("lock")
                    .iter()
                    .map(|(id, (word, _))| (*id, word.clone()))
                    .collect();
                if outstanding.is_empty() && done.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                if !outstanding.is_empty() {
                    let words: Vec<&str> = outstanding.iter().map(|(_, w)| w.as_str()).collect();
                    let body = json!({"query": {"match": {"text": words.join(" ")}},
                                      "size": outstanding.len(), "_source": false});
                    if let Ok(answer) = index.client().search(index.alias(), body).await {
                        let now = Instant::now();
                        let mut committed = committed.lock().expect("lock");
                        for hit in answer["hits"]["hits"].as_array().into_iter().flatten() {
                            let Some(id) = hit["_id"].as_str().and_then(|i| i.parse().ok()) else {
                                continue;
                            };
                            if let Some((_, at)) = committed.remove(&id) {
                                found.lock().expect("lock").push(now - at);
                            }
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    let tick = Duration::from_secs_f64(1.0 / options.rate);
    let started = Instant::now();
    let mut pending: Vec<String> = Vec::new();
    let mut last_batch = Instant::now();
    for (n, id) in ids.iter().enumerate() {
        let due = started + tick * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let word = word(n);
        let body: String = client
            .query_one(
                "WITH changed AS (
                     UPDATE signals_signal SET text = text || ' ' || $2, updated_at = clock_timestamp()
                     WHERE id = $1 RETURNING id, updated_at),
                 event AS (
                     INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
                     SELECT 'signal', id::text, 'signal.status_changed',
                            jsonb_build_object('signal_id', id, 'updated_at', updated_at), updated_at
                     FROM changed
                     RETURNING event_id, event_type, aggregate_type, aggregate_id, occurred_at, payload)
                 SELECT json_build_object('event_id', event_id, 'event_type', event_type,
                            'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id,
                            'occurred_at', occurred_at, 'payload', payload)::text FROM event",
                &[id, &word],
            )
            .await?
            .get(0);
        committed
            .lock()
            .expect("lock")
            .insert(*id, (word, Instant::now()));
        pending.push(body);
        if last_batch.elapsed() >= options.window || n + 1 == ids.len() {
            let records: Vec<_> = pending
                .drain(..)
                .enumerate()
                .map(|(k, body)| json!({"messageId": format!("{n}-{k}"), "body": body}))
                .collect();
            let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
            let response = indexer.handle(event).await?;
            anyhow::ensure!(
                response.batch_item_failures.is_empty(),
                "the indexer reported failures"
            );
            last_batch = Instant::now();
        }
    }
    let produced_in = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(30), poller)
        .await
        .context("some changes never became searchable")??;

    let mut latencies = found.lock().expect("lock").clone();
    latencies.sort();
    let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    println!(
        "{}",
        json!({
            "changes": latencies.len(),
            "rate_per_second": options.count as f64 / produced_in.as_secs_f64(),
            "batch_window_ms": options.window.as_millis() as u64,
            "p50_ms": ms(percentile(&latencies, 50.0)),
            "p90_ms": ms(percentile(&latencies, 90.0)),
            "p99_ms": ms(percentile(&latencies, 99.0)),
            "max_ms": ms(*latencies.last().context("no latencies")?),
        })
    );
    Ok(())
}
