//! Token validation settings, from the reference's environment variables
//! (spec 05 §3.1, §7) plus where the signing keys come from.

use std::time::Duration;

use signalen_infra::config::{ConfigError, flag, optional, parsed_or, required};

/// Where the issuer's signing keys (a JWKS document) come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// `OIDC_JWKS`: the document itself, parsed once at start-up. No network
    /// at all; a key rotation at the issuer needs a redeploy.
    Inline(String),
    /// `OIDC_OP_JWKS_ENDPOINT`: fetched at the first authenticated request of
    /// a container, kept for `cache_for` (`OIDC_JWKS_CACHE_SECONDS`, default
    /// 3600), re-fetched early — at most once a minute — when a token names a
    /// key id the cached document lacks (a rotation).
    Url { url: String, cache_for: Duration },
}

/// How bearer tokens are validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `OIDC_OP_ISSUER`: the `iss` every token must carry, compared exactly.
    pub issuer: String,
    /// `OIDC_VERIFY_AUDIENCE` (default true).
    pub verify_audience: bool,
    /// `OIDC_TRUSTED_AUDIENCES`: a JSON array; a token's `aud` must contain one.
    pub trusted_audiences: Vec<String>,
    pub jwks: JwksSource,
}

pub const DEFAULT_JWKS_CACHE: Duration = Duration::from_secs(3600);

impl AuthConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let inline = optional("OIDC_JWKS")?;
        let url = optional("OIDC_OP_JWKS_ENDPOINT")?;
        let jwks = match (inline, url) {
            (Some(document), None) => JwksSource::Inline(document),
            (None, Some(url)) => JwksSource::Url {
                url,
                cache_for: Duration::from_secs(parsed_or(
                    "OIDC_JWKS_CACHE_SECONDS",
                    DEFAULT_JWKS_CACHE.as_secs(),
                )?),
            },
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "OIDC_JWKS",
                    reason: "set either OIDC_JWKS or OIDC_OP_JWKS_ENDPOINT, not both".into(),
                });
            }
            (None, None) => return Err(ConfigError::Missing("OIDC_JWKS")),
        };
        let trusted_audiences = match optional("OIDC_TRUSTED_AUDIENCES")? {
            None => Vec::new(),
            Some(raw) => parse_audiences(&raw).map_err(|reason| ConfigError::Invalid {
                name: "OIDC_TRUSTED_AUDIENCES",
                reason,
            })?,
        };
        let config = Self {
            issuer: required("OIDC_OP_ISSUER")?,
            verify_audience: flag("OIDC_VERIFY_AUDIENCE", true)?,
            trusted_audiences,
            jwks,
        };
        config.check()?;
        Ok(config)
    }

    /// Refuses a configuration under which no token could ever pass.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.verify_audience && self.trusted_audiences.is_empty() {
            return Err(ConfigError::Invalid {
                name: "OIDC_TRUSTED_AUDIENCES",
                reason: "empty while OIDC_VERIFY_AUDIENCE is true: every token would be refused"
                    .into(),
            });
        }
        Ok(())
    }
}

fn parse_audiences(raw: &str) -> Result<Vec<String>, String> {
    serde_json::from_str::<Vec<String>>(raw)
        .map_err(|e| format!("not a JSON array of strings ({e}), e.g. [\"signals\"]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_are_a_json_array_of_strings() {
        assert_eq!(
            parse_audiences(r#"["signals", "account"]"#),
            Ok(vec!["signals".to_owned(), "account".to_owned()])
        );
        assert!(parse_audiences("signals").is_err());
        assert!(parse_audiences("[1]").is_err());
    }

    #[test]
    fn verifying_audiences_without_trusting_any_is_refused() {
        let config = AuthConfig {
            issuer: "https://idp.example.org".into(),
            verify_audience: true,
            trusted_audiences: vec![],
            jwks: JwksSource::Inline("{}".into()),
        };
        let error = config.check().expect_err("refused");
        assert!(error.to_string().contains("OIDC_TRUSTED_AUDIENCES"));
        let unchecked = AuthConfig {
            verify_audience: false,
            ..config
        };
        assert!(unchecked.check().is_ok());
    }
}
