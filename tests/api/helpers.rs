//! The test environment: a fresh database per test (cloned from a migrated
//! and seeded template), and uniquely named buckets, queues, indices and
//! sender addresses, each removed again by `cleanup`.

use std::collections::HashMap;
use std::time::Duration;

use signalen_infra::config::{DatabaseConfig, S3Config, SearchConfig};
use signalen_infra::pg::{self, tokio_postgres};
use signalen_infra::s3::ObjectStore;
use signalen_infra::search::SearchClient;
use signalen_infra::ses::Mailer;
use signalen_infra::sqs::Queue;
use uuid::Uuid;

const START_HINT: &str = "start the local stack with `infra/stack up` and load its variables with \
     `eval \"$(infra/stack env)\"` (or run the whole suite with `infra/test`)";

/// The value of a variable the stack's `env` command sets; panics naming the
/// script when it is missing.
pub fn stack_var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!("{name} is not set: {START_HINT}"),
    }
}

/// A short unique name, valid as a database, bucket, queue and index name.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..16])
}

async fn admin_client() -> tokio_postgres::Client {
    let url = stack_var("SIGNALEN_TEST_PG_ADMIN_URL");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is unreachable ({e}): {START_HINT}"));
    tokio::spawn(connection);
    client
}

fn database_url(name: &str) -> String {
    let admin = stack_var("SIGNALEN_TEST_PG_ADMIN_URL");
    let (server, _) = admin
        .rsplit_once('/')
        .expect("SIGNALEN_TEST_PG_ADMIN_URL ends in /<database>");
    format!("{server}/{name}")
}

/// The lock that serialises template creation and cloning across test
/// threads and test processes.
const TEMPLATE_LOCK: i64 = 0x5167_6e61_6c65;

/// A database of its own, migrated and seeded.
pub struct TestDatabase {
    pub name: String,
    pub pool: pg::Pool,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let admin = admin_client().await;
        let template = format!("signalen_template_{:016x}", pg::schema_fingerprint());
        let name = unique_name("t").replace('-', "_");
        admin
            .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
            .await
            .expect("lock");
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
            .await
            .expect("look up template")
            .is_some();
        if !exists {
            build_template(&admin, &template).await;
        }
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY"
            ))
            .await
            .expect("clone the template database");
        admin
            .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
            .await
            .expect("unlock");
        let config = DatabaseConfig {
            url: database_url(&name).into(),
            pool_size: 4,
            iam_auth: false,
        };
        let pool = pg::pool(&config).expect("pool");
        Self { name, pool }
    }

    pub async fn client(&self) -> pg::Client {
        self.pool
            .get()
            .await
            .expect("a connection to the test database")
    }

    pub async fn cleanup(self) {
        self.pool.close();
        admin_client()
            .await
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .expect("drop the test database");
    }
}

async fn build_template(admin: &tokio_postgres::Client, template: &str) {
    let building = format!("{template}_building");
    // Separate statements: several in one call form an implicit transaction,
    // which DROP/CREATE DATABASE refuse.
    for statement in [
        format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        format!("CREATE DATABASE {building}"),
    ] {
        admin
            .batch_execute(&statement)
            .await
            .expect("create the template database");
    }
    {
        let pool = pg::pool(&DatabaseConfig {
            url: database_url(&building).into(),
            pool_size: 1,
            iam_auth: false,
        })
        .expect("pool");
        let mut client = pool.get().await.expect("connect to the template database");
        pg::migrate(&mut client)
            .await
            .expect("migrate the template database");
        pg::seed(&client, pg::SHIPPED_TAXONOMY)
            .await
            .expect("seed the template database");
        drop(client);
        pool.close();
    }
    // The pool's connection closes asynchronously; the rename waits for it.
    let rename = format!(
        "ALTER DATABASE {building} RENAME TO {template}; ALTER DATABASE {template} WITH IS_TEMPLATE true"
    );
    for attempt in 1.. {
        match admin.batch_execute(&rename).await {
            Ok(()) => break,
            Err(_) if attempt < 50 => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("mark the template database: {e}"),
        }
    }
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    stack_var("AWS_ENDPOINT_URL");
    signalen_infra::aws::load().await
}

/// A bucket of its own on the local S3.
pub async fn test_bucket() -> ObjectStore {
    let store = ObjectStore::new(
        &sdk_config().await,
        S3Config {
            force_path_style: true,
        },
        unique_name("t"),
    );
    store
        .ensure_bucket()
        .await
        .unwrap_or_else(|e| panic!("local S3 is unavailable ({e}): {START_HINT}"));
    store
}

/// Deletes every object of a test bucket. The bucket itself stays: moto
/// 5.2.5 keeps deleted buckets in its model registry, and its
/// `/moto-api/data.json` (which the SES tests read) then fails with
/// NoSuchBucket. moto's state is in memory and ends with `infra/stack down`.
pub async fn empty_bucket(store: &ObjectStore) {
    for key in store.list("").await.expect("list the test bucket") {
        store.delete(&key).await.expect("delete a test object");
    }
}

/// A queue of its own on the local SQS; short visibility so tests can see redelivery.
pub async fn test_queue(
    attributes: HashMap<aws_sdk_sqs::types::QueueAttributeName, String>,
) -> Queue {
    Queue::create(&sdk_config().await, &unique_name("t"), attributes)
        .await
        .unwrap_or_else(|e| panic!("local SQS is unavailable ({e}): {START_HINT}"))
}

/// A sender of its own on the local SES, already verified.
pub async fn test_mailer() -> (Mailer, String) {
    let from = format!("{}@signalen.test", unique_name("noreply"));
    let mailer = Mailer::new(&sdk_config().await, from.clone());
    mailer
        .verify_sender()
        .await
        .unwrap_or_else(|e| panic!("local SES is unavailable ({e}): {START_HINT}"));
    (mailer, from)
}

/// The messages the local SES (moto) says it has sent.
///
/// moto 5.2.5 builds `data.json` from every model it holds and answers 500
/// ("FakeKey is not JSON serializable") when an S3 PUT of another test is in
/// flight at that moment: asked again, it answers.
pub async fn sent_mail() -> Vec<serde_json::Value> {
    let url = format!("{}/moto-api/data.json", stack_var("AWS_ENDPOINT_URL"));
    let mut attempt = 0;
    let data: serde_json::Value = loop {
        attempt += 1;
        let response = reqwest::get(&url)
            .await
            .unwrap_or_else(|e| panic!("moto at {url} is unreachable ({e}): {START_HINT}"));
        match response.json().await {
            Ok(data) => break data,
            Err(_) if attempt < 10 => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => panic!("moto data is not JSON after {attempt} attempts: {e}"),
        }
    };
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An OpenSearch client and a unique index name (not yet created).
pub async fn test_search() -> (SearchClient, String) {
    let config = SearchConfig {
        url: stack_var("OPENSEARCH_URL"),
    };
    let client = SearchClient::new(&config).expect("search client");
    tokio::time::timeout(Duration::from_secs(10), client.ping())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("OpenSearch at {} is unreachable: {START_HINT}", config.url));
    (client, unique_name("t"))
}
