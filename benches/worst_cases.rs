//! Adversarial policies and requests at the limits of SPEC §1 (a 1 MiB document, at most
//! 10,000 statements) and §4 (action 256 bytes, resource 4 KiB, one context value 4 KiB, 1,000
//! keys, 10,000 values), each built to make one decision as slow as we know how. Shared by the
//! benchmark (`benches/worst.rs`, which times them) and `tests/hostile.rs` (which checks that each
//! decides the right answer, and stays within the limits).
//!
//! Every case decides `ImplicitDeny` through every statement: nothing matches, so no evaluation
//! can stop early.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use ram_policy::{request_limits as limits, Decision, Request, RequestBuilder, MAX_DOCUMENT_BYTES, MAX_STATEMENTS};

/// One worst case: a policy document (at most 1 MiB), a request (within SPEC §4), and the
/// decision it must get.
pub struct Case {
    pub document: String,
    pub request: RequestBuilder,
    pub expected: Decision,
}

/// How large a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// At the limits of SPEC §1 and §4.
    Limits,
    /// The same document, but for the cases whose work is the product of policy patterns and
    /// request values ([`PAIRWISE`] and `string_like_many_short`), a request of a few short
    /// values: what the tests (debug builds) can afford. Every other case is at the limits.
    Small,
}

/// The cases that match every policy pattern against every request value: with the most
/// values SPEC §4 allows, their time is minutes (see `benches/worst.rs`).
pub const PAIRWISE: &[&str] = &["statements_string_like", "for_any_value_string_like"];

/// Every case, by name (the benchmark's arguments).
pub const NAMES: &[&str] = &[
    "resource_question_runs",
    "resource_alternations",
    "resource_residues",
    "resource_many_segments",
    "resource_literal_near_miss",
    "resource_non_ascii_alternations",
    "resource_non_ascii_residues",
    "action_alternations",
    "action_residues",
    "string_like_suffix_hex",
    "string_like_many_short",
    "statements_string_equals",
    "statements_string_like",
    "for_all_values_string_equals",
    "for_any_value_string_like",
    "ip_address_many_networks",
    "numeric_huge_decimals",
];

/// The case called `name`, at `scale`.
pub fn case(name: &str, scale: Scale) -> Case {
    // The number of values of the multi-valued key, and the length of a long value, of the
    // cases whose work is their product with the policy's patterns.
    let (values, value_bytes) = match scale {
        Scale::Limits => (MANY_VALUES, limits::VALUE_BYTES),
        Scale::Small => (16, 256),
    };
    match name {
        "resource_question_runs" => resource_question_runs(),
        "resource_alternations" => resource_alternations(),
        "resource_residues" => resource_residues(),
        "resource_many_segments" => resource_many_segments(),
        "resource_literal_near_miss" => resource_literal_near_miss(),
        "resource_non_ascii_alternations" => resource_non_ascii_alternations(),
        "resource_non_ascii_residues" => resource_non_ascii_residues(),
        "action_alternations" => action_alternations(),
        "action_residues" => action_residues(),
        "string_like_suffix_hex" => string_like_suffix_hex(),
        "string_like_many_short" => string_like_many_short(value_bytes),
        "statements_string_equals" => statements_string_equals(),
        "statements_string_like" => statements_string_like(values),
        "for_all_values_string_equals" => for_all_values_string_equals(),
        "for_any_value_string_like" => for_any_value_string_like(values),
        "ip_address_many_networks" => ip_address_many_networks(),
        "numeric_huge_decimals" => numeric_huge_decimals(),
        _ => panic!("no worst case named `{name}`"),
    }
}

/// `head`, then as many of `item(0)`, `item(1)`, … (at most `most`) as fit, comma-separated,
/// then `tail`: a document of at most 1 MiB.
fn fill(head: &str, tail: &str, most: usize, mut item: impl FnMut(usize) -> String) -> String {
    let mut doc = String::from(head);
    for i in 0..most {
        let next = item(i);
        let comma = usize::from(i > 0);
        if doc.len() + comma + next.len() + tail.len() > MAX_DOCUMENT_BYTES {
            break;
        }
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&next);
    }
    doc.push_str(tail);
    doc
}

fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

/// One `Allow` statement for every action, whose `Resource` is as many `pattern(i)` as fit.
fn resource_patterns(most: usize, pattern: impl Fn(usize) -> String) -> String {
    fill(
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": ["#,
        "]}]}",
        most,
        |i| quoted(&pattern(i)),
    )
}

/// One `Allow` statement for every action and resource, with `condition` holding as many
/// `value(i)` as fit under `operator` and `key`.
fn condition_values(operator: &str, key: &str, value: impl Fn(usize) -> String) -> String {
    fill(
        &format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {{"{operator}": {{"{key}": ["#
        ),
        "]}}}]}",
        usize::MAX,
        |i| quoted(&value(i)),
    )
}

/// 10,000 `Allow` statements for every action and resource, statement `i` with the condition
/// `{operator: {key: value(i)}}`.
fn statements_with(operator: &str, key: &str, value: impl Fn(usize) -> String) -> String {
    fill(r#"{"Version": "1", "Statement": ["#, "]}", MAX_STATEMENTS, |i| {
        format!(
            r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"{operator}":{{"{key}":"{}"}}}}}}"#,
            value(i)
        )
    })
}

fn resource_request(resource: String) -> RequestBuilder {
    Request::builder("ecs:DescribeInstances").resource(resource)
}

fn implicit_deny(document: String, request: RequestBuilder) -> Case {
    Case {
        document,
        request,
        expected: Decision::ImplicitDeny,
    }
}

/// At most `bytes` bytes of characters where every `period`-th is `b` and the others are `a`.
fn periodic(a: char, period: usize, bytes: usize) -> String {
    let mut text = String::new();
    for i in 0.. {
        let c = if i % period == period - 1 { 'b' } else { a };
        if text.len() + c.len_utf8() > bytes {
            break;
        }
        text.push(c);
    }
    text
}

/// A segment that no text `periodic(a, q, _)` holds, for an odd `q`: `a` at every second
/// place, `q` times (`a?a?…?a`). Its `a`s fall on every residue modulo `q`, so wherever it is
/// put, one of them meets a `b`, and only the last one checked may be the one.
fn residue_segment(a: char, q: usize) -> String {
    assert!(q % 2 == 1);
    let mut segment = format!("{a}?").repeat(q - 1);
    segment.push(a);
    segment
}

/// The review's finding: `*` then 3,000 `?` then `b*`, against a 4 KiB resource of `a`s; 300
/// such patterns (each a little shorter, so they are distinct).
fn resource_question_runs() -> Case {
    implicit_deny(
        resource_patterns(300, |i| format!("*{}b*", "?".repeat(3000 - i))),
        resource_request("a".repeat(limits::RESOURCE_BYTES)),
    )
}

/// `*a?a?…?ab*` (1,024 `a?`, about half the input) against a 4 KiB resource of `a`s: every
/// place is a candidate and every `a` of the pattern matches; only the final `b` does not.
fn resource_alternations() -> Case {
    implicit_deny(
        resource_patterns(usize::MAX, |i| format!("*{}ab*", "a?".repeat(1024 - i % 256))),
        resource_request("a".repeat(limits::RESOURCE_BYTES)),
    )
}

/// Residues: against a resource with a `b` every 1,023 bytes, the segment `a?a?…?a` of 1,023
/// `a`s fails everywhere, each time at a different `a`, so no choice of a piece to look for
/// first helps.
fn resource_residues() -> Case {
    let segment = residue_segment('a', 1023);
    implicit_deny(
        resource_patterns(usize::MAX, |i| format!("*{segment}*{}", "?".repeat(i % 512))),
        resource_request(periodic('a', 1023, limits::RESOURCE_BYTES)),
    )
}

/// Many stars: `*a*a*…*a*b*` (and `…*b*?`), 2,047 segments, against 4 KiB of `a`s: each `a`
/// is found at once, and only then is the `b` looked for.
fn resource_many_segments() -> Case {
    implicit_deny(
        resource_patterns(usize::MAX, |i| {
            let stars = "*a".repeat(2047 - i % 64);
            if i % 2 == 0 {
                stars + "*b*"
            } else {
                stars + "*b*?"
            }
        }),
        resource_request("a".repeat(limits::RESOURCE_BYTES)),
    )
}

/// Long literal runs that almost match: `*aaa…ab*` (2,000 `a`s), and with a `?` in the middle,
/// against 4 KiB of `a`s.
fn resource_literal_near_miss() -> Case {
    implicit_deny(
        resource_patterns(usize::MAX, |i| {
            let n = 2000 - i % 256;
            if i % 2 == 0 {
                format!("*{}b*", "a".repeat(n))
            } else {
                format!("*{}?{}b*", "a".repeat(n / 2), "a".repeat(n / 2))
            }
        }),
        resource_request("a".repeat(limits::RESOURCE_BYTES)),
    )
}

/// [`resource_alternations`] in two-byte characters (`é`): the ASCII fast path does not apply.
fn resource_non_ascii_alternations() -> Case {
    implicit_deny(
        resource_patterns(usize::MAX, |i| format!("*{}éb*", "é?".repeat(1024 - i % 256))),
        resource_request("é".repeat(limits::RESOURCE_BYTES / 2)),
    )
}

/// [`resource_residues`] in two-byte characters.
fn resource_non_ascii_residues() -> Case {
    let segment = residue_segment('é', 511);
    implicit_deny(
        resource_patterns(usize::MAX, |i| format!("*{segment}*{}", "?".repeat(i % 512))),
        resource_request(periodic('é', 511, limits::RESOURCE_BYTES)),
    )
}

/// The longest action (256 bytes): `ecs:` and 252 `a`s.
fn long_action(name: String) -> RequestBuilder {
    let action = format!("ecs:{name}");
    assert_eq!(action.len(), limits::ACTION_BYTES);
    Request::builder(action)
}

fn action_patterns(pattern: impl Fn(usize) -> String) -> String {
    fill(
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": ["#,
        "]}]}",
        usize::MAX,
        |i| quoted(&pattern(i)),
    )
}

/// `?`-heavy action patterns `ecs:*a?a?…?ab*` against the longest action, all `a`s.
fn action_alternations() -> Case {
    implicit_deny(
        action_patterns(|i| format!("ecs:*{}ab*", "a?".repeat(64 + i % 32))),
        long_action("a".repeat(252)),
    )
}

/// [`resource_residues`] for actions: `ecs:*a?…?a*` (63 `a`s) against `ecs:` and 252 bytes with
/// a `b` every 63.
fn action_residues() -> Case {
    let segment = residue_segment('a', 63);
    implicit_deny(
        action_patterns(|i| format!("ecs:*{segment}*{}", "?".repeat(i % 64))),
        long_action(periodic('a', 63, 252)),
    )
}

/// The review's finding: `StringLike` with as many values `*a?b*<hex>` as fit in 1 MiB, against
/// one 4 KiB context value of `a`s.
fn string_like_suffix_hex() -> Case {
    implicit_deny(
        condition_values("StringLike", "my:k", |i| format!("*a?b*{i:x}")),
        resource_request("*".into()).context("my:k", "a".repeat(limits::VALUE_BYTES)),
    )
}

/// As many short patterns `*a?b<n>*` as fit in 1 MiB, against one 4 KiB value `abab…`: every
/// second place starts a candidate of every pattern.
fn string_like_many_short(value_bytes: usize) -> Case {
    implicit_deny(
        condition_values("StringLike", "my:k", |i| format!("*a?b{i}*")),
        resource_request("*".into()).context("my:k", "ab".repeat(value_bytes / 2)),
    )
}

/// The values left for one key of a request at the key and value limits: 9,001.
const MANY_VALUES: usize = limits::VALUES - (limits::KEYS - 1);

/// A request at the key limit: `acs:CurrentTime`, 998 other keys of one value, and `key` with
/// `count` values (at most [`MANY_VALUES`], which puts the request at the value limit too) from
/// `value(j)`.
fn crowded_request(key: &str, count: usize, value: impl Fn(usize) -> String) -> RequestBuilder {
    let mut b = resource_request("*".into()).context("acs:CurrentTime", "2026-01-01T00:00:00Z");
    for k in 0..limits::KEYS - 2 {
        b = b.context(format!("other:k{k}"), "x");
    }
    for j in 0..count {
        b = b.context(key, value(j));
    }
    b
}

/// 10,000 statements, each `StringEquals` one value of `my:k`, against a request at the limits
/// whose `my:k` has 9,001 values of the same length, none equal.
fn statements_string_equals() -> Case {
    implicit_deny(
        statements_with("StringEquals", "my:k", |i| format!("v{i:07}")),
        crowded_request("my:k", MANY_VALUES, |j| format!("w{j:07}")),
    )
}

/// 10,000 statements, each `StringLike` one pattern `*a?b<i>*` of `my:k`, against a request at
/// the limits whose `my:k` has 9,001 values `abab…` of 64 bytes.
fn statements_string_like(values: usize) -> Case {
    implicit_deny(
        statements_with("StringLike", "my:k", |i| format!("*a?b{i}*")),
        crowded_request("my:k", values, |j| format!("{}{j:06}", "ab".repeat(29))),
    )
}

/// `ForAllValues:StringEquals` with as many values as fit in 1 MiB, against 9,001 request values
/// of the same length, the last of which is in none of them.
fn for_all_values_string_equals() -> Case {
    implicit_deny(
        condition_values("ForAllValues:StringEquals", "my:k", |i| format!("v{i:07}")),
        crowded_request("my:k", MANY_VALUES, |j| {
            if j == MANY_VALUES - 1 {
                "w0000000".into()
            } else {
                format!("v{j:07}")
            }
        }),
    )
}

/// `ForAnyValue:StringLike` with as many patterns `*a?b<n>*` as fit in 1 MiB, against 9,001
/// request values `abab…` of 64 bytes.
fn for_any_value_string_like(values: usize) -> Case {
    implicit_deny(
        condition_values("ForAnyValue:StringLike", "my:k", |i| format!("*a?b{i}*")),
        crowded_request("my:k", values, |j| format!("{}{j:06}", "ab".repeat(29))),
    )
}

/// `IpAddress` with as many IPv4 networks as fit in 1 MiB, against 9,001 request addresses in
/// none of them.
fn ip_address_many_networks() -> Case {
    implicit_deny(
        condition_values("IpAddress", "my:ip", |i| {
            format!("10.{}.{}.{}/32", i >> 16 & 255, i >> 8 & 255, i & 255)
        }),
        crowded_request("my:ip", MANY_VALUES, |j| {
            format!("192.168.{}.{}", j >> 8 & 255, j & 255)
        }),
    )
}

/// `NumericEquals` with as many 1,000-digit decimals as fit in 1 MiB, against 9,001 request
/// values of 1,000 digits that differ from each of them in the last digit only.
fn numeric_huge_decimals() -> Case {
    let digits = |i: usize, last: char| format!("{}{i:06}{last}", "9".repeat(993));
    implicit_deny(
        condition_values("NumericEquals", "my:n", |i| digits(i, '1')),
        crowded_request("my:n", MANY_VALUES, |j| digits(j, '2')),
    )
}
