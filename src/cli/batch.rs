//! `ram-policy check --requests`: many requests, one JSON object per line in and out, with the
//! policies loaded and compiled once (per principal) for the whole batch.

use std::io::{BufRead, BufReader, Read, Write};

use serde::Serialize;

use super::explain::{condition_errors_out, ConditionErrorOut};
use super::setup::Setup;
use super::{render, Exit};
use crate::read::diagnostic::{visible, LineIndex};
use crate::read::json::{self, CowStr, Value};
use crate::{Decision, Detail, Layer, StatementRef};

/// Longest request line accepted, in bytes, not counting its line ending (`\n` or `\r\n`).
const MAX_LINE: usize = 1024 * 1024;

#[derive(Serialize)]
struct Decided<'a> {
    line: usize,
    decision: Decision,
    layer: Layer,
    deciding: &'a [StatementRef],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ConditionErrorOut<'a>>,
}

#[derive(Serialize)]
struct Failed<'a> {
    line: usize,
    error: &'a str,
}

/// Lines per unit of work handed to a worker thread.
const CHUNK_LINES: usize = 2048;
/// Bytes of request text after which a chunk is handed over before it has [`CHUNK_LINES`]
/// lines, so that a chunk holds at most this much and one more line.
const CHUNK_BYTES: usize = 1 << 20;
/// Bytes read and not yet written out, across the whole batch: the text of the chunks queued
/// and being decided, and the output of those decided and waiting for an earlier chunk. This,
/// not the number of lines, is what bounds a batch's memory whatever its lines hold.
const IN_FLIGHT_BYTES: usize = 32 << 20;
/// What a line costs in a chunk besides its text (its entry in `Chunk::lines`, and so that a
/// chunk of empty lines still counts).
const LINE_COST: usize = 32;

/// One chunk of input lines and where it starts.
struct Chunk {
    index: usize,
    first_line: usize,
    /// The lines' text, one after another, without their line endings.
    text: Vec<u8>,
    lines: Vec<Line>,
}

impl Chunk {
    fn new(index: usize, first_line: usize) -> Chunk {
        Chunk {
            index,
            first_line,
            text: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// What the chunk counts for in the batch's [`Budget`].
    fn cost(&self) -> usize {
        self.text.len() + self.lines.len() * LINE_COST
    }
}

/// One input line of a chunk.
enum Line {
    /// Its text in the chunk's `text`.
    Text(std::ops::Range<usize>),
    /// Longer than [`MAX_LINE`]: reported, its text not kept.
    TooLong,
}

/// A chunk's output, with its counts.
struct Done {
    index: usize,
    output: Vec<u8>,
    lines: usize,
    bad: usize,
    denied: usize,
}

/// The bytes in flight ([`IN_FLIGHT_BYTES`]): the reader takes a chunk's cost before handing it
/// over and waits while the batch is full; a worker swaps it for its output's size; the writer
/// gives that back once written.
struct Budget {
    state: std::sync::Mutex<BudgetState>,
    changed: std::sync::Condvar,
}

struct BudgetState {
    used: usize,
    /// Nothing more will be written (the workers are gone): the reader must not wait.
    closed: bool,
}

impl Budget {
    fn new() -> Budget {
        Budget {
            state: std::sync::Mutex::new(BudgetState { used: 0, closed: false }),
            changed: std::sync::Condvar::new(),
        }
    }

    /// Waits until `bytes` more fit (anything fits when nothing is in flight, so a chunk of one
    /// longest line always goes); false once the batch is closed.
    fn take(&self, bytes: usize) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while !state.closed && state.used > 0 && state.used.saturating_add(bytes) > IN_FLIGHT_BYTES {
            state = match self.changed.wait(state) {
                Ok(state) => state,
                Err(_) => return false,
            };
        }
        state.used = state.used.saturating_add(bytes);
        !state.closed
    }

    /// Swaps `taken` bytes for `held` ones without waiting (a decided chunk's output replaces
    /// its text).
    fn exchange(&self, taken: usize, held: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.used = state.used.saturating_sub(taken).saturating_add(held);
        }
        self.changed.notify_all();
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
        }
        self.changed.notify_all();
    }
}

/// Runs a batch from a file or standard input (`-`). Chunks of lines are decided on every core;
/// the output keeps the input's order.
pub(crate) fn run(setup: &Setup, source: &str, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let input: Box<dyn Read + Send> = if source == "-" {
        Box::new(std::io::stdin())
    } else {
        // A batch may be large: no size limit, but a FIFO or device is refused like any other
        // input file (standard input is `-`).
        match crate::read::source::open_regular(std::path::Path::new(source)) {
            Ok((f, _)) => Box::new(f),
            Err(e) => {
                render::error(err, &format!("cannot read `{source}`: {e}"));
                return Exit::Error;
            }
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 16);
    // The evaluation time every request without `acs:CurrentTime` shares.
    let now = crate::Instant::now().to_rfc3339();
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<Chunk>(workers * 2);
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Done>(workers * 2);
    let budget = Budget::new();
    let mut read_error = None;
    let mut write_error = None;
    let (mut total, mut bad, mut denied) = (0usize, 0usize, 0usize);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            let budget = &budget;
            let now = now.as_str();
            scope.spawn(move || {
                // Should a worker panic, its chunk never comes back: the reader must not wait for
                // it (the panic then ends the batch when the scope joins).
                let _guard = CloseOnPanic(budget);
                loop {
                    let chunk = match work_rx.lock() {
                        Ok(rx) => match rx.recv() {
                            Ok(chunk) => chunk,
                            Err(_) => return,
                        },
                        Err(_) => return,
                    };
                    let cost = chunk.cost();
                    let done = decide_chunk(setup, chunk, now);
                    budget.exchange(cost, done.output.len());
                    if done_tx.send(done).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let budget = &budget;
        let reader = scope.spawn(move || read_chunks(input, &work_tx, budget));
        // Write chunks in input order as they complete.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0;
        for done in done_rx {
            pending.insert(done.index, done);
            while let Some(done) = pending.remove(&next) {
                total += done.lines;
                bad += done.bad;
                denied += done.denied;
                if write_error.is_none() {
                    if let Err(e) = out.write_all(&done.output) {
                        write_error = Some(e);
                    }
                }
                budget.exchange(done.output.len(), 0);
                next += 1;
            }
        }
        // The workers are gone (all done, or failed): a reader waiting for room must stop.
        budget.close();
        if let Err(e) = out.flush() {
            write_error.get_or_insert(e);
        }
        read_error = reader.join().ok().and_then(|r| r.err());
    });
    if let Some(e) = read_error {
        render::error(err, &format!("cannot read `{source}`: {e}"));
        return Exit::Error;
    }
    if let Some(e) = write_error {
        render::error(err, &format!("cannot write the output: {e}"));
        return Exit::Error;
    }
    if bad > 0 {
        render::error(err, &format!("{bad} of {total} request lines were bad"));
        Exit::Error
    } else if denied > 0 {
        Exit::Deny
    } else {
        Exit::Allow
    }
}

/// Closes the budget when a worker unwinds.
struct CloseOnPanic<'a>(&'a Budget);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

/// Reads lines into chunks and hands them to the workers, within the [`Budget`]. A line longer
/// than [`MAX_LINE`] is skipped without being held (it is reported as too long), so memory stays
/// bounded whatever the input.
fn read_chunks(
    input: Box<dyn Read + Send>,
    work: &std::sync::mpsc::SyncSender<Chunk>,
    budget: &Budget,
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut chunk = Chunk::new(0, 1);
    let mut line_number = 1;
    while let Some(line) = read_line(&mut reader, &mut chunk.text)? {
        chunk.lines.push(line);
        line_number += 1;
        if chunk.lines.len() == CHUNK_LINES || chunk.text.len() >= CHUNK_BYTES {
            let next = Chunk::new(chunk.index + 1, line_number);
            let full = std::mem::replace(&mut chunk, next);
            if !budget.take(full.cost()) || work.send(full).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.lines.is_empty() && budget.take(chunk.cost()) {
        let _ = work.send(chunk);
    }
    Ok(())
}

/// Reads one line, appending its text without the line ending to `text`; `None` at the end of
/// the input. A line past [`MAX_LINE`] leaves `text` as it was and is read to its end in place,
/// through the reader's buffer, however long it is.
fn read_line(reader: &mut impl BufRead, text: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
    let start = text.len();
    let mut too_long = false;
    let mut any = false;
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buffer.is_empty() {
            break;
        }
        any = true;
        let newline = memchr::memchr(b'\n', buffer);
        let part = match newline {
            Some(at) => buffer.get(..at).unwrap_or_default(),
            None => buffer,
        };
        // One byte more than the limit may be a `\r` before the `\n`.
        if !too_long && text.len() - start + part.len() <= MAX_LINE + 1 {
            text.extend_from_slice(part);
        } else {
            too_long = true;
            text.truncate(start);
        }
        let used = newline.map_or(buffer.len(), |at| at + 1);
        reader.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if text.len() > start && text.last() == Some(&b'\r') {
        text.pop();
    }
    if too_long || text.len() - start > MAX_LINE {
        text.truncate(start);
        return Ok(Some(Line::TooLong));
    }
    Ok(Some(Line::Text(start..text.len())))
}

fn decide_chunk(setup: &Setup, chunk: Chunk, now: &str) -> Done {
    let mut output = Vec::with_capacity(chunk.lines.len() * 160);
    let (mut bad, mut denied) = (0, 0);
    for (i, line) in chunk.lines.iter().enumerate() {
        let number = chunk.first_line + i;
        let result = match line {
            Line::Text(range) => match chunk.text.get(range.clone()) {
                Some(text) => decide(setup, text, number, now, &mut output),
                None => Err("internal error: the line's text is missing".into()),
            },
            Line::TooLong => Err(format!("line is longer than {MAX_LINE} bytes")),
        };
        match result {
            Ok(decision) if !decision.is_allowed() => denied += 1,
            Ok(_) => {}
            Err(message) => {
                bad += 1;
                // Writing to a Vec cannot fail.
                let _ = serde_json::to_writer(
                    &mut output,
                    &Failed {
                        line: number,
                        error: &message,
                    },
                );
                output.push(b'\n');
            }
        }
    }
    Done {
        index: chunk.index,
        output,
        lines: chunk.lines.len(),
        bad,
        denied,
    }
}

/// More JSON values than any request line holds: a request has at most 1,000 condition keys and
/// 10,000 values (SPEC §4), so its line at most about 11,000 values and 1,000 arrays; twice that
/// leaves room to spare.
const MAX_LINE_VALUES: usize = 2 * (crate::request_limits::KEYS + crate::request_limits::VALUES);

/// Refuses, before it is parsed, a line that holds more JSON values than any request can: its
/// parse tree costs some fifty bytes a value (a line of half a million `1,` is tens of
/// megabytes on every worker at once) for a request refused anyway. Counted are the values'
/// starts that can be seen without parsing — commas and opening brackets outside strings —
/// which are at least as many as the values.
fn check_value_count(line: &[u8]) -> Result<(), String> {
    // Most lines have few such bytes anywhere, strings included.
    if memchr::memchr3_iter(b',', b'[', b'{', line)
        .nth(MAX_LINE_VALUES)
        .is_none()
    {
        return Ok(());
    }
    let (mut count, mut in_string, mut escaped) = (1usize, false, false);
    for &byte in line {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => count += 1,
                _ => {}
            }
            if count > MAX_LINE_VALUES {
                return Err(format!(
                    "the request is too large: more than {MAX_LINE_VALUES} JSON values, more than any request holds"
                ));
            }
        }
    }
    Ok(())
}

/// Decides one line and writes its decision; `Err` is the line's error message.
fn decide(setup: &Setup, line: &[u8], number: usize, now: &str, out: &mut Vec<u8>) -> Result<Decision, String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8".to_owned())?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err("empty line: expected a request object".into());
    }
    check_value_count(text.as_bytes())?;
    let parsed = json::parse(text);
    if let Some(p) = parsed.problems.first() {
        let at = LineIndex::new(text).locate(p.span);
        return Err(format!("column {}: {}", at.column, p.message));
    }
    let Some(root) = parsed.root else {
        return Err("expected a request object".into());
    };
    let Value::Object(entries) = root.value else {
        return Err(format!("expected a request object, not {}", root.value.type_name()));
    };
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut group = None;
    let mut context = Vec::new();
    for (key, node) in &entries {
        let string = |what: &str| match &node.value {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("`{what}` must be a string, not {}", other.type_name())),
        };
        match key.text.as_str() {
            "principal" => principal = Some(string("principal")?),
            "action" => action = Some(string("action")?),
            "resource" => resource = Some(string("resource")?),
            "resource_group" => group = Some(string("resource_group")?),
            "context" => context = json::context_pairs(node).map_err(|(_, message)| message)?,
            other => {
                return Err(format!(
                    "unknown field `{}`: a request line has principal, action, resource, resource_group and context",
                    visible(other)
                ))
            }
        }
    }
    let action = action.ok_or("missing `action`")?;
    let mut builder = setup.request(action.into_owned(), principal.as_deref(), None)?;
    if let Some(resource) = resource {
        builder = builder.resource(resource);
    }
    if let Some(group) = group {
        builder = builder.resource_group(group);
    }
    for (k, v) in context {
        builder = builder.context(k, v);
    }
    let request = builder
        .context_default("acs:CurrentTime", now)
        .build()
        .map_err(|e| e.to_string())?;
    let response = setup.store().authorize(&request, Detail::Deciding);
    let decided = Decided {
        line: number,
        decision: response.decision(),
        layer: response.layer(),
        deciding: response.deciding(),
        errors: condition_errors_out(response.errors()),
    };
    serde_json::to_writer(&mut *out, &decided).map_err(|e| format!("cannot write the output: {e}"))?;
    out.write_all(b"\n")
        .map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(response.decision())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Option<Vec<u8>>> {
        let mut reader = BufReader::with_capacity(16, input);
        let mut text = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = read_line(&mut reader, &mut text).unwrap() {
            out.push(match line {
                Line::Text(range) => Some(text[range].to_vec()),
                Line::TooLong => None,
            });
        }
        out
    }

    #[test]
    fn line_endings_are_not_part_of_the_line() {
        assert_eq!(
            lines(b"a\nb\r\n\n\r\nlast"),
            [
                Some(b"a".to_vec()),
                Some(b"b".to_vec()),
                Some(vec![]),
                Some(vec![]),
                Some(b"last".to_vec())
            ]
        );
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn the_line_limit_counts_the_text_alone() {
        let mut input = vec![b'x'; MAX_LINE];
        input.extend_from_slice(b"\r\n");
        input.extend(vec![b'y'; MAX_LINE + 1]);
        input.extend_from_slice(b"\nz");
        let read = lines(&input);
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].as_ref().map(Vec::len), Some(MAX_LINE));
        assert_eq!(read[1], None);
        assert_eq!(read[2], Some(b"z".to_vec()));
    }

    #[test]
    fn values_are_counted_outside_strings() {
        let many = format!("[{}1]", "1,".repeat(MAX_LINE_VALUES));
        assert!(check_value_count(many.as_bytes()).is_err());
        let quoted = format!(
            r#"{{"action": "a:b", "context": {{"k": "\"{}\\"}}}}"#,
            ",".repeat(3 * MAX_LINE_VALUES)
        );
        assert!(check_value_count(quoted.as_bytes()).is_ok());
        let just = format!("[{}1]", "1,".repeat(MAX_LINE_VALUES - 2));
        assert!(check_value_count(just.as_bytes()).is_ok());
    }
}
