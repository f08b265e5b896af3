//! Shared AWS SDK configuration.

/// Loads the SDK configuration once per process (region, credentials and
/// endpoint overrides such as `AWS_ENDPOINT_URL_S3` from the environment, as
/// the SDK defines them). Build every service client from the one result.
pub async fn load() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
