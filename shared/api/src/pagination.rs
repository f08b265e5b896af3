//! HAL pagination, as the reference's list endpoints answer (drf-amsterdam
//! `HALPagination`): `page` (1-based, or `last`) and `page_size` (default 100,
//! no upper limit) from the query; `self`, `next` and `previous` links that
//! repeat the request URL with `page` replaced; `count` of all matching rows.

use http::Uri;
use serde::Serialize;

use crate::links::Href;
use crate::{ApiError, BaseUrl};

/// The page size when the query gives none, or one that is not a positive integer.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The page a client asked for, before the total is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: RequestedPage,
    pub page_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestedPage {
    Number(u64),
    Last,
    /// Not a positive integer nor `last`: every count answers 404.
    Invalid,
}

/// A page resolved against the total: what to fetch and how to link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u64,
    pub size: u64,
    pub count: u64,
}

impl PageRequest {
    /// Reads `page` and `page_size` from a raw query string (the last value of
    /// each wins, as in Django).
    pub fn from_query(query: Option<&str>) -> Self {
        Self::from_query_with(query, "page", DEFAULT_PAGE_SIZE)
    }

    /// As [`Self::from_query`], with the page number in `page_param` and
    /// `default_size` rows per page: the maps page by `geopage`, 4,000 at a
    /// time (`SIGNALS_API_GEO_PAGINATE_BY`).
    pub fn from_query_with(query: Option<&str>, page_param: &str, default_size: u64) -> Self {
        let mut page = RequestedPage::Number(1);
        let mut page_size = default_size;
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                key if key == page_param => {
                    page = match value.trim() {
                        "last" => RequestedPage::Last,
                        number => match number.parse::<u64>() {
                            Ok(n) if n > 0 => RequestedPage::Number(n),
                            _ => RequestedPage::Invalid,
                        },
                    }
                }
                "page_size" => {
                    page_size = match value.trim().parse::<u64>() {
                        Ok(n) if n > 0 => n,
                        _ => default_size,
                    }
                }
                _ => {}
            }
        }
        Self { page, page_size }
    }

    /// The page number asked for when it is one (not `last`, not invalid):
    /// its rows can then be fetched together with the count.
    pub fn number(&self) -> Option<u64> {
        match self.page {
            RequestedPage::Number(n) => Some(n),
            RequestedPage::Last | RequestedPage::Invalid => None,
        }
    }

    /// The page within `count` rows; 404 `Ongeldige pagina.` when it lies
    /// outside them (an empty result still has a page 1).
    pub fn resolve(self, count: u64) -> Result<Page, ApiError> {
        let last = count.div_ceil(self.page_size).max(1);
        let number = match self.page {
            RequestedPage::Number(n) if n <= last => n,
            RequestedPage::Last => last,
            _ => return Err(ApiError::NotFound("Ongeldige pagina.")),
        };
        Ok(Page {
            number,
            size: self.page_size,
            count,
        })
    }
}

impl Page {
    /// Rows to skip (SQL `OFFSET`).
    pub fn offset(&self) -> u64 {
        (self.number - 1) * self.size
    }

    /// Rows to take (SQL `LIMIT`).
    pub fn limit(&self) -> u64 {
        self.size
    }

    fn has_next(&self) -> bool {
        self.number * self.size < self.count
    }

    /// The `Link` header of a page answered as a bare document (the maps,
    /// drf's `LinkHeaderPagination`): `<url>; rel="self"`, then `next` and
    /// `prev` where they exist, joined by `,`; `page_param` replaced.
    pub fn link_header(&self, base: &BaseUrl, uri: &Uri, page_param: &str) -> String {
        let mut links = vec![format!(
            "<{}>; rel=\"self\"",
            base.join(uri.path_and_query().map_or(uri.path(), |pq| pq.as_str()))
        )];
        if self.has_next() {
            links.push(format!(
                "<{}>; rel=\"next\"",
                base.join(&with_page(uri, page_param, self.number + 1))
            ));
        }
        if self.number > 1 {
            links.push(format!(
                "<{}>; rel=\"prev\"",
                base.join(&with_page(uri, page_param, self.number - 1))
            ));
        }
        links.join(",")
    }

    /// The HAL page document around `results`, linking from the request URL.
    /// It serializes straight into the response: the results (any
    /// `Serialize`, e.g. a `Vec` of borrowed list items) are not copied into
    /// a `serde_json::Value` tree first.
    pub fn document<T: Serialize>(&self, base: &BaseUrl, uri: &Uri, results: T) -> HalPage<T> {
        let link = |number: u64| base.join(&with_page(uri, "page", number));
        HalPage {
            links: PageLinks {
                this: Href {
                    href: base.join(uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())),
                },
                next: Href {
                    href: self.has_next().then(|| link(self.number + 1)),
                },
                previous: Href {
                    href: (self.number > 1).then(|| link(self.number - 1)),
                },
            },
            count: self.count,
            results,
        }
    }
}

/// A HAL page: `{"_links": {"self", "next", "previous"}, "count", "results"}`,
/// the absent links as `{"href": null}`.
#[derive(Debug, Serialize)]
pub struct HalPage<T> {
    #[serde(rename = "_links")]
    links: PageLinks,
    count: u64,
    results: T,
}

#[derive(Debug, Serialize)]
struct PageLinks {
    #[serde(rename = "self")]
    this: Href<String>,
    next: Href<Option<String>>,
    previous: Href<Option<String>>,
}

/// The request's path and query with `page_param` set to `number`;
/// parameters sorted by name as Django's `replace_query_param` re-encodes
/// them.
fn with_page(uri: &Uri, page_param: &str, number: u64) -> String {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .filter(|(key, _)| key != page_param)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.push((page_param.to_owned(), number.to_string()));
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}?{query}", uri.path())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api.example.org")
    }

    #[test]
    fn without_parameters_the_first_page_of_a_hundred_is_asked_for() {
        let request = PageRequest::from_query(None);
        let page = request.resolve(512).expect("page 1 exists");
        assert_eq!((page.number, page.offset(), page.limit()), (1, 0, 100));
    }

    #[test]
    fn a_page_size_that_is_not_a_positive_integer_falls_back_to_the_default() {
        for query in [
            "page_size=0",
            "page_size=-3",
            "page_size=veel",
            "page_size=",
        ] {
            assert_eq!(
                PageRequest::from_query(Some(query)).page_size,
                DEFAULT_PAGE_SIZE,
                "{query}"
            );
        }
        assert_eq!(
            PageRequest::from_query(Some("page_size=1000000")).page_size,
            1_000_000
        );
    }

    #[test]
    fn last_is_the_last_page_and_pages_beyond_it_are_not_found() {
        let last = PageRequest::from_query(Some("page=last&page_size=50"))
            .resolve(101)
            .expect("last");
        assert_eq!(last.number, 3);
        for query in ["page=4&page_size=50", "page=0", "page=twee", "page=-1"] {
            let refused = PageRequest::from_query(Some(query)).resolve(101);
            assert!(
                matches!(refused, Err(ApiError::NotFound("Ongeldige pagina."))),
                "{query}"
            );
        }
    }

    #[test]
    fn the_maps_page_by_geopage_with_their_own_default_size() {
        let request =
            PageRequest::from_query_with(Some("geopage=2&page=7&status=m"), "geopage", 4000);
        assert_eq!(request.page_size, 4000);
        assert_eq!(request.number(), Some(2));
        let sized =
            PageRequest::from_query_with(Some("page_size=10&geopage=last"), "geopage", 4000);
        assert_eq!(sized.page_size, 10);
        assert_eq!(sized.number(), None);
        assert_eq!(
            PageRequest::from_query_with(Some("page_size=0"), "geopage", 4000).page_size,
            4000
        );
        assert_eq!(
            PageRequest::from_query_with(None, "geopage", 4000).number(),
            Some(1)
        );
    }

    #[test]
    fn the_link_header_names_self_next_and_prev_with_the_geopage_replaced() {
        let uri: Uri = "/signals/v1/public/signals/geography?bbox=1,2,3,4&geopage=2&page_size=10"
            .parse()
            .expect("uri");
        let page = PageRequest::from_query_with(uri.query(), "geopage", 4000)
            .resolve(25)
            .expect("page 2");
        assert_eq!(
            page.link_header(&base(), &uri, "geopage"),
            "<https://api.example.org/signals/v1/public/signals/geography?bbox=1,2,3,4&geopage=2&page_size=10>; rel=\"self\",\
             <https://api.example.org/signals/v1/public/signals/geography?bbox=1%2C2%2C3%2C4&geopage=3&page_size=10>; rel=\"next\",\
             <https://api.example.org/signals/v1/public/signals/geography?bbox=1%2C2%2C3%2C4&geopage=1&page_size=10>; rel=\"prev\""
        );
        let only = PageRequest::from_query_with(None, "geopage", 4000)
            .resolve(3)
            .expect("page 1");
        let bare: Uri = "/signals/v1/public/signals/geography".parse().expect("uri");
        assert_eq!(
            only.link_header(&base(), &bare, "geopage"),
            "<https://api.example.org/signals/v1/public/signals/geography>; rel=\"self\""
        );
    }

    #[test]
    fn an_empty_result_has_a_first_page_but_no_second() {
        assert!(PageRequest::from_query(None).resolve(0).is_ok());
        assert!(PageRequest::from_query(Some("page=2")).resolve(0).is_err());
    }

    #[test]
    fn links_repeat_the_request_url_with_the_page_replaced_and_sorted_parameters() {
        let uri: Uri = "/signals/v1/private/signals/?status=m&page=2&page_size=100"
            .parse()
            .expect("uri");
        let page = PageRequest::from_query(uri.query())
            .resolve(512)
            .expect("page 2");

        let document =
            serde_json::to_value(page.document(&base(), &uri, Vec::<Value>::new())).expect("json");

        let links = &document["_links"];
        assert_eq!(
            links["self"]["href"],
            "https://api.example.org/signals/v1/private/signals/?status=m&page=2&page_size=100"
        );
        assert_eq!(
            links["next"]["href"],
            "https://api.example.org/signals/v1/private/signals/?page=3&page_size=100&status=m"
        );
        assert_eq!(
            links["previous"]["href"],
            "https://api.example.org/signals/v1/private/signals/?page=1&page_size=100&status=m"
        );
        assert_eq!(document["count"], 512);
    }

    #[test]
    fn the_link_keys_are_present_but_null_at_the_ends() {
        let uri: Uri = "/signals/v1/public/terms/categories/".parse().expect("uri");
        let page = PageRequest::from_query(uri.query())
            .resolve(13)
            .expect("page 1");

        let document =
            serde_json::to_value(page.document(&base(), &uri, vec![json!(1)])).expect("json");

        assert_eq!(document["_links"]["next"], json!({"href": null}));
        assert_eq!(document["_links"]["previous"], json!({"href": null}));
        assert_eq!(
            document["_links"]["self"]["href"],
            "https://api.example.org/signals/v1/public/terms/categories/"
        );
        assert_eq!(document["results"], json!([1]));
    }

    #[test]
    fn repeated_parameters_survive_in_the_links() {
        let uri: Uri = "/x/?status=m&status=b".parse().expect("uri");
        assert_eq!(with_page(&uri, "page", 2), "/x/?page=2&status=m&status=b");
    }
}
