//! PostgreSQL + PostGIS: the single source of truth.
//!
//! One file per concept; queries are string literals with `$n` parameters and
//! take any [`GenericClient`] so they work inside and outside a transaction
//! that the calling service owns.

mod attachments;
mod categories;
mod classification;
mod departments;
mod health;
mod migrate;
mod outbox;
mod search;
mod seed;
pub mod signal_read;
mod signal_update;
mod signals;
mod sources;
mod throttle;
mod users;

use std::str::FromStr;
use std::time::Duration;

pub use attachments::{
    AttachmentNote, AttachmentRecord, NewAttachment, SignalAccess, allocate_attachment_ids,
    allocate_note_id, attachment_exists, attachment_of_signal, attachments_of_signal,
    count_attachments, delete_attachment, insert_attachment, lock_signal_state,
    open_feedback_request_exists, signal_access, signal_state_by_uuid, update_attachment,
};
pub use categories::{back_office_taxonomy, category_tree};
pub use classification::{CategoryState, LabelledText, category_states, training_texts};
pub use deadpool_postgres::{GenericClient, Object as Client, Pool};
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
pub use departments::{department_by_id, departments_with_category_names};
pub use health::ping;
pub use migrate::{MigrationReport, migrate, schema_fingerprint};
pub use outbox::OutboxEvent;
pub use search::{
    IndexedCategory, IndexedSignal, ListCategory, ListLocation, ListReporter, ListStatus,
    SignalListRow, indexed_signals_after, indexed_signals_by_ids, signal_count, signal_list_rows,
    visible_category_ids,
};
use secrecy::ExposeSecret;
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

use crate::config::DatabaseConfig;

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
}

/// How long a request waits for a connection (or for a new one to be made)
/// before it fails: short, so an unreachable database answers quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the pool; it connects lazily, on first use, so a cold start does no
/// I/O. Connections that the server closed are dropped at checkout.
pub fn pool(config: &DatabaseConfig) -> Result<Pool, Error> {
    let mut pg =
        tokio_postgres::Config::from_str(config.url.expose_secret()).map_err(Error::Url)?;
    pg.connect_timeout(CONNECT_TIMEOUT);
    if pg.get_application_name().is_none() {
        pg.application_name("signalen");
    }
    // No JIT compilation: the API's statements are short, and a plan the
    // planner overestimates (a list filter on a large table) would pay
    // hundreds of milliseconds of compilation for a few of execution.
    if pg.get_options().is_none() {
        pg.options("-c jit=off");
    }
    let manager = Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Verified,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(config.pool_size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .build()?)
}

/// A pool whose server does not exist (port 9, discard, is never a
/// database), for handler tests of the "database unreachable" path. It
/// connects lazily, so building it does no I/O.
#[cfg(feature = "test-util")]
pub fn unreachable_pool() -> Pool {
    pool(&DatabaseConfig {
        url: "postgres://nobody@127.0.0.1:9/none".to_owned().into(),
        pool_size: 1,
    })
    .expect("a pool to an unreachable server builds")
}
