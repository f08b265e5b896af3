//! The settings of the public create (spec 05 §7), from the environment.

use secrecy::SecretString;
use signalen_domain::signal::{BoundingBox, SourceRewrite};
use signalen_infra::config::{ConfigError, flag, optional};

use crate::throttle::ThrottleRate;

/// What a request is checked and stamped with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `BOUNDING_BOX` (`min_lon,min_lat,max_lon,max_lat`, default the
    /// Netherlands).
    pub bounding_box: BoundingBox,
    /// `PUBLIC_THROTTLE_RATE` (`60/hour`; `none` switches it off).
    pub throttle: Option<ThrottleRate>,
    /// `PUBLIC_THROTTLE_KEY`: keys the hash of client addresses, so stored
    /// hashes cannot be matched against guessed addresses.
    pub throttle_key: Option<SecretString>,
    /// `SIGNAL_ID_DISPLAY_PREFIX` (`SIG-`).
    pub id_display_prefix: String,
    /// `DEFAULT_SIGNAL_AREA_TYPE` (`district`; empty switches it off): the
    /// type of the area a location is stamped with.
    pub default_area_type: Option<String>,
    /// `API_DETERMINE_STADSDEEL_ENABLED` (on): the district from the
    /// `sia-stadsdeel` areas.
    pub determine_stadsdeel: bool,
    /// `API_TRANSFORM_SOURCE_BASED_ON_REPORTER` (on) with its
    /// `…_DOMAIN_EXTENSIONS`, `…_EXCEPTIONS` and `…_SOURCE`.
    pub source_rewrite: Option<SourceRewrite>,
}

impl Default for Config {
    /// The reference's defaults.
    fn default() -> Self {
        Config {
            bounding_box: BoundingBox::default(),
            throttle: Some(ThrottleRate::REFERENCE_DEFAULT),
            throttle_key: None,
            id_display_prefix: "SIG-".to_owned(),
            default_area_type: Some("district".to_owned()),
            determine_stadsdeel: true,
            source_rewrite: Some(SourceRewrite::default()),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Config::default();
        let bounding_box = match optional("BOUNDING_BOX")? {
            None => defaults.bounding_box,
            Some(raw) => BoundingBox::parse(&raw).ok_or_else(|| ConfigError::Invalid {
                name: "BOUNDING_BOX",
                reason: format!("`{raw}` is not min_lon,min_lat,max_lon,max_lat"),
            })?,
        };
        let throttle = match optional("PUBLIC_THROTTLE_RATE")? {
            None => defaults.throttle,
            Some(raw) => ThrottleRate::parse(&raw).map_err(|reason| ConfigError::Invalid {
                name: "PUBLIC_THROTTLE_RATE",
                reason,
            })?,
        };
        let default_area_type = match std::env::var("DEFAULT_SIGNAL_AREA_TYPE") {
            Err(_) => defaults.default_area_type,
            Ok(value) if value.trim().is_empty() => None,
            Ok(value) => Some(value.trim().to_owned()),
        };
        let source_rewrite = if flag("API_TRANSFORM_SOURCE_BASED_ON_REPORTER", true)? {
            let base = SourceRewrite::default();
            let list = |raw: String| -> Vec<String> {
                raw.split(',')
                    .map(|item| item.trim().to_owned())
                    .filter(|item| !item.is_empty())
                    .collect()
            };
            Some(SourceRewrite {
                domain_extensions: optional(
                    "API_TRANSFORM_SOURCE_BASED_ON_REPORTER_DOMAIN_EXTENSIONS",
                )?
                .map_or(base.domain_extensions, list),
                exceptions: optional("API_TRANSFORM_SOURCE_BASED_ON_REPORTER_EXCEPTIONS")?
                    .map_or(base.exceptions, list),
                source: optional("API_TRANSFORM_SOURCE_BASED_ON_REPORTER_SOURCE")?
                    .unwrap_or(base.source),
            })
        } else {
            None
        };
        Ok(Config {
            bounding_box,
            throttle,
            throttle_key: optional("PUBLIC_THROTTLE_KEY")?.map(SecretString::from),
            id_display_prefix: std::env::var("SIGNAL_ID_DISPLAY_PREFIX")
                .unwrap_or(defaults.id_display_prefix),
            default_area_type,
            determine_stadsdeel: flag("API_DETERMINE_STADSDEEL_ENABLED", true)?,
            source_rewrite,
        })
    }
}
