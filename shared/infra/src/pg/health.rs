use super::{Error, GenericClient};

/// Proves the database answers a query.
pub async fn ping(client: &impl GenericClient) -> Result<(), Error> {
    client.query_one("SELECT 1", &[]).await?;
    Ok(())
}
