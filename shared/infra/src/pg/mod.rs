//! PostgreSQL + PostGIS: the single source of truth.
//!
//! One file per concept; queries are string literals with `$n` parameters and
//! take any [`GenericClient`] so they work inside and outside a transaction
//! that the calling service owns.

mod attachments;
mod categories;
mod classification;
mod departments;
mod geography;
mod health;
#[cfg(feature = "pg-iam")]
pub mod iam;
pub mod mail;
mod migrate;
mod outbox;
mod pool;
mod reports;
mod search;
mod seed;
pub mod signal_read;
mod signal_update;
mod signals;
mod sources;
mod throttle;
mod tls;
mod users;

pub use attachments::{
    AttachmentNote, AttachmentRecord, NewAttachment, SignalAccess, allocate_attachment_ids,
    allocate_note_id, attachment_exists, attachment_of_signal, attachments_of_signal,
    count_attachments, delete_attachment, insert_attachment, lock_signal_state,
    open_feedback_request_exists, signal_access, signal_state_by_uuid, update_attachment,
};
pub use categories::{back_office_taxonomy, category_tree};
pub use classification::{CategoryState, LabelledText, category_states, training_texts};
pub use deadpool_postgres::{GenericClient, Object as Client, Pool};
pub use departments::{department_by_id, departments_with_category_names};
pub use geography::{
    MapArea, PublicMapFeature, PublicMapQuery, count_public_map, public_map_page, unknown_map_slugs,
};
pub use health::ping;
pub use migrate::{MigrationReport, migrate, schema_fingerprint};
pub use outbox::OutboxEvent;
pub use pool::pool;
#[cfg(feature = "pg-iam")]
pub use pool::pool_with_aws;
pub use reports::{
    CategoryCount, Period, open_signals_past_deadline_per_category, signals_in_state_per_category,
};
pub use search::{
    IndexedCategory, IndexedSignal, indexed_signals_after, indexed_signals_by_ids, signal_count,
};
pub use seed::{SHIPPED_TAXONOMY, SeedReport, seed};
pub use signal_update::{
    DepartmentRef, EntryText, LOCK_NOT_AVAILABLE, NewAssignmentRow, NewStatusRow, PointerMoves,
    SignalForUpdate, Written, departments_by_ids, insert_category_assignment,
    insert_department_relation, insert_history_entry, insert_location, insert_note,
    insert_outbox_events, insert_priority, insert_status, insert_type, insert_user_assignment,
    lock_children, lock_signal, move_pointers, set_lock_timeout, user_id_by_email,
};
pub use signals::{
    AreaMatch, AreasAtPoint, PublicSignal, allocate_signal_ids, areas_at, insert_initial_signal,
    public_signal_by_uuid, public_source_exists, sub_category_for_assignment,
};
pub use sources::{source_by_id, sources};
pub use throttle::{ThrottleDecision, throttle_request};
pub use tokio_postgres;
pub use users::{create_superuser_if_missing, exposed_permissions, user_detail, users_by_login};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("DATABASE_URL is not a valid PostgreSQL connection string")]
    Url(#[source] tokio_postgres::Error),
    #[error("could not build the connection pool")]
    Build(#[from] deadpool_postgres::BuildError),
    #[error("no database connection could be had")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error")]
    Db(#[from] tokio_postgres::Error),
    #[error("migrating the database failed")]
    Migration(#[from] refinery::Error),
    #[error("the category taxonomy is not valid")]
    Taxonomy(#[from] signalen_domain::category::TaxonomyError),
    #[error("DATABASE_URL: {0} is not valid")]
    TlsOption(&'static str),
    #[error("DATABASE_URL sslrootcert {path}: {reason}")]
    RootCertificate {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("the TLS configuration could not be built")]
    Tls(#[source] rustls::Error),
    #[error("DATABASE_IAM_AUTH=true: {0}")]
    IamAuth(&'static str),
}

/// A pool whose server does not exist (port 9, discard, is never a
/// database), for handler tests of the "database unreachable" path. It
/// connects lazily, so building it does no I/O.
#[cfg(feature = "test-util")]
pub fn unreachable_pool() -> Pool {
    pool(&crate::config::DatabaseConfig {
        url: "postgres://nobody@127.0.0.1:9/none".to_owned().into(),
        pool_size: 1,
        iam_auth: false,
    })
    .expect("a pool to an unreachable server builds")
}
