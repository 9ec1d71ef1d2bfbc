//! Errors of reading policies and building requests, with the source positions they point at.

use std::fmt;
use std::sync::Arc;

/// A byte range in a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A place in a document: byte span and 1-based line and column (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Location {
    /// Where the text is.
    pub span: Span,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// Turns byte offsets of one text into lines and columns.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
    /// Whether each line is pure ASCII, so that its columns are byte offsets. Without this a
    /// minified document (one long line) would cost a character count per located node.
    ascii: Vec<bool>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        let mut ascii = Vec::with_capacity(text.len() / 32 + 1);
        let mut start = 0;
        for line in text.as_bytes().split(|&b| b == b'\n') {
            starts.push(start);
            ascii.push(line.is_ascii());
            start += line.len() + 1;
        }
        LineIndex { text, starts, ascii }
    }

    /// The text indexed.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The line and column (1-based, in characters) of a span's start.
    pub fn locate(&self, span: Span) -> Location {
        let line = self.starts.partition_point(|&s| s <= span.start).max(1);
        let line_start = self.starts.get(line - 1).copied().unwrap_or(0);
        let offset = span.start.min(self.text.len());
        let column = if self.ascii.get(line - 1).copied().unwrap_or(false) {
            offset.saturating_sub(line_start)
        } else {
            self.text
                .get(line_start..offset)
                .map_or(0, |prefix| prefix.chars().count())
        };
        Location {
            span,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }
}

/// How the readers of documents (policies, account files, test suites) collect mistakes: each
/// implements the two accessors and shares the rest.
pub trait Report {
    /// The line index of the document being read.
    fn line_index(&self) -> &LineIndex<'_>;

    /// Where mistakes are collected.
    fn errors_mut(&mut self) -> &mut Vec<Diagnostic>;

    /// An error with a code (policy documents) or without (account files, test suites).
    fn push(&mut self, code: Option<Code>, span: Span, message: String, help: Option<String>) {
        let location = self.line_index().locate(span);
        self.errors_mut().push(Diagnostic {
            code,
            severity: Severity::Error,
            location,
            message,
            help,
        });
    }

    /// An error of a policy document, with its code.
    fn diag(&mut self, code: Code, span: Span, message: String, help: Option<String>) {
        self.push(Some(code), span, message, help);
    }

    /// An error without a code, with a help text.
    fn error_help(&mut self, span: Span, message: String, help: Option<String>) {
        self.push(None, span, message, help);
    }

    /// An error without a code.
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.error_help(span, message.into(), None);
    }

    /// A value of the wrong JSON type.
    fn wrong_type(&mut self, node: &crate::read::json::Node, what: &str, expected: &str) {
        self.error(
            node.span,
            format!("{what} must be {expected}, not {}", node.value.type_name()),
        );
    }

    /// A value of the wrong JSON type in a policy document, with its code.
    fn wrong_type_as(&mut self, code: Code, node: &crate::read::json::Node, what: &str, expected: &str) {
        self.diag(
            code,
            node.span,
            format!("{what} must be {expected}, not {}", node.value.type_name()),
            None,
        );
    }
}

/// The stable code of a diagnostic (LINT.md): RAM001–RAM019 are what the reader rejects, and
/// lint findings, so `check` and `lint` never disagree on whether a document is malformed.
/// Codes are never reused or renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum Code {
    /// RAM001 Json syntax error.
    JsonSyntax,
    /// RAM002 Duplicate keys.
    DuplicateKeys,
    /// RAM003 Invalid version.
    InvalidVersion,
    /// RAM004 Invalid policy element.
    InvalidElement,
    /// RAM005 Invalid effect.
    InvalidEffect,
    /// RAM006 Missing action.
    MissingAction,
    /// RAM007 Missing resource.
    MissingResource,
    /// RAM008 Invalid action format.
    InvalidActionFormat,
    /// RAM009 Invalid action.
    InvalidAction,
    /// RAM010 Invalid ARN prefix.
    InvalidArnPrefix,
    /// RAM011 Missing ARN field.
    MissingArnField,
    /// RAM012 Invalid condition operator.
    InvalidConditionOperator,
    /// RAM013 Data type mismatch.
    DataTypeMismatch,
    /// RAM014 Invalid condition multiple Boolean.
    InvalidConditionMultipleBoolean,
    /// RAM015 Invalid condition key format.
    InvalidConditionKeyFormat,
    /// RAM016 Operator does not fit the key.
    OperatorDoesNotFitKey,
    /// RAM017 Unsupported principal.
    UnsupportedPrincipal,
    /// RAM018 Policy size exceeds quota.
    PolicySizeExceedsQuota,
    /// RAM019 Empty value.
    EmptyValue,
}

impl Code {
    /// The code as written: `RAM001`.
    pub fn as_str(self) -> &'static str {
        self.table().0
    }

    /// The check's name, as Alibaba's console names it where it has the check.
    pub fn name(self) -> &'static str {
        self.table().1
    }

    fn table(self) -> (&'static str, &'static str) {
        match self {
            Code::JsonSyntax => ("RAM001", "Json syntax error"),
            Code::DuplicateKeys => ("RAM002", "Duplicate keys"),
            Code::InvalidVersion => ("RAM003", "Invalid version"),
            Code::InvalidElement => ("RAM004", "Invalid policy element"),
            Code::InvalidEffect => ("RAM005", "Invalid effect"),
            Code::MissingAction => ("RAM006", "Missing action"),
            Code::MissingResource => ("RAM007", "Missing resource"),
            Code::InvalidActionFormat => ("RAM008", "Invalid action format"),
            Code::InvalidAction => ("RAM009", "Invalid action"),
            Code::InvalidArnPrefix => ("RAM010", "Invalid ARN prefix"),
            Code::MissingArnField => ("RAM011", "Missing ARN field"),
            Code::InvalidConditionOperator => ("RAM012", "Invalid condition operator"),
            Code::DataTypeMismatch => ("RAM013", "Data type mismatch"),
            Code::InvalidConditionMultipleBoolean => ("RAM014", "Invalid condition multiple Boolean"),
            Code::InvalidConditionKeyFormat => ("RAM015", "Invalid condition key format"),
            Code::OperatorDoesNotFitKey => ("RAM016", "Operator does not fit the key"),
            Code::UnsupportedPrincipal => ("RAM017", "Unsupported principal"),
            Code::PolicySizeExceedsQuota => ("RAM018", "Policy size exceeds quota"),
            Code::EmptyValue => ("RAM019", "Empty value"),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a diagnostic is (LINT.md: Error, Security/General Warning, Suggestion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum Severity {
    /// The document is rejected, or a part of it can never work.
    Error,
    /// Valid, but dangerous or wrong.
    Warning,
    /// Tidier, clearer or safer.
    Info,
}

/// One finding about a document: what the reader rejects (always an [`Severity::Error`]) and,
/// later, what the linter reports. One type for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code; `None` for mistakes in files that are not policy documents (account
    /// files, test suites, context files).
    pub code: Option<Code>,
    /// How serious it is.
    pub severity: Severity,
    /// Where the mistake is.
    pub location: Location,
    /// What is wrong (lowercase, no final period, user input in backticks).
    pub message: String,
    /// How to fix it, where we can tell.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error of a policy document, with its code.
    pub(crate) fn error(code: Code, location: Location, message: String, help: Option<String>) -> Diagnostic {
        Diagnostic {
            code: Some(code),
            severity: Severity::Error,
            location,
            message,
            help,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.location.line, self.location.column, self.message)?;
        if let Some(code) = self.code {
            write!(f, " [{code}]")?;
        }
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// Every mistake found in one policy document, with its origin and text for rendering.
#[derive(Debug, Clone, thiserror::Error)]
pub struct PolicyErrors {
    /// The file name (or `<stdin>`, or `<builtin>`) the document came from.
    pub origin: Arc<str>,
    /// The document's text, for showing the lines the errors point at. Empty when the document
    /// was not valid UTF-8 or was too large to keep.
    pub text: Arc<str>,
    /// The mistakes, in document order.
    pub errors: Vec<Diagnostic>,
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{e}", self.origin)?;
        }
        Ok(())
    }
}

/// Escapes control characters so that an error message stays on one line and shows them.
pub fn visible(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = text.chars().take(MAX).flat_map(char::escape_debug).collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "ab\né€x\n\nz";
        let index = LineIndex::new(text);
        let at = |offset| {
            let l = index.locate(Span::new(offset, offset));
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(2), (1, 3));
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(8), (2, 3)); // after é (2 bytes) and € (3 bytes)
        assert_eq!(at(10), (3, 1));
        assert_eq!(at(11), (4, 1));
    }
}
