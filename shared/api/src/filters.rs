//! Query-string filters as the reference's filter sets read them (spec 05 §5.1).

/// A boolean filter: `true`/`false` (any case) or `1`/`0`; the last value of
/// the parameter wins, as in Django. Anything else, or no value, means "no
/// filter".
pub fn boolean(query: Option<&str>, name: &str) -> Option<bool> {
    let value = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == name)
        .last()?
        .1;
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_false_one_and_zero_filter_and_anything_else_does_not() {
        assert_eq!(boolean(Some("is_active=true"), "is_active"), Some(true));
        assert_eq!(boolean(Some("is_active=False"), "is_active"), Some(false));
        assert_eq!(boolean(Some("is_active=1"), "is_active"), Some(true));
        assert_eq!(boolean(Some("is_active=0"), "is_active"), Some(false));
        assert_eq!(boolean(Some("is_active=ja"), "is_active"), None);
        assert_eq!(boolean(Some("is_active="), "is_active"), None);
        assert_eq!(boolean(None, "is_active"), None);
        assert_eq!(boolean(Some("can_direct=true"), "is_active"), None);
    }

    #[test]
    fn the_last_value_wins() {
        assert_eq!(
            boolean(Some("is_active=true&is_active=false"), "is_active"),
            Some(false)
        );
    }
}
