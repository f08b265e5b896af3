//! How the pool reaches PostgreSQL (docs/database-access.md): TLS as
//! `sslmode` says, against the stack's server, which has TLS on with a
//! certificate from a CA of the stack's own (`SIGNALEN_TEST_PG_CA`); and the
//! IAM token hook, once per new physical connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::pg;

use crate::helpers::stack_var;

fn admin_url(query: &str) -> String {
    format!("{}{query}", stack_var("SIGNALEN_TEST_PG_ADMIN_URL"))
}

fn stack_root() -> String {
    stack_var("SIGNALEN_TEST_PG_CA")
}

fn pool_for(url: String) -> pg::Pool {
    pg::pool(&DatabaseConfig {
        url: url.into(),
        pool_size: 1,
        iam_auth: false,
    })
    .expect("pool")
}

/// Whether the server sees this session as TLS, and with which version.
async fn session_tls(client: &pg::Client) -> (bool, Option<String>) {
    let row = client
        .query_one(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl");
    (row.get("ssl"), row.get("version"))
}

#[tokio::test]
async fn require_with_the_servers_root_connects_over_verified_tls() {
    for mode in ["require", "verify-full"] {
        let pool = pool_for(admin_url(&format!(
            "?sslmode={mode}&sslrootcert={}",
            stack_root()
        )));

        let client = pool.get().await.expect("a TLS connection");

        let (ssl, version) = session_tls(&client).await;
        assert!(ssl, "{mode}: the session is encrypted");
        assert_eq!(version.as_deref(), Some("TLSv1.3"), "{mode}");
    }
}

#[tokio::test]
async fn require_refuses_a_certificate_that_no_trusted_root_signed() {
    let pool = pool_for(admin_url("?sslmode=require"));

    let Err(error) = pool.get().await else {
        panic!("the stack's certificate is not publicly trusted, yet the connection was made");
    };

    let chain = format!("{error:?}");
    assert!(chain.contains("UnknownIssuer"), "{chain}");
}

#[tokio::test]
async fn prefer_encrypts_when_the_server_offers_tls() {
    for url in [admin_url(""), admin_url("?sslmode=prefer")] {
        let pool = pool_for(url);

        let client = pool.get().await.expect("a connection");

        assert!(session_tls(&client).await.0, "prefer uses the offered TLS");
    }
}

#[tokio::test]
async fn disable_stays_in_plain_text() {
    let pool = pool_for(admin_url("?sslmode=disable"));

    let client = pool.get().await.expect("a connection");

    assert_eq!(session_tls(&client).await, (false, None));
}

/// Fixed credentials that count how often they are asked for: once per
/// token, so once per new physical connection.
#[derive(Debug)]
struct CountingCredentials(Arc<AtomicUsize>);

impl ProvideCredentials for CountingCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.fetch_add(1, Ordering::SeqCst);
        provider::future::ProvideCredentials::ready(Ok(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        )))
    }
}

#[tokio::test]
async fn with_iam_auth_each_new_connection_gets_a_token_and_recycled_ones_do_not() {
    // The stack trusts local connections, so the token is not checked here
    // (the fake server in signalen-infra's pool tests reads it); what this
    // shows is when tokens are made, over verified TLS.
    let tokens = Arc::new(AtomicUsize::new(0));
    let sdk = aws_config::SdkConfig::builder()
        .credentials_provider(SharedCredentialsProvider::new(CountingCredentials(
            tokens.clone(),
        )))
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let pool = pg::pool_with_aws(
        &DatabaseConfig {
            url: admin_url(&format!("?sslmode=require&sslrootcert={}", stack_root())).into(),
            pool_size: 2,
            iam_auth: true,
        },
        &sdk,
    )
    .expect("pool");

    let first = pool.get().await.expect("first connection");
    let second = pool.get().await.expect("second connection");
    assert_eq!(tokens.load(Ordering::SeqCst), 2, "one token per connection");
    assert!(session_tls(&first).await.0 && session_tls(&second).await.0);
    drop((first, second));

    let again = pool.get().await.expect("a recycled connection");
    session_tls(&again).await;
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "a recycled connection is not re-authenticated"
    );
}

#[tokio::test]
async fn iam_auth_over_prefer_is_refused_before_any_connection() {
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();

    let result = pg::pool_with_aws(
        &DatabaseConfig {
            url: admin_url("").into(),
            pool_size: 1,
            iam_auth: true,
        },
        &sdk,
    );

    let Err(error) = result else {
        panic!("an IAM token would go out over unverified TLS");
    };
    assert!(error.to_string().contains("sslmode=require"), "{error}");
}
