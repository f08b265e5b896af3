//! Whether a PDF parses the way a reader opens one: from the end. The
//! `%%EOF` marker must be in the last KiB, preceded by `startxref` and the
//! offset of the cross-reference section, which must hold a classic `xref`
//! table or a cross-reference stream object; its trailer (or the stream's
//! dictionary) must name the document catalogue with `/Root`. When the
//! offset is wrong, readers rebuild the table by scanning for objects, and
//! so do we: the file then needs an indirect object and a `/Root`.
//! Objects themselves are not decoded.

pub fn is_sound(content: &[u8]) -> bool {
    if !version_header(content) {
        return false;
    }
    let tail_start = content.len().saturating_sub(1024);
    let Some(eof) = rfind(&content[tail_start..], b"%%EOF").map(|i| tail_start + i) else {
        return false;
    };
    let Some(startxref) = rfind(&content[..eof], b"startxref") else {
        return false;
    };
    let number = trim_ascii(&content[startxref + b"startxref".len()..eof]);
    let offset = std::str::from_utf8(number)
        .ok()
        .and_then(|n| n.parse::<usize>().ok());
    let section = offset.and_then(|offset| content.get(offset..startxref));
    match section {
        Some(section) if is_cross_reference(section) => find(section, b"/Root").is_some(),
        _ => has_indirect_object(content) && find(content, b"/Root").is_some(),
    }
}

/// `%PDF-<digit>.<digit>`.
fn version_header(content: &[u8]) -> bool {
    matches!(content.get(..8), Some([b'%', b'P', b'D', b'F', b'-', major, b'.', minor])
        if major.is_ascii_digit() && minor.is_ascii_digit())
}

/// A classic `xref` table (followed by `trailer`) or `<n> <g> obj` of a
/// cross-reference stream.
fn is_cross_reference(section: &[u8]) -> bool {
    let section = trim_ascii(section);
    if section.starts_with(b"xref") {
        return find(section, b"trailer").is_some();
    }
    object_header_length(section).is_some() && find(section, b"/XRef").is_some()
}

/// The length of `<digits> <digits> obj` at the start of `bytes`.
fn object_header_length(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for _ in 0..2 {
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        at += digits;
        let spaces = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if spaces == 0 {
            return None;
        }
        at += spaces;
    }
    bytes[at..].starts_with(b"obj").then_some(at + 3)
}

fn has_indirect_object(content: &[u8]) -> bool {
    content
        .windows(3)
        .enumerate()
        .filter(|(_, w)| *w == b"obj")
        .any(|(i, _)| {
            let line_start = content[..i]
                .iter()
                .rposition(|b| *b == b'\n' || *b == b'\r')
                .map_or(0, |p| p + 1);
            object_header_length(&content[line_start..]) == Some(i + 3 - line_start)
        })
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn a_well_formed_pdf_is_sound() {
        assert!(is_sound(&fixtures::pdf()));
    }

    #[test]
    fn a_wrong_xref_offset_is_repaired_by_scanning_as_readers_do() {
        let pdf = String::from_utf8(fixtures::pdf()).expect("ascii");
        let (body, _) = pdf.rsplit_once("startxref").expect("startxref");
        let moved = format!("{body}startxref\n3\n%%EOF\n");
        assert!(is_sound(moved.as_bytes()));
    }

    #[test]
    fn pdfs_without_an_end_a_cross_reference_or_a_catalogue_are_not() {
        let pdf = fixtures::pdf();
        assert!(!is_sound(&pdf[..pdf.len() - 7]), "no %%EOF");
        assert!(!is_sound(b"%PDF-1.4\n%%EOF\n"), "no startxref");
        assert!(!is_sound(b"%PDF-1.4\nstartxref\n0\n%%EOF\n"), "no objects");
        let text = String::from_utf8(pdf).expect("ascii");
        assert!(!is_sound(text.replace("/Root", "/Toor").as_bytes()));
        assert!(!is_sound(
            text.replacen("%PDF-1.4", "%PDF-x.4", 1).as_bytes()
        ));
    }
}
