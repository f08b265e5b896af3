//! Categories: the two-level taxonomy (main category → sub category) that
//! every signal is filed under.

mod slug;
mod taxonomy;

pub use slug::{Slug, SlugError};
pub use taxonomy::{MainCategory, ServiceLevel, SubCategory, Taxonomy, TaxonomyError};
