//! The filters: Django's built-ins the e-mail templates use, with their
//! "safe string" rules, and the project filter `format_address`.

use super::address;
use super::dateformat;
use super::render::{Piece, html_escape};
use super::value::Value;

/// Whether a filter takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    None,
    Optional,
    Required,
}

macro_rules! filters {
    ($($id:ident => $name:literal, $arity:ident;)*) => {
        /// A known filter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum FilterId { $($id),* }

        impl FilterId {
            pub(crate) fn from_name(name: &str) -> Option<FilterId> {
                match name {
                    $($name => Some(FilterId::$id),)*
                    _ => None,
                }
            }

            pub(crate) fn name(self) -> &'static str {
                match self { $(FilterId::$id => $name),* }
            }
        }

        pub(crate) fn arity(id: FilterId) -> Arity {
            match id { $(FilterId::$id => Arity::$arity),* }
        }

        /// Every filter name, for the documentation test.
        #[cfg(test)]
        pub(crate) const NAMES: &[&str] = &[$($name),*];
    };
}

filters! {
    Add => "add", Required;
    Addslashes => "addslashes", None;
    Capfirst => "capfirst", None;
    Cut => "cut", Required;
    Date => "date", Optional;
    Default => "default", Required;
    DefaultIfNone => "default_if_none", Required;
    Divisibleby => "divisibleby", Required;
    Escape => "escape", None;
    First => "first", None;
    Floatformat => "floatformat", Optional;
    ForceEscape => "force_escape", None;
    FormatAddress => "format_address", Optional;
    Join => "join", Required;
    Last => "last", None;
    Length => "length", None;
    Linebreaks => "linebreaks", None;
    Linebreaksbr => "linebreaksbr", None;
    Lower => "lower", None;
    Pluralize => "pluralize", Optional;
    Safe => "safe", None;
    Slice => "slice", Required;
    Striptags => "striptags", None;
    Time => "time", Optional;
    Title => "title", None;
    Truncatechars => "truncatechars", Required;
    Truncatewords => "truncatewords", Required;
    Upper => "upper", None;
    Urlencode => "urlencode", Optional;
    Wordcount => "wordcount", None;
    Yesno => "yesno", Optional;
}

fn text(s: String) -> Value {
    Value::Str(s)
}

/// Result of a Django `is_safe=True` string filter: safe when its input was.
fn keeps_safety(input: &Piece, s: String) -> Piece {
    Piece {
        value: text(s),
        safe: input.safe,
    }
}

/// Applies one filter. Filters do not fail: like Django's, they fall back
/// to `""` or their input on values they cannot handle.
pub(crate) fn apply(id: FilterId, input: Piece, arg: Option<Piece>, autoescape: bool) -> Piece {
    let s = || input.value.py_str();
    let arg_str = arg.as_ref().map(|a| a.value.py_str());
    match id {
        FilterId::Add => add(&input, arg),
        FilterId::Addslashes => {
            let out = s()
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\'', "\\'");
            keeps_safety(&input, out)
        }
        FilterId::Capfirst => {
            let v = s();
            let mut chars = v.chars();
            let out = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
            keeps_safety(&input, out)
        }
        FilterId::Cut => {
            let needle = arg_str.unwrap_or_default();
            let out = if needle.is_empty() {
                s()
            } else {
                s().replace(&needle, "")
            };
            Piece {
                value: text(out),
                safe: input.safe && needle != ";",
            }
        }
        FilterId::Date | FilterId::Time => {
            let out = match &input.value {
                Value::DateTime(dt) => {
                    let default = if id == FilterId::Date {
                        "DATE_FORMAT"
                    } else {
                        "TIME_FORMAT"
                    };
                    let format = arg_str.unwrap_or_else(|| default.to_owned());
                    let format = dateformat::named_format(&format);
                    if id == FilterId::Date {
                        dateformat::format_date(*dt, format)
                    } else {
                        dateformat::format_time(*dt, format).unwrap_or_default()
                    }
                }
                _ => String::new(),
            };
            Piece::unsafe_(text(out))
        }
        FilterId::Default => {
            if input.value.is_truthy() {
                input
            } else {
                arg.unwrap_or(input)
            }
        }
        FilterId::DefaultIfNone => {
            if input.value == Value::Null {
                arg.unwrap_or(input)
            } else {
                input
            }
        }
        FilterId::Divisibleby => {
            let result = match (
                py_int(&input.value),
                arg.as_ref().and_then(|a| py_int(&a.value)),
            ) {
                (Some(a), Some(b)) if b != 0 => a.rem_euclid(b) == 0,
                _ => false,
            };
            Piece::unsafe_(Value::Bool(result))
        }
        FilterId::Escape => {
            if input.safe {
                Piece::safe(text(s()))
            } else {
                Piece::safe(text(html_escape(&s())))
            }
        }
        FilterId::ForceEscape => Piece::safe(text(html_escape(&s()))),
        FilterId::First | FilterId::Last => {
            let item = match &input.value {
                Value::List(items) => {
                    if id == FilterId::First {
                        items.first().cloned()
                    } else {
                        items.last().cloned()
                    }
                }
                Value::Str(v) => {
                    let c = if id == FilterId::First {
                        v.chars().next()
                    } else {
                        v.chars().last()
                    };
                    c.map(|c| text(c.to_string()))
                }
                _ => None,
            };
            Piece::unsafe_(item.unwrap_or_else(|| text(String::new())))
        }
        FilterId::Floatformat => floatformat(&input, arg_str.as_deref()),
        FilterId::FormatAddress => {
            let format = arg_str.unwrap_or_else(|| address::DEFAULT_FORMAT.to_owned());
            Piece::unsafe_(text(address::format_address(&input.value, &format)))
        }
        FilterId::Join => join(input, arg, autoescape),
        FilterId::Length => {
            let n = input.value.py_len().unwrap_or(0);
            Piece::unsafe_(Value::Int(n as i64))
        }
        FilterId::Linebreaks | FilterId::Linebreaksbr => {
            let escape = autoescape && !input.safe;
            let normalised = s().replace("\r\n", "\n").replace('\r', "\n");
            let esc = |t: &str| if escape { html_escape(t) } else { t.to_owned() };
            let out = if id == FilterId::Linebreaksbr {
                esc(&normalised).replace('\n', "<br>")
            } else {
                split_paragraphs(&normalised)
                    .iter()
                    .map(|p| format!("<p>{}</p>", esc(p).replace('\n', "<br>")))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            };
            Piece::safe(text(out))
        }
        FilterId::Lower => keeps_safety(&input, s().to_lowercase()),
        FilterId::Upper => Piece::unsafe_(text(s().to_uppercase())),
        FilterId::Pluralize => pluralize(&input.value, arg_str.as_deref().unwrap_or("s")),
        FilterId::Safe => Piece::safe(text(s())),
        FilterId::Slice => slice(input, arg_str.as_deref().unwrap_or_default()),
        FilterId::Striptags => keeps_safety(&input, strip_tags(&s())),
        FilterId::Title => keeps_safety(&input, title(&s())),
        FilterId::Truncatechars => match arg_str.as_deref().and_then(py_int_str) {
            Some(n) => keeps_safety(&input, truncate_chars(&s(), n)),
            None => input,
        },
        FilterId::Truncatewords => match arg_str.as_deref().and_then(py_int_str) {
            Some(n) => keeps_safety(&input, truncate_words(&s(), n)),
            None => input,
        },
        FilterId::Urlencode => {
            let safe = arg_str.unwrap_or_else(|| "/".to_owned());
            Piece::unsafe_(text(url_quote(&s(), &safe)))
        }
        FilterId::Wordcount => Piece::unsafe_(Value::Int(s().split_whitespace().count() as i64)),
        FilterId::Yesno => {
            let choices = arg_str.unwrap_or_else(|| "ja,nee,misschien".to_owned());
            let bits: Vec<&str> = choices.split(',').collect();
            if bits.len() < 2 {
                return input;
            }
            let (yes, no, maybe) = if bits.len() == 3 {
                (bits[0], bits[1], bits[2])
            } else {
                (bits[0], bits[1], bits[1])
            };
            let chosen = match &input.value {
                Value::Null => maybe,
                v if v.is_truthy() => yes,
                _ => no,
            };
            Piece::unsafe_(text(chosen.to_owned()))
        }
    }
}

/// Python `int(value)`; `None` where it raises.
fn py_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        Value::Str(s) => py_int_str(s),
        _ => None,
    }
}

fn py_int_str(s: &str) -> Option<i64> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    t.replace('_', "").parse().ok()
}

fn add(input: &Piece, arg: Option<Piece>) -> Piece {
    let Some(arg) = arg else {
        return Piece::unsafe_(text(String::new()));
    };
    if let (Some(a), Some(b)) = (py_int(&input.value), py_int(&arg.value)) {
        return Piece::unsafe_(
            a.checked_add(b)
                .map_or_else(|| text(String::new()), Value::Int),
        );
    }
    match (&input.value, &arg.value) {
        (Value::Str(a), Value::Str(b)) => Piece {
            value: text(format!("{a}{b}")),
            safe: input.safe && arg.safe,
        },
        (Value::List(a), Value::List(b)) => {
            Piece::unsafe_(Value::List(a.iter().chain(b).cloned().collect()))
        }
        (Value::Float(a), Value::Float(b)) => Piece::unsafe_(Value::Float(a + b)),
        _ => Piece::unsafe_(text(String::new())),
    }
}

fn join(input: Piece, arg: Option<Piece>, autoescape: bool) -> Piece {
    let Some(items) = input.value.py_iter() else {
        return input;
    };
    let sep = arg.map(|a| {
        let s = a.value.py_str();
        if autoescape && !a.safe {
            html_escape(&s)
        } else {
            s
        }
    });
    let sep = sep.unwrap_or_default();
    let mut parts = Vec::with_capacity(items.len());
    for item in &items {
        match item {
            Value::Str(s) if autoescape => parts.push(html_escape(s)),
            Value::Str(s) => parts.push(s.clone()),
            other if autoescape => parts.push(html_escape(&other.py_str())),
            _ => return input,
        }
    }
    Piece::safe(text(parts.join(&sep)))
}

/// `re.split("\n{2,}", value)`.
fn split_paragraphs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut newlines = 0;
    for c in s.chars() {
        if c == '\n' {
            newlines += 1;
            continue;
        }
        if newlines == 1 {
            current.push('\n');
        } else if newlines >= 2 {
            out.push(std::mem::take(&mut current));
        }
        newlines = 0;
        current.push(c);
    }
    if newlines == 1 {
        current.push('\n');
        out.push(current);
    } else {
        out.push(current);
        if newlines >= 2 {
            out.push(String::new());
        }
    }
    out
}

fn pluralize(value: &Value, arg: &str) -> Piece {
    let arg = if arg.contains(',') {
        arg.to_owned()
    } else {
        format!(",{arg}")
    };
    let bits: Vec<&str> = arg.split(',').collect();
    if bits.len() > 2 {
        return Piece::unsafe_(text(String::new()));
    }
    let (singular, plural) = (bits[0], bits[1]);
    let one = match value {
        Value::Int(i) => Some(*i == 1),
        Value::Float(f) => Some(*f == 1.0),
        Value::Bool(b) => Some(*b),
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(f) => Some(f == 1.0),
            Err(_) => return Piece::unsafe_(text(String::new())),
        },
        other => other.py_len().map(|n| n == 1),
    };
    let chosen = match one {
        Some(true) => singular,
        Some(false) => plural,
        None => "",
    };
    Piece::unsafe_(text(chosen.to_owned()))
}

/// Python slicing with `start:stop:step` from the argument.
fn slice(input: Piece, spec: &str) -> Piece {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() > 3 {
        return input;
    }
    let mut nums = Vec::new();
    for p in &parts {
        if p.is_empty() {
            nums.push(None);
        } else {
            match py_int_str(p) {
                Some(n) => nums.push(Some(n)),
                None => return input,
            }
        }
    }
    let (start, stop, step) = match nums.as_slice() {
        [stop] => (None, *stop, None),
        [start, stop] => (*start, *stop, None),
        [start, stop, step] => (*start, *stop, *step),
        _ => return input,
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return input;
    }
    let pick = |len: usize| -> Vec<usize> {
        let len = len as i64;
        let (lower, upper) = if step > 0 { (0, len) } else { (-1, len - 1) };
        let clamp = |v: Option<i64>, default: i64| match v {
            None => default,
            Some(v) if v < 0 => (v + len).max(lower),
            Some(v) => v.min(upper),
        };
        let mut i = clamp(start, if step > 0 { lower } else { upper });
        let stop = clamp(stop, if step > 0 { upper } else { lower });
        let mut out = Vec::new();
        while (step > 0 && i < stop) || (step < 0 && i > stop) {
            out.push(i as usize);
            i += step;
        }
        out
    };
    let value = match &input.value {
        Value::List(items) => Value::List(
            pick(items.len())
                .into_iter()
                .map(|i| items[i].clone())
                .collect(),
        ),
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            text(pick(chars.len()).into_iter().map(|i| chars[i]).collect())
        }
        _ => return input,
    };
    Piece {
        value,
        safe: input.safe,
    }
}

/// Removes HTML tags (`<` followed by a letter, `/`, `!` or `?`, up to the
/// next `>`), keeping text and entities.
pub(crate) fn strip_tags(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '<'
            && chars
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'))
        {
            if let Some(end) = chars[i..].iter().position(|&c| c == '>') {
                i += end + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Python `str.title()` plus Django's fix-ups for `'s` and `1st`.
fn title(s: &str) -> String {
    let mut titled: Vec<char> = Vec::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        let cased = c.is_lowercase() || c.is_uppercase();
        if cased {
            if prev_cased {
                titled.extend(c.to_lowercase());
            } else {
                titled.extend(c.to_uppercase());
            }
        } else {
            titled.push(c);
        }
        prev_cased = cased;
    }
    for i in 1..titled.len() {
        let prev = titled[i - 1];
        let c = titled[i];
        if c.is_ascii_uppercase()
            && (prev.is_ascii_digit()
                || (prev == '\'' && i >= 2 && titled[i - 2].is_ascii_lowercase()))
        {
            titled[i] = c.to_ascii_lowercase();
        }
    }
    titled.into_iter().collect()
}

fn truncate_chars(s: &str, length: i64) -> String {
    let count = s.chars().count() as i64;
    if count <= length {
        return s.to_owned();
    }
    let keep = (length - 1).max(0) as usize;
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

fn truncate_words(s: &str, length: i64) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let length = length.max(0) as usize;
    if words.len() > length {
        let mut out = words[..length].join(" ");
        if !out.ends_with(" …") {
            out.push_str(" …");
        }
        out
    } else {
        words.join(" ")
    }
}

/// Python `urllib.parse.quote(value, safe)`.
fn url_quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if b.is_ascii_alphanumeric()
            || matches!(c, '_' | '.' | '-' | '~')
            || (b.is_ascii() && safe.contains(c))
        {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Django's `floatformat` in the `nl` locale: rounding half up, decimal
/// comma, `g` groups thousands with `.`, `u` keeps the decimal point.
fn floatformat(input: &Piece, arg: Option<&str>) -> Piece {
    let raw = input.value.py_str();
    let Some(dec) = Decimal::parse(&raw).or_else(|| match &input.value {
        Value::Float(f) => Decimal::parse(&super::value::float_repr(*f)),
        _ => None,
    }) else {
        return Piece::unsafe_(text(String::new()));
    };
    let mut arg = arg.unwrap_or("-1").to_owned();
    let mut grouping = false;
    let mut localise = true;
    loop {
        if let Some(rest) = arg.strip_suffix('g') {
            grouping = true;
            arg = rest.to_owned();
        } else if let Some(rest) = arg.strip_suffix('u') {
            localise = false;
            arg = rest.to_owned();
        } else {
            break;
        }
    }
    let Some(p) = py_int_str(&arg) else {
        return Piece::unsafe_(text(raw));
    };
    let places = p.unsigned_abs() as usize;
    let integral = dec.is_integral();
    let (int_part, frac_part) = if integral && p <= 0 {
        (dec.int_digits(), String::new())
    } else {
        dec.round_half_up(places)
    };
    let negative = dec.negative && (int_part.chars().chain(frac_part.chars()).any(|c| c != '0'));
    let (dsep, tsep) = if localise { (",", ".") } else { (".", ",") };
    let int_part = if grouping {
        group(&int_part, tsep)
    } else {
        int_part
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&int_part);
    if !frac_part.is_empty() {
        out.push_str(dsep);
        out.push_str(&frac_part);
    }
    Piece::safe(text(out))
}

fn group(int_part: &str, sep: &str) -> String {
    let digits: Vec<char> = int_part.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(*c);
    }
    out
}

/// A decimal number as digits, enough for `floatformat`.
struct Decimal {
    negative: bool,
    int: String,
    frac: String,
}

impl Decimal {
    /// Parses Python `Decimal(str)` syntax: sign, digits, point, exponent.
    fn parse(s: &str) -> Option<Decimal> {
        let t = s.trim();
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
            None => (t, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
            || exp.abs() > 400
        {
            return None;
        }
        let digits = format!("{int}{frac}");
        let point = int.len() as i64 + exp;
        let (int, frac) = if point <= 0 {
            (
                String::new(),
                format!("{}{digits}", "0".repeat((-point) as usize)),
            )
        } else if point as usize >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point as usize - digits.len())),
                String::new(),
            )
        } else {
            (
                digits[..point as usize].to_owned(),
                digits[point as usize..].to_owned(),
            )
        };
        Some(Decimal {
            negative,
            int,
            frac,
        })
    }

    fn is_integral(&self) -> bool {
        self.frac.chars().all(|c| c == '0')
    }

    fn int_digits(&self) -> String {
        let trimmed = self.int.trim_start_matches('0');
        if trimmed.is_empty() {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        }
    }

    /// Rounds half up (away from zero) to `places` decimals.
    fn round_half_up(&self, places: usize) -> (String, String) {
        let mut frac: Vec<u8> = self.frac.bytes().map(|b| b - b'0').collect();
        let round_up = frac.get(places).is_some_and(|&d| d >= 5);
        frac.resize(places, 0);
        let mut int: Vec<u8> = self.int_digits().bytes().map(|b| b - b'0').collect();
        if round_up {
            let mut carry = true;
            for d in frac.iter_mut().rev().chain(int.iter_mut().rev()) {
                if !carry {
                    break;
                }
                if *d == 9 {
                    *d = 0;
                } else {
                    *d += 1;
                    carry = false;
                }
            }
            if carry {
                int.insert(0, 1);
            }
        }
        let as_str = |v: &[u8]| v.iter().map(|d| (b'0' + d) as char).collect::<String>();
        (as_str(&int), as_str(&frac))
    }
}
