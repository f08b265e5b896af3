//! Settings of the retention jobs (environment variables).

use std::time::Duration;

use signalen_domain::status::State;
use signalen_infra::config::{ConfigError, flag, optional, parsed_or};

/// The shortest retention the jobs accept (the reference's commands refuse
/// less than a year).
pub const MIN_DAYS: u32 = 365;

/// "Delete signals whose current state is `state` and was set more than
/// `days` ago" (spec 16 §16.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionPolicy {
    pub state: State,
    pub days: u32,
}

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// `RETENTION_ANONYMISE_AFTER_DAYS` (default and minimum 365).
    pub anonymise_after_days: u32,
    /// `RETENTION_DELETE_ENABLED` (default false, as the reference's flag
    /// `DELETE_SIGNALS_IN_STATE_X_AFTER_PERIOD_Y_ENABLED`).
    pub delete_enabled: bool,
    /// `RETENTION_DELETE_POLICIES`: `state:days` pairs, default `a:365,o:1826`
    /// (ADR 0006: cancelled after 1 year, handled after 5).
    pub delete_policies: Vec<DeletionPolicy>,
    /// `ATTACHMENTS_BUCKET`: where the attachment files of deleted signals
    /// are (required to delete signals).
    pub attachments_bucket: Option<String>,
    /// Signals per transaction (`RETENTION_BATCH_SIZE`, default 100).
    pub batch_size: i64,
    /// A run stops starting new batches after this long
    /// (`RETENTION_TIME_BUDGET_SECONDS`, default 600, under Lambda's 900 s);
    /// the next run continues.
    pub time_budget: Duration,
    /// Housekeeping: published outbox rows kept (`OUTBOX_KEEP_DAYS`, 7).
    pub outbox_keep_days: u32,
    /// Consumer idempotency records kept (`CONSUMER_EFFECT_KEEP_DAYS`, 30;
    /// longer than SQS keeps a message, 14 days).
    pub consumer_effect_keep_days: u32,
    /// Throttle rows idle this long are dropped (`THROTTLE_IDLE_HOURS`, 48;
    /// longer than any throttle window, a day).
    pub throttle_idle_hours: u32,
    /// Reporter e-mail verification tokens are cleared this long after they
    /// expired (`REPORTER_TOKEN_GRACE_DAYS`, 30): until then a late click
    /// still gets "Token expired!" rather than "Token not found!".
    pub token_grace_days: u32,
}

fn policies(raw: &str) -> Result<Vec<DeletionPolicy>, String> {
    raw.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (state, days) = part
                .trim()
                .rsplit_once(':')
                .ok_or_else(|| format!("`{part}` is not state:days"))?;
            let state = match State::from_code(state.trim()) {
                Ok(s @ (State::Afgehandeld | State::Geannuleerd | State::Gesplitst)) => s,
                _ => return Err(format!("state `{state}` is not one of o, a, s")),
            };
            let days: u32 = days
                .trim()
                .parse()
                .map_err(|_| format!("`{days}` is not a number of days"))?;
            if days < MIN_DAYS {
                return Err(format!(
                    "{days} days is less than the minimum of {MIN_DAYS}"
                ));
            }
            Ok(DeletionPolicy { state, days })
        })
        .collect()
}

impl RetentionConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let anonymise_after_days = parsed_or("RETENTION_ANONYMISE_AFTER_DAYS", MIN_DAYS)?;
        if anonymise_after_days < MIN_DAYS {
            return Err(ConfigError::Invalid {
                name: "RETENTION_ANONYMISE_AFTER_DAYS",
                reason: format!("at least {MIN_DAYS}"),
            });
        }
        let raw = optional("RETENTION_DELETE_POLICIES")?.unwrap_or_else(|| "a:365,o:1826".into());
        let delete_policies = policies(&raw).map_err(|reason| ConfigError::Invalid {
            name: "RETENTION_DELETE_POLICIES",
            reason,
        })?;
        let batch_size: i64 = parsed_or("RETENTION_BATCH_SIZE", 100)?;
        if !(1..=10_000).contains(&batch_size) {
            return Err(ConfigError::Invalid {
                name: "RETENTION_BATCH_SIZE",
                reason: "between 1 and 10000".into(),
            });
        }
        Ok(RetentionConfig {
            anonymise_after_days,
            delete_enabled: flag("RETENTION_DELETE_ENABLED", false)?,
            delete_policies,
            attachments_bucket: optional("ATTACHMENTS_BUCKET")?,
            batch_size,
            time_budget: Duration::from_secs(parsed_or("RETENTION_TIME_BUDGET_SECONDS", 600)?),
            outbox_keep_days: parsed_or("OUTBOX_KEEP_DAYS", 7)?,
            consumer_effect_keep_days: parsed_or("CONSUMER_EFFECT_KEEP_DAYS", 30)?,
            throttle_idle_hours: parsed_or("THROTTLE_IDLE_HOURS", 48)?,
            token_grace_days: parsed_or("REPORTER_TOKEN_GRACE_DAYS", 30)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_state_and_days_pairs_of_closed_states() {
        assert_eq!(
            policies("a:365, o:1826").expect("valid"),
            vec![
                DeletionPolicy {
                    state: State::Geannuleerd,
                    days: 365
                },
                DeletionPolicy {
                    state: State::Afgehandeld,
                    days: 1826
                },
            ]
        );
        assert!(
            policies("m:400")
                .expect_err("open state")
                .contains("o, a, s")
        );
        assert!(policies("a:30").expect_err("too short").contains("365"));
        assert!(policies("a").is_err());
        assert_eq!(policies("").expect("none"), vec![]);
    }
}
