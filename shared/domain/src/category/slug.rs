use std::fmt;

use serde::{Deserialize, Serialize};

/// A category slug: lower-case ASCII letters and digits in words joined by
/// single hyphens (`afval`, `container-is-vol`).
///
/// Slugs are unique per parent only: `overig` is a main category and also a
/// sub category of `overig`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug may not be empty")]
    Empty,
    #[error("a slug is at most {max} characters, got {len}")]
    TooLong { len: usize, max: usize },
    #[error("`{0}` is not a slug: use lower-case letters and digits joined by single hyphens")]
    Malformed(String),
}

impl Slug {
    /// The longest slug the database accepts (Django's `SlugField` default).
    pub const MAX_LEN: usize = 50;

    pub fn parse(value: &str) -> Result<Self, SlugError> {
        if value.is_empty() {
            return Err(SlugError::Empty);
        }
        if value.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong {
                len: value.len(),
                max: Self::MAX_LEN,
            });
        }
        let well_formed = value.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !well_formed {
            return Err(SlugError::Malformed(value.to_owned()));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_joined_by_hyphens_are_a_slug() {
        for ok in ["afval", "container-is-vol", "overig", "a3", "boom-2-weg"] {
            assert_eq!(Slug::parse(ok).map(|s| s.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn capitals_spaces_and_stray_hyphens_are_refused() {
        for bad in [
            "Afval",
            "container is vol",
            "-afval",
            "afval-",
            "a--b",
            "afvål",
            "a_b",
        ] {
            assert_eq!(
                Slug::parse(bad),
                Err(SlugError::Malformed(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_empty_or_overlong_slug_is_refused() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        let long = "a".repeat(Slug::MAX_LEN + 1);
        assert_eq!(
            Slug::parse(&long),
            Err(SlugError::TooLong { len: 51, max: 50 })
        );
    }

    #[test]
    fn a_slug_deserialises_only_when_valid() {
        assert!(serde_json::from_str::<Slug>("\"afval\"").is_ok());
        assert!(serde_json::from_str::<Slug>("\"Afval\"").is_err());
    }
}
