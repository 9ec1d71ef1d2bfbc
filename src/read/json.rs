//! A small JSON reader that keeps source positions.
//!
//! We write this ourselves rather than use `serde_json` because RAM documents need three things
//! serde does not give: the byte span of every key and value (errors, lints and explanations point
//! at the exact text), rejection of duplicate keys at every depth (serde keeps the last one
//! silently, and in a `Condition` block that drops a constraint), and hard limits on nesting
//! that are reported as errors instead of stack overflows. The grammar is RFC 8259 exactly.

use std::borrow::Cow;

use crate::read::diagnostic::Span;

/// Deepest nesting of arrays and objects accepted in a document.
pub const MAX_DEPTH: usize = 64;

/// `.as_str()` for the document's borrowed-or-owned strings, as for `String`.
pub trait CowStr {
    /// The text.
    fn as_str(&self) -> &str;
}

impl CowStr for Cow<'_, str> {
    fn as_str(&self) -> &str {
        self
    }
}

/// A JSON value with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// The value.
    pub value: Value<'a>,
    /// Where its text is.
    pub span: Span,
}

/// An object key with the span of its text (the quotes included).
#[derive(Debug, Clone, PartialEq)]
pub struct Key<'a> {
    /// Borrowed from the document unless it holds escapes.
    pub text: Cow<'a, str>,
    /// Where its text is.
    pub span: Span,
}

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number's text, exactly as written (already checked against the JSON grammar).
    Number(Cow<'a, str>),
    /// Borrowed from the document unless it holds escapes.
    String(Cow<'a, str>),
    /// An array's values in order.
    Array(Vec<Node<'a>>),
    /// Entries in document order; a duplicate key is reported and its entry dropped.
    Object(Vec<(Key<'a>, Node<'a>)>),
}

impl Value<'_> {
    /// The JSON type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl Node<'_> {
    /// The text of a string, number or boolean (`true` → `"true"`), as condition and context
    /// values read them; `None` for null, arrays and objects.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

#[cfg(feature = "cli")]
/// Reads a request context: an object of condition keys, each a string, number or boolean or an
/// array of them. The pairs come in document order, one per value; an error names the node.
pub fn context_pairs(node: &Node) -> Result<Vec<(String, String)>, (Span, String)> {
    let Value::Object(entries) = &node.value else {
        return Err((
            node.span,
            format!(
                "a context is an object of condition keys, not {}",
                node.value.type_name()
            ),
        ));
    };
    let mut pairs = Vec::new();
    for (key, value) in entries {
        let items = match &value.value {
            Value::Array(items) => items.as_slice(),
            _ => std::slice::from_ref(value),
        };
        for item in items {
            match item.scalar_text() {
                Some(text) => pairs.push((key.text.to_string(), text)),
                None => {
                    return Err((
                        item.span,
                        format!(
                            "a value of `{}` must be a string, number or boolean (or an array of them), not {}",
                            key.text,
                            item.value.type_name()
                        ),
                    ))
                }
            }
        }
    }
    Ok(pairs)
}

/// A JSON problem found while reading: a message, where, and perhaps a help text.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonProblem {
    /// Where it is.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// How to fix it, where we can tell.
    pub help: Option<String>,
    /// `RAM001` for syntax (and the reader's limits), `RAM002` for a duplicate key.
    pub code: crate::read::diagnostic::Code,
}

/// The result of reading: the value (absent on a syntax error, which stops the reader) and every
/// problem found. Duplicate keys do not stop the reader, so they are all reported.
pub struct Parsed<'a> {
    /// The document's value, unless a syntax error stopped the reader.
    pub root: Option<Node<'a>>,
    /// Every problem, in document order.
    pub problems: Vec<JsonProblem>,
}

/// Reads one JSON document from `text`.
pub fn parse(text: &str) -> Parsed<'_> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        problems: Vec::new(),
    };
    let root = match p.document() {
        Ok(node) => Some(node),
        Err(mut problem) => {
            problem.message = format!("invalid JSON: {}", problem.message);
            p.problems.push(problem);
            None
        }
    };
    // Duplicate keys are found when an object's entry is complete, so those of a nested object
    // come before those of its parent: report them in document order.
    let mut problems = p.problems;
    problems.sort_by_key(|p| p.span.start);
    Parsed { root, problems }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    problems: Vec<JsonProblem>,
}

type Step<T> = Result<T, JsonProblem>;

fn problem(start: usize, end: usize, message: impl Into<String>) -> JsonProblem {
    JsonProblem {
        span: Span::new(start, end),
        message: message.into(),
        help: None,
        code: crate::read::diagnostic::Code::JsonSyntax,
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The span of the character at the current position (for "unexpected character" errors).
    fn here(&self) -> (usize, usize) {
        let len = self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        (self.pos, self.pos + len)
    }

    fn unexpected(&self, expected: &str) -> JsonProblem {
        let (start, end) = self.here();
        match self.text.get(start..end) {
            None | Some("") => problem(start, start, format!("unexpected end of document, expected {expected}")),
            Some(found) => problem(
                start,
                end,
                format!(
                    "unexpected `{}`, expected {expected}",
                    crate::read::diagnostic::visible(found)
                ),
            ),
        }
    }

    fn document(&mut self) -> Step<Node<'a>> {
        self.skip_ws();
        let node = self.value()?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            let mut p = self.unexpected("the end of the document");
            p.help = Some("a policy document is a single JSON object".into());
            return Err(p);
        }
        Ok(node)
    }

    fn value(&mut self) -> Step<Node<'a>> {
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            _ => {
                let mut p = self.unexpected("a JSON value");
                let word = self.word_at(start);
                if !word.is_empty() {
                    p = problem(start, start + word.len(), format!("`{word}` is not a JSON value"));
                    p.help = Some("strings are written in double quotes: \"…\"".into());
                }
                return Err(p);
            }
        };
        Ok(Node {
            value,
            span: Span::new(start, self.pos),
        })
    }

    /// A bare word (letters, digits, `_`, `.`, `+`, `-`) starting at `start`, for better messages.
    fn word_at(&self, start: usize) -> &str {
        let rest = self.text.get(start..).unwrap_or("");
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')))
            .unwrap_or(rest.len());
        rest.get(..end).unwrap_or("")
    }

    fn nested(&mut self, inner: fn(&mut Self) -> Step<Value<'a>>) -> Step<Value<'a>> {
        if self.depth >= MAX_DEPTH {
            let mut p = problem(
                self.pos,
                self.pos + 1,
                format!("JSON nesting is deeper than {MAX_DEPTH} levels"),
            );
            p.help =
                Some("a policy document needs at most 5 levels; this looks like a broken or hostile document".into());
            return Err(p);
        }
        self.depth += 1;
        let value = inner(self);
        self.depth -= 1;
        value
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Step<Value<'a>> {
        let start = self.pos;
        if self.text.get(start..).is_some_and(|rest| rest.starts_with(word)) {
            self.pos += word.len();
            // `truex` is not `true` followed by garbage we report later: report the whole word.
            if !matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric()) {
                return Ok(value);
            }
        }
        let found = self.word_at(start);
        let mut p = problem(
            start,
            start + found.len().max(1),
            format!("`{found}` is not a JSON value"),
        );
        p.help = Some(format!("did you mean `{word}`, or a string in double quotes?"));
        Err(p)
    }

    fn object(&mut self) -> Step<Value<'a>> {
        let open = self.pos;
        self.pos += 1; // `{`
        let mut entries: Vec<(Key<'a>, Node<'a>)> = Vec::new();
        // Small objects are the rule; a set only pays off for hostile documents with many keys.
        let mut seen: Option<std::collections::HashSet<String>> = None;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                let mut p = self.unexpected("a key in double quotes");
                if self.peek() == Some(b'}') && !entries.is_empty() {
                    p.message = "trailing comma before `}`".into();
                    p.help = Some("JSON allows no comma after the last entry of an object".into());
                }
                return Err(p);
            }
            let key_start = self.pos;
            let text = self.string()?;
            let key = Key {
                text,
                span: Span::new(key_start, self.pos),
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("`:` after the key"));
            }
            self.pos += 1;
            self.skip_ws();
            let node = self.value()?;
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.text.to_string()),
                None => {
                    let dup = entries.iter().any(|(k, _)| k.text == key.text);
                    if entries.len() >= 16 {
                        seen = Some(
                            entries
                                .iter()
                                .map(|(k, _)| k.text.to_string())
                                .chain([key.text.to_string()])
                                .collect(),
                        );
                    }
                    dup
                }
            };
            if duplicate {
                self.problems.push(JsonProblem {
                    span: key.span,
                    message: format!("duplicate key `{}`", crate::read::diagnostic::visible(&key.text)),
                    help: Some("JSON readers disagree on which of two equal keys wins; write each key once".into()),
                    code: crate::read::diagnostic::Code::DuplicateKeys,
                });
            } else {
                entries.push((key, node));
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(entries));
                }
                None => {
                    let mut p = self.unexpected("`,` or `}`");
                    p.help = Some(format!("the object opened at byte {open} is never closed"));
                    return Err(p);
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }

    fn array(&mut self) -> Step<Value<'a>> {
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') && !items.is_empty() {
                let mut p = problem(self.pos, self.pos + 1, "trailing comma before `]`");
                p.help = Some("JSON allows no comma after the last element of an array".into());
                return Err(p);
            }
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn number(&mut self) -> Step<Cow<'a, str>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.bad_number(start)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.bad_number(start));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.bad_number(start));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'.') {
            return Err(self.bad_number(start));
        }
        Ok(Cow::Borrowed(self.text.get(start..self.pos).unwrap_or_default()))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn bad_number(&self, start: usize) -> JsonProblem {
        let word = self.word_at(start);
        let mut p = problem(
            start,
            start + word.len().max(1),
            format!("`{word}` is not a valid JSON number"),
        );
        p.help =
            Some("JSON numbers have no leading zeros, `+`, `NaN` or `Infinity`; quote the value as a string".into());
        p
    }

    /// A string: borrowed from the document when it has no escapes (the common case).
    fn string(&mut self) -> Step<Cow<'a, str>> {
        let open = self.pos;
        self.pos += 1; // opening quote
        let mut out: Option<String> = None;
        loop {
            // Take the run of plain characters in one go.
            let run_start = self.pos;
            // Jump to the next quote or backslash, then make sure the run skipped holds no
            // control character (which JSON forbids inside strings).
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
            let run = rest.get(..end).unwrap_or_default();
            self.pos += run.iter().position(|&b| b < 0x20).unwrap_or(end);
            let run = self.text.get(run_start..self.pos).unwrap_or_default();
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(match out {
                        None => Cow::Borrowed(run),
                        Some(mut owned) => {
                            owned.push_str(run);
                            Cow::Owned(owned)
                        }
                    });
                }
                Some(b'\\') => {
                    let owned = out.get_or_insert_with(String::new);
                    owned.push_str(run);
                    self.escape(owned)?;
                }
                Some(b'\n') | None => {
                    let mut p = problem(open, self.pos, "unterminated string");
                    p.help = Some("close the string with `\"` on the same line".into());
                    return Err(p);
                }
                Some(b) => {
                    let mut p = problem(
                        self.pos,
                        self.pos + 1,
                        format!("control character U+{b:04X} inside a string"),
                    );
                    p.help = Some("write it as an escape such as `\\t` or `\\u0009`".into());
                    return Err(p);
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Step<()> {
        let start = self.pos;
        self.pos += 1; // backslash
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let high = self.hex4(start)?;
                let c = if (0xD800..0xDC00).contains(&high) {
                    if self.text.get(self.pos..).is_some_and(|r| r.starts_with("\\u")) {
                        self.pos += 2;
                        let low = self.hex4(start)?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(problem(
                                start,
                                self.pos,
                                "invalid UTF-16 surrogate pair in `\\u` escape",
                            ));
                        }
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        None
                    }
                } else {
                    char::from_u32(high)
                };
                match c {
                    Some(c) => {
                        out.push(c);
                        return Ok(());
                    }
                    None => return Err(problem(start, self.pos, "lone UTF-16 surrogate in `\\u` escape")),
                }
            }
            _ => {
                let (_, end) = self.here();
                let mut p = problem(start, end, "invalid escape in string");
                p.help = Some("JSON escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX".into());
                return Err(p);
            }
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self, start: usize) -> Step<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(problem(
                start,
                self.pos,
                "`\\u` must be followed by four hexadecimal digits",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Node<'_> {
        let parsed = parse(text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        parsed.root.unwrap()
    }

    #[test]
    fn reads_values_with_spans() {
        let node = ok(r#" {"a": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude00"]} "#);
        assert_eq!(node.span, Span::new(1, 54));
        let Value::Object(entries) = node.value else { panic!() };
        assert_eq!(entries[0].0.text, "a");
        assert_eq!(entries[0].0.span, Span::new(2, 5));
        let Value::Array(items) = &entries[0].1.value else {
            panic!()
        };
        assert_eq!(items[1].value, Value::Number("-2.5e3".into()));
        assert_eq!(items[4].value, Value::String("xé😀".into()));
    }

    #[test]
    fn duplicate_keys_are_reported_and_first_kept() {
        let parsed = parse(r#"{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}"#);
        let messages: Vec<_> = parsed.problems.iter().map(|p| p.message.clone()).collect();
        assert_eq!(messages, ["duplicate key `c`", "duplicate key `a`"]);
        assert_eq!(parsed.problems[1].span, Span::new(32, 35));
        let Value::Object(entries) = parsed.root.unwrap().value else {
            panic!()
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].1.value, Value::Number("1".into()));
    }

    #[test]
    fn duplicates_in_large_objects_are_found() {
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{i}\": {i},"));
        }
        text.push_str("\"k5\": 0}");
        assert_eq!(parse(&text).problems.len(), 1);
    }

    #[test]
    fn syntax_errors_stop_with_a_position() {
        for (text, at, needle) in [
            ("{\"a\": 1,}", 8, "trailing comma"),
            ("[1, 2,]", 6, "trailing comma"),
            ("{\"a\": tru}", 6, "not a JSON value"),
            ("{\"a\": NaN}", 6, "not a JSON value"),
            ("{\"a\": 01}", 6, "not a valid JSON number"),
            ("{\"a\": \"x", 6, "unterminated string"),
            ("{\"a\" 1}", 5, "expected `:`"),
            ("{} x", 3, "expected the end"),
            ("", 0, "unexpected end"),
            ("\"\\q\"", 1, "invalid escape"),
            ("\"\\ud800\"", 1, "lone UTF-16 surrogate"),
        ] {
            let parsed = parse(text);
            assert!(parsed.root.is_none(), "{text}");
            let p = &parsed.problems[0];
            assert_eq!(p.span.start, at, "{text}: {p:?}");
            assert!(p.message.contains(needle), "{text}: {p:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deep).root.is_some());
        let too_deep = "[".repeat(100_000);
        let parsed = parse(&too_deep);
        assert!(parsed.root.is_none());
        assert!(parsed.problems[0].message.contains("deeper than 64"));
    }
}
