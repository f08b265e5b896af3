//! Template values and the Python semantics the Django engine gives them:
//! truthiness, `str()`, `repr()`, equality and ordering.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

/// A value in a template context.
///
/// Mirrors the Python objects the reference puts in its template contexts.
/// Truthiness follows Python: `Null`, `false`, `0`, `0.0`, `""`, `[]` and an
/// empty map are false, everything else (every date-time) is true.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Python `None`; renders as `None`, like Django does.
    Null,
    /// A boolean; renders as `True` / `False`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number; renders with the Dutch decimal comma.
    Float(f64),
    /// A string.
    Str(String),
    /// An aware date-time; rendered and formatted in Europe/Amsterdam.
    DateTime(DateTime<Utc>),
    /// A list (Python list or tuple).
    List(Vec<Value>),
    /// A mapping in insertion order, like a Python dict. Keys are expected
    /// to be unique; a lookup finds the first.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// Builds a map from `(key, value)` pairs, keeping their order.
    pub fn map<K, V, I>(pairs: I) -> Value
    where
        K: Into<String>,
        V: Into<Value>,
        I: IntoIterator<Item = (K, V)>,
    {
        let mut entries: Vec<(String, Value)> = Vec::new();
        for (k, v) in pairs {
            let k = k.into();
            let v = v.into();
            match entries.iter_mut().find(|(existing, _)| *existing == k) {
                Some(slot) => slot.1 = v,
                None => entries.push((k, v)),
            }
        }
        Value::Map(entries)
    }

    /// Python truthiness.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::DateTime(_) => true,
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    pub(crate) fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python `len()`, `None` where Python raises `TypeError`.
    pub(crate) fn py_len(&self) -> Option<usize> {
        match self {
            Value::Str(s) => Some(s.chars().count()),
            Value::List(l) => Some(l.len()),
            Value::Map(m) => Some(m.len()),
            _ => None,
        }
    }

    /// What iterating over the value yields in Python (`for x in value`):
    /// list items, map keys, string characters; `None` for non-iterables.
    pub(crate) fn py_iter(&self) -> Option<Vec<Value>> {
        match self {
            Value::List(l) => Some(l.clone()),
            Value::Map(m) => Some(m.iter().map(|(k, _)| Value::Str(k.clone())).collect()),
            Value::Str(s) => Some(s.chars().map(|c| Value::Str(c.to_string())).collect()),
            _ => None,
        }
    }

    /// Python `str(value)` (not localised): what Django's `stringfilter`
    /// filters receive.
    pub(crate) fn py_str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => self.py_repr(),
            Value::DateTime(dt) => {
                let micros = dt.timestamp_subsec_micros();
                if micros == 0 {
                    dt.format("%Y-%m-%d %H:%M:%S+00:00").to_string()
                } else {
                    dt.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
                }
            }
            Value::List(_) | Value::Map(_) => self.py_repr(),
        }
    }

    /// Python `repr(value)`, used inside `str()` of lists and maps.
    pub(crate) fn py_repr(&self) -> String {
        match self {
            Value::Null => "None".to_owned(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(*f),
            Value::Str(s) => str_repr(s),
            Value::DateTime(dt) => dt
                .format(
                    "datetime.datetime(%Y, %-m, %-d, %-H, %-M, %-S, tzinfo=datetime.timezone.utc)",
                )
                .to_string(),
            Value::List(l) => {
                let items: Vec<String> = l.iter().map(Value::py_repr).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Map(m) => {
                let items: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}: {}", str_repr(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    fn as_number(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Python `==`.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::DateTime(x), Value::DateTime(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.map_get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Int(x), Value::Int(y)) => x == y,
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Python ordering; `None` where Python raises `TypeError`.
pub(crate) fn py_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !py_eq(p, q) {
                    return py_cmp(p, q);
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        },
    }
}

/// Python `repr(float)`: shortest round-trip digits, scientific notation
/// below 1e-4 and from 1e16 on, always a `.0` on integral values.
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    if !(-4 < decpt && decpt <= 16) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    let body = if decpt <= 0 {
        format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
    } else if decpt >= n {
        format!("{}{}.0", digits, "0".repeat((decpt - n) as usize))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// Python `repr(str)`.
pub(crate) fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl From<serde_json::Value> for Value {
    /// JSON maps to Python's `json.loads` types: objects keep their order.
    /// Strings stay strings, also ISO date-times: put [`Value::DateTime`] in
    /// the context for values that templates format with `date`.
    fn from(json: serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(a) => Value::List(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => {
                Value::Map(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(dt: DateTime<Utc>) -> Self {
        Value::DateTime(dt)
    }
}

impl From<Vec<Value>> for Value {
    fn from(l: Vec<Value>) -> Self {
        Value::List(l)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_repr_like_python() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(1.5), "1.5");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1234567890123456.0), "1234567890123456.0");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.00001), "1e-05");
        assert_eq!(float_repr(-2.5e-7), "-2.5e-07");
        assert_eq!(float_repr(f64::INFINITY), "inf");
    }

    #[test]
    fn truthiness_follows_python() {
        for falsy in [
            Value::Null,
            Value::Bool(false),
            Value::Int(0),
            Value::Float(0.0),
            Value::from(""),
            Value::List(vec![]),
            Value::Map(vec![]),
        ] {
            assert!(!falsy.is_truthy(), "{falsy:?}");
        }
        assert!(Value::from("0").is_truthy());
        assert!(Value::List(vec![Value::Null]).is_truthy());
    }

    #[test]
    fn lists_and_strings_repr_like_python() {
        let v = Value::List(vec![
            Value::from("a"),
            Value::from("it's"),
            Value::Int(1),
            Value::Null,
        ]);
        assert_eq!(v.py_str(), r#"['a', "it's", 1, None]"#);
        let m = Value::map([("k", Value::Bool(true))]);
        assert_eq!(m.py_str(), "{'k': True}");
    }

    #[test]
    fn numbers_compare_across_types() {
        assert!(py_eq(&Value::Int(1), &Value::Float(1.0)));
        assert!(py_eq(&Value::Bool(true), &Value::Int(1)));
        assert!(!py_eq(&Value::from("1"), &Value::Int(1)));
        assert_eq!(py_cmp(&Value::from("a"), &Value::Int(1)), None);
        assert_eq!(
            py_cmp(&Value::Int(2), &Value::Float(2.5)),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn json_keeps_object_order() {
        let v = Value::from(serde_json::json!({"b": 1, "a": [true, null, 1.5, "x"]}));
        assert_eq!(v.py_str(), "{'b': 1, 'a': [True, None, 1.5, 'x']}");
    }
}
