//! The API version this backend is compatible with.

/// The Signalen (Amsterdam/signals) release whose REST API we implement.
///
/// It is what the reference reports in its root document and in the
/// `X-API-Version` header; clients compare against that, so we report the
/// compatible version rather than our own crate version.
pub const COMPATIBLE_API_VERSION: &str = "2.50.12";

/// Our own build version, reported beside the compatible one where a field is free.
pub const BUILD_VERSION: &str = env!("CARGO_PKG_VERSION");
