//! The JUnit XML report of `ram-policy test`, in the common dialect Jenkins, GitLab and GitHub
//! actions read.

use std::fmt::Write as _;

use super::render::push_escape;
use super::suite::SuiteResult;

/// The report: one `testsuite` per suite file, one `testcase` per case, a `failure` with the
/// report's text for each case that failed.
pub(super) fn report(results: &[SuiteResult], seconds: f64) -> String {
    let tests: usize = results.iter().map(|s| s.cases.len()).sum();
    let failures: usize = results
        .iter()
        .map(|s| s.cases.iter().filter(|c| c.failure.is_some()).count())
        .sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"ram-policy\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">"
    );
    for suite in results {
        let f = suite.cases.iter().filter(|c| c.failure.is_some()).count();
        let t: f64 = suite.cases.iter().map(|c| c.seconds).sum();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" time=\"{t:.3}\">",
            attribute(&suite.path),
            suite.cases.len()
        );
        for case in &suite.cases {
            let _ = write!(
                x,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6}\"",
                attribute(&case.name),
                attribute(&suite.path),
                case.seconds
            );
            match &case.failure {
                None => x.push_str("/>\n"),
                Some(message) => {
                    let first = message.lines().next().unwrap_or_default();
                    let _ = writeln!(
                        x,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        attribute(first),
                        content(message)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Text for an attribute value: a parser turns a literal line break or tab there into a space,
/// so they are character references.
fn attribute(text: &str) -> String {
    escape(text, true)
}

/// Text for an element's content, where line breaks stay as they are (except `\r`, which a
/// parser would drop before `\n`).
fn content(text: &str) -> String {
    escape(text, false)
}

/// Escapes the five characters XML gives a meaning, and shows the characters XML 1.0 cannot hold
/// at all (C0 controls other than tab, line feed and carriage return; U+FFFE; U+FFFF) as visible
/// escapes such as `\u{1b}`, as the text output does: the report stays well-formed and loses
/// nothing.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' if attribute => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{attribute, content};

    #[test]
    fn specials_and_characters_xml_cannot_hold() {
        assert_eq!(attribute("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(attribute("x\ny\tz\r"), "x&#10;y&#9;z&#13;");
        assert_eq!(content("x\ny\r\n"), "x\ny&#13;\n");
        assert_eq!(
            content("\u{1b}[31m\u{0}\u{fffe}\u{ffff}\u{85}"),
            "\\u{1b}[31m\\u{0}\\u{fffe}\\u{ffff}\u{85}"
        );
    }
}
