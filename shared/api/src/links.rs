//! Absolute URLs, as the reference writes them in `_links` and root documents.

use std::convert::Infallible;
use std::sync::OnceLock;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::Serialize;

/// A HAL link, `{"href": …}`: `T` is the URL (`String`, `&str`), or an
/// `Option` of one for a link that can be absent (`{"href": null}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Href<T> {
    pub href: T,
}

/// The scheme and authority a client reached us under, e.g.
/// `https://api.example.org` — without a trailing slash.
///
/// `API_BASE_URL` (read once) wins when set: behind a CDN or a custom domain
/// the `Host` API Gateway sees is not the one clients use. Otherwise it is
/// built from `X-Forwarded-Proto` (set by API Gateway) and `Host`, as Django's
/// `build_absolute_uri` does behind a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn new(url: &str) -> Self {
        Self(url.trim_end_matches('/').to_owned())
    }

    pub fn from_parts(parts: &Parts) -> Self {
        static CONFIGURED: OnceLock<Option<String>> = OnceLock::new();
        let configured = CONFIGURED.get_or_init(|| {
            std::env::var("API_BASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
        });
        match configured {
            Some(url) => Self::new(url),
            None => Self::from_headers(&parts.headers),
        }
    }

    fn from_headers(headers: &http::HeaderMap) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let scheme = match header("x-forwarded-proto") {
            Some("https") => "https",
            _ => "http",
        };
        let host = header("x-forwarded-host")
            .or_else(|| header("host"))
            .unwrap_or("localhost");
        Self(format!("{scheme}://{host}"))
    }

    /// `path` (starting with `/`) made absolute.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The absolute URL of a file in media storage (a category icon, …):
/// under `media_base_url` when one is configured (`MEDIA_BASE_URL`, a CDN
/// or bucket), else under `<API base>/signals/media/` as the reference serves it.
pub fn media_url(base: &BaseUrl, media_base_url: Option<&str>, path: &str) -> String {
    let path = path.trim_start_matches('/');
    match media_base_url {
        Some(media) => format!("{}/{path}", media.trim_end_matches('/')),
        None => base.join(&format!("/signals/media/{path}")),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn behind_api_gateway_the_forwarded_scheme_and_host_are_used() {
        let base = BaseUrl::from_headers(&headers(&[
            ("host", "api.example.org"),
            ("x-forwarded-proto", "https"),
        ]));
        assert_eq!(
            base.join("/signals/v1/"),
            "https://api.example.org/signals/v1/"
        );
    }

    #[test]
    fn locally_plain_http_and_the_port_are_kept() {
        let base = BaseUrl::from_headers(&headers(&[("host", "127.0.0.1:9000")]));
        assert_eq!(base.as_str(), "http://127.0.0.1:9000");
    }

    #[test]
    fn a_forwarded_host_wins_over_host_and_only_its_first_value_counts() {
        let base = BaseUrl::from_headers(&headers(&[
            ("host", "internal:8080"),
            ("x-forwarded-host", "meldingen.example.nl, proxy"),
            ("x-forwarded-proto", "https,http"),
        ]));
        assert_eq!(base.as_str(), "https://meldingen.example.nl");
    }

    #[test]
    fn media_files_live_under_the_media_base_or_the_api() {
        let base = BaseUrl::new("https://api.example.org");
        assert_eq!(
            media_url(&base, None, "icons/categories/afval/afval.svg"),
            "https://api.example.org/signals/media/icons/categories/afval/afval.svg"
        );
        assert_eq!(
            media_url(
                &base,
                Some("https://cdn.example.org/media/"),
                "/icons/a.png"
            ),
            "https://cdn.example.org/media/icons/a.png"
        );
    }

    #[test]
    fn a_configured_url_loses_its_trailing_slash() {
        assert_eq!(
            BaseUrl::new("https://api.example.org/").join("/signals/"),
            "https://api.example.org/signals/"
        );
    }
}
