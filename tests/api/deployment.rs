//! template.yaml and the local router describe the same system: every
//! function crate is deployed, and every HTTP route API Gateway sends to a
//! function is one that `cargo lambda watch` sends to it too (and back).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(repo_root().join("functions"))
        .expect("functions/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .map(|path| {
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// `api-root` → `ApiRootFunction`, the convention of docs and template.
fn logical_id(crate_name: &str) -> String {
    let pascal: String = crate_name
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{pascal}Function")
}

/// (path, function crate) for every HttpApi event in the template.
fn template_routes(template: &Value) -> BTreeSet<(String, String)> {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut routes = BTreeSet::new();
    for (_, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let code_uri = resource["Properties"]["CodeUri"].as_str().expect("CodeUri");
        let function = code_uri.trim_start_matches("functions/").to_owned();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"].as_str() == Some("HttpApi") {
                let path = event["Properties"]["Path"].as_str().expect("HttpApi Path");
                routes.insert((as_local_route(path), function.clone()));
            }
        }
    }
    routes
}

/// An API Gateway path in the local router's syntax: the greedy `{name+}`
/// is matchit's catch-all `{*name}`; `{name}` is the same in both.
fn as_local_route(path: &str) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                Some(name) => format!("{{*{name}}}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// (path, function crate) for every route of the local router in Cargo.toml.
fn local_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml");
    let manifest: toml::Table = text.parse().expect("Cargo.toml is TOML");
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("[workspace.metadata.lambda.watch.router]");
    router
        .iter()
        .map(|(path, target)| {
            let function = match target {
                toml::Value::String(name) => name.clone(),
                other => panic!("route {path}: give the function name as a string, not {other}"),
            };
            (path.clone(), function)
        })
        .collect()
}

#[test]
fn every_function_crate_is_in_the_template_with_its_logical_id() {
    let template = template();
    for name in function_crates() {
        let id = logical_id(&name);
        let resource = &template["Resources"][id.as_str()];
        assert_eq!(
            resource["Type"].as_str(),
            Some("AWS::Serverless::Function"),
            "functions/{name} has no {id} in template.yaml"
        );
        assert_eq!(
            resource["Properties"]["CodeUri"].as_str(),
            Some(format!("functions/{name}").as_str())
        );
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}"
        );
    }
}

#[test]
fn every_function_in_the_template_is_a_crate() {
    let crates = function_crates();
    let template = template();
    for (id, resource) in template["Resources"].as_mapping().expect("Resources") {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            let code_uri = resource["Properties"]["CodeUri"].as_str().expect("CodeUri");
            let name = code_uri.trim_start_matches("functions/");
            assert!(
                crates.contains(name),
                "{id:?} points at {code_uri}, which is no crate"
            );
        }
    }
}

#[test]
fn api_gateway_and_the_local_router_send_the_same_paths_to_the_same_functions() {
    let deployed = template_routes(&template());
    let local = local_routes();

    let only_deployed: Vec<_> = deployed.difference(&local).collect();
    let only_local: Vec<_> = local.difference(&deployed).collect();
    assert!(
        only_deployed.is_empty(),
        "routes in template.yaml but not in the local router: {only_deployed:?}"
    );
    assert!(
        only_local.is_empty(),
        "routes in the local router but not in template.yaml: {only_local:?}"
    );
    assert!(deployed.contains(&("/signals/".to_owned(), "api-root".to_owned())));
}

#[test]
fn greedy_api_gateway_paths_become_catch_all_routes() {
    assert_eq!(
        as_local_route("/signals/v1/public/terms/{proxy+}"),
        "/signals/v1/public/terms/{*proxy}"
    );
    assert_eq!(
        as_local_route("/signals/v1/private/signals/{id}"),
        "/signals/v1/private/signals/{id}"
    );
}

#[test]
fn logical_ids_follow_the_crate_names() {
    assert_eq!(logical_id("api-root"), "ApiRootFunction");
    assert_eq!(logical_id("db-migrate"), "DbMigrateFunction");
}
