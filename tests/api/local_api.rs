//! The API as a client meets it locally: through `cargo lambda watch` and its
//! router (started by `infra/stack api` or `infra/run`), at SIGNALEN_API_URL.

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use crate::helpers::stack_var;

fn api(path: &str) -> String {
    format!("{}{path}", stack_var("SIGNALEN_API_URL"))
}

async fn send(method: Method, path: &str) -> reqwest::Response {
    Client::new()
        .request(method, api(path))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("the local API does not answer {path} ({e}): start it with `infra/stack api`")
        })
}

#[tokio::test]
async fn the_root_document_is_served_under_the_api_gateway_path() {
    let response = send(Method::GET, "/signals/").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-api-version"], "2.50.12");
    let document: Value = response.json().await.expect("JSON");
    assert_eq!(
        document["v1"]["_links"]["self"]["href"],
        api("/signals/v1/")
    );
    assert_eq!(document["version"], "2.50.12");
}

#[tokio::test]
async fn head_on_the_root_answers_without_a_body() {
    let response = send(Method::HEAD, "/signals/").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn the_health_check_reaches_the_local_database() {
    let response = send(Method::GET, "/status/health").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("text"), "Connectivity OK");
}

#[tokio::test]
async fn the_public_categories_are_served_by_their_own_function() {
    let response = send(
        Method::GET,
        "/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol",
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    let sub: Value = response.json().await.expect("JSON");
    assert_eq!(
        sub["_links"]["self"]["href"],
        api("/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol")
    );
}

/// The whole login path as the frontend takes it locally: a token minted by
/// `dev-token`'s code with the stack's key ($STACK_DIR/oidc), checked by the
/// running function against the stack's JWKS (OIDC_JWKS), for a user in the
/// local database.
#[tokio::test]
async fn a_token_minted_with_the_stacks_key_signs_in_to_the_private_api() {
    let email = "integration-test@signalen.local";
    let pool = signalen_infra::pg::pool(&signalen_infra::config::DatabaseConfig {
        url: stack_var("DATABASE_URL").into(),
        pool_size: 1,
        iam_auth: false,
    })
    .expect("pool");
    let client = pool.get().await.expect("the local database");
    signalen_infra::pg::create_superuser_if_missing(&client, email)
        .await
        .expect("the local user");
    let pem = std::fs::read(stack_var("OIDC_DEV_SIGNING_KEY")).expect("the stack's signing key");
    let key = dev_token::SigningKey::from_pem(&pem).expect("an RSA key");
    let audiences: Vec<String> =
        serde_json::from_str(&stack_var("OIDC_TRUSTED_AUDIENCES")).expect("a JSON array");
    let token = key
        .mint(&dev_token::TokenRequest {
            email: email.into(),
            issuer: stack_var("OIDC_OP_ISSUER"),
            audience: audiences,
            ttl: std::time::Duration::from_secs(60),
        })
        .expect("token");

    let response = Client::new()
        .get(api("/signals/v1/private/me/"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the local API answers");
    let anonymous = send(Method::GET, "/signals/v1/private/me").await;

    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.expect("JSON");
    assert_eq!(me["username"], email);
    assert_eq!(me["is_superuser"], true);
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
