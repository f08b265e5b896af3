//! Which categories a prediction may name: the active ones in the database,
//! read at most every `ttl`, and the reference's fallback to `overig/overig`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use signalen_infra::pg::{self, CategoryState};
use tokio::sync::Mutex;

/// The fallback the reference answers with when a predicted category does
/// not exist here (spec/14 §14.2; its absence breaks the endpoint there).
pub const FALLBACK: (&str, &str) = ("overig", "overig");

/// The active categories, by (parent slug, slug).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategorySet {
    active: HashSet<(Option<String>, String)>,
}

impl CategorySet {
    pub fn new(states: impl IntoIterator<Item = CategoryState>) -> Self {
        Self {
            active: states
                .into_iter()
                .filter(|s| s.is_active)
                .map(|s| (s.parent_slug, s.slug))
                .collect(),
        }
    }

    fn has(&self, parent: Option<&str>, slug: &str) -> bool {
        self.active
            .contains(&(parent.map(str::to_owned), slug.to_owned()))
    }

    /// The main category to answer with: the predicted one when it is an
    /// active main category here, else `overig`.
    pub fn main<'a>(&self, main: &'a str) -> &'a str {
        if self.has(None, main) {
            main
        } else {
            FALLBACK.0
        }
    }

    /// The (main, sub) to answer with: the predicted pair when it is an
    /// active sub category here, else `overig/overig`.
    pub fn sub<'a>(&self, main: &'a str, sub: &'a str) -> (&'a str, &'a str) {
        if self.has(Some(main), sub) {
            (main, sub)
        } else {
            FALLBACK
        }
    }
}

/// The category set, read from the database at most once per `ttl`. When a
/// refresh fails the previous set is kept: category changes are rare, a
/// failing prediction is not.
pub struct CategoryCache {
    pool: pg::Pool,
    ttl: Duration,
    state: Mutex<Option<(Instant, Arc<CategorySet>)>>,
}

impl CategoryCache {
    pub fn new(pool: pg::Pool, ttl: Duration) -> Self {
        Self {
            pool,
            ttl,
            state: Mutex::new(None),
        }
    }

    pub async fn get(&self) -> Result<Arc<CategorySet>, pg::Error> {
        let mut state = self.state.lock().await;
        if let Some((read_at, set)) = state.as_ref() {
            if read_at.elapsed() < self.ttl {
                return Ok(set.clone());
            }
        }
        match self.read().await {
            Ok(set) => {
                let set = Arc::new(set);
                *state = Some((Instant::now(), set.clone()));
                Ok(set)
            }
            Err(e) => match state.as_mut() {
                Some((read_at, set)) => {
                    tracing::warn!(error.message = %e, error.cause_chain = ?e, "categories: refresh failed, keeping the previous set");
                    *read_at = Instant::now();
                    Ok(set.clone())
                }
                None => Err(e),
            },
        }
    }

    async fn read(&self) -> Result<CategorySet, pg::Error> {
        let client = self.pool.get().await?;
        Ok(CategorySet::new(pg::category_states(&client).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(parent: Option<&str>, slug: &str, is_active: bool) -> CategoryState {
        CategoryState {
            parent_slug: parent.map(str::to_owned),
            slug: slug.to_owned(),
            is_active,
        }
    }

    fn set() -> CategorySet {
        CategorySet::new([
            state(None, "afval", true),
            state(Some("afval"), "grofvuil", true),
            state(Some("afval"), "asbest-accu", false),
            state(None, "ondermijning", false),
            state(None, "overig", true),
            state(Some("overig"), "overig", true),
        ])
    }

    #[test]
    fn an_active_category_is_answered_as_predicted() {
        assert_eq!(set().main("afval"), "afval");
        assert_eq!(set().sub("afval", "grofvuil"), ("afval", "grofvuil"));
    }

    #[test]
    fn an_unknown_or_inactive_category_falls_back_to_overig() {
        let set = set();
        assert_eq!(set.main("ondermijning"), "overig");
        assert_eq!(set.main("bestaat-niet"), "overig");
        assert_eq!(set.sub("afval", "asbest-accu"), FALLBACK);
        assert_eq!(
            set.sub("wonen", "grofvuil"),
            FALLBACK,
            "a sub under another main"
        );
        assert_eq!(set.sub("afval", "afval"), FALLBACK, "a main is no sub");
    }
}
