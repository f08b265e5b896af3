//! Typed configuration from environment variables.
//!
//! Each function reads its configuration once, in `main`; a missing or bad
//! variable fails the cold start with an error that names it. The AWS SDK reads
//! its own variables (`AWS_REGION`, `AWS_ENDPOINT_URL_S3`, …) itself.

use std::env;
use std::str::FromStr;

use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The value of a variable that must be set and not be empty.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    optional(name)?.ok_or(ConfigError::Missing(name))
}

/// The value of a variable, `None` when it is unset or empty.
pub fn optional(name: &'static str) -> Result<Option<String>, ConfigError> {
    match env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(env::VarError::NotPresent) => Ok(None),
        Err(env::VarError::NotUnicode(_)) => Err(ConfigError::Invalid {
            name,
            reason: "not valid UTF-8".into(),
        }),
    }
}

/// A parsed variable with a default for when it is unset.
pub fn parsed_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match optional(name)? {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            }),
    }
}

/// A boolean variable: `true`/`false`/`1`/`0`/`yes`/`no` (any case).
pub fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match optional(name)? {
        None => Ok(default),
        Some(raw) => parse_flag(&raw).ok_or_else(|| ConfigError::Invalid {
            name,
            reason: format!("`{raw}` is not a boolean (use true or false)"),
        }),
    }
}

fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Where the database is: `DATABASE_URL` (a libpq URL; may hold the password,
/// hence secret; its `sslmode` decides TLS, docs/database-access.md),
/// `DATABASE_POOL_SIZE` (default 2: a Lambda instance serves one request at a
/// time) and `DATABASE_IAM_AUTH` (default false): when true, every new
/// connection authenticates with a fresh RDS IAM token instead of a password
/// (RDS Proxy in production; needs the `pg-iam` feature).
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: SecretString,
    pub pool_size: usize,
    pub iam_auth: bool,
}

impl DatabaseConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            url: SecretString::from(required("DATABASE_URL")?),
            pool_size: parsed_or("DATABASE_POOL_SIZE", 2)?,
            iam_auth: flag("DATABASE_IAM_AUTH", false)?,
        })
    }
}

/// Where OpenSearch is: `OPENSEARCH_URL` (e.g. `http://127.0.0.1:49200`).
#[derive(Debug, Clone)]
pub struct SearchConfig {
    pub url: String,
}

impl SearchConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            url: required("OPENSEARCH_URL")?,
        })
    }
}

/// S3 addressing: `S3_FORCE_PATH_STYLE=true` for local S3 stand-ins that do
/// not serve virtual-hosted buckets.
#[derive(Debug, Clone, Copy, Default)]
pub struct S3Config {
    pub force_path_style: bool,
}

impl S3Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            force_path_style: flag("S3_FORCE_PATH_STYLE", false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_read_in_their_common_spellings() {
        for yes in ["true", "TRUE", "1", "yes", " on "] {
            assert_eq!(parse_flag(yes), Some(true), "{yes}");
        }
        for no in ["false", "0", "No", "off"] {
            assert_eq!(parse_flag(no), Some(false), "{no}");
        }
        assert_eq!(parse_flag("maybe"), None);
    }

    #[test]
    fn errors_name_the_variable() {
        let missing = ConfigError::Missing("DATABASE_URL").to_string();
        assert!(missing.contains("DATABASE_URL"), "{missing}");
        let invalid = ConfigError::Invalid {
            name: "DATABASE_POOL_SIZE",
            reason: "invalid digit".into(),
        };
        assert!(invalid.to_string().contains("DATABASE_POOL_SIZE"));
    }
}

/// How a location sent by a client is checked and enriched (spec 03 §2.3,
/// 05 §7) — shared by every endpoint that takes a location.
#[cfg(feature = "pg")]
#[derive(Debug, Clone, PartialEq)]
pub struct LocationSettings {
    /// `BOUNDING_BOX` (`min_lon,min_lat,max_lon,max_lat`, default the
    /// Netherlands).
    pub bounding_box: signalen_domain::signal::BoundingBox,
    /// `DEFAULT_SIGNAL_AREA_TYPE` (`district`; empty switches it off): the
    /// type of the area a location is stamped with.
    pub default_area_type: Option<String>,
    /// `API_DETERMINE_STADSDEEL_ENABLED` (on): the district from the
    /// `sia-stadsdeel` areas.
    pub determine_stadsdeel: bool,
}

#[cfg(feature = "pg")]
impl Default for LocationSettings {
    /// The reference's defaults.
    fn default() -> Self {
        LocationSettings {
            bounding_box: signalen_domain::signal::BoundingBox::default(),
            default_area_type: Some("district".to_owned()),
            determine_stadsdeel: true,
        }
    }
}

#[cfg(feature = "pg")]
impl LocationSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = LocationSettings::default();
        let bounding_box = match optional("BOUNDING_BOX")? {
            None => defaults.bounding_box,
            Some(raw) => signalen_domain::signal::BoundingBox::parse(&raw).ok_or_else(|| {
                ConfigError::Invalid {
                    name: "BOUNDING_BOX",
                    reason: format!("`{raw}` is not min_lon,min_lat,max_lon,max_lat"),
                }
            })?,
        };
        let default_area_type = match env::var("DEFAULT_SIGNAL_AREA_TYPE") {
            Err(_) => defaults.default_area_type,
            Ok(value) if value.trim().is_empty() => None,
            Ok(value) => Some(value.trim().to_owned()),
        };
        Ok(LocationSettings {
            bounding_box,
            default_area_type,
            determine_stadsdeel: flag("API_DETERMINE_STADSDEEL_ENABLED", true)?,
        })
    }
}
