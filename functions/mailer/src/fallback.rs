//! The built-in texts for a status mail whose template the municipality
//! did not store (spec 11 §11.2 "Fallbacks"). Our own wording; unlike the
//! reference's fallback files they use only variables the context has, so
//! the description and the address are not left empty.

use signalen_domain::mail::StatusMail;

/// The subject template: the reference's fallback subject with the signal
/// number as a variable.
pub fn title(action: StatusMail) -> String {
    action.fallback_subject("{{ formatted_signal_id }}")
}

/// The body template (Markdown with template syntax), one letter for all
/// status mails.
pub const BODY: &str = r#"Geachte melder,

{% if status_state == "m" %}Bedankt voor uw melding. Wij hebben die op {{ created_at|date:"j F Y" }} om {{ created_at|date:"H.i" }} uur ontvangen.{% else %}Er is nieuws over uw melding {{ formatted_signal_id }}.{% endif %}
{% if afhandelings_text %}
{{ afhandelings_text }}
{% endif %}{% if status_state != "m" and status_text %}
{{ status_text }}
{% endif %}{% if positive_feedback_url %}
Bent u tevreden met hoe uw melding is afgehandeld? Laat het ons weten:
[Ja, ik ben tevreden]({{ positive_feedback_url }}) of [Nee, ik ben niet tevreden]({{ negative_feedback_url }}).
{% endif %}
**Gegevens van uw melding**

- Nummer: {{ formatted_signal_id }}
- Gemeld op: {{ created_at|date:"j F Y, H.i" }} uur
- Omschrijving: {{ text }}{% if address %}
- Locatie: {{ address|format_address:"O hlT, P W" }}{% endif %}

Met vriendelijke groet,

{{ ORGANIZATION_NAME }}
"#;
