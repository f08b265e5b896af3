//! The search index of signals (spec 13, docs/search.md): its mapping and
//! documents ([`schema`]), the alias and versioned writes ([`index`]), the
//! SQS consumer that keeps it current ([`batch`]) and the full rebuild
//! ([`reindex`]).
//!
//! Postgres is the source of truth; everything here can be rebuilt from it.

pub mod batch;
pub mod config;
pub mod index;
pub mod reindex;
pub mod schema;

pub use batch::Indexer;
pub use config::IndexConfig;
pub use index::SignalIndex;
