//! A Django-template-language engine, compatible with the e-mail templates
//! municipalities maintain in the reference's Django admin.
//!
//! [`Template::compile`] refuses what Django refuses when it loads a template
//! (syntax errors, unknown tags and filters, wrong filter arguments, unclosed
//! blocks), with the line number; [`Template::render`] then follows Django's
//! rendering rules: undefined variables render empty, `None` renders
//! `None`, dates and numbers are localised for `nl-NL` in Europe/Amsterdam,
//! and with [`Escape::Html`] output is auto-escaped unless marked safe.
//! docs/mail.md lists what is supported and where it differs from Django.

mod address;
mod dateformat;
mod filters;
mod parse;
mod render;
mod value;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

pub use value::Value;

pub(crate) use filters::strip_tags as strip_tags_for_text;
pub(crate) use render::html_escape;

/// Whether variable output is HTML-escaped while rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// No escaping: Django's `Context(autoescape=False)`. Used for the
    /// subject and the Markdown source of a mail.
    Off,
    /// Django's default auto-escaping of `& < > " '`; `safe` and string
    /// literals in the template are not escaped.
    Html,
}

/// A template that compiled: render it as often as needed.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<parse::Node>,
}

/// Why a template does not compile. `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template syntax error on line {line}: {message}")]
pub struct TemplateError {
    /// The line of the offending tag.
    pub line: usize,
    /// What is wrong, in Django's words where it has them.
    pub message: String,
}

/// Why rendering a compiled template failed (Django raises these at render
/// time too). `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A filter argument names a variable that is not in the context.
    #[error("line {line}: filter argument '{name}' is not defined")]
    UndefinedArgument {
        /// The line of the tag.
        line: usize,
        /// The variable as written in the template.
        name: String,
    },
    /// `{% for %}` over something that cannot be iterated (a number, a date).
    #[error("line {line}: '{name}' cannot be iterated over")]
    NotIterable {
        /// The line of the tag.
        line: usize,
        /// The expression as written in the template.
        name: String,
    },
    /// `{% for a, b in … %}` over items that do not have as many values.
    #[error("line {line}: need {expected} values to unpack in for loop; got {got}")]
    Unpack {
        /// The line of the tag.
        line: usize,
        /// The number of loop variables.
        expected: usize,
        /// The length of the item.
        got: usize,
    },
}

/// The variables a template renders with, plus the moment `{% now %}` shows.
#[derive(Debug, Clone)]
pub struct Context {
    vars: HashMap<String, Value>,
    now: DateTime<Utc>,
}

impl Context {
    /// An empty context; `now` is what `{% now %}` renders (pass the clock
    /// in, so rendering is deterministic).
    pub fn new(now: DateTime<Utc>) -> Self {
        Context {
            vars: HashMap::new(),
            now,
        }
    }

    /// Sets a variable, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// Sets a variable only when it is not set yet: the reference's rule that
    /// an action's extra context cannot override the common variables.
    pub fn insert_if_absent(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Value>,
    ) -> &mut Self {
        self.vars.entry(key.into()).or_insert_with(|| value.into());
        self
    }

    /// The value of a variable, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.vars.get(key)
    }

    /// The moment `{% now %}` renders.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }
}

impl Template {
    /// Compiles template source, refusing it with the line number where
    /// Django would raise `TemplateSyntaxError`.
    pub fn compile(source: &str) -> Result<Template, TemplateError> {
        Ok(Template {
            nodes: parse::parse(source)?,
        })
    }

    /// Renders with `ctx`, escaping variable output when `escape` is
    /// [`Escape::Html`].
    pub fn render(&self, ctx: &Context, escape: Escape) -> Result<String, RenderError> {
        render::render(&self.nodes, ctx, escape == Escape::Html)
    }
}

#[cfg(test)]
mod tests;
