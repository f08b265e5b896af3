//! The search index on the real stack: the indexer fed with the outbox
//! events a create writes, the private search endpoint on top of it, the
//! rebuild behind the alias, and what happens when OpenSearch is down
//! (spec 13, docs/search.md).

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use private_search::{AppState, Config, router};
use search_indexer::index::{Change, Outcome};
use search_indexer::{Indexer, SignalIndex, reindex};
use serde_json::{Value, json};
use signalen_infra::config::SearchConfig;
use signalen_infra::pg;
use signalen_infra::search::SearchClient;
use tower::ServiceExt;

use crate::auth::{BackOffice, NewUser};
use crate::fixtures::sqs_event;
use crate::helpers::test_search;

const SEARCH: &str = "/signals/v1/private/search/";

/// A database with back-office users, an index alias of its own, the
/// indexer and the search router on both.
struct SearchEnv {
    office: BackOffice,
    index: SignalIndex,
    indexer: Indexer,
    app: axum::Router,
}

impl SearchEnv {
    async fn new() -> Self {
        let office = BackOffice::new().await;
        let (client, alias) = test_search().await;
        let index = SignalIndex::new(client, alias);
        let indexer = Indexer {
            pool: office.db.pool.clone(),
            index: index.clone(),
            replicas: 0,
        };
        let app = search_app(&office, index.clone());
        Self {
            office,
            index,
            indexer,
            app,
        }
    }

    /// Deletes every index behind the test's aliases, then the database.
    async fn cleanup(self) {
        let (live, building) = self.index.targets().await.expect("targets");
        for index in live.into_iter().chain(building) {
            let _ = self.index.client().delete_index(&index).await;
        }
        self.office.cleanup().await;
    }

    async fn refresh(&self) {
        self.index
            .client()
            .refresh(self.index.alias())
            .await
            .expect("refresh");
    }

    /// Hands the outbox events of `signal_id` to the indexer as one SQS
    /// batch, the way the relay publishes them; returns the failed message ids.
    async fn deliver_events(&self, signal_id: i32) -> Vec<String> {
        let bodies = outbox_bodies(&self.office.db.pool, signal_id).await;
        self.deliver(bodies).await
    }

    async fn deliver(&self, bodies: Vec<String>) -> Vec<String> {
        let response = self
            .indexer
            .handle(sqs_event(&bodies))
            .await
            .expect("the batch is handled");
        response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    /// `GET path` as `email` on the search router.
    async fn get_as(&self, email: &str, path: &str) -> (StatusCode, Value) {
        get(&self.app, &self.office.token(email), path).await
    }

    async fn document(&self, signal_id: i32) -> Option<Value> {
        let (live, _) = self.index.targets().await.expect("targets");
        let index = live.first().expect("an index behind the alias");
        self.index
            .client()
            .get_document(index, &signal_id.to_string())
            .await
            .expect("get")
    }
}

fn search_app(office: &BackOffice, index: SignalIndex) -> axum::Router {
    let auth = office.authenticator();
    router(AppState {
        pool: office.db.pool.clone(),
        auth,
        index,
        config: Arc::new(Config::default()),
    })
}

async fn get(app: &axum::Router, token: &str, path: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body");
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, json)
}

/// Creates a signal in `main/sub` with `text` the way the citizen's form
/// does (public-signals router: rows, history and the `signal.created`
/// outbox event in one transaction); returns its id.
async fn create_signal(pool: &pg::Pool, main: &str, sub: &str, text: &str, email: &str) -> i32 {
    let app = public_signals::router(public_signals::AppState {
        pool: pool.clone(),
        config: Arc::new(public_signals::Config {
            throttle: None,
            ..public_signals::Config::default()
        }),
    });
    let body = json!({
        "text": text,
        "location": {
            "geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
            "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN", "woonplaats": "Amsterdam"}
        },
        "category": {"sub_category": format!(
            "https://api.example.org/signals/v1/public/terms/categories/{main}/sub_categories/{sub}"
        )},
        "reporter": {"email": email, "phone": "0612345678", "sharing_allowed": false},
        "incident_date_start": "2024-03-01T09:30:00+01:00",
    });
    let request = Request::post("/signals/v1/public/signals/")
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/json")
        .header("x-forwarded-for", "192.0.2.1")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("body");
    let answer: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["id"].as_i64().expect("id") as i32
}

/// The envelopes of a signal's outbox events, oldest first, as the relay sends them.
async fn outbox_bodies(pool: &pg::Pool, signal_id: i32) -> Vec<String> {
    let client = pool.get().await.expect("connection");
    client
        .query(
            "SELECT json_build_object('event_id', event_id, 'event_type', event_type,
                        'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id,
                        'occurred_at', occurred_at, 'payload', payload)::text
             FROM outbox WHERE aggregate_type = 'signal' AND aggregate_id = $1 ORDER BY id",
            &[&signal_id.to_string()],
        )
        .await
        .expect("outbox")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// A new status for a signal, as a status change writes it: the row, the
/// pointer, `updated_at` and the `signal.status_changed` event.
async fn change_status(pool: &pg::Pool, signal_id: i32, state: &str) {
    let client = pool.get().await.expect("connection");
    client
        .execute(
            "WITH status AS (
                 INSERT INTO signals_status (_signal_id, state, created_by, created_at, updated_at)
                 VALUES ($1, $2, 'medewerker@example.org', clock_timestamp(), clock_timestamp())
                 RETURNING id, created_at),
             signal AS (
                 UPDATE signals_signal s SET status_id = status.id, updated_at = status.created_at
                 FROM status WHERE s.id = $1 RETURNING s.updated_at)
             INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
             SELECT 'signal', $1::text, 'signal.status_changed',
                    jsonb_build_object('signal_id', $1, 'updated_at', signal.updated_at, 'facts',
                                       jsonb_build_object('state', $2::text)),
                    signal.updated_at
             FROM signal",
            &[&signal_id, &state],
        )
        .await
        .expect("status change");
}

/// Routes a signal to the departments with `codes` (a new routing relation).
async fn route_to(pool: &pg::Pool, signal_id: i32, codes: &[&str]) {
    let codes: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    let client = pool.get().await.expect("connection");
    client
        .execute(
            "WITH relation AS (
                 INSERT INTO signals_signaldepartments (_signal_id, relation_type)
                 VALUES ($1, 'routing') RETURNING id),
             members AS (
                 INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
                 SELECT relation.id, d.id FROM relation, signals_department d WHERE d.code = ANY($2))
             UPDATE signals_signal s SET routing_assignment_id = relation.id, updated_at = clock_timestamp()
             FROM relation WHERE s.id = $1",
            &[&signal_id, &codes],
        )
        .await
        .expect("routing");
}

/// Lets departments `codes` see category `main/sub` (`can_view`).
async fn link_category(pool: &pg::Pool, main: &str, sub: &str, codes: &[&str]) {
    let codes: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    pool.get()
        .await
        .expect("connection")
        .execute(
            "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
             SELECT c.id, d.id, false, true
             FROM signals_category c JOIN signals_category m ON m.id = c.parent_id, signals_department d
             WHERE m.slug = $1 AND c.slug = $2 AND d.code = ANY($3)",
            &[&main, &sub, &codes],
        )
        .await
        .expect("category link");
}

const ADMIN: &str = "admin@example.org";

fn searcher<'a>(email: &'a str, departments: &'a [&'a str]) -> NewUser<'a> {
    NewUser {
        email,
        roles: &[("Zoeker", &["sia_read"])],
        departments,
        ..NewUser::default()
    }
}

fn result_ids(page: &Value) -> Vec<i32> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|item| item["id"].as_i64().expect("id") as i32)
        .collect()
}

#[tokio::test]
async fn a_created_signal_is_searchable_once_its_event_is_indexed() {
    let env = SearchEnv::new().await;
    env.office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
    let id = create_signal(
        &env.office.db.pool,
        "afval",
        "container-is-vol",
        "De container bij de school is vol",
        "melder@example.com",
    )
    .await;

    let failed = env.deliver_events(id).await;
    env.refresh().await;
    let (status, page) = env.get_as(ADMIN, &format!("{SEARCH}?q=school")).await;

    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["count"], 1);
    assert_eq!(result_ids(&page), vec![id]);
    let item = &page["results"][0];
    assert_eq!(item["id_display"], format!("SIG-{id}"));
    assert_eq!(item["status"]["state"], "m");
    assert_eq!(item["category"]["sub_slug"], "container-is-vol");
    assert_eq!(item["reporter"]["email"], "melder@example.com");
    assert_eq!(
        item["_links"]["self"]["href"],
        format!("https://api.example.org/signals/v1/private/signals/{id}")
    );
    let document = env.document(id).await.expect("indexed");
    assert_eq!(document["_source"]["state"], "m");
    assert_eq!(document["_source"]["category"]["slug"], "container-is-vol");
    env.cleanup().await;
}

#[tokio::test]
async fn containers_finds_container_and_the_id_and_category_name_are_searched() {
    let env = SearchEnv::new().await;
    env.office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
    let pool = &env.office.db.pool;
    let container = create_signal(
        pool,
        "afval",
        "container-is-vol",
        "De container staat al dagen vol",
        "a@example.com",
    )
    .await;
    let lamp = create_signal(
        pool,
        "wegen-verkeer-straatmeubilair",
        "lantaarnpaal-straatverlichting",
        "Het licht doet het niet meer",
        "b@example.com",
    )
    .await;
    for id in [container, lamp] {
        assert!(env.deliver_events(id).await.is_empty());
    }
    env.refresh().await;

    let (_, containers) = env.get_as(ADMIN, &format!("{SEARCH}?q=containers")).await;
    let (_, by_category) = env
        .get_as(ADMIN, &format!("{SEARCH}?q=straatverlichting"))
        .await;
    let (_, by_id) = env.get_as(ADMIN, &format!("{SEARCH}?q={lamp}")).await;
    let (_, nothing) = env.get_as(ADMIN, &format!("{SEARCH}?q=fietsen")).await;
    let (_, everything) = env.get_as(ADMIN, SEARCH).await;

    assert_eq!(result_ids(&containers), vec![container]);
    assert_eq!(result_ids(&by_category), vec![lamp]);
    assert_eq!(result_ids(&by_id), vec![lamp]);
    assert_eq!(nothing["count"], 0);
    assert_eq!(everything["count"], 2);
    env.cleanup().await;
}

#[tokio::test]
async fn another_department_sees_nothing_not_even_in_the_count() {
    let env = SearchEnv::new().await;
    let pool = &env.office.db.pool;
    link_category(pool, "afval", "container-is-vol", &["ASC"]).await;
    env.office.user(searcher("asc@example.org", &["ASC"])).await;
    env.office.user(searcher("stw@example.org", &["STW"])).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = create_signal(
            pool,
            "afval",
            "container-is-vol",
            &format!("Container {n} is vol"),
            "a@example.com",
        )
        .await;
        assert!(env.deliver_events(id).await.is_empty());
        ids.push(id);
    }
    env.refresh().await;

    let (_, asc) = env
        .get_as("asc@example.org", &format!("{SEARCH}?q=container"))
        .await;
    let (status, stw) = env
        .get_as("stw@example.org", &format!("{SEARCH}?q=container"))
        .await;

    assert_eq!(asc["count"], 3);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stw["count"], 0);
    assert_eq!(stw["results"], json!([]));
    // Contact details are masked for readers without the permission, and
    // searching by them finds nothing.
    assert_eq!(asc["results"][0]["reporter"]["email"], "*****");
    let (_, by_email) = env
        .get_as("asc@example.org", &format!("{SEARCH}?q=a@example.com"))
        .await;
    assert_eq!(by_email["count"], 0);

    // Routing one signal to STW makes it (and only it) visible to STW.
    route_to(pool, ids[1], &["STW"]).await;
    assert!(env.deliver(vec![route_event(ids[1])]).await.is_empty());
    env.refresh().await;
    let (_, routed) = env
        .get_as("stw@example.org", &format!("{SEARCH}?q=container"))
        .await;
    assert_eq!(routed["count"], 1);
    assert_eq!(result_ids(&routed), vec![ids[1]]);
    env.cleanup().await;
}

/// A `signal.routing_changed` envelope (its payload is not read).
fn route_event(signal_id: i32) -> String {
    json!({
        "event_id": uuid::Uuid::new_v4(),
        "event_type": "signal.routing_changed",
        "aggregate_type": "signal",
        "aggregate_id": signal_id.to_string(),
        "occurred_at": "2026-05-04T09:30:00Z",
        "payload": {"signal_id": signal_id}
    })
    .to_string()
}

#[tokio::test]
async fn pages_follow_the_hal_links_and_ordering_is_checked() {
    let env = SearchEnv::new().await;
    env.office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = create_signal(
            &env.office.db.pool,
            "afval",
            "container-is-vol",
            &format!("Volle container nummer {n}"),
            "a@example.com",
        )
        .await;
        ids.push(id);
    }
    let bodies = {
        let mut all = Vec::new();
        for id in &ids {
            all.extend(outbox_bodies(&env.office.db.pool, *id).await);
        }
        all
    };
    assert!(env.deliver(bodies).await.is_empty());
    env.refresh().await;

    let path =
        |page: u32| format!("{SEARCH}?q=container&ordering=created_at&page_size=2&page={page}");
    let (_, first) = env.get_as(ADMIN, &path(1)).await;
    let (_, second) = env.get_as(ADMIN, &path(2)).await;
    let (_, third) = env.get_as(ADMIN, &path(3)).await;
    let (beyond, _) = env.get_as(ADMIN, &path(4)).await;
    let (_, newest_first) = env
        .get_as(
            ADMIN,
            &format!("{SEARCH}?ordering=-created_at&page_size=100"),
        )
        .await;
    let (refused, message) = env
        .get_as(ADMIN, &format!("{SEARCH}?ordering=updated_at"))
        .await;

    assert_eq!(first["count"], 5);
    assert_eq!(result_ids(&first), ids[0..2].to_vec());
    assert_eq!(result_ids(&second), ids[2..4].to_vec());
    assert_eq!(result_ids(&third), ids[4..5].to_vec());
    assert_eq!(
        first["_links"]["next"]["href"],
        "https://api.example.org/signals/v1/private/search/?ordering=created_at&page=2&page_size=2&q=container"
    );
    assert_eq!(first["_links"]["previous"]["href"], Value::Null);
    assert_eq!(third["_links"]["next"]["href"], Value::Null);
    assert_eq!(beyond, StatusCode::NOT_FOUND);
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_eq!(result_ids(&newest_first), reversed);
    assert_eq!(refused, StatusCode::BAD_REQUEST);
    assert_eq!(
        message,
        json!({"ordering": "Cannot order by 'updated_at'!"})
    );
    env.cleanup().await;
}

#[tokio::test]
async fn a_duplicate_or_stale_event_or_snapshot_changes_nothing() {
    let env = SearchEnv::new().await;
    let pool = &env.office.db.pool;
    let id = create_signal(
        pool,
        "afval",
        "container-is-vol",
        "Container vol",
        "a@example.com",
    )
    .await;
    let created = outbox_bodies(pool, id).await;
    assert!(env.deliver(created.clone()).await.is_empty());
    let snapshot = pg::indexed_signals_by_ids(&pool.get().await.expect("connection"), &[id])
        .await
        .expect("read")
        .remove(0);

    change_status(pool, id, "b").await;
    let all = outbox_bodies(pool, id).await;
    let status_changed = all.last().expect("status event").clone();
    assert!(env.deliver(vec![status_changed.clone()]).await.is_empty());
    let after_change = env.document(id).await.expect("indexed");

    // the same event twice, then the old creation event late
    assert!(
        env.deliver(vec![status_changed.clone(), status_changed])
            .await
            .is_empty()
    );
    assert!(env.deliver(created).await.is_empty());
    let after_replays = env.document(id).await.expect("indexed");
    // a snapshot read before the change, written after it (a slow indexer)
    let aliases = vec![env.index.alias().to_owned()];
    let outcomes = env
        .index
        .write(&aliases, &[Change::upsert(snapshot)], false)
        .await
        .expect("write");
    let after_stale = env.document(id).await.expect("indexed");

    assert_eq!(after_change["_source"]["state"], "b");
    assert_eq!(after_replays["_source"], after_change["_source"]);
    assert_eq!(after_replays["_version"], after_change["_version"]);
    assert_eq!(outcomes[&id], Outcome::AlreadyCurrent);
    assert_eq!(after_stale["_source"]["state"], "b");
    assert_eq!(after_stale["_version"], after_change["_version"]);
    env.cleanup().await;
}

#[tokio::test]
async fn a_deleted_signal_leaves_the_index_and_a_late_event_does_not_bring_it_back() {
    let env = SearchEnv::new().await;
    let pool = &env.office.db.pool;
    let id = create_signal(pool, "afval", "container-is-vol", "Vol", "a@example.com").await;
    let created = outbox_bodies(pool, id).await;
    assert!(env.deliver(created.clone()).await.is_empty());
    assert!(env.document(id).await.is_some());

    pool.get()
        .await
        .expect("connection")
        .execute("DELETE FROM signals_signal WHERE id = $1", &[&id])
        .await
        .expect("delete");
    let deleted = json!({
        "event_id": uuid::Uuid::new_v4(), "event_type": "signal.deleted", "aggregate_type": "signal",
        "aggregate_id": id.to_string(), "occurred_at": "2026-05-04T09:30:00Z", "payload": {}
    })
    .to_string();
    assert!(env.deliver(vec![deleted.clone()]).await.is_empty());
    let gone = env.document(id).await;
    assert!(env.deliver(created).await.is_empty());
    assert!(env.deliver(vec![deleted]).await.is_empty());

    assert!(gone.is_none());
    assert!(env.document(id).await.is_none());
    env.cleanup().await;
}

#[tokio::test]
async fn a_rebuild_fills_a_new_index_and_swaps_the_alias_while_search_answers() {
    let env = SearchEnv::new().await;
    env.office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
    let pool = &env.office.db.pool;
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = create_signal(
            pool,
            "afval",
            "container-is-vol",
            &format!("Container {n}"),
            "a@example.com",
        )
        .await;
        assert!(env.deliver_events(id).await.is_empty());
        ids.push(id);
    }
    env.refresh().await;
    let (old, _) = env.index.targets().await.expect("targets");

    let rebuild = reindex::begin(&env.index, 0, false).await.expect("begin");
    let second = reindex::begin(&env.index, 0, false).await;
    let (during, page) = env.get_as(ADMIN, &format!("{SEARCH}?q=container")).await;
    // a change while the rebuild runs reaches both indices
    let late = create_signal(
        pool,
        "afval",
        "container-is-vol",
        "Container laat",
        "a@example.com",
    )
    .await;
    assert!(env.deliver_events(late).await.is_empty());
    change_status(pool, ids[0], "b").await;
    assert!(env.deliver(vec![route_event(ids[0])]).await.is_empty());
    let mut reports = Vec::new();
    let copied = reindex::copy(pool, &env.index, 2, |p| reports.push(p))
        .await
        .expect("copy");
    let dropped = reindex::finish(&env.index, &rebuild).await.expect("finish");
    let (after, swapped) = env.get_as(ADMIN, &format!("{SEARCH}?q=container")).await;
    let (live, building) = env.index.targets().await.expect("targets");

    assert!(matches!(
        second,
        Err(reindex::Error::RebuildInProgress { .. })
    ));
    assert_eq!(during, StatusCode::OK);
    assert_eq!(page["count"], 3);
    assert_eq!(copied, 4);
    assert_eq!(reports.last().map(|p| p.copied), Some(4));
    assert_eq!(reports.len(), 2);
    assert_eq!(after, StatusCode::OK);
    assert_eq!(swapped["count"], 4);
    assert_eq!(live, vec![rebuild.index.clone()]);
    assert!(
        rebuild
            .index
            .starts_with(&format!("{}-", env.index.alias()))
    );
    assert!(building.is_empty());
    assert_eq!(dropped, old);
    for index in &old {
        assert!(
            !env.index
                .client()
                .index_exists(index)
                .await
                .expect("exists")
        );
    }
    assert_eq!(
        env.document(ids[0]).await.expect("indexed")["_source"]["state"],
        "b"
    );

    // the whole run again, as the command does it
    let report = reindex::run(pool, &env.index, 0, 1000, false, |_| {})
        .await
        .expect("run");
    assert_eq!(report.copied, 4);
    assert_eq!(report.dropped, vec![rebuild.index]);
    env.cleanup().await;
}

#[tokio::test]
async fn with_opensearch_unreachable_search_answers_503_and_the_indexer_reports_every_message() {
    let env = SearchEnv::new().await;
    env.office
        .user(NewUser {
            email: ADMIN,
            superuser: true,
            ..NewUser::default()
        })
        .await;
    let pool = &env.office.db.pool;
    let id = create_signal(pool, "afval", "container-is-vol", "Vol", "a@example.com").await;
    let down = SignalIndex::new(
        SearchClient::new(&SearchConfig {
            url: "http://127.0.0.1:9".into(),
        })
        .expect("client"),
        env.index.alias(),
    );
    let app = search_app(&env.office, down.clone());
    let indexer = Indexer {
        pool: pool.clone(),
        index: down,
        replicas: 0,
    };
    let mut bodies = outbox_bodies(pool, id).await;
    bodies.push("{not an envelope".to_owned());
    bodies.push(route_event(id));

    let (status, body) = get(&app, &env.office.token(ADMIN), &format!("{SEARCH}?q=vol")).await;
    let response = indexer.handle(sqs_event(&bodies)).await.expect("handled");
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    // with OpenSearch back, only the malformed message fails
    let recovered = env.deliver(bodies).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"detail": "De zoekdienst is tijdelijk niet bereikbaar."})
    );
    let mut failed_sorted = failed.clone();
    failed_sorted.sort();
    assert_eq!(failed_sorted, vec!["m0", "m1", "m2"]);
    assert_eq!(recovered, vec!["m1"]);
    assert!(env.document(id).await.is_some());
    env.cleanup().await;
}

#[tokio::test]
async fn search_needs_sia_read() {
    let env = SearchEnv::new().await;
    env.office
        .user(NewUser {
            email: "nobody@example.org",
            ..NewUser::default()
        })
        .await;

    let (status, body) = env.get_as("nobody@example.org", SEARCH).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"detail": "Je hebt geen toestemming om deze actie uit te voeren."})
    );
    env.cleanup().await;
}

/// The rows behind search hits: the hits' order, the list's visibility rule
/// checked on the rows themselves (whatever the index says), unknown ids
/// left out.
#[tokio::test]
async fn search_rows_keep_the_hits_order_and_only_what_the_reader_may_see() {
    use signalen_infra::pg::signal_read::{Visibility, visible_signals_by_ids};

    let office = BackOffice::new().await;
    let pool = office.db.pool.clone();
    link_category(&pool, "afval", "container-is-vol", &["STW"]).await;
    let seen = create_signal(
        &pool,
        "afval",
        "container-is-vol",
        "De container is vol",
        "a@example.org",
    )
    .await;
    let hidden = create_signal(
        &pool,
        "afval",
        "grofvuil",
        "Grofvuil op de stoep",
        "b@example.org",
    )
    .await;
    let routed = create_signal(
        &pool,
        "afval",
        "grofvuil",
        "Grofvuil bij de brug",
        "c@example.org",
    )
    .await;
    route_to(&pool, routed, &["STW"]).await;
    let client = pool.get().await.expect("connection");
    // The visibility of an employee of the department, as the handlers
    // decide it: from the user the per-request lookup loads.
    let department = async |email: &'static str, code: &'static str| {
        office
            .user(NewUser {
                email,
                departments: &[code],
                ..NewUser::default()
            })
            .await;
        let users = pg::users_by_login(&client, email).await.expect("user");
        Visibility::of(&users[0])
    };
    let stw = department("stw@example.org", "STW").await;
    let other = department("asc@example.org", "ASC").await;
    let hits = [routed, hidden, 999_999_999, seen];

    let ids = |rows: Vec<pg::signal_read::SignalRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(visible_signals_by_ids(&client, &hits, &Visibility::All)
            .await
            .expect("rows")),
        [routed, hidden, seen]
    );
    assert_eq!(
        ids(visible_signals_by_ids(&client, &hits, &stw)
            .await
            .expect("rows")),
        [routed, seen]
    );
    assert!(
        visible_signals_by_ids(&client, &hits, &other)
            .await
            .expect("rows")
            .is_empty()
    );
    // The rows are the list's: the routed one carries its routing.
    let rows = visible_signals_by_ids(&client, &[routed], &stw)
        .await
        .expect("rows");
    assert_eq!(
        rows[0].routing_departments.as_ref().expect("routing")[0]["code"],
        "STW"
    );
    drop(client);
    office.cleanup().await;
}
