use anyhow::Context;
use serde::{Deserialize, Serialize};
use signalen_infra::pg::{self, MigrationReport, SeedReport};

/// What to do; an empty event `{}` migrates and seeds.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Request {
    #[serde(default = "yes")]
    pub seed: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub migrations: MigrationReport,
    pub seed: Option<SeedReport>,
}

pub async fn run(pool: &pg::Pool, request: Request) -> anyhow::Result<Report> {
    let mut client = pool.get().await.context("connecting to the database")?;
    let migrations = pg::migrate(&mut client)
        .await
        .context("applying migrations")?;
    let seed = if request.seed {
        let tx = client
            .transaction()
            .await
            .context("starting the seed transaction")?;
        let report = pg::seed(&tx, pg::SHIPPED_TAXONOMY)
            .await
            .context("seeding reference data")?;
        tx.commit().await.context("committing the seed")?;
        Some(report)
    } else {
        None
    };
    Ok(Report { migrations, seed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_event_migrates_and_seeds() {
        let request: Request = serde_json::from_str("{}").expect("parses");
        assert!(request.seed);
        let request: Request = serde_json::from_str(r#"{"seed": false}"#).expect("parses");
        assert!(!request.seed);
    }
}
