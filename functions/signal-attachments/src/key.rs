//! Where an attachment is stored (spec 17 §17.2):
//! `attachments/{YYYY}/{MM}/{DD}/{name}`, the date of upload in
//! Europe/Amsterdam, the name the client's file name made safe. A key is
//! never reused: when one is taken, a random suffix goes before the
//! extension (`container_x7k2q9a.jpg`), as the reference's storage does.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Amsterdam;

/// `signals_attachment.file` is `varchar(255)`.
pub const MAX_KEY_CHARS: usize = 255;
const SUFFIX_CHARS: usize = 7;
/// The stem of a name that has nothing safe left.
const FALLBACK_STEM: &str = "bijlage";

/// The first key to try for `file_name` uploaded `at`.
pub fn object_key(at: DateTime<Utc>, file_name: &str) -> String {
    let prefix = at
        .with_timezone(&Amsterdam)
        .format("attachments/%Y/%m/%d/")
        .to_string();
    let name = safe_name(file_name);
    let (stem, extension) = split(&name);
    // Room for a suffix later, so that every candidate fits the column.
    let room = MAX_KEY_CHARS - prefix.len() - extension.len() - SUFFIX_CHARS - 1;
    let stem: String = stem.chars().take(room).collect();
    format!("{prefix}{stem}{extension}")
}

/// `key` with `_<suffix>` before its extension.
pub fn with_suffix(key: &str, random: &str) -> String {
    let suffix: String = random.chars().take(SUFFIX_CHARS).collect();
    let (directory, name) = key.rsplit_once('/').unwrap_or(("", key));
    let (stem, extension) = split(name);
    format!("{directory}/{stem}_{suffix}{extension}")
}

/// The file name part of a key: what notes call the attachment.
pub fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// As Django's `get_valid_name`, restricted to ASCII for S3: spaces become
/// underscores, every character but letters, digits, `-`, `_` and `.` is
/// dropped; leading dots go (no hidden or relative names).
pub fn safe_name(file_name: &str) -> String {
    let kept: String = file_name
        .trim()
        .chars()
        .map(|c| if c == ' ' { '_' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let (stem, extension) = match kept.rfind('.') {
        Some(dot) => kept.split_at(dot),
        None => (kept.as_str(), ""),
    };
    let extension = if extension == "." { "" } else { extension };
    let stem = stem.trim_start_matches('.');
    if stem.trim_matches(['_', '-', '.']).is_empty() {
        format!("{FALLBACK_STEM}{extension}")
    } else {
        format!("{stem}{extension}")
    }
}

/// `("container", ".jpg")`; the extension is empty when there is none.
fn split(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn the_key_has_the_amsterdam_date_of_upload_and_the_file_name() {
        assert_eq!(
            object_key(at(2024, 3, 1, 9), "container.jpg"),
            "attachments/2024/03/01/container.jpg"
        );
        // 23:30 UTC on 31 December is already New Year in Amsterdam.
        let late = Utc
            .with_ymd_and_hms(2024, 12, 31, 23, 30, 0)
            .single()
            .expect("time");
        assert_eq!(object_key(late, "a.png"), "attachments/2025/01/01/a.png");
    }

    #[test]
    fn names_are_made_safe_for_a_key() {
        assert_eq!(
            safe_name("Foto van de container.JPG"),
            "Foto_van_de_container.JPG"
        );
        assert_eq!(safe_name("../../etc/passwd.png"), "etcpasswd.png");
        assert_eq!(
            safe_name("straat?x=1&y=<script>.gif"),
            "straatx1yscript.gif"
        );
        assert_eq!(safe_name("één.jpg"), "n.jpg");
        assert_eq!(safe_name("ééé.jpg"), "bijlage.jpg");
        assert_eq!(safe_name("_.jpg"), "bijlage.jpg");
        assert_eq!(safe_name("...."), "bijlage");
        assert_eq!(safe_name("a\u{0}b\r\n.pdf"), "ab.pdf");
    }

    #[test]
    fn a_taken_key_gets_a_suffix_before_its_extension() {
        let key = "attachments/2024/03/01/container.jpg";
        assert_eq!(
            with_suffix(key, "x7k2q9a1b2"),
            "attachments/2024/03/01/container_x7k2q9a.jpg"
        );
        assert_eq!(
            with_suffix("attachments/2024/03/01/bijlage", "abcdefg"),
            "attachments/2024/03/01/bijlage_abcdefg"
        );
        assert_eq!(file_name(key), "container.jpg");
    }

    #[test]
    fn long_names_are_cut_so_that_even_a_suffixed_key_fits_the_column() {
        let name = format!("{}.jpeg", "a".repeat(400));
        let key = object_key(at(2024, 3, 1, 9), &name);
        assert!(key.ends_with("aaa.jpeg"), "{key}");
        let suffixed = with_suffix(&key, "abcdefghij");
        assert_eq!(suffixed.len(), MAX_KEY_CHARS);
        assert!(suffixed.ends_with("_abcdefg.jpeg"), "{suffixed}");
    }
}
