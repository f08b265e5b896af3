//! The settings of the back-office signal reads (spec 05 §7).

use signalen_infra::config::{ConfigError, flag, optional, parsed_or};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `SIGNAL_ID_DISPLAY_PREFIX` (`SIG-`): `id_display` is this and the id.
    pub id_display_prefix: String,
    /// `SIGNALS_API_GEO_PAGINATE_BY` (4000): the map's page size when the
    /// request gives none.
    pub geo_page_size: u64,
    /// `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED` (on): a
    /// reporter's `allows_contact` follows the newest submitted feedback;
    /// off, it is always `true` (01 §2.3; the mailer reads the same flag).
    pub feedback_allows_contact: bool,
}

impl Default for Config {
    /// The reference's defaults.
    fn default() -> Self {
        Config {
            id_display_prefix: "SIG-".to_owned(),
            geo_page_size: 4000,
            feedback_allows_contact: true,
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Config::default();
        let geo_page_size = parsed_or("SIGNALS_API_GEO_PAGINATE_BY", defaults.geo_page_size)?;
        if geo_page_size == 0 {
            return Err(ConfigError::Invalid {
                name: "SIGNALS_API_GEO_PAGINATE_BY",
                reason: "must be a positive number".into(),
            });
        }
        Ok(Config {
            id_display_prefix: optional("SIGNAL_ID_DISPLAY_PREFIX")?
                .unwrap_or(defaults.id_display_prefix),
            geo_page_size,
            feedback_allows_contact: flag(
                "REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED",
                defaults.feedback_allows_contact,
            )?,
        })
    }
}
