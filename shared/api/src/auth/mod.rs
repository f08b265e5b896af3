//! Authentication and authorisation of the private API (spec 05 §3, §6).
//!
//! A request carries `Authorization: Bearer <JWT>` from the OIDC provider.
//! The token is checked locally (no introspection, no userinfo call) against
//! keys from configuration — an inline JWKS, or a JWKS URL fetched once per
//! container and cached — see [`AuthConfig`]. Its `email` claim names the
//! `auth_user` row (username, case-insensitively); roles, permissions and
//! departments come from the database only, loaded in one query.
//!
//! Handlers take an [`AuthenticatedUser`] (an axum extractor; its rejection
//! is the reference's 401/403 response) and check permissions with
//! [`AuthenticatedUser::require`]. Superusers pass every check.
//!
//! There is no switch that turns authentication off (the reference's
//! `SIGNALS_AUTH_ALWAYS_OK`): a local token is minted with `dev-token`
//! instead, so the code that runs locally is the code that runs in AWS.

mod config;
mod jwks;
mod token;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::json;
use signalen_domain::user::{Permission, User};
use signalen_infra::config::ConfigError;
use signalen_infra::pg;

pub use config::{AuthConfig, DEFAULT_JWKS_CACHE, JwksSource};
pub use jwks::{JwksError, KeySet, UNKNOWN_KID_REFETCH_INTERVAL};
pub use token::{TokenVerifier, bearer_token};

use crate::ApiError;

/// The realm of the `WWW-Authenticate` header on authentication failures.
pub const WWW_AUTHENTICATE: &str = r#"Bearer realm="signals""#;

/// Why a request is not authenticated, each with the reference's response
/// (spec 05 §3.3).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header, or one with another scheme. (The reference
    /// crashes with a 500 here; we answer 401.)
    #[error("no bearer credentials")]
    NotProvided,
    #[error("`Bearer` without a token")]
    NoCredentials,
    #[error("the bearer token contains spaces")]
    CredentialsWithSpaces,
    /// Bad signature, unknown `kid`, wrong `alg`, expired, no `aud` or
    /// `email` claim, several users: one answer, the reason only logged.
    #[error("login failed: {0}")]
    LoginFailed(&'static str),
    #[error("no user has the token's e-mail as username")]
    NoUser,
    #[error("the user is inactive")]
    Inactive,
    /// 403 with the reference's text, which names both issuers.
    #[error("untrusted issuer")]
    UntrustedIssuer {
        found: Option<String>,
        expected: String,
    },
    #[error("no trusted audience")]
    NoTrustedAudience,
    /// 503: the JWKS could not be fetched and none is cached.
    #[error("the issuer's keys are unavailable")]
    KeysUnavailable,
    /// 503: no database connection for the user lookup.
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] pg::Error),
    /// 500: the user lookup failed.
    #[error("looking up the user failed")]
    Lookup(#[source] pg::Error),
}

impl AuthError {
    fn detail(&self) -> (StatusCode, String) {
        let unauthorized = |text: &str| (StatusCode::UNAUTHORIZED, text.to_owned());
        match self {
            Self::NotProvided => unauthorized("Authenticatiegegevens zijn niet opgegeven."),
            Self::NoCredentials => {
                unauthorized(r#"Invalid "bearer" header: No credentials provided."#)
            }
            Self::CredentialsWithSpaces => unauthorized(
                r#"Invalid "bearer" header: Credentials string should not contain spaces."#,
            ),
            Self::LoginFailed(_) => unauthorized("Login failed"),
            Self::NoUser => unauthorized("Login failed: No user found for the given access token."),
            Self::Inactive => unauthorized("User is inactive"),
            Self::UntrustedIssuer { found, expected } => (
                StatusCode::FORBIDDEN,
                format!(
                    r#""iss": {} does not match configured value for OIDC_OP_ISSUER: {expected}"#,
                    found.as_deref().unwrap_or("None")
                ),
            ),
            Self::NoTrustedAudience => (StatusCode::FORBIDDEN, "No trusted audience found".into()),
            Self::KeysUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "De inlogdienst is tijdelijk niet bereikbaar.".into(),
            ),
            Self::DatabaseUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "De database is tijdelijk niet bereikbaar.".into(),
            ),
            Self::Lookup(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Er is een serverfout opgetreden.".into(),
            ),
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        match &self {
            Self::LoginFailed(reason) => tracing::info!(reason, "login failed"),
            Self::KeysUnavailable | Self::DatabaseUnavailable(_) | Self::Lookup(_) => {
                tracing::error!(error.message = %self, error.cause_chain = ?self, "authentication failed")
            }
            _ => tracing::info!(reason = %self, "not authenticated"),
        }
        let (status, detail) = self.detail();
        let mut response = (status, Json(json!({ "detail": detail }))).into_response();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE),
            );
        }
        response
    }
}

/// Turns a request's bearer token into the user it names. Build one in
/// `main` and keep it in the function's state (it holds the key cache).
#[derive(Clone)]
pub struct Authenticator {
    verifier: Arc<TokenVerifier>,
    pool: pg::Pool,
}

impl Authenticator {
    /// Fails when an inline JWKS has no usable key: better at cold start
    /// than at every request.
    pub fn new(config: &AuthConfig, pool: pg::Pool) -> Result<Self, ConfigError> {
        let verifier = TokenVerifier::new(config).map_err(|e| ConfigError::Invalid {
            name: match config.jwks {
                JwksSource::Inline(_) => "OIDC_JWKS",
                JwksSource::Url { .. } => "OIDC_OP_JWKS_ENDPOINT",
            },
            reason: e.to_string(),
        })?;
        Ok(Self {
            verifier: Arc::new(verifier),
            pool,
        })
    }

    /// From `OIDC_*` variables (see [`AuthConfig::from_env`]).
    pub fn from_env(pool: pg::Pool) -> Result<Self, ConfigError> {
        Self::new(&AuthConfig::from_env()?, pool)
    }

    /// The active user that the request's bearer token names.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<AuthenticatedUser, AuthError> {
        let token = bearer_token(headers)?;
        let email = self.verifier.verify(token).await?;
        if email.is_empty() {
            return Err(AuthError::NoUser);
        }
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| AuthError::DatabaseUnavailable(pg::Error::Pool(e)))?;
        let mut users = pg::users_by_login(&client, &email)
            .await
            .map_err(AuthError::Lookup)?;
        let user = match users.len() {
            0 => return Err(AuthError::NoUser),
            1 => users.remove(0),
            _ => {
                return Err(AuthError::LoginFailed(
                    "several users have the token's e-mail",
                ));
            }
        };
        if !user.is_active {
            return Err(AuthError::Inactive);
        }
        tracing::debug!(user_id = user.id, "authenticated");
        Ok(AuthenticatedUser(Arc::new(user)))
    }
}

/// The signed-in user of a request. As an extractor it authenticates the
/// request (once; later extractions reuse the result) and rejects it with
/// the reference's 401/403 when that fails.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser(pub Arc<User>);

impl std::ops::Deref for AuthenticatedUser {
    type Target = User;

    fn deref(&self) -> &User {
        &self.0
    }
}

impl AuthenticatedUser {
    /// 403 `Je hebt geen toestemming om deze actie uit te voeren.` unless
    /// the user has `permission` (superusers have every permission).
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        self.require_all(&[permission])
    }

    pub fn require_all(&self, permissions: &[Permission]) -> Result<(), ApiError> {
        if self.has_all(permissions) {
            Ok(())
        } else {
            tracing::info!(user_id = self.id, required = ?permissions, "permission denied");
            Err(ApiError::Forbidden)
        }
    }

    /// As [`require_all`](Self::require_all) for a request with `method`:
    /// `HEAD` and `OPTIONS` need no permission beyond authentication (05 §6).
    pub fn require_for(&self, method: &Method, permissions: &[Permission]) -> Result<(), ApiError> {
        if method == Method::HEAD || method == Method::OPTIONS {
            return Ok(());
        }
        self.require_all(permissions)
    }
}

impl<S> FromRequestParts<S> for AuthenticatedUser
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthenticatedUser>() {
            return Ok(user.clone());
        }
        let user = Authenticator::from_ref(state)
            .authenticate(&parts.headers)
            .await?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}
