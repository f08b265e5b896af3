//! The mailer's settings (environment; docs/mail.md).

use signalen_domain::mail::MailFlags;
use signalen_infra::config::{ConfigError, flag, optional, required};

/// What the mails say about the municipality and where their links go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `MAIL_FROM`: the sender (an SES identity), e.g.
    /// `Meldingen gemeente X <noreply@meldingen.x.nl>`.
    pub from: String,
    /// `FRONTEND_URL`: base of every link to the citizen (KTO links).
    pub frontend_url: String,
    /// `ORGANIZATION_NAME` (default `Gemeente Amsterdam`, the reference's).
    pub organization_name: String,
    /// `SIGNAL_ID_DISPLAY_PREFIX` (default `SIG-`).
    pub id_prefix: String,
    /// `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED` (default
    /// true) and `REPORTER_MAIL_HANDLED_NEGATIVE_CONTACT_ENABLED` (default
    /// false).
    pub flags: MailFlags,
}

impl MailSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let frontend_url = required("FRONTEND_URL")?;
        Ok(Self {
            from: required("MAIL_FROM")?,
            frontend_url: frontend_url.trim_end_matches('/').to_owned(),
            organization_name: optional("ORGANIZATION_NAME")?
                .unwrap_or_else(|| "Gemeente Amsterdam".to_owned()),
            id_prefix: optional("SIGNAL_ID_DISPLAY_PREFIX")?.unwrap_or_else(|| "SIG-".to_owned()),
            flags: MailFlags {
                feedback_allows_contact: flag(
                    "REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED",
                    true,
                )?,
                handled_negative_contact: flag(
                    "REPORTER_MAIL_HANDLED_NEGATIVE_CONTACT_ENABLED",
                    false,
                )?,
            },
        })
    }

    /// `SIG-<id>`.
    pub fn formatted_id(&self, signal_id: i32) -> String {
        format!("{}{signal_id}", self.id_prefix)
    }
}
