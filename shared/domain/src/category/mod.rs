//! Categories: the two-level taxonomy (main category → sub category) that
//! every signal is filed under.

mod back_office;
mod record;
mod slug;
mod taxonomy;

pub use back_office::{BackOfficeCategory, BackOfficeTaxonomy, DepartmentLink};
pub use record::{Category, CategoryTree, MainWithSubs};
pub use slug::{Slug, SlugError};
pub use taxonomy::{MainCategory, ServiceLevel, SubCategory, Taxonomy, TaxonomyError};
