//! The project filter `format_address` (the reference's `AddressFormatter`).

use super::dateformat::{FormatPart, split_format};
use super::value::Value;

/// The default format: street, number and letter, postcode with a space,
/// city (`Amstel 1, 1011 PN Amsterdam`).
pub(crate) const DEFAULT_FORMAT: &str = "O hl, P W";

/// Formats an address map. Format characters: `O` street (openbare ruimte),
/// `h` house number, `l` house letter, `t` addition, `T` addition prefixed
/// with `-` (only when not blank), `p` postcode as stored, `P` postcode
/// with a space after the digits, `W` city; a backslash makes a letter
/// literal. Missing parts are empty and the separators around them stay,
/// exactly like the reference (no trimming). Anything that is not a map
/// formats as an address with every part missing.
pub(crate) fn format_address(address: &Value, format: &str) -> String {
    split_format(format, |c| "OhltTpPW".contains(c))
        .into_iter()
        .map(|part| match part {
            FormatPart::Literal(text) => text,
            FormatPart::Spec(c) => part_of(address, c),
        })
        .collect()
}

fn field(address: &Value, key: &str) -> String {
    match address.map_get(key) {
        None | Some(Value::Null) => String::new(),
        Some(v) => v.py_str(),
    }
}

fn part_of(address: &Value, c: char) -> String {
    match c {
        'O' => field(address, "openbare_ruimte"),
        'h' => field(address, "huisnummer"),
        'l' => field(address, "huisletter"),
        't' => field(address, "huisnummer_toevoeging"),
        'T' => {
            let addition = field(address, "huisnummer_toevoeging");
            if addition.trim().is_empty() {
                String::new()
            } else {
                format!("-{addition}")
            }
        }
        'p' => field(address, "postcode"),
        'P' => {
            let postcode = field(address, "postcode");
            let digits = postcode.chars().take_while(char::is_ascii_digit).count();
            if postcode.is_empty() {
                String::new()
            } else {
                let (number, rest) = postcode.split_at(digits);
                let spaced = if digits == 0 {
                    postcode.clone()
                } else {
                    format!(" {number} {rest}")
                };
                spaced.trim().to_owned()
            }
        }
        'W' => field(address, "woonplaats"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stadhuis() -> Value {
        Value::from(serde_json::json!({
            "openbare_ruimte": "Amstel",
            "huisnummer": 1,
            "huisletter": "",
            "huisnummer_toevoeging": "",
            "postcode": "1011PN",
            "woonplaats": "Amsterdam"
        }))
    }

    #[test]
    fn the_default_format_matches_the_reference() {
        assert_eq!(
            format_address(&stadhuis(), DEFAULT_FORMAT),
            "Amstel 1, 1011 PN Amsterdam"
        );
    }

    #[test]
    fn additions_letters_and_escapes() {
        let address = Value::from(serde_json::json!({
            "openbare_ruimte": "Kerkstraat",
            "huisnummer": "12",
            "huisletter": "B",
            "huisnummer_toevoeging": "2",
            "postcode": "1017GC",
            "woonplaats": "Amsterdam"
        }));
        assert_eq!(
            format_address(&address, "O hlT, P W"),
            "Kerkstraat 12B-2, 1017 GC Amsterdam"
        );
        assert_eq!(
            format_address(&address, "O h l t p"),
            "Kerkstraat 12 B 2 1017GC"
        );
        assert_eq!(
            format_address(&address, r"\Pos\tcode: P"),
            "Postcode: 1017 GC"
        );
    }

    #[test]
    fn missing_parts_leave_their_separators_like_the_reference() {
        let address =
            Value::from(serde_json::json!({"openbare_ruimte": "Dam", "woonplaats": "Amsterdam"}));
        assert_eq!(format_address(&address, DEFAULT_FORMAT), "Dam ,  Amsterdam");
        assert_eq!(format_address(&Value::Null, DEFAULT_FORMAT), " ,  ");
        let blank_addition =
            Value::from(serde_json::json!({"huisnummer": 3, "huisnummer_toevoeging": " "}));
        assert_eq!(format_address(&blank_addition, "hT"), "3");
    }

    #[test]
    fn a_postcode_that_already_has_a_space_gets_a_second_one_like_the_reference() {
        let address = Value::from(serde_json::json!({"postcode": "1011 PN"}));
        assert_eq!(format_address(&address, "P"), "1011  PN");
    }
}
