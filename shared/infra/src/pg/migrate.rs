use tracing::info;

use super::Error;

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationReport {
    /// The migrations applied by this run, as `V0001__name`.
    pub applied: Vec<String>,
    /// The newest version the database is at after the run.
    pub current_version: Option<i32>,
}

/// Applies the migrations in `migrations/` that the database lacks, each in
/// its own transaction, in order. Refuses to run when an applied migration's
/// file has changed since (refinery compares checksums).
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<MigrationReport, Error> {
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .run_async(client)
        .await?;
    let applied: Vec<String> = report
        .applied_migrations()
        .iter()
        .map(|m| format!("V{:04}__{}", m.version(), m.name()))
        .collect();
    let current_version = embedded::migrations::runner()
        .get_last_applied_migration_async(client)
        .await?
        .map(|m| m.version());
    info!(applied = applied.len(), current_version = ?current_version, "migrations done");
    Ok(MigrationReport {
        applied,
        current_version,
    })
}

/// A fingerprint of the embedded migrations and the shipped taxonomy: equal
/// fingerprints mean equal freshly migrated and seeded databases. The test
/// harness names its template database after it.
pub fn schema_fingerprint() -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};

    let mut hasher = DefaultHasher::new();
    for migration in embedded::migrations::runner().get_migrations() {
        migration.version().hash(&mut hasher);
        migration.checksum().hash(&mut hasher);
    }
    super::SHIPPED_TAXONOMY.hash(&mut hasher);
    hasher.finish()
}
