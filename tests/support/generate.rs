//! Shared by the property tests (`reference.rs`, `invariants.rs`, `chain_reference.rs`,
//! `batch_agrees.rs`): a tiny, obviously-correct reference evaluator, and proptest generators of
//! random policies and requests.
//!
//! The reference works from the checked model (`Policy::statements()`) and nothing else of the
//! library: its wildcard matcher, case folding, value parsing (decimals, epoch seconds, booleans,
//! IPv4 networks) and condition semantics are written here, straight from SPEC §2, §3 and §5. It
//! re-reads every condition's `raw_values` and ignores the parsed `Values`. It is slow on purpose
//! (recursive matching, no index, no precompilation) and only as general as the generator needs:
//! dates are integer epoch seconds only, IPv6 is recognised but only compared by prefix.
//!
//! The generator writes random but valid policy documents as JSON text and random requests over
//! small pools of actions, resources, keys and values, so that matches, non-matches, denials and
//! undecidable conditions all happen often.
// Each test file that includes this module uses a different part of it.
#![allow(dead_code)]

use std::cmp::Ordering;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use ram_policy::{ActionClause, Condition, Decision, Effect, Policy, Request, ResourceClause, Statement};

// ---------------------------------------------------------------------------------------------
// The reference evaluator
// ---------------------------------------------------------------------------------------------

/// ASCII lower case of one character; every other character is left alone.
pub fn fold_char(c: char) -> char {
    if c.is_ascii_uppercase() {
        char::from(c as u8 + (b'a' - b'A'))
    } else {
        c
    }
}

pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// The obvious recursive wildcard matcher over the whole input: `*` any run (also empty), `?`
/// exactly one character, anything else itself (compared with `same`).
pub fn wild(pattern: &[char], input: &[char], same: fn(char, char) -> bool) -> bool {
    match pattern.split_first() {
        None => input.is_empty(),
        Some(('*', rest)) => (0..=input.len()).any(|skip| wild(rest, &input[skip..], same)),
        Some(('?', rest)) => !input.is_empty() && wild(rest, &input[1..], same),
        Some((&p, rest)) => match input.split_first() {
            Some((&c, tail)) => same(p, c) && wild(rest, tail, same),
            None => false,
        },
    }
}

pub fn chars(text: &str) -> Vec<char> {
    text.chars().collect()
}

/// Case-sensitive wildcard match (resources, `StringLike`).
pub fn like(pattern: &str, input: &str) -> bool {
    wild(&chars(pattern), &chars(input), |a, b| a == b)
}

/// ASCII case-insensitive wildcard match (actions).
pub fn like_ignore_case(pattern: &str, input: &str) -> bool {
    wild(&chars(pattern), &chars(input), |a, b| fold_char(a) == fold_char(b))
}

/// A decimal as sign, integer digits without leading zeros, fraction digits without trailing
/// zeros: `+007.50` → (false, "7", "5"); zero is never negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dec {
    pub negative: bool,
    pub int: String,
    pub frac: String,
}

pub fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

/// SPEC §3: optional sign, digits, optional fraction (`.` and digits); no exponent.
pub fn decimal(text: &str) -> Option<Dec> {
    let (negative, body) = if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        (false, rest)
    } else {
        (false, text)
    };
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (body, "0"),
    };
    if !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let int = int.trim_start_matches('0').to_owned();
    let frac = frac.trim_end_matches('0').to_owned();
    let zero = int.is_empty() && frac.is_empty();
    Some(Dec {
        negative: negative && !zero,
        int,
        frac,
    })
}

/// Compares two decimals by padding both to the same width and comparing digit strings.
pub fn cmp_dec(a: &Dec, b: &Dec) -> Ordering {
    let width_int = a.int.len().max(b.int.len());
    let width_frac = a.frac.len().max(b.frac.len());
    let digits = |d: &Dec| format!("{:0>wi$}{:0<wf$}", d.int, d.frac, wi = width_int, wf = width_frac);
    let magnitude = digits(a).cmp(&digits(b));
    match (a.negative, b.negative) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

/// Epoch seconds: optional `-`, digits, within `i64` (the only date form the generator uses;
/// none of its other values is a date in any of SPEC's formats).
pub fn epoch(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !all_digits(digits) {
        return None;
    }
    text.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the one RFC 3339 shape the reference needs: the text of the default
/// `acs:CurrentTime` (SPEC §4), which is not fixed by SPEC and is made here by [`now_text`].
pub fn rfc3339_utc(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num =
        |from: usize, to: usize| -> Option<i64> { all_digits(&text[from..to]).then(|| text[from..to].parse().ok())? };
    let days = days_from_civil(num(0, 4)?, num(5, 7)?, num(8, 10)?);
    Some(days * 86_400 + num(11, 13)? * 3600 + num(14, 16)? * 60 + num(17, 19)?)
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ` (inverse of [`days_from_civil`] by search: fine for a test).
pub fn now_text() -> String {
    let secs = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let mut year = 1970;
    while days_from_civil(year + 1, 1, 1) <= days {
        year += 1;
    }
    let mut month = 1;
    while month < 12 && days_from_civil(year, month + 1, 1) <= days {
        month += 1;
    }
    let day = days - days_from_civil(year, month, 1) + 1;
    let text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    assert_eq!(rfc3339_utc(&text), Some(secs));
    text
}

/// `true` / `false`, ASCII case-insensitive.
pub fn boolean(text: &str) -> Option<bool> {
    match fold(text).as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// An address as (bits, width): IPv4 is 32 bits wide, IPv6 128; they never match each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    pub bits: u128,
    pub width: u32,
}

/// Strict dotted quad: four parts of 1–3 digits, no leading zeros, each at most 255.
pub fn ipv4(text: &str) -> Option<Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut bits = 0u128;
    for part in parts {
        if !all_digits(part) || part.len() > 3 || (part.len() > 1 && part.starts_with('0')) {
            return None;
        }
        let n: u128 = part.parse().ok()?;
        if n > 255 {
            return None;
        }
        bits = bits << 8 | n;
    }
    Some(Addr { bits, width: 32 })
}

/// A request's address (never a block).
pub fn address(text: &str) -> Option<Addr> {
    ipv4(text).or_else(|| {
        // IPv6 only appears as a few fixed values; std's parser just recognises them.
        text.parse::<std::net::Ipv6Addr>().ok().map(|a| Addr {
            bits: u128::from(a),
            width: 128,
        })
    })
}

/// A policy network: an address (a /32 or /128) or `address/prefix`.
pub fn network(text: &str) -> Option<(Addr, u32)> {
    match text.split_once('/') {
        None => address(text).map(|a| (a, a.width)),
        Some((addr, prefix)) => {
            let addr = address(addr)?;
            if !all_digits(prefix) {
                return None;
            }
            let prefix: u32 = prefix.parse().ok()?;
            (prefix <= addr.width).then_some((addr, prefix))
        }
    }
}

pub fn in_network(addr: Addr, (net, prefix): (Addr, u32)) -> bool {
    if addr.width != net.width {
        return false;
    }
    // Compare the top `prefix` bits of the `width`-bit values.
    let shift = addr.width - prefix;
    let top = |bits: u128| if shift >= 128 { 0 } else { bits >> shift };
    top(addr.bits) == top(net.bits)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Str,
    Num,
    Date,
    Bool,
    Ip,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Equals,
    EqualsIgnoreCase,
    Like,
    Less,
    LessEquals,
    Greater,
    GreaterEquals,
    InNetwork,
    Presence,
}

/// SPEC §3's table: family, positive test and negation of each operator.
pub fn semantics(operator: &str) -> (Family, Test, bool) {
    use Family::*;
    use Test::*;
    match operator {
        "StringEquals" => (Str, Equals, false),
        "StringNotEquals" => (Str, Equals, true),
        "StringEqualsIgnoreCase" => (Str, EqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Str, EqualsIgnoreCase, true),
        "StringLike" => (Str, Like, false),
        "StringNotLike" => (Str, Like, true),
        "NumericEquals" => (Num, Equals, false),
        "NumericNotEquals" => (Num, Equals, true),
        "NumericLessThan" => (Num, Less, false),
        "NumericLessThanEquals" => (Num, LessEquals, false),
        "NumericGreaterThan" => (Num, Greater, false),
        "NumericGreaterThanEquals" => (Num, GreaterEquals, false),
        "DateEquals" => (Date, Equals, false),
        "DateNotEquals" => (Date, Equals, true),
        "DateLessThan" => (Date, Less, false),
        "DateLessThanEquals" => (Date, LessEquals, false),
        "DateGreaterThan" => (Date, Greater, false),
        "DateGreaterThanEquals" => (Date, GreaterEquals, false),
        "Bool" => (Bool, Equals, false),
        "IpAddress" => (Ip, InNetwork, false),
        "NotIpAddress" => (Ip, InNetwork, true),
        "Null" => (Null, Presence, false),
        other => panic!("reference: unknown operator {other}"),
    }
}

pub fn ordered(test: Test, ord: Ordering) -> bool {
    match test {
        Test::Equals => ord == Ordering::Equal,
        Test::Less => ord == Ordering::Less,
        Test::LessEquals => ord != Ordering::Greater,
        Test::Greater => ord == Ordering::Greater,
        Test::GreaterEquals => ord != Ordering::Less,
        other => panic!("reference: {other:?} is not an ordering test"),
    }
}

/// Whether one request value passes the positive test against any policy value; `None` when the
/// request value cannot be read for the family (policy values always can: the reader checked).
pub fn positive(family: Family, test: Test, request: &str, policy: &[Box<str>]) -> Option<bool> {
    let policy = policy.iter().map(|p| &**p);
    let must = |what: &str, p: &str| -> ! { panic!("reference: policy value {p:?} is not {what}") };
    Some(match family {
        Family::Str => match test {
            Test::Equals => policy.into_iter().any(|p| p == request),
            Test::EqualsIgnoreCase => policy.into_iter().any(|p| fold(p) == fold(request)),
            Test::Like => policy.into_iter().any(|p| like(p, request)),
            other => panic!("reference: {other:?} on strings"),
        },
        Family::Num => {
            let r = decimal(request)?;
            policy
                .into_iter()
                .any(|p| ordered(test, cmp_dec(&r, &decimal(p).unwrap_or_else(|| must("a decimal", p)))))
        }
        Family::Date => {
            let r = epoch(request).or_else(|| rfc3339_utc(request))?;
            policy
                .into_iter()
                .any(|p| ordered(test, r.cmp(&epoch(p).unwrap_or_else(|| must("epoch seconds", p)))))
        }
        Family::Bool => {
            let r = boolean(request)?;
            policy
                .into_iter()
                .any(|p| boolean(p).unwrap_or_else(|| must("a boolean", p)) == r)
        }
        Family::Ip => {
            let r = address(request)?;
            policy
                .into_iter()
                .any(|p| in_network(r, network(p).unwrap_or_else(|| must("a network", p))))
        }
        Family::Null => panic!("reference: Null has no per-value test"),
    })
}

/// The request as the reference sees it: action, resource, and keys (folded) with their values
/// in the order given.
#[derive(Debug, Clone)]
pub struct RefRequest {
    pub action: String,
    pub resource: String,
    pub context: Vec<(String, Vec<String>)>,
}

impl RefRequest {
    pub fn new(request: &GenRequest) -> Self {
        let mut context: Vec<(String, Vec<String>)> = Vec::new();
        for (key, value) in &request.context {
            let key = fold(key);
            match context.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value.clone()),
                None => context.push((key, vec![value.clone()])),
            }
        }
        // SPEC §4: `acs:CurrentTime` defaults to the evaluation time, as RFC 3339 text (SPEC
        // does not say which text; the library writes `YYYY-MM-DDTHH:MM:SSZ`, so a numeric
        // operator cannot read it). The generator's dates are decades away from now, so the
        // exact second does not matter.
        if !context.iter().any(|(k, _)| k == "acs:currenttime") {
            context.push(("acs:currenttime".into(), vec![now_text()]));
        }
        RefRequest {
            action: request.action.clone(),
            resource: request.resource.clone(),
            context,
        }
    }

    pub fn values(&self, key: &str) -> &[String] {
        let key = fold(key);
        self.context
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[][..], |(_, v)| v.as_slice())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    True,
    False,
    Undecidable,
}

pub fn outcome(b: bool) -> Outcome {
    if b {
        Outcome::True
    } else {
        Outcome::False
    }
}

/// An operator as written, taken apart: `ForAnyValue:`, `ForAllValues:`, the operator's
/// semantics, `IfExists`.
pub struct Written {
    pub for_any: bool,
    pub for_all: bool,
    pub family: Family,
    pub test: Test,
    pub negated: bool,
    pub if_exists: bool,
}

pub fn written(operator: &str) -> Written {
    let (for_any, for_all, rest) = if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
        (true, false, rest)
    } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
        (false, true, rest)
    } else {
        (false, false, operator)
    };
    let (name, if_exists) = match rest.strip_suffix("IfExists") {
        Some(name) => (name, true),
        None => (rest, false),
    };
    let (family, test, negated) = semantics(name);
    Written {
        for_any,
        for_all,
        family,
        test,
        negated,
        if_exists,
    }
}

/// One condition, from its operator's text, key and raw values (SPEC §3).
pub fn evaluate(condition: &Condition, request: &RefRequest) -> Outcome {
    let Written {
        for_any,
        for_all,
        family,
        test,
        negated,
        if_exists,
    } = written(&condition.operator().to_string());
    let values = request.values(condition.key());
    let present = !values.is_empty();
    if family == Family::Null {
        // `"true"`: the key must be absent; `"false"`: it must be present.
        let [flag] = condition.raw_values() else {
            panic!("reference: Null takes one value")
        };
        return match &**flag {
            "true" => outcome(!present),
            "false" => outcome(present),
            other => panic!("reference: Null value {other:?}"),
        };
    }
    if !present {
        // IfExists: true. ForAllValues: true (vacuously). ForAnyValue: false (no value at all).
        // Plain: a positive operator is false, a negated one true.
        return outcome(if_exists || for_all || (!for_any && negated));
    }
    // A request value that does not parse makes the whole condition undecidable.
    let mut matched = Vec::new();
    for value in values {
        match positive(family, test, value, condition.raw_values()) {
            Some(m) => matched.push(m),
            None => return Outcome::Undecidable,
        }
    }
    outcome(if for_any {
        // Some request value satisfies the operator (negated: matches none of the policy values).
        matched.iter().any(|&m| m != negated)
    } else if for_all {
        matched.iter().all(|&m| m != negated)
    } else {
        // Positive: any request value matches any policy value; negated: the exact negation.
        matched.iter().any(|&m| m) != negated
    })
}

/// A condition error as the reference records it: policy, statement, operator and key.
pub type ErrorKey = (String, usize, String, String);

/// Whether a statement applies (SPEC §2, §3): action, resource, then the conditions in document
/// order, stopping at the first false one; an undecidable condition is recorded and counts as
/// true in a `Deny`, false in an `Allow`.
pub fn applies(policy: &str, statement: &Statement, request: &RefRequest, errors: &mut Vec<ErrorKey>) -> bool {
    let (patterns, not) = match &statement.action() {
        ActionClause::Action(p) => (p, false),
        ActionClause::NotAction(p) => (p, true),
    };
    if patterns.iter().any(|p| like_ignore_case(p.text(), &request.action)) == not {
        return false;
    }
    // A trust policy's statements have no resource part (SPEC §1): the resource is the role.
    if let Some(resource) = &statement.resource() {
        let (patterns, not) = match resource {
            ResourceClause::Resource(p) => (p, false),
            ResourceClause::NotResource(p) => (p, true),
        };
        if patterns.iter().any(|p| like(p.text(), &request.resource)) == not {
            return false;
        }
    }
    for condition in statement.conditions().iter() {
        match evaluate(condition, request) {
            Outcome::True => {}
            Outcome::False => return false,
            Outcome::Undecidable => {
                errors.push((
                    policy.to_owned(),
                    statement.index(),
                    condition.operator().to_string(),
                    condition.key().to_string(),
                ));
                if statement.effect() == Effect::Allow {
                    return false;
                }
            }
        }
    }
    true
}

/// A decision with its deciding statements and condition errors, each list sorted (a
/// statement or error reported twice stays twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub deciding: Vec<(String, usize)>,
    pub errors: Vec<ErrorKey>,
}

pub fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// Basic evaluation (SPEC §5) over every statement of every policy.
pub fn reference(policies: &[Policy], request: &RefRequest) -> Verdict {
    reference_where(policies, request, |_| true)
}

/// Basic evaluation over the statements that `keep` keeps (a resource policy's statements whose
/// `Principal` matches the caller, SPEC §5 step 4); the others are not there.
pub fn reference_where(policies: &[Policy], request: &RefRequest, keep: impl Fn(&Statement) -> bool) -> Verdict {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    let mut errors = Vec::new();
    for policy in policies {
        for statement in policy.statements() {
            if keep(statement) && applies(policy.name(), statement, request, &mut errors) {
                let id = (policy.name().to_owned(), statement.index());
                match statement.effect() {
                    Effect::Allow => allows.push(id),
                    Effect::Deny => denies.push(id),
                }
            }
        }
    }
    let (decision, deciding) = if !denies.is_empty() {
        (Decision::ExplicitDeny, denies)
    } else if !allows.is_empty() {
        (Decision::Allow, allows)
    } else {
        (Decision::ImplicitDeny, Vec::new())
    };
    Verdict {
        decision,
        deciding: sorted(deciding),
        errors: sorted(errors),
    }
}

// ---------------------------------------------------------------------------------------------
// The generator: policy documents as JSON text, and requests
// ---------------------------------------------------------------------------------------------

/// A condition value, written as a JSON string or (when valid JSON) bare.
#[derive(Debug, Clone)]
pub struct GenValue {
    pub text: String,
    pub bare: bool,
}

#[derive(Debug, Clone)]
pub struct GenCondition {
    pub key: String,
    pub values: Vec<GenValue>,
    pub as_array: bool,
}

#[derive(Debug, Clone)]
pub struct GenStatement {
    pub sid: Option<String>,
    pub allow: bool,
    pub not_action: bool,
    pub actions: Vec<String>,
    pub actions_as_array: bool,
    pub not_resource: bool,
    pub resources: Vec<String>,
    pub resources_as_array: bool,
    /// Operator → keys, in document order; no operator twice, no key twice (case-insensitively)
    /// under one operator.
    pub conditions: Vec<(String, Vec<GenCondition>)>,
    /// The order of the elements (Sid, Effect, Action, Resource, Condition) in the object.
    pub order: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct GenRequest {
    pub action: String,
    pub resource: String,
    pub context: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub policies: Vec<String>,
    pub request: GenRequest,
}

pub const ACTION_SERVICES: &[&str] = &[
    "ecs", "ECS", "Ecs", "polardb", "PolarDB", "oss", "OSS", "*", "?cs", "polar*",
];
pub const ACTION_NAMES: &[&str] = &[
    "Describe*",
    "describe*",
    "Delete?",
    "Delete*",
    "*",
    "Get*",
    "*Instance*",
    "DescribeInstances",
    "GetObject",
    "?et*",
    "Start*",
];
pub const ACTION_SPECIALS: &[&str] = &["*", "*:Get*", "*:Describe*", "*:delete?", "ecs*", "*s:*", "**"];

pub const REQUEST_SERVICES: &[&str] = &["ecs", "polardb", "oss", "ram", "ECS", "PolarDB"];
pub const REQUEST_NAMES: &[&str] = &[
    "DescribeInstances",
    "DescribeDBClusters",
    "describeinstances",
    "Delete1",
    "DeleteX",
    "DeleteDBCluster",
    "GetObject",
    "PutObject",
    "StartInstance",
];

pub const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "*",
    "acs:ecs:*:*:instance/*",
    "acs:ecs:cn-hangzhou:*:instance/i-?",
    "acs:oss:*:*:bucket/*",
    "acs:oss:*:*:bucket/a?c",
    "acs:polardb:*:123:dbcluster/pc-*",
    "acs:*:*:*:*",
    "acs:polardb:*:*:*",
    "acs:ECS:*:*:instance/*",
    "*/i-1",
    "acs:ecs:cn-hangzhou:123:instance/i-1",
    "acs:*:cn-hangzhou:123:*",
];
pub const REQUEST_RESOURCES: &[&str] = &[
    "*",
    "acs:ecs:cn-hangzhou:123:instance/i-1",
    "acs:ecs:cn-beijing:456:instance/i-22",
    "acs:oss:cn-hangzhou:123:bucket/abc",
    "acs:oss::123:bucket/axc/obj",
    "acs:polardb:cn-hangzhou:123:dbcluster/pc-1",
    "acs:polardb:cn-hangzhou:456:dbcluster/pc-2",
    "acs:ECS:cn-hangzhou:123:instance/i-1",
];

pub const STRING_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];
pub const NUMERIC_OPERATORS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
];
pub const DATE_OPERATORS: &[&str] = &[
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
];

pub const STRING_KEYS: &[&str] = &["acs:SourceVpc", "acs:RequestTag/env", "my:tag"];
/// `my:num` thrice: `acs:CurrentTime` under a numeric operator is mostly undecidable (its default
/// is RFC 3339 text), which would drown the numeric comparisons.
pub const NUMERIC_KEYS: &[&str] = &["my:num", "my:num", "my:num", "acs:CurrentTime"];
pub const DATE_KEYS: &[&str] = &["acs:CurrentTime", "my:date"];
pub const BOOL_KEYS: &[&str] = &["acs:MFAPresent", "acs:SecureTransport", "my:flag"];
pub const IP_KEYS: &[&str] = &["acs:SourceIp", "my:ip"];
pub const ALL_KEYS: &[&str] = &[
    "acs:SourceVpc",
    "acs:RequestTag/env",
    "my:tag",
    "my:num",
    "acs:CurrentTime",
    "my:date",
    "acs:MFAPresent",
    "acs:SecureTransport",
    "my:flag",
    "acs:SourceIp",
    "my:ip",
];

pub const STRING_VALUES: &[&str] = &[
    "vpc-1", "VPC-1", "vpc-2", "prod", "Prod", "dev", "", "v*", "vpc-?", "*", "p?o*",
];
/// Policy decimals; the first seven are also valid JSON numbers.
pub const NUMBER_VALUES: &[&str] = &[
    "10",
    "10.0",
    "-3",
    "2.5",
    "0",
    "-0",
    "100",
    "+7",
    "007",
    "1700000000",
    "12345678901234567890.5",
];
pub const NUMBER_JSON: usize = 7;
pub const EPOCH_VALUES: &[&str] = &["0", "86400", "1700000000", "-1", "4102444800", "1699999999"];
pub const BOOL_VALUES: &[&str] = &["true", "false", "TRUE", "False"];
pub const NETWORK_VALUES: &[&str] = &[
    "10.0.0.0/8",
    "10.1.2.3/16",
    "192.168.1.1",
    "0.0.0.0/0",
    "10.0.0.1/32",
    "192.168.0.0/23",
    "::/0",
    "2001:db8::/32",
];
pub const ADDRESS_VALUES: &[&str] = &[
    "10.1.2.3",
    "192.168.1.1",
    "192.168.1.200",
    "8.8.8.8",
    "10.0.0.1",
    "::1",
    "2001:db8::5",
];
/// Values that are no number, date, boolean or address (some are one of those and not another).
pub const ODD_VALUES: &[&str] = &[
    "ten",
    "1e3",
    "1.",
    ".5",
    "",
    "noon",
    "yes",
    "not-an-ip",
    "10.0.0.300",
    "10.0.0.0/8",
    "+7",
    "007",
    "1",
    "2.5",
    "vpc-1",
    "010.0.0.1",
];

pub fn owned(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_owned)
}

/// Upper, lower or as written: keys are case-insensitive.
pub fn case_variant(key: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(key.to_owned()),
        1 => Just(key.to_ascii_lowercase()),
        1 => Just(key.to_ascii_uppercase()),
    ]
}

pub fn some_key(preferred: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![4 => select(preferred), 1 => select(ALL_KEYS)].prop_flat_map(case_variant)
}

pub fn action_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => owned(ACTION_SPECIALS),
        4 => (select(ACTION_SERVICES), select(ACTION_NAMES)).prop_map(|(s, n)| format!("{s}:{n}")),
    ]
}

pub fn values_of(
    pool: &'static [&'static str],
    bare_ok: fn(&str) -> bool,
    max: usize,
) -> impl Strategy<Value = Vec<GenValue>> {
    prop::collection::vec((select(pool), any::<bool>()), 1..=max).prop_map(move |vs| {
        vs.into_iter()
            .map(|(text, bare)| GenValue {
                text: text.to_owned(),
                bare: bare && bare_ok(text),
            })
            .collect()
    })
}

pub fn never(_: &str) -> bool {
    false
}

pub fn json_number(text: &str) -> bool {
    NUMBER_VALUES[..NUMBER_JSON].contains(&text) || EPOCH_VALUES.contains(&text)
}

pub fn json_bool(text: &str) -> bool {
    text == "true" || text == "false"
}

/// One operator (with prefix and suffix) and one key with its values.
pub fn condition() -> impl Strategy<Value = (String, GenCondition)> {
    let qualifier = prop_oneof![6 => Just(""), 2 => Just("ForAnyValue:"), 2 => Just("ForAllValues:")];
    let if_exists = prop_oneof![4 => Just(""), 1 => Just("IfExists")];
    let typed = prop_oneof![
        3 => (select(STRING_OPERATORS), some_key(STRING_KEYS), values_of(STRING_VALUES, never, 3)),
        3 => (select(NUMERIC_OPERATORS), some_key(NUMERIC_KEYS), values_of(NUMBER_VALUES, json_number, 3)),
        3 => (select(DATE_OPERATORS), some_key(DATE_KEYS), values_of(EPOCH_VALUES, json_number, 3)),
        2 => (Just("Bool"), some_key(BOOL_KEYS), values_of(BOOL_VALUES, json_bool, 2)),
        2 => (select(&["IpAddress", "NotIpAddress"][..]), some_key(IP_KEYS), values_of(NETWORK_VALUES, never, 3)),
    ];
    let typed = (qualifier, typed, if_exists, any::<bool>()).prop_map(|(q, (op, key, values), suffix, as_array)| {
        (
            format!("{q}{op}{suffix}"),
            GenCondition {
                key,
                as_array: as_array || values.len() > 1,
                values,
            },
        )
    });
    let null = (
        some_key(ALL_KEYS),
        values_of(&["true", "false"], json_bool, 1),
        any::<bool>(),
    )
        .prop_map(|(key, values, as_array)| ("Null".to_owned(), GenCondition { key, values, as_array }));
    prop_oneof![9 => typed, 1 => null]
}

/// Groups conditions by operator, dropping a key already under the same operator.
pub fn group(conditions: Vec<(String, GenCondition)>) -> Vec<(String, Vec<GenCondition>)> {
    let mut out: Vec<(String, Vec<GenCondition>)> = Vec::new();
    for (op, c) in conditions {
        match out.iter_mut().find(|(o, _)| *o == op) {
            Some((_, keys)) => {
                if !keys.iter().any(|k| fold(&k.key) == fold(&c.key)) {
                    keys.push(c);
                }
            }
            None => out.push((op, vec![c])),
        }
    }
    out
}

pub fn statement() -> impl Strategy<Value = GenStatement> {
    (
        prop::option::weighted(0.2, "[A-Za-z0-9]{1,6}"),
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.15),
        prop::collection::vec(action_pattern(), 1..=3),
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::collection::vec(owned(RESOURCE_PATTERNS), 1..=2),
        any::<bool>(),
        prop::collection::vec(condition(), 0..=2),
        Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle(),
    )
        .prop_map(
            |(sid, allow, not_action, actions, aa, not_resource, resources, ra, conditions, order)| GenStatement {
                sid,
                allow,
                not_action,
                actions_as_array: aa || actions.len() > 1,
                actions,
                not_resource,
                resources_as_array: ra || resources.len() > 1,
                resources,
                conditions: group(conditions),
                order,
            },
        )
}

pub fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

pub fn json_list(items: &[String], as_array: bool) -> String {
    if as_array {
        format!(
            "[{}]",
            items.iter().map(|s| json_string(s)).collect::<Vec<_>>().join(", ")
        )
    } else {
        json_string(&items[0])
    }
}

pub fn render_value(v: &GenValue) -> String {
    if v.bare {
        v.text.clone()
    } else {
        json_string(&v.text)
    }
}

pub fn render_statement(s: &GenStatement) -> String {
    let mut parts = Vec::new();
    for &element in &s.order {
        match element {
            0 => {
                if let Some(sid) = &s.sid {
                    parts.push(format!("\"Sid\": {}", json_string(sid)));
                }
            }
            1 => parts.push(format!("\"Effect\": \"{}\"", if s.allow { "Allow" } else { "Deny" })),
            2 => parts.push(format!(
                "\"{}\": {}",
                if s.not_action { "NotAction" } else { "Action" },
                json_list(&s.actions, s.actions_as_array)
            )),
            3 => parts.push(format!(
                "\"{}\": {}",
                if s.not_resource { "NotResource" } else { "Resource" },
                json_list(&s.resources, s.resources_as_array)
            )),
            _ => {
                if !s.conditions.is_empty() {
                    let operators: Vec<String> = s
                        .conditions
                        .iter()
                        .map(|(op, keys)| {
                            let keys: Vec<String> = keys
                                .iter()
                                .map(|c| {
                                    let values = if c.as_array {
                                        format!(
                                            "[{}]",
                                            c.values.iter().map(render_value).collect::<Vec<_>>().join(", ")
                                        )
                                    } else {
                                        render_value(&c.values[0])
                                    };
                                    format!("{}: {values}", json_string(&c.key))
                                })
                                .collect();
                            format!("{}: {{{}}}", json_string(op), keys.join(", "))
                        })
                        .collect();
                    parts.push(format!("\"Condition\": {{\n      {}}}", operators.join(",\n      ")));
                }
            }
        }
    }
    format!("{{{}}}", parts.join(", "))
}

pub fn render_policy(statements: &[GenStatement]) -> String {
    let statements: Vec<String> = statements.iter().map(render_statement).collect();
    format!(
        "{{\"Version\": \"1\", \"Statement\": [\n    {}\n]}}",
        statements.join(",\n    ")
    )
}

/// The value pool of a request key: what the key usually holds, and for keys that are not
/// type-checked when the request is built (SPEC §4), sometimes anything.
pub fn request_value(key: &'static str) -> BoxedStrategy<String> {
    let odd = || prop_oneof![owned(ODD_VALUES), owned(NUMBER_VALUES), owned(STRING_VALUES)];
    match key {
        "acs:SourceIp" => owned(ADDRESS_VALUES).boxed(),
        "acs:MFAPresent" | "acs:SecureTransport" => owned(BOOL_VALUES).boxed(),
        "acs:CurrentTime" => owned(EPOCH_VALUES).boxed(),
        "acs:SourceVpc" | "acs:RequestTag/env" | "my:tag" => prop_oneof![4 => owned(STRING_VALUES), 1 => odd()].boxed(),
        "my:num" => prop_oneof![4 => owned(NUMBER_VALUES), 1 => odd()].boxed(),
        "my:date" => prop_oneof![4 => owned(EPOCH_VALUES), 1 => odd()].boxed(),
        "my:flag" => prop_oneof![4 => owned(BOOL_VALUES), 1 => odd()].boxed(),
        "my:ip" => prop_oneof![4 => owned(ADDRESS_VALUES), 1 => odd()].boxed(),
        other => panic!("no value pool for {other}"),
    }
}

/// One key with 1–3 values; each value may spell the key differently. Keys are mostly taken
/// from `hot`, the keys the policies' conditions use, so that conditions meet their keys often.
pub fn request_entry(hot: Vec<&'static str>) -> BoxedStrategy<Vec<(String, String)>> {
    let key = if hot.is_empty() {
        select(ALL_KEYS).boxed()
    } else {
        prop_oneof![3 => select(hot), 1 => select(ALL_KEYS)].boxed()
    };
    key.prop_flat_map(|key| {
        let count = prop_oneof![6 => Just(1usize), 2 => Just(2usize), 1 => Just(3usize)];
        count.prop_flat_map(move |n| prop::collection::vec((case_variant(key), request_value(key)), n))
    })
    .boxed()
}

pub fn request(hot: Vec<&'static str>) -> impl Strategy<Value = GenRequest> {
    let count = prop_oneof![1 => Just(0usize), 2 => Just(1usize), 3 => Just(2usize), 3 => Just(3usize)];
    (
        select(REQUEST_SERVICES),
        select(REQUEST_NAMES),
        owned(REQUEST_RESOURCES),
        count.prop_flat_map(move |n| prop::collection::vec(request_entry(hot.clone()), n)),
    )
        .prop_map(|(service, name, resource, entries)| {
            // Keep 0–3 distinct keys (two entries of one key would just be more values).
            let mut seen = Vec::new();
            let mut context = Vec::new();
            for entry in entries {
                let key = fold(&entry[0].0);
                if !seen.contains(&key) {
                    seen.push(key);
                    context.extend(entry);
                }
            }
            GenRequest {
                action: format!("{service}:{name}"),
                resource,
                context,
            }
        })
}

/// The pool keys that the statements' conditions use.
pub fn hot_keys(policies: &[Vec<GenStatement>]) -> Vec<&'static str> {
    let mut hot: Vec<&'static str> = policies
        .iter()
        .flatten()
        .flat_map(|s| s.conditions.iter().flat_map(|(_, keys)| keys.iter()))
        .filter_map(|c| ALL_KEYS.iter().copied().find(|k| fold(k) == fold(&c.key)))
        .collect();
    hot.sort_unstable();
    hot.dedup();
    hot
}

pub fn policy_statements() -> impl Strategy<Value = Vec<GenStatement>> {
    prop::collection::vec(statement(), 1..=5)
}

pub fn case() -> impl Strategy<Value = (Vec<Vec<GenStatement>>, GenRequest)> {
    prop::collection::vec(policy_statements(), 1..=3).prop_flat_map(|policies| {
        let hot = hot_keys(&policies);
        (Just(policies), request(hot))
    })
}

pub fn to_case((policies, request): (Vec<Vec<GenStatement>>, GenRequest)) -> (Case, Vec<Vec<GenStatement>>) {
    (
        Case {
            policies: policies.iter().map(|p| render_policy(p)).collect(),
            request,
        },
        policies,
    )
}

// ---------------------------------------------------------------------------------------------
// Running a case both ways
// ---------------------------------------------------------------------------------------------

pub fn parse_all(case: &Case) -> Vec<Policy> {
    case.policies
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Policy::parse(&format!("p{i}"), text)
                .unwrap_or_else(|e| panic!("the generator wrote an invalid policy:\n{text}\n{e}"))
        })
        .collect()
}

pub fn build(request: &GenRequest) -> Request {
    let mut builder = Request::builder(&request.action).resource(&request.resource);
    for (key, value) in &request.context {
        builder = builder.context(key, value);
    }
    builder
        .build()
        .unwrap_or_else(|e| panic!("the generator wrote an invalid request {request:?}: {e}"))
}

pub fn describe(case: &Case) -> String {
    let mut out = String::new();
    for (i, p) in case.policies.iter().enumerate() {
        out.push_str(&format!("p{i}: {p}\n"));
    }
    out.push_str(&format!("request: {:?}\n", case.request));
    out
}

pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
