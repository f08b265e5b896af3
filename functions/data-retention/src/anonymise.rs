//! Reporter anonymisation (spec 16 §16.4, the reference's
//! `anonymize_reporters` / `anonymize_reporter`).
//!
//! Candidates: every reporter row — current, earlier and pending change
//! requests alike — with an e-mail address or phone number, created more
//! than N days ago, whose signal's current state is `o`, `a`, `s` or
//! `closure requested`. Per reporter row the values present are nulled and
//! flagged anonymised, and a system note (no author, shown as the system)
//! says what was anonymised: "Vanwege de AVG zijn de volgende gegevens van
//! de melder geanonimiseerd: email, telefoonnummer" (only what applied),
//! with its `CREATE_NOTE` history entry. The signal's `updated_at` moves (a
//! note was added) and one `signal.reporter_changed` event per signal goes
//! to the outbox, so the search index drops the contact details.
//!
//! A batch is a set of whole signals, locked as every writer locks them,
//! and done in one transaction: a report is never half anonymised.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use signalen_domain::signal::events::{SIGNAL_AGGREGATE, SIGNAL_REPORTER_CHANGED, SignalChanged};
use signalen_domain::status::State;
use signalen_infra::pg::{self, GenericClient};

use crate::{Context, Hooks, JobReport, RetentionError};

/// The note's text before the list of what was anonymised.
pub const NOTE_PREFIX: &str =
    "Vanwege de AVG zijn de volgende gegevens van de melder geanonimiseerd: ";

/// The states in which a signal's reporters are anonymised.
pub const CLOSED_STATES: [State; 4] = [
    State::Afgehandeld,
    State::Geannuleerd,
    State::Gesplitst,
    State::VerzoekTotAfhandeling,
];

fn state_codes() -> Vec<&'static str> {
    CLOSED_STATES.iter().map(|s| s.code()).collect()
}

const CANDIDATE_SIGNALS: &str = "SELECT DISTINCT r._signal_id
     FROM signals_reporter r
     JOIN signals_signal s ON s.id = r._signal_id
     JOIN signals_status st ON st.id = s.status_id
     WHERE (COALESCE(r.email, '') <> '' OR COALESCE(r.phone, '') <> '')
       AND r.created_at < $1 AND st.state = ANY($2)
     ORDER BY r._signal_id
     LIMIT $3";

pub(crate) async fn run(
    ctx: &Context<'_>,
    dry_run: bool,
    deadline: Instant,
    hooks: Hooks,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<JobReport, RetentionError> {
    let cutoff = Utc::now() - Duration::days(i64::from(ctx.config.anonymise_after_days));
    let codes = state_codes();
    let mut report = JobReport {
        dry_run,
        ..JobReport::default()
    };
    let mut client = ctx.pool.get().await.map_err(pg::Error::from)?;
    if dry_run {
        let row = client
            .query_one(
                "SELECT count(DISTINCT r._signal_id), count(*)
                 FROM signals_reporter r
                 JOIN signals_signal s ON s.id = r._signal_id
                 JOIN signals_status st ON st.id = s.status_id
                 WHERE (COALESCE(r.email, '') <> '' OR COALESCE(r.phone, '') <> '')
                   AND r.created_at < $1 AND st.state = ANY($2)",
                &[&cutoff, &codes],
            )
            .await?;
        report.signals = row.try_get::<_, i64>(0)? as u64;
        report.reporters = row.try_get::<_, i64>(1)? as u64;
        progress(&format!(
            "would anonymise {} reporter row(s) of {} signal(s) (created before {cutoff})",
            report.reporters, report.signals
        ));
        return Ok(report);
    }
    loop {
        if Instant::now() >= deadline {
            report.unfinished = true;
            progress("time budget used up; the next run continues");
            break;
        }
        let batch: Vec<i32> = client
            .query(
                CANDIDATE_SIGNALS,
                &[&cutoff, &codes, &ctx.config.batch_size],
            )
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?;
        if batch.is_empty() {
            break;
        }
        let number = report.batches + 1;
        let tx = client.transaction().await?;
        let (signals, reporters) = anonymise_batch(&tx, &batch, cutoff, &codes).await?;
        if hooks.fail_inside_batch == Some(number) {
            return Err(RetentionError::Injected(number));
        }
        tx.commit().await?;
        report.batches = number;
        report.signals += signals;
        report.reporters += reporters;
        progress(&format!(
            "batch {number}: anonymised {reporters} reporter row(s) of {signals} signal(s)"
        ));
        if hooks.crash_after_batches == Some(number) {
            return Err(RetentionError::Crashed);
        }
    }
    progress(&format!(
        "anonymised {} reporter row(s) of {} signal(s) in {} batch(es)",
        report.reporters, report.signals, report.batches
    ));
    Ok(report)
}

/// Anonymises the candidates of `signal_ids` (re-checked under the signals'
/// row locks). Returns (signals, reporter rows) changed.
async fn anonymise_batch(
    tx: &impl GenericClient,
    signal_ids: &[i32],
    cutoff: DateTime<Utc>,
    codes: &[&str],
) -> Result<(u64, u64), RetentionError> {
    tx.query(
        "SELECT id FROM signals_signal WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&signal_ids],
    )
    .await?;
    let now = Utc::now();
    let rows = tx
        .query(
            "WITH candidate AS (
                 SELECT r.id, r._signal_id,
                        COALESCE(r.email, '') <> '' AS had_email,
                        COALESCE(r.phone, '') <> '' AS had_phone
                 FROM signals_reporter r
                 JOIN signals_signal s ON s.id = r._signal_id
                 JOIN signals_status st ON st.id = s.status_id
                 WHERE r._signal_id = ANY($1)
                   AND (COALESCE(r.email, '') <> '' OR COALESCE(r.phone, '') <> '')
                   AND r.created_at < $2 AND st.state = ANY($3)
             ),
             anonymised AS (
                 UPDATE signals_reporter r
                 SET email = NULL, phone = NULL,
                     email_anonymized = r.email_anonymized OR c.had_email,
                     phone_anonymized = r.phone_anonymized OR c.had_phone,
                     updated_at = $4
                 FROM candidate c
                 WHERE r.id = c.id
                 RETURNING r.id, r._signal_id, c.had_email, c.had_phone
             ),
             note AS (
                 INSERT INTO signals_note (_signal_id, text, created_by, created_at, updated_at)
                 SELECT a._signal_id,
                        $5 || concat_ws(', ', CASE WHEN a.had_email THEN 'email' END,
                                              CASE WHEN a.had_phone THEN 'telefoonnummer' END),
                        NULL, $4, $4
                 FROM (SELECT * FROM anonymised ORDER BY id) a
                 RETURNING id, _signal_id, text, created_at
             ),
             entry AS (
                 INSERT INTO history_log (object_type, object_pk, action, extra, description,
                                          created_by, created_at, _signal_id)
                 SELECT 'note', n.id::text, 'CREATE', 'Notitie toegevoegd', n.text, NULL, n.created_at,
                        n._signal_id
                 FROM note n
             ),
             touched AS (
                 UPDATE signals_signal s SET updated_at = $4
                 WHERE s.id IN (SELECT _signal_id FROM anonymised)
                 RETURNING s.id, s.reporter_id, s.updated_at
             )
             SELECT t.id, t.reporter_id, t.updated_at,
                    (SELECT count(*) FROM anonymised a WHERE a._signal_id = t.id)
             FROM touched t
             ORDER BY t.id",
            &[&signal_ids, &cutoff, &codes, &now, &NOTE_PREFIX],
        )
        .await?;
    let mut aggregate_ids = Vec::with_capacity(rows.len());
    let mut payloads = Vec::with_capacity(rows.len());
    let mut reporters = 0u64;
    for row in &rows {
        let signal_id: i32 = row.try_get(0)?;
        let reporter_id: Option<i32> = row.try_get(1)?;
        let updated_at: DateTime<Utc> = row.try_get(2)?;
        reporters += row.try_get::<_, i64>(3)? as u64;
        let event = SignalChanged {
            signal_id,
            updated_at,
            object_id: reporter_id,
            previous_id: reporter_id,
            actor: None,
            facts: serde_json::json!({"anonymized": true}),
        };
        aggregate_ids.push(signal_id.to_string());
        payloads.push(serde_json::to_value(&event).unwrap_or_default());
    }
    tx.execute(
        "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
         SELECT $1, e.aggregate_id, $2, e.payload, $4
         FROM unnest($3::text[], $5::jsonb[]) WITH ORDINALITY AS e (aggregate_id, payload, n)
         ORDER BY e.n",
        &[
            &SIGNAL_AGGREGATE,
            &SIGNAL_REPORTER_CHANGED,
            &aggregate_ids,
            &now,
            &payloads,
        ],
    )
    .await?;
    Ok((rows.len() as u64, reporters))
}
