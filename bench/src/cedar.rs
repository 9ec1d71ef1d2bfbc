//! The Cedar translation: one `permit` (Allow) or `forbid` (Deny) per RAM statement, over a
//! context that carries the request's action (folded to lower case), its resource, and its
//! condition keys (folded) each read as text and, where it parses, as a bool, an `ipaddr` and a
//! `datetime`.

use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request};
use ram_policy::Decision;
use serde_json::{json, Map, Value};

use crate::common::{
    cedar_datetime, check_operator, fold, ip_text, is_wildcard, pattern, policy_bools, policy_dates, policy_network,
    typed_context,
};
use crate::workload::{CondSpec, RequestSpec, StatementSpec, Workload};

/// A Cedar string literal.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `expr` matched against one RAM wildcard pattern: `==` without a wildcard, `like` with one.
/// Cedar's `like` knows `*` only; RAM's `?` (exactly one character) has no Cedar equivalent.
fn matches(expr: &str, ram_pattern: &str) -> String {
    let p = pattern(ram_pattern);
    if !is_wildcard(&p) {
        return format!("{expr} == {}", literal(&p));
    }
    assert!(
        !p.contains('?'),
        "pattern {ram_pattern:?} uses `?`, which Cedar's `like` cannot express (see bench/README.md)"
    );
    // In a `like` pattern `\*` is a literal star; RAM has no literal star, so every `*` stays.
    format!("{expr} like {}", literal(&p))
}

/// A disjunction of the patterns; `None` when one of them is a lone `*` (always true).
fn any_pattern(expr: &str, patterns: &[String]) -> Option<String> {
    if patterns.iter().any(|p| pattern(p) == "*") {
        return None;
    }
    let tests: Vec<String> = patterns.iter().map(|p| matches(expr, p)).collect();
    Some(if tests.len() == 1 {
        tests.join("")
    } else {
        format!("({})", tests.join(" || "))
    })
}

/// One condition. An absent key makes it false (every covered operator is positive). For a typed
/// operator, a request value that does not parse makes it false in a `permit` and true in a
/// `forbid` (SPEC §3, fail closed).
fn condition(c: &CondSpec, deny: bool) -> String {
    check_operator(c);
    let key = literal(&fold(&c.key));
    let value = format!("context.keys[{key}]");
    let present = format!("context.keys has {key}");
    let or = |tests: Vec<String>| {
        if tests.len() == 1 {
            tests.join("")
        } else {
            format!("({})", tests.join(" || "))
        }
    };
    let typed = |field: &str, tests: Vec<String>| {
        if deny {
            format!("{present} && (!({value} has {field}) || {})", or(tests))
        } else {
            format!("{present} && {value} has {field} && {}", or(tests))
        }
    };
    match c.op {
        "StringEquals" => {
            let tests = c
                .values
                .iter()
                .map(|v| format!("{value}.s == {}", literal(v)))
                .collect();
            format!("{present} && {}", or(tests))
        }
        "StringLike" => {
            let tests = c.values.iter().map(|v| matches(&format!("{value}.s"), v)).collect();
            format!("{present} && {}", or(tests))
        }
        "IpAddress" => typed(
            "ip",
            c.values
                .iter()
                .map(|v| format!("{value}.ip.isInRange(ip({}))", literal(&policy_network(v))))
                .collect(),
        ),
        "Bool" => typed(
            "b",
            policy_bools(c).iter().map(|b| format!("{value}.b == {b}")).collect(),
        ),
        "DateLessThan" => typed(
            "t",
            policy_dates(c)
                .iter()
                .map(|ms| {
                    let text = cedar_datetime(*ms).unwrap_or_else(|| panic!("date {ms} ms is outside Cedar's range"));
                    format!("{value}.t < datetime({})", literal(&text))
                })
                .collect(),
        ),
        other => unreachable!("check_operator admitted {other}"),
    }
}

fn statement(id: &str, s: &StatementSpec) -> String {
    let mut clauses = Vec::new();
    let actions: Vec<String> = s.actions.iter().map(|a| fold(a)).collect();
    clauses.extend(any_pattern("context.action", &actions));
    clauses.extend(any_pattern("context.resource", &s.resources));
    for c in &s.conditions {
        let text = condition(c, !s.allow);
        // `&&` binds tighter than `||`; the pieces are already parenthesised where they OR.
        clauses.push(text);
    }
    let effect = if s.allow { "permit" } else { "forbid" };
    if clauses.is_empty() {
        format!("@id({})\n{effect} (principal, action, resource);\n", literal(id))
    } else {
        format!(
            "@id({})\n{effect} (principal, action, resource)\nwhen {{\n  {}\n}};\n",
            literal(id),
            clauses.join("\n  && ")
        )
    }
}

/// The whole workload as Cedar policy text.
pub fn translate(workload: &Workload) -> String {
    let mut out = String::new();
    for policy in &workload.policies {
        for (i, s) in policy.statements.iter().enumerate() {
            out.push_str(&statement(&format!("{}[{i}]", policy.name), s));
        }
    }
    out
}

/// The Cedar request for a RAM request: fixed principal/action/resource entities, the RAM
/// request in the context.
pub fn request(spec: &RequestSpec) -> Request {
    let mut keys = Map::new();
    for (key, typed) in typed_context(spec) {
        let mut record = Map::new();
        record.insert("s".into(), Value::String(typed.text));
        if let Some(b) = typed.boolean {
            record.insert("b".into(), Value::Bool(b));
        }
        if let Some(address) = typed.address {
            record.insert("ip".into(), json!({"__extn": {"fn": "ip", "arg": ip_text(address)}}));
        }
        if let Some(text) = typed.millis.and_then(cedar_datetime) {
            record.insert("t".into(), json!({"__extn": {"fn": "datetime", "arg": text}}));
        }
        keys.insert(key, Value::Object(record));
    }
    let context = json!({
        "action": fold(&spec.action),
        "resource": spec.resource,
        "keys": Value::Object(keys),
    });
    let context =
        Context::from_json_value(context, None).unwrap_or_else(|e| panic!("Cedar context for {}: {e}", spec.action));
    let uid = |text: &str| EntityUid::from_str(text).unwrap_or_else(|e| panic!("entity {text}: {e}"));
    Request::new(
        uid(r#"Ram::Principal::"caller""#),
        uid(r#"Ram::Action::"request""#),
        uid(r#"Ram::Resource::"target""#),
        context,
        None,
    )
    .unwrap_or_else(|e| panic!("Cedar request for {}: {e}", spec.action))
}

/// A loaded Cedar policy set.
pub struct Cedar {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
}

impl Cedar {
    /// Parses the translated text.
    pub fn new(text: &str) -> Result<Cedar, String> {
        let policies = PolicySet::from_str(text).map_err(|e| format!("Cedar rejects the translation: {e:?}"))?;
        Ok(Cedar {
            policies,
            entities: Entities::empty(),
            authorizer: Authorizer::new(),
        })
    }

    /// The decision: a `forbid` among the reasons ⇒ ExplicitDeny, Allow ⇒ Allow, else ImplicitDeny.
    pub fn decide(&self, request: &Request) -> Decision {
        let response = self.authorizer.is_authorized(request, &self.policies, &self.entities);
        match response.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny if response.diagnostics().reason().next().is_some() => Decision::ExplicitDeny,
            cedar_policy::Decision::Deny => Decision::ImplicitDeny,
        }
    }

    /// The decision, and the evaluation errors Cedar reports (the translation guards every
    /// access, so there should be none).
    pub fn decide_checked(&self, request: &Request) -> (Decision, Vec<String>) {
        let response = self.authorizer.is_authorized(request, &self.policies, &self.entities);
        let errors = response.diagnostics().errors().map(|e| e.to_string()).collect();
        (self.decide(request), errors)
    }
}
