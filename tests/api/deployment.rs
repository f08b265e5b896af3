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

// ---------------------------------------------------------------------------
// The production shape of template.yaml (docs/deploy.md): authorizer,
// network, database access, queues, alarms, permissions, buckets.

/// The template's resources with its `Fn::ForEach` loops expanded the way
/// AWS::LanguageExtensions does: `${Identifier}` replaced in every key and
/// string of the fragment, nested loops included.
fn expanded_resources(template: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    expand_into(
        template["Resources"].as_mapping().expect("Resources"),
        &mut out,
    );
    out
}

fn expand_into(resources: &serde_yaml::Mapping, out: &mut Vec<(String, Value)>) {
    for (key, value) in resources {
        let key = key.as_str().expect("resource id").to_owned();
        if !key.starts_with("Fn::ForEach::") {
            out.push((key, value.clone()));
            continue;
        }
        let parts = value.as_sequence().expect("Fn::ForEach takes a list");
        let identifier = parts[0].as_str().expect("loop identifier");
        let collection = parts[1].as_sequence().expect("a literal collection");
        for item in collection {
            let item = item.as_str().expect("collection items are strings");
            let fragment = substitute(&parts[2], identifier, item);
            expand_into(fragment.as_mapping().expect("loop fragment"), out);
        }
    }
}

fn substitute(value: &Value, identifier: &str, item: &str) -> Value {
    let pattern = format!("${{{identifier}}}");
    match value {
        Value::String(s) => Value::String(s.replace(&pattern, item)),
        Value::Sequence(items) => Value::Sequence(
            items
                .iter()
                .map(|v| substitute(v, identifier, item))
                .collect(),
        ),
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| {
                    (
                        substitute(k, identifier, item),
                        substitute(v, identifier, item),
                    )
                })
                .collect(),
        ),
        Value::Tagged(tagged) => Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: tagged.tag.clone(),
            value: substitute(&tagged.value, identifier, item),
        })),
        other => other.clone(),
    }
}

fn functions(template: &Value) -> Vec<(String, Value)> {
    resources_of_type(template, "AWS::Serverless::Function")
}

fn resources_of_type(template: &Value, kind: &str) -> Vec<(String, Value)> {
    expanded_resources(template)
        .into_iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .collect()
}

/// The logical id of `!Ref X` or `{Ref: X}` (also `{Ref: !Sub "X"}`).
fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" => ref_literal(&tagged.value),
        Value::Mapping(map) if map.len() == 1 => map.get("Ref").and_then(ref_literal),
        _ => None,
    }
}

fn ref_literal(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Tagged(tagged) if tagged.tag == "!Sub" => tagged.value.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The (logical id, attribute) of `!GetAtt X.Attr`, `!GetAtt [X, Attr]`
/// (X possibly `!Sub "X"`) or `{Fn::GetAtt: …}`.
fn get_att(value: &Value) -> Option<(String, String)> {
    let target = match value {
        Value::Tagged(tagged) if tagged.tag == "!GetAtt" => &tagged.value,
        Value::Mapping(map) if map.len() == 1 => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    match target {
        Value::String(s) => {
            let (id, attribute) = s.split_once('.')?;
            Some((id.to_owned(), attribute.to_owned()))
        }
        Value::Sequence(parts) if parts.len() == 2 => {
            Some((ref_literal(&parts[0])?, parts[1].as_str()?.to_owned()))
        }
        _ => None,
    }
}

/// A value's YAML text, for checks on what a string or `!Sub` contains.
fn text_of(value: &Value) -> String {
    serde_yaml::to_string(value).expect("serialisable")
}

fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

fn http_events(function: &Value) -> Vec<(String, Value)> {
    function["Properties"]["Events"]
        .as_mapping()
        .map(|events| {
            events
                .iter()
                .filter(|(_, event)| event["Type"].as_str() == Some("HttpApi"))
                .map(|(name, event)| {
                    (
                        name.as_str().expect("event name").to_owned(),
                        event["Properties"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn private_routes_need_the_oidc_authorizer_and_no_other_route_does() {
    let template = template();
    let auth = &template["Resources"]["HttpApi"]["Properties"]["Auth"];
    assert_eq!(auth["DefaultAuthorizer"].as_str(), Some("OidcAuthorizer"));

    let mut private = 0;
    for (id, function) in functions(&template) {
        for (event, properties) in http_events(&function) {
            let path = properties["Path"].as_str().expect("Path");
            let authorizer = properties["Auth"]["Authorizer"].as_str();
            if path.starts_with("/signals/v1/private/") {
                private += 1;
                assert!(
                    authorizer.is_none() || authorizer == Some("OidcAuthorizer"),
                    "{id}.{event} ({path}) is private but opts out of the authorizer"
                );
            } else {
                assert_eq!(
                    authorizer,
                    Some("NONE"),
                    "{id}.{event} ({path}) is public: give it Auth: {{Authorizer: NONE}}"
                );
            }
        }
    }
    assert!(private > 10, "only {private} private routes found");
}

#[test]
fn the_authorizer_checks_the_issuer_and_audiences_the_functions_check() {
    let template = template();
    let jwt = &template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["OidcAuthorizer"]
        ["JwtConfiguration"];
    let env = &template["Globals"]["Function"]["Environment"]["Variables"];

    assert_eq!(ref_target(&jwt["issuer"]).as_deref(), Some("OidcIssuer"));
    assert_eq!(
        ref_target(&env["OIDC_OP_ISSUER"]).as_deref(),
        Some("OidcIssuer")
    );
    assert_eq!(
        ref_target(&jwt["audience"]).as_deref(),
        Some("OidcTrustedAudiences")
    );
    let audiences = text_of(&env["OIDC_TRUSTED_AUDIENCES"]);
    assert!(
        audiences.contains("OidcTrustedAudiences") && audiences.contains(r#"'["${Audiences}"]'"#),
        "OIDC_TRUSTED_AUDIENCES must be the JSON array of OidcTrustedAudiences: {audiences}"
    );
    assert_eq!(env["OIDC_VERIFY_AUDIENCE"].as_str(), Some("true"));
    assert_eq!(
        template["Parameters"]["OidcTrustedAudiences"]["Type"].as_str(),
        Some("CommaDelimitedList")
    );
}

#[test]
fn every_function_runs_in_the_private_subnets() {
    let template = template();
    let vpc = &template["Globals"]["Function"]["VpcConfig"];
    let subnets: Vec<_> = vpc["SubnetIds"]
        .as_sequence()
        .expect("Globals.Function.VpcConfig.SubnetIds")
        .iter()
        .filter_map(ref_target)
        .collect();
    assert_eq!(subnets, ["PrivateSubnetA", "PrivateSubnetB"]);
    let groups: Vec<_> = vpc["SecurityGroupIds"]
        .as_sequence()
        .expect("SecurityGroupIds")
        .iter()
        .filter_map(ref_target)
        .collect();
    assert_eq!(groups, ["FunctionSecurityGroup"]);
    for (id, function) in functions(&template) {
        assert!(
            function["Properties"]["VpcConfig"].is_null(),
            "{id} overrides the VpcConfig of Globals"
        );
    }
    for subnet in ["PrivateSubnetA", "PrivateSubnetB"] {
        let properties = &template["Resources"][subnet]["Properties"];
        assert!(
            properties["MapPublicIpOnLaunch"].as_bool() != Some(true),
            "{subnet} must stay private"
        );
    }
}

#[test]
fn every_function_reaches_the_database_with_iam_and_no_password() {
    let template = template();
    let env = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(env["DATABASE_IAM_AUTH"].as_str(), Some("true"));

    let url = text_of(&env["DATABASE_URL"]);
    let urls: Vec<&str> = url
        .split_whitespace()
        .map(|word| word.trim_matches(|c| c == '"' || c == '\''))
        .filter(|word| word.starts_with("postgres://"))
        .collect();
    assert_eq!(
        urls.len(),
        2,
        "the proxy's URL and the existing database's: {url}"
    );
    for url in urls {
        let authority = &url["postgres://".len()..url.find('@').expect("a user")];
        assert!(
            !authority.contains(':'),
            "no password in DATABASE_URL: {url}"
        );
        assert!(url.ends_with("?sslmode=require"), "{url}");
    }
    assert!(url.contains("${DatabaseProxy.Endpoint}:5432"), "{url}");

    for (id, function) in functions(&template) {
        let properties = &function["Properties"];
        assert!(
            properties["Environment"]["Variables"]["DATABASE_URL"].is_null(),
            "{id} overrides DATABASE_URL"
        );
        let policies = properties["Policies"].as_sequence();
        assert!(
            policies.is_some_and(|policies| policies
                .iter()
                .any(|p| ref_target(p).as_deref() == Some("DatabaseConnectPolicy"))),
            "{id} needs `- !Ref DatabaseConnectPolicy` in its Policies"
        );
    }

    let proxy = &template["Resources"]["DatabaseProxy"]["Properties"];
    assert_eq!(proxy["RequireTLS"].as_bool(), Some(true));
    assert_eq!(proxy["Auth"][0]["IAMAuth"].as_str(), Some("REQUIRED"));
    let database = &template["Resources"]["Database"]["Properties"];
    assert_eq!(database["StorageEncrypted"].as_bool(), Some(true));
    assert_eq!(database["DeletionProtection"].as_bool(), Some(true));
    assert_eq!(database["ManageMasterUserPassword"].as_bool(), Some(true));
    assert!(database["MasterUserPassword"].is_null());
}

/// (function id, queue id, function timeout) of every SQS event.
fn queue_consumers(template: &Value) -> Vec<(String, String, u64)> {
    let global_timeout = number(&template["Globals"]["Function"]["Timeout"]).unwrap_or(3);
    let mut consumers = Vec::new();
    for (id, function) in functions(template) {
        let timeout = number(&function["Properties"]["Timeout"]).unwrap_or(global_timeout);
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            if event["Type"].as_str() != Some("SQS") {
                continue;
            }
            let properties = &event["Properties"];
            let (queue, attribute) =
                get_att(&properties["Queue"]).expect("Queue: !GetAtt <queue>.Arn");
            assert_eq!(attribute, "Arn");
            let types = text_of(&properties["FunctionResponseTypes"]);
            assert!(
                types.contains("ReportBatchItemFailures"),
                "{id}.{name:?} needs FunctionResponseTypes: [ReportBatchItemFailures]"
            );
            consumers.push((id.clone(), queue, timeout));
        }
    }
    consumers
}

#[test]
fn every_consumer_queue_has_a_dead_letter_queue_and_six_times_its_consumers_timeout() {
    let template = template();
    let consumers = queue_consumers(&template);
    assert!(consumers.len() >= 2, "{consumers:?}");
    for (function, queue, timeout) in consumers {
        let properties = &template["Resources"][queue.as_str()]["Properties"];
        let visibility = number(&properties["VisibilityTimeout"]).unwrap_or(30);
        assert!(
            visibility >= 6 * timeout,
            "{queue}: VisibilityTimeout {visibility} < 6 × {function}'s Timeout {timeout}"
        );
        let redrive = &properties["RedrivePolicy"];
        let receives = number(&redrive["maxReceiveCount"]).expect("maxReceiveCount");
        assert!(receives >= 5, "{queue}: maxReceiveCount {receives}");
        let (dlq, _) = get_att(&redrive["deadLetterTargetArn"])
            .unwrap_or_else(|| panic!("{queue} has no dead-letter queue"));
        let dlq_properties = &template["Resources"][dlq.as_str()]["Properties"];
        assert_eq!(
            number(&dlq_properties["MessageRetentionPeriod"]),
            Some(14 * 24 * 3600),
            "{dlq} keeps messages 14 days"
        );
    }
}

#[test]
fn every_queue_is_encrypted_and_every_dead_letter_queue_raises_an_alarm() {
    let template = template();
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    for (id, queue) in resources_of_type(&template, "AWS::SQS::Queue") {
        let properties = &queue["Properties"];
        assert!(
            properties["SqsManagedSseEnabled"].as_bool() == Some(true)
                || !properties["KmsMasterKeyId"].is_null(),
            "{id} is not encrypted"
        );
        let Some((dlq, _)) = get_att(&properties["RedrivePolicy"]["deadLetterTargetArn"]) else {
            continue;
        };
        let alarmed = alarms.iter().any(|(_, alarm)| {
            let p = &alarm["Properties"];
            p["MetricName"].as_str() == Some("ApproximateNumberOfMessagesVisible")
                && number(&p["Threshold"]) == Some(0)
                && get_att(&p["Dimensions"][0]["Value"]) == Some((dlq.clone(), "QueueName".into()))
                && ref_target(&p["AlarmActions"][0]).as_deref() == Some("AlarmTopic")
        });
        assert!(
            alarmed,
            "no alarm on the messages in {dlq} (the DLQ of {id})"
        );
    }
}

#[test]
fn every_function_has_an_errors_and_a_throttles_alarm() {
    let template = template();
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    for (id, _) in functions(&template) {
        for metric in ["Errors", "Throttles"] {
            let alarmed = alarms.iter().any(|(_, alarm)| {
                let p = &alarm["Properties"];
                p["Namespace"].as_str() == Some("AWS/Lambda")
                    && p["MetricName"].as_str() == Some(metric)
                    && ref_target(&p["Dimensions"][0]["Value"]).as_deref() == Some(id.as_str())
                    && ref_target(&p["AlarmActions"][0]).as_deref() == Some("AlarmTopic")
            });
            assert!(
                alarmed,
                "no {metric} alarm for {id}: add it to Fn::ForEach::FunctionAlarms"
            );
        }
    }
}

/// Statements may name every resource only where AWS offers no
/// resource-level permission; their Sid says which.
const STAR_RESOURCE_SIDS: &[&str] = &["NetworkInterfaces"];

fn statements(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Sequence(items) => items.clone(),
        Value::Mapping(_) => vec![document["Statement"].clone()],
        _ => Vec::new(),
    }
}

fn assert_no_star_resource(owner: &str, document: &Value) {
    for statement in statements(document) {
        let resources = match &statement["Resource"] {
            Value::Sequence(items) => items.clone(),
            other => vec![other.clone()],
        };
        if resources.iter().any(|r| r.as_str() == Some("*")) {
            let sid = statement["Sid"].as_str().unwrap_or_default();
            assert!(
                STAR_RESOURCE_SIDS.contains(&sid),
                "{owner}: a statement allows Resource \"*\" ({statement:?})"
            );
        }
    }
}

#[test]
fn no_policy_allows_every_resource_where_aws_has_resource_level_permissions() {
    let template = template();
    for (id, resource) in expanded_resources(&template) {
        let properties = &resource["Properties"];
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => {
                for policy in properties["Policies"].as_sequence().into_iter().flatten() {
                    assert_no_star_resource(&id, policy);
                }
            }
            Some("AWS::IAM::ManagedPolicy") | Some("AWS::IAM::Policy") => {
                assert_no_star_resource(&id, &properties["PolicyDocument"]);
            }
            Some("AWS::IAM::Role") => {
                for policy in properties["Policies"].as_sequence().into_iter().flatten() {
                    assert_no_star_resource(&id, &policy["PolicyDocument"]);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn the_permissions_boundary_covers_every_queue_and_bucket_and_caps_every_function() {
    let template = template();
    assert_eq!(
        ref_target(&template["Globals"]["Function"]["PermissionsBoundary"]).as_deref(),
        Some("FunctionPermissionsBoundary")
    );
    for (id, function) in functions(&template) {
        assert!(
            function["Properties"]["PermissionsBoundary"].is_null(),
            "{id} overrides the permissions boundary"
        );
    }
    let boundary = statements(
        &template["Resources"]["FunctionPermissionsBoundary"]["Properties"]["PolicyDocument"],
    );
    let by_sid = |sid: &str| {
        boundary
            .iter()
            .find(|s| s["Sid"].as_str() == Some(sid))
            .map(|s| text_of(&s["Resource"]))
            .unwrap_or_else(|| panic!("the boundary has no {sid} statement"))
    };
    let queues = by_sid("Queues");
    for (id, _) in resources_of_type(&template, "AWS::SQS::Queue") {
        assert!(
            queues.contains(&format!("{id}.Arn")),
            "FunctionPermissionsBoundary (Queues) lacks {id}: functions could not use it"
        );
    }
    let (objects, buckets) = (by_sid("Objects"), by_sid("Buckets"));
    for (id, _) in resources_of_type(&template, "AWS::S3::Bucket") {
        assert!(
            objects.contains(&format!("${{{id}.Arn}}/*")),
            "Objects lacks {id}"
        );
        assert!(buckets.contains(&format!("{id}.Arn")), "Buckets lacks {id}");
    }
}

#[test]
fn every_bucket_is_encrypted_private_tls_only_and_drops_abandoned_uploads() {
    let template = template();
    let policies = resources_of_type(&template, "AWS::S3::BucketPolicy");
    for (id, bucket) in resources_of_type(&template, "AWS::S3::Bucket") {
        let properties = &bucket["Properties"];
        assert!(
            !properties["BucketEncryption"]["ServerSideEncryptionConfiguration"].is_null(),
            "{id} is not encrypted"
        );
        let block = &properties["PublicAccessBlockConfiguration"];
        for setting in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert_eq!(block[setting].as_bool(), Some(true), "{id}: {setting}");
        }
        let tls_only = policies.iter().any(|(_, policy)| {
            let p = &policy["Properties"];
            ref_target(&p["Bucket"]).as_deref() == Some(id.as_str())
                && statements(&p["PolicyDocument"]).iter().any(|s| {
                    s["Effect"].as_str() == Some("Deny")
                        && text_of(&s["Condition"]).contains("aws:SecureTransport")
                })
        });
        assert!(tls_only, "{id} has no TLS-only bucket policy");
        let rules = text_of(&properties["LifecycleConfiguration"]["Rules"]);
        assert!(
            rules.contains("AbortIncompleteMultipartUpload"),
            "{id} keeps the parts of abandoned uploads forever"
        );
    }
}

/// The period of a `rate(N unit)` schedule, in seconds.
fn rate_seconds(expression: &str) -> Option<u64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let unit = match unit.trim().trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(n * unit)
}

#[test]
fn the_relay_follows_longer_than_its_schedule_period_and_ends_before_its_timeout() {
    let template = template();
    let global_timeout = number(&template["Globals"]["Function"]["Timeout"]).unwrap_or(3);
    let relay = &template["Resources"]["OutboxRelayFunction"]["Properties"];
    let timeout = number(&relay["Timeout"]).unwrap_or(global_timeout);
    let variables = &relay["Environment"]["Variables"];
    let follow = number(&variables["OUTBOX_RELAY_FOLLOW_SECONDS"])
        .unwrap_or(outbox_relay::DEFAULT_FOLLOW_SECONDS);
    let poll =
        number(&variables["OUTBOX_RELAY_POLL_MILLIS"]).unwrap_or(outbox_relay::DEFAULT_POLL_MILLIS);
    let periods: Vec<u64> = relay["Events"]
        .as_mapping()
        .expect("the relay's events")
        .values()
        .filter(|event| event["Type"].as_str() == Some("Schedule"))
        .map(|event| {
            let expression = event["Properties"]["Schedule"].as_str().expect("Schedule");
            rate_seconds(expression).unwrap_or_else(|| panic!("not a rate: {expression}"))
        })
        .collect();
    let reserved = number(&relay["ReservedConcurrentExecutions"]);

    assert_eq!(periods.len(), 1, "one schedule: {periods:?}");
    let period = periods[0];
    assert!(
        follow > period,
        "follow {follow} s must outlast the schedule's {period} s, or events wait in the gap"
    );
    let margin = outbox_relay::DEADLINE_MARGIN.as_secs();
    assert!(
        follow + margin <= timeout,
        "follow {follow} s + the deadline margin {margin} s must fit the Timeout {timeout} s"
    );
    let overlapping = timeout.div_ceil(period);
    assert!(
        reserved.is_some_and(|r| r >= overlapping),
        "ReservedConcurrentExecutions {reserved:?}: up to {overlapping} invocations run at once"
    );
    assert!(
        (50..=1000).contains(&poll),
        "OUTBOX_RELAY_POLL_MILLIS {poll} (the publication latency)"
    );
    let invoke = &relay["EventInvokeConfig"];
    assert_eq!(number(&invoke["MaximumRetryAttempts"]), Some(0));
    assert!(
        number(&invoke["MaximumEventAgeInSeconds"]).is_some_and(|age| age <= period),
        "a schedule event that cannot start must not queue behind the next one"
    );
}

#[test]
fn http_functions_write_postgres_only_and_cannot_send_to_sqs() {
    let template = template();
    let mut http_functions = 0;
    for (id, function) in functions(&template) {
        if http_events(&function).is_empty() {
            continue;
        }
        http_functions += 1;
        let properties = &function["Properties"];
        for policy in properties["Policies"].as_sequence().into_iter().flatten() {
            let text = text_of(policy);
            assert!(
                !text.contains("SQSSendMessagePolicy") && !text.contains("sqs:SendMessage"),
                "{id} may send to SQS: the outbox relay publishes, not the request path"
            );
        }
        if let Some(variables) = properties["Environment"]["Variables"].as_mapping() {
            for name in variables.keys().filter_map(Value::as_str) {
                assert!(
                    !name.ends_with("_QUEUE_URL"),
                    "{id} has {name}: the request path writes Postgres only"
                );
            }
        }
    }
    assert!(http_functions >= 5, "{http_functions} HTTP functions");
}

#[test]
fn logs_are_kept_for_the_configured_retention() {
    let template = template();
    assert_eq!(
        ref_target(&template["Globals"]["Function"]["LoggingConfig"]["LogGroup"]).as_deref(),
        Some("FunctionLogGroup")
    );
    for (id, group) in resources_of_type(&template, "AWS::Logs::LogGroup") {
        assert_eq!(
            ref_target(&group["Properties"]["RetentionInDays"]).as_deref(),
            Some("LogRetentionDays"),
            "{id}"
        );
    }
}

#[test]
fn for_each_loops_are_expanded_like_language_extensions() {
    let template: Value = serde_yaml::from_str(
        r#"
Resources:
  Plain: {Type: AWS::SNS::Topic}
  Fn::ForEach::Outer:
    - Name
    - [A, B]
    - Fn::ForEach::Inner:
        - Metric
        - [Errors]
        - ${Name}${Metric}Alarm:
            Type: AWS::CloudWatch::Alarm
            Properties:
              MetricName: ${Metric}
              Value: {Ref: !Sub "${Name}Function"}
"#,
    )
    .expect("YAML");

    let resources = expanded_resources(&template);

    let ids: Vec<_> = resources.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["Plain", "AErrorsAlarm", "BErrorsAlarm"]);
    let b = &resources[2].1["Properties"];
    assert_eq!(b["MetricName"].as_str(), Some("Errors"));
    assert_eq!(ref_target(&b["Value"]).as_deref(), Some("BFunction"));
}
