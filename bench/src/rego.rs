//! The Rego translation for Regorus: one `deny` or `allow` rule body per RAM statement and a
//! deny-overrides `decision`. The input carries the request's action (folded to lower case), its
//! resource, and its condition keys (folded) each read as text and, where it parses, as a bool,
//! an IP address text and epoch milliseconds.

use std::sync::Arc;

use ram_policy::Decision;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::RegoVM;
use regorus::{Engine, Value};
use serde_json::{json, Map};

use crate::common::{
    check_operator, fold, ip_text, is_wildcard, pattern, policy_bools, policy_dates, policy_network, typed_context,
};
use crate::workload::{CondSpec, RequestSpec, StatementSpec, Workload};

/// The rule a gateway queries.
pub const ENTRY: &str = "data.ram.decision";

const PRELUDE: &str = r#"package ram

# RAM basic evaluation (SPEC §5): any applicable Deny wins, then any applicable Allow.
default decision := "ImplicitDeny"

decision := "ExplicitDeny" if {
	deny
} else := "Allow" if {
	allow
}

# A value against several RAM patterns, sorted into exact texts, `prefix*` patterns (as their
# prefixes) and other wildcard patterns (as globs whose `*` crosses every character).
any_match(exact, _, _, value) if value in exact

any_match(_, prefixes, _, value) if {
	some p in prefixes
	startswith(value, p)
}

any_match(_, _, globs, value) if {
	some g in globs
	glob.match(g, null, value)
}

ip_any(cidrs, address) if {
	some c in cidrs
	net.cidr_contains(c, address)
}

# In a Deny statement a request value that does not parse for the operator counts as a match
# (SPEC §3, fail closed); the key must still be present.
deny_ip(v, cidrs) if ip_any(cidrs, v.ip)

deny_ip(v, _) if object.get(v, "ip", null) == null

deny_bool(v, values) if v.b in values

deny_bool(v, _) if object.get(v, "b", null) == null

deny_date_lt(v, limit) if v.t < limit

deny_date_lt(v, _) if object.get(v, "t", null) == null

"#;

/// A Rego string literal.
fn literal(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// A RAM pattern as a glob pattern: glob's own metacharacters other than `*` and `?` escaped.
fn glob(ram_pattern: &str) -> String {
    let mut out = String::new();
    for c in pattern(ram_pattern).chars() {
        if matches!(c, '\\' | '[' | ']' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The fixed part of a `prefix*` pattern (one wildcard, a trailing `*`): `startswith` decides it
/// without Regorus's `glob.match`, which sets up a regex cache on every call.
fn prefix(pattern: &str) -> Option<&str> {
    pattern.strip_suffix('*').filter(|rest| !is_wildcard(rest))
}

fn list(items: impl IntoIterator<Item = String>, open: &str, close: &str) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("{open}{}{close}", items.join(", "))
}

/// A Rego set literal (`{}` would be an empty object).
fn set(items: impl IntoIterator<Item = String>) -> String {
    let text = list(items, "{", "}");
    if text == "{}" {
        "set()".into()
    } else {
        text
    }
}

/// `expr` matched against any of the patterns: `==` / `in` without wildcards, `startswith` for
/// `prefix*`, `glob.match` with `null` delimiters (`*` crosses every character) otherwise;
/// `None` for a lone `*`.
fn any_pattern(expr: &str, patterns: &[String]) -> Option<String> {
    let patterns: Vec<String> = patterns.iter().map(|p| pattern(p)).collect();
    if patterns.iter().any(|p| p == "*") {
        return None;
    }
    Some(match patterns.as_slice() {
        [p] if !is_wildcard(p) => format!("{expr} == {}", literal(p)),
        [p] if prefix(p).is_some() => format!("startswith({expr}, {})", literal(prefix(p).unwrap_or_default())),
        [p] => format!("glob.match({}, null, {expr})", literal(&glob(p))),
        ps if ps.iter().all(|p| !is_wildcard(p)) => format!("{expr} in {}", set(ps.iter().map(|p| literal(p)))),
        ps => {
            let exact = ps.iter().filter(|p| !is_wildcard(p)).map(|p| literal(p));
            let prefixes = ps.iter().filter_map(|p| prefix(p)).map(literal);
            let globs = ps
                .iter()
                .filter(|p| is_wildcard(p) && prefix(p).is_none())
                .map(|p| literal(&glob(p)));
            format!(
                "any_match({}, {}, {}, {expr})",
                set(exact),
                list(prefixes, "[", "]"),
                list(globs, "[", "]")
            )
        }
    })
}

/// One condition; an absent key leaves `input.keys[k]` undefined, which makes it false.
fn condition(c: &CondSpec, deny: bool) -> String {
    check_operator(c);
    let value = format!("input.keys[{}]", literal(&fold(&c.key)));
    match c.op {
        "StringEquals" => match c.values.as_slice() {
            [v] => format!("{value}.s == {}", literal(v)),
            vs => format!("{value}.s in {}", set(vs.iter().map(|v| literal(v)))),
        },
        "StringLike" => any_pattern(&format!("{value}.s"), &c.values).unwrap_or_else(|| format!("{value}.s")),
        "IpAddress" => {
            let cidrs: Vec<String> = c.values.iter().map(|v| literal(&policy_network(v))).collect();
            match (deny, cidrs.as_slice()) {
                (true, _) => format!("deny_ip({value}, {})", list(cidrs, "[", "]")),
                (false, [one]) => format!("net.cidr_contains({one}, {value}.ip)"),
                (false, _) => format!("ip_any({}, {value}.ip)", list(cidrs, "[", "]")),
            }
        }
        "Bool" => {
            let values = policy_bools(c);
            match (deny, values.as_slice()) {
                (true, _) => format!("deny_bool({value}, {})", set(values.iter().map(bool::to_string))),
                (false, [one]) => format!("{value}.b == {one}"),
                (false, _) => format!("{value}.b in {}", set(values.iter().map(bool::to_string))),
            }
        }
        "DateLessThan" => {
            // Less than any of the values = less than the latest.
            let limit = policy_dates(c).into_iter().max().unwrap_or(i64::MIN);
            if deny {
                format!("deny_date_lt({value}, {limit})")
            } else {
                format!("{value}.t < {limit}")
            }
        }
        other => unreachable!("check_operator admitted {other}"),
    }
}

fn statement(id: &str, s: &StatementSpec) -> String {
    let mut lines = Vec::new();
    let actions: Vec<String> = s.actions.iter().map(|a| fold(a)).collect();
    lines.extend(any_pattern("input.action", &actions));
    lines.extend(any_pattern("input.resource", &s.resources));
    for c in &s.conditions {
        lines.push(condition(c, !s.allow));
    }
    if lines.is_empty() {
        lines.push("true".into());
    }
    let head = if s.allow { "allow" } else { "deny" };
    format!("\n# {id}\n{head} if {{\n\t{}\n}}\n", lines.join("\n\t"))
}

/// Size of a module, at most: Regorus reads at most 1 MiB and 20,000 lines per module, and
/// evaluates a set in a few large modules faster than in one module per RAM policy (a quarter
/// faster at 10,000 statements).
const MODULE_BYTES: usize = 512 * 1024;
const MODULE_LINES: usize = 15_000;

/// The workload as Rego modules of one package, as (file name, text): the prelude, then the
/// statements, whole RAM policies per module, each module up to about `MODULE_BYTES` and
/// `MODULE_LINES`.
pub fn translate(workload: &Workload) -> Vec<(String, String)> {
    let mut modules = vec![("ram.rego".to_owned(), PRELUDE.to_owned())];
    let mut text = String::new();
    let mut lines = 0;
    for policy in &workload.policies {
        if text.len() >= MODULE_BYTES || lines >= MODULE_LINES {
            modules.push((format!("statements-{}.rego", modules.len()), std::mem::take(&mut text)));
            lines = 0;
        }
        if text.is_empty() {
            text.push_str("package ram\n");
        }
        let mut piece = format!("\n# RAM policy {}\n", policy.name);
        for (i, s) in policy.statements.iter().enumerate() {
            piece.push_str(&statement(&format!("{}[{i}]", policy.name), s));
        }
        lines += piece.matches('\n').count();
        text.push_str(&piece);
    }
    if !text.is_empty() {
        modules.push((format!("statements-{}.rego", modules.len()), text));
    }
    modules
}

fn engine(modules: &[(String, String)]) -> Result<Engine, String> {
    let mut engine = Engine::new();
    for (name, text) in modules {
        engine
            .add_policy(name.clone(), text.clone())
            .map_err(|e| format!("Regorus rejects {name}: {e}"))?;
    }
    Ok(engine)
}

/// The input document for a RAM request.
pub fn input(spec: &RequestSpec) -> Value {
    let mut keys = Map::new();
    for (key, typed) in typed_context(spec) {
        let mut record = Map::new();
        record.insert("s".into(), json!(typed.text));
        if let Some(b) = typed.boolean {
            record.insert("b".into(), json!(b));
        }
        if let Some(address) = typed.address {
            record.insert("ip".into(), json!(ip_text(address)));
        }
        if let Some(ms) = typed.millis {
            record.insert("t".into(), json!(ms));
        }
        keys.insert(key, serde_json::Value::Object(record));
    }
    let doc = json!({"action": fold(&spec.action), "resource": spec.resource, "keys": keys});
    Value::from_json_str(&doc.to_string()).unwrap_or_else(|e| panic!("Regorus input for {}: {e}", spec.action))
}

fn decision(value: &Value) -> Result<Decision, String> {
    match value.as_string().map(|s| s.as_ref().to_owned()).as_deref() {
        Ok("Allow") => Ok(Decision::Allow),
        Ok("ExplicitDeny") => Ok(Decision::ExplicitDeny),
        Ok("ImplicitDeny") => Ok(Decision::ImplicitDeny),
        _ => Err(format!("Regorus returned {value}")),
    }
}

/// The policy loaded into Regorus's tree-walking interpreter.
pub struct Interpreter {
    engine: Engine,
}

impl Interpreter {
    pub fn new(modules: &[(String, String)]) -> Result<Interpreter, String> {
        Ok(Interpreter {
            engine: engine(modules)?,
        })
    }

    /// A gateway's work per request: set the input, evaluate the decision rule.
    pub fn decide(&mut self, input: &Value) -> Result<Decision, String> {
        self.engine.set_input(input.clone());
        let value = self
            .engine
            .eval_rule(ENTRY.to_owned())
            .map_err(|e| format!("Regorus: {e}"))?;
        decision(&value)
    }
}

/// The policy compiled to bytecode for the Regorus virtual machine (RVM).
pub struct Vm {
    vm: RegoVM,
}

impl Vm {
    pub fn new(modules: &[(String, String)]) -> Result<Vm, String> {
        let mut engine = engine(modules)?;
        let compiled = engine
            .compile_with_entrypoint(&ENTRY.into())
            .map_err(|e| format!("Regorus compile: {e}"))?;
        let program: Arc<_> =
            Compiler::compile_from_policy(&compiled, &[ENTRY]).map_err(|e| format!("RVM compile: {e}"))?;
        let mut vm = RegoVM::new_with_policy(compiled);
        vm.load_program(program);
        vm.set_max_instructions(usize::MAX);
        Ok(Vm { vm })
    }

    /// A gateway's work per request: set the input, run the program.
    pub fn decide(&mut self, input: &Value) -> Result<Decision, String> {
        self.vm.set_input(input.clone());
        let value = self.vm.execute().map_err(|e| format!("RVM: {e}"))?;
        decision(&value)
    }
}
