//! The issuer's signing keys: a JWKS document parsed into verification keys,
//! held for the life of the container (inline) or cached with a TTL (URL).
//! Never fetched per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde_json::Value;
use tokio::sync::Mutex;

use super::config::JwksSource;

/// How long a fetch of the JWKS may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// An unknown key id triggers at most one early re-fetch per this interval,
/// so tokens with made-up `kid`s cannot make us hammer the issuer.
pub const UNKNOWN_KID_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// Why a JWKS document yields no keys.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS is not a JSON object with a `keys` array")]
    Shape,
    #[error("the JWKS has no RSA key with a `kid`")]
    NoUsableKey,
    #[error("fetching the JWKS failed")]
    Fetch(#[from] reqwest::Error),
}

/// One verification key of the document.
#[derive(Clone)]
struct Key {
    kid: String,
    /// The JWK's `alg`, when it states one; it must then match the token's.
    alg: Option<String>,
    key: DecodingKey,
}

/// The RSA keys of a JWKS document, by key id.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<Key>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| &k.kid))
            .finish()
    }
}

impl KeySet {
    /// Parses a JWKS document. Keys that are not RSA, lack a `kid`, `n` or
    /// `e`, or do not decode are skipped (an issuer may publish encryption
    /// or EC keys beside its RS256 signing key); a document without any
    /// usable key is refused.
    pub fn parse(document: &str) -> Result<Self, JwksError> {
        let value: Value = serde_json::from_str(document).map_err(|_| JwksError::Shape)?;
        let entries = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::Shape)?;
        let keys: Vec<Key> = entries.iter().filter_map(rsa_key).collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(Self { keys })
    }

    /// The key with this id that may verify a token signed with `alg`.
    fn find(&self, kid: &str, alg: &str) -> Option<&DecodingKey> {
        self.keys
            .iter()
            .find(|k| k.kid == kid && k.alg.as_deref().is_none_or(|a| a == alg))
            .map(|k| &k.key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn rsa_key(jwk: &Value) -> Option<Key> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    if text("kty")? != "RSA" {
        return None;
    }
    let key = DecodingKey::from_rsa_components(text("n")?, text("e")?).ok()?;
    Some(Key {
        kid: text("kid")?.to_owned(),
        alg: text("alg").map(str::to_owned),
        key,
    })
}

/// Why no key could be had for a token.
#[derive(Debug)]
pub enum KeyLookupError {
    /// The JWKS has no key with the token's id (and algorithm).
    UnknownKey,
    /// The JWKS could not be fetched (the cause is logged) and none was cached yet.
    Unavailable,
}

/// The keys, as configured.
pub enum KeySource {
    Static(KeySet),
    Remote(RemoteKeys),
}

impl KeySource {
    /// Parses an inline document now (a bad one fails the cold start); a URL
    /// is only remembered — nothing is fetched until a token needs a key.
    pub fn new(source: &JwksSource) -> Result<Self, JwksError> {
        Ok(match source {
            JwksSource::Inline(document) => Self::Static(KeySet::parse(document)?),
            JwksSource::Url { url, cache_for } => Self::Remote(RemoteKeys::new(
                url.clone(),
                *cache_for,
                UNKNOWN_KID_REFETCH_INTERVAL,
            )?),
        })
    }

    /// The key for a token's `kid` and `alg`.
    pub async fn key(&self, kid: &str, alg: &str) -> Result<DecodingKey, KeyLookupError> {
        match self {
            Self::Static(keys) => keys
                .find(kid, alg)
                .cloned()
                .ok_or(KeyLookupError::UnknownKey),
            Self::Remote(remote) => remote.key(kid, alg).await,
        }
    }
}

/// A JWKS fetched from the issuer and cached.
pub struct RemoteKeys {
    url: String,
    cache_for: Duration,
    refetch_interval: Duration,
    client: reqwest::Client,
    state: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    keys: Option<Arc<KeySet>>,
    /// When the cached keys stop being fresh.
    fresh_until: Option<Instant>,
    /// The last early re-fetch for an unknown key id.
    last_refetch: Option<Instant>,
}

impl RemoteKeys {
    pub fn new(
        url: String,
        cache_for: Duration,
        refetch_interval: Duration,
    ) -> Result<Self, JwksError> {
        let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Self {
            url,
            cache_for,
            refetch_interval,
            client,
            state: Mutex::new(Cached::default()),
        })
    }

    async fn key(&self, kid: &str, alg: &str) -> Result<DecodingKey, KeyLookupError> {
        // One request at a time per Lambda instance: holding the lock while
        // fetching also keeps concurrent local requests from fetching twice.
        let mut cached = self.state.lock().await;
        let now = Instant::now();
        if cached.fresh_until.is_none_or(|until| now >= until) {
            self.refresh(&mut cached, now).await?;
        }
        if let Some(key) = cached.keys.as_ref().and_then(|keys| keys.find(kid, alg)) {
            return Ok(key.clone());
        }
        if cached
            .last_refetch
            .is_none_or(|at| now.duration_since(at) >= self.refetch_interval)
        {
            cached.last_refetch = Some(now);
            tracing::info!(kid, "unknown key id: fetching the JWKS again");
            self.refresh(&mut cached, now).await?;
            if let Some(key) = cached.keys.as_ref().and_then(|keys| keys.find(kid, alg)) {
                return Ok(key.clone());
            }
        }
        Err(KeyLookupError::UnknownKey)
    }

    /// Fetches the document. On failure the previous keys (if any) stay in
    /// use, and the next attempt waits a refetch interval.
    async fn refresh(&self, cached: &mut Cached, now: Instant) -> Result<(), KeyLookupError> {
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "fetched the JWKS");
                cached.keys = Some(Arc::new(keys));
                cached.fresh_until = Some(now + self.cache_for);
                Ok(())
            }
            Err(error) => {
                tracing::error!(url = %self.url, error.message = %error, error.cause_chain = ?error, "fetching the JWKS failed");
                cached.fresh_until = Some(now + self.refetch_interval.min(self.cache_for));
                if cached.keys.is_some() {
                    Ok(())
                } else {
                    Err(KeyLookupError::Unavailable)
                }
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, JwksError> {
        let body = self
            .client
            .get(&self.url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        KeySet::parse(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_without_keys_or_without_rsa_keys_is_refused() {
        assert!(matches!(KeySet::parse("[]"), Err(JwksError::Shape)));
        assert!(matches!(KeySet::parse("not json"), Err(JwksError::Shape)));
        assert!(matches!(
            KeySet::parse(r#"{"keys": []}"#),
            Err(JwksError::NoUsableKey)
        ));
        assert!(matches!(
            KeySet::parse(
                r#"{"keys": [{"kty": "EC", "kid": "a", "crv": "P-256", "x": "AA", "y": "AA"}]}"#
            ),
            Err(JwksError::NoUsableKey)
        ));
        assert!(matches!(
            KeySet::parse(r#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}"#),
            Err(JwksError::NoUsableKey)
        ));
    }

    #[test]
    fn other_keys_beside_the_rsa_key_are_skipped() {
        let keys = KeySet::parse(
            r#"{"keys": [
                {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
                {"kty": "RSA", "kid": "enc", "alg": "RSA-OAEP", "use": "enc", "n": "AQAB", "e": "AQAB"},
                {"kty": "RSA", "kid": "sig", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"}
            ]}"#,
        )
        .expect("keys");
        assert_eq!(keys.len(), 2);
        assert!(keys.find("sig", "RS256").is_some());
        assert!(
            keys.find("enc", "RS256").is_none(),
            "a key stating another alg does not verify RS256"
        );
        assert!(keys.find("other", "RS256").is_none());
    }
}
