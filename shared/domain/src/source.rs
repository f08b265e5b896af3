//! Sources: the channels a signal comes in through (spec 01 §5.2).

/// A row of `signals_source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: i32,
    /// Stored on the signal as free text; matched case-insensitively.
    pub name: String,
    pub description: String,
    /// Position in lists; `None` sorts last.
    pub order: Option<i32>,
    pub is_active: bool,
    /// Offered in the back office's source choice.
    pub can_be_selected: bool,
    /// May only be used on the public create endpoint.
    pub is_public: bool,
}
