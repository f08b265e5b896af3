//! The classifier benchmark's Rust side (bench/classifier/run drives it).
//!
//! ```text
//! bench split    CORPUS OUT_DIR      stratified 80/20 split → OUT_DIR/{train,test}.csv
//! bench tune     TRAIN_CSV           grid search on a validation part of TRAIN_CSV only
//! bench evaluate TRAIN_CSV TEST_CSV  fit on train, score on test, time everything; JSON on stdout
//! ```
//!
//! CSV columns: `text,main_slug,sub_slug`. Build with `--release`.

use std::error::Error;
use std::time::Instant;

use serde_json::json;
use signalen_classifier::features::FeatureSettings;
use signalen_classifier::train::{self, TrainingConfig, TrainingRow, stratified_split};
use signalen_classifier::vectorizer::Selection;
use signalen_classifier::{decode, encode, metrics};

/// The split of the benchmark: fixed, so every run reads the same rows.
const SPLIT_SEED: u64 = 42;
const TEST_FRACTION: f64 = 0.2;
/// The validation part inside the training split, for tuning only.
const VALIDATION_SEED: u64 = 7;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn read(path: &str) -> Result<Vec<TrainingRow>> {
    let mut rows = Vec::new();
    for record in csv::Reader::from_path(path)?.records() {
        let record = record?;
        rows.push(TrainingRow::new(&record[0], &record[1], &record[2]));
    }
    Ok(rows)
}

fn write(path: &str, rows: &[TrainingRow]) -> Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record(["text", "main_slug", "sub_slug"])?;
    for row in rows {
        out.write_record([&row.text, &row.label.main, &row.label.sub])?;
    }
    out.flush()?;
    Ok(())
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn split(corpus: &str, out_dir: &str) -> Result<()> {
    let rows = train::prepare(read(corpus)?, usize::MAX);
    let (train_rows, test_rows) = stratified_split(&rows, TEST_FRACTION, SPLIT_SEED);
    std::fs::create_dir_all(out_dir)?;
    write(&format!("{out_dir}/train.csv"), &train_rows)?;
    write(&format!("{out_dir}/test.csv"), &test_rows)?;
    eprintln!(
        "split {} rows: {} train, {} test → {out_dir}",
        rows.len(),
        train_rows.len(),
        test_rows.len()
    );
    Ok(())
}

fn fit_and_score(
    fit_rows: &[TrainingRow],
    score_rows: &[TrainingRow],
    config: &TrainingConfig,
) -> Result<(signalen_classifier::Model, metrics::Metrics, f64)> {
    let started = Instant::now();
    let model = train::fit(fit_rows, config, &mut |p| eprintln!("{p}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let scored = metrics::evaluate(
        &model,
        score_rows.iter().map(|r| (r.text.as_str(), &r.label)),
        fit_rows.len(),
    );
    Ok((model, scored, seconds))
}

fn tune(train_csv: &str) -> Result<()> {
    let rows = read(train_csv)?;
    let (fit_rows, valid_rows) = stratified_split(&rows, TEST_FRACTION, VALIDATION_SEED);
    eprintln!(
        "tuning on {} rows, validating on {} (the test split is not read)",
        fit_rows.len(),
        valid_rows.len()
    );
    let base = TrainingConfig::default();
    let mut grid = vec![base];
    grid.push(TrainingConfig {
        selection: Selection::DocumentFrequency,
        ..base
    });
    for width in [2000, 4000, 9000] {
        grid.push(TrainingConfig { width, ..base });
    }
    for alpha in [0.03f32, 0.3, 1.0] {
        grid.push(TrainingConfig { alpha, ..base });
    }
    for char_ngrams in [(0, 0), (2, 5)] {
        grid.push(TrainingConfig {
            features: FeatureSettings {
                char_ngrams,
                ..base.features
            },
            ..base
        });
    }
    grid.push(TrainingConfig {
        features: FeatureSettings {
            word_ngrams: (1, 1),
            ..base.features
        },
        ..base
    });
    for max_iterations in [50, 200] {
        grid.push(TrainingConfig {
            max_iterations,
            ..base
        });
    }
    if let Ok(only) = std::env::var("BENCH_TUNE_FIRST") {
        grid.truncate(only.parse()?);
    }
    println!(
        "selection,width,alpha,word,char,min_df,iterations,macro_f1_sub,accuracy_sub,top3_sub,macro_f1_main,seconds"
    );
    let mut best: Option<(f64, TrainingConfig)> = None;
    for config in grid {
        let (_, m, seconds) = fit_and_score(&fit_rows, &valid_rows, &config)?;
        println!(
            "{:?},{},{},{:?},{:?},{},{},{:.4},{:.4},{:.4},{:.4},{:.1}",
            config.selection,
            config.width,
            config.alpha,
            config.features.word_ngrams,
            config.features.char_ngrams,
            config.min_df,
            config.max_iterations,
            m.macro_f1_sub,
            m.accuracy_sub,
            m.top3_sub,
            m.macro_f1_main,
            seconds
        );
        if best.as_ref().is_none_or(|(f1, _)| m.macro_f1_sub > *f1) {
            best = Some((m.macro_f1_sub, config));
        }
    }
    if let Some((f1, config)) = best {
        eprintln!("best on validation: macro-F1 sub {f1:.4} with {config:?}");
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn evaluate(train_csv: &str, test_csv: &str) -> Result<()> {
    let (train_rows, test_rows) = (read(train_csv)?, read(test_csv)?);
    let config = TrainingConfig::default();
    let (model, m, train_seconds) = fit_and_score(&train_rows, &test_rows, &config)?;
    let peak_mb = peak_rss_mb();
    let bytes = encode(&model);

    let mut loads = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let loaded = decode(&bytes)?;
        loads.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(loaded);
    }
    loads.sort_by(f64::total_cmp);

    let texts: Vec<&str> = test_rows.iter().map(|r| r.text.as_str()).collect();
    for text in &texts {
        std::hint::black_box(model.predict(text));
    }
    let mut latencies = Vec::new();
    for _ in 0..5 {
        for text in &texts {
            let started = Instant::now();
            std::hint::black_box(model.predict(text));
            latencies.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    latencies.sort_by(f64::total_cmp);

    let report = json!({
        "implementation": "signalen-classifier (Rust, linfa-logistic)",
        "train_rows": train_rows.len(),
        "test_rows": test_rows.len(),
        "accuracy_main": m.accuracy_main,
        "macro_f1_main": m.macro_f1_main,
        "accuracy_sub": m.accuracy_sub,
        "macro_f1_sub": m.macro_f1_sub,
        "top3_sub": m.top3_sub,
        "train_seconds": train_seconds,
        "peak_rss_mb": peak_mb,
        "model_bytes": bytes.len(),
        "load_ms_median": percentile(&loads, 0.5),
        "load_ms_max": loads[loads.len() - 1],
        "predict_ms_p50": percentile(&latencies, 0.5),
        "predict_ms_p99": percentile(&latencies, 0.99),
        "config": config,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["split", corpus, out_dir] => split(corpus, out_dir),
        ["tune", train_csv] => tune(train_csv),
        ["evaluate", train_csv, test_csv] => evaluate(train_csv, test_csv),
        _ => Err(
            "usage: bench split CORPUS OUT_DIR | tune TRAIN_CSV | evaluate TRAIN_CSV TEST_CSV"
                .into(),
        ),
    }
}
