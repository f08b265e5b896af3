//! Lexing and parsing: Django's `Lexer`, `Parser`, `FilterExpression`,
//! `Variable` and the `{% if %}` operator-precedence parser.

use super::TemplateError;
use super::filters::{self, Arity, FilterId};
use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Text,
    Var,
    Block,
    Comment,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    contents: String,
    line: usize,
}

/// Splits source into tokens the way Django's lexer does: a tag never spans
/// a line, `{% verbatim %}` turns everything up to its end tag into text.
fn tokenize(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut verbatim: Option<String> = None;
    let mut text_start = 0;
    let mut i = 0;
    let bytes = source.as_bytes();
    let push_text = |tokens: &mut Vec<Token>, text: &str, line: &mut usize| {
        if !text.is_empty() {
            tokens.push(Token {
                kind: TokenKind::Text,
                contents: text.to_owned(),
                line: *line,
            });
            *line += text.matches('\n').count();
        }
    };
    while i + 1 < bytes.len() {
        let close = match (bytes[i], bytes[i + 1]) {
            (b'{', b'%') => "%}",
            (b'{', b'{') => "}}",
            (b'{', b'#') => "#}",
            _ => {
                i += 1;
                continue;
            }
        };
        let rest = &source[i + 2..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let Some(end) = rest[..line_end].find(close) else {
            i += 1;
            continue;
        };
        let token_string = &source[i..i + 2 + end + 2];
        push_text(&mut tokens, &source[text_start..i], &mut line);
        let inner = token_string[2..token_string.len() - 2].trim();
        let kind = match close {
            "%}" => {
                if let Some(end_tag) = &verbatim {
                    if inner == end_tag {
                        verbatim = None;
                        Some(TokenKind::Block)
                    } else {
                        None
                    }
                } else {
                    if inner == "verbatim" || inner.starts_with("verbatim ") {
                        verbatim = Some(format!("end{inner}"));
                    }
                    Some(TokenKind::Block)
                }
            }
            _ if verbatim.is_some() => None,
            "}}" => Some(TokenKind::Var),
            _ => Some(TokenKind::Comment),
        };
        match kind {
            Some(kind) => tokens.push(Token {
                kind,
                contents: inner.to_owned(),
                line,
            }),
            None => push_text(&mut tokens, token_string, &mut line),
        }
        i += token_string.len();
        text_start = i;
    }
    push_text(&mut tokens, &source[text_start..], &mut line);
    tokens
}

/// A value expression with its filters: `address.postcode|default:"-"`.
#[derive(Debug, Clone)]
pub(crate) struct FilterExpr {
    pub(crate) base: Operand,
    pub(crate) filters: Vec<FilterCall>,
    /// The expression as written, for error messages.
    pub(crate) source: String,
    pub(crate) line: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// A literal: strings from the template are safe, like in Django.
    Literal(Value),
    /// A dotted lookup: `address.postcode`, `items.0`.
    Lookup(Vec<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct FilterCall {
    pub(crate) id: FilterId,
    pub(crate) arg: Option<Operand>,
    pub(crate) arg_source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Operand(FilterExpr),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Cmp(CmpOp, Box<Cond>, Box<Cond>),
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Var(FilterExpr),
    If(Vec<(Option<Cond>, Vec<Node>)>),
    For {
        vars: Vec<String>,
        seq: FilterExpr,
        reversed: bool,
        body: Vec<Node>,
        empty: Vec<Node>,
    },
    With(Vec<(String, FilterExpr)>, Vec<Node>),
    FirstOf(Vec<FilterExpr>, Option<String>),
    Autoescape(bool, Vec<Node>),
    Spaceless(Vec<Node>),
    Now(String, Option<String>),
    Filter(FilterExpr, Vec<Node>),
}

pub(crate) fn parse(source: &str) -> Result<Vec<Node>, TemplateError> {
    let mut parser = Parser {
        tokens: tokenize(source),
        pos: 0,
    };
    let (nodes, end) = parser.parse_until(&[])?;
    debug_assert!(end.is_none());
    Ok(nodes)
}

fn err(line: usize, message: impl Into<String>) -> TemplateError {
    TemplateError {
        line,
        message: message.into(),
    }
}

/// A block tag that ended a `parse_until`.
struct EndTag {
    command: String,
    contents: String,
    line: usize,
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

impl Parser {
    fn parse_until(
        &mut self,
        until: &[&str],
    ) -> Result<(Vec<Node>, Option<EndTag>), TemplateError> {
        let mut nodes = Vec::new();
        while self.pos < self.tokens.len() {
            let token = self.tokens[self.pos].clone();
            self.pos += 1;
            match token.kind {
                TokenKind::Text => nodes.push(Node::Text(token.contents)),
                TokenKind::Comment => {}
                TokenKind::Var => {
                    if token.contents.is_empty() {
                        return Err(err(token.line, "Empty variable tag"));
                    }
                    nodes.push(Node::Var(compile_filter(&token.contents, token.line)?));
                }
                TokenKind::Block => {
                    let Some(command) = token.contents.split_whitespace().next() else {
                        return Err(err(token.line, "Empty block tag"));
                    };
                    if until.contains(&command) {
                        return Ok((
                            nodes,
                            Some(EndTag {
                                command: command.to_owned(),
                                contents: token.contents.clone(),
                                line: token.line,
                            }),
                        ));
                    }
                    if let Some(node) = self.block(command, &token, until)? {
                        nodes.push(node);
                    }
                }
            }
        }
        Ok((nodes, None))
    }

    /// Parses until one of `until`, failing on the end of the template as
    /// Django's "Unclosed tag" does.
    fn parse_block(
        &mut self,
        open: &Token,
        command: &str,
        until: &[&str],
    ) -> Result<(Vec<Node>, EndTag), TemplateError> {
        match self.parse_until(until)? {
            (nodes, Some(end)) => Ok((nodes, end)),
            (_, None) => Err(err(
                open.line,
                format!(
                    "Unclosed tag '{command}'. Looking for one of: {}.",
                    until.join(", ")
                ),
            )),
        }
    }

    fn block(
        &mut self,
        command: &str,
        token: &Token,
        until: &[&str],
    ) -> Result<Option<Node>, TemplateError> {
        let line = token.line;
        let node = match command {
            "if" => self.if_tag(token)?,
            "for" => self.for_tag(token)?,
            "with" => {
                let bits = split_contents(&token.contents);
                let assignments = with_assignments(&bits[1..], line)?;
                let (body, _) = self.parse_block(token, command, &["endwith"])?;
                Node::With(assignments, body)
            }
            "firstof" => {
                let mut bits = split_contents(&token.contents);
                bits.remove(0);
                let mut as_var = None;
                if bits.len() >= 2 && bits[bits.len() - 2] == "as" {
                    as_var = bits.pop();
                    bits.pop();
                }
                if bits.is_empty() {
                    return Err(err(
                        line,
                        "'firstof' statement requires at least one argument",
                    ));
                }
                let exprs = bits
                    .iter()
                    .map(|b| compile_filter(b, line))
                    .collect::<Result<_, _>>()?;
                Node::FirstOf(exprs, as_var)
            }
            "autoescape" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if args.len() != 2 {
                    return Err(err(line, "'autoescape' tag requires exactly one argument."));
                }
                let on = match args[1] {
                    "on" => true,
                    "off" => false,
                    _ => return Err(err(line, "'autoescape' argument should be 'on' or 'off'")),
                };
                let (body, _) = self.parse_block(token, command, &["endautoescape"])?;
                Node::Autoescape(on, body)
            }
            "spaceless" => {
                let (body, _) = self.parse_block(token, command, &["endspaceless"])?;
                Node::Spaceless(body)
            }
            "verbatim" => {
                let (body, _) = self.parse_block(token, command, &["endverbatim"])?;
                let text: String = body
                    .into_iter()
                    .map(|n| match n {
                        Node::Text(t) => t,
                        _ => String::new(),
                    })
                    .collect();
                Node::Text(text)
            }
            "comment" => {
                while self.pos < self.tokens.len() {
                    let t = &self.tokens[self.pos];
                    self.pos += 1;
                    if t.kind == TokenKind::Block && t.contents == "endcomment" {
                        return Ok(None);
                    }
                }
                return Err(err(
                    line,
                    "Unclosed tag 'comment'. Looking for one of: endcomment.",
                ));
            }
            "load" => return Ok(None),
            "now" => {
                let mut bits = split_contents(&token.contents);
                let mut as_var = None;
                if bits.len() == 4 && bits[2] == "as" {
                    as_var = bits.pop();
                    bits.pop();
                }
                if bits.len() != 2 {
                    return Err(err(line, "'now' statement takes one argument"));
                }
                let chars: Vec<char> = bits[1].chars().collect();
                let format: String = if chars.len() >= 2 {
                    chars[1..chars.len() - 1].iter().collect()
                } else {
                    String::new()
                };
                Node::Now(format, as_var)
            }
            "filter" => {
                let rest = token.contents["filter".len()..].trim();
                let expr = compile_filter(&format!("var|{rest}"), line)?;
                for f in &expr.filters {
                    if matches!(f.id, FilterId::Escape | FilterId::Safe) {
                        return Err(err(
                            line,
                            format!(
                                "\"filter {}\" is not permitted.  Use the \"autoescape\" tag instead.",
                                f.id.name()
                            ),
                        ));
                    }
                }
                let (body, _) = self.parse_block(token, command, &["endfilter"])?;
                Node::Filter(expr, body)
            }
            "templatetag" => {
                let bits: Vec<&str> = token.contents.split_whitespace().collect();
                let text = match bits.get(1..) {
                    Some(["openblock"]) => "{%",
                    Some(["closeblock"]) => "%}",
                    Some(["openvariable"]) => "{{",
                    Some(["closevariable"]) => "}}",
                    Some(["openbrace"]) => "{",
                    Some(["closebrace"]) => "}",
                    Some(["opencomment"]) => "{#",
                    Some(["closecomment"]) => "#}",
                    _ => {
                        return Err(err(
                            line,
                            "'templatetag' needs one of openblock, closeblock, openvariable, closevariable, openbrace, closebrace, opencomment, closecomment",
                        ));
                    }
                };
                Node::Text(text.to_owned())
            }
            _ => {
                let message = if until.is_empty() {
                    format!(
                        "Invalid block tag: '{command}'. Did you forget to register or load this tag?"
                    )
                } else {
                    format!(
                        "Invalid block tag: '{command}', expected {}. Did you forget to register or load this tag?",
                        quoted_list(until)
                    )
                };
                return Err(err(line, message));
            }
        };
        Ok(Some(node))
    }

    fn if_tag(&mut self, token: &Token) -> Result<Node, TemplateError> {
        let until = ["elif", "else", "endif"];
        let bits = split_contents(&token.contents);
        let mut branches = Vec::new();
        let mut cond = Some(parse_condition(&bits[1..], token.line)?);
        let mut opener = token.clone();
        loop {
            let (body, end) = self.parse_block(&opener, "if", &until)?;
            branches.push((cond.take(), body));
            match end.command.as_str() {
                "elif" if branches.last().is_some_and(|(c, _)| c.is_some()) => {
                    let bits = split_contents(&end.contents);
                    cond = Some(parse_condition(&bits[1..], end.line)?);
                    opener.line = end.line;
                }
                "else"
                    if end.contents == "else"
                        && branches.last().is_some_and(|(c, _)| c.is_some()) =>
                {
                    let (body, end) = self.parse_block(&opener, "if", &["endif"])?;
                    branches.push((None, body));
                    return finish_if(branches, &end);
                }
                _ => return finish_if(branches, &end),
            }
        }
    }

    fn for_tag(&mut self, token: &Token) -> Result<Node, TemplateError> {
        let line = token.line;
        let bits = split_contents(&token.contents);
        if bits.len() < 4 {
            return Err(err(
                line,
                format!(
                    "'for' statements should have at least four words: {}",
                    token.contents
                ),
            ));
        }
        let reversed = bits[bits.len() - 1] == "reversed";
        let in_index = if reversed {
            bits.len() - 3
        } else {
            bits.len() - 2
        };
        if bits[in_index] != "in" {
            return Err(err(
                line,
                format!(
                    "'for' statements should use the format 'for x in y': {}",
                    token.contents
                ),
            ));
        }
        let joined = bits[1..in_index].join(" ");
        let vars: Vec<String> = joined
            .split(',')
            .map(|v| v.trim_matches(' ').to_owned())
            .collect();
        for v in &vars {
            if v.is_empty() || v.contains([' ', '"', '\'', '|']) {
                return Err(err(
                    line,
                    format!("'for' tag received an invalid argument: {}", token.contents),
                ));
            }
        }
        let seq = compile_filter(&bits[in_index + 1], line)?;
        let (body, end) = self.parse_block(token, "for", &["empty", "endfor"])?;
        let empty = if end.command == "empty" {
            self.parse_block(token, "for", &["endfor"])?.0
        } else {
            Vec::new()
        };
        Ok(Node::For {
            vars,
            seq,
            reversed,
            body,
            empty,
        })
    }
}

fn finish_if(
    branches: Vec<(Option<Cond>, Vec<Node>)>,
    end: &EndTag,
) -> Result<Node, TemplateError> {
    if end.contents != "endif" {
        return Err(err(
            end.line,
            format!("Malformed template tag: \"{}\"", end.contents),
        ));
    }
    Ok(Node::If(branches))
}

fn with_assignments(
    bits: &[String],
    line: usize,
) -> Result<Vec<(String, FilterExpr)>, TemplateError> {
    let mut out = Vec::new();
    if bits.len() == 3 && bits[1] == "as" && !bits[0].contains('=') {
        out.push((bits[2].clone(), compile_filter(&bits[0], line)?));
        return Ok(out);
    }
    for bit in bits {
        let Some((name, expr)) = bit.split_once('=') else {
            return Err(err(
                line,
                format!("'with' received an invalid token: '{bit}'"),
            ));
        };
        if name.is_empty() || !name.chars().all(is_word_char) || expr.is_empty() {
            return Err(err(
                line,
                format!("'with' received an invalid token: '{bit}'"),
            ));
        }
        out.push((name.to_owned(), compile_filter(expr, line)?));
    }
    if out.is_empty() {
        return Err(err(
            line,
            "'with' expected at least one variable assignment",
        ));
    }
    Ok(out)
}

/// Django's `smart_split`: whitespace-separated, quoted parts kept whole.
fn split_contents(contents: &str) -> Vec<String> {
    let chars: Vec<char> = contents.chars().collect();
    let mut bits = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            if chars[i] == '"' || chars[i] == '\'' {
                let q = chars[i];
                let mut j = i + 1;
                while j < chars.len() && chars[j] != q {
                    if chars[j] == '\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if j < chars.len() {
                    i = j + 1;
                    continue;
                }
            }
            i += 1;
        }
        bits.push(chars[start..i].iter().collect());
    }
    bits
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Parses one `{% if %}` condition with Django's precedences:
/// `or` < `and` < `not` < `in`, `not in` < `is`, comparisons.
fn parse_condition(bits: &[String], line: usize) -> Result<Cond, TemplateError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bits.len() {
        let b = bits[i].as_str();
        let next = bits.get(i + 1).map(String::as_str);
        let tok = match (b, next) {
            ("is", Some("not")) => {
                i += 1;
                CondToken::Op("is not")
            }
            ("not", Some("in")) => {
                i += 1;
                CondToken::Op("not in")
            }
            ("or" | "and" | "not" | "in" | "is" | "==" | "!=" | ">" | ">=" | "<" | "<=", _) => {
                CondToken::Op(match b {
                    "or" => "or",
                    "and" => "and",
                    "not" => "not",
                    "in" => "in",
                    "is" => "is",
                    "==" => "==",
                    "!=" => "!=",
                    ">" => ">",
                    ">=" => ">=",
                    "<" => "<",
                    _ => "<=",
                })
            }
            _ => CondToken::Operand(compile_filter(b, line)?),
        };
        tokens.push(tok);
        i += 1;
    }
    let mut p = CondParser {
        tokens,
        pos: 0,
        line,
    };
    let cond = p.expression(0)?;
    if let Some(tok) = p.tokens.get(p.pos) {
        return Err(err(
            line,
            format!("Unused '{}' at end of if expression.", tok.display()),
        ));
    }
    Ok(cond)
}

enum CondToken {
    Op(&'static str),
    Operand(FilterExpr),
}

impl CondToken {
    fn display(&self) -> String {
        match self {
            CondToken::Op(op) => (*op).to_owned(),
            CondToken::Operand(e) => e.source.clone(),
        }
    }

    fn lbp(&self) -> u8 {
        match self {
            CondToken::Op("or") => 6,
            CondToken::Op("and") => 7,
            CondToken::Op("not") => 8,
            CondToken::Op("in" | "not in") => 9,
            CondToken::Op(_) => 10,
            CondToken::Operand(_) => 0,
        }
    }
}

struct CondParser {
    tokens: Vec<CondToken>,
    pos: usize,
    line: usize,
}

impl CondParser {
    fn expression(&mut self, rbp: u8) -> Result<Cond, TemplateError> {
        let Some(tok) = self.tokens.get(self.pos) else {
            return Err(err(self.line, "Unexpected end of expression in if tag."));
        };
        self.pos += 1;
        let mut left = match tok {
            CondToken::Operand(e) => Cond::Operand(e.clone()),
            CondToken::Op("not") => Cond::Not(Box::new(self.expression(8)?)),
            CondToken::Op(op) => {
                return Err(err(
                    self.line,
                    format!("Not expecting '{op}' in this position in if tag."),
                ));
            }
        };
        while let Some(tok) = self.tokens.get(self.pos) {
            if rbp >= tok.lbp() {
                break;
            }
            let op = match tok {
                CondToken::Op(op) => *op,
                CondToken::Operand(e) => {
                    return Err(err(
                        self.line,
                        format!("Not expecting '{}' as infix operator in if tag.", e.source),
                    ));
                }
            };
            if op == "not" {
                return Err(err(
                    self.line,
                    "Not expecting 'not' as infix operator in if tag.",
                ));
            }
            let bp = tok.lbp();
            self.pos += 1;
            let right = Box::new(self.expression(bp)?);
            let l = Box::new(left);
            left = match op {
                "or" => Cond::Or(l, right),
                "and" => Cond::And(l, right),
                _ => Cond::Cmp(
                    match op {
                        "==" => CmpOp::Eq,
                        "!=" => CmpOp::Ne,
                        "<" => CmpOp::Lt,
                        ">" => CmpOp::Gt,
                        "<=" => CmpOp::Le,
                        ">=" => CmpOp::Ge,
                        "in" => CmpOp::In,
                        "not in" => CmpOp::NotIn,
                        "is" => CmpOp::Is,
                        _ => CmpOp::IsNot,
                    },
                    l,
                    right,
                ),
            };
        }
        Ok(left)
    }
}

/// Django's `FilterExpression`: a constant or variable, then `|filter` or
/// `|filter:arg` with optional spaces around the `|`.
pub(crate) fn compile_filter(token: &str, line: usize) -> Result<FilterExpr, TemplateError> {
    let chars: Vec<char> = token.chars().collect();
    let mut pos = 0;
    let Some((base, end)) = operand_at(&chars, 0, line)? else {
        return Err(err(
            line,
            format!("Could not find variable at start of {token}."),
        ));
    };
    pos = pos.max(end);
    let mut filters = Vec::new();
    loop {
        let mut p = pos;
        while p < chars.len() && chars[p].is_whitespace() {
            p += 1;
        }
        if p >= chars.len() || chars[p] != '|' {
            break;
        }
        p += 1;
        while p < chars.len() && chars[p].is_whitespace() {
            p += 1;
        }
        let name_start = p;
        while p < chars.len() && is_word_char(chars[p]) {
            p += 1;
        }
        if p == name_start {
            break;
        }
        let name: String = chars[name_start..p].iter().collect();
        let mut arg = None;
        let mut arg_source = String::new();
        if p < chars.len() && chars[p] == ':' {
            if let Some((operand, end)) = operand_at(&chars, p + 1, line)? {
                arg_source = chars[p + 1..end].iter().collect();
                arg = Some(operand);
                p = end;
            }
        }
        let Some(id) = FilterId::from_name(&name) else {
            return Err(err(line, format!("Invalid filter: '{name}'")));
        };
        match (id.arity(), &arg) {
            (Arity::None, Some(_)) => {
                return Err(err(
                    line,
                    format!("{name} requires 1 arguments, 2 provided"),
                ));
            }
            (Arity::Required, None) => {
                return Err(err(
                    line,
                    format!("{name} requires 2 arguments, 1 provided"),
                ));
            }
            _ => {}
        }
        filters.push(FilterCall {
            id,
            arg,
            arg_source,
        });
        pos = p;
    }
    if pos != chars.len() {
        let rest: String = chars[pos..].iter().collect();
        return Err(err(
            line,
            format!("Could not parse the remainder: '{rest}' from '{token}'"),
        ));
    }
    Ok(FilterExpr {
        base,
        filters,
        source: token.to_owned(),
        line,
    })
}

/// A constant string (`"…"`, `'…'`, `_("…")`), a number or a variable at
/// `start`, with the index after it.
fn operand_at(
    chars: &[char],
    start: usize,
    line: usize,
) -> Result<Option<(Operand, usize)>, TemplateError> {
    let (translated, qstart) = if chars[start..].starts_with(&['_', '(']) {
        (true, start + 2)
    } else {
        (false, start)
    };
    if let Some(&q) = chars.get(qstart) {
        if q == '"' || q == '\'' {
            let mut j = qstart + 1;
            while j < chars.len() && chars[j] != q {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            if j < chars.len() {
                let mut end = j + 1;
                if translated {
                    if chars.get(end) != Some(&')') {
                        return Ok(None);
                    }
                    end += 1;
                }
                let inner: String = chars[qstart + 1..j].iter().collect();
                let text = inner
                    .replace(&format!("\\{q}"), &q.to_string())
                    .replace("\\\\", "\\");
                return Ok(Some((Operand::Literal(Value::Str(text)), end)));
            }
        }
    }
    if translated {
        return Ok(None);
    }
    let mut end = start;
    while end < chars.len() && (is_word_char(chars[end]) || chars[end] == '.') {
        end += 1;
    }
    if end == start {
        let mut p = start;
        if p < chars.len() && matches!(chars[p], '-' | '+' | '.') {
            p += 1;
        }
        if p < chars.len() && chars[p].is_ascii_digit() {
            while p < chars.len()
                && (chars[p].is_ascii_digit() || chars[p] == '.' || chars[p] == 'e')
            {
                p += 1;
            }
            end = p;
        }
    }
    if end == start {
        return Ok(None);
    }
    let text: String = chars[start..end].iter().collect();
    Ok(Some((variable(&text, line)?, end)))
}

/// Django's `Variable`: a number literal, else a dotted lookup.
fn variable(text: &str, line: usize) -> Result<Operand, TemplateError> {
    if text.parse::<f64>().is_ok() && !text.ends_with('.') {
        let lower = text.to_ascii_lowercase();
        if text.contains('.') || lower.contains('e') {
            if let Ok(f) = text.parse::<f64>() {
                return Ok(Operand::Literal(Value::Float(f)));
            }
        } else if let Ok(i) = text.parse::<i64>() {
            return Ok(Operand::Literal(Value::Int(i)));
        }
    }
    if text.starts_with('_') || text.contains("._") {
        return Err(err(
            line,
            format!("Variables and attributes may not begin with underscores: '{text}'"),
        ));
    }
    Ok(Operand::Lookup(
        text.split('.').map(str::to_owned).collect(),
    ))
}

impl FilterId {
    pub(crate) fn arity(self) -> Arity {
        filters::arity(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_do_not_span_lines() {
        let tokens = tokenize("a {{ b\n}} c {{ d }}");
        let kinds: Vec<TokenKind> = tokens.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TokenKind::Text, TokenKind::Var]);
        assert_eq!(tokens[0].contents, "a {{ b\n}} c ");
        assert_eq!(tokens[1].line, 2);
    }

    #[test]
    fn verbatim_content_is_text() {
        let tokens = tokenize("{% verbatim %}{{ a }}{% if %}{% endverbatim %}");
        let kinds: Vec<TokenKind> = tokens.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                TokenKind::Block,
                TokenKind::Text,
                TokenKind::Text,
                TokenKind::Block
            ]
        );
    }

    #[test]
    fn split_contents_keeps_quoted_parts() {
        assert_eq!(
            split_contents(r#"if a == "x y" and b|default:'c d'"#),
            ["if", "a", "==", "\"x y\"", "and", "b|default:'c d'"]
        );
    }

    #[test]
    fn filter_expressions_parse_like_django() {
        let e = compile_filter(r#"created_at | date:"j F Y"|upper"#, 1).expect("compiles");
        assert_eq!(e.filters.len(), 2);
        assert!(matches!(e.base, Operand::Lookup(ref l) if l == &["created_at"]));
        let e = compile_filter(r#""a \"b\"""#, 1).expect("compiles");
        assert!(matches!(e.base, Operand::Literal(Value::Str(ref s)) if s == "a \"b\""));
        assert!(matches!(
            compile_filter("1.5", 1).expect("compiles").base,
            Operand::Literal(Value::Float(f)) if f == 1.5
        ));
        assert!(matches!(
            compile_filter("-3", 1).expect("compiles").base,
            Operand::Literal(Value::Int(-3))
        ));
        assert!(compile_filter("a|date :\"x\"", 1).is_err());
        assert!(compile_filter("_private", 1).is_err());
        assert!(compile_filter("a.b c", 1).is_err());
    }
}
