//! The fitted classifier and prediction.

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;
use crate::text::Analyzer;
use crate::train::TrainingConfig;
use crate::vectorizer::{SparseVector, Vectorizer};

/// A class of the model: a sub category under its main category, by slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Label {
    pub main: String,
    pub sub: String,
}

/// Where a model comes from and how good it is; stored in the model file and
/// written beside it as `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// sha256 (hex) of the training rows after preparation, in a canonical
    /// order: the same data gives the same fingerprint.
    pub fingerprint: String,
    /// Rows the served model was fitted on.
    pub rows: usize,
    pub config: TrainingConfig,
    /// Held-out evaluation; `None` when there were too few rows to hold any out.
    pub metrics: Option<Metrics>,
    /// Wall-clock seconds of the whole training (evaluation fit included).
    pub training_seconds: f64,
    /// Set by the caller (RFC 3339); this crate reads no clock.
    pub trained_at: Option<String>,
}

/// A multinomial logistic regression over TF-IDF features: sub category
/// probabilities from one softmax, main category probabilities as the sum of
/// their sub categories' (so the two levels always agree).
#[derive(Debug, Clone)]
pub struct Model {
    pub vectorizer: Vectorizer,
    /// Sorted; the position is the class index.
    pub labels: Vec<Label>,
    /// `width × classes`, row-major: the row of a column is contiguous, so a
    /// prediction adds one short row per nonzero feature.
    pub weights: Vec<f32>,
    pub intercept: Vec<f32>,
    pub info: ModelInfo,
    mains: Vec<String>,
    main_of: Vec<usize>,
    analyzer: Analyzer,
}

/// Probabilities of every class, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction<'m> {
    pub main: Vec<(&'m str, f32)>,
    pub sub: Vec<(&'m Label, f32)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("the model has {weights} weights; {width} columns × {classes} classes need {expected}")]
    Shape {
        weights: usize,
        width: usize,
        classes: usize,
        expected: usize,
    },
    #[error("the model has {0} intercepts for {1} classes")]
    Intercept(usize, usize),
    #[error("the model has {0} IDF values for {1} columns")]
    Idf(usize, usize),
    #[error("the model's columns are not strictly increasing")]
    Columns,
    #[error("the model's labels are not sorted and unique")]
    Labels,
    #[error("the model has no classes")]
    Empty,
    #[error("the model holds a value that is not a finite number")]
    NotFinite,
}

impl Model {
    /// Assembles a model, checking that its parts fit together.
    pub fn new(
        vectorizer: Vectorizer,
        labels: Vec<Label>,
        weights: Vec<f32>,
        intercept: Vec<f32>,
        info: ModelInfo,
    ) -> Result<Self, ModelError> {
        let (width, classes) = (vectorizer.width(), labels.len());
        if classes == 0 {
            return Err(ModelError::Empty);
        }
        if weights.len() != width * classes {
            return Err(ModelError::Shape {
                weights: weights.len(),
                width,
                classes,
                expected: width * classes,
            });
        }
        if intercept.len() != classes {
            return Err(ModelError::Intercept(intercept.len(), classes));
        }
        if vectorizer.idf.len() != width {
            return Err(ModelError::Idf(vectorizer.idf.len(), width));
        }
        if !vectorizer.columns.windows(2).all(|w| w[0] < w[1]) {
            return Err(ModelError::Columns);
        }
        if !labels.windows(2).all(|w| w[0] < w[1]) {
            return Err(ModelError::Labels);
        }
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if !finite(&weights) || !finite(&intercept) || !finite(&vectorizer.idf) {
            return Err(ModelError::NotFinite);
        }
        let mut mains: Vec<String> = labels.iter().map(|l| l.main.clone()).collect();
        mains.dedup();
        let main_of = labels
            .iter()
            .map(|l| mains.iter().position(|m| *m == l.main).unwrap_or(0))
            .collect();
        Ok(Self {
            vectorizer,
            labels,
            weights,
            intercept,
            info,
            mains,
            main_of,
            analyzer: Analyzer::default(),
        })
    }

    pub fn classes(&self) -> usize {
        self.labels.len()
    }

    /// Sub category probabilities of a weighed document, in label order.
    /// Works on the nonzero features only: no vector over the feature space.
    pub fn probabilities_of(&self, x: &SparseVector) -> Vec<f32> {
        let classes = self.classes();
        let mut scores = self.intercept.clone();
        for (col, value) in x {
            let start = *col as usize * classes;
            let row = &self.weights[start..start + classes];
            scores
                .iter_mut()
                .zip(row)
                .for_each(|(s, w)| *s += value * w);
        }
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for s in &mut scores {
            *s = (*s - max).exp();
            sum += *s;
        }
        scores.iter_mut().for_each(|s| *s /= sum);
        scores
    }

    /// Sub category probabilities of a text, in label order.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        self.probabilities_of(&self.vectorizer.transform(&self.analyzer, text))
    }

    /// Main category probabilities (index into [`Model::mains`]) from sub
    /// category probabilities.
    pub fn main_probabilities(&self, sub: &[f32]) -> Vec<f32> {
        let mut main = vec![0.0; self.mains.len()];
        for (class, p) in sub.iter().enumerate() {
            main[self.main_of[class]] += p;
        }
        main
    }

    /// The main category slugs the model knows, in first-label order.
    pub fn mains(&self) -> &[String] {
        &self.mains
    }

    /// Both levels for a text, every class, best first.
    pub fn predict(&self, text: &str) -> Prediction<'_> {
        let sub = self.probabilities(text);
        let main = self.main_probabilities(&sub);
        let mut main: Vec<(&str, f32)> = self.mains.iter().map(String::as_str).zip(main).collect();
        main.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut sub: Vec<(&Label, f32)> = self.labels.iter().zip(sub).collect();
        sub.sort_by(|a, b| b.1.total_cmp(&a.1));
        Prediction { main, sub }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::features::FeatureSettings;
    use crate::train::TrainingConfig;

    pub fn label(main: &str, sub: &str) -> Label {
        Label {
            main: main.into(),
            sub: sub.into(),
        }
    }

    pub fn info() -> ModelInfo {
        ModelInfo {
            fingerprint: "0".repeat(64),
            rows: 0,
            config: TrainingConfig::default(),
            metrics: None,
            training_seconds: 0.0,
            trained_at: None,
        }
    }

    /// Two columns, three classes: column 0 speaks for class 0, column 1 for class 2.
    pub fn tiny() -> Model {
        let vectorizer = Vectorizer {
            settings: FeatureSettings::default(),
            columns: vec![10, 20],
            idf: vec![1.0, 1.0],
        };
        Model::new(
            vectorizer,
            vec![
                label("afval", "container-is-vol"),
                label("afval", "grofvuil"),
                label("wegen", "lantaarnpaal"),
            ],
            vec![4.0, 0.0, 0.0, 0.0, 0.0, 4.0],
            vec![0.0, 0.5, 0.0],
            info(),
        )
        .expect("a consistent model")
    }

    #[test]
    fn probabilities_sum_to_one_and_follow_the_weights() {
        let model = tiny();
        let p = model.probabilities_of(&vec![(0, 1.0)]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[1] && p[1] > p[2], "{p:?}");
    }

    #[test]
    fn a_main_category_gets_the_sum_of_its_sub_categories() {
        let model = tiny();
        let sub = model.probabilities_of(&vec![(1, 1.0)]);
        let main = model.main_probabilities(&sub);
        assert_eq!(model.mains(), ["afval", "wegen"]);
        assert!((main[0] - (sub[0] + sub[1])).abs() < 1e-6);
        assert!((main[1] - sub[2]).abs() < 1e-6);
    }

    #[test]
    fn a_text_without_known_features_gets_the_intercepts_softmax() {
        let model = tiny();
        let prediction = model.predict("volkomen onbekende woorden");
        assert_eq!(prediction.sub.len(), 3);
        assert_eq!(prediction.sub[0].0.sub, "grofvuil");
        assert!(prediction.sub.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(prediction.main.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn parts_that_do_not_fit_together_are_refused() {
        let model = tiny();
        let err = Model::new(
            model.vectorizer.clone(),
            model.labels.clone(),
            vec![0.0; 5],
            model.intercept.clone(),
            info(),
        )
        .expect_err("five weights for two columns and three classes");
        assert!(matches!(err, ModelError::Shape { expected: 6, .. }));
        let mut labels = model.labels.clone();
        labels.swap(0, 2);
        let err = Model::new(
            model.vectorizer.clone(),
            labels,
            model.weights.clone(),
            model.intercept.clone(),
            info(),
        )
        .expect_err("unsorted labels");
        assert_eq!(err, ModelError::Labels);
        let mut weights = model.weights.clone();
        weights[3] = f32::NAN;
        let err = Model::new(
            model.vectorizer.clone(),
            model.labels.clone(),
            weights,
            model.intercept.clone(),
            info(),
        )
        .expect_err("NaN");
        assert_eq!(err, ModelError::NotFinite);
    }
}
