//! Training: preparation of the rows, a stratified held-out split, the fit
//! with linfa-logistic on a dense `f32` matrix of bounded width, evaluation
//! and (by default) a final fit on every row.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Instant;

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::features::FeatureSettings;
use crate::metrics::{Metrics, evaluate};
use crate::model::{Label, Model, ModelError, ModelInfo};
use crate::text::Analyzer;
use crate::vectorizer::{Selection, Vectorizer};

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrainingRow {
    pub text: String,
    pub label: Label,
}

impl TrainingRow {
    pub fn new(text: impl Into<String>, main: impl Into<String>, sub: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            label: Label {
                main: main.into(),
                sub: sub.into(),
            },
        }
    }
}

/// Everything that decides the model; stored with it. The defaults were
/// chosen on a validation part of the corpus' training split
/// (docs/benchmarks.md, "Classifier").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainingConfig {
    pub features: FeatureSettings,
    pub selection: Selection,
    /// Columns of the dense matrix: memory is rows × width × 4 bytes.
    pub width: usize,
    /// A feature must occur in this many training documents to be a candidate.
    pub min_df: u32,
    /// L2 penalty of linfa-logistic (on the summed log-loss; ≈ 1/C of scikit-learn).
    pub alpha: f32,
    pub max_iterations: u64,
    /// Share of each category held out for evaluation.
    pub test_fraction: f64,
    pub seed: u64,
    /// At most this many rows per category (the first ones given: the
    /// database reader gives the newest first), bounding memory and balance.
    pub max_rows_per_class: usize,
    /// Fit the served model on every row after evaluation (the metrics stay
    /// those of the held-out evaluation); `false` serves the evaluated model.
    pub refit_on_all: bool,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            features: FeatureSettings::default(),
            selection: Selection::ChiSquare,
            width: 6000,
            min_df: 2,
            alpha: 0.1,
            max_iterations: 100,
            test_fraction: 0.2,
            seed: 20_260_501,
            max_rows_per_class: 1000,
            refit_on_all: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0} usable training rows; at least {MIN_ROWS} are needed")]
    TooFewRows(usize),
    #[error("the training rows name {0} categories; at least 2 are needed")]
    TooFewClasses(usize),
    #[error("no feature occurs in {0} or more training documents")]
    NoFeatures(u32),
    #[error("the logistic regression did not fit")]
    Fit(#[from] linfa_logistic::error::Error),
    #[error("the training matrix could not be built")]
    Shape(#[from] ndarray::ShapeError),
    #[error("the fitted model is inconsistent")]
    Model(#[from] ModelError),
}

/// Fewer rows than this give no model worth serving.
pub const MIN_ROWS: usize = 20;

/// What training is doing, for progress output.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Prepared {
        rows: usize,
        dropped: usize,
        classes: usize,
    },
    Split {
        train: usize,
        test: usize,
    },
    Fitting {
        rows: usize,
        /// Hashed features in at least `min_df` documents.
        candidates: usize,
        width: usize,
        classes: usize,
        matrix_bytes: usize,
    },
    Fitted {
        seconds: f64,
    },
    Evaluated(Metrics),
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Prepared {
                rows,
                dropped,
                classes,
            } => write!(
                f,
                "{rows} rows in {classes} categories ({dropped} empty, duplicate or over the per-category cap dropped)"
            ),
            Progress::Split { train, test } => {
                write!(f, "split: {train} rows to fit, {test} held out")
            }
            Progress::Fitting {
                rows,
                candidates,
                width,
                classes,
                matrix_bytes,
            } => write!(
                f,
                "fitting {rows} rows × {width} columns (of {candidates} candidate features) × {classes} categories ({:.1} MB dense matrix)",
                *matrix_bytes as f64 / 1e6
            ),
            Progress::Fitted { seconds } => write!(f, "fitted in {seconds:.1} s"),
            Progress::Evaluated(m) => write!(
                f,
                "held out {}: sub accuracy {:.3}, macro-F1 {:.3}, top-3 {:.3}; main accuracy {:.3}, macro-F1 {:.3}",
                m.held_out,
                m.accuracy_sub,
                m.macro_f1_sub,
                m.top3_sub,
                m.accuracy_main,
                m.macro_f1_main
            ),
        }
    }
}

/// Trims texts, drops empty ones and repeated texts (the first label wins, as
/// in the reference), and keeps at most `max_per_class` rows per category.
pub fn prepare(rows: Vec<TrainingRow>, max_per_class: usize) -> Vec<TrainingRow> {
    let mut seen = HashSet::new();
    let mut per_class: BTreeMap<Label, usize> = BTreeMap::new();
    rows.into_iter()
        .filter_map(|row| {
            let text = row.text.trim();
            if text.is_empty() || !seen.insert(text.to_owned()) {
                return None;
            }
            let count = per_class.entry(row.label.clone()).or_default();
            if *count >= max_per_class {
                return None;
            }
            *count += 1;
            Some(TrainingRow {
                text: text.to_owned(),
                label: row.label,
            })
        })
        .collect()
}

/// sha256 (hex) of the rows in sorted order, one `text \x1f main \x1f sub \n`
/// each: independent of the order the rows were read in.
pub fn fingerprint(rows: &[TrainingRow]) -> String {
    let mut sorted: Vec<&TrainingRow> = rows.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for row in sorted {
        for (i, part) in [&row.text, &row.label.main, &row.label.sub]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                hasher.update([0x1f]);
            }
            hasher.update(part.as_bytes());
        }
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// splitmix64: a small deterministic generator, so a seed gives the same
/// split on every platform and release.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Holds out `fraction` of each category (rounded, at least one when the
/// category has two rows or more, never all of them). Deterministic for a
/// seed; both parts keep the input order.
pub fn stratified_split(
    rows: &[TrainingRow],
    fraction: f64,
    seed: u64,
) -> (Vec<TrainingRow>, Vec<TrainingRow>) {
    let mut by_class: BTreeMap<&Label, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_class.entry(&row.label).or_default().push(i);
    }
    let mut rng = SplitMix(seed);
    let mut held_out = vec![false; rows.len()];
    for indices in by_class.values_mut() {
        let n = indices.len();
        if n < 2 || fraction <= 0.0 {
            continue;
        }
        let take = ((n as f64 * fraction).round() as usize).clamp(1, n - 1);
        rng.shuffle(indices);
        indices[..take].iter().for_each(|i| held_out[*i] = true);
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (row, out) in rows.iter().zip(held_out) {
        if out { &mut test } else { &mut train }.push(row.clone());
    }
    (train, test)
}

/// Fits a model on `rows` (no evaluation; `info.metrics` is `None`).
pub fn fit(
    rows: &[TrainingRow],
    config: &TrainingConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Model, TrainError> {
    let started = Instant::now();
    let labels: Vec<Label> = {
        let mut labels: Vec<Label> = rows.iter().map(|r| r.label.clone()).collect();
        labels.sort();
        labels.dedup();
        labels
    };
    if labels.len() < 2 {
        return Err(TrainError::TooFewClasses(labels.len()));
    }
    let classes: Vec<usize> = rows
        .iter()
        .map(|r| labels.binary_search(&r.label).unwrap_or(0))
        .collect();
    let analyzer = Analyzer::default();
    let docs: Vec<Vec<(u32, u32)>> = rows
        .iter()
        .map(|r| config.features.extract(&analyzer.analyze(&r.text)))
        .collect();
    let (vectorizer, candidates) = Vectorizer::fit(
        config.features,
        &docs,
        &classes,
        labels.len(),
        config.selection,
        config.width,
        config.min_df,
    );
    let width = vectorizer.width();
    if width == 0 {
        return Err(TrainError::NoFeatures(config.min_df));
    }
    progress(Progress::Fitting {
        rows: rows.len(),
        candidates,
        width,
        classes: labels.len(),
        matrix_bytes: rows.len() * width * 4,
    });
    let mut x = Array2::<f32>::zeros((rows.len(), width));
    for (i, doc) in docs.iter().enumerate() {
        for (col, value) in vectorizer.weigh(doc) {
            x[(i, col as usize)] = value;
        }
    }
    drop(docs);
    let y = Array1::from(classes);
    let dataset = Dataset::new(x, y);
    let fitted = MultiLogisticRegression::default()
        .alpha(config.alpha)
        .max_iterations(config.max_iterations)
        .fit(&dataset)?;
    drop(dataset);
    // linfa orders the classes it saw; here every label has rows, so they
    // are 0..n, but map them rather than assume it.
    let order = fitted.classes();
    let params = fitted.params();
    let n = labels.len();
    let mut weights = vec![0.0f32; width * n];
    let mut intercept = vec![-1e4f32; n];
    for (k, class) in order.iter().enumerate() {
        intercept[*class] = fitted.intercept()[k];
        for col in 0..width {
            weights[col * n + class] = params[(col, k)];
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    progress(Progress::Fitted { seconds });
    let info = ModelInfo {
        fingerprint: fingerprint(rows),
        rows: rows.len(),
        config: *config,
        metrics: None,
        training_seconds: seconds,
        trained_at: None,
    };
    Ok(Model::new(vectorizer, labels, weights, intercept, info)?)
}

/// Prepares the rows, holds out a stratified part, fits and evaluates, then
/// (with `refit_on_all`) fits the served model on every row. The model's
/// `info` carries the fingerprint of the prepared rows and the held-out
/// metrics.
pub fn train(
    rows: Vec<TrainingRow>,
    config: &TrainingConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Model, TrainError> {
    let started = Instant::now();
    let given = rows.len();
    let rows = prepare(rows, config.max_rows_per_class);
    let classes = rows.iter().map(|r| &r.label).collect::<HashSet<_>>().len();
    progress(Progress::Prepared {
        rows: rows.len(),
        dropped: given - rows.len(),
        classes,
    });
    if rows.len() < MIN_ROWS {
        return Err(TrainError::TooFewRows(rows.len()));
    }
    let (fit_rows, test_rows) = stratified_split(&rows, config.test_fraction, config.seed);
    progress(Progress::Split {
        train: fit_rows.len(),
        test: test_rows.len(),
    });
    let evaluated = fit(&fit_rows, config, progress)?;
    let metrics = (!test_rows.is_empty()).then(|| {
        evaluate(
            &evaluated,
            test_rows.iter().map(|r| (r.text.as_str(), &r.label)),
            fit_rows.len(),
        )
    });
    if let Some(m) = &metrics {
        progress(Progress::Evaluated(m.clone()));
    }
    let mut model = if config.refit_on_all && !test_rows.is_empty() {
        fit(&rows, config, progress)?
    } else {
        evaluated
    };
    model.info.fingerprint = fingerprint(&rows);
    model.info.rows = model_rows(config, &rows, &fit_rows);
    model.info.metrics = metrics;
    model.info.training_seconds = started.elapsed().as_secs_f64();
    Ok(model)
}

fn model_rows(config: &TrainingConfig, all: &[TrainingRow], fitted: &[TrainingRow]) -> usize {
    if config.refit_on_all {
        all.len()
    } else {
        fitted.len()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small, clearly separable corpus in three categories.
    pub fn corpus() -> Vec<TrainingRow> {
        let mut rows = Vec::new();
        let templates = [
            (
                "afval",
                "container-is-vol",
                "de container is vol en puilt uit",
            ),
            (
                "afval",
                "container-is-vol",
                "container zit propvol, vuilniszakken ernaast",
            ),
            (
                "afval",
                "grofvuil",
                "grofvuil op de stoep, een oude bank en matras",
            ),
            (
                "afval",
                "grofvuil",
                "er staat een kast en grof afval bij de boom",
            ),
            (
                "wegen-verkeer-straatmeubilair",
                "lantaarnpaal-straatverlichting",
                "de lantaarnpaal is kapot, het is donker op straat",
            ),
            (
                "wegen-verkeer-straatmeubilair",
                "lantaarnpaal-straatverlichting",
                "straatverlichting brandt niet, lamp stuk",
            ),
        ];
        for i in 0..8 {
            for (main, sub, text) in templates {
                rows.push(TrainingRow::new(
                    format!("{text} nummer {i} straat{i}"),
                    main,
                    sub,
                ));
            }
        }
        rows
    }

    fn quick() -> TrainingConfig {
        TrainingConfig {
            width: 400,
            max_iterations: 50,
            ..TrainingConfig::default()
        }
    }

    #[test]
    fn preparation_drops_empty_and_repeated_texts_and_caps_each_category() {
        let rows = vec![
            TrainingRow::new("  vol ", "afval", "container-is-vol"),
            TrainingRow::new("vol", "afval", "grofvuil"),
            TrainingRow::new("   ", "afval", "grofvuil"),
            TrainingRow::new("nog voller", "afval", "container-is-vol"),
            TrainingRow::new("kast", "afval", "grofvuil"),
        ];
        let prepared = prepare(rows, 1);
        let texts: Vec<&str> = prepared.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["vol", "kast"]);
    }

    #[test]
    fn the_fingerprint_ignores_row_order_but_not_content() {
        let rows = corpus();
        let mut reversed = rows.clone();
        reversed.reverse();
        assert_eq!(fingerprint(&rows), fingerprint(&reversed));
        assert_eq!(fingerprint(&rows).len(), 64);
        reversed[0].label.sub = "grofvuil".into();
        assert_ne!(fingerprint(&rows), fingerprint(&reversed));
    }

    #[test]
    fn the_split_is_stratified_and_deterministic() {
        let rows = corpus();
        let (train, test) = stratified_split(&rows, 0.25, 7);
        assert_eq!(train.len() + test.len(), rows.len());
        for label in rows.iter().map(|r| &r.label) {
            let held = test.iter().filter(|r| &r.label == label).count();
            assert_eq!(held, 4, "{label:?}: 16 rows, a quarter held out");
        }
        assert_eq!(stratified_split(&rows, 0.25, 7).1, test);
        assert_ne!(stratified_split(&rows, 0.25, 8).1, test);
    }

    #[test]
    fn a_category_with_one_row_is_never_held_out() {
        let rows = vec![
            TrainingRow::new("a", "x", "y"),
            TrainingRow::new("b", "x", "z"),
            TrainingRow::new("c", "x", "z"),
        ];
        let (train, test) = stratified_split(&rows, 0.5, 1);
        assert_eq!(train.len(), 2);
        assert_eq!(test.len(), 1);
        assert!(train.iter().any(|r| r.label.sub == "y"));
    }

    #[test]
    fn training_learns_the_categories_and_reports_held_out_metrics() {
        let mut stages = Vec::new();
        let model = train(corpus(), &quick(), &mut |p| stages.push(p)).expect("trains");
        let metrics = model.info.metrics.clone().expect("metrics");
        assert!(metrics.accuracy_sub >= 0.9, "{metrics:?}");
        assert_eq!(metrics.held_out, 3 * 3, "a fifth of 16 rows rounds to 3");
        assert_eq!(model.info.rows, 48, "refitted on every row");
        assert_eq!(model.classes(), 3);
        let best = model.predict("Container vol!").sub[0].0.sub.clone();
        assert_eq!(best, "container-is-vol");
        let best = model.predict("lantarenpaal kapot").sub[0].0.sub.clone();
        assert_eq!(
            best, "lantaarnpaal-straatverlichting",
            "a typo still matches"
        );
        assert!(matches!(stages[0], Progress::Prepared { rows: 48, .. }));
        assert!(stages.iter().any(|p| matches!(p, Progress::Evaluated(_))));
    }

    #[test]
    fn too_few_rows_or_one_category_are_refused() {
        let rows = corpus().into_iter().take(5).collect();
        assert!(matches!(
            train(rows, &quick(), &mut |_| {}),
            Err(TrainError::TooFewRows(5))
        ));
        let rows: Vec<TrainingRow> = corpus()
            .into_iter()
            .filter(|r| r.label.sub == "grofvuil")
            .collect();
        assert!(matches!(
            fit(&rows, &quick(), &mut |_| {}),
            Err(TrainError::TooFewClasses(1))
        ));
    }
}
