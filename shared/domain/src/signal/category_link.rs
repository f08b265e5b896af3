//! The category of a new signal, named by the hyperlink of its public
//! sub-category (spec 03 §2.5): `…/signals/v1/public/terms/categories/<main>/sub_categories/<sub>`.

/// The slugs a sub-category hyperlink names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubCategoryLink {
    pub main_slug: String,
    pub sub_slug: String,
}

/// Why a hyperlink names no category, with the framework's Dutch messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HyperlinkError {
    /// The path is no route of the API.
    #[error("Ongeldige hyperlink - Geen overeenkomende URL.")]
    NoMatch,
    /// The path is another route (a main category, a list, a signal).
    #[error("Ongeldige hyperlink - Ongeldige URL")]
    IncorrectMatch,
    /// The route matches, but no sub category has these slugs.
    #[error("Ongeldige hyperlink - Object bestaat niet.")]
    DoesNotExist,
}

/// The framework's message for a hyperlink that is not a string.
pub fn hyperlink_incorrect_type(python_type: &str) -> String {
    format!("Ongeldig type. Verwacht een URL, ontving {python_type}.")
}

const TERMS: &str = "/signals/v1/public/terms/categories";

impl SubCategoryLink {
    /// Resolves a hyperlink as Django REST framework's hyperlinked field
    /// does: an absolute `http(s):` URL counts by its path only (any host),
    /// the path is percent-decoded, a trailing slash is optional and slugs
    /// are path segments without `.`. Not checked: whether the category
    /// exists or is active.
    pub fn parse(link: &str) -> Result<SubCategoryLink, HyperlinkError> {
        let path = if link.starts_with("http:") || link.starts_with("https:") {
            url_path(link)
        } else {
            link
        };
        let path = percent_decode(path);
        match route_segments(&path).as_deref() {
            Some([main, "sub_categories", sub]) => Ok(SubCategoryLink {
                main_slug: (*main).to_owned(),
                sub_slug: (*sub).to_owned(),
            }),
            Some([] | [_] | [_, "sub_categories"]) => Err(HyperlinkError::IncorrectMatch),
            _ if is_other_public_route(&path) => Err(HyperlinkError::IncorrectMatch),
            _ => Err(HyperlinkError::NoMatch),
        }
    }
}

/// The segments after the category terms prefix, when every one is a valid
/// router segment (`[^/.]+`) and at most one trailing slash follows.
fn route_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix(TERMS)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
    segments
        .iter()
        .all(|s| !s.is_empty() && !s.contains('.'))
        .then_some(segments)
}

/// The public signal routes, which resolve but to another view.
fn is_other_public_route(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/signals/v1/public/signals") else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.is_empty()
        || rest
            .strip_prefix('/')
            .is_some_and(|id| !id.is_empty() && !id.contains(['/', '.']))
}

/// The path of an absolute URL (`scheme://authority/path?query#fragment`).
fn url_path(url: &str) -> &str {
    let rest = url.split_once(':').map_or(url, |(_, rest)| rest);
    let rest = match rest.strip_prefix("//") {
        Some(authority_and_path) => authority_and_path
            .find(['/', '?', '#'])
            .map_or("", |at| &authority_and_path[at..]),
        None => rest,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

/// `%xx` sequences decoded (invalid ones kept), then read as UTF-8 with
/// replacement characters, as Python's `urllib.parse.unquote`.
fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(main: &str, sub: &str) -> Result<SubCategoryLink, HyperlinkError> {
        Ok(SubCategoryLink {
            main_slug: main.to_owned(),
            sub_slug: sub.to_owned(),
        })
    }

    #[test]
    fn absolute_and_relative_links_name_the_slugs_and_the_host_does_not_matter() {
        for url in [
            "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil",
            "http://localhost:8000/signals/v1/public/terms/categories/afval/sub_categories/grofvuil/",
            "https://elders.example/signals/v1/public/terms/categories/afval/sub_categories/grofvuil?x=1",
            "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil",
            "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil/",
            "/signals/v1/public/terms/categories/%61fval/sub_categories/grofvuil",
        ] {
            assert_eq!(
                SubCategoryLink::parse(url),
                link("afval", "grofvuil"),
                "{url}"
            );
        }
    }

    #[test]
    fn other_routes_are_an_incorrect_match() {
        for url in [
            "/signals/v1/public/terms/categories/afval",
            "https://api.example.org/signals/v1/public/terms/categories/afval/",
            "/signals/v1/public/terms/categories/",
            "/signals/v1/public/terms/categories/afval/sub_categories",
            "/signals/v1/public/signals/",
            "/signals/v1/public/signals/6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77",
        ] {
            assert_eq!(
                SubCategoryLink::parse(url),
                Err(HyperlinkError::IncorrectMatch),
                "{url}"
            );
        }
    }

    #[test]
    fn paths_that_are_no_route_are_no_match() {
        for url in [
            "",
            "grofvuil",
            "https://api.example.org/",
            "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil/extra",
            "/signals/v1/public/terms/categories/afval/sub_categories/grof.vuil",
            "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil//",
            "/signals/v1/public/terms/categories//sub_categories/grofvuil",
            "/signals/v1/private/categories/12",
            "ftp://example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil",
        ] {
            assert_eq!(
                SubCategoryLink::parse(url),
                Err(HyperlinkError::NoMatch),
                "{url}"
            );
        }
    }

    #[test]
    fn the_messages_are_the_frameworks() {
        assert_eq!(
            HyperlinkError::DoesNotExist.to_string(),
            "Ongeldige hyperlink - Object bestaat niet."
        );
        assert_eq!(
            hyperlink_incorrect_type("int"),
            "Ongeldig type. Verwacht een URL, ontving int."
        );
    }

    #[test]
    fn percent_decoding_keeps_invalid_sequences() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
