//! Retention on the real stack (spec 16 §16.4–§16.5): who is anonymised and
//! deleted, the notes, audit rows, outbox events and stored files, and that
//! an interrupted run leaves no half-done report and is continued.

use std::time::Duration;

use bytes::Bytes;
use data_retention::{
    Context, DeletionPolicy, Hooks, Job, JobReport, JobRequest, RetentionConfig, RetentionError,
    run,
};
use signalen_domain::status::State;
use signalen_infra::config::S3Config;
use signalen_infra::pg::GenericClient;
use signalen_infra::s3::ObjectStore;

use crate::helpers::{TestDatabase, empty_bucket, sdk_config, test_bucket};
use crate::seed_sql::{SeedSignal, seed_signal};

fn config(bucket: Option<&str>) -> RetentionConfig {
    RetentionConfig {
        anonymise_after_days: 365,
        delete_enabled: true,
        delete_policies: vec![
            DeletionPolicy {
                state: State::Geannuleerd,
                days: 365,
            },
            DeletionPolicy {
                state: State::Afgehandeld,
                days: 1826,
            },
        ],
        attachments_bucket: bucket.map(str::to_owned),
        batch_size: 100,
        time_budget: Duration::from_secs(120),
        outbox_keep_days: 7,
        consumer_effect_keep_days: 30,
        throttle_idle_hours: 48,
        token_grace_days: 30,
    }
}

async fn job(
    db: &TestDatabase,
    config: &RetentionConfig,
    job: Job,
    hooks: Hooks,
) -> Result<JobReport, RetentionError> {
    let sdk = sdk_config().await;
    let ctx = Context {
        pool: &db.pool,
        sdk: &sdk,
        s3: S3Config {
            force_path_style: true,
        },
        config,
    };
    run(
        &ctx,
        &JobRequest {
            job,
            dry_run: false,
        },
        hooks,
        &mut |_| {},
    )
    .await
}

async fn reporter(
    client: &impl GenericClient,
    id: i32,
) -> (Option<String>, Option<String>, bool, bool) {
    let row = client
        .query_one(
            "SELECT email, phone, email_anonymized, phone_anonymized FROM signals_reporter WHERE id = $1",
            &[&id],
        )
        .await
        .expect("reporter");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

async fn notes(client: &impl GenericClient, signal: i32) -> Vec<(String, Option<String>)> {
    client
        .query(
            "SELECT text, created_by FROM signals_note WHERE _signal_id = $1 ORDER BY id",
            &[&signal],
        )
        .await
        .expect("notes")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn events(client: &impl GenericClient, event_type: &str) -> Vec<String> {
    client
        .query(
            "SELECT aggregate_id FROM outbox WHERE event_type = $1 ORDER BY id",
            &[&event_type],
        )
        .await
        .expect("outbox")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const NOTE_BOTH: &str =
    "Vanwege de AVG zijn de volgende gegevens van de melder geanonimiseerd: email, telefoonnummer";
const NOTE_PHONE: &str =
    "Vanwege de AVG zijn de volgende gegevens van de melder geanonimiseerd: telefoonnummer";

#[tokio::test]
async fn reporters_of_signals_closed_and_reported_long_ago_are_anonymised_with_a_note_and_an_event()
{
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let handled = seed_signal(
        &mut client,
        &SeedSignal::new("Afgehandeld, oud")
            .reporter(Some("melder@example.org"), Some("0612345678"), 400)
            .in_state("o", 380),
    )
    .await;
    let recent = seed_signal(
        &mut client,
        &SeedSignal::new("Afgehandeld, recent gemeld")
            .reporter(Some("recent@example.org"), None, 100)
            .in_state("o", 50),
    )
    .await;
    let open = seed_signal(
        &mut client,
        &SeedSignal::new("Open, oud")
            .reporter(Some("open@example.org"), None, 400)
            .in_state("b", 380),
    )
    .await;
    let closure = seed_signal(
        &mut client,
        &SeedSignal::new("Extern afgehandeld")
            .reporter(None, Some("0687654321"), 500)
            .in_state("closure requested", 450),
    )
    .await;
    let mut already = SeedSignal::new("Al anoniem").in_state("a", 400);
    already.email_anonymized = true;
    already.reporter_at = Some(chrono::Utc::now() - chrono::Duration::days(400));
    let already = seed_signal(&mut client, &already).await;
    // A signal whose reporter changed: the earlier row is anonymised too.
    let changed = seed_signal(
        &mut client,
        &SeedSignal::new("Gesplitst")
            .reporter(Some("nieuw@example.org"), None, 390)
            .in_state("s", 380),
    )
    .await;
    let earlier: i32 = client
        .query_one(
            "INSERT INTO signals_reporter (_signal_id, email, state, created_at, updated_at)
             VALUES ($1, 'oud@example.org', 'approved', now() - interval '420 days', now() - interval '420 days')
             RETURNING id",
            &[&changed.signal],
        )
        .await
        .expect("earlier reporter")
        .get(0);
    let before: chrono::DateTime<chrono::Utc> = client
        .query_one(
            "SELECT updated_at FROM signals_signal WHERE id = $1",
            &[&handled.signal],
        )
        .await
        .expect("updated_at")
        .get(0);

    let report = job(
        &db,
        &config(None),
        Job::AnonymiseReporters,
        Hooks::default(),
    )
    .await
    .expect("anonymise");

    assert_eq!((report.signals, report.reporters), (3, 4));
    assert_eq!(
        reporter(&client, handled.reporter).await,
        (None, None, true, true)
    );
    assert_eq!(
        notes(&client, handled.signal).await,
        vec![(NOTE_BOTH.to_owned(), None)]
    );
    assert_eq!(
        reporter(&client, closure.reporter).await,
        (None, None, false, true)
    );
    assert_eq!(
        notes(&client, closure.signal).await,
        vec![(NOTE_PHONE.to_owned(), None)]
    );
    assert!(reporter(&client, changed.reporter).await.2);
    assert_eq!(reporter(&client, earlier).await, (None, None, true, false));
    assert_eq!(
        notes(&client, changed.signal).await.len(),
        2,
        "one note per anonymised row"
    );
    for untouched in [recent, open] {
        assert!(reporter(&client, untouched.reporter).await.0.is_some());
        assert!(notes(&client, untouched.signal).await.is_empty());
    }
    assert!(
        notes(&client, already.signal).await.is_empty(),
        "already anonymous: no note"
    );
    let entries: i64 = client
        .query_one(
            "SELECT count(*) FROM history_log WHERE object_type = 'note' AND action = 'CREATE'
             AND extra = 'Notitie toegevoegd' AND created_by IS NULL AND description LIKE 'Vanwege de AVG%'",
            &[],
        )
        .await
        .expect("history")
        .get(0);
    assert_eq!(entries, 4);
    let after: chrono::DateTime<chrono::Utc> = client
        .query_one(
            "SELECT updated_at FROM signals_signal WHERE id = $1",
            &[&handled.signal],
        )
        .await
        .expect("updated_at")
        .get(0);
    assert!(after > before, "a note bumps the signal's updated_at");
    let mut changed_signals = events(&client, "signal.reporter_changed").await;
    changed_signals.sort();
    let mut expected = vec![
        handled.signal.to_string(),
        closure.signal.to_string(),
        changed.signal.to_string(),
    ];
    expected.sort();
    assert_eq!(changed_signals, expected);
    let payload: serde_json::Value = client
        .query_one(
            "SELECT payload FROM outbox WHERE event_type = 'signal.reporter_changed' AND aggregate_id = $1",
            &[&handled.signal.to_string()],
        )
        .await
        .expect("payload")
        .get(0);
    assert!(
        !payload.to_string().contains("example.org"),
        "no personal data in events: {payload}"
    );

    let again = job(
        &db,
        &config(None),
        Job::AnonymiseReporters,
        Hooks::default(),
    )
    .await
    .expect("second run");
    assert_eq!((again.signals, again.reporters), (0, 0), "idempotent");

    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn an_interrupted_anonymisation_leaves_no_half_done_report_and_the_next_run_continues() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let mut seeded = Vec::new();
    for i in 0..3 {
        seeded.push(
            seed_signal(
                &mut client,
                &SeedSignal::new(&format!("Melding {i}"))
                    .reporter(Some("melder@example.org"), Some("0612345678"), 400)
                    .in_state("o", 370),
            )
            .await,
        );
    }
    let mut small = config(None);
    small.batch_size = 1;

    let failed = job(
        &db,
        &small,
        Job::AnonymiseReporters,
        Hooks {
            fail_inside_batch: Some(2),
            ..Hooks::default()
        },
    )
    .await;

    assert!(
        matches!(failed, Err(RetentionError::Injected(2))),
        "{failed:?}"
    );
    assert_eq!(
        reporter(&client, seeded[0].reporter).await.0,
        None,
        "batch 1 committed"
    );
    for s in &seeded[1..] {
        assert_eq!(
            reporter(&client, s.reporter).await.0.as_deref(),
            Some("melder@example.org")
        );
        assert!(
            notes(&client, s.signal).await.is_empty(),
            "batch 2 left no trace"
        );
    }
    assert_eq!(events(&client, "signal.reporter_changed").await.len(), 1);

    let crashed = job(
        &db,
        &small,
        Job::AnonymiseReporters,
        Hooks {
            crash_after_batches: Some(1),
            ..Hooks::default()
        },
    )
    .await;
    assert!(matches!(crashed, Err(RetentionError::Crashed)));
    let resumed = job(&db, &small, Job::AnonymiseReporters, Hooks::default())
        .await
        .expect("resume");

    assert_eq!(resumed.signals, 1, "only what was left");
    for s in &seeded {
        assert_eq!(
            reporter(&client, s.reporter).await,
            (None, None, true, true)
        );
        assert_eq!(notes(&client, s.signal).await.len(), 1, "exactly one note");
    }
    assert_eq!(events(&client, "signal.reporter_changed").await.len(), 3);

    drop(client);
    db.cleanup().await;
}

async fn attach(
    client: &impl GenericClient,
    store: &ObjectStore,
    signal: i32,
    name: &str,
) -> String {
    let key = format!("attachments/2020/01/01/{name}");
    store
        .put(
            &key,
            Bytes::from_static(b"\xff\xd8\xff photo"),
            "image/jpeg",
        )
        .await
        .expect("put");
    client
        .execute(
            "INSERT INTO signals_attachment (_signal_id, file, mimetype, is_image) VALUES ($1, $2, 'image/jpeg', true)",
            &[&signal, &key],
        )
        .await
        .expect("attachment row");
    key
}

async fn exists(client: &impl GenericClient, signal: i32) -> bool {
    client
        .query_opt("SELECT 1 FROM signals_signal WHERE id = $1", &[&signal])
        .await
        .expect("signal")
        .is_some()
}

#[tokio::test]
async fn signals_closed_long_enough_are_deleted_with_their_children_audit_rows_and_files() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    let mut client = db.client().await;
    let cancelled = seed_signal(
        &mut client,
        &SeedSignal::new("Geannuleerd, oud")
            .reporter(Some("melder@example.org"), None, 420)
            .in_state("a", 400),
    )
    .await;
    let mut child = SeedSignal::new("Deelmelding").in_state("b", 10);
    child.parent = Some(cancelled.signal);
    let child = seed_signal(&mut client, &child).await;
    let handled_young = seed_signal(
        &mut client,
        &SeedSignal::new("Afgehandeld, 400 dagen").in_state("o", 400),
    )
    .await;
    let handled_old = seed_signal(
        &mut client,
        &SeedSignal::new("Afgehandeld, oud").in_state("o", 2000),
    )
    .await;
    let cancelled_recent = seed_signal(
        &mut client,
        &SeedSignal::new("Geannuleerd, recent").in_state("a", 100),
    )
    .await;
    let open_old = seed_signal(
        &mut client,
        &SeedSignal::new("Open, oud").in_state("m", 3000),
    )
    .await;
    let parent_file = attach(&client, &store, cancelled.signal, "parent.jpg").await;
    let child_file = attach(&client, &store, child.signal, "child.jpg").await;
    let kept_file = attach(&client, &store, handled_young.signal, "kept.jpg").await;

    let report = job(
        &db,
        &config(Some(store.bucket())),
        Job::DeleteSignals,
        Hooks::default(),
    )
    .await
    .expect("delete");

    assert_eq!(report.signals, 3);
    assert_eq!(report.objects, 2);
    for gone in [cancelled, child, handled_old] {
        assert!(!exists(&client, gone.signal).await, "{gone:?}");
    }
    for kept in [handled_young, cancelled_recent, open_old] {
        assert!(exists(&client, kept.signal).await, "{kept:?}");
    }
    let audit = client
        .query(
            "SELECT d.signal_id, d.parent_signal_id, d.signal_state, d.action, d.note, d.deleted_by,
                    d.batch_uuid, c.slug, d.signal_state_set_at IS NOT NULL, d::text
             FROM signals_deletedsignal d LEFT JOIN signals_category c ON c.id = d.category_id
             ORDER BY d.id",
            &[],
        )
        .await
        .expect("audit");
    assert_eq!(audit.len(), 3);
    let rows: Vec<(i64, Option<i64>, String, String, String)> = audit
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert!(rows.contains(&(
        i64::from(child.signal),
        Some(i64::from(cancelled.signal)),
        "b".to_owned(),
        "automatic".to_owned(),
        "Parent signal was in state \"Geannuleerd\" for 400 days".to_owned()
    )));
    assert!(rows.contains(&(
        i64::from(cancelled.signal),
        None,
        "a".to_owned(),
        "automatic".to_owned(),
        "Signal was in state \"Geannuleerd\" for 400 days".to_owned()
    )));
    assert!(rows.contains(&(
        i64::from(handled_old.signal),
        None,
        "o".to_owned(),
        "automatic".to_owned(),
        "Signal was in state \"Afgehandeld\" for 2000 days".to_owned()
    )));
    let batches: std::collections::BTreeSet<Option<uuid::Uuid>> =
        audit.iter().map(|r| r.get(6)).collect();
    assert_eq!(batches.len(), 1, "one batch uuid per run");
    assert!(batches.iter().all(Option::is_some));
    for row in &audit {
        assert_eq!(
            row.get::<_, Option<String>>(5),
            None,
            "deleted by the system"
        );
        assert_eq!(row.get::<_, Option<String>>(7).as_deref(), Some("grofvuil"));
        assert!(row.get::<_, bool>(8));
        let text: String = row.get(9);
        assert!(
            !text.contains("example.org") && !text.contains("Geannuleerd, oud"),
            "no personal data: {text}"
        );
    }
    assert!(
        store.get(&parent_file).await.expect("get").is_none(),
        "the parent's file is deleted"
    );
    assert!(
        store.get(&child_file).await.expect("get").is_none(),
        "the child's file is deleted"
    );
    assert!(store.get(&kept_file).await.expect("get").is_some());
    let pending: i64 = client
        .query_one("SELECT count(*) FROM retention_object_deletion", &[])
        .await
        .expect("pending")
        .get(0);
    assert_eq!(pending, 0);
    let mut deleted_events = events(&client, "signal.deleted").await;
    deleted_events.sort();
    let mut expected = vec![
        cancelled.signal.to_string(),
        child.signal.to_string(),
        handled_old.signal.to_string(),
    ];
    expected.sort();
    assert_eq!(deleted_events, expected);
    let history: i64 = client
        .query_one(
            "SELECT count(*) FROM history_log WHERE _signal_id = ANY($1)",
            &[&vec![cancelled.signal, child.signal]],
        )
        .await
        .expect("history")
        .get(0);
    assert_eq!(history, 0, "everything below the signal went with it");

    empty_bucket(&store).await;
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn a_crash_after_the_commit_leaves_the_files_queued_and_the_next_run_deletes_them() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    let mut client = db.client().await;
    let old = seed_signal(
        &mut client,
        &SeedSignal::new("Geannuleerd").in_state("a", 400),
    )
    .await;
    let file = attach(&client, &store, old.signal, "photo.jpg").await;
    let config = config(Some(store.bucket()));

    let crashed = job(
        &db,
        &config,
        Job::DeleteSignals,
        Hooks {
            crash_before_purge: true,
            ..Hooks::default()
        },
    )
    .await;

    assert!(matches!(crashed, Err(RetentionError::Crashed)));
    assert!(!exists(&client, old.signal).await, "the deletion committed");
    assert!(
        store.get(&file).await.expect("get").is_some(),
        "its file is still stored"
    );
    let queued: Vec<String> = client
        .query("SELECT key FROM retention_object_deletion", &[])
        .await
        .expect("queue")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(queued, vec![file.clone()]);

    let purged = job(&db, &config, Job::PurgeObjects, Hooks::default())
        .await
        .expect("purge");

    assert_eq!(purged.objects, 1);
    assert!(store.get(&file).await.expect("get").is_none());
    let left: i64 = client
        .query_one("SELECT count(*) FROM retention_object_deletion", &[])
        .await
        .expect("queue")
        .get(0);
    assert_eq!(left, 0);

    empty_bucket(&store).await;
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn a_failure_inside_a_deletion_batch_deletes_nothing_of_it() {
    let db = TestDatabase::new().await;
    let store = test_bucket().await;
    let mut client = db.client().await;
    let old = seed_signal(
        &mut client,
        &SeedSignal::new("Geannuleerd").in_state("a", 400),
    )
    .await;
    let file = attach(&client, &store, old.signal, "photo.jpg").await;

    let failed = job(
        &db,
        &config(Some(store.bucket())),
        Job::DeleteSignals,
        Hooks {
            fail_inside_batch: Some(1),
            ..Hooks::default()
        },
    )
    .await;

    assert!(matches!(failed, Err(RetentionError::Injected(1))));
    assert!(exists(&client, old.signal).await);
    assert!(store.get(&file).await.expect("get").is_some());
    for table in ["signals_deletedsignal", "retention_object_deletion"] {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count")
            .get(0);
        assert_eq!(n, 0, "{table}");
    }
    assert!(events(&client, "signal.deleted").await.is_empty());

    empty_bucket(&store).await;
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn deletion_is_refused_unless_enabled() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let old = seed_signal(
        &mut client,
        &SeedSignal::new("Geannuleerd").in_state("a", 400),
    )
    .await;
    let mut disabled = config(Some("bucket"));
    disabled.delete_enabled = false;

    let refused = job(&db, &disabled, Job::DeleteSignals, Hooks::default()).await;

    assert!(
        matches!(refused, Err(RetentionError::Refused(_))),
        "{refused:?}"
    );
    assert!(exists(&client, old.signal).await);
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn housekeeping_prunes_only_what_is_past_its_keep_period() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let signal = seed_signal(&mut client, &SeedSignal::new("Melding")).await;
    client
        .batch_execute(&format!(
            "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, published_at) VALUES
                 ('signal', 'old', 'x', now() - interval '8 days'),
                 ('signal', 'recent', 'x', now() - interval '1 day'),
                 ('signal', 'unpublished', 'x', NULL);
             INSERT INTO consumer_effect (consumer, event_id, created_at) VALUES
                 ('search', gen_random_uuid(), now() - interval '31 days'),
                 ('search', gen_random_uuid(), now() - interval '2 days');
             INSERT INTO api_throttle (scope, ident, updated_at) VALUES
                 ('public', decode(repeat('aa', 32), 'hex'), now() - interval '3 days'),
                 ('public', decode(repeat('bb', 32), 'hex'), now() - interval '1 hour');
             UPDATE signals_reporter SET email_verification_token = 'long-expired',
                    email_verification_token_expires = now() - interval '40 days'
             WHERE _signal_id = {s};
             INSERT INTO signals_reporter (_signal_id, email, state, email_verification_token,
                                           email_verification_token_expires)
             VALUES ({s}, 'nieuw@example.org', 'verification_email_sent', 'just-expired', now() - interval '1 day');",
            s = signal.signal
        ))
        .await
        .expect("rows to prune");

    let report = job(&db, &config(None), Job::Housekeeping, Hooks::default())
        .await
        .expect("housekeeping");

    let outbox: Vec<String> = client
        .query("SELECT aggregate_id FROM outbox ORDER BY id", &[])
        .await
        .expect("outbox")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(outbox, ["recent", "unpublished"]);
    let count = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(sql, &[])
                .await
                .expect("count")
                .get::<_, i64>(0)
        }
    };
    assert_eq!(count("SELECT count(*) FROM consumer_effect").await, 1);
    assert_eq!(count("SELECT count(*) FROM api_throttle").await, 1);
    let tokens: Vec<Option<String>> = client
        .query(
            "SELECT email_verification_token FROM signals_reporter WHERE _signal_id = $1 ORDER BY id",
            &[&signal.signal],
        )
        .await
        .expect("tokens")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tokens, [None, Some("just-expired".to_owned())]);
    assert_eq!(
        report.pruned,
        vec![
            ("outbox".to_owned(), 1),
            ("consumer_effect".to_owned(), 1),
            ("api_throttle".to_owned(), 1),
            ("signals_reporter.email_verification_token".to_owned(), 1),
        ]
    );

    drop(client);
    db.cleanup().await;
}
