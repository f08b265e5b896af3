//! The connection pool: TLS as `sslmode` says, and, with
//! `DATABASE_IAM_AUTH=true`, a fresh IAM token as the password of every new
//! physical connection (docs/database-access.md). Recycling is deadpool's.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::Error;
use super::tls::{self, TlsUrl};
use crate::config::DatabaseConfig;

/// How long a request waits for a connection (or for a new one to be made)
/// before it fails: short, so an unreachable database answers quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the pool; it connects lazily, on first use, so a cold start does no
/// I/O. Connections that the server closed are dropped at checkout.
///
/// With `iam_auth`, the AWS configuration (credentials of the function's
/// role, region) is loaded on the first connection; a function that already
/// holds one passes it to [`pool_with_aws`] instead. Without the `pg-iam`
/// feature, `iam_auth` is refused here, at the cold start.
pub fn pool(config: &DatabaseConfig) -> Result<Pool, Error> {
    build(config, None)
}

/// As [`pool`], signing IAM tokens with `sdk`'s credentials and region.
#[cfg(feature = "pg-iam")]
pub fn pool_with_aws(config: &DatabaseConfig, sdk: &aws_config::SdkConfig) -> Result<Pool, Error> {
    build(config, Some(sdk.clone()))
}

/// The AWS configuration that signs IAM tokens, if the caller has one.
#[cfg(feature = "pg-iam")]
type Sdk = Option<aws_config::SdkConfig>;
#[cfg(not(feature = "pg-iam"))]
type Sdk = Option<std::convert::Infallible>;

fn build(config: &DatabaseConfig, sdk: Sdk) -> Result<Pool, Error> {
    let TlsUrl { url, root_cert } = TlsUrl::parse(config.url.expose_secret())?;
    let mut pg = tokio_postgres::Config::from_str(&url).map_err(Error::Url)?;
    pg.connect_timeout(CONNECT_TIMEOUT);
    if pg.get_application_name().is_none() {
        pg.application_name("signalen");
    }
    // No JIT compilation: the API's statements are short, and a plan the
    // planner overestimates (a list filter on a large table) would pay
    // hundreds of milliseconds of compilation for a few of execution.
    // RDS Proxy refuses the `options` startup parameter (IAM mode means the
    // proxy): there the database's parameter group turns JIT off
    // (template.yaml `DatabaseParameters`).
    if pg.get_options().is_none() && !config.iam_auth {
        pg.options("-c jit=off");
    }
    let tls = tls::connector(pg.get_ssl_mode(), root_cert.as_deref())?;
    let connector = if config.iam_auth {
        iam_connector(&pg, tls, sdk)?
    } else {
        Connector::plain(tls)
    };
    let manager = Manager::from_connect(
        pg,
        connector,
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

/// IAM tokens are bearer credentials: they go only to a verified server, and
/// a password in the URL would be ignored, so both are configuration errors.
#[cfg(feature = "pg-iam")]
fn iam_connector(
    pg: &tokio_postgres::Config,
    tls: MakeRustlsConnect,
    sdk: Sdk,
) -> Result<Connector, Error> {
    use tokio_postgres::config::{Host, SslMode};

    if pg.get_ssl_mode() != SslMode::Require {
        return Err(Error::IamAuth(
            "DATABASE_URL must say sslmode=require: a token is only sent over verified TLS",
        ));
    }
    if pg.get_password().is_some() {
        return Err(Error::IamAuth(
            "DATABASE_URL must not hold a password: the token is the password",
        ));
    }
    let user = pg
        .get_user()
        .ok_or(Error::IamAuth("DATABASE_URL must name the database user"))?;
    let host = match pg.get_hosts() {
        [Host::Tcp(host)] => host.clone(),
        _ => {
            return Err(Error::IamAuth(
                "DATABASE_URL must name exactly one host name (the proxy endpoint)",
            ));
        }
    };
    let port = match pg.get_ports() {
        [] => 5432,
        [port] => *port,
        _ => return Err(Error::IamAuth("DATABASE_URL must name one port")),
    };
    let endpoint = super::iam::DbEndpoint {
        host,
        port,
        user: user.to_owned(),
    };
    Ok(Connector {
        tls,
        iam: Some(super::iam::IamAuth::new(endpoint, sdk)),
    })
}

#[cfg(not(feature = "pg-iam"))]
fn iam_connector(
    _pg: &tokio_postgres::Config,
    _tls: MakeRustlsConnect,
    _sdk: Sdk,
) -> Result<Connector, Error> {
    Err(Error::IamAuth(
        "this binary is built without signalen-infra's `pg-iam` feature",
    ))
}

/// deadpool's connect hook: runs for every new physical connection.
pub(crate) struct Connector {
    tls: MakeRustlsConnect,
    #[cfg(feature = "pg-iam")]
    iam: Option<super::iam::IamAuth>,
}

impl Connector {
    fn plain(tls: MakeRustlsConnect) -> Self {
        Self {
            tls,
            #[cfg(feature = "pg-iam")]
            iam: None,
        }
    }
}

type Connected = Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>;

impl deadpool_postgres::Connect for Connector {
    fn connect(
        &self,
        pg_config: &tokio_postgres::Config,
    ) -> Pin<Box<dyn Future<Output = Connected> + Send + '_>> {
        #[cfg_attr(not(feature = "pg-iam"), allow(unused_mut))]
        let mut pg = pg_config.clone();
        Box::pin(async move {
            #[cfg(feature = "pg-iam")]
            if let Some(iam) = &self.iam {
                match iam.token().await {
                    Ok(token) => {
                        pg.password(token);
                    }
                    // tokio-postgres has no error for this: the attempt goes
                    // on without a password and fails as "password missing";
                    // the cause is logged here, once.
                    Err(e) => tracing::error!(
                        error.message = %e,
                        error.cause_chain = ?e,
                        "no IAM authentication token for a new database connection"
                    ),
                }
            }
            let (client, connection) = pg.connect(self.tls.clone()).await?;
            let task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error.message = %e, "database connection ended with an error");
                }
            });
            Ok((client, task))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn config(url: String, iam_auth: bool) -> DatabaseConfig {
        DatabaseConfig {
            url: url.into(),
            pool_size: 1,
            iam_auth,
        }
    }

    /// A server that answers the TLS request with 'N' (no TLS), then reads
    /// the startup message if one comes; returns whether one came.
    async fn server_without_tls() -> (u16, tokio::task::JoinHandle<bool>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut ssl_request = [0u8; 8];
            socket
                .read_exact(&mut ssl_request)
                .await
                .expect("SSLRequest");
            assert_eq!(ssl_request, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
            socket.write_all(b"N").await.expect("answer");
            let mut length = [0u8; 4];
            socket.read_exact(&mut length).await.is_ok()
        });
        (port, server)
    }

    #[tokio::test]
    async fn require_refuses_a_server_without_tls() {
        let (port, server) = server_without_tls().await;
        let pool = pool(&config(
            format!("postgres://app@127.0.0.1:{port}/db?sslmode=require"),
            false,
        ))
        .expect("pool");

        let Err(error) = pool.get().await else {
            panic!("a connection to a server without TLS");
        };

        let chain = format!("{error:?}");
        assert!(chain.contains("server does not support TLS"), "{chain}");
        assert!(
            !server.await.expect("server"),
            "no startup message after 'N'"
        );
    }

    #[tokio::test]
    async fn prefer_goes_on_in_plain_text_when_the_server_has_no_tls() {
        let (port, server) = server_without_tls().await;
        let pool = pool(&config(
            format!("postgres://app@127.0.0.1:{port}/db"),
            false,
        ))
        .expect("pool");

        let _ = pool.get().await;

        assert!(
            server.await.expect("server"),
            "a startup message follows 'N'"
        );
    }

    #[cfg(feature = "pg-iam")]
    #[test]
    fn iam_auth_refuses_urls_that_would_leak_or_misplace_the_token() {
        for (url, reason) in [
            ("postgres://app@proxy.example:5432/db", "sslmode=require"),
            (
                "postgres://app@proxy.example:5432/db?sslmode=prefer",
                "sslmode=require",
            ),
            (
                "postgres://app:secret@proxy.example/db?sslmode=require",
                "password",
            ),
            ("postgres://proxy.example/db?sslmode=require", "user"),
            ("postgres://app@a,b/db?sslmode=require", "one host"),
        ] {
            let Err(error) = pool(&config(url.into(), true)) else {
                panic!("{url} is accepted");
            };
            let message = error.to_string();
            assert!(
                message.starts_with("DATABASE_IAM_AUTH=true"),
                "{url}: {message}"
            );
            assert!(message.contains(reason), "{url}: {message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }

    #[cfg(not(feature = "pg-iam"))]
    #[test]
    fn iam_auth_without_the_feature_fails_the_cold_start() {
        let Err(error) = pool(&config(
            "postgres://app@proxy.example/db?sslmode=require".into(),
            true,
        )) else {
            panic!("IAM without pg-iam is accepted");
        };
        assert!(error.to_string().contains("pg-iam"), "{error}");
    }

    /// A plain server that asks for a cleartext password, as RDS Proxy does
    /// for IAM logins, and returns (startup parameters, password).
    #[cfg(feature = "pg-iam")]
    async fn password_server() -> (u16, tokio::task::JoinHandle<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let length = socket.read_u32().await.expect("startup length") as usize;
            let mut startup = vec![0u8; length - 4];
            socket.read_exact(&mut startup).await.expect("startup");
            socket
                .write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])
                .await
                .expect("AuthenticationCleartextPassword");
            assert_eq!(socket.read_u8().await.expect("tag"), b'p');
            let length = socket.read_u32().await.expect("password length") as usize;
            let mut password = vec![0u8; length - 4];
            socket.read_exact(&mut password).await.expect("password");
            let mut error = vec![b'E'];
            let fields = b"SFATAL\0C28P01\0Mfake server\0\0";
            error.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
            error.extend_from_slice(fields);
            socket.write_all(&error).await.expect("ErrorResponse");
            let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace('\0', " ");
            (text(&startup[4..]), text(&password).trim_end().to_owned())
        });
        (port, server)
    }

    #[cfg(feature = "pg-iam")]
    #[tokio::test]
    async fn each_new_connection_sends_a_fresh_iam_token_as_its_password() {
        use aws_credential_types::Credentials;
        use aws_credential_types::provider::SharedCredentialsProvider;

        let sdk = aws_config::SdkConfig::builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "test",
            )))
            .region(aws_config::Region::new("eu-central-1"))
            .build();
        let (port, server) = password_server().await;
        let endpoint = super::super::iam::DbEndpoint {
            host: "127.0.0.1".into(),
            port,
            user: "signalen_app".into(),
        };
        // The connect hook itself, over plain TCP: the pool refuses IAM
        // without verified TLS, which a fake server cannot offer.
        let connector = Connector {
            tls: tls::connector(tokio_postgres::config::SslMode::Disable, None).expect("tls"),
            iam: Some(super::super::iam::IamAuth::new(endpoint, Some(sdk))),
        };
        let pg: tokio_postgres::Config =
            format!("postgres://signalen_app@127.0.0.1:{port}/signalen?sslmode=disable")
                .parse()
                .expect("config");

        let result = deadpool_postgres::Connect::connect(&connector, &pg).await;

        let Err(error) = result else {
            panic!("the fake server accepted the login");
        };
        assert!(format!("{error:?}").contains("28P01"), "{error:?}");
        let (startup, password) = server.await.expect("server");
        assert!(startup.contains("user signalen_app"), "{startup}");
        let prefix = format!("127.0.0.1:{port}/?Action=connect&DBUser=signalen_app&");
        assert!(password.starts_with(&prefix), "{password}");
        assert!(password.contains("X-Amz-Expires=900"), "{password}");
        assert!(
            password.contains("%2Feu-central-1%2Frds-db%2Faws4_request"),
            "{password}"
        );
    }
}
