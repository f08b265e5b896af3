//! Authentication of the private API against real database users (spec 05
//! §3): the token cases whose outcome depends on the `auth_user` row, and
//! the header and token failures as a client meets them, through the
//! `private-admin` router. Helpers here are shared by the other private tests.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use dev_token::{SigningKey, TokenRequest};
use private_admin::{AppState, router};
use serde_json::{Value, json};
use signalen_api::auth::{AuthConfig, Authenticator, JwksSource};
use tower::ServiceExt;

use crate::helpers::TestDatabase;

pub const ISSUER: &str = "https://login.example.org/realms/signals";
pub const AUDIENCE: &str = "signals";

/// A test database, an issuer's key, and the private-admin router trusting it.
pub struct BackOffice {
    pub db: TestDatabase,
    pub key: SigningKey,
    pub app: Router,
}

/// What a test user is given.
#[derive(Default)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub inactive: bool,
    pub superuser: bool,
    /// (role name, codenames of the role).
    pub roles: &'a [(&'a str, &'a [&'a str])],
    /// Codenames granted directly.
    pub direct: &'a [&'a str],
    /// Department codes of the profile.
    pub departments: &'a [&'a str],
}

/// An authenticator for tokens of `key` (issuer and audience of these
/// tests), looking users up in `pool`.
fn authenticator(key: &SigningKey, pool: signalen_infra::pg::Pool) -> Authenticator {
    Authenticator::new(
        &AuthConfig {
            issuer: ISSUER.into(),
            verify_audience: true,
            trusted_audiences: vec![AUDIENCE.into()],
            jwks: JwksSource::Inline(key.jwks()),
        },
        pool,
    )
    .expect("authenticator")
}

impl BackOffice {
    /// The back office of the `private-admin` router.
    pub async fn new() -> Self {
        Self::with_app(|pool, auth| {
            router(AppState {
                pool,
                auth,
                media_base_url: None,
            })
        })
        .await
    }

    /// The back office of the router `make` builds from the test database's
    /// pool and an authenticator that trusts this back office's key.
    pub async fn with_app(
        make: impl FnOnce(signalen_infra::pg::Pool, Authenticator) -> Router,
    ) -> Self {
        let db = TestDatabase::new().await;
        let key = SigningKey::generate().expect("key");
        let auth = authenticator(&key, db.pool.clone());
        let app = make(db.pool.clone(), auth);
        Self { db, key, app }
    }

    /// Another authenticator that trusts this back office's key, on its
    /// database: for the routers of further functions in one test.
    pub fn authenticator(&self) -> Authenticator {
        authenticator(&self.key, self.db.pool.clone())
    }

    /// A valid token for `email`.
    pub fn token(&self, email: &str) -> String {
        self.key
            .mint(&TokenRequest {
                email: email.into(),
                issuer: ISSUER.into(),
                audience: vec![AUDIENCE.into()],
                ttl: std::time::Duration::from_secs(300),
            })
            .expect("token")
    }

    /// Creates a user with its profile, roles, permissions and departments;
    /// returns its id.
    pub async fn user(&self, user: NewUser<'_>) -> i32 {
        let client = self.db.client().await;
        let id: i32 = client
            .query_one(
                "INSERT INTO auth_user (username, email, first_name, is_active, is_superuser)
                 VALUES ($1, $1, $2, $3, $4) RETURNING id",
                &[
                    &user.email,
                    &user.first_name,
                    &!user.inactive,
                    &user.superuser,
                ],
            )
            .await
            .expect("user")
            .get(0);
        let profile: i32 = client
            .query_one(
                "INSERT INTO users_profile (user_id, note) VALUES ($1, 'test') RETURNING id",
                &[&id],
            )
            .await
            .expect("profile")
            .get(0);
        for (role, codenames) in user.roles {
            let codenames: Vec<String> = codenames.iter().map(|c| (*c).to_owned()).collect();
            client
                .execute(
                    "WITH role AS (
                         INSERT INTO auth_group (name) VALUES ($2)
                         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id),
                     granted AS (
                         INSERT INTO auth_group_permissions (group_id, permission_id)
                         SELECT role.id, p.id FROM role, auth_permission p
                         WHERE p.codename = ANY($3) ON CONFLICT DO NOTHING)
                     INSERT INTO auth_user_groups (user_id, group_id) SELECT $1, id FROM role",
                    &[&id, role, &codenames],
                )
                .await
                .expect("role");
        }
        let direct: Vec<String> = user.direct.iter().map(|c| (*c).to_owned()).collect();
        client
            .execute(
                "INSERT INTO auth_user_user_permissions (user_id, permission_id)
                 SELECT $1, id FROM auth_permission WHERE codename = ANY($2)",
                &[&id, &direct],
            )
            .await
            .expect("direct permissions");
        let departments: Vec<String> = user.departments.iter().map(|c| (*c).to_owned()).collect();
        client
            .execute(
                "INSERT INTO users_profile_departments (profile_id, department_id)
                 SELECT $1, id FROM signals_department WHERE code = ANY($2)",
                &[&profile, &departments],
            )
            .await
            .expect("departments");
        id
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "api.example.org")
            .header("x-forwarded-proto", "https");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).expect("JSON")
        };
        (status, headers, json)
    }

    /// `method path` as the user `email` with a JSON `body`.
    pub async fn send_json_as(
        &self,
        email: &str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "api.example.org")
            .header("x-forwarded-proto", "https")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.token(email)))
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let body = to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).expect("JSON")
        };
        (status, json)
    }

    /// `GET path` as the user `email`.
    pub async fn get_as(&self, email: &str, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send(
                Method::GET,
                path,
                Some(&format!("Bearer {}", self.token(email))),
            )
            .await;
        (status, body)
    }

    /// The id of the seeded department with `code`.
    pub async fn department_id(&self, code: &str) -> i32 {
        self.db
            .client()
            .await
            .query_one(
                "SELECT id FROM signals_department WHERE code = $1",
                &[&code],
            )
            .await
            .expect("department")
            .get(0)
    }

    pub async fn cleanup(self) {
        self.db.cleanup().await;
    }
}

pub fn reader<'a>(email: &'a str) -> NewUser<'a> {
    NewUser {
        email,
        roles: &[("Lezer", &["sia_read"])],
        ..NewUser::default()
    }
}

const SOURCES: &str = "/signals/v1/private/sources/";
const ME: &str = "/signals/v1/private/me/";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn claims(email: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": email, "email": email, "iat": now(), "exp": now() + 300})
}

async fn refused(office: &BackOffice, token: &str) -> (StatusCode, Value) {
    let (status, headers, body) = office
        .send(Method::GET, SOURCES, Some(&format!("Bearer {token}")))
        .await;
    assert_eq!(
        headers
            .get("www-authenticate")
            .map(|v| v.to_str().expect("ascii")),
        Some(r#"Bearer realm="signals""#),
        "{body}"
    );
    (status, body)
}

#[tokio::test]
async fn a_valid_token_names_the_user_by_its_username_case_insensitively() {
    let office = BackOffice::new().await;
    office.user(reader("Medewerker@Example.org")).await;

    let (status, _) = office.get_as("medewerker@example.org", SOURCES).await;
    let (upper, _) = office.get_as("MEDEWERKER@EXAMPLE.ORG", SOURCES).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(upper, StatusCode::OK);
    office.cleanup().await;
}

#[tokio::test]
async fn an_unknown_or_empty_email_is_no_user() {
    let office = BackOffice::new().await;

    for email in ["niemand@example.org", ""] {
        let token = office.key.sign(&claims(email)).expect("token");
        let (status, body) = refused(&office, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({"detail": "Login failed: No user found for the given access token."})
        );
    }
    office.cleanup().await;
}

#[tokio::test]
async fn an_inactive_user_is_refused() {
    let office = BackOffice::new().await;
    office
        .user(NewUser {
            inactive: true,
            ..reader("vertrokken@example.org")
        })
        .await;

    let token = office.token("vertrokken@example.org");
    let (status, body) = refused(&office, &token).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "User is inactive"}));
    office.cleanup().await;
}

#[tokio::test]
async fn bad_tokens_of_a_real_user_fail_the_login() {
    let office = BackOffice::new().await;
    let email = "medewerker@example.org";
    office.user(reader(email)).await;
    let forger = SigningKey::generate().expect("key");
    let kid = office.key.kid().to_owned();
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some(kid.clone()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &claims(email),
        &jsonwebtoken::EncodingKey::from_secret(office.key.jwks().as_bytes()).expect("secret"),
    )
    .expect("HS256 token");
    let mut no_email = claims(email);
    no_email.as_object_mut().expect("object").remove("email");
    let mut no_aud = claims(email);
    no_aud.as_object_mut().expect("object").remove("aud");

    let expired = {
        let mut c = claims(email);
        c["exp"] = json!(now() - 10);
        office.key.sign(&c).expect("token")
    };
    let forged = forger
        .sign_with_header(&json!({"alg": "RS256", "kid": kid}), &claims(email))
        .expect("token");
    let unknown_kid = office
        .key
        .sign_with_header(&json!({"alg": "RS256", "kid": "elsewhere"}), &claims(email))
        .expect("token");
    for (case, token) in [
        ("expired", expired),
        ("forged signature", forged),
        ("unknown kid", unknown_kid),
        ("HS256 with the public key as secret", hs256),
        ("no email", office.key.sign(&no_email).expect("token")),
        ("no aud", office.key.sign(&no_aud).expect("token")),
        ("not a JWT", "not-a-jwt".to_owned()),
    ] {
        let (status, body) = refused(&office, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(body, json!({"detail": "Login failed"}), "{case}");
    }
    office.cleanup().await;
}

#[tokio::test]
async fn another_issuer_or_audience_is_forbidden() {
    let office = BackOffice::new().await;
    let email = "medewerker@example.org";
    office.user(reader(email)).await;
    let mut other_issuer = claims(email);
    other_issuer["iss"] = json!("https://evil.example.org");
    let mut other_audience = claims(email);
    other_audience["aud"] = json!(["account"]);

    let (status, body) = refused(&office, &office.key.sign(&other_issuer).expect("token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["detail"],
        format!(
            r#""iss": https://evil.example.org does not match configured value for OIDC_OP_ISSUER: {ISSUER}"#
        )
    );
    let (status, body) = refused(&office, &office.key.sign(&other_audience).expect("token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"detail": "No trusted audience found"}));
    office.cleanup().await;
}

#[tokio::test]
async fn missing_and_malformed_headers_are_401s_never_500s() {
    let office = BackOffice::new().await;
    let none = "Authenticatiegegevens zijn niet opgegeven.";
    let no_credentials = r#"Invalid "bearer" header: No credentials provided."#;
    let spaces = r#"Invalid "bearer" header: Credentials string should not contain spaces."#;

    for (header, detail) in [
        (None, none),
        (Some(""), none),
        (Some("   "), none),
        (Some("Basic bWVkZXdlcmtlcjpnZWhlaW0="), none),
        (Some("Token abc"), none),
        (Some("Bearer"), no_credentials),
        (Some("bearer   "), no_credentials),
        (Some("Bearer abc def"), spaces),
        (Some("Bearer abc.def.ghi"), "Login failed"),
    ] {
        for path in [ME, SOURCES, "/signals/v1/private/categories/1"] {
            let (status, headers, body) = office.send(Method::GET, path, header).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?} {path}");
            assert_eq!(body, json!({ "detail": detail }), "{header:?} {path}");
            assert_eq!(headers["www-authenticate"], r#"Bearer realm="signals""#);
        }
    }
    office.cleanup().await;
}

#[tokio::test]
async fn a_superuser_without_any_permission_passes_every_check() {
    let office = BackOffice::new().await;
    office
        .user(NewUser {
            email: "beheerder@example.org",
            superuser: true,
            ..NewUser::default()
        })
        .await;

    for path in [
        ME,
        "/signals/v1/private/departments/",
        "/signals/v1/private/categories/",
        "/signals/v1/private/permissions/",
    ] {
        let (status, _) = office.get_as("beheerder@example.org", path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    office.cleanup().await;
}
