//! Held-out evaluation: accuracy and macro-F1 on both levels, top-3 accuracy
//! on the sub category.

use serde::{Deserialize, Serialize};

use crate::model::{Label, Model};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Rows the evaluated model was fitted on.
    pub trained_on: usize,
    /// Rows held out and scored.
    pub held_out: usize,
    pub classes: usize,
    pub accuracy_main: f64,
    pub accuracy_sub: f64,
    /// Unweighted mean F1 over the categories that occur in the truth or the
    /// predictions (scikit-learn's `f1_score(average="macro")`).
    pub macro_f1_main: f64,
    pub macro_f1_sub: f64,
    /// Share of rows whose true sub category is among the three most probable.
    pub top3_sub: f64,
}

/// Macro-F1 of (truth, prediction) pairs over the labels that occur in either.
pub fn macro_f1<T: Ord + Clone>(pairs: &[(T, T)]) -> f64 {
    use std::collections::BTreeMap;
    // (true positives, false positives, false negatives) per label
    let mut counts: BTreeMap<T, (u32, u32, u32)> = BTreeMap::new();
    for (truth, predicted) in pairs {
        if truth == predicted {
            counts.entry(truth.clone()).or_default().0 += 1;
        } else {
            counts.entry(predicted.clone()).or_default().1 += 1;
            counts.entry(truth.clone()).or_default().2 += 1;
        }
    }
    if counts.is_empty() {
        return 0.0;
    }
    let sum: f64 = counts
        .values()
        .map(|(tp, fp, fn_)| {
            let denominator = 2 * tp + fp + fn_;
            if denominator == 0 {
                0.0
            } else {
                f64::from(2 * tp) / f64::from(denominator)
            }
        })
        .sum();
    sum / counts.len() as f64
}

/// Scores `model` on `rows` (text with its true label).
pub fn evaluate<'r>(
    model: &Model,
    rows: impl IntoIterator<Item = (&'r str, &'r Label)>,
    trained_on: usize,
) -> Metrics {
    let mut main_pairs: Vec<(&str, &str)> = Vec::new();
    let mut sub_pairs: Vec<(&Label, &Label)> = Vec::new();
    let mut top3 = 0usize;
    for (text, truth) in rows {
        let prediction = model.predict(text);
        let best_sub = prediction.sub[0].0;
        let best_main = prediction.main[0].0;
        if prediction.sub.iter().take(3).any(|(l, _)| *l == truth) {
            top3 += 1;
        }
        main_pairs.push((truth.main.as_str(), best_main));
        sub_pairs.push((truth, best_sub));
    }
    let n = sub_pairs.len().max(1) as f64;
    let accuracy = |hits: usize| hits as f64 / n;
    Metrics {
        trained_on,
        held_out: sub_pairs.len(),
        classes: model.classes(),
        accuracy_main: accuracy(main_pairs.iter().filter(|(t, p)| t == p).count()),
        accuracy_sub: accuracy(sub_pairs.iter().filter(|(t, p)| t == p).count()),
        macro_f1_main: macro_f1(&main_pairs),
        macro_f1_sub: macro_f1(&sub_pairs),
        top3_sub: accuracy(top3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_matches_scikit_learn() {
        // sklearn.metrics.f1_score([0,0,1,2], [0,1,1,1], average="macro")
        //   = (2/3 + 1/2 + 0) / 3 = 0.3888…
        let pairs = [(0, 0), (0, 1), (1, 1), (2, 1)];
        assert!((macro_f1(&pairs) - 7.0 / 18.0).abs() < 1e-12);
    }

    #[test]
    fn a_perfect_prediction_scores_one_and_nothing_scores_zero() {
        assert_eq!(macro_f1(&[("a", "a"), ("b", "b")]), 1.0);
        assert_eq!(macro_f1::<u8>(&[]), 0.0);
    }

    #[test]
    fn evaluation_counts_hits_on_both_levels_and_in_the_top_three() {
        let model = crate::model::tests::tiny();
        let vol = crate::model::tests::label("afval", "container-is-vol");
        let grof = crate::model::tests::label("afval", "grofvuil");
        // Unknown words: the intercepts pick afval/grofvuil.
        let metrics = evaluate(&model, [("onbekend", &vol), ("onbekend", &grof)], 10);
        assert_eq!(metrics.held_out, 2);
        assert_eq!(metrics.accuracy_main, 1.0);
        assert_eq!(metrics.accuracy_sub, 0.5);
        assert_eq!(metrics.top3_sub, 1.0);
        assert_eq!(metrics.trained_on, 10);
    }
}
