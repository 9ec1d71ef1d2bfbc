//! Rendering policy errors for people: `file:line:col`, the source line with the mistake
//! underlined, and the help text.

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
            let title = format!(
                "{}:{}:{}: {}",
                doc.origin, e.location.line, e.location.column, e.message
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
