//! Features of a text: word uni- and bigrams of the stems and character
//! n-grams of the words, hashed into a fixed space of `2^hash_bits` buckets.
//!
//! Hashing keeps training memory independent of the vocabulary's size and
//! lets the model store bucket numbers instead of strings; with `2^20`
//! buckets collisions between the few tens of thousands of features that
//! survive pruning are rare (and harmless to a linear model).

use serde::{Deserialize, Serialize};

use crate::text::AnalyzedText;

/// Which features are extracted; stored with the model, so that prediction
/// extracts exactly what training did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSettings {
    /// Word n-grams over the stems, e.g. `(1, 2)`; `(0, 0)` for none.
    pub word_ngrams: (u8, u8),
    /// Character n-grams inside each word padded with a space on both sides
    /// (scikit-learn's `char_wb`), e.g. `(3, 5)`; `(0, 0)` for none.
    pub char_ngrams: (u8, u8),
    /// The hash space is `2^hash_bits` buckets.
    pub hash_bits: u8,
}

impl Default for FeatureSettings {
    fn default() -> Self {
        Self {
            word_ngrams: (1, 2),
            char_ngrams: (3, 5),
            hash_bits: 20,
        }
    }
}

const WORD: u8 = 1;
const CHAR: u8 = 2;

/// 64-bit FNV-1a with a final avalanche (splitmix64's), so that the low bits
/// the bucket is taken from depend on every input byte. Stable across
/// platforms and releases, unlike `std`'s `DefaultHasher`.
fn hash(kind: u8, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(kind);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        part.iter().copied().for_each(&mut eat);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl FeatureSettings {
    fn bucket(&self, kind: u8, parts: &[&[u8]]) -> u32 {
        let mask = (1u64 << self.hash_bits) - 1;
        // The mask keeps at most 32 bits (hash_bits ≤ 32 is checked on load).
        u32::try_from(hash(kind, parts) & mask).unwrap_or(u32::MAX)
    }

    /// The hashed features of an analysed text with their counts, sorted by
    /// bucket, each bucket once.
    pub fn extract(&self, text: &AnalyzedText) -> Vec<(u32, u32)> {
        let mut buckets = Vec::with_capacity(text.words.len() * 12);
        let (wmin, wmax) = (
            usize::from(self.word_ngrams.0),
            usize::from(self.word_ngrams.1),
        );
        if wmin > 0 {
            for n in wmin..=wmax {
                for window in text.stems.windows(n) {
                    let parts: Vec<&[u8]> = window.iter().map(|s| s.as_bytes()).collect();
                    buckets.push(self.bucket(WORD, &parts));
                }
            }
        }
        let (cmin, cmax) = (
            usize::from(self.char_ngrams.0),
            usize::from(self.char_ngrams.1),
        );
        if cmin > 0 {
            let mut padded: Vec<char> = Vec::new();
            let mut utf8 = [0u8; 4 * 32];
            for word in &text.words {
                padded.clear();
                padded.push(' ');
                padded.extend(word.chars());
                padded.push(' ');
                for n in cmin..=cmax.min(padded.len()) {
                    for window in padded.windows(n) {
                        let mut len = 0;
                        for c in window {
                            if len + 4 > utf8.len() {
                                break;
                            }
                            len += c.encode_utf8(&mut utf8[len..]).len();
                        }
                        buckets.push(self.bucket(CHAR, &[&utf8[..len]]));
                    }
                }
            }
        }
        buckets.sort_unstable();
        let mut counted: Vec<(u32, u32)> = Vec::with_capacity(buckets.len());
        for b in buckets {
            match counted.last_mut() {
                Some((last, count)) if *last == b => *count += 1,
                _ => counted.push((b, 1)),
            }
        }
        counted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Analyzer;

    fn features(settings: FeatureSettings, text: &str) -> Vec<(u32, u32)> {
        settings.extract(&Analyzer::default().analyze(text))
    }

    #[test]
    fn the_hash_is_stable_across_builds() {
        // A changed hash silently breaks every stored model: pin it.
        assert_eq!(hash(WORD, &[b"container"]), 0xac39_8427_9082_3256);
    }

    #[test]
    fn words_give_unigrams_and_bigrams() {
        let settings = FeatureSettings {
            word_ngrams: (1, 2),
            char_ngrams: (0, 0),
            hash_bits: 20,
        };
        let found = features(settings, "container vol container vol");
        // container, vol, "container vol" (twice each) and "vol container" once
        assert_eq!(found.len(), 4);
        let mut counts: Vec<u32> = found.iter().map(|(_, c)| *c).collect();
        counts.sort_unstable();
        assert_eq!(counts, [1, 2, 2, 2]);
    }

    #[test]
    fn character_ngrams_make_a_typo_share_most_features() {
        let settings = FeatureSettings {
            word_ngrams: (0, 0),
            char_ngrams: (3, 5),
            hash_bits: 20,
        };
        let right = features(settings, "lantaarnpaal");
        let typo = features(settings, "lantarenpaal");
        let shared = right
            .iter()
            .filter(|(b, _)| typo.iter().any(|(t, _)| t == b))
            .count();
        assert!(shared * 3 >= right.len(), "{shared} of {}", right.len());
    }

    #[test]
    fn buckets_stay_inside_the_hash_space_and_are_sorted() {
        let settings = FeatureSettings {
            hash_bits: 8,
            ..FeatureSettings::default()
        };
        let found = features(settings, "Er ligt grofvuil naast de container, al dagen.");
        assert!(found.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(found.iter().all(|(b, _)| *b < 256));
    }

    #[test]
    fn a_text_without_words_has_no_features() {
        assert!(features(FeatureSettings::default(), "!!! 123 ?").is_empty());
    }
}
