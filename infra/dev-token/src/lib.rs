//! Signing keys and access tokens for local development and tests.
//!
//! The local stack has no OIDC provider: `infra/stack up` generates an RSA
//! key pair and its JWKS under `$STACK_DIR/oidc/`, the functions trust that
//! JWKS (`OIDC_JWKS`), and this crate signs tokens with the private key the
//! way an OIDC provider would (RS256, `kid`, `iss`, `aud`, `exp`, `email`).
//! Tests use the same code with keys generated on the fly.
//!
//! Not a Lambda function, and never deployed: in AWS the tokens come from
//! the municipality's OIDC provider, and a key that can mint them must not
//! exist there.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("generating an RSA key failed")]
    Generate,
    #[error("the key is not an RSA private key in PEM form")]
    Key(#[source] jsonwebtoken::errors::Error),
    #[error("signing the token failed")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// An RS256 signing key with its key id: the RFC 7638 thumbprint of its
/// public key, which is also what `infra/stack` writes into the local JWKS.
pub struct SigningKey {
    kid: String,
    key: EncodingKey,
    jwk: Jwk,
}

impl SigningKey {
    /// A fresh 2048-bit key (for tests).
    pub fn generate() -> Result<Self, Error> {
        use aws_lc_rs::encoding::AsDer;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| Error::Generate)?;
        let der = pair.as_der().map_err(|_| Error::Generate)?;
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        Self::from_pem(pem.as_bytes())
    }

    /// A key from a PEM file's content (PKCS#1 or PKCS#8), e.g. the local
    /// stack's `$STACK_DIR/oidc/signing-key.pem`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(Error::Key)?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).map_err(Error::Key)?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).map_err(Error::Key)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self { kid, key, jwk })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWKS document, what an issuer publishes.
    pub fn jwks(&self) -> String {
        json!({ "keys": [&self.jwk] }).to_string()
    }

    /// The public key as one JWK.
    pub fn jwk(&self) -> Value {
        json!(&self.jwk)
    }

    /// An access token for `request`.
    pub fn mint(&self, request: &TokenRequest) -> Result<String, Error> {
        let now = unix_now();
        let audience = match request.audience.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        self.sign(&json!({
            "iss": request.issuer,
            "sub": request.email,
            "aud": audience,
            "iat": now,
            "exp": now + request.ttl.as_secs(),
            "email": request.email,
        }))
    }

    /// A token with exactly these claims and a header with `alg` RS256 and
    /// this key's `kid` (tests use it for tokens that should fail).
    pub fn sign(&self, claims: &Value) -> Result<String, Error> {
        self.sign_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// A token with this header and these claims, signed with RS256
    /// whatever the header says.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> Result<String, Error> {
        let message = format!("{}.{}", segment(header), segment(claims));
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &self.key, Algorithm::RS256)
            .map_err(Error::Sign)?;
        Ok(format!("{message}.{signature}"))
    }
}

/// What a token says.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub email: String,
    pub issuer: String,
    /// One audience is written as a string, several as an array.
    pub audience: Vec<String>,
    pub ttl: Duration,
}

/// A JWT segment: the JSON with every character that is not plain ASCII, and
/// `>`, `?`, `~`, written as `\u` escapes, then base64url. The Signalen
/// frontend decodes the payload with `atob` after replacing only the *first*
/// `-` and `_`; ASCII JSON without those three characters never yields a `-`
/// or `_` in base64, so its check of `exp` always succeeds.
fn segment(value: &Value) -> String {
    let mut escaped = String::new();
    for c in value.to_string().chars() {
        if c.is_ascii() && !matches!(c, '>' | '?' | '~' | '\x7f') {
            escaped.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    URL_SAFE_NO_PAD.encode(escaped)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `8h`, `30m`, `90s`, `2d` or a number of seconds.
pub fn parse_ttl(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3600)?,
        "d" => number.checked_mul(86_400)?,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_or_mean_seconds() {
        assert_eq!(parse_ttl("8h"), Some(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_ttl("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_ttl("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_ttl("0"), None);
        assert_eq!(parse_ttl("8 hours"), None);
        assert_eq!(parse_ttl("h"), None);
    }

    #[test]
    fn a_key_and_its_jwks_share_the_thumbprint_as_kid() {
        let key = SigningKey::generate().expect("key");
        let jwks: Value = serde_json::from_str(&key.jwks()).expect("JSON");
        let jwk = &jwks["keys"][0];
        assert_eq!(jwk["kid"], key.kid());
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["e"], "AQAB");
    }

    #[test]
    fn the_payload_survives_the_frontends_naive_base64_decoding() {
        let key = SigningKey::generate().expect("key");
        let token = key
            .mint(&TokenRequest {
                email: "jos\u{e9}~van?dijk>@example.org".into(),
                issuer: "http://127.0.0.1:8000/oidc?realm=signals".into(),
                audience: vec!["signals".into()],
                ttl: Duration::from_secs(3600),
            })
            .expect("token");
        let payload = token.split('.').nth(1).expect("payload");
        assert!(
            !payload.contains(['-', '_']),
            "the frontend replaces only the first - and _: {payload}"
        );
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(payload)
                .expect("plain base64"),
        )
        .expect("JSON");
        assert_eq!(claims["email"], "jos\u{e9}~van?dijk>@example.org");
        assert_eq!(claims["aud"], "signals");
    }
}
