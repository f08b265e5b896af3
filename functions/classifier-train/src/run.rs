use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use signalen_classifier::train::{self, TrainingConfig, TrainingRow, fingerprint, prepare};
use signalen_classifier::{Metrics, decode, encode};
use signalen_infra::config::{ConfigError, DatabaseConfig, parsed_or};
use signalen_infra::models::ModelStore;
use signalen_infra::pg;

/// The labelled corpus shipped with the code: what a fresh install trains on.
const SEED_CORPUS: &str = include_str!("../../../data/meldingen-train.csv");

/// Where the training rows come from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Handled signals with their final category.
    #[default]
    Database,
    /// The shipped corpus.
    Seed,
    /// A CSV file (`text,main_slug,sub_slug`); command line only.
    #[serde(skip)]
    Csv(PathBuf),
}

/// What to do; the schedule's `{}` trains from the database.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub source: Source,
    /// Train only when no model is published yet (bootstrap).
    #[serde(default)]
    pub if_missing: bool,
    /// Fit the served model on every row after the held-out evaluation.
    #[serde(default = "yes")]
    pub refit: bool,
    /// A directory of models trained before (command line only): a model
    /// fitted on the same rows with the same configuration is published
    /// from there instead of being trained again. Local restarts of the
    /// in-memory S3 stand-in then cost an upload, not a fit.
    #[serde(skip)]
    pub model_cache: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

const USAGE: &str = "usage: classifier-train [--csv PATH | --seed | --database] [--if-missing] [--no-refit] [--model-cache DIR]";

impl Request {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let mut request = Request {
            source: Source::Database,
            if_missing: false,
            refit: true,
            model_cache: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--csv" => {
                    let path = args.next().context(USAGE)?;
                    request.source = Source::Csv(path.into());
                }
                "--seed" => request.source = Source::Seed,
                "--database" => request.source = Source::Database,
                "--if-missing" => request.if_missing = true,
                "--no-refit" => request.refit = false,
                "--model-cache" => request.model_cache = Some(args.next().context(USAGE)?.into()),
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        Ok(request)
    }
}

/// `DATABASE_URL` is only needed for the database source.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: Option<DatabaseConfig>,
    /// Fewer usable rows in the database than this keep the current model.
    pub min_rows: usize,
    /// At most this many (newest) rows are read: memory is bounded by
    /// `min(rows, categories × max_rows_per_class) × width × 4` bytes.
    pub max_rows: i64,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let database = match DatabaseConfig::from_env() {
            Ok(config) => Some(config),
            Err(ConfigError::Missing(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(Self {
            database,
            min_rows: parsed_or("TRAINING_MIN_ROWS", 500)?,
            max_rows: parsed_or("TRAINING_MAX_ROWS", 200_000)?,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Report {
    Published {
        version: String,
        model_key: String,
        rows: usize,
        classes: usize,
        model_bytes: usize,
        fingerprint: String,
        training_seconds: f64,
        /// Published from `--model-cache` instead of trained.
        from_cache: bool,
        metrics: Option<Metrics>,
    },
    Skipped {
        reason: String,
        current_version: Option<String>,
    },
}

/// What is written beside the model as `metrics.json`.
#[derive(Debug, Serialize)]
struct MetricsDocument<'a> {
    version: &'a str,
    model_bytes: usize,
    classes: usize,
    #[serde(flatten)]
    info: &'a signalen_classifier::ModelInfo,
}

pub fn parse_csv(text: &str) -> anyhow::Result<Vec<TrainingRow>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the CSV header")?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .with_context(|| {
                format!("the CSV has no `{name}` column (need text,main_slug,sub_slug)")
            })
    };
    let (text_col, main_col, sub_col) =
        (column("text")?, column("main_slug")?, column("sub_slug")?);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("CSV record {}", i + 1))?;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let (main, sub) = (field(main_col), field(sub_col));
        if main.is_empty() || sub.is_empty() {
            continue;
        }
        rows.push(TrainingRow::new(field(text_col), main, sub));
    }
    Ok(rows)
}

async fn database_rows(config: &Config) -> anyhow::Result<Vec<TrainingRow>> {
    let database = config
        .database
        .as_ref()
        .context("DATABASE_URL is not set: the database source needs it")?;
    let pool = pg::pool(database).context("building the database pool")?;
    let client = pool.get().await.context("connecting to the database")?;
    let texts = pg::training_texts(&client, config.max_rows)
        .await
        .context("reading the training texts")?;
    Ok(texts
        .into_iter()
        .map(|t| TrainingRow::new(t.text, t.main_slug, t.sub_slug))
        .collect())
}

pub async fn run(
    store: &ModelStore,
    config: &Config,
    request: Request,
    progress: &mut (dyn FnMut(String) + Send),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let current = store
        .current()
        .await
        .context("reading the current model pointer")?;
    if request.if_missing {
        if let Some(pointer) = &current {
            return Ok(Report::Skipped {
                reason: "a model is published already".into(),
                current_version: Some(pointer.version.clone()),
            });
        }
    }
    let current_version = current.as_ref().map(|p| p.version.clone());

    let rows = match &request.source {
        Source::Database => database_rows(config).await?,
        Source::Seed => parse_csv(SEED_CORPUS).context("the shipped corpus")?,
        Source::Csv(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            parse_csv(&text).with_context(|| format!("parsing {}", path.display()))?
        }
    };
    progress(format!("read {} rows ({:?})", rows.len(), request.source));

    let training = TrainingConfig {
        refit_on_all: request.refit,
        ..TrainingConfig::default()
    };
    let rows = prepare(rows, training.max_rows_per_class);
    if request.source == Source::Database && rows.len() < config.min_rows {
        return Ok(Report::Skipped {
            reason: format!(
                "{} usable rows in the database; at least {} (TRAINING_MIN_ROWS) are needed",
                rows.len(),
                config.min_rows
            ),
            current_version,
        });
    }
    let fingerprint = fingerprint(&rows);
    if current
        .as_ref()
        .is_some_and(|p| p.fingerprint == fingerprint)
    {
        return Ok(Report::Skipped {
            reason: "the training rows are those of the current model".into(),
            current_version,
        });
    }

    let cached = request
        .model_cache
        .as_ref()
        .map(|dir| dir.join(format!("classifier-{}.bin", &fingerprint[..16])));
    let reused = cached
        .as_ref()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| decode(&bytes).ok())
        .filter(|m| m.info.fingerprint == fingerprint && m.info.config == training);
    let from_cache = reused.is_some();
    let mut model = match reused {
        Some(model) => {
            progress(format!(
                "reusing the model fitted on these rows before ({})",
                fingerprint_path(&cached)
            ));
            model
        }
        None => tokio::task::block_in_place(|| {
            train::train(rows, &training, &mut |p| progress(p.to_string()))
        })
        .context("training the classifier")?,
    };
    let now = chrono::Utc::now();
    let version = format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), &fingerprint[..12]);
    model.info.trained_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));

    let bytes = encode(&model);
    if let (Some(path), false) = (&cached, from_cache) {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, &bytes));
        if let Err(e) = written {
            progress(format!(
                "could not keep the model in {}: {e}",
                path.display()
            ));
        }
    }
    let metrics = serde_json::to_vec_pretty(&MetricsDocument {
        version: &version,
        model_bytes: bytes.len(),
        classes: model.classes(),
        info: &model.info,
    })
    .context("serialising the metrics")?;
    let model_bytes = bytes.len();
    progress(format!(
        "publishing {version} ({:.1} MB) to s3://{}",
        model_bytes as f64 / 1e6,
        store.objects().bucket()
    ));
    let pointer = store
        .publish(
            &version,
            &fingerprint,
            model.info.trained_at.as_deref().unwrap_or_default(),
            Bytes::from(bytes),
            Bytes::from(metrics),
        )
        .await
        .context("publishing the model")?;
    progress(format!(
        "published {} in {:.1} s",
        pointer.version,
        started.elapsed().as_secs_f64()
    ));
    Ok(Report::Published {
        version: pointer.version,
        model_key: pointer.model_key,
        rows: model.info.rows,
        classes: model.classes(),
        model_bytes,
        fingerprint,
        training_seconds: model.info.training_seconds,
        from_cache,
        metrics: model.info.metrics.clone(),
    })
}

fn fingerprint_path(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map_or_else(String::new, |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> anyhow::Result<Request> {
        Request::from_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn the_schedule_event_trains_from_the_database() {
        let request: Request = serde_json::from_str("{}").expect("parses");
        assert_eq!(request.source, Source::Database);
        assert!(!request.if_missing);
        assert!(request.refit);
        let request: Request =
            serde_json::from_str(r#"{"source": "seed", "if_missing": true}"#).expect("parses");
        assert_eq!(request.source, Source::Seed);
        assert!(request.if_missing);
    }

    #[test]
    fn an_event_cannot_name_a_file() {
        assert!(serde_json::from_str::<Request>(r#"{"source": "csv"}"#).is_err());
    }

    #[test]
    fn the_command_line_reads_a_csv_path_and_flags() {
        let request = args(&[
            "--csv",
            "data/x.csv",
            "--if-missing",
            "--no-refit",
            "--model-cache",
            "/tmp/m",
        ])
        .expect("ok");
        assert_eq!(request.source, Source::Csv("data/x.csv".into()));
        assert_eq!(request.model_cache, Some("/tmp/m".into()));
        assert!(request.if_missing);
        assert!(!request.refit);
        assert!(args(&["--csv"]).is_err());
        assert!(args(&["--frobnicate"]).is_err());
    }

    #[test]
    fn the_shipped_corpus_parses_into_labelled_rows() {
        let rows = parse_csv(SEED_CORPUS).expect("parses");
        assert_eq!(rows.len(), 3600);
        assert!(
            rows.iter()
                .all(|r| !r.text.is_empty() && !r.label.main.is_empty())
        );
    }

    #[test]
    fn a_csv_without_the_columns_is_refused_and_unlabelled_rows_are_skipped() {
        assert!(parse_csv("Text,Main\nx,y\n").is_err());
        let rows =
            parse_csv("text,main_slug,sub_slug\n\"a, b\",afval,grofvuil\nc,,\n").expect("ok");
        assert_eq!(rows, [TrainingRow::new("a, b", "afval", "grofvuil")]);
    }
}
