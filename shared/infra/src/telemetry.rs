//! Logging and tracing.

/// Installs the tracing subscriber: JSON lines when Lambda asks for them
/// (`AWS_LAMBDA_LOG_FORMAT=JSON`, set by `LoggingConfig` in template.yaml),
/// readable text otherwise; the level comes from `AWS_LAMBDA_LOG_LEVEL` or
/// `RUST_LOG` (default `info`).
///
/// The Lambda runtime opens a span per invocation carrying `requestId` and
/// `xrayTraceId`, so every line of an invocation can be correlated.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
