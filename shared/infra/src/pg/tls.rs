//! TLS for the pool's connections: rustls with the aws-lc-rs provider (the
//! one the AWS SDK builds), Mozilla's roots compiled in.
//!
//! `sslmode` in `DATABASE_URL` decides (docs/database-access.md):
//!
//! | sslmode | TLS | certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | when the server offers it, else plain | not verified, as in libpq, unless `sslrootcert` is given |
//! | `require`, `verify-full` | always: a server without TLS is refused | verified: chain to the public roots (or to `sslrootcert`) and host name |
//!
//! `require` is stricter than libpq's (which verifies nothing without a root
//! file): it is the production setting, where RDS Proxy's certificate chains
//! to Amazon Trust Services. `prefer` verifies nothing because an active
//! attacker can downgrade it to plain text anyway; it protects against
//! passive eavesdropping only, and IAM authentication refuses it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::Error;

/// `DATABASE_URL` split into what tokio-postgres parses and the libpq TLS
/// options it does not know: `sslrootcert=<file>` is taken out, and
/// `sslmode=verify-full` becomes `require` (which verifies the same way here).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TlsUrl {
    pub url: String,
    pub root_cert: Option<PathBuf>,
}

impl TlsUrl {
    /// Only the URL form (`postgres://…?…`) carries these options; a
    /// `key=value` string is passed on as it is.
    pub(crate) fn parse(url: &str) -> Result<Self, Error> {
        let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
            return Ok(Self {
                url: url.to_owned(),
                root_cert: None,
            });
        };
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslrootcert" => {
                    let path = percent_decode(value).ok_or(Error::TlsOption("sslrootcert"))?;
                    root_cert = Some(PathBuf::from(path));
                }
                "sslmode" if value == "verify-full" => kept.push("sslmode=require"),
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Self { url, root_cert })
    }
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The connector for `mode`. Built once per pool with the aws-lc-rs provider
/// named explicitly (no process-wide default, no ring); the roots are
/// compiled in, so this does no I/O unless `root_cert` names a file.
pub(crate) fn connector(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<MakeRustlsConnect, Error> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?;
    let config = match (mode, root_cert) {
        (SslMode::Prefer, None) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(UnverifiedServer(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth(),
        (_, Some(path)) => builder
            .with_root_certificates(roots_from_file(path)?)
            .with_no_client_auth(),
        (_, None) => builder
            .with_root_certificates(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
            .with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of a PEM file as the only trusted roots (libpq's
/// `sslrootcert`).
fn roots_from_file(path: &Path) -> Result<RootCertStore, Error> {
    let bad = |reason: String| Error::RootCertificate {
        path: path.to_owned(),
        reason,
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    Ok(roots)
}

/// `prefer` without a root file: any certificate is accepted, but the
/// handshake is still checked against it (the session key is the server's).
#[derive(Debug)]
struct UnverifiedServer(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for UnverifiedServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_tls_options_is_passed_on_unchanged() {
        for url in [
            "postgres://postgres@127.0.0.1:54329/signalen",
            "postgres://app@proxy.example:5432/signalen?sslmode=require",
            "host=localhost user=postgres sslrootcert=/x.pem",
        ] {
            let parsed = TlsUrl::parse(url).expect("parses");
            assert_eq!(parsed.url, url);
            assert_eq!(parsed.root_cert, None);
        }
    }

    #[test]
    fn sslrootcert_is_taken_out_of_the_url_and_decoded() {
        let parsed = TlsUrl::parse(
            "postgres://u@db:5432/x?sslmode=require&sslrootcert=/tmp/my%20ca.pem&application_name=a",
        )
        .expect("parses");
        assert_eq!(
            parsed.url,
            "postgres://u@db:5432/x?sslmode=require&application_name=a"
        );
        assert_eq!(parsed.root_cert, Some(PathBuf::from("/tmp/my ca.pem")));

        let only = TlsUrl::parse("postgresql://u@db/x?sslrootcert=/ca.pem").expect("parses");
        assert_eq!(only.url, "postgresql://u@db/x");
        assert_eq!(only.root_cert, Some(PathBuf::from("/ca.pem")));
    }

    #[test]
    fn verify_full_is_read_as_require() {
        let parsed = TlsUrl::parse("postgres://u@db/x?sslmode=verify-full").expect("parses");
        assert_eq!(parsed.url, "postgres://u@db/x?sslmode=require");
        let config: tokio_postgres::Config = parsed.url.parse().expect("tokio-postgres parses it");
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn a_badly_encoded_root_file_is_a_clear_error() {
        let Err(error) = TlsUrl::parse("postgres://u@db/x?sslrootcert=%zz") else {
            panic!("a bad escape is accepted");
        };
        assert!(error.to_string().contains("sslrootcert"), "{error}");
    }

    #[test]
    fn sslmode_from_the_url_reaches_the_connection_settings() {
        for (url, mode) in [
            ("postgres://u@db/x", SslMode::Prefer),
            ("postgres://u@db/x?sslmode=disable", SslMode::Disable),
            ("postgres://u@db/x?sslmode=prefer", SslMode::Prefer),
            ("postgres://u@db/x?sslmode=require", SslMode::Require),
        ] {
            let parsed = TlsUrl::parse(url).expect("parses");
            let config: tokio_postgres::Config = parsed.url.parse().expect("valid");
            assert_eq!(config.get_ssl_mode(), mode, "{url}");
        }
        let unknown: Result<tokio_postgres::Config, _> =
            "postgres://u@db/x?sslmode=sometimes".parse();
        assert!(unknown.is_err());
    }

    #[test]
    fn a_missing_or_empty_root_file_fails_the_pool_build() {
        let Err(missing) = connector(SslMode::Require, Some(Path::new("/nonexistent/ca.pem")))
        else {
            panic!("a missing file is accepted");
        };
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );

        let empty = std::env::temp_dir().join(format!("signalen-empty-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let Err(error) = connector(SslMode::Require, Some(&empty)) else {
            panic!("a file without certificates is accepted");
        };
        assert!(error.to_string().contains("no certificate"), "{error}");
        std::fs::remove_file(&empty).ok();
    }

    #[test]
    fn every_mode_builds_a_connector_from_the_compiled_in_roots() {
        for mode in [SslMode::Disable, SslMode::Prefer, SslMode::Require] {
            connector(mode, None).expect("builds");
        }
    }
}
