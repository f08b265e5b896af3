//! Masking the reporter's contact details for the "created" mail
//! (spec 11-email §11.4 "Masking"); the asterisks are backslash-escaped so
//! Markdown shows them literally.

/// Masks an e-mail address, keeping the first and last character of the
/// local part and the last character of the domain before its TLD:
/// `test@test.com` → `t**t@***t.com` (escaped: `t\*\*t@\*\*\*t.com`).
/// A domain part of three characters or fewer is masked whole
/// (`tt@tst.com` → `tt@***.com`). A one-character local part is kept as is
/// (the reference doubles it); a string without `@` is masked whole.
pub fn mask_email(email: &str) -> String {
    let masked = match email.rsplit_once('@') {
        None => "*".repeat(email.chars().count()),
        Some((local, domain)) => {
            let local: Vec<char> = local.chars().collect();
            let local = match local.as_slice() {
                [] => String::new(),
                [only] => only.to_string(),
                [first, middle @ .., last] => {
                    format!("{first}{}{last}", "*".repeat(middle.len()))
                }
            };
            let (name, tld) = match domain.rfind('.') {
                Some(i) => domain.split_at(i),
                None => (domain, ""),
            };
            let name: Vec<char> = name.chars().collect();
            let name = if name.len() > 3 {
                let last = name[name.len() - 1];
                format!("{}{last}", "*".repeat(name.len() - 1))
            } else {
                "*".repeat(name.len())
            };
            format!("{local}@{name}{tld}")
        }
    };
    escape_asterisks(&masked)
}

/// Masks a phone number: spaces removed, the last three characters kept and
/// right-aligned to ten with asterisks: `+31 6 12 34 56 78` → `*******678`
/// (escaped: `\*\*\*\*\*\*\*678`).
pub fn mask_phone(phone: &str) -> String {
    let compact: Vec<char> = phone.chars().filter(|&c| c != ' ').collect();
    let tail: String = compact[compact.len().saturating_sub(3)..].iter().collect();
    let pad = 10usize.saturating_sub(tail.chars().count());
    escape_asterisks(&format!("{}{tail}", "*".repeat(pad)))
}

fn escape_asterisks(s: &str) -> String {
    s.replace('*', "\\*")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        s.replace("\\*", "*")
    }

    #[test]
    fn e_mail_addresses_are_masked_like_the_reference_examples() {
        assert_eq!(plain(&mask_email("test@test.com")), "t**t@***t.com");
        assert_eq!(
            plain(&mask_email("test.user@gmail.com")),
            "t*******r@****l.com"
        );
        assert_eq!(
            plain(&mask_email("test.user@amsterdam.nl")),
            "t*******r@********m.nl"
        );
        assert_eq!(plain(&mask_email("test@tst.com")), "t**t@***.com");
        assert_eq!(plain(&mask_email("tt@tst.com")), "tt@***.com");
    }

    #[test]
    fn asterisks_are_escaped_for_markdown() {
        assert_eq!(mask_email("test@test.com"), r"t\*\*t@\*\*\*t.com");
        assert_eq!(mask_phone("0612345678"), r"\*\*\*\*\*\*\*678");
    }

    #[test]
    fn phone_numbers_keep_the_last_three_digits() {
        for phone in [
            "+31 6 12 34 56 78",
            "+31612345678",
            "06 12 34 56 78",
            "0612345678",
        ] {
            assert_eq!(plain(&mask_phone(phone)), "*******678", "{phone}");
        }
        assert_eq!(plain(&mask_phone("12")), "********12");
    }

    #[test]
    fn odd_addresses_do_not_leak() {
        assert_eq!(plain(&mask_email("a@example.org")), "a@******e.org");
        assert_eq!(plain(&mask_email("no-at-sign")), "**********");
    }
}
