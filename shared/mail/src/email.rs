//! The mail pipeline of spec 11-email §11.2: subject, Markdown source, an
//! HTML part made from the escaped source, and a plain-text part.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

use crate::template::{Context, Escape, RenderError, Template, html_escape};

/// A rendered mail: what the mailer sends as one multipart message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// The subject on one line (line breaks become spaces), not escaped.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part: a complete document in Dutch.
    pub html: String,
}

/// Renders a stored e-mail template (its `title` and `body`) with `ctx`:
///
/// 1. subject: `title` rendered without escaping, put on one line;
/// 2. Markdown source: `body` rendered without escaping;
/// 3. HTML: the source HTML-escaped — so HTML in the template or in the
///    data is shown, never interpreted — then converted from CommonMark (no
///    extensions) and wrapped in a minimal `<html lang="nl">` document whose
///    `<title>` is the subject, HTML-escaped; links and images with a
///    scheme other than http, https, mailto or tel keep only their text;
/// 4. text: the source (not escaped) converted and flattened: headings and
///    paragraphs end with a blank line, hard breaks become newlines, links
///    become "text URL", images their alt text, list items "- item" lines
///    (nested lists indented by two spaces).
pub fn render_email(
    title: &Template,
    body: &Template,
    ctx: &Context,
) -> Result<RenderedEmail, RenderError> {
    let subject = one_line(&title.render(ctx, Escape::Off)?);
    let html_title = html_escape(&subject);
    let source = body.render(ctx, Escape::Off)?;
    let html = format!(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{html_title}</title></head><body>{}</body></html>",
        markdown_html(&html_escape(&source))
    );
    Ok(RenderedEmail {
        subject,
        text: markdown_text(&source),
        html,
    })
}

fn one_line(s: &str) -> String {
    s.replace("\r\n", " ")
        .replace(['\r', '\n'], " ")
        .trim()
        .to_owned()
}

fn allowed_url(url: &str) -> bool {
    let scheme_end = url.find(':');
    let before_path = url.find(['/', '?', '#']).unwrap_or(url.len());
    match scheme_end {
        Some(i) if i < before_path => {
            let scheme = &url[..i];
            let looks_like_scheme = scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            !looks_like_scheme
                || ["http", "https", "mailto", "tel"]
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(scheme))
        }
        _ => true,
    }
}

/// CommonMark → HTML, with links and images whose scheme is not allowed
/// reduced to their text.
pub(crate) fn markdown_html(source: &str) -> String {
    let mut dropped_link = false;
    let mut dropped_image = false;
    let events = Parser::new_ext(source, Options::empty()).filter_map(|event| match event {
        Event::Start(Tag::Link { ref dest_url, .. }) if !allowed_url(dest_url) => {
            dropped_link = true;
            None
        }
        Event::End(TagEnd::Link) if dropped_link => {
            dropped_link = false;
            None
        }
        Event::Start(Tag::Image { ref dest_url, .. }) if !allowed_url(dest_url) => {
            dropped_image = true;
            None
        }
        Event::End(TagEnd::Image) if dropped_image => {
            dropped_image = false;
            None
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Root,
    Block,
    List,
    Item,
    Paragraph,
    Heading,
    Break,
    Link(String),
    Image(String),
}

#[derive(Debug)]
enum Node {
    Text(String),
    Elem(Kind, Vec<Node>),
}

fn push_text(children: &mut Vec<Node>, text: &str) {
    if let Some(Node::Text(last)) = children.last_mut() {
        last.push_str(text);
    } else {
        children.push(Node::Text(text.to_owned()));
    }
}

fn plain(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(t) => t.clone(),
            Node::Elem(_, c) => plain(c),
        })
        .collect()
}

/// Builds the element tree the HTML would have, from pulldown-cmark events.
fn tree(source: &str) -> Node {
    let mut stack: Vec<(Kind, Vec<Node>)> = vec![(Kind::Root, Vec::new())];
    for event in Parser::new_ext(source, Options::empty()) {
        match event {
            Event::Start(tag) => {
                let kind = match tag {
                    Tag::Paragraph => Kind::Paragraph,
                    Tag::Heading { .. } => Kind::Heading,
                    Tag::List(_) => Kind::List,
                    Tag::Item => Kind::Item,
                    Tag::Link {
                        link_type,
                        dest_url,
                        ..
                    } => Kind::Link(if link_type == LinkType::Email {
                        format!("mailto:{dest_url}")
                    } else {
                        dest_url.to_string()
                    }),
                    Tag::Image { .. } => Kind::Image(String::new()),
                    _ => Kind::Block,
                };
                stack.push((kind, Vec::new()));
            }
            Event::End(_) if stack.len() > 1 => {
                if let Some((kind, children)) = stack.pop() {
                    let node = match kind {
                        Kind::Image(_) => Node::Elem(Kind::Image(plain(&children)), Vec::new()),
                        kind => Node::Elem(kind, children),
                    };
                    if let Some((_, parent)) = stack.last_mut() {
                        parent.push(node);
                    }
                }
            }
            Event::Text(t) => add_text(&mut stack, &t),
            Event::Code(t) => {
                if let Some((_, parent)) = stack.last_mut() {
                    parent.push(Node::Elem(Kind::Block, vec![Node::Text(t.to_string())]));
                }
            }
            Event::SoftBreak => add_text(&mut stack, "\n"),
            Event::HardBreak => {
                if let Some((_, parent)) = stack.last_mut() {
                    parent.push(Node::Elem(Kind::Break, Vec::new()));
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let stripped = crate::template::strip_tags_for_text(&t);
                if !stripped.is_empty() {
                    add_text(&mut stack, &stripped);
                }
            }
            Event::Rule => {
                if let Some((_, parent)) = stack.last_mut() {
                    parent.push(Node::Elem(Kind::Block, Vec::new()));
                }
            }
            _ => {}
        }
    }
    while stack.len() > 1 {
        if let Some((kind, children)) = stack.pop() {
            if let Some((_, parent)) = stack.last_mut() {
                parent.push(Node::Elem(kind, children));
            }
        }
    }
    let (kind, children) = stack.pop().unwrap_or((Kind::Root, Vec::new()));
    Node::Elem(kind, children)
}

fn add_text(stack: &mut [(Kind, Vec<Node>)], text: &str) {
    if let Some((_, parent)) = stack.last_mut() {
        push_text(parent, text);
    }
}

/// CommonMark → plain text, flattened by the reference's rules
/// (`markdown/plaintext.py`), applied to the element tree.
pub(crate) fn markdown_text(source: &str) -> String {
    let Node::Elem(_, children) = tree(source) else {
        return String::new();
    };
    let mut text = String::new();
    for child in &children {
        if let Node::Elem(kind, grandchildren) = child {
            if *kind == Kind::List {
                text.push_str(&flatten_list(grandchildren, 0));
            } else {
                text.push_str(&flatten_elem(kind, grandchildren));
            }
        }
    }
    text.trim().to_owned()
}

fn flatten_elem(kind: &Kind, children: &[Node]) -> String {
    let mut text = flatten_children(children);
    match kind {
        Kind::Paragraph | Kind::Heading => text.push_str("\n\n"),
        Kind::Break => text.push('\n'),
        Kind::Image(alt) => text.push_str(alt),
        Kind::Link(href) => {
            text.push(' ');
            text.push_str(href);
        }
        _ => {}
    }
    text
}

fn flatten_children(children: &[Node]) -> String {
    let mut text = String::new();
    let mut previous_was_break = false;
    for child in children {
        match child {
            Node::Text(t) if t != "\n" => {
                if previous_was_break {
                    text.push_str(t.trim_start());
                } else {
                    text.push_str(t);
                }
            }
            Node::Text(_) => {}
            Node::Elem(kind, grandchildren) => text.push_str(&flatten_elem(kind, grandchildren)),
        }
        previous_was_break = matches!(child, Node::Elem(Kind::Break, _));
    }
    text
}

fn flatten_list(items: &[Node], indent: usize) -> String {
    let mut text = String::new();
    let mut has_paragraph = false;
    for item in items {
        if let Node::Elem(_, children) = item {
            text.push_str(&" ".repeat(indent));
            text.push_str("- ");
            let (item_text, paragraph) = flatten_item(children, indent);
            text.push_str(&item_text);
            has_paragraph = paragraph;
        }
    }
    if indent == 0 && !has_paragraph {
        text.push('\n');
    }
    text
}

fn flatten_item(children: &[Node], indent: usize) -> (String, bool) {
    let mut text = String::new();
    let mut nested = false;
    let mut has_paragraph = false;
    for child in children {
        match child {
            Node::Elem(Kind::List, items) => {
                text.push('\n');
                text.push_str(&flatten_list(items, indent + 2));
                nested = true;
            }
            Node::Elem(kind, grandchildren) => {
                if *kind == Kind::Paragraph {
                    has_paragraph = true;
                }
                text.push_str(&flatten_elem(kind, grandchildren));
            }
            Node::Text(t) if t != "\n" => text.push_str(t),
            Node::Text(_) => {}
        }
    }
    if !nested && !has_paragraph {
        text.push('\n');
    }
    (text, has_paragraph)
}

#[cfg(test)]
mod tests;
