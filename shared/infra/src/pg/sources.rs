//! Sources (spec 01 §5.2, 04b §9).

use signalen_domain::source::Source;
use tokio_postgres::Row;

use super::{Error, GenericClient};

/// The sources matching the filters that are given, ordered by (`order`,
/// `name`) with sources without an order last.
#[tracing::instrument(skip_all)]
pub async fn sources(
    client: &impl GenericClient,
    is_active: Option<bool>,
    can_be_selected: Option<bool>,
) -> Result<Vec<Source>, Error> {
    client
        .query(
            "SELECT id, name, description, \"order\", is_active, can_be_selected, is_public
             FROM signals_source
             WHERE ($1::boolean IS NULL OR is_active = $1)
               AND ($2::boolean IS NULL OR can_be_selected = $2)
             ORDER BY \"order\", name, id",
            &[&is_active, &can_be_selected],
        )
        .await?
        .iter()
        .map(source)
        .collect()
}

/// The source with this id.
#[tracing::instrument(skip_all, fields(source_id = id))]
pub async fn source_by_id(client: &impl GenericClient, id: i32) -> Result<Option<Source>, Error> {
    client
        .query_opt(
            "SELECT id, name, description, \"order\", is_active, can_be_selected, is_public
             FROM signals_source WHERE id = $1",
            &[&id],
        )
        .await?
        .as_ref()
        .map(source)
        .transpose()
}

fn source(row: &Row) -> Result<Source, Error> {
    Ok(Source {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        order: row.try_get("order")?,
        is_active: row.try_get("is_active")?,
        can_be_selected: row.try_get("can_be_selected")?,
        is_public: row.try_get("is_public")?,
    })
}
