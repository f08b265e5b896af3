//! `mail-templates` — the administrator's command for the stored e-mail
//! templates (spec 11 §11.2; docs/mail.md).
//!
//! ```text
//! mail-templates check                       compile and render every stored template
//! mail-templates show KEY                    render KEY (stored or built-in) with example data
//! mail-templates put KEY TITLE_FILE BODY_FILE [--by EMAIL] [--dry-run]
//!                                            validate, then store (replace) KEY
//! ```
//! Environment: `DATABASE_URL`, `FRONTEND_URL`, `MAIL_FROM` (as the mailer).
//! Exit status 1 when a template does not validate, 2 on bad usage.

use std::process::ExitCode;

use mailer::MailSettings;
use mailer::templates::{example_context, fallback_text, validate};
use signalen_domain::mail::StatusMail;
use signalen_infra::config::DatabaseConfig;
use signalen_infra::pg::{self, mail as store};

const USAGE: &str = "usage: mail-templates check | show KEY | put KEY TITLE_FILE BODY_FILE [--by EMAIL] [--dry-run]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mail-templates: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &[String]) -> Result<ExitCode, String> {
    let settings = MailSettings::from_env().map_err(|e| chain(&e))?;
    let database = DatabaseConfig::from_env().map_err(|e| chain(&e))?;
    let pool = pg::pool(&database).map_err(|e| chain(&e))?;
    let client = pool.get().await.map_err(|e| chain(&e))?;
    match args.first().map(String::as_str) {
        Some("check") => {
            let mut failed = 0;
            for action in StatusMail::ALL {
                let key = action.template_key();
                match store::email_template(&client, key)
                    .await
                    .map_err(|e| chain(&e))?
                {
                    None => println!("{key}: not stored (built-in text)"),
                    Some(stored) => match validate(&stored, &settings) {
                        Ok(_) => println!("{key}: ok"),
                        Err(error) => {
                            failed += 1;
                            println!("{key}: INVALID: {error}");
                        }
                    },
                }
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some("show") => {
            let key = args.get(1).ok_or(USAGE)?;
            let action = action(key)?;
            let rendered = match store::email_template(&client, key)
                .await
                .map_err(|e| chain(&e))?
            {
                Some(stored) => validate(&stored, &settings).map_err(|e| chain(&e))?,
                None => fallback_text(action)
                    .render(action, &example_context(&settings))
                    .map_err(|e| chain(&e))?,
            };
            println!("Subject: {}\n\n{}", rendered.subject, rendered.text);
            Ok(ExitCode::SUCCESS)
        }
        Some("put") => {
            let [key, title_file, body_file, rest @ ..] = &args[1..] else {
                return Err(USAGE.to_owned());
            };
            action(key)?;
            let mut by = None;
            let mut dry_run = false;
            let mut rest = rest.iter();
            while let Some(flag) = rest.next() {
                match flag.as_str() {
                    "--dry-run" => dry_run = true,
                    "--by" => by = Some(rest.next().ok_or(USAGE)?.clone()),
                    other => return Err(format!("unknown option {other}\n{USAGE}")),
                }
            }
            let read = |path: &str| {
                std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))
            };
            let stored = store::StoredEmailTemplate {
                key: key.clone(),
                title: read(title_file)?.trim_end().to_owned(),
                body: read(body_file)?,
            };
            match validate(&stored, &settings) {
                Err(error) => {
                    println!("{key}: INVALID: {error}");
                    Ok(ExitCode::FAILURE)
                }
                Ok(rendered) => {
                    println!(
                        "{key}: ok — subject with example data: {}",
                        rendered.subject
                    );
                    if dry_run {
                        println!("dry run: not stored");
                    } else {
                        store::put_email_template(&client, &stored, by.as_deref())
                            .await
                            .map_err(|e| chain(&e))?;
                        println!("{key}: stored");
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        _ => Err(USAGE.to_owned()),
    }
}

/// An error with its causes: `database error: relation … does not exist`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn action(key: &str) -> Result<StatusMail, String> {
    StatusMail::ALL
        .into_iter()
        .find(|a| a.template_key() == key)
        .ok_or_else(|| {
            let keys: Vec<_> = StatusMail::ALL.iter().map(|a| a.template_key()).collect();
            format!("unknown status-mail key {key}; one of: {}", keys.join(", "))
        })
}
