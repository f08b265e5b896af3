//! Django's `dateformat` for the `nl` locale in Europe/Amsterdam: the
//! format characters of the `date` and `time` filters and `{% now %}`.

use chrono::offset::Offset;
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Europe::Amsterdam;
use chrono_tz::{OffsetComponents, OffsetName, Tz};

const WEEKDAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const WEEKDAYS_ABBR: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];
const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
/// Django's `MONTHS_3`, `MONTHS_AP` (`N`) are the same in `nl`.
const MONTHS_3: [&str; 12] = [
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];
const EN_WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Django's format-setting names, resolved to the `nl` locale's formats
/// (which take precedence over settings with localisation on).
pub(crate) fn named_format(name: &str) -> &str {
    match name {
        "DATE_FORMAT" => "j F Y",
        "DATETIME_FORMAT" => "j F Y H:i",
        "TIME_FORMAT" => "H:i",
        "YEAR_MONTH_FORMAT" => "F Y",
        "MONTH_DAY_FORMAT" => "j F",
        "SHORT_DATE_FORMAT" => "j-n-Y",
        "SHORT_DATETIME_FORMAT" => "j-n-Y H:i",
        other => other,
    }
}

/// A piece of a Django-style format string.
pub(crate) enum FormatPart {
    Spec(char),
    Literal(String),
}

/// Splits a format string like Django's `re_formatchars` + `re_escaped`: a
/// format character not preceded by a backslash is a spec; in literal
/// runs, `\x` becomes `x`.
pub(crate) fn split_format(format: &str, is_spec: impl Fn(char) -> bool) -> Vec<FormatPart> {
    let chars: Vec<char> = format.chars().collect();
    let mut parts = Vec::new();
    let mut literal: Vec<char> = Vec::new();
    let flush = |literal: &mut Vec<char>, parts: &mut Vec<FormatPart>| {
        if literal.is_empty() {
            return;
        }
        let mut text = String::new();
        let mut i = 0;
        while i < literal.len() {
            if literal[i] == '\\' && i + 1 < literal.len() && literal[i + 1] != '\n' {
                text.push(literal[i + 1]);
                i += 2;
            } else {
                text.push(literal[i]);
                i += 1;
            }
        }
        parts.push(FormatPart::Literal(text));
        literal.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        if is_spec(c) && (i == 0 || chars[i - 1] != '\\') {
            flush(&mut literal, &mut parts);
            parts.push(FormatPart::Spec(c));
        } else {
            literal.push(c);
        }
    }
    flush(&mut literal, &mut parts);
    parts
}

const DATE_SPECS: &str = "aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ";
const TIME_SPECS: &str = "aAefgGhHiOPsTuZ";

fn local(dt: DateTime<Utc>) -> DateTime<Tz> {
    dt.with_timezone(&Amsterdam)
}

/// Formats with Django's `DateFormat` (the `date` filter, `{% now %}`).
pub(crate) fn format_date(dt: DateTime<Utc>, format: &str) -> String {
    let l = local(dt);
    split_format(format, |c| DATE_SPECS.contains(c))
        .into_iter()
        .map(|part| match part {
            FormatPart::Spec(c) => spec(&l, c),
            FormatPart::Literal(t) => t,
        })
        .collect()
}

/// Formats with Django's `TimeFormat` (the `time` filter); `None` when the
/// format uses a date-only character (Django then renders `""`).
pub(crate) fn format_time(dt: DateTime<Utc>, format: &str) -> Option<String> {
    let l = local(dt);
    let mut out = String::new();
    for part in split_format(format, |c| DATE_SPECS.contains(c)) {
        match part {
            FormatPart::Spec(c) if TIME_SPECS.contains(c) => out.push_str(&spec(&l, c)),
            FormatPart::Spec(_) => return None,
            FormatPart::Literal(t) => out.push_str(&t),
        }
    }
    Some(out)
}

fn hour12(l: &DateTime<Tz>) -> u32 {
    match l.hour() % 12 {
        0 => 12,
        h => h,
    }
}

fn offset_seconds(l: &DateTime<Tz>) -> i32 {
    l.offset().fix().local_minus_utc()
}

fn spec(l: &DateTime<Tz>, c: char) -> String {
    let weekday = l.weekday().num_days_from_monday() as usize;
    let month = l.month0() as usize;
    match c {
        'a' => if l.hour() < 12 { "a.m." } else { "p.m." }.to_owned(),
        'A' => if l.hour() < 12 { "AM" } else { "PM" }.to_owned(),
        'b' => MONTHS_3[month].to_owned(),
        'c' => {
            if l.nanosecond() / 1000 == 0 {
                l.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
            } else {
                l.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()
            }
        }
        'd' => format!("{:02}", l.day()),
        'D' => WEEKDAYS_ABBR[weekday].to_owned(),
        'e' | 'T' => l.offset().abbreviation().unwrap_or("").to_owned(),
        'E' | 'F' => MONTHS[month].to_owned(),
        'f' => {
            if l.minute() == 0 {
                hour12(l).to_string()
            } else {
                format!("{}:{:02}", hour12(l), l.minute())
            }
        }
        'g' => hour12(l).to_string(),
        'G' => l.hour().to_string(),
        'h' => format!("{:02}", hour12(l)),
        'H' => format!("{:02}", l.hour()),
        'i' => format!("{:02}", l.minute()),
        'I' => {
            if l.offset().dst_offset().num_seconds() != 0 {
                "1".to_owned()
            } else {
                "0".to_owned()
            }
        }
        'j' => l.day().to_string(),
        'l' => WEEKDAYS[weekday].to_owned(),
        'L' => if is_leap(l.year()) { "True" } else { "False" }.to_owned(),
        'm' => format!("{:02}", l.month()),
        'M' => {
            let m = MONTHS_3[month];
            let mut chars = m.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        'n' => l.month().to_string(),
        'N' => MONTHS_3[month].to_owned(),
        'o' => l.iso_week().year().to_string(),
        'O' => {
            let s = offset_seconds(l);
            let sign = if s < 0 { '-' } else { '+' };
            let s = s.abs();
            format!("{sign}{:02}{:02}", s / 3600, (s / 60) % 60)
        }
        'P' => match (l.hour(), l.minute()) {
            (0, 0) => "middernacht".to_owned(),
            (12, 0) => "middag".to_owned(),
            _ => format!("{} {}", spec(l, 'f'), spec(l, 'a')),
        },
        'r' => format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} {}",
            EN_WEEKDAYS[weekday],
            l.day(),
            EN_MONTHS[month],
            l.year(),
            l.hour(),
            l.minute(),
            l.second(),
            spec(l, 'O')
        ),
        's' => format!("{:02}", l.second()),
        'S' => match l.day() {
            11..=13 => "th",
            d if d % 10 == 1 => "st",
            d if d % 10 == 2 => "nd",
            d if d % 10 == 3 => "rd",
            _ => "th",
        }
        .to_owned(),
        't' => days_in_month(l.year(), l.month()).to_string(),
        'u' => format!("{:06}", l.nanosecond() / 1000),
        'U' => l.timestamp().to_string(),
        'w' => ((weekday + 1) % 7).to_string(),
        'W' => l.iso_week().week().to_string(),
        'y' => format!("{:02}", l.year().rem_euclid(100)),
        'Y' => format!("{:04}", l.year()),
        'z' => l.ordinal().to_string(),
        'Z' => offset_seconds(l).to_string(),
        other => other.to_string(),
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// The Amsterdam offset of a UTC instant (used by tests).
#[cfg(test)]
pub(crate) fn amsterdam_offset_hours(dt: DateTime<Utc>) -> i32 {
    use chrono::offset::TimeZone;
    Amsterdam
        .offset_from_utc_datetime(&dt.naive_utc())
        .fix()
        .local_minus_utc()
        / 3600
}
