//! E-mail rendering for Signalen (spec 11-email §11.2–§11.4), without I/O.
//!
//! - [`template`]: a Django-template-language engine, so the e-mail
//!   templates municipalities keep in the database render as they did in
//!   the reference.
//! - [`render_email`]: the mail pipeline — subject, Markdown source, an HTML
//!   part with everything from the template and the data escaped, and a
//!   plain-text part.
//! - [`sanitise`]: the anti-phishing clean-up of a signal's texts and
//!   address before they enter a mail context.
//! - [`mask_email`], [`mask_phone`]: the reporter's contact details as the
//!   "created" mail shows them.
//!
//! docs/mail.md describes the template language, the pipeline and where
//! this differs from Django.

#![warn(missing_docs)]

mod email;
mod mask;
mod sanitise;
pub mod template;

pub use email::{RenderedEmail, render_email};
pub use mask::{mask_email, mask_phone};
pub use sanitise::{Suspicious, sanitise};
pub use template::{Context, Escape, RenderError, Template, TemplateError, Value};
