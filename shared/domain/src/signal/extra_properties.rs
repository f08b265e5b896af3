//! Answers to the category questions of the citizen wizard, stored as the
//! signal's `extra_properties` (spec 03 §2.4).

use serde_json::Value;

/// The reference's message for `extra_properties` that break the schema:
/// a framework text its Dutch translation leaves in English.
pub const INVALID_EXTRA_PROPERTIES: &str = "Invalid input.";

/// Whether `value` (not null) passes the reference's JSON schema
/// (`json_schema/extra_properties.json`): an array of objects that each have
/// a string `id` and `label`, an `answer` of any type and a `category_url`
/// which, when it is a string, is a URL path or an http(s) URL with a path.
///
/// The schema's string patterns are applied as Python's `re.search` applies
/// them: `^(.*)$` refuses a line break except as the very last character.
/// Its `answer` alternatives reference definitions with `#rel` instead of
/// `$ref`, so any answer passes; more keys are allowed.
pub fn extra_properties_are_valid(value: &Value) -> bool {
    let Some(items) = value.as_array() else {
        return false;
    };
    items.iter().all(|item| {
        let Some(item) = item.as_object() else {
            return false;
        };
        let one_line_string =
            |key: &str| item.get(key).and_then(Value::as_str).is_some_and(one_line);
        one_line_string("id")
            && one_line_string("label")
            && item.contains_key("answer")
            && match item.get("category_url") {
                None => false,
                Some(Value::String(url)) => is_category_url(url),
                Some(_) => true,
            }
    })
}

/// `^(.*)$` under `re.search`: no `\n` but possibly one at the very end.
fn one_line(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    !body.contains('\n')
}

/// `^((https?://(www.|)([\w\d.:]*)|)(/[\w\d\-/]+))$` under `re.search`.
fn is_category_url(url: &str) -> bool {
    let url = url.strip_suffix('\n').unwrap_or(url);
    if url.contains('\n') {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let path = |rest: &str| {
        rest.strip_prefix('/').is_some_and(|tail| {
            !tail.is_empty() && tail.chars().all(|c| word(c) || c == '-' || c == '/')
        })
    };
    let host_then_path = |rest: &str| {
        let end = rest
            .find(|c: char| !(word(c) || c == '.' || c == ':'))
            .unwrap_or(rest.len());
        path(&rest[end..])
    };
    if path(url) {
        return true;
    }
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    if host_then_path(rest) {
        return true;
    }
    // `(www.)`: "www" and any one character, then the host.
    rest.strip_prefix("www")
        .and_then(|after| after.chars().next().map(|c| &after[c.len_utf8()..]))
        .is_some_and(host_then_path)
}

/// Whether a JSON value holds a NUL character in any string or key, which
/// PostgreSQL's `jsonb` cannot store.
pub fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(category_url: Value) -> Value {
        json!([{"id": "extra_container_kind", "label": "Wat voor container is het?",
                "answer": {"id": "rest", "label": "Restafval"}, "category_url": category_url}])
    }

    #[test]
    fn the_wizards_answers_pass() {
        assert!(extra_properties_are_valid(&json!([])));
        assert!(extra_properties_are_valid(&answer(json!(
            "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"
        ))));
        assert!(extra_properties_are_valid(&answer(json!(
            "https://api.data.amsterdam.nl/signals/v1/public/terms/categories/overig/sub_categories/overig"
        ))));
        assert!(extra_properties_are_valid(&answer(json!(
            "https://127.0.0.1:8080/signals/v1/public/terms/categories/overig/sub_categories/overig"
        ))));
        assert!(extra_properties_are_valid(&json!([{
            "id": "extra_container", "label": "Container", "category_url": "/a/b", "extra": true,
            "answer": [{"id": "X1", "type": "Rest", "description": "Restafval", "coordinates": {"lat": 52.3, "lng": 4.9}}]
        }])));
    }

    #[test]
    fn a_non_string_category_url_is_not_pattern_checked() {
        assert!(extra_properties_are_valid(&answer(json!(null))));
        assert!(extra_properties_are_valid(&answer(json!(12))));
    }

    #[test]
    fn what_breaks_the_schema_is_refused() {
        for value in [
            json!({}),
            json!({"old_style": "extra_properties"}),
            json!("answers"),
            json!([1]),
            json!([{"id": "a", "label": "b", "answer": "c"}]),
            json!([{"id": "a", "label": "b", "category_url": "/x"}]),
            json!([{"id": 1, "label": "b", "answer": "c", "category_url": "/x"}]),
            json!([{"id": "a", "label": null, "answer": "c", "category_url": "/x"}]),
            json!([{"id": "a", "label": "two\nlines", "answer": "c", "category_url": "/x"}]),
            answer(json!("invalid value")),
            answer(json!("")),
            answer(json!("/")),
            answer(json!("/with space")),
            answer(json!("https://example.org")),
            answer(json!("ftp://example.org/x")),
        ] {
            assert!(!extra_properties_are_valid(&value), "{value}");
        }
    }

    #[test]
    fn a_single_trailing_line_break_passes_as_in_python() {
        assert!(extra_properties_are_valid(&json!([
            {"id": "a\n", "label": "b", "answer": "c", "category_url": "/x\n"}
        ])));
    }

    #[test]
    fn the_www_group_lets_one_odd_character_through() {
        assert!(is_category_url("https://www-x.example/path"));
        assert!(!is_category_url("https://x-www.example/path"));
    }

    #[test]
    fn nul_characters_are_found_in_values_and_keys() {
        assert!(contains_nul(&json!({"a": ["x\u{0}"]})));
        assert!(contains_nul(&json!({"a\u{0}": 1})));
        assert!(!contains_nul(&json!({"a": ["x", 1, null]})));
    }
}
