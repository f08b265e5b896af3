//! RDS IAM authentication: the password of each new connection is a token,
//! a SigV4-presigned `connect` request for service `rds-db`, signed with the
//! function role's credentials. A token is valid for 15 minutes but is only
//! checked when a connection is opened; open connections outlive it.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use tokio::sync::OnceCell;

/// How long a token may be used to open a connection (the maximum RDS takes).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// The signing name of RDS database logins.
const SERVICE: &str = "rds-db";

/// Where a token is for: the endpoint as the client dials it, and the
/// database user. The signature covers all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbEndpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the AWS configuration has no credentials provider")]
    NoCredentialsProvider,
    #[error("the AWS configuration has no region (AWS_REGION)")]
    NoRegion,
    #[error("the function role's credentials are not available")]
    Credentials(#[from] CredentialsError),
    #[error("signing the authentication token failed")]
    Signing(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The token: `<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-…`, the
/// presigned URL without its `https://`, as AWS's SDKs and CLI
/// (`aws rds generate-db-auth-token`) produce it.
pub fn auth_token(
    endpoint: &DbEndpoint,
    region: &str,
    credentials: &Credentials,
    time: SystemTime,
) -> Result<String, TokenError> {
    let signing = |e| TokenError::Signing(Box::new(e) as _);
    let identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.expires_in = Some(TOKEN_LIFETIME);
    settings.signature_location = SignatureLocation::QueryParams;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| TokenError::Signing(Box::new(e)))?
        .into();
    let url = format!(
        "https://{}:{}/?Action=connect&DBUser={}",
        endpoint.host,
        endpoint.port,
        encode_query_value(&endpoint.user)
    );
    let request = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(signing)?;
    let (instructions, _signature) = sign(request, &params).map_err(signing)?.into_parts();
    let mut request = http::Request::builder()
        .uri(&url)
        .body(())
        .map_err(|e| TokenError::Signing(Box::new(e)))?;
    instructions.apply_to_request_http1x(&mut request);
    let signed = request.uri().to_string();
    Ok(signed
        .strip_prefix("https://")
        .unwrap_or(&signed)
        .to_owned())
}

/// SigV4's query encoding: everything but the unreserved characters.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Makes a token per new connection. The SDK configuration is the one the
/// function already holds, or, when the pool was built without one, loaded
/// on the first connection (so building the pool stays free of I/O).
pub(crate) struct IamAuth {
    endpoint: DbEndpoint,
    sdk: OnceCell<SdkConfig>,
}

impl IamAuth {
    pub(crate) fn new(endpoint: DbEndpoint, sdk: Option<SdkConfig>) -> Self {
        Self {
            endpoint,
            sdk: OnceCell::new_with(sdk),
        }
    }

    pub(crate) async fn token(&self) -> Result<String, TokenError> {
        let sdk = self.sdk.get_or_init(crate::aws::load).await;
        let provider = sdk
            .credentials_provider()
            .ok_or(TokenError::NoCredentialsProvider)?;
        let region = sdk.region().ok_or(TokenError::NoRegion)?;
        let credentials = provider.provide_credentials().await?;
        let now = sdk
            .time_source()
            .map_or_else(SystemTime::now, |clock| clock.now());
        auth_token(&self.endpoint, region.as_ref(), &credentials, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::{digest, hmac};
    use std::collections::BTreeMap;

    // AWS's documented example keys (SigV4 test suite), not real ones.
    const ACCESS_KEY: &str = "AKIDEXAMPLE";
    const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn endpoint() -> DbEndpoint {
        DbEndpoint {
            host: "signalen.proxy-abc123.eu-central-1.rds.amazonaws.com".into(),
            port: 5432,
            user: "signalen_app".into(),
        }
    }

    /// 2024-03-05T06:07:08Z.
    fn fixed_time() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_618_828)
    }

    fn query_of(token: &str) -> BTreeMap<String, String> {
        let (_, query) = token.split_once("/?").expect("host/?query");
        query
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').expect("key=value");
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn percent_decode(value: &str) -> Vec<u8> {
        let bytes = value.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    /// The specification's UriEncode: unreserved characters as they are,
    /// every other byte as %XY (upper-case hex).
    fn uri_encode(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        hmac::sign(&key, data.as_bytes()).as_ref().to_vec()
    }

    /// The signature computed by hand from the SigV4 specification
    /// (canonical request → string to sign → derived key → HMAC), from the
    /// token's own parameters minus its signature.
    fn expected_signature(token: &str, secret: &str, date: &str, region: &str) -> String {
        let (host, _) = token.split_once('/').expect("host first");
        let query = query_of(token);
        let canonical_query = query
            .iter()
            .filter(|(k, _)| k.as_str() != "X-Amz-Signature")
            .map(|(k, v)| format!("{k}={}", uri_encode(&percent_decode(v))))
            .collect::<Vec<_>>()
            .join("&");
        let empty_payload = hex(digest::digest(&digest::SHA256, b"").as_ref());
        let canonical_request =
            format!("GET\n/\n{canonical_query}\nhost:{host}\n\nhost\n{empty_payload}");
        let scope = format!("{date}/{region}/rds-db/aws4_request");
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            query["X-Amz-Date"],
            hex(digest::digest(&digest::SHA256, canonical_request.as_bytes()).as_ref())
        );
        let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date);
        let k_region = hmac_sha256(&k_date, region);
        let k_service = hmac_sha256(&k_region, "rds-db");
        let k_signing = hmac_sha256(&k_service, "aws4_request");
        hex(&hmac_sha256(&k_signing, &string_to_sign))
    }

    #[test]
    fn the_token_is_a_presigned_connect_request_for_the_endpoint() {
        let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");

        let token =
            auth_token(&endpoint(), "eu-central-1", &credentials, fixed_time()).expect("a token");

        assert!(
            token.starts_with(
                "signalen.proxy-abc123.eu-central-1.rds.amazonaws.com:5432/?Action=connect&DBUser=signalen_app&"
            ),
            "{token}"
        );
        assert!(!token.contains("https://"));
        let query = query_of(&token);
        assert_eq!(query["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(
            query["X-Amz-Credential"],
            "AKIDEXAMPLE%2F20240305%2Feu-central-1%2Frds-db%2Faws4_request"
        );
        assert_eq!(query["X-Amz-Date"], "20240305T060708Z");
        assert_eq!(query["X-Amz-Expires"], "900");
        assert_eq!(query["X-Amz-SignedHeaders"], "host");
        assert!(!query.contains_key("X-Amz-Security-Token"));
        assert_eq!(
            query["X-Amz-Signature"],
            expected_signature(&token, SECRET_KEY, "20240305", "eu-central-1")
        );
    }

    #[test]
    fn a_session_token_is_part_of_the_signed_query() {
        let credentials = Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            Some("FQoGZXIvYXdzE+session/token=".into()),
            None,
            "test",
        );

        let token =
            auth_token(&endpoint(), "eu-west-1", &credentials, fixed_time()).expect("a token");

        let query = query_of(&token);
        assert_eq!(
            query["X-Amz-Security-Token"],
            "FQoGZXIvYXdzE%2Bsession%2Ftoken%3D"
        );
        assert_eq!(
            query["X-Amz-Signature"],
            expected_signature(&token, SECRET_KEY, "20240305", "eu-west-1")
        );
    }

    #[test]
    fn the_signature_depends_on_user_port_and_time() {
        let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
        let signature = |endpoint: &DbEndpoint, time| {
            query_of(&auth_token(endpoint, "eu-central-1", &credentials, time).expect("token"))
                ["X-Amz-Signature"]
                .clone()
        };
        let base = signature(&endpoint(), fixed_time());
        let other_user = DbEndpoint {
            user: "someone_else".into(),
            ..endpoint()
        };
        let other_port = DbEndpoint {
            port: 6432,
            ..endpoint()
        };
        assert_ne!(signature(&other_user, fixed_time()), base);
        assert_ne!(signature(&other_port, fixed_time()), base);
        assert_ne!(
            signature(&endpoint(), fixed_time() + Duration::from_secs(1)),
            base
        );
    }

    #[test]
    fn a_user_name_is_percent_encoded() {
        let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
        let endpoint = DbEndpoint {
            user: "app user+1".into(),
            ..endpoint()
        };

        let token =
            auth_token(&endpoint, "eu-central-1", &credentials, fixed_time()).expect("a token");

        assert_eq!(query_of(&token)["DBUser"], "app%20user%2B1");
        assert_eq!(
            query_of(&token)["X-Amz-Signature"],
            expected_signature(&token, SECRET_KEY, "20240305", "eu-central-1")
        );
    }

    #[tokio::test]
    async fn the_token_source_signs_with_the_sdk_configurations_credentials_and_region() {
        let sdk = SdkConfig::builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    ACCESS_KEY, SECRET_KEY, None, None, "test",
                )),
            )
            .region(aws_config::Region::new("eu-central-1"))
            .build();
        let source = IamAuth::new(endpoint(), Some(sdk));

        let token = source.token().await.expect("a token");

        let query = query_of(&token);
        assert!(
            query["X-Amz-Credential"].starts_with("AKIDEXAMPLE%2F"),
            "{token}"
        );
        assert!(
            query["X-Amz-Credential"].ends_with("%2Feu-central-1%2Frds-db%2Faws4_request"),
            "{token}"
        );
    }

    #[tokio::test]
    async fn without_a_region_there_is_no_token() {
        let sdk = SdkConfig::builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    ACCESS_KEY, SECRET_KEY, None, None, "test",
                )),
            )
            .build();
        let Err(error) = IamAuth::new(endpoint(), Some(sdk)).token().await else {
            panic!("a token without a region");
        };
        assert!(matches!(error, TokenError::NoRegion), "{error}");
    }
}
