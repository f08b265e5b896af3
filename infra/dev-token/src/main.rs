//! `dev-token` — mints an access token for a local user (local development only).
//!
//! ```sh
//! eval "$(infra/stack env)"
//! cargo run -q -p dev-token -- signals.admin@example.com --create-user
//! cargo run -q -p dev-token -- medewerker@example.org --ttl 30m
//! ```
//!
//! Prints the token on stdout (instructions on stderr): paste it into the
//! frontend (`localStorage.setItem('accessToken', '<token>')`) or send it as
//! `Authorization: Bearer <token>`.
//!
//! Options: `--ttl <8h|30m|90s|2d>` (default 8h); `--create-user` creates the
//! user as an active superuser in `DATABASE_URL` when no user has that
//! username; `--key <pem>`, `--issuer <url>`, `--audience <aud>` override
//! the stack's values.
//! Environment (from `infra/stack env`): `OIDC_DEV_SIGNING_KEY` (the PEM
//! file), `OIDC_OP_ISSUER`, `OIDC_TRUSTED_AUDIENCES` (its first entry is the
//! audience), `DATABASE_URL` (with `--create-user`).

use std::time::Duration;

use anyhow::{Context, bail};
use dev_token::{SigningKey, TokenRequest, parse_ttl};
use signalen_infra::config::{DatabaseConfig, optional};
use signalen_infra::pg;

const USAGE: &str = "usage: dev-token <email> [--ttl 8h] [--create-user] [--key <pem>] [--issuer <url>] [--audience <aud>]";

struct Args {
    email: String,
    ttl: Duration,
    create_user: bool,
    key: Option<String>,
    issuer: Option<String>,
    audience: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        email: String::new(),
        ttl: Duration::from_secs(8 * 3600),
        create_user: false,
        key: None,
        issuer: None,
        audience: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--ttl" => {
                let text = value("--ttl")?;
                parsed.ttl = parse_ttl(&text)
                    .with_context(|| format!("--ttl {text}: use e.g. 8h, 30m, 90s or 2d"))?;
            }
            "--create-user" => parsed.create_user = true,
            "--key" => parsed.key = Some(value("--key")?),
            "--issuer" => parsed.issuer = Some(value("--issuer")?),
            "--audience" => parsed.audience = Some(value("--audience")?),
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0);
            }
            other if other.starts_with('-') => bail!("unknown option {other}\n{USAGE}"),
            email if parsed.email.is_empty() => parsed.email = email.to_owned(),
            extra => bail!("unexpected argument {extra}\n{USAGE}"),
        }
    }
    if parsed.email.is_empty() || !parsed.email.contains('@') {
        bail!("give the user's e-mail address\n{USAGE}");
    }
    Ok(parsed)
}

/// A stack variable, or a hint to load the stack's environment.
fn from_stack(name: &'static str) -> anyhow::Result<String> {
    optional(name)?.with_context(|| {
        format!("{name} is not set: run `eval \"$(infra/stack env)\"` after `infra/stack up`")
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let key_path = match args.key {
        Some(path) => path,
        None => from_stack("OIDC_DEV_SIGNING_KEY")?,
    };
    let pem = std::fs::read(&key_path).with_context(|| format!("reading the key {key_path}"))?;
    let key = SigningKey::from_pem(&pem).with_context(|| format!("the key in {key_path}"))?;
    let issuer = match args.issuer {
        Some(issuer) => issuer,
        None => from_stack("OIDC_OP_ISSUER")?,
    };
    let audience = match args.audience {
        Some(audience) => audience,
        None => {
            let trusted: Vec<String> = serde_json::from_str(&from_stack("OIDC_TRUSTED_AUDIENCES")?)
                .context("OIDC_TRUSTED_AUDIENCES is not a JSON array of strings")?;
            trusted
                .into_iter()
                .next()
                .context("OIDC_TRUSTED_AUDIENCES is empty: give --audience")?
        }
    };

    if args.create_user {
        let database = DatabaseConfig::from_env().context("--create-user needs DATABASE_URL")?;
        let pool = pg::pool(&database)?;
        let client = pool.get().await.context("connecting to DATABASE_URL")?;
        if pg::create_superuser_if_missing(&client, &args.email)
            .await
            .context("creating the user")?
        {
            eprintln!("created {} as an active superuser", args.email);
        } else {
            eprintln!(
                "a user with username {} exists already; left as it is",
                args.email
            );
        }
    }

    let token = key.mint(&TokenRequest {
        email: args.email.clone(),
        issuer,
        audience: vec![audience],
        ttl: args.ttl,
    })?;
    eprintln!(
        "token for {} (valid {} s, key {}). In the frontend's browser console:\n  \
         localStorage.setItem('accessToken', '<token>'); location.reload()\n\
         or: curl -H \"Authorization: Bearer $TOKEN\" $SIGNALEN_API_URL/signals/v1/private/me/",
        args.email,
        args.ttl.as_secs(),
        key.kid()
    );
    println!("{token}");
    Ok(())
}
