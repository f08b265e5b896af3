//! SES v2: e-mail to reporters.

use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("SES {operation} failed: {message}")]
    Sdk {
        operation: &'static str,
        message: String,
    },
    #[error("SES accepted the message but returned no message id")]
    NoMessageId,
}

fn sdk<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::Sdk {
        operation,
        message: DisplayErrorContext(&e).to_string(),
    }
}

/// One e-mail: a plain-text body and, optionally, an HTML alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Sends e-mail from one configured sender address.
#[derive(Debug, Clone)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl Mailer {
    pub fn new(sdk_config: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_sesv2::Client::new(sdk_config),
            from: from.into(),
        }
    }

    /// Registers the sender address as an identity (local stack and tests; in
    /// AWS the template declares the identity and DNS verifies it).
    pub async fn verify_sender(&self) -> Result<(), Error> {
        match self
            .client
            .create_email_identity()
            .email_identity(&self.from)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_already_exists_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk("CreateEmailIdentity")(e)),
        }
    }

    /// Sends the e-mail; returns SES's message id.
    pub async fn send(&self, email: &Email) -> Result<String, Error> {
        let utf8 = |data: &str| Content::builder().data(data).charset("UTF-8").build();
        let mut body = Body::builder().text(utf8(&email.text).map_err(sdk("build text"))?);
        if let Some(html) = &email.html {
            body = body.html(utf8(html).map_err(sdk("build html"))?);
        }
        let message = Message::builder()
            .subject(utf8(&email.subject).map_err(sdk("build subject"))?)
            .body(body.build())
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(sdk("SendEmail"))?;
        output
            .message_id()
            .map(str::to_owned)
            .ok_or(Error::NoMessageId)
    }
}
