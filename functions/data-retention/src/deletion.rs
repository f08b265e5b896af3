//! Deletion of signals after N days in a closed state (spec 16 §16.5, the
//! reference's `delete_signals_in_state_for_x_days` / `delete_signal`).
//!
//! Per policy `(state, days)`: candidates are signals without parent whose
//! current status has `state` and was set more than `days` ago. Each
//! candidate's children go first (whatever their own state), then the
//! signal, in one transaction per batch of candidates:
//! * an audit row per signal in `signals_deletedsignal` — ids, uuid,
//!   parent, category, state and when it was set, creation time, batch
//!   uuid (one per run), `action = automatic`, no author (the system), and
//!   the note `Signal was in state "<label>" for <n> days` (children:
//!   `Parent signal was in state "<label>" for <n> days`). No personal data;
//! * the keys of its stored attachment files into `retention_object_deletion`
//!   (the rows themselves cascade away with the signal);
//! * a `signal.deleted` outbox event, so the search index drops the document;
//! * `DELETE` of the signal, which cascades to every row below it.
//!
//! After the commit the files are deleted from S3 ([`crate::objects`]); a
//! crash in between leaves their to-do rows for the next run.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use signalen_domain::signal::events::{SIGNAL_AGGREGATE, SIGNAL_DELETED, SignalChanged};
use signalen_domain::status::State;
use signalen_infra::pg::{self, GenericClient};
use uuid::Uuid;

use crate::{Context, DeletionPolicy, Hooks, JobReport, RetentionError, objects, whole_days};

const CANDIDATES: &str = "SELECT s.id
     FROM signals_signal s
     JOIN signals_status st ON st.id = s.status_id
     WHERE s.parent_id IS NULL AND st.state = $1 AND st.created_at < $2
     ORDER BY s.id
     LIMIT $3";

/// The audit note of a deleted signal (the reference's wording).
pub fn audit_note(is_child: bool, state: &str, days: i64) -> String {
    let label = State::from_code(state).map_or("", |s| s.state_display());
    if is_child {
        format!("Parent signal was in state \"{label}\" for {days} days")
    } else {
        format!("Signal was in state \"{label}\" for {days} days")
    }
}

pub(crate) async fn run(
    ctx: &Context<'_>,
    dry_run: bool,
    deadline: Instant,
    hooks: Hooks,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<JobReport, RetentionError> {
    let config = ctx.config;
    if !config.delete_enabled {
        return Err(RetentionError::Refused(
            "deleting signals is disabled (set RETENTION_DELETE_ENABLED=true)".into(),
        ));
    }
    let Some(bucket) = config.attachments_bucket.clone() else {
        return Err(RetentionError::Refused(
            "ATTACHMENTS_BUCKET is not set: the files of deleted signals could not be deleted"
                .into(),
        ));
    };
    let mut report = JobReport {
        dry_run,
        ..JobReport::default()
    };
    let mut client = ctx.pool.get().await.map_err(pg::Error::from)?;
    let batch_uuid = Uuid::new_v4();
    for policy in &config.delete_policies {
        let cutoff = Utc::now() - Duration::days(i64::from(policy.days));
        let state = policy.state.code();
        if dry_run {
            let row = client
                .query_one(
                    "WITH parent AS (
                         SELECT s.id FROM signals_signal s
                         JOIN signals_status st ON st.id = s.status_id
                         WHERE s.parent_id IS NULL AND st.state = $1 AND st.created_at < $2
                     )
                     SELECT (SELECT count(*) FROM parent),
                            (SELECT count(*) FROM signals_signal c WHERE c.parent_id IN (SELECT id FROM parent)),
                            (SELECT count(*) FROM signals_attachment a
                             WHERE a._signal_id IN (SELECT id FROM parent)
                                OR a._signal_id IN (SELECT c.id FROM signals_signal c
                                                    WHERE c.parent_id IN (SELECT id FROM parent)))",
                    &[&state, &cutoff],
                )
                .await?;
            let (parents, children, files): (i64, i64, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            report.signals += (parents + children) as u64;
            report.objects += files as u64;
            progress(&format!(
                "state {state} for more than {} days: would delete {parents} signal(s) and {children} child signal(s), {files} file(s)",
                policy.days
            ));
            continue;
        }
        loop {
            if Instant::now() >= deadline {
                report.unfinished = true;
                progress("time budget used up; the next run continues");
                return Ok(report);
            }
            let batch: Vec<i32> = client
                .query(CANDIDATES, &[&state, &cutoff, &config.batch_size])
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            if batch.is_empty() {
                break;
            }
            let number = report.batches + 1;
            let tx = client.transaction().await?;
            let (signals, files) =
                delete_batch(&tx, &batch, *policy, cutoff, batch_uuid, &bucket).await?;
            if hooks.fail_inside_batch == Some(number) {
                return Err(RetentionError::Injected(number));
            }
            tx.commit().await?;
            report.batches = number;
            report.signals += signals;
            progress(&format!(
                "batch {number}: deleted {signals} signal(s) in state {state}, {files} file(s) queued"
            ));
            if hooks.crash_before_purge || hooks.crash_after_batches == Some(number) {
                return Err(RetentionError::Crashed);
            }
            report.objects += objects::purge(ctx, deadline, progress).await?;
        }
    }
    if !dry_run {
        // Files left over by an earlier, interrupted run.
        report.objects += objects::purge(ctx, deadline, progress).await?;
    }
    progress(&format!(
        "deleted {} signal(s) in {} batch(es) (batch {batch_uuid}); {} file(s) deleted",
        report.signals, report.batches, report.objects
    ));
    Ok(report)
}

struct Doomed {
    id: i32,
    is_child: bool,
    state: String,
    state_set_at: Option<DateTime<Utc>>,
}

/// Deletes the candidates `ids` (re-checked under their row locks) and
/// their children. Returns (signals deleted, files queued).
async fn delete_batch(
    tx: &impl GenericClient,
    ids: &[i32],
    policy: DeletionPolicy,
    cutoff: DateTime<Utc>,
    batch_uuid: Uuid,
    bucket: &str,
) -> Result<(u64, u64), RetentionError> {
    let state = policy.state.code();
    let parents = tx
        .query(
            "SELECT s.id, st.state, st.created_at
             FROM signals_signal s
             JOIN signals_status st ON st.id = s.status_id
             WHERE s.id = ANY($1) AND s.parent_id IS NULL AND st.state = $2 AND st.created_at < $3
             ORDER BY s.id
             FOR UPDATE OF s",
            &[&ids, &state, &cutoff],
        )
        .await?;
    let mut doomed: Vec<Doomed> = Vec::new();
    let mut parent_ids = Vec::with_capacity(parents.len());
    let mut parent_state = std::collections::HashMap::new();
    for row in &parents {
        let id: i32 = row.try_get(0)?;
        let state: String = row.try_get(1)?;
        let set_at: DateTime<Utc> = row.try_get(2)?;
        parent_ids.push(id);
        parent_state.insert(id, (state, set_at));
    }
    if parent_ids.is_empty() {
        return Ok((0, 0));
    }
    let children = tx
        .query(
            "SELECT c.id, c.parent_id FROM signals_signal c
             WHERE c.parent_id = ANY($1) ORDER BY c.id FOR UPDATE",
            &[&parent_ids],
        )
        .await?;
    for row in &children {
        let parent: i32 = row.try_get(1)?;
        let (state, set_at) = parent_state[&parent].clone();
        doomed.push(Doomed {
            id: row.try_get(0)?,
            is_child: true,
            state,
            state_set_at: Some(set_at),
        });
    }
    for id in &parent_ids {
        let (state, set_at) = parent_state[id].clone();
        doomed.push(Doomed {
            id: *id,
            is_child: false,
            state,
            state_set_at: Some(set_at),
        });
    }
    let now = Utc::now();
    let all_ids: Vec<i32> = doomed.iter().map(|d| d.id).collect();
    let notes: Vec<String> = doomed
        .iter()
        .map(|d| {
            let days = d.state_set_at.map_or(0, |at| whole_days(at, now));
            audit_note(d.is_child, &d.state, days)
        })
        .collect();
    tx.execute(
        "INSERT INTO signals_deletedsignal (signal_id, signal_uuid, parent_signal_id, category_id,
                                            signal_state, signal_state_set_at, signal_created_at,
                                            deleted_by, deleted_at, batch_uuid, action, note)
         SELECT s.id, s.uuid, s.parent_id, ca.category_id, COALESCE(st.state, ''), st.created_at,
                s.created_at, NULL, $2, $3, 'automatic', d.note
         FROM unnest($1::int4[], $4::text[]) WITH ORDINALITY AS d (id, note, n)
         JOIN signals_signal s ON s.id = d.id
         LEFT JOIN signals_status st ON st.id = s.status_id
         LEFT JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
         ORDER BY d.n",
        &[&all_ids, &now, &batch_uuid, &notes],
    )
    .await?;
    let files = tx
        .execute(
            "INSERT INTO retention_object_deletion (bucket, key, signal_id, created_at)
             SELECT $2, a.file, a._signal_id, $3
             FROM signals_attachment a
             WHERE a._signal_id = ANY($1) AND a.file <> ''
             ORDER BY a.id",
            &[&all_ids, &bucket, &now],
        )
        .await?;
    let payloads: Vec<serde_json::Value> = all_ids
        .iter()
        .map(|id| {
            serde_json::to_value(SignalChanged {
                signal_id: *id,
                updated_at: now,
                object_id: None,
                previous_id: None,
                actor: None,
                facts: serde_json::json!({"batch_uuid": batch_uuid}),
            })
            .unwrap_or_default()
        })
        .collect();
    let aggregate_ids: Vec<String> = all_ids.iter().map(i32::to_string).collect();
    tx.execute(
        "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
         SELECT $1, e.aggregate_id, $2, e.payload, $4
         FROM unnest($3::text[], $5::jsonb[]) WITH ORDINALITY AS e (aggregate_id, payload, n)
         ORDER BY e.n",
        &[
            &SIGNAL_AGGREGATE,
            &SIGNAL_DELETED,
            &aggregate_ids,
            &now,
            &payloads,
        ],
    )
    .await?;
    let child_ids: Vec<i32> = doomed.iter().filter(|d| d.is_child).map(|d| d.id).collect();
    if !child_ids.is_empty() {
        tx.execute(
            "DELETE FROM signals_signal WHERE id = ANY($1)",
            &[&child_ids],
        )
        .await?;
    }
    tx.execute(
        "DELETE FROM signals_signal WHERE id = ANY($1)",
        &[&parent_ids],
    )
    .await?;
    Ok((all_ids.len() as u64, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_notes_name_the_state_label_and_the_days() {
        assert_eq!(
            audit_note(false, "a", 400),
            "Signal was in state \"Geannuleerd\" for 400 days"
        );
        assert_eq!(
            audit_note(true, "o", 1900),
            "Parent signal was in state \"Afgehandeld\" for 1900 days"
        );
    }
}
