//! The anti-phishing clean-up of reporter-supplied text before it goes into
//! a mail (spec 11-email §11.3): decode percent-encoding, refuse what stays
//! encoded, remove everything that looks like a URL.
//!
//! The URL matcher is the reference's pattern (Django's `URLValidator`
//! without its anchors, case-insensitive), implemented as a small
//! backtracking matcher so it keeps the pattern's look-arounds and its
//! leftmost-first choices.

/// The text still contains percent-encoded sequences after five decoding
/// passes: the mail must not be sent (the reference adds the note "E-mail
/// is niet verzonden omdat er verdachte tekens in de meldtekst staan.").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the text still contains percent-encoded characters after {MAX_PASSES} decoding passes")]
pub struct Suspicious;

const MAX_PASSES: usize = 5;

/// Cleans a signal text (or an address string) for a mail: decodes
/// percent-encoding up to five times, fails with [`Suspicious`] when a
/// `%` followed by two letters or digits remains, then removes every
/// URL-like substring (scheme optional, optional credentials, IPv4, IPv6,
/// host name or `localhost`, port, path).
pub fn sanitise(text: &str) -> Result<String, Suspicious> {
    let mut text = text.to_owned();
    let mut passes = 0;
    while has_encoded(&text) && passes < MAX_PASSES {
        text = unquote(&text);
        passes += 1;
    }
    if has_encoded(&text) {
        return Err(Suspicious);
    }
    Ok(remove_urls(&text))
}

/// The reference's `%[\dA-Z]{2}` (case-insensitive): note that it also
/// matches pairs that are not hexadecimal, such as `%zz`.
fn has_encoded(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric())
}

/// Python's `urllib.parse.unquote`: `%XX` escapes in ASCII runs decode to
/// bytes, read as UTF-8 with replacement characters.
fn unquote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut bytes: Vec<u8> = Vec::new();
    let src = text.as_bytes();
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        if b == b'%' {
            let high = src.get(i + 1).copied().and_then(hex);
            let low = src.get(i + 2).copied().and_then(hex);
            if let (Some(h), Some(l)) = (high, low) {
                bytes.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        if b.is_ascii() {
            bytes.push(b);
            i += 1;
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&bytes));
        bytes.clear();
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Removes every match of the URL pattern, scanning left to right like
/// `re.sub`.
pub(crate) fn remove_urls(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let m = Matcher { t: &chars };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match m.url_at(i) {
            Some(end) if end > i => i = end,
            _ => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// A backtracking matcher for
/// `(?:[a-z0-9.+-]*://)?(?:[^\s:@/]+(?::[^\s:@/]*)?@)?(?:IPV4|IPV6|HOST)(?::\d{2,5})?(?:[/?#]\S*)?`
/// where HOST is `hostname domain* tld | localhost`. Each part calls a
/// continuation with every end it can reach, in the regex's priority
/// order; the first end the rest accepts wins.
struct Matcher<'a> {
    t: &'a [char],
}

type Next<'n> = &'n mut dyn FnMut(usize) -> bool;

/// Python's `\s` (also the ASCII separators 0x1c–0x1f).
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// `[a-z¡-\uffff0-9]`, case-insensitive.
fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c)
}

/// `[a-z¡-\uffff-]`: a TLD has no digits.
fn is_tld_char(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{a1}'..='\u{ffff}').contains(&c) || c == '-'
}

impl Matcher<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.t.get(i).copied()
    }

    fn run(&self, from: usize, max: usize, pred: impl Fn(char) -> bool) -> usize {
        let mut n = 0;
        while n < max && self.at(from + n).is_some_and(&pred) {
            n += 1;
        }
        n
    }

    fn url_at(&self, start: usize) -> Option<usize> {
        let mut found = None;
        self.scheme(start, &mut |a| {
            self.userinfo(a, &mut |b| {
                self.host_alternatives(b, &mut |c| {
                    self.port(c, &mut |d| {
                        self.path(d, &mut |e| {
                            found = Some(e);
                            true
                        })
                    })
                })
            })
        });
        found
    }

    /// `(?:[a-z0-9.+-]*://)?`
    fn scheme(&self, i: usize, next: Next) -> bool {
        let n = self.run(i, usize::MAX, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')
        });
        let e = i + n;
        if self.at(e) == Some(':')
            && self.at(e + 1) == Some('/')
            && self.at(e + 2) == Some('/')
            && next(e + 3)
        {
            return true;
        }
        next(i)
    }

    /// `(?:[^\s:@/]+(?::[^\s:@/]*)?@)?`
    fn userinfo(&self, i: usize, next: Next) -> bool {
        let user = |c: char| !is_space(c) && !matches!(c, ':' | '@' | '/');
        let n = self.run(i, usize::MAX, user);
        if n > 0 {
            let e = i + n;
            if self.at(e) == Some(':') {
                let m = self.run(e + 1, usize::MAX, user);
                if self.at(e + 1 + m) == Some('@') && next(e + 2 + m) {
                    return true;
                }
            }
            if self.at(e) == Some('@') && next(e + 1) {
                return true;
            }
        }
        next(i)
    }

    fn host_alternatives(&self, i: usize, next: Next) -> bool {
        self.ipv4(i, next) || self.ipv6(i, next) || self.host(i, next)
    }

    /// One octet: `0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?`.
    fn octet(&self, i: usize, next: Next) -> bool {
        let d = |k: usize| self.at(i + k).filter(char::is_ascii_digit);
        let Some(c0) = d(0) else { return false };
        if c0 == '0' && next(i + 1) {
            return true;
        }
        if c0 == '2' {
            if d(1) == Some('5') && d(2).is_some_and(|c| c <= '5') && next(i + 3) {
                return true;
            }
            if d(1).is_some_and(|c| c <= '4') && d(2).is_some() && next(i + 3) {
                return true;
            }
        }
        if c0 == '1' {
            if d(1).is_some() {
                if d(2).is_some() && next(i + 3) {
                    return true;
                }
                if next(i + 2) {
                    return true;
                }
            }
            if next(i + 1) {
                return true;
            }
        }
        if c0 != '0' {
            if d(1).is_some() && next(i + 2) {
                return true;
            }
            if next(i + 1) {
                return true;
            }
        }
        false
    }

    fn ipv4(&self, i: usize, next: Next) -> bool {
        self.octet(i, &mut |a| self.dotted_octets(a, 3, next))
    }

    fn dotted_octets(&self, i: usize, left: usize, next: Next) -> bool {
        if left == 0 {
            return next(i);
        }
        self.at(i) == Some('.') && self.octet(i + 1, &mut |a| self.dotted_octets(a, left - 1, next))
    }

    /// `\[[0-9a-f:.]+\]`
    fn ipv6(&self, i: usize, next: Next) -> bool {
        if self.at(i) != Some('[') {
            return false;
        }
        let n = self.run(i + 1, usize::MAX, |c| {
            c.is_ascii_hexdigit() || matches!(c, ':' | '.')
        });
        n > 0 && self.at(i + 1 + n) == Some(']') && next(i + 2 + n)
    }

    /// `hostname domain* tld | localhost`
    fn host(&self, i: usize, next: Next) -> bool {
        if self.hostname(i, &mut |a| self.domains(a, &mut |b| self.tld(b, next))) {
            return true;
        }
        let word: String = self.t.iter().skip(i).take(9).collect();
        word.eq_ignore_ascii_case("localhost") && next(i + 9)
    }

    /// `[a-z¡-\uffff0-9](?:[a-z¡-\uffff0-9-]{0,61}[a-z¡-\uffff0-9])?`
    fn hostname(&self, i: usize, next: Next) -> bool {
        if !self.at(i).is_some_and(is_host_char) {
            return false;
        }
        let r = self.run(i + 1, 61, |c| is_host_char(c) || c == '-');
        for n in (0..=r).rev() {
            if self.at(i + 1 + n).is_some_and(is_host_char) && next(i + 2 + n) {
                return true;
            }
        }
        next(i + 1)
    }

    /// `(?:\.(?!-)[a-z¡-\uffff0-9-]{1,63}(?<!-))*`
    fn domains(&self, i: usize, next: Next) -> bool {
        if self.at(i) == Some('.') && self.at(i + 1) != Some('-') {
            let r = self.run(i + 1, 63, |c| is_host_char(c) || c == '-');
            for n in (1..=r).rev() {
                if self.at(i + n) != Some('-') && self.domains(i + 1 + n, next) {
                    return true;
                }
            }
        }
        next(i)
    }

    /// `\.(?!-)(?:[a-z¡-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\.?`
    fn tld(&self, i: usize, next: Next) -> bool {
        if self.at(i) != Some('.') || self.at(i + 1) == Some('-') {
            return false;
        }
        let s = i + 1;
        let mut ends = Vec::new();
        let r = self.run(s, 63, is_tld_char);
        for n in (2..=r).rev() {
            ends.push(s + n);
        }
        let xn: String = self.t.iter().skip(s).take(4).collect();
        if xn.eq_ignore_ascii_case("xn--") {
            let r = self.run(s + 4, 59, |c| c.is_ascii_alphanumeric());
            for n in (1..=r).rev() {
                ends.push(s + 4 + n);
            }
        }
        for e in ends {
            if self.at(e - 1) == Some('-') {
                continue;
            }
            if self.at(e) == Some('.') && next(e + 1) {
                return true;
            }
            if next(e) {
                return true;
            }
        }
        false
    }

    /// `(?::\d{2,5})?`
    fn port(&self, i: usize, next: Next) -> bool {
        if self.at(i) == Some(':') {
            let r = self.run(i + 1, 5, |c| c.is_ascii_digit());
            for n in (2..=r).rev() {
                if next(i + 1 + n) {
                    return true;
                }
            }
        }
        next(i)
    }

    /// `(?:[/?#]\S*)?`
    fn path(&self, i: usize, next: Next) -> bool {
        if self.at(i).is_some_and(|c| matches!(c, '/' | '?' | '#')) {
            let r = self.run(i + 1, usize::MAX, |c| !is_space(c));
            if next(i + 1 + r) {
                return true;
            }
        }
        next(i)
    }
}

#[cfg(test)]
mod tests;
