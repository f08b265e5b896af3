//! The per-key signal counts of migration V0017 (docs/private-signals.md
//! "Counting"): after any mix of creates, status, category, priority and
//! routing changes, deletions and concurrent writers, the counts equal a
//! `GROUP BY` over the signals — before and after compaction — and the
//! list's `count` read from them equals the number of matching signals.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::{BackOffice, NewUser};
use crate::fixtures::citizen_report;

const ADMIN: &str = "tellingen@example.org";
const ASC: &str = "asc-tellingen@example.org";
const KEY: &str = "current_state, current_category_id, current_main_category_id, current_priority, \
                   current_type, source, current_routing_department_ids";
const SUB: &str = "https://api.example.org/signals/v1/public/terms/categories";

async fn office() -> BackOffice {
    let office = BackOffice::with_app(|pool, auth| {
        private_signals::router(private_signals::AppState::new(pool, auth))
    })
    .await;
    office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
    office
        .user(NewUser {
            email: ASC,
            roles: &[(ASC, &["sia_read"])],
            departments: &["ASC"],
            ..NewUser::default()
        })
        .await;
    office
}

fn report_body(category: &str, text: &str) -> Value {
    json!({
        "text": text,
        "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                     "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN",
                                 "woonplaats": "Amsterdam"}},
        "category": {"sub_category": format!("{SUB}/{category}")},
        "reporter": {"email": null, "phone": null, "sharing_allowed": false},
        "incident_date_start": "2024-03-01T09:30:00+01:00"
    })
}

async fn patch(office: &BackOffice, id: i32, body: Value) {
    let (status, answer) = office
        .send_json_as(
            ADMIN,
            Method::PATCH,
            &format!("/signals/v1/private/signals/{id}"),
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// Keys whose compacted + pending count differs from the signals' own
/// `GROUP BY`, in either direction (none when the counts are right).
async fn mismatches(office: &BackOffice) -> i64 {
    let sql = format!(
        "WITH counted AS (SELECT {KEY}, sum(n)::int8 AS n FROM signals_signal_counts
                          GROUP BY {KEY} HAVING sum(n) <> 0),
              actual AS (SELECT {KEY}, count(*) AS n FROM signals_signal GROUP BY {KEY})
         SELECT count(*) FROM ((SELECT * FROM counted EXCEPT ALL SELECT * FROM actual)
                               UNION ALL
                               (SELECT * FROM actual EXCEPT ALL SELECT * FROM counted)) d"
    );
    office
        .db
        .client()
        .await
        .query_one(&sql, &[])
        .await
        .expect("compare counts")
        .get(0)
}

async fn compact(office: &BackOffice) -> i64 {
    let client = office.db.client().await;
    client
        .execute("SELECT signals_signal_count_compact()", &[])
        .await
        .expect("compact");
    client
        .query_one("SELECT count(*) FROM signals_signal_count_delta", &[])
        .await
        .expect("deltas")
        .get(0)
}

async fn count_of(office: &BackOffice, email: &str, query: &str) -> i64 {
    let (status, page) = office
        .get_as(email, &format!("/signals/v1/private/signals/?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page["count"].as_i64().expect("count")
}

async fn sql_count(office: &BackOffice, condition: &str) -> i64 {
    office
        .db
        .client()
        .await
        .query_one(
            &format!("SELECT count(*) FROM signals_signal s WHERE {condition}"),
            &[],
        )
        .await
        .expect("count")
        .get(0)
}

#[tokio::test]
async fn counts_follow_creates_changes_and_deletions() {
    let office = office().await;
    let before = mismatches(&office).await;
    assert_eq!(before, 0, "the migration's initial counts");

    let mut ids = Vec::new();
    for (i, category) in [
        "afval/sub_categories/grofvuil",
        "wegen-verkeer-straatmeubilair/sub_categories/lantaarnpaal-straatverlichting",
    ]
    .iter()
    .cycle()
    .take(8)
    .enumerate()
    {
        ids.push(
            citizen_report(
                &office.db.pool,
                &report_body(category, &format!("Melding {i} over de straat.")),
            )
            .await,
        );
    }
    assert_eq!(mismatches(&office).await, 0, "after the creates");

    patch(
        &office,
        ids[0],
        json!({"status": {"state": "b", "text": "In behandeling"}}),
    )
    .await;
    patch(
        &office,
        ids[1],
        json!({"status": {"state": "b", "text": "In behandeling"}}),
    )
    .await;
    patch(
        &office,
        ids[1],
        json!({"status": {"state": "o", "text": "Opgelost"}}),
    )
    .await;
    patch(&office, ids[2], json!({"priority": {"priority": "high"}})).await;
    patch(&office, ids[3], json!({"type": {"code": "REQ"}})).await;
    patch(
        &office,
        ids[4],
        json!({"category": {"sub_category": format!("{SUB}/afval/sub_categories/container-is-vol"), "text": "Andere categorie"}}),
    )
    .await;
    patch(
        &office,
        ids[5],
        json!({"routing_departments": [{"id": office.department_id("ASC").await}]}),
    )
    .await;
    assert_eq!(mismatches(&office).await, 0, "after the changes");

    office
        .db
        .client()
        .await
        .execute("DELETE FROM signals_signal WHERE id = $1", &[&ids[6]])
        .await
        .expect("delete a signal");
    assert_eq!(mismatches(&office).await, 0, "after a deletion");

    assert_eq!(compact(&office).await, 0, "compaction moves every delta");
    assert_eq!(mismatches(&office).await, 0, "after compaction");
    let zero_rows: i64 = office
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM signals_signal_count WHERE n <= 0",
            &[],
        )
        .await
        .expect("zero rows")
        .get(0);
    assert_eq!(zero_rows, 0, "keys that emptied are removed");

    // The list's count read from the counts, and from the signals.
    for (email, query, condition) in [
        (ADMIN, "", "true"),
        (ADMIN, "status=b", "current_state = 'b'"),
        (ADMIN, "status=m&status=b&priority=normal", "current_state IN ('m', 'b') AND current_priority = 'normal'"),
        (ADMIN, "maincategory_slug=afval", "current_main_category_id = (SELECT id FROM signals_category WHERE slug = 'afval' AND parent_id IS NULL)"),
        (ADMIN, "type=REQ", "current_type = 'REQ'"),
        (ADMIN, "source=online", "source = 'online'"),
        (ADMIN, "address_text=Amstel", "true"),
        (ASC, "", "current_routing_department_ids && ARRAY(SELECT id FROM signals_department WHERE code = 'ASC')
                   OR current_category_id IN (SELECT cd.category_id FROM signals_categorydepartment cd
                                              JOIN signals_department d ON d.id = cd.department_id
                                              WHERE d.code = 'ASC' AND (cd.is_responsible OR cd.can_view))"),
    ] {
        assert_eq!(
            count_of(&office, email, query).await,
            sql_count(&office, condition).await,
            "{email} ?{query}"
        );
    }
    office.cleanup().await;
}

#[tokio::test]
async fn concurrent_writers_neither_wait_on_each_other_nor_lose_counts() {
    let office = office().await;
    let mut writers = Vec::new();
    for writer in 0..6 {
        let pool = office.db.pool.clone();
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..5 {
                ids.push(
                    citizen_report(
                        &pool,
                        &report_body(
                            "afval/sub_categories/grofvuil",
                            &format!("Schrijver {writer}, melding {i}."),
                        ),
                    )
                    .await,
                );
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for writer in writers {
        ids.extend(writer.await.expect("writer"));
    }
    assert_eq!(ids.len(), 30);
    // Half of them move on, concurrently, while the other half stay.
    let mut changes = Vec::new();
    for id in ids.iter().copied().step_by(2) {
        let client = office.db.client().await;
        changes.push(tokio::spawn(async move {
            // Many compactions race with the writers: each tries the lock.
            client
                .execute(
                    "UPDATE signals_signal SET source = 'Telefoon – ASC' WHERE id = $1",
                    &[&id],
                )
                .await
                .expect("change the source");
            client
                .execute("SELECT signals_signal_count_compact()", &[])
                .await
                .expect("compact")
        }));
    }
    for change in changes {
        change.await.expect("change");
    }
    assert_eq!(mismatches(&office).await, 0);
    assert_eq!(
        count_of(&office, ADMIN, "source=Telefoon%20%E2%80%93%20ASC").await,
        15
    );
    assert_eq!(count_of(&office, ADMIN, "").await, 30);
    office.cleanup().await;
}
