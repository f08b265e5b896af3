//! The settings of the attachment routes, from the environment.

use std::time::Duration;

use signalen_infra::config::{ConfigError, parsed_or};

use crate::file::DEFAULT_MAX_UPLOAD_SIZE;

/// The reference's `S3_STORAGE_EXPIRATION_SECS` default.
pub const DEFAULT_URL_EXPIRY: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `API_MAX_UPLOAD_SIZE` (bytes, default 20 MiB).
    pub max_upload_size: usize,
    /// `S3_STORAGE_EXPIRATION_SECS` (default 300): how long the presigned
    /// `location` URLs of responses stay valid.
    pub url_expiry: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_upload_size: DEFAULT_MAX_UPLOAD_SIZE,
            url_expiry: DEFAULT_URL_EXPIRY,
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let seconds: u64 = parsed_or("S3_STORAGE_EXPIRATION_SECS", DEFAULT_URL_EXPIRY.as_secs())?;
        // S3 signs URLs for at most seven days.
        if seconds == 0 || seconds > 7 * 24 * 3600 {
            return Err(ConfigError::Invalid {
                name: "S3_STORAGE_EXPIRATION_SECS",
                reason: format!("{seconds} is not between 1 and 604800 seconds"),
            });
        }
        Ok(Config {
            max_upload_size: parsed_or("API_MAX_UPLOAD_SIZE", DEFAULT_MAX_UPLOAD_SIZE)?,
            url_expiry: Duration::from_secs(seconds),
        })
    }
}
