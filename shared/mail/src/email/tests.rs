//! Pipeline tests. The realistic template's expected subject and text part
//! are what the reference's renderer (Django 4.2 + Python-Markdown +
//! `plaintext.py`) produced for the same template and context.

use chrono::{TimeZone, Utc};

use super::*;
use crate::template::Value;

const TITLE: &str = r#"Bedankt voor uw melding {{ formatted_signal_id }}"#;

const BODY: &str = r#"# Bedankt voor uw melding

Geachte melder,

Op {{ created_at|date:"j F Y" }} om {{ created_at|date:"H.i" }} uur hebt u een melding gedaan bij {{ ORGANIZATION_NAME }}. In deze e-mail leest u wat wij met uw melding gaan doen.

**Wat doen wij met uw melding?**  
{{ afhandelings_text }}

**Uw melding**

- Nummer: {{ formatted_signal_id }}
- Gemeld op: {{ created_at|date:"DATETIME_FORMAT" }}
- Plaats: {% if address %}{{ address|format_address:"O hlT, P W" }}{% else %}Locatie is gepind op de kaart{% endif %}
- Omschrijving: {{ text }}
{% if reporter_email %}- E-mail: {{ reporter_email }}
{% endif %}
Wilt u meer weten? Kijk op [onze website]({{ my_signals_login_url }}).

Met vriendelijke groet,

{{ ORGANIZATION_NAME }}"#;

const REFERENCE_TEXT: &str = r#"Bedankt voor uw melding

Geachte melder,

Op 15 januari 2024 om 09.05 uur hebt u een melding gedaan bij Gemeente Amsterdam. In deze e-mail leest u wat wij met uw melding gaan doen.

Wat doen wij met uw melding?
Wij handelen uw melding binnen 3 werkdagen af.
U hoort van ons.

Uw melding

- Nummer: SIG-123
- Gemeld op: 15 januari 2024 09:05
- Plaats: Amstel 1, 1011 PN Amsterdam
- Omschrijving: Afval & alert('x') bij de "container"
- E-mail: t**t@***t.com

Wilt u meer weten? Kijk op onze website https://meldingen.amsterdam.nl/mijn-meldingen/login?a=1&b=2.

Met vriendelijke groet,

Gemeente Amsterdam"#;

fn context() -> Context {
    let mut ctx = Context::new(
        Utc.with_ymd_and_hms(2024, 1, 15, 8, 10, 0)
            .single()
            .unwrap_or_default(),
    );
    ctx.insert("formatted_signal_id", "SIG-123")
        .insert(
            "created_at",
            Utc.with_ymd_and_hms(2024, 1, 15, 8, 5, 0)
                .single()
                .unwrap_or_default(),
        )
        .insert("ORGANIZATION_NAME", "Gemeente Amsterdam")
        .insert(
            "afhandelings_text",
            "Wij handelen uw melding binnen 3 werkdagen af.\nU hoort van ons.",
        )
        .insert(
            "address",
            Value::from(serde_json::json!({
                "openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"
            })),
        )
        .insert(
            "text",
            "Afval & <script>alert('x')</script> bij de \"container\"",
        )
        .insert("reporter_email", crate::mask_email("test@test.com"))
        .insert(
            "my_signals_login_url",
            "https://meldingen.amsterdam.nl/mijn-meldingen/login?a=1&b=2",
        );
    ctx
}

fn compile(source: &str) -> Template {
    Template::compile(source).unwrap_or_else(|e| panic!("{e}"))
}

fn render(title: &str, body: &str, ctx: &Context) -> RenderedEmail {
    render_email(&compile(title), &compile(body), ctx).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_realistic_dutch_mail_renders_subject_and_text_like_the_reference() {
    let mail = render(TITLE, BODY, &context());
    assert_eq!(mail.subject, "Bedankt voor uw melding SIG-123");
    assert_eq!(mail.text, REFERENCE_TEXT);
}

#[test]
fn the_html_part_is_a_dutch_document_with_heading_list_link_and_breaks() {
    let html = render(TITLE, BODY, &context()).html;
    assert!(html.starts_with(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Bedankt voor uw melding SIG-123</title></head><body><h1>Bedankt voor uw melding</h1>\n<p>Geachte melder,</p>"
    ), "{html}");
    assert!(
        html.ends_with("<p>Gemeente Amsterdam</p>\n</body></html>"),
        "{html}"
    );
    assert!(html.contains("<p><strong>Wat doen wij met uw melding?</strong><br />\nWij handelen uw melding binnen 3 werkdagen af.\nU hoort van ons.</p>"), "{html}");
    assert!(html.contains("<ul>\n<li>Nummer: SIG-123</li>\n<li>Gemeld op: 15 januari 2024 09:05</li>\n<li>Plaats: Amstel 1, 1011 PN Amsterdam</li>"), "{html}");
    assert!(
        html.contains("<li>E-mail: t**t@***t.com</li>\n</ul>"),
        "{html}"
    );
    assert!(html.contains(
        "<a href=\"https://meldingen.amsterdam.nl/mijn-meldingen/login?a=1&amp;b=2\">onze website</a>"
    ), "{html}");
}

#[test]
fn script_in_the_data_is_neutralised_in_the_html_part() {
    let html = render(TITLE, BODY, &context()).html;
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("Afval &amp; &lt;script&gt;alert("), "{html}");
}

/// `(Markdown, the reference's plain text for it)`: constructs on which
/// CommonMark and Python-Markdown agree.
const PLAINTEXT_GOLDEN: &[(&str, &str)] = &[(
    r#"# Kop

Tekst met **vet** en [een link](https://example.com/a?b=1&c=2).
Tweede regel  
na harde breuk.

- een
- twee
    - genest
- drie

![alt tekst](https://example.com/x.png)

1. eerste
2. tweede

Slot <script>alert('x')</script>"#,
    r#"Kop

Tekst met vet en een link https://example.com/a?b=1&c=2.
Tweede regel
na harde breuk.

- een
- twee
  - genest
- drie

alt tekst

- eerste
- tweede

Slot alert('x')"#,
)];

#[test]
fn plain_text_flattening_matches_the_reference() {
    for (markdown, expected) in PLAINTEXT_GOLDEN {
        assert_eq!(markdown_text(markdown), *expected, "{markdown}");
    }
}

#[test]
fn plain_text_flattening_of_loose_nested_and_inline_constructs() {
    let markdown = "Beste bewoner,\n\n1. Zet het afval **niet** neer.\n\n   Gebruik de container.\n2. Bel `14 020`.\n\n> Citaat van *een* buurman  \n> over twee regels\n\nMail <info@example.com> of <https://www.amsterdam.nl/afval>.\n\n---\n\n- buiten\n  - binnen\n    - diepst\n- terug\n\nEinde";
    assert_eq!(
        markdown_text(markdown),
        "Beste bewoner,\n\n- Zet het afval niet neer.\n\nGebruik de container.\n\n- Bel 14 020.\n\n\
         Citaat van een buurman\nover twee regels\n\n\
         Mail info@example.com mailto:info@example.com of https://www.amsterdam.nl/afval https://www.amsterdam.nl/afval.\n\n\
         - buiten\n  - binnen\n    - diepst\n- terug\n\nEinde"
    );
}

#[test]
fn soft_breaks_between_inline_elements_vanish_like_in_the_reference() {
    assert_eq!(markdown_text("**een**\n*twee*"), "eentwee");
    assert_eq!(markdown_text("een\ntwee"), "een\ntwee");
}

#[test]
fn html_in_the_template_or_data_is_shown_not_interpreted() {
    let mut ctx = context();
    ctx.insert("text", "<img src=x onerror=alert(1)>");
    let mail = render(
        "Melding <b>{{ formatted_signal_id }}</b> {{ text }}",
        "<script>steal()</script>\n\n{{ text }}\n\n> geen citaat",
        &ctx,
    );
    assert_eq!(
        mail.subject,
        "Melding <b>SIG-123</b> <img src=x onerror=alert(1)>"
    );
    assert!(
        mail.html.contains(
            "<title>Melding &lt;b&gt;SIG-123&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;</title>"
        ),
        "{}",
        mail.html
    );
    assert!(
        !mail.html.contains("<script") && !mail.html.contains("<img"),
        "{}",
        mail.html
    );
    assert!(
        mail.html
            .contains("<p>&lt;script&gt;steal()&lt;/script&gt;</p>"),
        "{}",
        mail.html
    );
    assert!(
        mail.html.contains("<p>&gt; geen citaat</p>"),
        "{}",
        mail.html
    );
    assert_eq!(mail.text, "steal()\ngeen citaat");
}

#[test]
fn links_with_other_schemes_keep_only_their_text_in_html() {
    let html = markdown_html(
        "[klik](javascript:alert(1)) [mail](mailto:a@b.nl) [web](https://x.nl) [rel](/pad) ![plaatje](data:image/png;base64,xx)",
    );
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("data:"), "{html}");
    assert!(html.contains("klik <a href=\"mailto:a@b.nl\">mail</a> <a href=\"https://x.nl\">web</a> <a href=\"/pad\">rel</a> plaatje"), "{html}");
}

#[test]
fn the_subject_is_one_line() {
    let mail = render("  Melding\n{{ formatted_signal_id }}\r\n ", "x", &context());
    assert_eq!(mail.subject, "Melding SIG-123");
}

#[test]
fn render_errors_of_either_template_are_returned() {
    let bad = compile("{{ x|default:nergens }}");
    let good = compile("ok");
    let ctx = context();
    assert!(render_email(&bad, &good, &ctx).is_err());
    assert!(render_email(&good, &bad, &ctx).is_err());
}
