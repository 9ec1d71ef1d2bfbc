//! `ram-policy check --requests`: many requests, one JSON object per line in and out, with the
//! policies loaded and compiled once (per principal) for the whole batch.

use std::io::{BufRead, BufReader, Read, Write};

use serde::Serialize;

use super::check::{with_principal, Setup};
use super::{render, Exit};
use crate::error::{visible, LineIndex};
use crate::json::{self, CowStr, Value};
use crate::{ConditionError, Decision, Layer, Request, StatementRef};

/// Longest request line accepted, in bytes.
const MAX_LINE: usize = 1024 * 1024;

#[derive(Serialize)]
struct Decided<'a> {
    line: usize,
    decision: Decision,
    layer: Layer,
    deciding: &'a [StatementRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ConditionError],
}

#[derive(Serialize)]
struct Failed<'a> {
    line: usize,
    error: &'a str,
}

/// Lines per unit of work handed to a worker thread.
const CHUNK_LINES: usize = 2048;

/// One chunk of input lines and where it starts.
struct Chunk {
    index: usize,
    first_line: usize,
    lines: Vec<Vec<u8>>,
}

/// A chunk's output, with its counts.
struct Done {
    index: usize,
    output: Vec<u8>,
    lines: usize,
    bad: usize,
    denied: usize,
}

/// Runs a batch from a file or standard input (`-`). Chunks of lines are decided on every core;
/// the output keeps the input's order.
pub fn run(setup: &mut Setup, source: &str, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let input: Box<dyn Read + Send> = if source == "-" {
        Box::new(std::io::stdin())
    } else {
        // A batch may be large: no size limit, but a FIFO or device is refused like any other
        // input file (standard input is `-`).
        match crate::source::open_regular(std::path::Path::new(source)) {
            Ok((f, _)) => Box::new(f),
            Err(e) => {
                render::error(err, &format!("cannot read `{source}`: {e}"));
                return Exit::Error;
            }
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 16);
    // The evaluation time every request without `acs:CurrentTime` shares.
    let now = crate::request::format_instant(crate::Instant::now());
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<Chunk>(workers * 2);
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Done>(workers * 2);
    let mut read_error = None;
    let mut write_error = None;
    let (mut total, mut bad, mut denied) = (0usize, 0usize, 0usize);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let mut setup = setup.clone();
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            let now = now.as_str();
            scope.spawn(move || loop {
                let chunk = match work_rx.lock() {
                    Ok(rx) => match rx.recv() {
                        Ok(chunk) => chunk,
                        Err(_) => return,
                    },
                    Err(_) => return,
                };
                let done = decide_chunk(&mut setup, chunk, now);
                if done_tx.send(done).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let reader = scope.spawn(move || read_chunks(input, &work_tx));
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
                next += 1;
            }
        }
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

/// Reads lines into chunks and hands them to the workers. A line longer than [`MAX_LINE`] is
/// passed on cut short (it is reported as too long) and the rest of it skipped, so memory stays
/// bounded whatever the input.
fn read_chunks(input: Box<dyn Read + Send>, work: &std::sync::mpsc::SyncSender<Chunk>) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut chunk = Chunk {
        index: 0,
        first_line: 1,
        lines: Vec::with_capacity(CHUNK_LINES),
    };
    let mut line_number = 1;
    loop {
        let mut line = Vec::new();
        let read = (&mut reader).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            let mut sink = Vec::new();
            reader.read_until(b'\n', &mut sink)?;
        }
        chunk.lines.push(line);
        line_number += 1;
        if chunk.lines.len() == CHUNK_LINES {
            let next = Chunk {
                index: chunk.index + 1,
                first_line: line_number,
                lines: Vec::with_capacity(CHUNK_LINES),
            };
            if work.send(std::mem::replace(&mut chunk, next)).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.lines.is_empty() {
        let _ = work.send(chunk);
    }
    Ok(())
}

fn decide_chunk(setup: &mut Setup, chunk: Chunk, now: &str) -> Done {
    let mut output = Vec::with_capacity(chunk.lines.len() * 160);
    let (mut bad, mut denied) = (0, 0);
    for (i, line) in chunk.lines.iter().enumerate() {
        let number = chunk.first_line + i;
        let result = if line.len() > MAX_LINE {
            Err(format!("line is longer than {MAX_LINE} bytes"))
        } else {
            decide(setup, line, number, now, &mut output)
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

/// Decides one line and writes its decision; `Err` is the line's error message.
fn decide(setup: &mut Setup, line: &[u8], number: usize, now: &str, out: &mut Vec<u8>) -> Result<Decision, String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8".to_owned())?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err("empty line: expected a request object".into());
    }
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
    let (chain, caller) = setup.chain(principal.as_deref())?;
    let mut builder = Request::builder(action);
    if let Some(resource) = resource {
        builder = builder.resource(resource);
    }
    if let Some(group) = group {
        builder = builder.resource_group(group);
    }
    for (k, v) in context {
        builder = builder.context(k, v);
    }
    let request = with_principal(builder, caller)
        .context_default("acs:CurrentTime", now)
        .build()
        .map_err(|e| e.to_string())?;
    let evaluation = chain.evaluate_brief(&request);
    let decided = Decided {
        line: number,
        decision: evaluation.decision,
        layer: evaluation.layer,
        deciding: &evaluation.deciding,
        errors: &evaluation.errors,
    };
    serde_json::to_writer(&mut *out, &decided).map_err(|e| format!("cannot write the output: {e}"))?;
    out.write_all(b"\n")
        .map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(evaluation.decision)
}
