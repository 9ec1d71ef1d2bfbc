//! Rendering policy errors for people: `file:line:col`, the source line with the mistake
//! underlined, and the help text.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use annotate_snippets::{Level, Renderer, Snippet};

use crate::PolicyErrors;

/// Writes every error of every document, then a one-line summary.
pub fn policy_errors(err: &mut dyn Write, documents: &[PolicyErrors], color: bool) {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut total = 0;
    for doc in documents {
        for e in &doc.errors {
            total += 1;
            let code = e.code.map(|c| format!(" [{c}]")).unwrap_or_default();
            let title = format!(
                "{}:{}:{}: {}{code}",
                printable(&doc.origin),
                e.location.line,
                e.location.column,
                e.message
            );
            let text: &str = &doc.text;
            let mut message = Level::Error.title(&title);
            if !text.is_empty() {
                // Point at one character at least, and never past the end of the text.
                let start = e.location.span.start.min(text.len());
                let mut end = e.location.span.end.clamp(start, text.len());
                if end == start {
                    end = text
                        .get(start..)
                        .and_then(|r| r.chars().next())
                        .map_or(start, |c| start + c.len_utf8());
                }
                // Long spans (a whole statement) are shown by their first line only.
                if let Some(nl) = text.get(start..end).and_then(|s| s.find('\n')) {
                    end = start + nl;
                }
                message = message.snippet(
                    Snippet::source(text)
                        .origin(&doc.origin)
                        .fold(true)
                        .annotation(Level::Error.span(start..end)),
                );
            }
            if let Some(help) = &e.help {
                message = message.footer(Level::Help.title(help));
            }
            let _ = writeln!(err, "{}\n", renderer.render(message));
        }
    }
    let files = documents.len();
    let _ = writeln!(
        err,
        "error: {total} error{} in {files} document{}",
        if total == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    );
}

/// Writes a one-line error.
pub fn error(err: &mut dyn Write, message: &dyn std::fmt::Display) {
    let _ = writeln!(err, "error: {message}");
}

/// User text (a case name, a Sid, a policy or file name, a value from a request) as it may be
/// printed on a terminal: control characters, and the invisible ones that reorder or hide text,
/// are shown as escapes (`\n`, `\r`, `\t`, `\u{1b}`, `\u{202e}`), so that no name can move the
/// cursor, colour the screen or forge a line such as `test result: ok`. Everything else, quotes
/// and backslashes included, is printed as it is.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `c` as an escape: `\n`, `\r`, `\t` or `\u{hex}`.
pub fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// Control characters (C0, DEL, C1), bidirectional controls, zero-width characters, line and
/// paragraph separators, the byte-order mark and the noncharacters U+FFFE and U+FFFF.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{fffe}'
                | '\u{ffff}'
        )
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(printable("plain 'name' \\ é"), "plain 'name' \\ é");
        assert_eq!(
            printable("a\u{1b}[2Kb\r\ntest result: ok\t\u{202e}\u{85}\u{ffff}"),
            "a\\u{1b}[2Kb\\r\\ntest result: ok\\t\\u{202e}\\u{85}\\u{ffff}"
        );
    }
}
