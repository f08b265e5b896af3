//! From PostgreSQL's `COPY … TO STDOUT (FORMAT csv)` to the CSV the
//! reference writes (spec 12 §12.1).
//!
//! The reference copies a query to a temporary file and then re-reads it
//! with Python's `csv.DictReader` from a file opened *without*
//! `newline=''`, and re-writes it with `csv.DictWriter`. The bytes that
//! come out of that, and that consumers of the files have always read:
//! * comma separated, CRLF after every record, header row first;
//! * a field is quoted only when it contains `,`, `"`, CR or LF; quotes
//!   are doubled; SQL NULL and the empty string are both an empty field;
//! * universal-newline reading turns every CR LF and every lone CR inside
//!   a value into LF (a reporter's text with Windows line ends comes out
//!   with bare LF);
//! * `locations.csv` additionally strips leading and trailing `"` from
//!   every value (`str.strip('"')`, meant to unwrap JSON strings).
//!
//! [`Rewriter`] does this incrementally: COPY chunks in, output bytes
//! appended to a caller's buffer, memory bounded by the longest record.

use csv_core::{ReadRecordResult, Reader};
use signalen_domain::signal::Stadsdeel;
use signalen_domain::status::State;

/// What an output column is made of, by position in the query's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The query's value as is.
    Value,
    /// A state code rendered as its Dutch label (`state_display`); codes
    /// without one become empty, as the reference's CASE does.
    StateDisplay,
    /// A one-letter district code rendered as its name; when there is none
    /// (or the code is unknown), the value of the query's column `fallback`
    /// (`COALESCE(CASE stadsdeel …, area_code)`).
    StadsdeelName { fallback: usize },
}

/// How one file's rows are rewritten.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub columns: &'static [Column],
    /// `str.strip('"')` on every value (locations.csv).
    pub strip_quotes: bool,
}

/// Writes a header row.
pub fn write_header(names: &[&str], out: &mut Vec<u8>) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_field(name.as_bytes(), out);
    }
    out.extend_from_slice(b"\r\n");
}

/// A record the query produced has a different number of fields than the
/// file has columns: a bug in the file's definition, never data.
#[derive(Debug, thiserror::Error)]
#[error("a record has {found} fields where {expected} were expected")]
pub struct FieldCountMismatch {
    pub expected: usize,
    pub found: usize,
}

/// The incremental rewriter of one file.
pub struct Rewriter {
    shape: Shape,
    reader: Reader,
    record: Vec<u8>,
    record_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    scratch: Vec<u8>,
    rows: u64,
}

impl Rewriter {
    pub fn new(shape: Shape) -> Self {
        Rewriter {
            shape,
            reader: Reader::new(),
            record: vec![0; 64 * 1024],
            record_len: 0,
            ends: vec![0; shape.columns.len().max(1) + 1],
            ends_len: 0,
            scratch: Vec::new(),
            rows: 0,
        }
    }

    /// Records written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Feeds a chunk of COPY output; complete records are appended to
    /// `out`. Returns the number of records this chunk completed.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<u64, FieldCountMismatch> {
        let before = self.rows;
        loop {
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.record[self.record_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[nin..];
            self.record_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty => return Ok(self.rows - before),
                ReadRecordResult::OutputFull => {
                    let len = self.record.len();
                    self.record.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record => {
                    self.emit(out)?;
                    self.record_len = 0;
                    self.ends_len = 0;
                }
                ReadRecordResult::End => return Ok(self.rows - before),
            }
        }
    }

    /// Flushes a last record that had no line end (COPY always ends its
    /// records with one; this is for completeness).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), FieldCountMismatch> {
        self.feed(&[], out).map(|_| ())
    }

    fn emit(&mut self, out: &mut Vec<u8>) -> Result<(), FieldCountMismatch> {
        let columns = self.shape.columns;
        let ends = &self.ends[..self.ends_len];
        if ends.len() != columns.len() {
            return Err(FieldCountMismatch {
                expected: columns.len(),
                found: ends.len(),
            });
        }
        let record = &self.record[..self.record_len];
        let field = |i: usize| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &record[start..ends[i]]
        };
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let raw = field(i);
            let value: &[u8] = match column {
                Column::Value => raw,
                Column::StateDisplay => std::str::from_utf8(raw)
                    .ok()
                    .and_then(|code| State::from_code(code).ok())
                    .map_or(&b""[..], |state| state.state_display().as_bytes()),
                Column::StadsdeelName { fallback } => std::str::from_utf8(raw)
                    .ok()
                    .and_then(Stadsdeel::from_code)
                    .map_or_else(|| field(*fallback), |s| s.name().as_bytes()),
            };
            let value = normalise_newlines(value, &mut self.scratch);
            let value = if self.shape.strip_quotes {
                strip_quotes(value)
            } else {
                value
            };
            write_field(value, out);
        }
        out.extend_from_slice(b"\r\n");
        self.rows += 1;
        Ok(())
    }
}

/// CR LF and lone CR become LF (Python's universal-newline reading).
fn normalise_newlines<'a>(value: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if memchr::memchr(b'\r', value).is_none() {
        return value;
    }
    scratch.clear();
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\r' => {
                scratch.push(b'\n');
                if value.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b => scratch.push(b),
        }
        i += 1;
    }
    scratch
}

fn strip_quotes(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| b != b'"').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b'"')
        .map_or(start, |i| i + 1);
    &value[start..end.max(start)]
}

/// Python's `QUOTE_MINIMAL` with the default dialect.
fn write_field(value: &[u8], out: &mut Vec<u8>) {
    let needs_quotes = memchr::memchr3(b',', b'"', b'\n', value).is_some()
        || memchr::memchr(b'\r', value).is_some();
    if !needs_quotes {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    let mut rest = value;
    while let Some(i) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=i]);
        out.push(b'"');
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Shape = Shape {
        columns: &[Column::Value, Column::Value, Column::Value],
        strip_quotes: false,
    };

    fn rewrite(shape: Shape, chunks: &[&[u8]]) -> String {
        let mut rewriter = Rewriter::new(shape);
        let mut out = Vec::new();
        for chunk in chunks {
            rewriter.feed(chunk, &mut out).expect("rewrite");
        }
        rewriter.finish(&mut out).expect("finish");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn nulls_and_empty_strings_both_become_empty_fields_and_records_end_in_crlf() {
        let csv = rewrite(PLAIN, &[b"1,,\"\"\n2,a,b\n"]);
        assert_eq!(csv, "1,,\r\n2,a,b\r\n");
    }

    #[test]
    fn quoting_is_minimal_and_quotes_are_doubled() {
        let csv = rewrite(
            PLAIN,
            &[b"1,\"a,b\",\"say \"\"hi\"\"\"\n2,\"x\ny\",plain text\n"],
        );
        assert_eq!(
            csv,
            "1,\"a,b\",\"say \"\"hi\"\"\"\r\n2,\"x\ny\",plain text\r\n"
        );
    }

    #[test]
    fn carriage_returns_inside_values_become_line_feeds() {
        let csv = rewrite(PLAIN, &[b"1,\"a\r\nb\",\"c\rd\"\n"]);
        assert_eq!(csv, "1,\"a\nb\",\"c\nd\"\r\n");
    }

    #[test]
    fn records_split_across_chunks_at_any_byte_come_out_whole() {
        let input: &[u8] = b"1,\"long, quoted\nvalue\",x\n22,y,\"z\"\"\"\n";
        let whole = rewrite(PLAIN, &[input]);
        for split in 1..input.len() {
            assert_eq!(
                rewrite(PLAIN, &[&input[..split], &input[split..]]),
                whole,
                "{split}"
            );
        }
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(rewrite(PLAIN, &bytewise), whole);
    }

    #[test]
    fn a_record_longer_than_the_buffer_is_not_truncated() {
        let long = "é".repeat(100_000);
        let input = format!("1,{long},x\n");
        assert_eq!(
            rewrite(PLAIN, &[input.as_bytes()]),
            format!("1,{long},x\r\n")
        );
    }

    #[test]
    fn states_are_rendered_as_their_labels_and_unknown_codes_as_empty() {
        let shape = Shape {
            columns: &[Column::Value, Column::StateDisplay],
            strip_quotes: false,
        };
        let csv = rewrite(shape, &[b"1,o\n2,closure requested\n3,nonsense\n4,\n"]);
        assert_eq!(
            csv,
            "1,Afgehandeld\r\n2,Extern: verzoek tot afhandeling\r\n3,\r\n4,\r\n"
        );
    }

    #[test]
    fn districts_are_named_and_fall_back_to_the_area_code() {
        let shape = Shape {
            columns: &[Column::StadsdeelName { fallback: 1 }, Column::Value],
            strip_quotes: false,
        };
        let csv = rewrite(shape, &[b"A,x\nF,\n,weesp-area\nZ,other\n"]);
        assert_eq!(
            csv,
            "Centrum,x\r\nNieuw-West,\r\nweesp-area,weesp-area\r\nother,other\r\n"
        );
    }

    #[test]
    fn stripping_removes_every_leading_and_trailing_quote() {
        let shape = Shape {
            columns: &[Column::Value, Column::Value, Column::Value],
            strip_quotes: true,
        };
        // "Amstel" (a JSON string), a JSON object, and a value of only quotes.
        let csv = rewrite(
            shape,
            &[b"\"\"\"Amstel\"\"\",\"{\"\"a\"\": \"\"b\"\"}\",\"\"\"\"\"\"\n"],
        );
        assert_eq!(csv, "Amstel,\"{\"\"a\"\": \"\"b\"\"}\",\r\n");
    }

    #[test]
    fn a_record_with_the_wrong_number_of_fields_is_an_error() {
        let mut rewriter = Rewriter::new(PLAIN);
        let mut out = Vec::new();
        let error = rewriter
            .feed(b"1,2\n", &mut out)
            .expect_err("two of three fields");
        assert_eq!((error.expected, error.found), (3, 2));
    }

    #[test]
    fn headers_are_written_like_records() {
        let mut out = Vec::new();
        write_header(&["id", "Text", "_signal_id"], &mut out);
        assert_eq!(out, b"id,Text,_signal_id\r\n");
    }
}
