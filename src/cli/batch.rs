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

/// Runs a batch from a file or standard input (`-`).
pub fn run(setup: &mut Setup, source: &str, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let input: Box<dyn Read> = if source == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(source) {
            Ok(f) => Box::new(f),
            Err(e) => {
                render::error(err, &format!("cannot read `{source}`: {e}"));
                return Exit::Error;
            }
        }
    };
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut line = Vec::new();
    let mut number = 0;
    let (mut bad, mut denied) = (0usize, 0usize);
    loop {
        line.clear();
        let read = (&mut reader).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line);
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                render::error(err, &format!("cannot read `{source}`: {e}"));
                return Exit::Error;
            }
        }
        number += 1;
        let result = if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            // Skip the rest of the overlong line.
            let mut sink = Vec::new();
            let _ = reader.read_until(b'\n', &mut sink);
            Err(format!("line is longer than {MAX_LINE} bytes"))
        } else {
            decide(setup, &line, number, &mut out)
        };
        let written = match result {
            Ok(decision) => {
                if !decision.is_allowed() {
                    denied += 1;
                }
                Ok(())
            }
            Err(message) => {
                bad += 1;
                serde_json::to_writer(
                    &mut out,
                    &Failed {
                        line: number,
                        error: &message,
                    },
                )
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
            }
        };
        if let Err(e) = written {
            render::error(err, &format!("cannot write the output: {e}"));
            return Exit::Error;
        }
    }
    if let Err(e) = out.flush() {
        render::error(err, &format!("cannot write the output: {e}"));
        return Exit::Error;
    }
    if bad > 0 {
        render::error(err, &format!("{bad} of {number} request lines were bad"));
        Exit::Error
    } else if denied > 0 {
        Exit::Deny
    } else {
        Exit::Allow
    }
}

/// Decides one line and writes its decision; `Err` is the line's error message.
fn decide(setup: &mut Setup, line: &[u8], number: usize, out: &mut dyn Write) -> Result<Decision, String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8".to_owned())?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err("empty line: expected a request object".into());
    }
    let parsed = json::parse(text);
    let index = LineIndex::new(text);
    if let Some(p) = parsed.problems.first() {
        let at = index.locate(p.span);
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
    let request = with_principal(builder, caller).build().map_err(|e| e.to_string())?;
    let evaluation = chain.evaluate(&request);
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
