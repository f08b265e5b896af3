//! Token validation (spec 05 §3.1–3.3) with keys generated per test; the
//! user lookup is tested against a real database in `tests/api/auth.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::State;
use axum::routing::get;
use dev_token::{SigningKey, TokenRequest};
use serde_json::{Value, json};

use super::*;
use crate::auth::jwks::RemoteKeys;

const ISSUER: &str = "https://login.example.org/realms/signals";
const EMAIL: &str = "medewerker@example.org";

fn config(jwks: JwksSource) -> AuthConfig {
    AuthConfig {
        issuer: ISSUER.into(),
        verify_audience: true,
        trusted_audiences: vec!["signals".into(), "backoffice".into()],
        jwks,
    }
}

fn verifier(key: &SigningKey) -> TokenVerifier {
    TokenVerifier::new(&config(JwksSource::Inline(key.jwks()))).expect("verifier")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": "signals",
        "sub": EMAIL,
        "email": EMAIL,
        "iat": now(),
        "exp": now() + 300,
    })
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().expect("object") {
        if value.is_null() {
            claims.as_object_mut().expect("object").remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

async fn verify(verifier: &TokenVerifier, token: &str) -> Result<String, AuthError> {
    verifier.verify(token).await
}

#[tokio::test]
async fn a_token_signed_by_the_issuers_key_yields_its_email() {
    let key = SigningKey::generate().expect("key");
    let token = key.sign(&claims()).expect("token");

    assert_eq!(
        verify(&verifier(&key), &token).await.ok().as_deref(),
        Some(EMAIL)
    );
}

#[tokio::test]
async fn the_dev_token_command_mints_tokens_the_verifier_accepts() {
    let key = SigningKey::generate().expect("key");
    let token = key
        .mint(&TokenRequest {
            email: EMAIL.into(),
            issuer: ISSUER.into(),
            audience: vec!["signals".into()],
            ttl: Duration::from_secs(60),
        })
        .expect("token");

    assert_eq!(
        verify(&verifier(&key), &token).await.ok().as_deref(),
        Some(EMAIL)
    );
}

#[tokio::test]
async fn an_expired_token_or_one_without_exp_fails_the_login() {
    let key = SigningKey::generate().expect("key");
    let verifier = verifier(&key);

    for claims in [
        with(claims(), json!({"exp": now() - 1})),
        with(claims(), json!({"exp": null})),
        with(claims(), json!({"exp": "tomorrow"})),
    ] {
        let token = key.sign(&claims).expect("token");
        assert!(
            matches!(
                verify(&verifier, &token).await,
                Err(AuthError::LoginFailed(_))
            ),
            "{claims}"
        );
    }
}

#[tokio::test]
async fn a_signature_by_another_key_under_the_trusted_kid_fails() {
    let trusted = SigningKey::generate().expect("key");
    let forger = SigningKey::generate().expect("key");
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": trusted.kid()});
    let forged = forger.sign_with_header(&header, &claims()).expect("token");

    assert!(matches!(
        verify(&verifier(&trusted), &forged).await,
        Err(AuthError::LoginFailed(_))
    ));
}

#[tokio::test]
async fn a_changed_payload_breaks_the_signature() {
    let key = SigningKey::generate().expect("key");
    let token = key.sign(&claims()).expect("token");
    let other = key
        .sign(&with(claims(), json!({"email": "baas@example.org"})))
        .expect("token");
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = other.split('.').nth(1).expect("payload");

    assert!(matches!(
        verify(&verifier(&key), &parts.join(".")).await,
        Err(AuthError::LoginFailed(_))
    ));
}

#[tokio::test]
async fn an_unknown_or_missing_kid_fails() {
    let key = SigningKey::generate().expect("key");
    let verifier = verifier(&key);

    let unknown = key
        .sign_with_header(&json!({"alg": "RS256", "kid": "rotated-away"}), &claims())
        .expect("token");
    let missing = key
        .sign_with_header(&json!({"alg": "RS256"}), &claims())
        .expect("token");

    assert!(matches!(
        verify(&verifier, &unknown).await,
        Err(AuthError::LoginFailed(_))
    ));
    assert!(matches!(
        verify(&verifier, &missing).await,
        Err(AuthError::LoginFailed(_))
    ));
}

#[tokio::test]
async fn hs256_with_the_public_key_as_secret_is_refused() {
    let key = SigningKey::generate().expect("key");
    let header = jsonwebtoken::Header {
        kid: Some(key.kid().to_owned()),
        ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
    };
    let public_key = key.jwk()["n"].as_str().expect("n").to_owned();
    let mut tokens = Vec::new();
    for secret in [public_key.as_bytes(), key.jwks().as_bytes()] {
        tokens.push(
            jsonwebtoken::encode(
                &header,
                &claims(),
                &jsonwebtoken::EncodingKey::from_secret(secret).expect("secret"),
            )
            .expect("HS256 token"),
        );
    }
    let verifier = verifier(&key);

    for token in tokens {
        assert!(matches!(
            verify(&verifier, &token).await,
            Err(AuthError::LoginFailed(_))
        ));
    }
}

#[tokio::test]
async fn alg_none_and_garbage_are_refused() {
    let key = SigningKey::generate().expect("key");
    let verifier = verifier(&key);
    let signed = key.sign(&claims()).expect("token");
    let mut parts: Vec<String> = signed.split('.').map(str::to_owned).collect();
    parts[0] = base64_url(&json!({"alg": "none", "kid": key.kid()}).to_string());
    let unsigned = format!("{}.{}.", parts[0], parts[1]);

    for token in [unsigned.as_str(), "", "abc", "a.b.c", "....."] {
        assert!(
            matches!(
                verify(&verifier, token).await,
                Err(AuthError::LoginFailed(_))
            ),
            "{token}"
        );
    }
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn another_issuer_is_forbidden_with_the_references_reason() {
    let key = SigningKey::generate().expect("key");
    let verifier = verifier(&key);
    let other = key
        .sign(&with(claims(), json!({"iss": "https://evil.example.org"})))
        .expect("token");
    let missing = key
        .sign(&with(claims(), json!({"iss": null})))
        .expect("token");

    let error = verify(&verifier, &other).await.expect_err("refused");
    let (status, detail) = error.detail();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        detail,
        format!(
            r#""iss": https://evil.example.org does not match configured value for OIDC_OP_ISSUER: {ISSUER}"#
        )
    );
    let (status, detail) = verify(&verifier, &missing)
        .await
        .expect_err("refused")
        .detail();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        detail.starts_with(r#""iss": None does not match"#),
        "{detail}"
    );
}

#[tokio::test]
async fn the_audience_must_contain_a_trusted_one() {
    let key = SigningKey::generate().expect("key");
    let verifier = verifier(&key);
    let token = |aud: Value| {
        key.sign(&with(claims(), json!({ "aud": aud })))
            .expect("token")
    };

    assert!(
        verify(&verifier, &token(json!(["account", "backoffice"])))
            .await
            .is_ok()
    );
    assert!(matches!(
        verify(&verifier, &token(json!("account"))).await,
        Err(AuthError::NoTrustedAudience)
    ));
    assert!(matches!(
        verify(&verifier, &token(json!([]))).await,
        Err(AuthError::NoTrustedAudience)
    ));
    let no_aud = key
        .sign(&with(claims(), json!({"aud": null})))
        .expect("token");
    assert!(matches!(
        verify(&verifier, &no_aud).await,
        Err(AuthError::LoginFailed(_))
    ));
}

#[tokio::test]
async fn without_audience_verification_any_audience_passes() {
    let key = SigningKey::generate().expect("key");
    let verifier = TokenVerifier::new(&AuthConfig {
        verify_audience: false,
        trusted_audiences: vec![],
        ..config(JwksSource::Inline(key.jwks()))
    })
    .expect("verifier");
    let no_aud = key
        .sign(&with(claims(), json!({"aud": null})))
        .expect("token");

    assert!(verify(&verifier, &no_aud).await.is_ok());
}

#[tokio::test]
async fn a_token_without_email_fails_the_login() {
    let key = SigningKey::generate().expect("key");
    let verifier = verifier(&key);
    for claims in [
        with(claims(), json!({"email": null})),
        with(claims(), json!({"email": 42})),
    ] {
        let token = key.sign(&claims).expect("token");
        assert!(matches!(
            verify(&verifier, &token).await,
            Err(AuthError::LoginFailed(_))
        ));
    }
}

#[test]
fn an_inline_jwks_without_keys_fails_the_cold_start() {
    assert!(TokenVerifier::new(&config(JwksSource::Inline(r#"{"keys": []}"#.into()))).is_err());
}

async fn body_and_header(error: AuthError) -> (StatusCode, Value, Option<String>) {
    let response = error.into_response();
    let status = response.status();
    let header = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = to_bytes(response.into_body(), 4096).await.expect("body");
    (status, serde_json::from_slice(&body).expect("JSON"), header)
}

#[tokio::test]
async fn failures_answer_with_the_references_texts_and_the_bearer_realm() {
    let cases = [
        (
            AuthError::NotProvided,
            401,
            "Authenticatiegegevens zijn niet opgegeven.",
        ),
        (
            AuthError::NoCredentials,
            401,
            r#"Invalid "bearer" header: No credentials provided."#,
        ),
        (
            AuthError::CredentialsWithSpaces,
            401,
            r#"Invalid "bearer" header: Credentials string should not contain spaces."#,
        ),
        (AuthError::LoginFailed("expired"), 401, "Login failed"),
        (
            AuthError::NoUser,
            401,
            "Login failed: No user found for the given access token.",
        ),
        (AuthError::Inactive, 401, "User is inactive"),
        (
            AuthError::NoTrustedAudience,
            403,
            "No trusted audience found",
        ),
    ];
    for (error, status, detail) in cases {
        let (got_status, body, header) = body_and_header(error).await;
        assert_eq!(got_status.as_u16(), status, "{detail}");
        assert_eq!(body, json!({ "detail": detail }));
        assert_eq!(
            header.as_deref(),
            Some(r#"Bearer realm="signals""#),
            "{detail}"
        );
    }
    let (status, _, header) = body_and_header(AuthError::KeysUnavailable).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header, None);
}

/// A local issuer serving a JWKS that tests can swap, counting fetches.
#[derive(Clone)]
struct Issuer {
    document: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

async fn jwks(State(issuer): State<Issuer>) -> String {
    issuer.fetches.fetch_add(1, Ordering::SeqCst);
    issuer.document.lock().expect("lock").clone()
}

async fn serve(document: String) -> (Issuer, String) {
    let issuer = Issuer {
        document: Arc::new(Mutex::new(document)),
        fetches: Arc::new(AtomicUsize::new(0)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/certs", listener.local_addr().expect("addr"));
    let app = Router::new()
        .route("/certs", get(jwks))
        .with_state(issuer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, url)
}

fn remote(url: &str, cache_for: Duration, refetch_interval: Duration) -> TokenVerifier {
    let mut verifier = TokenVerifier::new(&config(JwksSource::Url {
        url: url.to_owned(),
        cache_for,
    }))
    .expect("verifier");
    verifier.replace_keys(jwks::KeySource::Remote(
        RemoteKeys::new(url.to_owned(), cache_for, refetch_interval).expect("client"),
    ));
    verifier
}

#[tokio::test]
async fn a_jwks_url_is_fetched_once_and_then_served_from_the_cache() {
    let key = SigningKey::generate().expect("key");
    let (issuer, url) = serve(key.jwks()).await;
    let verifier = remote(&url, Duration::from_secs(3600), Duration::from_secs(60));
    assert_eq!(
        issuer.fetches.load(Ordering::SeqCst),
        0,
        "nothing at start-up"
    );

    for _ in 0..3 {
        let token = key.sign(&claims()).expect("token");
        assert!(verify(&verifier, &token).await.is_ok());
    }

    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_per_interval_and_finds_a_rotated_key() {
    let old = SigningKey::generate().expect("key");
    let new = SigningKey::generate().expect("key");
    let (issuer, url) = serve(old.jwks()).await;
    let verifier = remote(&url, Duration::from_secs(3600), Duration::from_secs(60));
    assert!(
        verify(&verifier, &old.sign(&claims()).expect("token"))
            .await
            .is_ok()
    );

    *issuer.document.lock().expect("lock") = new.jwks();
    let rotated = new.sign(&claims()).expect("token");
    assert!(
        verify(&verifier, &rotated).await.is_ok(),
        "found after one re-fetch"
    );
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);

    let made_up = old
        .sign_with_header(&json!({"alg": "RS256", "kid": "made-up"}), &claims())
        .expect("token");
    for _ in 0..5 {
        assert!(matches!(
            verify(&verifier, &made_up).await,
            Err(AuthError::LoginFailed(_))
        ));
    }
    assert_eq!(
        issuer.fetches.load(Ordering::SeqCst),
        2,
        "no re-fetch within the interval"
    );
}

#[tokio::test]
async fn the_cache_expires_after_its_ttl_and_a_failing_issuer_keeps_the_old_keys() {
    let key = SigningKey::generate().expect("key");
    let (issuer, url) = serve(key.jwks()).await;
    let verifier = remote(&url, Duration::from_millis(50), Duration::from_millis(50));
    assert!(
        verify(&verifier, &key.sign(&claims()).expect("token"))
            .await
            .is_ok()
    );

    tokio::time::sleep(Duration::from_millis(80)).await;
    *issuer.document.lock().expect("lock") = "gateway timeout".into();
    assert!(
        verify(&verifier, &key.sign(&claims()).expect("token"))
            .await
            .is_ok(),
        "stale keys are better than none"
    );

    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_issuer_without_cached_keys_is_a_503() {
    let key = SigningKey::generate().expect("key");
    let verifier = remote(
        "http://127.0.0.1:9/certs",
        Duration::from_secs(3600),
        Duration::from_secs(60),
    );

    let error = verify(&verifier, &key.sign(&claims()).expect("token"))
        .await
        .expect_err("no keys");

    assert!(matches!(error, AuthError::KeysUnavailable));
}
