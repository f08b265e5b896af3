//! Signals written straight into the tables (the documented pattern:
//! signal, sub-records, then the current pointers, in one transaction), for
//! the tests of jobs that read or delete whole signals: the datawarehouse
//! export and retention.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use signalen_infra::pg::{self, GenericClient};

/// A signal to write; [`SeedSignal::new`] gives a plain open one.
#[derive(Debug, Clone)]
pub struct SeedSignal {
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub state: &'static str,
    pub state_at: DateTime<Utc>,
    pub status_text: Option<String>,
    pub status_by: Option<String>,
    pub main_slug: &'static str,
    pub sub_slug: &'static str,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub email_anonymized: bool,
    pub phone_anonymized: bool,
    pub reporter_at: Option<DateTime<Utc>>,
    pub parent: Option<i32>,
    pub stadsdeel: Option<&'static str>,
    pub area_code: Option<&'static str>,
    pub address: Option<Value>,
    pub extra_properties: Option<Value>,
    pub priority: &'static str,
    pub kind: &'static str,
}

impl SeedSignal {
    pub fn new(text: &str) -> Self {
        let at = Utc::now() - Duration::days(1);
        SeedSignal {
            text: text.to_owned(),
            created_at: at,
            state: "m",
            state_at: at,
            status_text: None,
            status_by: None,
            main_slug: "afval",
            sub_slug: "grofvuil",
            email: None,
            phone: None,
            email_anonymized: false,
            phone_anonymized: false,
            reporter_at: None,
            parent: None,
            stadsdeel: None,
            area_code: None,
            address: None,
            extra_properties: None,
            priority: "normal",
            kind: "SIG",
        }
    }

    pub fn in_state(mut self, state: &'static str, days_ago: i64) -> Self {
        self.state = state;
        self.state_at = Utc::now() - Duration::days(days_ago);
        if self.created_at > self.state_at {
            self.created_at = self.state_at - Duration::hours(1);
        }
        self
    }

    pub fn reporter(mut self, email: Option<&str>, phone: Option<&str>, days_ago: i64) -> Self {
        self.email = email.map(str::to_owned);
        self.phone = phone.map(str::to_owned);
        self.reporter_at = Some(Utc::now() - Duration::days(days_ago));
        self
    }
}

/// The ids of the rows written.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub signal: i32,
    pub location: i32,
    pub status: i32,
    pub reporter: i32,
}

async fn one_id(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn pg::tokio_postgres::types::ToSql + Sync)],
) -> i32 {
    client
        .query_one(sql, params)
        .await
        .unwrap_or_else(|e| panic!("seed `{sql}`: {e:?}"))
        .get(0)
}

pub async fn seed_signal(client: &mut pg::Client, s: &SeedSignal) -> Seeded {
    let tx = client.transaction().await.expect("begin");
    let signal = one_id(
        &tx,
        "INSERT INTO signals_signal (text, incident_date_start, created_at, updated_at, parent_id, extra_properties)
         VALUES ($1, $2, $2, $2, $3, $4) RETURNING id",
        &[&s.text, &s.created_at, &s.parent, &s.extra_properties],
    )
    .await;
    let address_text = s.address.as_ref().map(|a| {
        format!(
            "{} {} {}",
            a["openbare_ruimte"].as_str().unwrap_or_default(),
            a["huisnummer"],
            a["woonplaats"].as_str().unwrap_or_default()
        )
    });
    let location = one_id(
        &tx,
        "INSERT INTO signals_location (_signal_id, geometrie, stadsdeel, area_code, area_name, buurt_code,
                                       address, address_text, created_at, updated_at)
         VALUES ($1, ST_SetSRID(ST_MakePoint(4.8951, 52.3702), 4326), $2, $3, $4, 'A00a', $5, $6, $7, $7)
         RETURNING id",
        &[&signal, &s.stadsdeel, &s.area_code, &s.area_code.map(|c| format!("Gebied {c}")), &s.address, &address_text, &s.created_at],
    )
    .await;
    let first_status = one_id(
        &tx,
        "INSERT INTO signals_status (_signal_id, state, created_at, updated_at) VALUES ($1, 'm', $2, $2) RETURNING id",
        &[&signal, &s.created_at],
    )
    .await;
    let status = if s.state == "m" {
        first_status
    } else {
        one_id(
            &tx,
            "INSERT INTO signals_status (_signal_id, state, text, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            &[&signal, &s.state, &s.status_text, &s.status_by, &s.state_at],
        )
        .await
    };
    let category_assignment = one_id(
        &tx,
        "INSERT INTO signals_categoryassignment (_signal_id, category_id, created_at, updated_at, deadline,
                                                 deadline_factor_3)
         SELECT $1, sub.id, $4::timestamptz, $4::timestamptz, $4::timestamptz + interval '3 days',
                $4::timestamptz + interval '9 days'
         FROM signals_category sub JOIN signals_category main ON main.id = sub.parent_id
         WHERE main.slug = $2 AND sub.slug = $3
         RETURNING id",
        &[&signal, &s.main_slug, &s.sub_slug, &s.created_at],
    )
    .await;
    let reporter_at = s.reporter_at.unwrap_or(s.created_at);
    let reporter = one_id(
        &tx,
        "INSERT INTO signals_reporter (_signal_id, email, phone, email_anonymized, phone_anonymized, state,
                                       created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'approved', $6, $6) RETURNING id",
        &[&signal, &s.email, &s.phone, &s.email_anonymized, &s.phone_anonymized, &reporter_at],
    )
    .await;
    let priority = one_id(
        &tx,
        "INSERT INTO signals_priority (_signal_id, priority, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        &[&signal, &s.priority, &s.created_at],
    )
    .await;
    let kind = one_id(
        &tx,
        "INSERT INTO signals_type (_signal_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        &[&signal, &s.kind, &s.created_at],
    )
    .await;
    tx.execute(
        "UPDATE signals_signal SET location_id = $2, status_id = $3, category_assignment_id = $4, reporter_id = $5,
                                   priority_id = $6, type_assignment_id = $7
         WHERE id = $1",
        &[&signal, &location, &status, &category_assignment, &reporter, &priority, &kind],
    )
    .await
    .expect("set the pointers");
    tx.commit().await.expect("commit the seeded signal");
    Seeded {
        signal,
        location,
        status,
        reporter,
    }
}
