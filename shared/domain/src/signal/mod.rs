//! Signals (*meldingen*) and the rules between them.

mod category_link;
mod creation;
mod datetime;
pub mod events;
mod extra_properties;
mod family;
mod location;
mod reporter;

pub use category_link::{HyperlinkError, SubCategoryLink, hyperlink_incorrect_type};
pub use creation::{
    AREA_FIELD_MAX_CHARS, AssignedCategory, BUURT_CODE_MAX_CHARS, CATEGORY_TEXT_MAX_CHARS,
    CategoryFacts, CreatedSignal, DEFAULT_SOURCE, HistoryEntry, NewCategoryAssignment, NewLocation,
    NewSignal, Priority, ReporterFacts, SIGNAL_CREATED, SignalCreated, SignalType, StatusFacts,
    TEXT_EXTRA_MAX_CHARS, TEXT_MAX_CHARS, initial_history,
};
pub use datetime::{INVALID_DATETIME, amsterdam_to_utc, parse_datetime};
pub use extra_properties::{INVALID_EXTRA_PROPERTIES, contains_nul, extra_properties_are_valid};
pub use family::{
    BulkCreateError, FamilyError, MAX_CHILDREN, ParentFacts, SignalFamily, bulk_parent,
    check_bulk_children, check_directing_departments, check_family, reporter_mail_allowed,
};
pub use location::{
    ADDRESS_KEYS, ADDRESS_TEXT_MAX_CHARS, Address, AddressError, BoundingBox, GeometryError,
    POSTCODE_MAX_CHARS, Point, STADSDEEL_AREA_TYPE, Stadsdeel, address_columns, derive_stadsdeel,
};
pub use reporter::{
    EMAIL_MAX_CHARS, INVALID_EMAIL, NewReporter, PHONE_MAX_CHARS, SourceRewrite, is_valid_email,
};
