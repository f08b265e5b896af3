//! A zip archive written front to back, for an upload that cannot seek.
//!
//! Entries are deflate-compressed as the reference's `zipfile.ZIP_DEFLATED`
//! does; because sizes and CRC are only known at the end of an entry, each
//! local header has general-purpose flag bit 3 set and the values follow
//! the data in a data descriptor (APPNOTE 4.3.9), which every unzip tool and
//! Python's `zipfile` read. The central directory at the end repeats them.
//!
//! The archive is zip32: an entry or the archive over 4 GiB is refused with
//! an error rather than written wrong (see docs/dwh-export.md).
//!
//! The compressed bytes collect in [`ZipStream::output`]; the caller drains
//! them into upload parts whenever it likes, so memory stays bounded.

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Bit 3: sizes and CRC in the data descriptor. Bit 11: UTF-8 names.
const FLAGS: u16 = 0x0008 | 0x0800;
const DEFLATE: u16 = 8;
const VERSION: u16 = 20;

#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("zip entry {0} exceeds the 4 GiB limit of a zip32 archive")]
    TooLarge(String),
    #[error("an entry is already open in the zip stream")]
    EntryOpen,
    #[error("no entry is open in the zip stream")]
    NoEntry,
    #[error("deflate failed")]
    Deflate(#[from] std::io::Error),
}

struct Entry {
    name: String,
    offset: u64,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
}

struct Open {
    name: String,
    offset: u64,
    crc: crc32fast::Hasher,
    uncompressed: u64,
    compressed: u64,
    encoder: DeflateEncoder<Vec<u8>>,
}

/// The archive being written.
pub struct ZipStream {
    output: Vec<u8>,
    written: u64,
    level: Compression,
    dos_time: u16,
    dos_date: u16,
    entries: Vec<Entry>,
    open: Option<Open>,
}

impl ZipStream {
    /// `modified` is the time every entry carries (the run's time);
    /// `level` the deflate level (the reference: zlib's default, 6).
    pub fn new(modified: DateTime<Utc>, level: u32) -> Self {
        let (dos_time, dos_date) = dos_date_time(modified);
        ZipStream {
            output: Vec::new(),
            written: 0,
            level: Compression::new(level.min(9)),
            dos_time,
            dos_date,
            entries: Vec::new(),
            open: None,
        }
    }

    /// Compressed bytes not yet taken by [`Self::take_output`].
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Takes the compressed bytes written so far.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    pub fn start_entry(&mut self, name: &str) -> Result<(), ZipError> {
        if self.open.is_some() {
            return Err(ZipError::EntryOpen);
        }
        let offset = self.written;
        let mut header = Vec::with_capacity(30 + name.len());
        put_u32(&mut header, LOCAL_HEADER);
        put_u16(&mut header, VERSION);
        put_u16(&mut header, FLAGS);
        put_u16(&mut header, DEFLATE);
        put_u16(&mut header, self.dos_time);
        put_u16(&mut header, self.dos_date);
        put_u32(&mut header, 0); // CRC: in the data descriptor
        put_u32(&mut header, 0); // compressed size: idem
        put_u32(&mut header, 0); // uncompressed size: idem
        put_u16(&mut header, name.len() as u16);
        put_u16(&mut header, 0); // extra field length
        header.extend_from_slice(name.as_bytes());
        self.emit(&header);
        self.open = Some(Open {
            name: name.to_owned(),
            offset,
            crc: crc32fast::Hasher::new(),
            uncompressed: 0,
            compressed: 0,
            encoder: DeflateEncoder::new(Vec::with_capacity(256 * 1024), self.level),
        });
        Ok(())
    }

    pub fn write(&mut self, data: &[u8]) -> Result<(), ZipError> {
        let open = self.open.as_mut().ok_or(ZipError::NoEntry)?;
        open.crc.update(data);
        open.uncompressed += data.len() as u64;
        open.encoder.write_all(data)?;
        let produced = open.encoder.get_mut();
        if produced.len() >= 128 * 1024 {
            open.compressed += produced.len() as u64;
            self.output.extend_from_slice(produced);
            self.written += produced.len() as u64;
            produced.clear();
        }
        Ok(())
    }

    pub fn finish_entry(&mut self) -> Result<(), ZipError> {
        let mut open = self.open.take().ok_or(ZipError::NoEntry)?;
        open.encoder.try_finish()?;
        let rest = open.encoder.get_mut();
        open.compressed += rest.len() as u64;
        let rest = std::mem::take(rest);
        self.emit(&rest);
        let entry = Entry {
            name: open.name,
            offset: open.offset,
            crc: open.crc.finalize(),
            compressed: open.compressed,
            uncompressed: open.uncompressed,
        };
        if entry.compressed > u64::from(u32::MAX)
            || entry.uncompressed > u64::from(u32::MAX)
            || entry.offset > u64::from(u32::MAX)
        {
            return Err(ZipError::TooLarge(entry.name));
        }
        let mut descriptor = Vec::with_capacity(16);
        put_u32(&mut descriptor, DATA_DESCRIPTOR);
        put_u32(&mut descriptor, entry.crc);
        put_u32(&mut descriptor, entry.compressed as u32);
        put_u32(&mut descriptor, entry.uncompressed as u32);
        self.emit(&descriptor);
        self.entries.push(entry);
        Ok(())
    }

    /// Writes the central directory; the archive is complete once the
    /// output is drained.
    pub fn finish(&mut self) -> Result<(), ZipError> {
        if self.open.is_some() {
            return Err(ZipError::EntryOpen);
        }
        let start = self.written;
        let mut directory = Vec::new();
        for entry in &self.entries {
            put_u32(&mut directory, CENTRAL_HEADER);
            put_u16(&mut directory, VERSION); // made by (MS-DOS / FAT attributes)
            put_u16(&mut directory, VERSION);
            put_u16(&mut directory, FLAGS);
            put_u16(&mut directory, DEFLATE);
            put_u16(&mut directory, self.dos_time);
            put_u16(&mut directory, self.dos_date);
            put_u32(&mut directory, entry.crc);
            put_u32(&mut directory, entry.compressed as u32);
            put_u32(&mut directory, entry.uncompressed as u32);
            put_u16(&mut directory, entry.name.len() as u16);
            put_u16(&mut directory, 0); // extra
            put_u16(&mut directory, 0); // comment
            put_u16(&mut directory, 0); // disk number
            put_u16(&mut directory, 0); // internal attributes
            put_u32(&mut directory, 0); // external attributes
            put_u32(&mut directory, entry.offset as u32);
            directory.extend_from_slice(entry.name.as_bytes());
        }
        let size = directory.len() as u64;
        if start > u64::from(u32::MAX) || start + size > u64::from(u32::MAX) {
            return Err(ZipError::TooLarge("(central directory)".into()));
        }
        let count = self.entries.len() as u16;
        put_u32(&mut directory, END_OF_CENTRAL_DIRECTORY);
        put_u16(&mut directory, 0);
        put_u16(&mut directory, 0);
        put_u16(&mut directory, count);
        put_u16(&mut directory, count);
        put_u32(&mut directory, size as u32);
        put_u32(&mut directory, start as u32);
        put_u16(&mut directory, 0); // comment length
        self.emit(&directory);
        Ok(())
    }

    fn emit(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
        self.written += bytes.len() as u64;
    }
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// MS-DOS time and date fields (2-second resolution, years from 1980).
fn dos_date_time(at: DateTime<Utc>) -> (u16, u16) {
    let year = (at.year().clamp(1980, 2107) - 1980) as u16;
    let time = ((at.hour() as u16) << 11) | ((at.minute() as u16) << 5) | (at.second() as u16 / 2);
    let date = (year << 9) | ((at.month() as u16) << 5) | at.day() as u16;
    (time, date)
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn archive(files: &[(&str, &[u8])], chunk: usize) -> Vec<u8> {
        let at = DateTime::parse_from_rfc3339("2020-09-10T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let mut zip = ZipStream::new(at, 6);
        let mut bytes = Vec::new();
        for (name, content) in files {
            zip.start_entry(name).expect("start");
            for part in content.chunks(chunk) {
                zip.write(part).expect("write");
                bytes.extend(zip.take_output());
            }
            zip.finish_entry().expect("finish entry");
        }
        zip.finish().expect("finish");
        bytes.extend(zip.take_output());
        bytes
    }

    #[test]
    fn dos_fields_encode_the_run_time() {
        let at = DateTime::parse_from_rfc3339("2020-09-10T12:34:56Z")
            .expect("time")
            .with_timezone(&Utc);
        let (time, date) = dos_date_time(at);
        assert_eq!(time >> 11, 12);
        assert_eq!((time >> 5) & 0x3f, 34);
        assert_eq!((time & 0x1f) * 2, 56);
        assert_eq!((date >> 9) + 1980, 2020);
        assert_eq!((date >> 5) & 0xf, 9);
        assert_eq!(date & 0x1f, 10);
    }

    #[test]
    fn entries_inflate_back_to_their_content_with_the_recorded_crc() {
        let big: Vec<u8> = (0..600_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let bytes = archive(
            &[
                ("120000UTC_a.csv", b"id\r\n1\r\n"),
                ("120000UTC_b.csv", &big),
            ],
            70_001,
        );
        // End of central directory: the last 22 bytes.
        let eocd = &bytes[bytes.len() - 22..];
        assert_eq!(
            u32::from_le_bytes(eocd[0..4].try_into().expect("4")),
            END_OF_CENTRAL_DIRECTORY
        );
        assert_eq!(u16::from_le_bytes(eocd[10..12].try_into().expect("2")), 2);
        let cd_offset = u32::from_le_bytes(eocd[16..20].try_into().expect("4")) as usize;
        let mut at = cd_offset;
        for expected in [&b"id\r\n1\r\n"[..], &big] {
            let header = &bytes[at..];
            assert_eq!(
                u32::from_le_bytes(header[0..4].try_into().expect("4")),
                CENTRAL_HEADER
            );
            let crc = u32::from_le_bytes(header[16..20].try_into().expect("4"));
            let compressed = u32::from_le_bytes(header[20..24].try_into().expect("4")) as usize;
            let size = u32::from_le_bytes(header[24..28].try_into().expect("4")) as usize;
            let name_len = u16::from_le_bytes(header[28..30].try_into().expect("2")) as usize;
            let offset = u32::from_le_bytes(header[42..46].try_into().expect("4")) as usize;
            let local_name_len =
                u16::from_le_bytes(bytes[offset + 26..offset + 28].try_into().expect("2")) as usize;
            let data =
                &bytes[offset + 30 + local_name_len..offset + 30 + local_name_len + compressed];
            let mut inflated = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(data), &mut inflated)
                .expect("inflate");
            assert_eq!(inflated.len(), size);
            assert_eq!(inflated, expected);
            assert_eq!(crc32fast::hash(&inflated), crc);
            at += 46 + name_len;
        }
    }

    /// The consumer the reference's archive was made for: Python's zipfile.
    #[test]
    fn python_zipfile_reads_the_archive() {
        let bytes = archive(
            &[
                ("120000UTC_signals.csv", b"id,text\r\n1,\"a,b\"\r\n"),
                ("120000UTC_empty.csv", b""),
            ],
            3,
        );
        let path = std::env::temp_dir().join(format!("dwh-zip-test-{}.zip", std::process::id()));
        std::fs::write(&path, &bytes).expect("write the archive");
        let output = Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile\n\
                 z = zipfile.ZipFile(sys.argv[1])\n\
                 assert z.testzip() is None\n\
                 for i in z.infolist():\n\
                 \x20   print(i.filename, i.compress_type, i.date_time, repr(z.read(i)))\n",
            )
            .arg(&path)
            .output()
            .expect("python3 is on the machine (the local stack runs on it)");
        std::fs::remove_file(&path).ok();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "120000UTC_signals.csv 8 (2020, 9, 10, 12, 0, 0) b'id,text\\r\\n1,\"a,b\"\\r\\n'\n\
             120000UTC_empty.csv 8 (2020, 9, 10, 12, 0, 0) b''\n"
        );
    }
}
