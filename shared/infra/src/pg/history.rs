//! The history log (spec 06): append-only entries, written in the same
//! transaction as the change they describe (docs/data-model.md).

use chrono::{DateTime, Utc};
use signalen_domain::signal::HistoryEntry;

use super::{Error, GenericClient};

/// Appends `entries` of signal `signal_id` in one statement; their ids
/// increase in the order given, which orders entries with equal
/// `created_at`.
#[tracing::instrument(skip_all, fields(signal_id = signal_id, entries = entries.len()))]
pub async fn insert_history_entries(
    client: &impl GenericClient,
    signal_id: i32,
    entries: &[HistoryEntry],
) -> Result<u64, Error> {
    let object_types: Vec<&str> = entries.iter().map(|e| e.object_type).collect();
    let object_pks: Vec<&str> = entries.iter().map(|e| e.object_pk.as_str()).collect();
    let actions: Vec<&str> = entries.iter().map(|e| e.action).collect();
    let extras: Vec<Option<&str>> = entries.iter().map(|e| e.extra.as_deref()).collect();
    let descriptions: Vec<Option<&str>> =
        entries.iter().map(|e| e.description.as_deref()).collect();
    let created_by: Vec<Option<&str>> = entries.iter().map(|e| e.created_by.as_deref()).collect();
    let created_at: Vec<DateTime<Utc>> = entries.iter().map(|e| e.created_at).collect();
    Ok(client
        .execute(
            "INSERT INTO history_log (object_type, object_pk, action, extra, description, created_by,
                                      created_at, _signal_id)
             SELECT e.object_type, e.object_pk, e.action, e.extra, e.description, e.created_by,
                    e.created_at, $8
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[])
                  WITH ORDINALITY AS e (object_type, object_pk, action, extra, description,
                                        created_by, created_at, n)
             ORDER BY e.n",
            &[
                &object_types,
                &object_pks,
                &actions,
                &extras,
                &descriptions,
                &created_by,
                &created_at,
                &signal_id,
            ],
        )
        .await?)
}
