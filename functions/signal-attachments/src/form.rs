//! The upload form: `multipart/form-data` with a `file` part and, in the
//! back office, optional `public` and `caption` fields. API Gateway hands
//! a binary body to the function base64-encoded; `lambda_http` decodes it,
//! so the router sees the raw bytes.

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;

/// What a form carries beyond its file: room for the boundaries, part
/// headers and the small fields. A body larger than the file limit plus
/// this is refused before it is parsed.
pub const FORM_OVERHEAD: usize = 64 * 1024;

/// The uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The part's file name without any directory a client put before it.
    pub file_name: String,
    /// The part's declared `Content-Type` (not trusted; kept as a fact).
    pub content_type: Option<String>,
    pub content: Bytes,
}

/// What the `file` field held.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FileField {
    /// Not sent (or sent as a part with an empty file name, which browsers
    /// send for an empty file input).
    #[default]
    Missing,
    /// A plain field, not a file part.
    NotAFile,
    File(FilePart),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadForm {
    pub file: FileField,
    pub public: Option<String>,
    pub caption: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// 413: the body is larger than `limit` bytes.
    TooLarge { limit: usize },
    /// 415: neither a form nor JSON.
    UnsupportedMediaType(String),
    /// 400: a multipart body that does not parse.
    Malformed(String),
}

/// Reads the body (at most `max_file` plus [`FORM_OVERHEAD`] bytes) and
/// parses it. A JSON or URL-encoded body, or none at all, parses as a form
/// without a file, as the reference's parsers take them.
pub async fn read_form(
    headers: &HeaderMap,
    body: Body,
    max_file: usize,
) -> Result<UploadForm, FormError> {
    let limit = max_file.saturating_add(FORM_OVERHEAD);
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| FormError::TooLarge { limit })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media_type = content_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    match media_type.as_deref() {
        Some("multipart/form-data") => {
            parse_multipart(content_type.as_deref().unwrap_or_default(), bytes).await
        }
        Some("application/json" | "application/x-www-form-urlencoded") => Ok(UploadForm::default()),
        None if bytes.is_empty() => Ok(UploadForm::default()),
        _ => Err(FormError::UnsupportedMediaType(
            content_type.unwrap_or_default(),
        )),
    }
}

async fn parse_multipart(content_type: &str, body: Bytes) -> Result<UploadForm, FormError> {
    let malformed = |e: multer::Error| FormError::Malformed(e.to_string());
    let boundary = multer::parse_boundary(content_type).map_err(malformed)?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(base_name);
        let content_type = field.content_type().map(|m| m.to_string());
        let content = field.bytes().await.map_err(malformed)?;
        // The last value of a field wins, as in Django's QueryDict.
        match (name.as_str(), file_name) {
            ("file", Some(file_name)) if file_name.is_empty() => form.file = FileField::Missing,
            ("file", Some(file_name)) => {
                form.file = FileField::File(FilePart {
                    file_name,
                    content_type,
                    content,
                })
            }
            ("file", None) => form.file = FileField::NotAFile,
            ("public", None) => form.public = Some(String::from_utf8_lossy(&content).into_owned()),
            ("caption", None) => {
                form.caption = Some(String::from_utf8_lossy(&content).into_owned())
            }
            _ => {}
        }
    }
    Ok(form)
}

/// The name after the last `/` or `\` (old browsers send the whole path).
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A part of [`multipart_body`]: name, `Some((file name, content type))`
/// for a file, content.
#[cfg(test)]
pub type TestPart<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A multipart body with the given parts, for tests.
#[cfg(test)]
pub fn multipart_body(boundary: &str, parts: &[TestPart<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((file_name, content_type)) => body.extend(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend(*content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().expect("header"));
        headers
    }

    const BOUNDARY: &str = "----signalen7MA4YWxkTrZu0gW";

    fn form_headers() -> HeaderMap {
        headers(&format!("multipart/form-data; boundary={BOUNDARY}"))
    }

    #[tokio::test]
    async fn a_file_part_and_the_small_fields_are_read() {
        let body = multipart_body(
            BOUNDARY,
            &[
                ("caption", None, "Foto van de situatie".as_bytes()),
                (
                    "file",
                    Some(("C:\\Users\\melder\\container.jpg", "image/jpeg")),
                    b"\xff\xd8\xff\x00\r\n--not-the-boundary\r\n\x01",
                ),
                ("public", None, b"true"),
                ("other", None, b"ignored"),
            ],
        );

        let form = read_form(&form_headers(), Body::from(body), 1024)
            .await
            .expect("form");

        let FileField::File(file) = form.file else {
            panic!("no file: {:?}", form.file);
        };
        assert_eq!(file.file_name, "container.jpg");
        assert_eq!(file.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            &file.content[..],
            b"\xff\xd8\xff\x00\r\n--not-the-boundary\r\n\x01"
        );
        assert_eq!(form.public.as_deref(), Some("true"));
        assert_eq!(form.caption.as_deref(), Some("Foto van de situatie"));
    }

    #[tokio::test]
    async fn a_form_without_a_file_or_with_a_plain_file_field_says_so() {
        let empty_name = multipart_body(
            BOUNDARY,
            &[("file", Some(("", "application/octet-stream")), b"")],
        );
        let form = read_form(&form_headers(), Body::from(empty_name), 1024)
            .await
            .expect("form");
        assert_eq!(form.file, FileField::Missing);

        let plain = multipart_body(BOUNDARY, &[("file", None, b"iets")]);
        let form = read_form(&form_headers(), Body::from(plain), 1024)
            .await
            .expect("form");
        assert_eq!(form.file, FileField::NotAFile);

        for (content_type, body) in [
            ("application/json", &b"{\"file\": null}"[..]),
            ("application/x-www-form-urlencoded", b"file=x"),
        ] {
            let form = read_form(&headers(content_type), Body::from(body.to_vec()), 1024)
                .await
                .expect(content_type);
            assert_eq!(form.file, FileField::Missing, "{content_type}");
        }
        let form = read_form(&HeaderMap::new(), Body::empty(), 1024)
            .await
            .expect("no body");
        assert_eq!(form.file, FileField::Missing);
    }

    #[tokio::test]
    async fn other_media_types_bad_forms_and_large_bodies_are_refused() {
        assert_eq!(
            read_form(&headers("image/jpeg"), Body::from("\u{ff}"), 1024).await,
            Err(FormError::UnsupportedMediaType("image/jpeg".into()))
        );
        assert_eq!(
            read_form(&HeaderMap::new(), Body::from("x"), 1024).await,
            Err(FormError::UnsupportedMediaType(String::new()))
        );
        assert!(matches!(
            read_form(&headers("multipart/form-data"), Body::from("x"), 1024).await,
            Err(FormError::Malformed(_))
        ));
        let cut = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\nabc"
        );
        assert!(matches!(
            read_form(&form_headers(), Body::from(cut), 1024).await,
            Err(FormError::Malformed(_))
        ));
        let big = vec![b'x'; 10 + FORM_OVERHEAD + 1];
        assert_eq!(
            read_form(&form_headers(), Body::from(big), 10).await,
            Err(FormError::TooLarge {
                limit: 10 + FORM_OVERHEAD
            })
        );
    }
}
