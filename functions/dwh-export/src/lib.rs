//! The datawarehouse export (spec 12): the reference's DWH CSV files, byte
//! for byte, and their zip, streamed from PostgreSQL into the exports bucket.
//!
//! * [`files`] — every file: name, header, query, column transforms;
//! * [`rewrite`] — COPY CSV → the CSV Python's `csv` module wrote;
//! * [`zip`] — a zip written front to back (data descriptors);
//! * [`export`] — a run: one snapshot, multipart uploads completed only at
//!   the end, clean-up of stale uploads and of old exports.

pub mod export;
pub mod files;
pub mod rewrite;
pub mod zip;

pub use export::{
    ExportConfig, ExportError, ExportHooks, ExportReport, ExportRequest, RunNames, run,
};
