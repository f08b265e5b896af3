//! The text of a status mail: the municipality's stored template, or the
//! built-in fallback (spec 11 §11.2).

use signalen_domain::mail::StatusMail;
use signalen_infra::pg::mail::{self as store, StoredEmailTemplate};
use signalen_infra::pg::{self, GenericClient};
use signalen_mail::{Context, RenderedEmail, Template, render_email};

use signalen_infra::pg::mail::{StatusMailRow, SubmittedFeedback};

use crate::context::{self, Extras, Sanitised};
use crate::fallback;
use crate::settings::MailSettings;

/// A stored template that does not compile or render. The mail waits (the
/// event ends in the DLQ) until an administrator fixes the template and
/// replays it.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("the stored {part} of e-mail template `{key}` is not valid: {message}")]
    Compile {
        key: String,
        part: &'static str,
        message: String,
    },
    #[error("e-mail template `{key}` does not render: {message}")]
    Render { key: String, message: String },
    #[error("reading e-mail template `{key}` failed")]
    Read {
        key: String,
        #[source]
        source: pg::Error,
    },
}

/// A compiled subject and body.
#[derive(Debug)]
pub enum MailText {
    Stored { title: Template, body: Template },
    Fallback { title: Template, body: Template },
}

impl MailText {
    pub fn is_stored(&self) -> bool {
        matches!(self, MailText::Stored { .. })
    }

    /// Renders subject, text and HTML parts.
    pub fn render(
        &self,
        action: StatusMail,
        context: &Context,
    ) -> Result<RenderedEmail, TemplateError> {
        let (MailText::Stored { title, body } | MailText::Fallback { title, body }) = self;
        render_email(title, body, context).map_err(|e| TemplateError::Render {
            key: action.template_key().to_owned(),
            message: e.to_string(),
        })
    }
}

/// Compiles a stored template's two parts.
pub fn compile(stored: &StoredEmailTemplate) -> Result<(Template, Template), TemplateError> {
    let part = |part: &'static str, source: &str| {
        Template::compile(source).map_err(|e| TemplateError::Compile {
            key: stored.key.clone(),
            part,
            message: e.to_string(),
        })
    };
    Ok((part("title", &stored.title)?, part("body", &stored.body)?))
}

/// The text of `action`: the stored template if there is one.
pub async fn for_action(
    client: &impl GenericClient,
    action: StatusMail,
) -> Result<MailText, TemplateError> {
    let key = action.template_key();
    let stored =
        store::email_template(client, key)
            .await
            .map_err(|source| TemplateError::Read {
                key: key.to_owned(),
                source,
            })?;
    match stored {
        Some(stored) => {
            let (title, body) = compile(&stored)?;
            Ok(MailText::Stored { title, body })
        }
        None => Ok(fallback_text(action)),
    }
}

/// The built-in text of `action`.
pub fn fallback_text(action: StatusMail) -> MailText {
    // The built-in templates are compiled by the tests below; a failure
    // here is a bug in this crate, not in anyone's data.
    let compile = |source: &str| Template::compile(source).expect("the built-in template compiles");
    MailText::Fallback {
        title: compile(&fallback::title(action)),
        body: compile(fallback::BODY),
    }
}

/// A context with every variable of every status mail filled in with
/// example data (spec 11 §11.2: a template is only stored when it renders
/// against such a context).
pub fn example_context(settings: &MailSettings) -> Context {
    use chrono::TimeZone;
    let at = chrono::Utc
        .with_ymd_and_hms(2024, 3, 1, 9, 30, 0)
        .single()
        .unwrap_or_default();
    let row = StatusMailRow {
        signal_id: 12345,
        signal_uuid: uuid::Uuid::nil(),
        created_at: at,
        incident_date_start: at,
        text: "De container bij de ingang is vol.".to_owned(),
        text_extra: String::new(),
        source: "online".to_owned(),
        extra_properties: Some(serde_json::json!([
            {"id": "extra_container", "label": "Welke container?", "answer": ["Glas"],
             "category_url": "/signals/v1/public/terms/categories/afval"}
        ])),
        address: Some(serde_json::json!({
            "openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
            "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"
        })),
        status_id: 1,
        state: "o".to_owned(),
        status_text: Some("De container is geleegd.".to_owned()),
        send_email: true,
        status_created_at: at,
        is_first_status: false,
        previous_state: Some("b".to_owned()),
        parent_state: None,
        reporter_email: Some("melder@example.org".to_owned()),
        reporter_phone: Some("0612345678".to_owned()),
        reporter_sharing_allowed: false,
        stored_handling_message: Some("Wij handelen uw melding binnen 3 werkdagen af.".to_owned()),
        category_handling_message: Some(
            "Wij handelen uw melding binnen 3 werkdagen af.".to_owned(),
        ),
        category_name: "Container is vol".to_owned(),
        category_public_name: None,
        main_category_name: Some("Afval".to_owned()),
        main_category_public_name: None,
        feedback: Some(SubmittedFeedback {
            allows_contact: true,
            is_satisfied: Some(false),
            text: Some("De container is nog steeds vol".to_owned()),
            text_extra: None,
            text_list: vec!["Er is niets met mijn melding gedaan".to_owned()],
        }),
    };
    let sanitised = Sanitised {
        text: row.text.clone(),
        text_extra: row.text_extra.clone(),
        address: row.address.clone(),
    };
    let extras = [
        Extras::Created,
        Extras::Handled {
            positive_feedback_url: format!("{}/kto/ja/00000000", settings.frontend_url),
            negative_feedback_url: format!("{}/kto/nee/00000000", settings.frontend_url),
        },
        Extras::Reopened,
        Extras::ReactionReceived,
        Extras::HandledNegativeContact,
    ];
    context::build(settings, &row, &sanitised, &extras, at)
}

/// Compiles `stored` and renders it against [`example_context`]: what an
/// administrator's template must pass before it is stored.
pub fn validate(
    stored: &StoredEmailTemplate,
    settings: &MailSettings,
) -> Result<RenderedEmail, TemplateError> {
    let (title, body) = compile(stored)?;
    render_email(&title, &body, &example_context(settings)).map_err(|e| TemplateError::Render {
        key: stored.key.clone(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fallback_compiles() {
        for action in StatusMail::ALL {
            assert!(!fallback_text(action).is_stored());
        }
    }
}
