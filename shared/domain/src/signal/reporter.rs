//! The reporter (*melder*) of a signal: contact details and consent
//! (spec 01 §3.4, 03 §2.6), and the source rewriting they can cause (03 §2.7).

/// Longest e-mail address and phone number the database stores.
pub const EMAIL_MAX_CHARS: usize = 254;
pub const PHONE_MAX_CHARS: usize = 17;

/// The framework's message for an e-mail address it refuses.
pub const INVALID_EMAIL: &str = "Voer een geldig e-mailadres in.";

/// The contact details given with a new signal; blank values are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewReporter {
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Consent to share the contact details with third parties.
    pub sharing_allowed: bool,
}

/// Whether `value` is an e-mail address by Django 4.2's `EmailValidator`,
/// which the reference's field uses: a dot-atom or quoted local part, and a
/// domain of dot-separated labels ending in a label of two or more letters,
/// digits or hyphens, `localhost`, or an IP literal in brackets. At most 320
/// characters. An internationalised domain counts when its labels consist of
/// letters, digits and hyphens (the validator tries its punycode form).
pub fn is_valid_email(value: &str) -> bool {
    if value.is_empty() || value.chars().count() > 320 {
        return false;
    }
    let Some((user, domain)) = value.rsplit_once('@') else {
        return false;
    };
    valid_user_part(user) && (domain == "localhost" || valid_domain_part(domain))
}

fn valid_user_part(user: &str) -> bool {
    const ATOM_SPECIALS: &str = "-!#$%&'*+/=?^_`{}|~";
    let atom = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ATOM_SPECIALS.contains(c))
    };
    if user.split('.').all(atom) {
        return true;
    }
    let Some(inner) = user
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return false;
    };
    let plain = |c: char| matches!(c as u32, 1..=8 | 11 | 12 | 14..=31 | 33 | 35..=91 | 93..=127);
    let escapable = |c: char| matches!(c as u32, 1..=9 | 11 | 12 | 14..=127);
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let ok = if c == '\\' {
            chars.next().is_some_and(escapable)
        } else {
            plain(c)
        };
        if !ok {
            return false;
        }
    }
    true
}

fn valid_domain_part(domain: &str) -> bool {
    if let Some(literal) = domain
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return !literal.is_empty()
            && literal
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            && literal.parse::<std::net::IpAddr>().is_ok();
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((top, rest)) = labels.split_last() else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let label_char = |c: char| c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphanumeric());
    let label = |part: &str| {
        let count = part.chars().count();
        (1..=63).contains(&count)
            && part.chars().all(|c| label_char(c) || c == '-')
            && !part.starts_with('-')
            && !part.ends_with('-')
    };
    let top_ok = (2..=63).contains(&top.chars().count())
        && top.chars().all(|c| label_char(c) || c == '-')
        && !top.ends_with('-');
    top_ok && rest.iter().all(|part| label(part))
}

/// Rewrites the source of signals reported by the municipality's own staff
/// (`API_TRANSFORM_SOURCE_BASED_ON_REPORTER`, spec 03 §2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRewrite {
    /// Addresses ending in one of these are internal (`@amsterdam.nl`).
    pub domain_extensions: Vec<String>,
    /// Internal addresses that keep the source they were given.
    pub exceptions: Vec<String>,
    /// The source internal reporters get (`Interne melding`).
    pub source: String,
}

impl Default for SourceRewrite {
    /// The reference's defaults.
    fn default() -> Self {
        SourceRewrite {
            domain_extensions: vec!["@amsterdam.nl".to_owned()],
            exceptions: [
                "techview@amsterdam.nl",
                "verbeterdebuurt@amsterdam.nl",
                "hnw@amsterdam.nl",
                "webcare@amsterdam.nl",
                "qubz@amsterdam.nl",
            ]
            .map(str::to_owned)
            .to_vec(),
            source: "Interne melding".to_owned(),
        }
    }
}

impl SourceRewrite {
    /// The source a signal reported with `email` gets instead of the one it
    /// was sent with; `None` to keep it. Compared without regard to case
    /// (the reference compares case-sensitively, so `X@Amsterdam.nl` would
    /// slip through: a domain is case-insensitive).
    pub fn source_for(&self, email: &str) -> Option<&str> {
        let email = email.to_lowercase();
        let internal = self
            .domain_extensions
            .iter()
            .any(|ext| !ext.is_empty() && email.ends_with(&ext.to_lowercase()));
        let excepted = self.exceptions.iter().any(|e| e.to_lowercase() == email);
        (internal && !excepted).then_some(self.source.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_valid() {
        for email in [
            "melder@example.com",
            "me@domain.com",
            "first.last+tag@sub.example.co.uk",
            "o'reilly@example.nl",
            "x@localhost",
            "user@[192.0.2.1]",
            "user@[2001:db8::1]",
            "\"quoted.local\"@example.com",
            "\"quoted\\ local\"@example.com",
            "jan@gemeente-amsterdam.nl",
            "piet@xn--bcher-kva.example",
            "piet@bücher.example",
            "a@b.c1",
        ] {
            assert!(is_valid_email(email), "{email}");
        }
    }

    #[test]
    fn what_django_refuses_is_refused() {
        for email in [
            "",
            "melder",
            "melder@",
            "@example.com",
            "melder@example",
            "melder@example.c",
            "melder@-example.com",
            "melder@example-.com",
            "melder@example.com-",
            "melder@exa_mple.com",
            "mel der@example.com",
            "melder.@example.com",
            ".melder@example.com",
            "mel..der@example.com",
            "melder@example..com",
            "melder@.example.com",
            "user@[300.1.1.1]",
            "user@[not-an-ip]",
            "\"unterminated@example.com",
            "\"quoted local\"@example.com",
        ] {
            assert!(!is_valid_email(email), "{email}");
        }
        let long_local = format!("{}@example.com", "a".repeat(320));
        assert!(!is_valid_email(&long_local));
        let long_label = format!("a@{}.com", "b".repeat(64));
        assert!(!is_valid_email(&long_label));
    }

    #[test]
    fn internal_reporters_get_the_internal_source_unless_excepted() {
        let rewrite = SourceRewrite::default();
        assert_eq!(
            rewrite.source_for("medewerker@amsterdam.nl"),
            Some("Interne melding")
        );
        assert_eq!(
            rewrite.source_for("Medewerker@Amsterdam.NL"),
            Some("Interne melding")
        );
        assert_eq!(rewrite.source_for("webcare@amsterdam.nl"), None);
        assert_eq!(rewrite.source_for("melder@example.com"), None);
        assert_eq!(rewrite.source_for("melder@notamsterdam.nl.example"), None);
    }
}
