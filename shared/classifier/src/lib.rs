//! Signalen's category classifier, pure compute (no I/O): Dutch text
//! preprocessing, hashed word and character n-gram features, TF-IDF learnt at
//! training time, a multinomial logistic regression fitted with
//! linfa-logistic, held-out metrics and a compact model file.
//!
//! ```text
//! text ─ text::Analyzer (fold, tokenise, stop words, Snowball Dutch stems)
//!      ─ features::FeatureSettings::extract (word 1–2-grams, char 3–5-grams, hashed to 2^20)
//!      ─ vectorizer::Vectorizer (the `width` columns chosen in training, TF-IDF, L2)
//!      ─ model::Model (sparse dot product with the weights, softmax; main = Σ its subs)
//! ```
//!
//! Training ([`train::train`]) needs a dense `rows × width` `f32` matrix
//! (linfa-logistic fits dense arrays only); `width` bounds it. Prediction
//! touches only the nonzero features of one text.

pub mod features;
pub mod format;
pub mod metrics;
pub mod model;
pub mod text;
pub mod train;
pub mod vectorizer;

pub use format::{FORMAT_VERSION, FormatError, decode, encode};
pub use metrics::Metrics;
pub use model::{Label, Model, ModelInfo, Prediction};
pub use train::{Progress, TrainError, TrainingConfig, TrainingRow, train};
