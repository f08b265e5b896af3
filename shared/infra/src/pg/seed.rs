//! Reference data every installation needs: the category taxonomy with its
//! service levels, departments, sources and permission codenames.
//! Loading is idempotent: a second run changes nothing.

use signalen_domain::category::Taxonomy;
use tokio_postgres::types::Type;
use tracing::info;

use super::{Error, GenericClient};

/// The taxonomy shipped with the product (`data/categories.json`).
pub const SHIPPED_TAXONOMY: &str = include_str!("../../../../data/categories.json");

const SEED_REFERENCE: &str = include_str!("sql/seed_reference.sql");
const SEED_CATEGORIES: &str = include_str!("sql/seed_categories.sql");
const SEED_CATEGORY_SLO: &str = include_str!("sql/seed_category_slo.sql");

/// How many rows of each kind the database holds after seeding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub main_categories: i64,
    pub sub_categories: i64,
    pub service_level_objectives: i64,
    pub departments: i64,
    pub sources: i64,
}

/// Seeds the reference data and the given taxonomy (validated first: a broken
/// file writes nothing). The caller decides on the transaction.
pub async fn seed(client: &impl GenericClient, taxonomy_json: &str) -> Result<SeedReport, Error> {
    Taxonomy::parse(taxonomy_json)?;
    client.batch_execute(SEED_REFERENCE).await?;
    for statement in [SEED_CATEGORIES, SEED_CATEGORY_SLO] {
        // The document goes in as text, whatever type the statement's cast
        // would make Postgres infer for `$1`.
        let prepared = client.prepare_typed(statement, &[Type::TEXT]).await?;
        client.execute(&prepared, &[&taxonomy_json]).await?;
    }
    let row = client
        .query_one(
            "SELECT
                (SELECT count(*) FROM signals_category WHERE parent_id IS NULL) AS main_categories,
                (SELECT count(*) FROM signals_category WHERE parent_id IS NOT NULL) AS sub_categories,
                (SELECT count(*) FROM signals_servicelevelobjective) AS service_level_objectives,
                (SELECT count(*) FROM signals_department) AS departments,
                (SELECT count(*) FROM signals_source) AS sources",
            &[],
        )
        .await?;
    let report = SeedReport {
        main_categories: row.try_get("main_categories")?,
        sub_categories: row.try_get("sub_categories")?,
        service_level_objectives: row.try_get("service_level_objectives")?,
        departments: row.try_get("departments")?,
        sources: row.try_get("sources")?,
    };
    info!(?report, "seed done");
    Ok(report)
}
