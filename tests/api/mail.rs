use signalen_infra::ses::Email;

use crate::helpers::{sent_mail, test_mailer};

#[tokio::test]
async fn an_email_sent_through_ses_is_recorded_with_its_recipient_subject_and_body() {
    let (mailer, from) = test_mailer().await;
    let email = Email {
        to: "melder@example.org".to_owned(),
        subject: "Bedankt voor uw melding SIG-1".to_owned(),
        text: "Wij hebben uw melding ontvangen.".to_owned(),
        html: Some("<p>Wij hebben uw melding <b>ontvangen</b>.</p>".to_owned()),
    };

    let message_id = mailer.send(&email).await.expect("send");

    let sent = sent_mail().await;
    let message = sent
        .iter()
        .find(|m| m["id"] == message_id.as_str())
        .unwrap_or_else(|| panic!("message {message_id} not among {sent:?}"));
    assert_eq!(message["source"], from.as_str());
    assert_eq!(
        message["destinations"]["ToAddresses"][0],
        "melder@example.org"
    );
    assert_eq!(message["subject"], "Bedankt voor uw melding SIG-1");
    assert!(
        message["body"]
            .as_str()
            .is_some_and(|b| b.contains("<b>ontvangen</b>")),
        "{message}"
    );
}

#[tokio::test]
async fn an_unverified_sender_is_refused() {
    let (_, verified) = test_mailer().await;
    let config = crate::helpers::sdk_config().await;
    let stranger = signalen_infra::ses::Mailer::new(&config, format!("x{verified}"));
    let email = Email {
        to: "melder@example.org".to_owned(),
        subject: "s".to_owned(),
        text: "t".to_owned(),
        html: None,
    };

    let refused = stranger.send(&email).await;

    assert!(refused.is_err(), "{refused:?}");
}
