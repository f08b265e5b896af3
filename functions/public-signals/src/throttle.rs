//! The public create's rate limit (spec 03 §2, 05 §5.3): `PUBLIC_THROTTLE_RATE`
//! POSTs per client address, counted in Postgres because Lambda instances
//! share no memory (`signalen_infra::pg::throttle_request`).
//!
//! The client is API Gateway's `requestContext.http.sourceIp`: the address
//! of the connection, which a client cannot choose. The reference counts the
//! whole `X-Forwarded-For` header instead, which a client sets at will (a
//! new value per request escapes the limit); that header is only used when
//! there is no request context (tests, other hosts). The address is hashed
//! before it is stored and it is never logged.

use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The scope of the public create in `api_throttle`.
pub const SCOPE: &str = "public-signal-create";

/// So many requests per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRate {
    pub requests: u32,
    pub window: Duration,
}

impl ThrottleRate {
    /// `60/hour`, the reference's default.
    pub const REFERENCE_DEFAULT: ThrottleRate = ThrottleRate {
        requests: 60,
        window: Duration::from_secs(3600),
    };

    /// The reference's notation: `<requests>/<period>`, where only the
    /// period's first letter counts (`s`, `m`, `h`, `d`: `60/hour`,
    /// `5/min`). `none` or `off` switch throttling off (`Ok(None)`).
    pub fn parse(raw: &str) -> Result<Option<ThrottleRate>, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("none") || raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let invalid = || format!("`{raw}` is not <requests>/<second|minute|hour|day>");
        let (requests, period) = raw.split_once('/').ok_or_else(invalid)?;
        let requests = requests.trim().parse::<u32>().map_err(|_| invalid())?;
        let seconds = match period.trim().chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => return Err(invalid()),
        };
        Ok(Some(ThrottleRate {
            requests,
            window: Duration::from_secs(seconds),
        }))
    }
}

/// The client's address: API Gateway's source IP, else the
/// `X-Forwarded-For` header (whitespace removed, as the reference does),
/// with a trailing `:port` removed.
pub fn client_address(parts: &Parts) -> String {
    let source_ip = parts
        .extensions
        .get::<RequestContext>()
        .and_then(|context| {
            #[allow(unreachable_patterns)]
            match context {
                RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
                _ => None,
            }
        })
        .filter(|ip| !ip.is_empty());
    let address = source_ip.unwrap_or_else(|| {
        parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split_whitespace().collect::<String>())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "unknown".to_owned())
    });
    without_port(&address).to_owned()
}

/// `192.0.2.1:5678` → `192.0.2.1`, `[2001:db8::1]:443` → `2001:db8::1`;
/// a bare IPv6 address keeps its colons (the reference cuts it at the last
/// one).
fn without_port(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split_once(']').map_or(address, |(ip, _)| ip);
    }
    match address.split_once(':') {
        Some((host, port)) if !port.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => address,
    }
}

/// SHA-256 of the address, keyed when a key is configured: what is stored.
pub fn address_hash(key: Option<&SecretString>, address: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"signalen-throttle\0");
    if let Some(key) = key {
        hasher.update(key.expose_secret().as_bytes());
    }
    hasher.update(b"\0");
    hasher.update(address.as_bytes());
    hasher.finalize().into()
}

/// 429 as the reference answers it: `Retry-After` with the whole seconds
/// until a request is allowed again (none when that is unknown or zero).
pub fn throttled(retry_after: Option<f64>) -> Response {
    let wait = retry_after.map(|seconds| seconds.ceil().max(0.0) as u64);
    let detail = match wait {
        Some(1) => "Aanvraag was verstikt. Expected available in 1 second.".to_owned(),
        Some(n) => format!("Aanvraag was verstikt. Expected available in {n} seconds."),
        None => "Aanvraag was verstikt.".to_owned(),
    };
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "detail": detail })),
    )
        .into_response();
    if let Some(n) = wait.filter(|n| *n > 0) {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(n));
    }
    response
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::*;

    #[test]
    fn rates_are_read_in_the_references_notation() {
        assert_eq!(
            ThrottleRate::parse("60/hour"),
            Ok(Some(ThrottleRate::REFERENCE_DEFAULT))
        );
        assert_eq!(
            ThrottleRate::parse("5/m"),
            Ok(Some(ThrottleRate {
                requests: 5,
                window: Duration::from_secs(60)
            }))
        );
        assert_eq!(
            ThrottleRate::parse("100/day").map(|r| r.map(|r| r.window.as_secs())),
            Ok(Some(86_400))
        );
        assert_eq!(ThrottleRate::parse("none"), Ok(None));
        for bad in ["60", "sixty/hour", "60/week", "-1/hour", "60/"] {
            assert!(ThrottleRate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_a_request_context_the_forwarded_for_header_is_the_client() {
        let (parts, ()) = Request::post("/")
            .header("x-forwarded-for", "192.0.2.10, 10.0.0.1")
            .body(())
            .expect("request")
            .into_parts();
        assert_eq!(client_address(&parts), "192.0.2.10,10.0.0.1");
        let (parts, ()) = Request::post("/").body(()).expect("request").into_parts();
        assert_eq!(client_address(&parts), "unknown");
    }

    #[test]
    fn ports_are_removed_but_ipv6_addresses_are_kept_whole() {
        assert_eq!(without_port("192.0.2.1:5678"), "192.0.2.1");
        assert_eq!(without_port("192.0.2.1"), "192.0.2.1");
        assert_eq!(without_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(without_port("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn the_stored_hash_depends_on_the_key_and_is_not_the_address() {
        let plain = address_hash(None, "192.0.2.1");
        let keyed = address_hash(Some(&SecretString::from("geheim")), "192.0.2.1");
        assert_ne!(plain, keyed);
        assert_eq!(plain, address_hash(None, "192.0.2.1"));
        assert_ne!(plain, address_hash(None, "192.0.2.2"));
    }

    #[tokio::test]
    async fn a_throttled_answer_says_when_to_come_back() {
        let response = throttled(Some(3598.2));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "3599");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(
            &body[..],
            r#"{"detail":"Aanvraag was verstikt. Expected available in 3599 seconds."}"#.as_bytes()
        );
        let singular = throttled(Some(0.4));
        assert_eq!(singular.headers()["retry-after"], "1");
        let unknown = throttled(None);
        assert!(unknown.headers().get("retry-after").is_none());
    }
}
