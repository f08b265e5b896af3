//! Sanitiser tests: the reference's URL test matrix (every scheme × every
//! URI, alone and inside a sentence, plain, percent-encoded once and
//! twice), and golden cases whose expected output the reference's
//! `_cleanup_signal_text` produced.

use super::*;

const SCHEMES: &[&str] = &[
    "http://",
    "https://",
    "ftp://",
    "sftp://",
    "file://",
    "chrome://",
    "chrome-extension://",
    "dns://",
    "git://",
    "irc://",
    "ldap://",
    "smb://",
    "z39.50r://",
    "z39.50s://",
    "",
];

const URIS: &[&str] = &[
    "test-domain.com",
    "www.test-domain.com/",
    "test-domain.com?query=param",
    "test-domain.com/?query=param",
    "www.test-domain.com/with/path?query=param",
    "test-domain.com/with/path/?query=param",
    "test-domain.com?query=param&extra=param",
    "test-domain.com/?query=param&extra=param",
    "www.test-domain.com/with/path?query=param&extra=param",
    "test-domain.com/with/path/?query=param&extra=param",
    "test-domain.com:8080",
    "www.test-domain.com:8080/",
    "user:password@test-domain.com",
    "user:password@test-domain.com/",
    "user:password@test-domain.com:8080",
    "user:password@www.test-domain.com:8080/",
    "test-domain.com:8080?query=param",
    "test-domain.com:8080/?query=param&extra=param",
    "user:password@test-domain.com?query=param",
    "user:password@test-domain.com/?query=param&extra=param",
    "user:password@test-domain.com:8080?query=param",
    "user:password@test-domain.com:8080/?query=param&extra=param",
    "test-domain.co.uk",
    "www.test-domain.co.uk/",
    "úêï.google",
    "www.úêï.google/",
    "strangetld.lol",
    "strangetld.fun",
    "strangetld.wow",
    "strangetld.unicorn",
    "www.example.com/just/a/path/",
    "test.com",
];

/// Python's `urllib.parse.quote` with its default `safe="/"`.
fn quote(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const SENTENCE: (&str, &str) = (
    "Er ligt al dagen afval naast de container.",
    "Graag snel ophalen alstublieft",
);

#[test]
fn every_url_of_the_reference_matrix_is_removed_whole() {
    for scheme in SCHEMES {
        for uri in URIS {
            let url = format!("{scheme}{uri}");
            assert_eq!(remove_urls(&url), "", "{url}");
            let text = format!("{} {url} {}", SENTENCE.0, SENTENCE.1);
            assert_eq!(
                sanitise(&text),
                Ok(format!("{}  {}", SENTENCE.0, SENTENCE.1)),
                "{url}"
            );
        }
    }
}

#[test]
fn percent_encoded_urls_are_decoded_then_removed() {
    for scheme in SCHEMES {
        for uri in URIS {
            let url = format!("{scheme}{uri}");
            for encoded in [quote(&url), quote(&quote(&url))] {
                let text = format!("{} {encoded} {}", SENTENCE.0, SENTENCE.1);
                let clean = sanitise(&text).unwrap_or_else(|e| panic!("{encoded}: {e}"));
                assert!(!clean.contains(&url), "{encoded} -> {clean}");
                assert!(!clean.contains(&encoded), "{encoded} -> {clean}");
                assert!(
                    clean.starts_with(SENTENCE.0) && clean.ends_with(SENTENCE.1),
                    "{clean}"
                );
            }
        }
    }
}

#[test]
fn text_still_encoded_after_five_passes_is_suspicious() {
    let mut url = "https://user:password@test-domain.com/?query=param&extra=param".to_owned();
    for _ in 0..10 {
        url = quote(&url);
    }
    assert_eq!(sanitise(&format!("tekst {url} eind")), Err(Suspicious));
    let mut five = "https://a.nl/".to_owned();
    for _ in 0..5 {
        five = quote(&five);
    }
    assert_eq!(sanitise(&five), Ok(String::new()));
}

/// `(input, what the reference returns; None = URLEncodedCharsFoundInText)`.
const GOLDEN: &[(&str, Option<&str>)] = &[
    (
        r#"Just a couple of links in a piece of text, https://tweakers.net/reviews/8534/desktop-best-buy-guide-januari-2021.html and some more text. google.com www.nu.nl end of the test"#,
        Some(
            r#"Just a couple of links in a piece of text,  and some more text.   end of the test"#,
        ),
    ),
    (
        r#"Er ligt afval.Graag ophalen bij de ingang."#,
        Some(r#"Er ligt  ophalen bij de ingang."#),
    ),
    (
        r#"Bel 020-1234567 of mail naar info@gemeente.nl vandaag"#,
        Some(r#"Bel 020-1234567 of mail naar  vandaag"#),
    ),
    (
        r#"Om 10.30 uur bij nr. 12, e.g. i.e. o.a. en bijv.de buren"#,
        Some(r#"Om 10.30 uur bij nr. 12, e.g. i.e. o.a. en  buren"#),
    ),
    (
        r#"IP 192.168.1.256 en 256.1.1.1 en 10.0.0.1:8080/x en 1.2.3"#,
        Some(r#"IP 6 en 2 en  en 1.2.3"#),
    ),
    (
        r#"zie localhost:8080/admin en LOCALHOST of localhosts"#,
        Some(r#"zie  en  of s"#),
    ),
    (
        r#"adres [::1]:80/x en [fe80::1] klaar"#,
        Some(r#"adres  en  klaar"#),
    ),
    (
        r#"Straat 12a, 1234AB Amsterdam"#,
        Some(r#"Straat 12a, 1234AB Amsterdam"#),
    ),
    (
        r#"ftp://user:pw@host.example.org:21/pad?x=1#frag rest"#,
        Some(r#" rest"#),
    ),
    (
        r#"kijk op bücher.de of 日本.com of 😀.com of xn--bcher-kva.example"#,
        Some(r#"kijk op  of  of 😀.com of "#),
    ),
    (
        r#"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com einde"#,
        Some(r#"aaaaaaa einde"#),
    ),
    (
        r#"abc-.com -abc.com abc.-com ab.c-"#,
        Some(r#"abc-.com - abc.-com ab.c-"#),
    ),
    (
        r#"mailto:iemand@example.com en tel:0201234567"#,
        Some(r#" en tel:0201234567"#),
    ),
    (r#"Zie https://example.com/pad."#, Some(r#"Zie "#)),
    (r#"%3Cb%3Evet%3C%2Fb%3E"#, Some(r#"<b>vet</b>"#)),
    (r#"100% zeker en 5 %"#, Some(r#"100% zeker en 5 %"#)),
    (r#"50%korting"#, None),
    (r#"%E2%82%AC 5 en %C3%28 en %ZZ"#, None),
    (r#"%E2%82%AC 5 en %C3%28 klaar"#, Some(r#"€ 5 en �( klaar"#)),
    (r#"caf%C3%A9 %F0%9F%98%80"#, Some(r#"café 😀"#)),
    (r#"http%3A%2F%2Fevil.com%2Fx hier"#, Some(r#" hier"#)),
    (r#"https%253A//phish.example/login klik"#, Some(r#" klik"#)),
    (
        r#"Tekst zonder links, met een komma. En een punt.Nog een zin"#,
        Some(r#"Tekst zonder links, met een komma. En een  een zin"#),
    ),
    (
        r#"user@host zonder tld en a@b.co"#,
        Some(r#"user@host zonder tld en "#),
    ),
    (
        r#"javascript:alert(1) en data:text/html,xx"#,
        Some(r#"javascript:alert(1) en data:text/html,xx"#),
    ),
    (
        r#"x.y.z.nl/pad?q=1 en sub.domein.example."#,
        Some(r#" en "#),
    ),
    (
        r#"tekst https%2525252525252525253A//user%2525252525252525253Apassword%25252525252525252540test-domain.com/%2525252525252525253Fquery%2525252525252525253Dparam%25252525252525252526extra%2525252525252525253Dparam eind"#,
        None,
    ),
];

#[test]
fn golden_texts_clean_exactly_like_the_reference() {
    let mut failures = Vec::new();
    for (input, expected) in GOLDEN {
        let actual = sanitise(input).ok();
        if actual.as_deref() != *expected {
            failures.push(format!(
                "{input:?}\n   expected {expected:?}\n   actual   {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ordinary_dutch_text_is_left_alone() {
    let text =
        "Bij Kerkstraat 12-3 staat sinds 3 dagen grofvuil (± 2 m³). Om 08.30 uur nog steeds!";
    assert_eq!(sanitise(text), Ok(text.to_owned()));
}
