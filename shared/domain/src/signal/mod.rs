//! Signals (*meldingen*) and the rules between them.

mod family;

pub use family::{
    BulkCreateError, FamilyError, MAX_CHILDREN, ParentFacts, SignalFamily, bulk_parent,
    check_bulk_children, check_directing_departments, check_family, reporter_mail_allowed,
};
