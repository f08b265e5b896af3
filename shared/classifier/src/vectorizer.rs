//! TF-IDF over a bounded set of hashed features.
//!
//! linfa-logistic fits on a dense matrix (documents × columns), so the
//! number of columns is fixed at training: of the hashed features seen in at
//! least `min_df` training documents, the `width` best by the chosen
//! [`Selection`] become the model's columns. The IDF of each column is learnt
//! from the training documents and stored with the model (a single text at
//! prediction time must not get its own IDF).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::features::FeatureSettings;
use crate::text::Analyzer;

/// How the columns are chosen among the candidate features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The features in the most documents (unsupervised).
    DocumentFrequency,
    /// The features whose presence depends most on the category (χ² of
    /// presence against the class, as scikit-learn's `chi2`). Keeps the rare
    /// but telling features of small categories.
    ChiSquare,
}

/// The fitted feature space: settings, the chosen buckets (sorted, the
/// position is the column) and their IDF.
#[derive(Debug, Clone, PartialEq)]
pub struct Vectorizer {
    pub settings: FeatureSettings,
    pub columns: Vec<u32>,
    pub idf: Vec<f32>,
}

/// A document as (column, value) pairs, sorted by column, L2-normalised.
pub type SparseVector = Vec<(u32, f32)>;

impl Vectorizer {
    /// Fits the column set and IDF on `docs` (the extracted features of each
    /// training document, see [`FeatureSettings::extract`]) with their class
    /// indices. Also returns how many candidates (features in at least
    /// `min_df` documents) the columns were chosen from.
    pub fn fit(
        settings: FeatureSettings,
        docs: &[Vec<(u32, u32)>],
        classes: &[usize],
        n_classes: usize,
        selection: Selection,
        width: usize,
        min_df: u32,
    ) -> (Self, usize) {
        let mut df: HashMap<u32, u32> = HashMap::new();
        for doc in docs {
            for (bucket, _) in doc {
                *df.entry(*bucket).or_default() += 1;
            }
        }
        let mut candidates: Vec<(u32, f64)> = match selection {
            Selection::DocumentFrequency => df
                .iter()
                .filter(|(_, d)| **d >= min_df)
                .map(|(b, d)| (*b, f64::from(*d)))
                .collect(),
            Selection::ChiSquare => chi_square(docs, classes, n_classes, &df, min_df),
        };
        // Best first; ties by bucket so that the choice is deterministic.
        candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let candidate_count = candidates.len();
        candidates.truncate(width);
        let mut columns: Vec<u32> = candidates.into_iter().map(|(b, _)| b).collect();
        columns.sort_unstable();
        let n = docs.len() as f64;
        let idf = columns
            .iter()
            .map(|b| {
                let d = f64::from(df[b]);
                (((1.0 + n) / (1.0 + d)).ln() + 1.0) as f32
            })
            .collect();
        let fitted = Self {
            settings,
            columns,
            idf,
        };
        (fitted, candidate_count)
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// TF-IDF of extracted features: sublinear TF (`1 + ln tf`) times IDF,
    /// L2-normalised. Features outside the columns are dropped.
    pub fn weigh(&self, features: &[(u32, u32)]) -> SparseVector {
        let mut out: SparseVector = Vec::with_capacity(features.len());
        for (bucket, count) in features {
            if let Ok(col) = self.columns.binary_search(bucket) {
                let tf = 1.0 + (*count as f32).ln();
                // Column indices are below `width`, which fits in u32.
                out.push((col as u32, tf * self.idf[col]));
            }
        }
        let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        out
    }

    /// Analyses, extracts and weighs one text.
    pub fn transform(&self, analyzer: &Analyzer, text: &str) -> SparseVector {
        self.weigh(&self.settings.extract(&analyzer.analyze(text)))
    }
}

/// χ² of each candidate's presence against the class: with O the documents
/// of class c containing f and E = df(f)·n(c)/N, Σ_c (O−E)²/E simplifies to
/// Σ_c O²·N/(df(f)·n(c)) − df(f), summed over the classes where O > 0.
fn chi_square(
    docs: &[Vec<(u32, u32)>],
    classes: &[usize],
    n_classes: usize,
    df: &HashMap<u32, u32>,
    min_df: u32,
) -> Vec<(u32, f64)> {
    let mut class_sizes = vec![0u32; n_classes];
    let mut observed: HashMap<(u32, usize), u32> = HashMap::new();
    for (doc, class) in docs.iter().zip(classes) {
        class_sizes[*class] += 1;
        for (bucket, _) in doc {
            if df[bucket] >= min_df {
                *observed.entry((*bucket, *class)).or_default() += 1;
            }
        }
    }
    let n = docs.len() as f64;
    let mut score: HashMap<u32, f64> = HashMap::new();
    for ((bucket, class), o) in observed {
        let o = f64::from(o);
        let term = o * o * n / (f64::from(df[&bucket]) * f64::from(class_sizes[class]));
        *score.entry(bucket).or_default() += term;
    }
    score
        .into_iter()
        .map(|(b, s)| (b, s - f64::from(df[&b])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> FeatureSettings {
        FeatureSettings {
            word_ngrams: (1, 1),
            char_ngrams: (0, 0),
            hash_bits: 20,
        }
    }

    fn docs(texts: &[&str]) -> Vec<Vec<(u32, u32)>> {
        let analyzer = Analyzer::default();
        texts
            .iter()
            .map(|t| settings().extract(&analyzer.analyze(t)))
            .collect()
    }

    #[test]
    fn the_width_bounds_the_columns_and_rare_features_are_pruned() {
        let docs = docs(&["afval afval", "afval boom", "boom lamp", "tram"]);
        let v = Vectorizer::fit(
            settings(),
            &docs,
            &[0, 0, 1, 1],
            2,
            Selection::DocumentFrequency,
            10,
            2,
        )
        .0;
        assert_eq!(
            v.width(),
            2,
            "afval and boom; lamp and tram are in one document"
        );
        let v = Vectorizer::fit(
            settings(),
            &docs,
            &[0, 0, 1, 1],
            2,
            Selection::DocumentFrequency,
            1,
            1,
        )
        .0;
        assert_eq!(v.width(), 1);
    }

    #[test]
    fn idf_is_learnt_from_training_and_rarer_features_weigh_more() {
        let docs = docs(&["afval boom", "afval", "afval", "boom"]);
        let v = Vectorizer::fit(
            settings(),
            &docs,
            &[0, 0, 0, 1],
            2,
            Selection::ChiSquare,
            10,
            1,
        )
        .0;
        let analyzer = Analyzer::default();
        let x = v.transform(&analyzer, "afval boom");
        assert_eq!(x.len(), 2);
        let norm: f32 = x.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        let afval = v.transform(&analyzer, "afval")[0].0;
        let weight = |col: u32| x.iter().find(|(c, _)| *c == col).map(|(_, w)| *w);
        let boom = x
            .iter()
            .map(|(c, _)| *c)
            .find(|c| *c != afval)
            .expect("boom");
        assert!(weight(boom) > weight(afval));
    }

    #[test]
    fn chi_square_prefers_features_that_tell_the_classes_apart() {
        let docs = docs(&["lamp kapot", "lamp stuk", "boom kapot", "boom stuk"]);
        let v = Vectorizer::fit(
            settings(),
            &docs,
            &[0, 0, 1, 1],
            2,
            Selection::ChiSquare,
            2,
            1,
        )
        .0;
        let analyzer = Analyzer::default();
        assert_eq!(v.transform(&analyzer, "lamp boom").len(), 2);
        assert!(v.transform(&analyzer, "kapot stuk").is_empty());
    }

    #[test]
    fn unknown_features_give_an_empty_vector() {
        let docs = docs(&["afval", "boom"]);
        let v = Vectorizer::fit(settings(), &docs, &[0, 1], 2, Selection::ChiSquare, 10, 1).0;
        assert!(v.transform(&Analyzer::default(), "tram").is_empty());
    }
}
