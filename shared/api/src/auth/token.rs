//! Bearer token validation, fully local (spec 05 §3.1): header `alg` RS256,
//! signature by the JWKS key named by `kid`, then `iss`, `aud` and `exp` in
//! the reference's order, and an `email` claim.

use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::AuthError;
use super::config::AuthConfig;
use super::jwks::{JwksError, KeyLookupError, KeySource};

/// The only algorithm accepted: the reference sets `RS256` when a JWKS
/// endpoint is configured.
const ALGORITHM: Algorithm = Algorithm::RS256;

/// The token of an `Authorization: Bearer <token>` header, parsed as
/// mozilla-django-oidc does: the scheme is case-insensitive and parts are
/// separated by any whitespace.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(AuthError::NotProvided);
    };
    let Ok(value) = std::str::from_utf8(value.as_bytes()) else {
        return Err(AuthError::LoginFailed(
            "the Authorization header is not UTF-8",
        ));
    };
    let mut parts = value.split_whitespace();
    match parts.next() {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => {}
        _ => return Err(AuthError::NotProvided),
    }
    let Some(token) = parts.next() else {
        return Err(AuthError::NoCredentials);
    };
    if parts.next().is_some() {
        return Err(AuthError::CredentialsWithSpaces);
    }
    Ok(token)
}

/// Checks tokens against the configured issuer, audiences and keys.
pub struct TokenVerifier {
    issuer: String,
    verify_audience: bool,
    trusted_audiences: Vec<String>,
    keys: KeySource,
}

impl TokenVerifier {
    pub fn new(config: &AuthConfig) -> Result<Self, JwksError> {
        Ok(Self {
            issuer: config.issuer.clone(),
            verify_audience: config.verify_audience,
            trusted_audiences: config.trusted_audiences.clone(),
            keys: KeySource::new(&config.jwks)?,
        })
    }

    #[cfg(test)]
    pub(super) fn replace_keys(&mut self, keys: KeySource) {
        self.keys = keys;
    }

    /// The `email` claim of a valid token.
    pub async fn verify(&self, token: &str) -> Result<String, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::LoginFailed("the token is not a JWT"))?;
        if header.alg != ALGORITHM {
            return Err(AuthError::LoginFailed("the token is not signed with RS256"));
        }
        let Some(kid) = header.kid.as_deref() else {
            return Err(AuthError::LoginFailed("the token names no key (kid)"));
        };
        let key = match self.keys.key(kid, "RS256").await {
            Ok(key) => key,
            Err(KeyLookupError::UnknownKey) => {
                return Err(AuthError::LoginFailed(
                    "the JWKS has no key with the token's kid",
                ));
            }
            Err(KeyLookupError::Unavailable) => return Err(AuthError::KeysUnavailable),
        };
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &signature_only())
            .map_err(|_| AuthError::LoginFailed("the signature does not verify"))?
            .claims;
        self.check_issuer(&claims)?;
        self.check_audience(&claims)?;
        check_expiry(&claims, now())?;
        match claims.get("email") {
            Some(Value::String(email)) => Ok(email.clone()),
            _ => Err(AuthError::LoginFailed("the token has no email claim")),
        }
    }

    fn check_issuer(&self, claims: &Map<String, Value>) -> Result<(), AuthError> {
        match claims.get("iss") {
            Some(Value::String(iss)) if *iss == self.issuer => Ok(()),
            other => Err(AuthError::UntrustedIssuer {
                found: other.map(|v| match v {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                }),
                expected: self.issuer.clone(),
            }),
        }
    }

    fn check_audience(&self, claims: &Map<String, Value>) -> Result<(), AuthError> {
        if !self.verify_audience {
            return Ok(());
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            None | Some(Value::Null) => {
                return Err(AuthError::LoginFailed("the token has no aud claim"));
            }
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
            Some(_) => vec![],
        };
        if audiences
            .iter()
            .any(|aud| self.trusted_audiences.iter().any(|t| t == aud))
        {
            Ok(())
        } else {
            Err(AuthError::NoTrustedAudience)
        }
    }
}

/// Signature and algorithm only: the claims are checked by hand, in the
/// reference's order and with its responses.
fn signature_only() -> Validation {
    let mut validation = Validation::new(ALGORITHM);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation
}

/// `exp` (a NumericDate, possibly fractional) must be present and not past.
/// The reference answers an expired token with 403; spec 05 §3.3 asks for
/// 401 `Login failed`, so that the frontend logs the user out.
fn check_expiry(claims: &Map<String, Value>, now: f64) -> Result<(), AuthError> {
    match claims.get("exp").and_then(Value::as_f64) {
        None => Err(AuthError::LoginFailed("the token has no exp claim")),
        Some(exp) if now > exp => Err(AuthError::LoginFailed("the token has expired")),
        Some(_) => Ok(()),
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use serde_json::json;

    use super::*;

    fn headers(value: &'static [u8]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(value).expect("header"),
        );
        map
    }

    #[test]
    fn the_bearer_header_is_parsed_as_the_reference_does() {
        assert_eq!(bearer_token(&headers(b"Bearer abc")).ok(), Some("abc"));
        assert_eq!(bearer_token(&headers(b"bearer  abc ")).ok(), Some("abc"));
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(AuthError::NotProvided)
        ));
        assert!(matches!(
            bearer_token(&headers(b"")),
            Err(AuthError::NotProvided)
        ));
        assert!(matches!(
            bearer_token(&headers(b"Basic dXNlcjpwdw==")),
            Err(AuthError::NotProvided)
        ));
        assert!(matches!(
            bearer_token(&headers(b"Bearer")),
            Err(AuthError::NoCredentials)
        ));
        assert!(matches!(
            bearer_token(&headers(b"Bearer a b")),
            Err(AuthError::CredentialsWithSpaces)
        ));
        assert!(matches!(
            bearer_token(&headers(b"Bearer \xe9t\xe9")),
            Err(AuthError::LoginFailed(_))
        ));
    }

    #[test]
    fn a_token_expires_at_its_exp_and_needs_one() {
        let claims = |exp: Value| json!({ "exp": exp }).as_object().cloned().expect("object");
        assert!(check_expiry(&claims(json!(100)), 99.5).is_ok());
        assert!(check_expiry(&claims(json!(100)), 100.0).is_ok());
        assert!(check_expiry(&claims(json!(100.5)), 100.25).is_ok());
        assert!(check_expiry(&claims(json!(100)), 100.5).is_err());
        assert!(check_expiry(&claims(json!("100")), 1.0).is_err());
        assert!(check_expiry(&Map::new(), 1.0).is_err());
    }
}
