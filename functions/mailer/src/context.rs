//! The template context of a status mail (spec 11 §11.3 and the
//! per-action additions of §11.4).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use signalen_domain::mail::StatusMail;
use signalen_infra::pg::mail::{StatusMailRow, SubmittedFeedback};
use signalen_mail::{Context, Suspicious, Value, mask_email, mask_phone, sanitise};

use crate::settings::MailSettings;

/// The signal's texts and address with encoded characters decoded and
/// links removed (anti-phishing, spec 11 §11.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Sanitised {
    pub text: String,
    pub text_extra: String,
    pub address: Option<Json>,
}

impl Sanitised {
    /// `Err` when encoded characters survive decoding: the mail is not sent.
    pub fn of(row: &StatusMailRow) -> Result<Self, Suspicious> {
        Ok(Self {
            text: sanitise(&row.text)?,
            text_extra: sanitise(&row.text_extra)?,
            address: row.address.as_ref().map(sanitise_strings).transpose()?,
        })
    }
}

fn sanitise_strings(value: &Json) -> Result<Json, Suspicious> {
    Ok(match value {
        Json::String(s) => Json::String(sanitise(s)?),
        Json::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                out.insert(key.clone(), sanitise_strings(value)?);
            }
            Json::Object(out)
        }
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(sanitise_strings)
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// What an action adds to the common context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extras {
    /// Rule 1: reporter details, masked, and the wizard's answers.
    Created,
    /// Rule 2: the KTO links of the feedback request it created.
    Handled {
        positive_feedback_url: String,
        negative_feedback_url: String,
    },
    /// Rule 4: the newest submitted feedback.
    Reopened,
    /// Rule 5: the status text as `afhandelings_text`.
    Optional,
    /// Rule 7: the status text as `reaction_request_answer`.
    ReactionReceived,
    /// Rule 8: the newest submitted feedback.
    HandledNegativeContact,
    /// Rule 3 adds nothing.
    Nothing,
}

impl Extras {
    /// The extras of an action that creates no rows.
    pub fn of(action: StatusMail) -> Self {
        match action {
            StatusMail::Created => Extras::Created,
            StatusMail::Reopened => Extras::Reopened,
            StatusMail::Optional => Extras::Optional,
            StatusMail::ReactionReceived => Extras::ReactionReceived,
            StatusMail::HandledNegativeContact => Extras::HandledNegativeContact,
            StatusMail::Handled | StatusMail::Scheduled => Extras::Nothing,
        }
    }
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::Str(s.to_owned()))
}

/// The context: the action's additions first, then the common keys, which
/// an addition cannot override (spec 11 §11.3).
pub fn build(
    settings: &MailSettings,
    row: &StatusMailRow,
    sanitised: &Sanitised,
    extras: &[Extras],
    now: DateTime<Utc>,
) -> Context {
    let mut context = Context::new(now);
    let status_text = row.status_text.clone().unwrap_or_default();
    for extras in extras {
        add_extras(&mut context, row, extras, &status_text);
    }
    common(&mut context, settings, row, sanitised, status_text);
    context
}

fn add_extras(context: &mut Context, row: &StatusMailRow, extras: &Extras, status_text: &str) {
    match extras {
        Extras::Created => {
            context.insert(
                "afhandelings_text",
                text(row.category_handling_message.as_deref()),
            );
            if let Some(phone) = row.reporter_phone.as_deref().filter(|p| !p.is_empty()) {
                context.insert("reporter_phone", Value::Str(mask_phone(phone)));
            }
            if let Some(email) = row.reporter_email.as_deref().filter(|e| !e.is_empty()) {
                context.insert("reporter_email", Value::Str(mask_email(email)));
            }
            context.insert(
                "reporter_sharing_allowed",
                Value::Bool(row.reporter_sharing_allowed),
            );
            context.insert(
                "extra_properties",
                extra_properties(row.extra_properties.as_ref()),
            );
        }
        Extras::Handled {
            positive_feedback_url,
            negative_feedback_url,
        } => {
            context.insert(
                "positive_feedback_url",
                Value::Str(positive_feedback_url.clone()),
            );
            context.insert(
                "negative_feedback_url",
                Value::Str(negative_feedback_url.clone()),
            );
        }
        Extras::Reopened => {
            context.insert("feedback_received", Value::Bool(row.feedback.is_some()));
            feedback(context, row.feedback.as_ref());
        }
        Extras::Optional => {
            context.insert("afhandelings_text", Value::Str(status_text.to_owned()));
        }
        Extras::ReactionReceived => {
            context.insert(
                "reaction_request_answer",
                Value::Str(status_text.to_owned()),
            );
        }
        Extras::HandledNegativeContact => {
            context.insert(
                "feedback_allows_contact",
                row.feedback
                    .as_ref()
                    .map_or(Value::Null, |f| Value::Bool(f.allows_contact)),
            );
            feedback(context, row.feedback.as_ref());
        }
        Extras::Nothing => {}
    }
}

fn common(
    context: &mut Context,
    settings: &MailSettings,
    row: &StatusMailRow,
    sanitised: &Sanitised,
    status_text: String,
) {
    context.insert("signal_id", Value::Int(row.signal_id.into()));
    context.insert(
        "formatted_signal_id",
        Value::Str(settings.formatted_id(row.signal_id)),
    );
    context.insert("created_at", Value::DateTime(row.created_at));
    context.insert(
        "incident_date_start",
        Value::DateTime(row.incident_date_start),
    );
    context.insert("text", Value::Str(sanitised.text.clone()));
    context.insert("text_extra", Value::Str(sanitised.text_extra.clone()));
    context.insert(
        "address",
        sanitised.address.clone().map_or(Value::Null, Value::from),
    );
    context.insert("status_text", Value::Str(status_text));
    context.insert("status_state", Value::Str(row.state.clone()));
    context.insert(
        "handling_message",
        text(row.stored_handling_message.as_deref()),
    );
    context.insert(
        "ORGANIZATION_NAME",
        Value::Str(settings.organization_name.clone()),
    );
    let main_public_name = row
        .main_category_public_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(row.main_category_name.as_deref())
        .unwrap_or("");
    context.insert(
        "main_category_public_name",
        Value::Str(main_public_name.to_owned()),
    );
    let sub_public_name = row
        .category_public_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(&row.category_name);
    context.insert(
        "sub_category_public_name",
        Value::Str(sub_public_name.to_owned()),
    );
    context.insert("source", Value::Str(row.source.clone()));
}

fn feedback(context: &mut Context, feedback: Option<&SubmittedFeedback>) {
    let (is_satisfied, text_, text_extra, text_list) = match feedback {
        None => (Value::Null, Value::Null, Value::Null, Value::Null),
        Some(f) => (
            f.is_satisfied.map_or(Value::Null, Value::Bool),
            text(f.text.as_deref()),
            text(f.text_extra.as_deref()),
            Value::List(f.text_list.iter().cloned().map(Value::Str).collect()),
        ),
    };
    context.insert("feedback_is_satisfied", is_satisfied);
    context.insert("feedback_text", text_);
    context.insert("feedback_text_extra", text_extra);
    context.insert("feedback_text_list", text_list);
}

/// The wizard's answers as the reference hands them to the template: each
/// question's label → a list of answer strings (spec 11 §11.4).
pub fn extra_properties(extra_properties: Option<&Json>) -> Value {
    let mut out = Map::new();
    for item in extra_properties
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(label) = item.get("label").and_then(Json::as_str) else {
            continue;
        };
        let answers = match item.get("answer") {
            Some(Json::Array(answers)) => answers.iter().map(answer).collect(),
            Some(one) => vec![answer(one)],
            None => vec![answer(&Json::Null)],
        };
        out.insert(label.to_owned(), Json::Array(answers));
    }
    Value::from(Json::Object(out))
}

/// The first non-empty of `label`, `value`, `answer`, `id`, `type`; a bare
/// `{location}` is "Locatie gepind op de kaart"; nothing is "-".
fn answer(answer: &Json) -> Json {
    let truthy = |v: &Json| match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
        Json::Number(n) => n.as_f64() != Some(0.0),
    };
    match answer {
        Json::String(_) => answer.clone(),
        Json::Object(map) => {
            for key in ["label", "value", "answer", "id", "type"] {
                if let Some(v) = map.get(key).filter(|v| truthy(v)) {
                    return v.clone();
                }
            }
            if map.len() == 1 && map.contains_key("location") {
                Json::String("Locatie gepind op de kaart".to_owned())
            } else if map.is_empty() {
                Json::String("-".to_owned())
            } else {
                answer.clone()
            }
        }
        other if truthy(other) => other.clone(),
        _ => Json::String("-".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_become_the_strings_the_reference_shows() {
        let props = json!([
            {"id": "q1", "label": "Wat is er aan de hand?", "answer": "Vol",
             "category_url": "/x"},
            {"id": "q2", "label": "Welke containers?",
             "answer": [{"id": "c1", "label": "Glas"}, {"id": "c2", "value": "Papier"},
                        {"type": "plastic"}],
             "category_url": "/x"},
            {"id": "q3", "label": "Waar?", "answer": {"location": {"lat": 52.0}},
             "category_url": "/x"},
            {"id": "q4", "label": "Leeg", "answer": {}, "category_url": "/x"},
        ]);
        let expected = Value::from(json!({
            "Wat is er aan de hand?": ["Vol"],
            "Welke containers?": ["Glas", "Papier", "plastic"],
            "Waar?": ["Locatie gepind op de kaart"],
            "Leeg": ["-"],
        }));
        assert_eq!(extra_properties(Some(&props)), expected);
        assert_eq!(extra_properties(None), Value::from(json!({})));
    }
}
