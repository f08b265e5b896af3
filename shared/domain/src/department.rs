//! Departments (afdelingen): the organisational units signals are routed to
//! and whose members see them.

/// A department as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i32,
    /// Short code (`ASC`, `STW`); not unique, as in the reference.
    pub code: String,
    pub name: String,
    /// Internal to the municipality (as opposed to an external partner).
    pub is_intern: bool,
    /// May be a directing department of a parent signal.
    pub can_direct: bool,
}
