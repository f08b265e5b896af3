//! `reindex` — rebuilds the search index from Postgres into a new index and
//! swaps the alias onto it; searches keep answering from the old index
//! until the swap (docs/search.md, "Rebuilding").
//!
//! Usage: `cargo run -p search-indexer --bin reindex -- [--batch-size N]
//! [--replicas N] [--abandon-previous]`; progress goes to stderr, the
//! report to stdout as JSON.
//! Environment: `DATABASE_URL`, `OPENSEARCH_URL`, `SEARCH_INDEX_ALIAS`
//! (default `signals`), `SEARCH_INDEX_REPLICAS` (default 1).

use std::io::Write;

use anyhow::{Context, bail};
use search_indexer::IndexConfig;
use search_indexer::reindex::{self, DEFAULT_BATCH_SIZE, Progress};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::{pg, telemetry};

struct Options {
    batch_size: i64,
    replicas: Option<u32>,
    abandon_previous: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        batch_size: DEFAULT_BATCH_SIZE,
        replicas: None,
        abandon_previous: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--batch-size" => {
                options.batch_size = args
                    .next()
                    .context("--batch-size needs a number")?
                    .parse()
                    .context("--batch-size needs a number")?;
            }
            "--replicas" => {
                options.replicas = Some(
                    args.next()
                        .context("--replicas needs a number")?
                        .parse()
                        .context("--replicas needs a number")?,
                );
            }
            "--abandon-previous" => options.abandon_previous = true,
            other => bail!(
                "unknown argument {other}; usage: reindex [--batch-size N] [--replicas N] [--abandon-previous]"
            ),
        }
    }
    Ok(options)
}

fn show(progress: Progress) {
    let percent = if progress.total == 0 {
        100.0
    } else {
        100.0 * progress.copied as f64 / progress.total as f64
    };
    eprint!(
        "\rreindex: {}/{} signals ({percent:.0}%), {:.0}/s, {:.1}s   ",
        progress.copied,
        progress.total,
        progress.per_second(),
        progress.elapsed.as_secs_f64()
    );
    let _ = std::io::stderr().flush();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let options = options()?;
    let database = DatabaseConfig::from_env().context("database configuration")?;
    let config = IndexConfig::from_env().context("search configuration")?;
    let pool = pg::pool(&database).context("database pool")?;
    let index = config.index().context("search client")?;
    let replicas = options.replicas.unwrap_or(config.replicas);

    let report = reindex::run(
        &pool,
        &index,
        replicas,
        options.batch_size,
        options.abandon_previous,
        show,
    )
    .await
    .context("rebuilding the search index")?;
    eprintln!();
    let rate = if report.elapsed.as_secs_f64() > 0.0 {
        report.copied as f64 / report.elapsed.as_secs_f64()
    } else {
        0.0
    };
    println!(
        "{}",
        serde_json::json!({
            "alias": index.alias(),
            "index": report.index,
            "signals": report.copied,
            "dropped": report.dropped,
            "seconds": report.elapsed.as_secs_f64(),
            "signals_per_second": rate,
        })
    );
    Ok(())
}
