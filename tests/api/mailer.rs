//! The mailer on the real stack (spec 11; docs/mail.md): outbox events of
//! real creates and PATCHes handed to it as SQS batches, mails read back
//! from the local SES (moto). Each test has its own database and its own
//! sender address, and finds its mails by their unique recipients.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use mailer::{MailSettings, Mailer};
use serde_json::json;
use signalen_domain::mail::MailFlags;
use signalen_infra::pg::mail::{StoredEmailTemplate, put_email_template};

use crate::auth::{BackOffice, NewUser};
use crate::fixtures::{citizen_report, sqs_event};
use crate::helpers::{sent_mail, test_mailer, unique_name};

const CONTAINER_IS_VOL: &str = "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol";
const HANDLER: &str = "behandelaar@example.org";
const PERMISSIONS: &[&str] = &[
    "sia_read",
    "sia_write",
    "sia_signal_change_status",
    "sia_can_view_all_categories",
];

struct MailEnv {
    office: BackOffice,
    mailer: Mailer,
}

impl MailEnv {
    async fn new() -> Self {
        Self::with_flags(MailFlags::default()).await
    }

    async fn with_flags(flags: MailFlags) -> Self {
        let office = BackOffice::with_app(|pool, auth| {
            private_signals::router(private_signals::AppState::new(pool, auth))
        })
        .await;
        office
            .user(NewUser {
                email: HANDLER,
                roles: &[(HANDLER, PERMISSIONS)],
                ..NewUser::default()
            })
            .await;
        let (ses, from) = test_mailer().await;
        let mailer = Mailer {
            pool: office.db.pool.clone(),
            ses,
            settings: Arc::new(MailSettings {
                from,
                frontend_url: "https://meldingen.example.org".to_owned(),
                organization_name: "Gemeente Voorbeeld".to_owned(),
                id_prefix: "SIG-".to_owned(),
                flags,
            }),
        };
        Self { office, mailer }
    }

    /// A citizen's report through the public router; its id.
    async fn report(&self, email: Option<&str>, text: &str) -> i32 {
        let body = json!({
            "text": text,
            "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                         "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN",
                                     "woonplaats": "Amsterdam"}},
            "category": {"sub_category": CONTAINER_IS_VOL},
            "reporter": {"email": email, "phone": "0612345678", "sharing_allowed": false},
            "incident_date_start": "2024-03-01T09:30:00+01:00"
        });
        citizen_report(&self.office.db.pool, &body).await
    }

    async fn set_status(&self, id: i32, state: &str, text: &str, send_email: bool) {
        let (status, body) = self
            .office
            .send_json_as(
                HANDLER,
                Method::PATCH,
                &format!("/signals/v1/private/signals/{id}"),
                &json!({"status": {"state": state, "text": text, "send_email": send_email}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The mailer's events of `signal_id` not yet handed over, as the relay
    /// publishes them to the mail queue (only the types it subscribes to).
    async fn events(&self, signal_id: i32) -> Vec<String> {
        self.office
            .db
            .client()
            .await
            .query(
                "SELECT json_build_object('event_id', event_id, 'event_type', event_type,
                            'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id,
                            'occurred_at', occurred_at, 'payload', payload)::text
                 FROM outbox WHERE aggregate_type = 'signal' AND aggregate_id = $1
                   AND event_type IN ('signal.created', 'signal.status_changed')
                 ORDER BY id",
                &[&signal_id.to_string()],
            )
            .await
            .expect("outbox")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Hands `bodies` to the mailer as one batch; the failed message ids.
    async fn deliver(&self, bodies: &[String]) -> Vec<String> {
        self.mailer
            .handle(sqs_event(bodies))
            .await
            .expect("the batch is handled")
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    async fn notes(&self, signal_id: i32) -> Vec<String> {
        self.office
            .db
            .client()
            .await
            .query(
                "SELECT text FROM signals_note WHERE _signal_id = $1 ORDER BY id",
                &[&signal_id],
            )
            .await
            .expect("notes")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    async fn store_template(&self, key: &str, title: &str, body: &str) {
        let client = self.office.db.client().await;
        put_email_template(
            &client,
            &StoredEmailTemplate {
                key: key.to_owned(),
                title: title.to_owned(),
                body: body.to_owned(),
            },
            Some("beheerder@example.org"),
        )
        .await
        .expect("template stored");
    }

    async fn cleanup(self) {
        self.office.cleanup().await;
    }
}

/// A recipient no other test uses.
fn recipient() -> String {
    format!("{}@example.org", unique_name("melder"))
}

/// The mails SES took for `to`: `(subject, body)`.
async fn mails_to(to: &str) -> Vec<(String, String)> {
    sent_mail()
        .await
        .iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to)
        .map(|m| {
            (
                m["subject"].as_str().unwrap_or_default().to_owned(),
                m["body"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_new_report_gets_one_confirmation_however_often_its_event_arrives() {
    let env = MailEnv::new().await;
    let to = recipient();
    let id = env.report(Some(&to), "De container is vol.").await;
    let events = env.events(id).await;
    assert_eq!(events.len(), 1, "{events:?}");

    assert!(env.deliver(&events).await.is_empty());
    // A redelivery (an SQS retry, a relay retry, a DLQ replay) and two
    // copies in one batch change nothing.
    let twice = [events[0].clone(), events[0].clone()];
    assert!(env.deliver(&twice).await.is_empty());

    let mails = mails_to(&to).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (subject, body) = &mails[0];
    assert_eq!(subject, &format!("Bedankt voor uw melding SIG-{id}"));
    assert!(body.contains("De container is vol."), "{body}");
    assert!(body.contains("Gemeente Voorbeeld"), "{body}");
    assert!(body.contains("Amstel 1, 1011 PN Amsterdam"), "{body}");
    assert_eq!(
        env.notes(id).await,
        ["Automatische e-mail bij registratie van de melding is verzonden aan de melder."]
    );
    let client = env.office.db.client().await;
    let delivery = client
        .query_one(
            "SELECT template_key, stored_template FROM mail_delivery WHERE _signal_id = $1",
            &[&id],
        )
        .await
        .expect("one delivery record");
    assert_eq!(delivery.get::<_, String>(0), "signal_created");
    assert!(!delivery.get::<_, bool>(1));
    drop(client);
    env.cleanup().await;
}

#[tokio::test]
async fn the_municipalitys_stored_template_is_rendered_with_dutch_dates_and_masked_contact() {
    let env = MailEnv::new().await;
    env.store_template(
        "signal_created",
        "Uw melding {{ formatted_signal_id }} bij {{ ORGANIZATION_NAME }}",
        "# Bedankt!\n\nU meldde op {{ created_at|date:\"l j F Y\" }}: *{{ text }}*\n\n\
         Wij mailen u op {{ reporter_email }} en bellen {{ reporter_phone }}.\n\n\
         {% if extra_properties %}Met antwoorden.{% else %}Zonder antwoorden.{% endif %}\n",
    )
    .await;
    let to = recipient();
    let id = env.report(Some(&to), "Er staat <b>afval</b> naast.").await;

    assert!(env.deliver(&env.events(id).await).await.is_empty());

    let mails = mails_to(&to).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (subject, body) = &mails[0];
    assert_eq!(
        subject,
        &format!("Uw melding SIG-{id} bij Gemeente Voorbeeld")
    );
    assert!(body.contains("<h1>Bedankt!</h1>"), "{body}");
    // The HTML part escapes what the citizen typed.
    assert!(body.contains("&lt;b&gt;afval&lt;/b&gt;"), "{body}");
    assert!(!body.contains("<b>afval</b>"), "{body}");
    // The report was created now; its weekday and month are Dutch.
    let months = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    assert!(months.iter().any(|m| body.contains(m)), "{body}");
    assert!(
        !to[1..to.len() - 1].is_empty() && !body.contains(&to),
        "{body}"
    );
    assert!(body.contains("678"), "{body}");
    let client = env.office.db.client().await;
    let stored: bool = client
        .query_one(
            "SELECT stored_template FROM mail_delivery WHERE _signal_id = $1",
            &[&id],
        )
        .await
        .expect("delivery")
        .get(0);
    assert!(stored);
    drop(client);
    env.cleanup().await;
}

#[tokio::test]
async fn status_mails_follow_the_rules_on_the_status_that_triggered_them() {
    let env = MailEnv::new().await;
    let to = recipient();
    let id = env.report(Some(&to), "Losliggende stoeptegel.").await;
    env.set_status(id, "i", "We wachten op de aannemer.", true)
        .await;
    env.set_status(id, "b", "We gaan aan de slag.", false).await;
    env.set_status(id, "o", "De tegel ligt weer vast.", false)
        .await;
    // Reopened before the mailer ran: the handled mail still goes out for
    // the `o` row, the reopened mail for its own.
    env.set_status(id, "reopened", "We kijken nog eens.", false)
        .await;

    assert!(env.deliver(&env.events(id).await).await.is_empty());

    let subjects: Vec<String> = mails_to(&to).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        subjects,
        [
            format!("Bedankt voor uw melding SIG-{id}"),
            format!("Meer over uw melding SIG-{id}"),
            format!("Meer over uw melding SIG-{id}"),
            format!("Meer over uw melding SIG-{id}"),
        ],
        "created, optional (i with send_email), handled, reopened; not b without send_email"
    );
    let mails = mails_to(&to).await;
    assert!(
        mails[1].1.contains("We wachten op de aannemer."),
        "{}",
        mails[1].1
    );
    let handled = &mails[2].1;
    let client = env.office.db.client().await;
    let tokens: Vec<String> = client
        .query(
            "SELECT token FROM feedback_feedback WHERE _signal_id = $1",
            &[&id],
        )
        .await
        .expect("feedback")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tokens.len(), 1, "one KTO request, for the handled mail");
    assert!(
        handled.contains(&format!(
            "https://meldingen.example.org/kto/ja/{}",
            tokens[0]
        )),
        "{handled}"
    );
    assert!(
        handled.contains(&format!(
            "https://meldingen.example.org/kto/nee/{}",
            tokens[0]
        )),
        "{handled}"
    );
    assert_eq!(
        env.notes(id).await,
        [
            "Automatische e-mail bij registratie van de melding is verzonden aan de melder.",
            "De statusupdate is per e-mail verzonden aan de melder",
            "Automatische e-mail bij afhandelen is verzonden aan de melder.",
            "Automatische e-mail bij heropenen is verzonden aan de melder.",
        ]
    );
    drop(client);
    env.cleanup().await;
}

#[tokio::test]
async fn no_mail_without_an_address_or_after_the_reporter_refused_contact() {
    let env = MailEnv::new().await;
    let anonymous = env.report(None, "Kapotte lantaarnpaal.").await;
    assert!(env.deliver(&env.events(anonymous).await).await.is_empty());
    assert!(env.notes(anonymous).await.is_empty());

    let to = recipient();
    let id = env.report(Some(&to), "Kapotte bank.").await;
    let client = env.office.db.client().await;
    client
        .execute(
            "INSERT INTO feedback_feedback (token, _signal_id, submitted_at, is_satisfied, allows_contact)
             VALUES ($1, $2, now(), false, false)",
            &[&unique_name("token"), &id],
        )
        .await
        .expect("feedback");
    drop(client);
    env.set_status(id, "o", "Bank vervangen.", true).await;
    let events = env.events(id).await;
    // Only the handled mail's event: the confirmation is older than the
    // feedback row, so it is handed over alone first.
    assert!(env.deliver(&events[1..]).await.is_empty());
    assert!(mails_to(&to).await.is_empty());
    env.cleanup().await;
}

#[tokio::test]
async fn encoded_characters_in_the_text_stop_the_mail_and_leave_a_note() {
    let env = MailEnv::new().await;
    let to = recipient();
    let id = env
        .report(
            Some(&to),
            "Klik hier %25252525252525253Cscript%25252525252525253E",
        )
        .await;

    assert!(env.deliver(&env.events(id).await).await.is_empty());

    assert!(mails_to(&to).await.is_empty());
    assert_eq!(
        env.notes(id).await,
        ["E-mail is niet verzonden omdat er verdachte tekens in de meldtekst staan."]
    );
    env.cleanup().await;
}

#[tokio::test]
async fn a_broken_stored_template_fails_the_message_until_it_is_fixed() {
    let env = MailEnv::new().await;
    env.store_template(
        "signal_created",
        "Melding {{ formatted_signal_id }}",
        "{% if text %}open",
    )
    .await;
    let to = recipient();
    let id = env.report(Some(&to), "Grofvuil op de stoep.").await;
    let events = env.events(id).await;

    assert_eq!(env.deliver(&events).await, ["m0"]);
    assert!(mails_to(&to).await.is_empty());
    assert!(
        env.notes(id).await.is_empty(),
        "nothing of the failed attempt is kept"
    );

    env.store_template(
        "signal_created",
        "Melding {{ formatted_signal_id }}",
        "{% if text %}{{ text }}{% endif %}",
    )
    .await;
    assert!(env.deliver(&events).await.is_empty());
    let mails = mails_to(&to).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, format!("Melding SIG-{id}"));
    env.cleanup().await;
}

#[tokio::test]
async fn a_poison_message_fails_alone_and_the_rest_of_its_batch_is_mailed() {
    let env = MailEnv::new().await;
    let to = recipient();
    let id = env.report(Some(&to), "Zwerfvuil.").await;
    let mut batch = vec!["{not an envelope".to_owned()];
    batch.extend(env.events(id).await);
    batch.push(
        json!({"event_id": "00000000-0000-4000-8000-00000000dead", "event_type": "signal.status_changed",
               "aggregate_type": "signal", "aggregate_id": "1", "occurred_at": "2026-01-01T00:00:00Z",
               "payload": {"signal_id": "not a number"}})
        .to_string(),
    );

    assert_eq!(env.deliver(&batch).await, ["m0", "m2"]);
    assert_eq!(mails_to(&to).await.len(), 1);
    env.cleanup().await;
}

#[tokio::test]
async fn scheduling_mails_only_with_the_checkbox_and_shows_the_employees_text() {
    let env = MailEnv::new().await;
    let to = recipient();
    let id = env.report(Some(&to), "Boomtak op het fietspad.").await;
    env.set_status(id, "b", "Opgepakt.", false).await;
    env.set_status(id, "ingepland", "Zonder bericht ingepland.", false)
        .await;
    env.set_status(id, "b", "Terug in behandeling.", false)
        .await;
    env.set_status(id, "ingepland", "De tak wordt donderdag weggehaald.", true)
        .await;

    assert!(env.deliver(&env.events(id).await).await.is_empty());

    let mails = mails_to(&to).await;
    assert_eq!(
        mails.len(),
        2,
        "the confirmation and one scheduled mail: {mails:?}"
    );
    assert_eq!(mails[1].0, format!("Meer over uw melding SIG-{id}"));
    assert!(
        mails[1].1.contains("De tak wordt donderdag weggehaald."),
        "{}",
        mails[1].1
    );
    assert!(!mails[1].1.contains("Zonder bericht"), "{}", mails[1].1);
    assert_eq!(
        env.notes(id).await.last().map(String::as_str),
        Some("Automatische e-mail bij inplannen is verzonden aan de melder.")
    );
    env.cleanup().await;
}
