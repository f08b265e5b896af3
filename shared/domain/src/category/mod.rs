//! Categories: the two-level taxonomy (main category → sub category) that
//! every signal is filed under.

mod record;
mod slug;
mod taxonomy;

pub use record::{Category, CategoryTree, MainWithSubs};
pub use slug::{Slug, SlugError};
pub use taxonomy::{MainCategory, ServiceLevel, SubCategory, Taxonomy, TaxonomyError};
