//! PostgreSQL + PostGIS: the single source of truth.
//!
//! One file per concept; queries are string literals with `$n` parameters and
//! take any [`GenericClient`] so they work inside and outside a transaction
//! that the calling service owns.

mod categories;
mod health;
mod migrate;
mod seed;

use std::str::FromStr;
use std::time::Duration;

pub use categories::category_tree;
pub use deadpool_postgres::{GenericClient, Object as Client, Pool};
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
pub use health::ping;
pub use migrate::{MigrationReport, migrate, schema_fingerprint};
use secrecy::ExposeSecret;
pub use seed::{SHIPPED_TAXONOMY, SeedReport, seed};
pub use tokio_postgres;

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
