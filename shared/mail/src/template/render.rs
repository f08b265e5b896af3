//! Rendering compiled nodes: variable resolution, Django's
//! `render_value_in_context` (localisation, auto-escaping) and the tags.

use std::collections::HashMap;

use super::dateformat;
use super::filters;
use super::parse::{CmpOp, Cond, FilterExpr, Node, Operand};
use super::value::{Value, py_cmp, py_eq};
use super::{Context, RenderError};

/// A value on its way through filters, with Django's "safe string" mark.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub(crate) value: Value,
    pub(crate) safe: bool,
}

impl Piece {
    pub(crate) fn unsafe_(value: Value) -> Self {
        Piece { value, safe: false }
    }

    pub(crate) fn safe(value: Value) -> Self {
        Piece { value, safe: true }
    }
}

/// Django's `escape()`: `& < > " '`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A float as Django's `number_format` shows it in `nl`: the shortest
/// round-trip digits, fixed notation, decimal comma.
pub(crate) fn localize_float(f: f64) -> String {
    let repr = super::value::float_repr(f);
    let fixed = if repr.contains('e') {
        format!("{f}")
    } else {
        repr
    };
    fixed.replace('.', ",")
}

/// Django's `localize()` + `str()`: what `{{ value }}` prints before
/// escaping.
pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::Float(f) => localize_float(*f),
        Value::DateTime(dt) => {
            dateformat::format_date(*dt, dateformat::named_format("DATETIME_FORMAT"))
        }
        other => other.py_str(),
    }
}

struct State<'a> {
    ctx: &'a Context,
    scopes: Vec<HashMap<String, Value>>,
    autoescape: bool,
}

pub(crate) fn render(
    nodes: &[Node],
    ctx: &Context,
    autoescape: bool,
) -> Result<String, RenderError> {
    let mut state = State {
        ctx,
        scopes: vec![HashMap::new()],
        autoescape,
    };
    let mut out = String::new();
    state.render_nodes(nodes, &mut out)?;
    Ok(out)
}

impl State<'_> {
    fn lookup_name(&self, name: &str) -> Option<Value> {
        for scope in self.scopes.iter().rev() {
            if let Some(v) = scope.get(name) {
                return Some(v.clone());
            }
        }
        if let Some(v) = self.ctx.vars.get(name) {
            return Some(v.clone());
        }
        match name {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            _ => None,
        }
    }

    fn lookup(&self, bits: &[String]) -> Option<Value> {
        let (first, rest) = bits.split_first()?;
        let mut current = self.lookup_name(first)?;
        for bit in rest {
            current = attribute(&current, bit)?;
        }
        Some(current)
    }

    fn operand(&self, op: &Operand) -> Option<Piece> {
        match op {
            Operand::Literal(v) => Some(Piece::safe(v.clone())),
            Operand::Lookup(bits) => self.lookup(bits).map(Piece::unsafe_),
        }
    }

    /// Django's `FilterExpression.resolve`: an undefined variable becomes
    /// `""` (or `None` when `ignore_failures`), then the filters run.
    fn resolve(&self, expr: &FilterExpr, ignore_failures: bool) -> Result<Piece, RenderError> {
        let mut piece = match self.operand(&expr.base) {
            Some(p) => p,
            None if ignore_failures => Piece::unsafe_(Value::Null),
            None => Piece::unsafe_(Value::Str(String::new())),
        };
        for call in &expr.filters {
            let arg = match &call.arg {
                None => None,
                Some(op) => {
                    Some(
                        self.operand(op)
                            .ok_or_else(|| RenderError::UndefinedArgument {
                                line: expr.line,
                                name: call.arg_source.clone(),
                            })?,
                    )
                }
            };
            piece = filters::apply(call.id, piece, arg, self.autoescape);
        }
        Ok(piece)
    }

    fn output(&self, piece: &Piece) -> String {
        let text = display(&piece.value);
        if self.autoescape && !piece.safe {
            html_escape(&text)
        } else {
            text
        }
    }

    fn set(&mut self, name: &str, value: Value) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_owned(), value);
        }
    }

    fn render_nodes(&mut self, nodes: &[Node], out: &mut String) -> Result<(), RenderError> {
        for node in nodes {
            self.render_node(node, out)?;
        }
        Ok(())
    }

    fn render_node(&mut self, node: &Node, out: &mut String) -> Result<(), RenderError> {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var(expr) => {
                let piece = self.resolve(expr, false)?;
                out.push_str(&self.output(&piece));
            }
            Node::If(branches) => {
                for (cond, body) in branches {
                    let matched = match cond {
                        None => true,
                        Some(c) => self.eval(c).is_truthy(),
                    };
                    if matched {
                        return self.render_nodes(body, out);
                    }
                }
            }
            Node::For {
                vars,
                seq,
                reversed,
                body,
                empty,
            } => self.render_for(vars, seq, *reversed, body, empty, out)?,
            Node::With(assignments, body) => {
                let mut scope = HashMap::new();
                for (name, expr) in assignments {
                    scope.insert(name.clone(), self.resolve(expr, false)?.value);
                }
                self.scopes.push(scope);
                let result = self.render_nodes(body, out);
                self.scopes.pop();
                result?;
            }
            Node::FirstOf(exprs, as_var) => {
                let first = exprs
                    .iter()
                    .map(|expr| {
                        self.resolve(expr, true)
                            .unwrap_or(Piece::unsafe_(Value::Null))
                    })
                    .find(|piece| piece.value.is_truthy());
                match (as_var, first) {
                    (Some(name), Some(piece)) => self.set(name, piece.value),
                    (Some(name), None) => self.set(name, Value::Str(String::new())),
                    (None, Some(piece)) => out.push_str(&self.output(&piece)),
                    (None, None) => {}
                }
            }
            Node::Autoescape(on, body) => {
                let before = self.autoescape;
                self.autoescape = *on;
                let result = self.render_nodes(body, out);
                self.autoescape = before;
                result?;
            }
            Node::Spaceless(body) => {
                let mut inner = String::new();
                self.render_nodes(body, &mut inner)?;
                out.push_str(&strip_spaces_between_tags(inner.trim()));
            }
            Node::Now(format, as_var) => {
                let text = dateformat::format_date(self.ctx.now, dateformat::named_format(format));
                match as_var {
                    Some(name) => self.set(name, Value::Str(text)),
                    None => out.push_str(&text),
                }
            }
            Node::Filter(expr, body) => {
                let mut inner = String::new();
                self.render_nodes(body, &mut inner)?;
                let mut piece = Piece::safe(Value::Str(inner));
                for call in &expr.filters {
                    let arg = match &call.arg {
                        None => None,
                        Some(op) => Some(self.operand(op).ok_or_else(|| {
                            RenderError::UndefinedArgument {
                                line: expr.line,
                                name: call.arg_source.clone(),
                            }
                        })?),
                    };
                    piece = filters::apply(call.id, piece, arg, self.autoescape);
                }
                out.push_str(&piece.value.py_str());
            }
        }
        Ok(())
    }

    fn render_for(
        &mut self,
        vars: &[String],
        seq: &FilterExpr,
        reversed: bool,
        body: &[Node],
        empty: &[Node],
        out: &mut String,
    ) -> Result<(), RenderError> {
        let values = self
            .resolve(seq, true)
            .map(|p| p.value)
            .unwrap_or(Value::Null);
        let mut items = match values {
            Value::Null => Vec::new(),
            other => other.py_iter().ok_or_else(|| RenderError::NotIterable {
                line: seq.line,
                name: seq.source.clone(),
            })?,
        };
        if items.is_empty() {
            return self.render_nodes(empty, out);
        }
        if reversed {
            items.reverse();
        }
        let parent = self
            .lookup_name("forloop")
            .unwrap_or(Value::Map(Vec::new()));
        let len = items.len() as i64;
        self.scopes.push(HashMap::new());
        let mut result = Ok(());
        for (i, item) in items.into_iter().enumerate() {
            let i = i as i64;
            let forloop = Value::map([
                ("counter0", Value::Int(i)),
                ("counter", Value::Int(i + 1)),
                ("revcounter", Value::Int(len - i)),
                ("revcounter0", Value::Int(len - i - 1)),
                ("first", Value::Bool(i == 0)),
                ("last", Value::Bool(i == len - 1)),
                ("parentloop", parent.clone()),
            ]);
            self.set("forloop", forloop);
            if vars.len() == 1 {
                self.set(&vars[0], item);
            } else {
                let parts = item.py_iter().unwrap_or_else(|| vec![item.clone()]);
                if parts.len() != vars.len() {
                    result = Err(RenderError::Unpack {
                        line: seq.line,
                        expected: vars.len(),
                        got: parts.len(),
                    });
                    break;
                }
                for (name, part) in vars.iter().zip(parts) {
                    self.set(name, part);
                }
            }
            if let Err(e) = self.render_nodes(body, out) {
                result = Err(e);
                break;
            }
        }
        self.scopes.pop();
        result
    }

    /// Evaluates a condition; a failing operand is `None`, a failing
    /// comparison `False`, as in Django's smartif.
    fn eval(&self, cond: &Cond) -> Value {
        match cond {
            Cond::Operand(expr) => self
                .resolve(expr, true)
                .map(|p| p.value)
                .unwrap_or(Value::Null),
            Cond::Not(c) => Value::Bool(!self.eval(c).is_truthy()),
            Cond::Or(a, b) => {
                let x = self.eval(a);
                if x.is_truthy() { x } else { self.eval(b) }
            }
            Cond::And(a, b) => {
                let x = self.eval(a);
                if x.is_truthy() { self.eval(b) } else { x }
            }
            Cond::Cmp(op, a, b) => {
                let x = self.eval(a);
                let y = self.eval(b);
                Value::Bool(compare(*op, &x, &y))
            }
        }
    }
}

fn compare(op: CmpOp, x: &Value, y: &Value) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        CmpOp::Eq => py_eq(x, y),
        CmpOp::Ne => !py_eq(x, y),
        CmpOp::Lt => py_cmp(x, y) == Some(Less),
        CmpOp::Gt => py_cmp(x, y) == Some(Greater),
        CmpOp::Le => matches!(py_cmp(x, y), Some(Less | Equal)),
        CmpOp::Ge => matches!(py_cmp(x, y), Some(Greater | Equal)),
        CmpOp::In => contains(y, x).unwrap_or(false),
        CmpOp::NotIn => contains(y, x).is_some_and(|found| !found),
        CmpOp::Is => identical(x, y),
        CmpOp::IsNot => !identical(x, y),
    }
}

/// Python `needle in haystack`; `None` where Python raises `TypeError`.
fn contains(haystack: &Value, needle: &Value) -> Option<bool> {
    match (haystack, needle) {
        (Value::Str(h), Value::Str(n)) => Some(h.contains(n.as_str())),
        (Value::Str(_), _) => None,
        (Value::List(items), n) => Some(items.iter().any(|i| py_eq(i, n))),
        (Value::Map(_), Value::Str(k)) => Some(haystack.map_get(k).is_some()),
        (Value::Map(_), Value::List(_) | Value::Map(_)) => None,
        (Value::Map(_), _) => Some(false),
        _ => None,
    }
}

/// Python `is` for the singletons templates compare with (`None`, `True`,
/// `False`); other values are never identical.
fn identical(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

/// One step of Django's `Variable._resolve_lookup`: a key, else an
/// attribute the templates use, else a list index.
fn attribute(current: &Value, bit: &str) -> Option<Value> {
    match current {
        Value::Map(entries) => {
            if let Some(v) = current.map_get(bit) {
                return Some(v.clone());
            }
            match bit {
                "items" => Some(Value::List(
                    entries
                        .iter()
                        .map(|(k, v)| Value::List(vec![Value::Str(k.clone()), v.clone()]))
                        .collect(),
                )),
                "keys" => Some(Value::List(
                    entries.iter().map(|(k, _)| Value::Str(k.clone())).collect(),
                )),
                "values" => Some(Value::List(
                    entries.iter().map(|(_, v)| v.clone()).collect(),
                )),
                _ => None,
            }
        }
        Value::List(items) => index(bit).and_then(|i| items.get(i).cloned()),
        Value::Str(s) => match bit {
            "upper" => Some(Value::Str(s.to_uppercase())),
            "lower" => Some(Value::Str(s.to_lowercase())),
            "strip" => Some(Value::Str(s.trim().to_owned())),
            _ => index(bit).and_then(|i| s.chars().nth(i).map(|c| Value::Str(c.to_string()))),
        },
        Value::DateTime(dt) => {
            use chrono::{Datelike, Timelike};
            let n = match bit {
                "year" => i64::from(dt.year()),
                "month" => i64::from(dt.month()),
                "day" => i64::from(dt.day()),
                "hour" => i64::from(dt.hour()),
                "minute" => i64::from(dt.minute()),
                "second" => i64::from(dt.second()),
                "microsecond" => i64::from(dt.timestamp_subsec_micros()),
                "weekday" => i64::from(dt.weekday().num_days_from_monday()),
                "isoweekday" => i64::from(dt.weekday().number_from_monday()),
                _ => return None,
            };
            Some(Value::Int(n))
        }
        _ => None,
    }
}

fn index(bit: &str) -> Option<usize> {
    if bit.is_empty() || !bit.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    bit.parse().ok()
}

/// Django's `strip_spaces_between_tags`: `>\s+<` becomes `><`.
fn strip_spaces_between_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        out.push(chars[i]);
        if chars[i] == '>' {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j > i + 1 && j < chars.len() && chars[j] == '<' {
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}
