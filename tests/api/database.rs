use signalen_infra::pg;

use crate::helpers::TestDatabase;

async fn counts(client: &pg::Client) -> Vec<i64> {
    let row = client
        .query_one(
            "SELECT
                (SELECT count(*) FROM signals_category WHERE parent_id IS NULL),
                (SELECT count(*) FROM signals_category WHERE parent_id IS NOT NULL),
                (SELECT count(*) FROM signals_servicelevelobjective),
                (SELECT count(*) FROM signals_department),
                (SELECT count(*) FROM signals_source),
                (SELECT count(*) FROM auth_permission)",
            &[],
        )
        .await
        .expect("counts");
    (0..6).map(|i| row.get::<_, i64>(i)).collect()
}

#[tokio::test]
async fn a_migrated_database_is_up_to_date_and_seeding_it_again_changes_nothing() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let before = counts(&client).await;

    let migrations = pg::migrate(&mut client).await.expect("migrate");
    let seed = pg::seed(&client, pg::SHIPPED_TAXONOMY).await.expect("seed");

    assert!(migrations.applied.is_empty(), "{migrations:?}");
    assert!(migrations.current_version.is_some_and(|v| v >= 9));
    assert_eq!(counts(&client).await, before);
    assert_eq!((seed.main_categories, seed.sub_categories), (13, 155));
    assert_eq!(seed.service_level_objectives, 154);
    let fallback = client
        .query_one(
            "SELECT sub.name FROM signals_category sub JOIN signals_category main ON main.id = sub.parent_id
             WHERE main.slug = 'overig' AND sub.slug = 'overig'",
            &[],
        )
        .await
        .expect("overig/overig exists");
    assert_eq!(fallback.get::<_, String>(0), "Overig");
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn seeding_fills_in_missing_categories_without_reverting_edits() {
    let db = TestDatabase::new().await;
    let client = db.client().await;
    client
        .batch_execute(
            "UPDATE signals_category SET name = 'Afval (eigen naam)' WHERE parent_id IS NULL AND slug = 'afval';
             DELETE FROM signals_category c USING signals_category m
              WHERE c.parent_id = m.id AND m.slug = 'afval' AND c.slug = 'container-is-vol';",
        )
        .await
        .expect("edit the taxonomy");

    pg::seed(&client, pg::SHIPPED_TAXONOMY).await.expect("seed");

    let row = client
        .query_one(
            "SELECT (SELECT name FROM signals_category WHERE parent_id IS NULL AND slug = 'afval'),
                    (SELECT count(*) FROM signals_category c JOIN signals_category m ON m.id = c.parent_id
                      WHERE m.slug = 'afval' AND c.slug = 'container-is-vol'),
                    (SELECT count(*) FROM signals_servicelevelobjective o JOIN signals_category c ON c.id = o.category_id
                      WHERE c.slug = 'container-is-vol')",
            &[],
        )
        .await
        .expect("read back");
    assert_eq!(row.get::<_, String>(0), "Afval (eigen naam)");
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, i64>(2), 1);
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn a_broken_taxonomy_is_refused_before_anything_is_written() {
    let db = TestDatabase::new().await;
    let client = db.client().await;
    let before = counts(&client).await;

    let refused = pg::seed(&client, r#"{"main_categories": [], "sub_categories": []}"#).await;

    assert!(
        matches!(refused, Err(pg::Error::Taxonomy(_))),
        "{refused:?}"
    );
    assert_eq!(counts(&client).await, before);
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn postgis_places_a_signal_in_its_area_and_measures_in_metres() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let tx = client.transaction().await.expect("transaction");
    tx.batch_execute(
        "INSERT INTO signals_areatype (name, code) VALUES ('Stadsdeel', 'stadsdeel');
         INSERT INTO signals_area (name, code, _type_id, geometry)
         SELECT 'Centrum', 'centrum', id,
                ST_Multi(ST_GeomFromText('POLYGON((4.88 52.36, 4.92 52.36, 4.92 52.38, 4.88 52.38, 4.88 52.36))', 4326))
         FROM signals_areatype WHERE code = 'stadsdeel';",
    )
    .await
    .expect("an area");
    let signal_id: i32 = tx
        .query_one(
            "INSERT INTO signals_signal (text, incident_date_start) VALUES ('De container is vol', now()) RETURNING id",
            &[],
        )
        .await
        .expect("a signal")
        .get(0);
    tx.execute(
        "WITH l AS (
            INSERT INTO signals_location (_signal_id, geometrie)
            VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326)) RETURNING id
         )
         UPDATE signals_signal SET location_id = (SELECT id FROM l) WHERE id = $1",
        &[&signal_id, &4.9_f64, &52.37_f64],
    )
    .await
    .expect("its location");
    tx.commit().await.expect("commit");

    let row = client
        .query_one(
            "SELECT a.code,
                    ST_Distance(l.geometrie::geography, ST_SetSRID(ST_MakePoint(4.91, 52.37), 4326)::geography),
                    ST_X(l.geometrie), ST_Y(l.geometrie)
             FROM signals_signal s
             JOIN signals_location l ON l.id = s.location_id
             JOIN signals_area a ON ST_Contains(a.geometry, l.geometrie)
             WHERE s.id = $1",
            &[&signal_id],
        )
        .await
        .expect("the signal in its area");
    let metres: f64 = row.get(1);
    assert_eq!(row.get::<_, String>(0), "centrum");
    assert!(
        (metres - 679.0).abs() < 5.0,
        "0.01° of longitude at 52.37° N is about 679 m, got {metres}"
    );
    assert_eq!((row.get::<_, f64>(2), row.get::<_, f64>(3)), (4.9, 52.37));
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn deleting_a_signal_removes_its_sub_records() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let tx = client.transaction().await.expect("transaction");
    let signal_id: i32 = tx
        .query_one(
            "INSERT INTO signals_signal (text, incident_date_start) VALUES ('Lantaarnpaal kapot', now()) RETURNING id",
            &[],
        )
        .await
        .expect("a signal")
        .get(0);
    tx.execute(
        "WITH st AS (INSERT INTO signals_status (_signal_id, state) VALUES ($1, 'm') RETURNING id),
              l AS (INSERT INTO signals_location (_signal_id, geometrie)
                    VALUES ($1, ST_SetSRID(ST_MakePoint(4.9, 52.37), 4326)) RETURNING id)
         UPDATE signals_signal SET status_id = (SELECT id FROM st), location_id = (SELECT id FROM l)
         WHERE id = $1",
        &[&signal_id],
    )
    .await
    .expect("its status and location");
    tx.commit().await.expect("commit");
    let sub_records = "SELECT (SELECT count(*) FROM signals_status WHERE _signal_id = $1)
                            + (SELECT count(*) FROM signals_location WHERE _signal_id = $1)";
    let before: i64 = client
        .query_one(sub_records, &[&signal_id])
        .await
        .expect("count")
        .get(0);

    client
        .execute("DELETE FROM signals_signal WHERE id = $1", &[&signal_id])
        .await
        .expect("delete");

    let after: i64 = client
        .query_one(sub_records, &[&signal_id])
        .await
        .expect("count")
        .get(0);
    assert_eq!((before, after), (2, 0));
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn a_state_outside_the_workflow_is_refused_by_the_schema() {
    let db = TestDatabase::new().await;
    let client = db.client().await;
    let signal_id: i32 = client
        .query_one(
            "INSERT INTO signals_signal (text, incident_date_start) VALUES ('x', now()) RETURNING id",
            &[],
        )
        .await
        .expect("a signal")
        .get(0);

    let refused = client
        .execute(
            "INSERT INTO signals_status (_signal_id, state) VALUES ($1, 'bogus')",
            &[&signal_id],
        )
        .await;

    let error = refused.expect_err("the CHECK constraint refuses it");
    assert_eq!(
        error.code(),
        Some(&pg::tokio_postgres::error::SqlState::CHECK_VIOLATION)
    );
    drop(client);
    db.cleanup().await;
}
