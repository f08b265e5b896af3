//! The file rules of every upload (spec 01 §3.10, 17 §17.1): the type
//! sniffed from the content must be allowed and equal the type the name's
//! extension implies, the content must be a sound image or PDF (decompression
//! bombs refused by pixel count), and the size must be within the limit.
//!
//! Sniffing reads the leading bytes the way libmagic's rules for these
//! formats do; the integrity checks read the headers an image library reads
//! when it opens a file (so, as in the reference, a truncated image body is
//! tolerated) and the PDF's cross-reference structure. Nothing is decoded,
//! re-encoded or stripped.

mod image;
mod pdf;

pub use self::image::{Dimensions, MAX_IMAGE_PIXELS};

/// `API_MAX_UPLOAD_SIZE`'s default: 20 MiB.
pub const DEFAULT_MAX_UPLOAD_SIZE: usize = 20 * 1024 * 1024;

pub const JPEG: &str = "image/jpeg";
pub const PNG: &str = "image/png";
pub const GIF: &str = "image/gif";
pub const PDF: &str = "application/pdf";

/// Who uploads: the public route takes images only, the private one PDFs too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Private,
}

impl Audience {
    pub fn allows(self, mime: &str) -> bool {
        match self {
            Audience::Public => matches!(mime, JPEG | PNG | GIF),
            Audience::Private => matches!(mime, JPEG | PNG | GIF | PDF),
        }
    }
}

/// A file that passed every rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedFile {
    /// The sniffed type, one of [`JPEG`], [`PNG`], [`GIF`], [`PDF`].
    pub mime: &'static str,
    /// Images (not PDFs) are.
    pub is_image: bool,
    /// Of an image.
    pub dimensions: Option<Dimensions>,
}

/// Why a file is refused, each with the reference's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// `Het verstuurde bestand is leeg.`
    Empty,
    /// `Files of type '<mime>' are not allowed!`
    NotAllowed(&'static str),
    /// `'<mime>' does not match filename extension!`
    ExtensionMismatch(&'static str),
    /// `Failed to resolve mime type from filename!`
    UnknownExtension,
    /// `File is not valid!`: not a sound image or PDF, or an image with more
    /// than [`MAX_IMAGE_PIXELS`] pixels.
    Invalid,
    /// `File size of <n> is more than the allowed size <max>!`
    TooLarge { size: usize, max: usize },
}

impl FileError {
    pub fn message(&self) -> String {
        match self {
            FileError::Empty => "Het verstuurde bestand is leeg.".to_owned(),
            FileError::NotAllowed(mime) => format!("Files of type '{mime}' are not allowed!"),
            FileError::ExtensionMismatch(mime) => {
                format!("'{mime}' does not match filename extension!")
            }
            FileError::UnknownExtension => "Failed to resolve mime type from filename!".to_owned(),
            FileError::Invalid => "File is not valid!".to_owned(),
            FileError::TooLarge { size, max } => {
                format!("File size of {size} is more than the allowed size {max}!")
            }
        }
    }
}

/// Checks `content` named `file_name` against every rule, in the
/// reference's order (allowed type, extension, integrity, size); all
/// failures are reported, as the framework runs every validator.
pub fn check(
    file_name: &str,
    content: &[u8],
    audience: Audience,
    max_size: usize,
) -> Result<CheckedFile, Vec<FileError>> {
    if content.is_empty() {
        return Err(vec![FileError::Empty]);
    }
    let mime = sniff(content);
    let mut errors = Vec::new();
    if !audience.allows(mime) {
        errors.push(FileError::NotAllowed(mime));
    }
    match mime_from_file_name(file_name) {
        None => errors.push(FileError::UnknownExtension),
        Some(by_name) if by_name != mime => errors.push(FileError::ExtensionMismatch(mime)),
        Some(_) => {}
    }
    let dimensions = match mime {
        JPEG => image::jpeg(content),
        PNG => image::png(content),
        GIF => image::gif(content),
        _ => None,
    };
    let sound = match mime {
        JPEG | PNG | GIF => dimensions.is_some_and(|d| d.pixels() <= MAX_IMAGE_PIXELS),
        PDF => pdf::is_sound(content),
        _ => true,
    };
    if !sound {
        errors.push(FileError::Invalid);
    }
    if content.len() > max_size {
        errors.push(FileError::TooLarge {
            size: content.len(),
            max: max_size,
        });
    }
    if errors.is_empty() {
        Ok(CheckedFile {
            mime,
            is_image: mime != PDF,
            dimensions,
        })
    } else {
        Err(errors)
    }
}

/// The content's type from its leading bytes (libmagic reads 2 KiB): the
/// four allowed ones exactly, a few common others by name so that a refusal
/// says what was sent, then `text/plain` or `application/octet-stream`.
pub fn sniff(content: &[u8]) -> &'static str {
    let head = &content[..content.len().min(2048)];
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\xff\xd8\xff") {
        JPEG
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        PNG
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        GIF
    } else if at(0, b"%PDF-") {
        PDF
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(4, b"ftypavif") {
        "image/avif"
    } else if at(4, b"ftyp")
        && [&b"heic"[..], b"heix", b"mif1", b"msf1", b"hevc"]
            .iter()
            .any(|brand| at(8, brand))
    {
        "image/heic"
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        "image/tiff"
    } else if at(0, b"BM") && head.len() >= 26 {
        "image/bmp"
    } else if at(0, b"PK\x03\x04") {
        "application/zip"
    } else if let Ok(text) = std::str::from_utf8(head_without_cut_char(head)) {
        if text.contains('\0') {
            "application/octet-stream"
        } else if text.trim_start().starts_with("<svg")
            || (text.trim_start().starts_with("<?xml") && text.contains("<svg"))
        {
            "image/svg+xml"
        } else {
            "text/plain"
        }
    } else {
        "application/octet-stream"
    }
}

/// `head` without a UTF-8 sequence cut off by the 2 KiB window.
fn head_without_cut_char(head: &[u8]) -> &[u8] {
    match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_none() => &head[..e.valid_up_to()],
        _ => head,
    }
}

/// The type Python's `mimetypes.guess_type` gives the name's extension
/// (exact, then lower case), for the extensions uploads meet. As in
/// Python, leading dots belong to the name: `.png` has no extension.
pub fn mime_from_file_name(file_name: &str) -> Option<&'static str> {
    let (_, extension) = file_name.trim_start_matches('.').rsplit_once('.')?;
    let by_extension = |extension: &str| -> Option<&'static str> {
        Some(match extension {
            "jpg" | "jpeg" | "jpe" => JPEG,
            "png" => PNG,
            "gif" => GIF,
            "pdf" => PDF,
            "webp" => "image/webp",
            "avif" => "image/avif",
            "heic" => "image/heic",
            "tif" | "tiff" => "image/tiff",
            "bmp" => "image/bmp",
            "svg" => "image/svg+xml",
            "zip" => "application/zip",
            "txt" => "text/plain",
            "csv" => "text/csv",
            "html" | "htm" => "text/html",
            "json" => "application/json",
            "xml" => "text/xml",
            "doc" => "application/msword",
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "mp4" => "video/mp4",
            "mov" => "video/quicktime",
            _ => return None,
        })
    };
    by_extension(extension).or_else(|| by_extension(&extension.to_ascii_lowercase()))
}

/// Real small files for tests (here and in the integration tests).
#[cfg(any(test, feature = "test-util"))]
pub mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    const MAX: usize = DEFAULT_MAX_UPLOAD_SIZE;

    #[test]
    fn the_four_allowed_types_are_sniffed_from_their_content() {
        assert_eq!(sniff(&jpeg(640, 480)), JPEG);
        assert_eq!(sniff(&png(16, 9)), PNG);
        assert_eq!(sniff(&gif(3, 2)), GIF);
        assert_eq!(sniff(&pdf()), PDF);
    }

    #[test]
    fn other_content_is_named_so_that_a_refusal_says_what_was_sent() {
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), "image/heic");
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0"), "application/zip");
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        assert_eq!(
            sniff("Gewoon een tekst, met één accent.".as_bytes()),
            "text/plain"
        );
        assert_eq!(sniff(b"\x00\x01\x02\x03\xfe"), "application/octet-stream");
    }

    #[test]
    fn sound_images_pass_with_their_dimensions() {
        for (name, content, mime, size) in [
            ("foto.jpg", jpeg(640, 480), JPEG, (640, 480)),
            ("FOTO.JPEG", jpeg(1, 1), JPEG, (1, 1)),
            ("kaart.png", png(16, 9), PNG, (16, 9)),
            ("anim.gif", gif(3, 2), GIF, (3, 2)),
        ] {
            let checked = check(name, &content, Audience::Public, MAX).expect(name);
            assert_eq!(checked.mime, mime, "{name}");
            assert!(checked.is_image, "{name}");
            let d = checked.dimensions.expect("dimensions");
            assert_eq!((d.width, d.height), size, "{name}");
        }
    }

    #[test]
    fn a_pdf_is_allowed_in_the_back_office_only() {
        let checked = check("brief.pdf", &pdf(), Audience::Private, MAX).expect("private pdf");
        assert_eq!(checked.mime, PDF);
        assert!(!checked.is_image);
        assert_eq!(checked.dimensions, None);

        assert_eq!(
            check("brief.pdf", &pdf(), Audience::Public, MAX),
            Err(vec![FileError::NotAllowed(PDF)])
        );
        assert_eq!(
            FileError::NotAllowed(PDF).message(),
            "Files of type 'application/pdf' are not allowed!"
        );
    }

    #[test]
    fn a_type_that_is_not_allowed_is_refused_by_its_sniffed_name() {
        let errors = check("notitie.txt", b"hallo", Audience::Private, MAX).expect_err("text");
        assert_eq!(errors, vec![FileError::NotAllowed("text/plain")]);
        assert_eq!(
            errors[0].message(),
            "Files of type 'text/plain' are not allowed!"
        );
    }

    #[test]
    fn the_extension_must_name_the_sniffed_type() {
        assert_eq!(
            check("foto.png", &jpeg(10, 10), Audience::Public, MAX),
            Err(vec![FileError::ExtensionMismatch(JPEG)])
        );
        assert_eq!(
            FileError::ExtensionMismatch(JPEG).message(),
            "'image/jpeg' does not match filename extension!"
        );
        // A PNG called .pdf in the back office: both rules of a PDF would
        // pass on the name, but the content is a PNG.
        assert_eq!(
            check("scan.pdf", &png(2, 2), Audience::Private, MAX),
            Err(vec![FileError::ExtensionMismatch(PNG)])
        );
        assert_eq!(
            check("foto", &jpeg(10, 10), Audience::Public, MAX),
            Err(vec![FileError::UnknownExtension])
        );
        assert_eq!(
            check("foto.exe", &jpeg(10, 10), Audience::Public, MAX),
            Err(vec![FileError::UnknownExtension])
        );
        // A disguised file fails on its content and on its name.
        assert_eq!(
            check("foto.jpg", b"<html>boo</html>", Audience::Public, MAX),
            Err(vec![
                FileError::NotAllowed("text/plain"),
                FileError::ExtensionMismatch("text/plain"),
            ])
        );
    }

    #[test]
    fn truncated_or_broken_headers_are_not_valid() {
        let jpeg = jpeg(640, 480);
        let png = png(16, 9);
        let gif = gif(3, 2);
        let pdf = pdf();
        for (name, content) in [
            // the SOF segment cut in half
            ("a.jpg", &jpeg[..jpeg_sof_offset(&jpeg) + 5]),
            // no SOF at all: SOI and then the end
            ("b.jpg", &jpeg[..4]),
            // IHDR cut off
            ("c.png", &png[..20]),
            // no image descriptor after the screen descriptor
            ("d.gif", &gif[..13]),
            // no %%EOF and no cross-reference table
            ("e.pdf", &pdf[..pdf.len() / 2]),
        ] {
            let audience = Audience::Private;
            assert_eq!(
                check(name, content, audience, MAX),
                Err(vec![FileError::Invalid]),
                "{name}"
            );
        }
        let mut bad_crc = png.clone();
        bad_crc[29] ^= 0xff;
        assert_eq!(
            check("f.png", &bad_crc, Audience::Public, MAX),
            Err(vec![FileError::Invalid])
        );
        assert_eq!(FileError::Invalid.message(), "File is not valid!");
    }

    #[test]
    fn a_truncated_image_body_is_tolerated_as_the_reference_does() {
        let full = jpeg(640, 480);
        let cut = &full[..full.len() - 3];
        assert!(check("a.jpg", cut, Audience::Public, MAX).is_ok());
        let png = png(16, 9);
        assert!(check("a.png", &png[..png.len() - 12], Audience::Public, MAX).is_ok());
    }

    #[test]
    fn decompression_bombs_are_refused_by_their_header_alone() {
        // 20,000 × 20,000 = 400 million pixels in a file of a few hundred bytes.
        for (name, content) in [
            ("bom.png", png(20_000, 20_000)),
            ("bom.jpg", jpeg(20_000, 20_000)),
            ("bom.gif", gif(65_535, 65_535)),
        ] {
            assert!(content.len() < 1024, "{name}");
            assert_eq!(
                check(name, &content, Audience::Public, MAX),
                Err(vec![FileError::Invalid]),
                "{name}"
            );
        }
        // The largest allowed: exactly at the limit.
        assert!(check("rand.png", &png(9_459, 9_459), Audience::Public, MAX).is_ok());
        const { assert!(9_459u64 * 9_459 <= MAX_IMAGE_PIXELS) };
        const { assert!(9_460u64 * 9_460 > MAX_IMAGE_PIXELS) };
        assert!(check("rand.png", &png(9_460, 9_460), Audience::Public, MAX).is_err());
    }

    #[test]
    fn empty_and_too_large_files_are_refused_with_their_sizes() {
        assert_eq!(
            check("leeg.jpg", b"", Audience::Public, MAX),
            Err(vec![FileError::Empty])
        );
        assert_eq!(
            FileError::Empty.message(),
            "Het verstuurde bestand is leeg."
        );
        let content = jpeg(8, 8);
        let max = content.len() - 1;
        assert_eq!(
            check("groot.jpg", &content, Audience::Public, max),
            Err(vec![FileError::TooLarge {
                size: content.len(),
                max
            }])
        );
        assert_eq!(
            FileError::TooLarge {
                size: 20_971_521,
                max: 20_971_520
            }
            .message(),
            "File size of 20971521 is more than the allowed size 20971520!"
        );
        assert!(check("precies.jpg", &content, Audience::Public, content.len()).is_ok());
    }

    #[test]
    fn extensions_are_read_as_pythons_mimetypes_does() {
        assert_eq!(mime_from_file_name("a.JPG"), Some(JPEG));
        assert_eq!(mime_from_file_name("a.tar.pdf"), Some(PDF));
        assert_eq!(mime_from_file_name("a.jpe"), Some(JPEG));
        assert_eq!(mime_from_file_name(".png"), None);
        assert_eq!(mime_from_file_name(".foto.png"), Some(PNG));
        assert_eq!(mime_from_file_name("geen-extensie"), None);
        assert_eq!(mime_from_file_name("a."), None);
    }
}
