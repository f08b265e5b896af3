//! `dwh-export` — Lambda function on a schedule (and a command).
//!
//! Trigger: EventBridge schedule (nightly) with `{}`; an invocation may send
//! `{"dry_run": true}` and/or `{"reports": ["signals", "notes"]}` (the
//! reference's `dumpcsv --report` names).
//! Does: writes every datawarehouse CSV of spec 12 and their zip to the
//! exports bucket under `dwh/YYYY/MM/DD/` (docs/dwh-export.md), streaming
//! from one database snapshot; aborts incomplete uploads of a dead earlier
//! run; deletes exports older than `DWH_KEEP_DAYS`.
//! Command line (outside Lambda): `dwh-export [--dry-run] [--report a,b]`,
//! progress on stderr, the report as JSON on stdout.
//! Environment: `DATABASE_URL`, `EXPORTS_BUCKET`, `S3_FORCE_PATH_STYLE`,
//! `DWH_PREFIX` (default `dwh/`), `DWH_PART_SIZE_MIB` (8), `DWH_ZIP` (true),
//! `DWH_ZIP_LEVEL` (1), `DWH_KEEP_DAYS` (30), `ENVIRONMENT` (KTO file).

use anyhow::{Context, bail};
use dwh_export::{ExportConfig, ExportHooks, ExportRequest, run};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use signalen_infra::config::{DatabaseConfig, S3Config, required};
use signalen_infra::s3::ObjectStore;
use signalen_infra::{pg, telemetry};

fn request_from_args(args: impl Iterator<Item = String>) -> anyhow::Result<ExportRequest> {
    let mut request = ExportRequest::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dry-run" => request.dry_run = true,
            "--report" => {
                let list = args
                    .next()
                    .context("--report needs a comma-separated list")?;
                request.reports = Some(list.split(',').map(str::to_owned).collect());
            }
            "-h" | "--help" => {
                eprintln!("usage: dwh-export [--dry-run] [--report signals,ml,...]");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (try --help)"),
        }
    }
    Ok(request)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = ExportConfig::from_env().expect("export configuration");
    let pool = pg::pool(&DatabaseConfig::from_env().expect("database configuration"))
        .expect("database pool");
    let bucket = required("EXPORTS_BUCKET").expect("exports bucket");
    let s3 = S3Config::from_env().expect("S3 configuration");
    let store = ObjectStore::new(&signalen_infra::aws::load().await, s3, bucket);

    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let request = request_from_args(std::env::args().skip(1))?;
        let report = run(
            &pool,
            &store,
            &config,
            &request,
            ExportHooks::default(),
            &mut |line| eprintln!("{line}"),
        )
        .await?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    lambda_runtime::run(service_fn(|event: LambdaEvent<ExportRequest>| {
        let (pool, store, config) = (pool.clone(), store.clone(), config.clone());
        async move {
            run(
                &pool,
                &store,
                &config,
                &event.payload,
                ExportHooks::default(),
                &mut |line| tracing::info!("{line}"),
            )
            .await
            .map_err(|e| Diagnostic {
                error_type: "DwhExportFailed".into(),
                error_message: format!("{e:#}"),
            })
        }
    }))
    .await
}
