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
