//! The policy reader: step one, [`crate::read::json`], turns text into a tree of values with
//! spans; step two, here, checks that tree against the RAM grammar (SPEC §1) and lowers it into
//! the checked model, which holds only valid policies. Lowering goes on after a mistake so that
//! every error of a document is reported, each with its code.

use std::sync::Arc;

use crate::model::condition::{Condition, Family, Operator, OperatorName, Test, Values};
use crate::model::policy::{
    ActionClause, Effect, PatternText, Policy, PolicyKind, Principal, ResourceClause, Statement, MAX_DOCUMENT_BYTES,
    MAX_STATEMENTS,
};
use crate::model::value::{parse_bool, Decimal, Instant, Network};
use crate::model::wildcard::Pattern;
use crate::read::diagnostic::{Code, Diagnostic, LineIndex, Location, PolicyErrors, Report, Span};
use crate::read::json::{self, CowStr, Key, Node, Value};
use crate::read::suggest::{did_you_mean, suggest};

impl Policy {
    /// Reads an identity policy from JSON text; `name` is used in explanations and errors.
    pub fn parse(name: &str, text: &str) -> Result<Policy, PolicyErrors> {
        Policy::from_bytes(name, name, PolicyKind::Identity, text.as_bytes())
    }

    /// Reads a policy of any kind from bytes. `origin` is where it came from (a file name, or
    /// `<stdin>`); errors carry it.
    pub fn from_bytes(name: &str, origin: &str, kind: PolicyKind, bytes: &[u8]) -> Result<Policy, PolicyErrors> {
        let origin: Arc<str> = origin.into();
        let whole = |message: String, help: Option<&str>, source: &str| PolicyErrors {
            origin: origin.clone(),
            text: source.into(),
            errors: vec![Diagnostic::error(
                Code::JsonSyntax,
                Location {
                    span: Span::new(0, 0),
                    line: 1,
                    column: 1,
                },
                message,
                help.map(Into::into),
            )],
        };
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(whole(
                format!("document is {} bytes, larger than the limit of 1 MiB", bytes.len()),
                Some("RAM itself accepts at most 6,144 characters in a custom policy"),
                "",
            ));
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let valid = std::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default();
                let mut errors = whole("document is not valid UTF-8".into(), Some("save the file as UTF-8"), "");
                if let Some(first) = errors.errors.first_mut() {
                    let at = LineIndex::new(valid).locate(Span::new(valid.len(), valid.len()));
                    first.location = at;
                    first.message = format!(
                        "document is not valid UTF-8 (invalid byte at line {}, column {})",
                        at.line, at.column
                    );
                }
                return Err(errors);
            }
        };
        let parsed = json::parse(text);
        let index = LineIndex::new(text);
        let problems: Vec<Diagnostic> = parsed
            .problems
            .into_iter()
            .map(|p| Diagnostic::error(p.code, index.locate(p.span), p.message, p.help))
            .collect();
        let source: Arc<str> = text.into();
        match &parsed.root {
            Some(root) => Policy::from_node(name, origin, kind, &index, root, &source, problems),
            None => Err(PolicyErrors {
                origin,
                text: source,
                errors: problems,
            }),
        }
    }

    /// Lowers an already-read JSON value (a whole document, or a policy inlined in an account
    /// file) into a policy; `earlier` holds problems the JSON reader found in it.
    pub(crate) fn from_node(
        name: &str,
        origin: Arc<str>,
        kind: PolicyKind,
        index: &LineIndex<'_>,
        root: &Node,
        source: &Arc<str>,
        earlier: Vec<Diagnostic>,
    ) -> Result<Policy, PolicyErrors> {
        let mut lower = Lowering {
            index,
            kind,
            errors: earlier,
        };
        let statements = lower.document(root);
        if !lower.errors.is_empty() {
            lower.errors.sort_by_key(|e| e.location.span.start);
            return Err(PolicyErrors {
                origin,
                text: source.clone(),
                errors: lower.errors,
            });
        }
        let characters = source
            .get(root.span.start..root.span.end)
            .map_or(0, |t| t.chars().count());
        Ok(Policy::new(name, origin, kind, statements, characters))
    }
}

const TOP_ELEMENTS: &[&str] = &["Version", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
];
const PRINCIPAL_ELEMENTS: &[&str] = &["RAM", "Service", "Federated"];

struct Lowering<'a> {
    index: &'a LineIndex<'a>,
    kind: PolicyKind,
    errors: Vec<Diagnostic>,
}

/// The operator name closest to `name`, prefix and `IfExists` suffix included.
fn suggest_operator(name: &str) -> Option<String> {
    let (prefix, rest) = match name.split_once(':') {
        Some((prefix, rest)) => (Some(suggest(prefix, ["ForAnyValue", "ForAllValues"])?), rest),
        None => (None, name),
    };
    let (base, if_exists) = match rest.len().checked_sub("IfExists".len()) {
        Some(at) if rest.get(at..).is_some_and(|s| s.eq_ignore_ascii_case("IfExists")) => {
            (rest.get(..at).unwrap_or(rest), "IfExists")
        }
        _ => (rest, ""),
    };
    let operator = suggest(base, Operator::ALL.iter().map(|o| o.name()))?;
    Some(match prefix {
        Some(p) => format!("{p}:{operator}{if_exists}"),
        None => format!("{operator}{if_exists}"),
    })
}

impl Report for Lowering<'_> {
    fn line_index(&self) -> &LineIndex<'_> {
        self.index
    }

    fn errors_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.errors
    }
}

impl Lowering<'_> {
    fn locate(&self, span: Span) -> Location {
        self.index.locate(span)
    }

    /// Reports an unknown element; returns the element it is probably a misspelling of, so that
    /// a missing-element error is not reported for the same mistake.
    fn unknown_element(&mut self, key: &Key, candidates: &[&'static str], place: &str) -> Option<&'static str> {
        let guess = suggest(&key.text, candidates.iter().copied());
        let help = did_you_mean(&key.text, candidates).or_else(|| {
            Some(format!(
                "{place} has only {}",
                candidates
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        });
        self.diag(
            Code::InvalidElement,
            key.span,
            format!(
                "unknown element `{}` in {place}",
                crate::read::diagnostic::visible(&key.text)
            ),
            help,
        );
        guess
    }

    fn document(&mut self, root: &Node) -> Vec<Statement> {
        let Value::Object(entries) = &root.value else {
            let help = matches!(root.value, Value::Array(_))
                .then(|| "a policy is `{\"Version\": \"1\", \"Statement\": [ ... ]}`".to_owned());
            self.diag(
                Code::InvalidElement,
                root.span,
                format!(
                    "a policy document must be a JSON object, not {}",
                    root.value.type_name()
                ),
                help,
            );
            return Vec::new();
        };
        let mut version = false;
        let mut statements = None;
        let mut misspelled = Vec::new();
        for (key, node) in entries {
            match key.text.as_str() {
                "Version" => {
                    version = true;
                    match &node.value {
                        Value::String(v) if v == "1" => {}
                        Value::String(v) => self.diag(
                            Code::InvalidVersion,
                            node.span,
                            format!("unsupported `Version` `{}`", crate::read::diagnostic::visible(v)),
                            Some("the only policy version is \"1\"".into()),
                        ),
                        Value::Number(n) if n == "1" => self.diag(
                            Code::InvalidVersion,
                            node.span,
                            "`Version` must be the string \"1\", not the number 1".into(),
                            Some("write \"Version\": \"1\"".into()),
                        ),
                        _ => self.diag(
                            Code::InvalidVersion,
                            node.span,
                            format!("`Version` must be the string \"1\", not {}", node.value.type_name()),
                            Some("write \"Version\": \"1\"".into()),
                        ),
                    }
                }
                "Statement" => statements = Some(self.statements(node)),
                _ => misspelled.extend(self.unknown_element(key, TOP_ELEMENTS, "a policy document")),
            }
        }
        if !version && !misspelled.contains(&"Version") {
            self.diag(
                Code::InvalidVersion,
                root.span,
                "missing `Version`".into(),
                Some("add \"Version\": \"1\"".into()),
            );
        }
        match statements {
            Some(s) => s,
            None if misspelled.contains(&"Statement") => Vec::new(),
            None => {
                self.diag(
                    Code::InvalidElement,
                    root.span,
                    "missing `Statement`".into(),
                    Some("add \"Statement\": [ { \"Effect\": ..., \"Action\": ..., \"Resource\": ... } ]".into()),
                );
                Vec::new()
            }
        }
    }

    fn statements(&mut self, node: &Node) -> Vec<Statement> {
        match &node.value {
            Value::Array(items) if items.is_empty() => {
                self.diag(
                    Code::InvalidElement,
                    node.span,
                    "`Statement` must hold at least one statement".into(),
                    None,
                );
                Vec::new()
            }
            Value::Array(items) if items.len() > MAX_STATEMENTS => {
                self.diag(
                    Code::InvalidElement,
                    node.span,
                    format!(
                        "`Statement` has {} statements, more than the limit of {MAX_STATEMENTS}",
                        items.len()
                    ),
                    Some("split the document into several policies".into()),
                );
                Vec::new()
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.statement(i, item))
                .collect(),
            Value::Object(_) => {
                self.diag(
                    Code::InvalidElement,
                    node.span,
                    "`Statement` must be an array, not an object".into(),
                    Some("wrap it in [ ]: \"Statement\": [ { ... } ]".into()),
                );
                // Still check the statement, so that its own mistakes are reported too.
                let _ = self.statement(0, node);
                Vec::new()
            }
            _ => {
                self.wrong_type_as(Code::InvalidElement, node, "`Statement`", "an array of statements");
                Vec::new()
            }
        }
    }

    fn statement(&mut self, index: usize, node: &Node) -> Option<Statement> {
        let Value::Object(entries) = &node.value else {
            self.wrong_type_as(Code::InvalidElement, node, "a statement", "an object");
            return None;
        };
        let errors_before = self.errors.len();
        let mut sid = None;
        let mut effect = None;
        let mut action: Option<(&Key, ActionClause)> = None;
        let mut resource: Option<(&Key, ResourceClause)> = None;
        let mut principal = None;
        let mut conditions = Vec::new();
        let mut misspelled = Vec::new();
        for (key, value) in entries {
            match key.text.as_str() {
                "Sid" => match &value.value {
                    Value::String(s) => sid = Some(Arc::from(s.as_str())),
                    _ => self.wrong_type_as(Code::InvalidElement, value, "`Sid`", "a string"),
                },
                "Effect" => effect = self.effect(value),
                "Action" | "NotAction" => {
                    let patterns = self.patterns(key, value);
                    if let Some((first, _)) = &action {
                        self.diag(
                            Code::MissingAction,
                            key.span,
                            format!("a statement has both `{}` and `{}`", first.text, key.text),
                            Some("use exactly one of `Action` and `NotAction`".into()),
                        );
                    } else if let Some(patterns) = patterns {
                        let clause = if key.text == "Action" {
                            ActionClause::Action(patterns.into())
                        } else {
                            ActionClause::NotAction(patterns.into())
                        };
                        action = Some((key, clause));
                    }
                }
                "Resource" | "NotResource" => {
                    let patterns = self.patterns(key, value);
                    if self.kind == PolicyKind::Trust {
                        self.diag(
                            Code::MissingResource,
                            key.span,
                            format!("a trust policy has no `{}`", key.text),
                            Some("the resource of a trust policy is the role itself; remove the element".into()),
                        );
                    } else if let Some((first, _)) = &resource {
                        self.diag(
                            Code::MissingResource,
                            key.span,
                            format!("a statement has both `{}` and `{}`", first.text, key.text),
                            Some("use exactly one of `Resource` and `NotResource`".into()),
                        );
                    } else if let Some(patterns) = patterns {
                        let clause = if key.text == "Resource" {
                            ResourceClause::Resource(patterns.into())
                        } else {
                            ResourceClause::NotResource(patterns.into())
                        };
                        resource = Some((key, clause));
                    }
                }
                "Condition" => conditions = self.conditions(value),
                "Principal" if !self.kind.has_principal() => self.diag(
                    Code::UnsupportedPrincipal,
                    key.span,
                    "`Principal` is only allowed in resource-based policies".into(),
                    Some("an identity policy applies to whoever it is attached to; remove `Principal`".into()),
                ),
                "Principal" => principal = self.principal(value),
                _ => misspelled.extend(self.unknown_element(key, STATEMENT_ELEMENTS, "a statement")),
            }
        }
        // A key present but invalid was reported where it is: only report truly missing ones.
        let has = |name: &str| entries.iter().any(|(k, _)| k.text == name) || misspelled.contains(&name);
        if !has("Effect") {
            self.diag(
                Code::InvalidEffect,
                node.span,
                "statement has no `Effect`".into(),
                Some("add \"Effect\": \"Allow\" or \"Deny\"".into()),
            );
        }
        if !has("Action") && !has("NotAction") {
            self.diag(
                Code::MissingAction,
                node.span,
                "statement has no `Action` or `NotAction`".into(),
                Some("add \"Action\": \"service:Name\" (wildcards allowed)".into()),
            );
        }
        if self.kind != PolicyKind::Trust && !has("Resource") && !has("NotResource") {
            self.diag(
                Code::MissingResource,
                node.span,
                "statement has no `Resource` or `NotResource`".into(),
                Some("add \"Resource\": \"*\" or the ARNs it applies to".into()),
            );
        }
        if self.kind.has_principal() && !has("Principal") {
            self.diag(
                Code::UnsupportedPrincipal,
                node.span,
                "statement of a resource-based policy has no `Principal`".into(),
                Some("add \"Principal\": {\"RAM\": [\"acs:ram::<account-id>:root\"]}".into()),
            );
        }
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Statement {
            index,
            sid,
            effect: effect?,
            action: action?.1,
            resource: resource.map(|(_, r)| r),
            principal,
            conditions: conditions.into(),
            location: self.locate(node.span),
        })
    }

    fn effect(&mut self, node: &Node) -> Option<Effect> {
        match &node.value {
            Value::String(s) if s == "Allow" => Some(Effect::Allow),
            Value::String(s) if s == "Deny" => Some(Effect::Deny),
            Value::String(s) => {
                let help = did_you_mean(s, &["Allow", "Deny"])
                    .unwrap_or_else(|| "`Effect` is `Allow` or `Deny` (case-sensitive)".into());
                self.diag(
                    Code::InvalidEffect,
                    node.span,
                    format!("invalid `Effect` `{}`", crate::read::diagnostic::visible(s)),
                    Some(help),
                );
                None
            }
            _ => {
                self.wrong_type_as(
                    Code::InvalidEffect,
                    node,
                    "`Effect`",
                    "the string \"Allow\" or \"Deny\"",
                );
                None
            }
        }
    }

    /// A string or a non-empty array of strings; `element` names it in errors.
    fn strings<'n>(&mut self, element: &str, node: &'n Node) -> Option<Vec<(&'n str, Span)>> {
        // Messages are built only on error: this runs for every Action and Resource.
        let what = || format!("`{element}`");
        match &node.value {
            Value::String(s) => Some(vec![(s.as_str(), node.span)]),
            Value::Array(items) if items.is_empty() => {
                self.diag(
                    Code::EmptyValue,
                    node.span,
                    format!("{} must not be an empty array", what()),
                    None,
                );
                None
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match &item.value {
                        Value::String(s) => out.push((s.as_str(), item.span)),
                        _ => {
                            self.wrong_type_as(
                                Code::InvalidElement,
                                item,
                                &format!("every entry of {}", what()),
                                "a string",
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            _ => {
                self.wrong_type_as(Code::InvalidElement, node, &what(), "a string or an array of strings");
                None
            }
        }
    }

    fn patterns(&mut self, key: &Key, node: &Node) -> Option<Vec<PatternText>> {
        let strings = self.strings(&key.text, node)?;
        let mut ok = true;
        for (text, span) in &strings {
            // Control characters are never part of an action or an ARN; written as JSON
            // escapes they would make a pattern that silently never matches.
            if let Some(c) = text.chars().find(|c| c.is_control()) {
                let code = if key.text.ends_with("Action") {
                    Code::InvalidActionFormat
                } else {
                    Code::InvalidArnPrefix
                };
                self.diag(
                    code,
                    *span,
                    format!("`{}` holds the control character U+{:04X}", key.text, u32::from(c)),
                    Some("actions and resources are printable text; remove it".into()),
                );
                ok = false;
            }
        }
        ok.then(|| {
            strings
                .into_iter()
                .map(|(text, span)| PatternText {
                    text: text.into(),
                    location: self.locate(span),
                })
                .collect()
        })
    }

    fn principal(&mut self, node: &Node) -> Option<Principal> {
        let mut principal = Principal {
            location: self.locate(node.span),
            ..Principal::default()
        };
        match &node.value {
            Value::String(s) if s == "*" => principal.any = true,
            Value::Array(_) => {
                for (id, _) in self.strings("Principal", node)? {
                    if id == "*" {
                        principal.any = true;
                    } else {
                        principal.ids.push(id.into());
                    }
                }
            }
            Value::Object(entries) => {
                let before = self.errors.len();
                for (key, value) in entries {
                    let list = match key.text.as_str() {
                        "RAM" => &mut principal.ram,
                        "Service" => &mut principal.service,
                        "Federated" => &mut principal.federated,
                        _ => {
                            let _ = self.unknown_element(key, PRINCIPAL_ELEMENTS, "`Principal`");
                            continue;
                        }
                    };
                    let what = format!("Principal.{}", key.text);
                    if let Some(strings) = self.strings(&what, value) {
                        list.extend(strings.into_iter().map(|(s, _)| Box::from(s)));
                    }
                }
                if self.errors.len() > before {
                    return None;
                }
            }
            _ => {
                self.wrong_type_as(
                    Code::UnsupportedPrincipal,
                    node,
                    "`Principal`",
                    "`\"*\"`, an array of ids, or an object with `RAM`, `Service` or `Federated`",
                );
                return None;
            }
        }
        Some(principal)
    }

    fn conditions(&mut self, node: &Node) -> Vec<Condition> {
        let Value::Object(operators) = &node.value else {
            self.wrong_type_as(Code::InvalidElement, node, "`Condition`", "an object of operators");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (op_key, block) in operators {
            let Some(operator) = OperatorName::parse(&op_key.text) else {
                let help = suggest_operator(&op_key.text).map_or_else(
                    || {
                        "operators are the String…, Numeric…, Date…, Bool and IpAddress/NotIpAddress families"
                            .to_owned()
                    },
                    |c| format!("did you mean `{c}`?"),
                );
                self.diag(
                    Code::InvalidConditionOperator,
                    op_key.span,
                    format!(
                        "unknown condition operator `{}`",
                        crate::read::diagnostic::visible(&op_key.text)
                    ),
                    Some(help),
                );
                continue;
            };
            if operator.operator == Operator::Null && (operator.qualifier.is_some() || operator.if_exists) {
                self.diag(
                    Code::InvalidConditionOperator,
                    op_key.span,
                    format!("`{}` is not an operator", op_key.text),
                    Some("`Null` takes no `ForAnyValue:`/`ForAllValues:` prefix and no `IfExists` suffix".into()),
                );
                continue;
            }
            let Value::Object(keys) = &block.value else {
                self.wrong_type_as(
                    Code::InvalidElement,
                    block,
                    &format!("the `{}` block", op_key.text),
                    "an object of condition keys",
                );
                continue;
            };
            // Folded key → the key as first written: an operator may hold many keys.
            let mut seen: rustc_hash::FxHashMap<String, &str> = rustc_hash::FxHashMap::default();
            for (key, values) in keys {
                let folded = key.text.to_ascii_lowercase();
                if let Some(first) = seen.get(&folded) {
                    self.diag(
                        Code::DuplicateKeys,
                        key.span,
                        format!(
                            "duplicate condition key `{}` under `{}`",
                            crate::read::diagnostic::visible(&key.text),
                            op_key.text
                        ),
                        Some(format!(
                            "condition keys are case-insensitive: this is the same key as `{first}`"
                        )),
                    );
                    continue;
                }
                seen.insert(folded.clone(), key.text.as_str());
                if key.text.is_empty() {
                    self.diag(
                        Code::InvalidConditionKeyFormat,
                        key.span,
                        "a condition key must not be empty".into(),
                        None,
                    );
                    continue;
                }
                if let Some(condition) = self.condition(operator, key, folded, values) {
                    out.push(condition);
                }
            }
        }
        out
    }

    fn condition(&mut self, operator: OperatorName, key: &Key, folded: String, node: &Node) -> Option<Condition> {
        // Condition values may be JSON numbers and booleans, read as their text (SPEC §1).
        let scalar = Node::scalar_text;
        let mut raw: Vec<(String, Span)> = Vec::new();
        match &node.value {
            Value::Array(items) if items.is_empty() => {
                self.diag(
                    Code::EmptyValue,
                    node.span,
                    format!("the values of `{}` must not be an empty array", key.text),
                    None,
                );
                return None;
            }
            Value::Array(items) => {
                let mut ok = true;
                for item in items {
                    match scalar(item) {
                        Some(s) => raw.push((s, item.span)),
                        None => {
                            self.wrong_type_as(
                                Code::DataTypeMismatch,
                                item,
                                &format!("every value of `{}`", key.text),
                                "a string",
                            );
                            ok = false;
                        }
                    }
                }
                if !ok {
                    return None;
                }
            }
            _ => match scalar(node) {
                Some(s) => raw.push((s, node.span)),
                None => {
                    self.wrong_type_as(
                        Code::DataTypeMismatch,
                        node,
                        &format!("the value of `{}`", key.text),
                        "a string or an array of strings",
                    );
                    return None;
                }
            },
        }
        let family = operator.operator.family();
        let before = self.errors.len();
        let bad = |this: &mut Self, span: Span, text: &str| {
            this.diag(
                Code::DataTypeMismatch,
                span,
                format!(
                    "`{}` is not a valid value for `{}`",
                    crate::read::diagnostic::visible(text),
                    operator.operator
                ),
                Some(format!("expected {}", family.expected())),
            );
        };
        macro_rules! parse_all {
            ($parse:expr) => {{
                let mut out = Vec::with_capacity(raw.len());
                for (text, span) in &raw {
                    match $parse(text.as_str()) {
                        Some(v) => out.push(v),
                        None => bad(self, *span, text),
                    }
                }
                out
            }};
        }
        let values = match family {
            Family::String if operator.operator.test() == Test::Like => {
                Values::Patterns(parse_all!(|t| Some(Pattern::new(t))))
            }
            Family::String => Values::Text(parse_all!(|t: &str| Some(Box::<str>::from(t)))),
            Family::Numeric => Values::Numbers(parse_all!(Decimal::parse)),
            Family::Date => Values::Dates(parse_all!(Instant::parse)),
            Family::Bool => Values::Bools(parse_all!(parse_bool)),
            Family::Ip => Values::Networks(parse_all!(Network::parse)),
            Family::Null => {
                let flags = parse_all!(|t: &str| match t {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                });
                match flags.as_slice() {
                    [one] => Values::Null(*one),
                    [] => return None,
                    _ => {
                        self.diag(
                            Code::InvalidConditionMultipleBoolean,
                            node.span,
                            format!("`Null` takes one value for `{}`", key.text),
                            Some("write \"true\" (the key must be absent) or \"false\" (it must be present)".into()),
                        );
                        return None;
                    }
                }
            }
        };
        if self.errors.len() > before {
            return None;
        }
        Some(Condition {
            text_order: Condition::text_order(operator.operator, &values),
            operator,
            key: key.text.as_str().into(),
            key_folded: folded.into(),
            raw_values: raw.into_iter().map(|(s, _)| s.into()).collect(),
            values,
            location: self.locate(key.span),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(u32, u32, String)> {
        let e = Policy::parse("p", text).unwrap_err();
        e.errors
            .iter()
            .map(|e| {
                (
                    e.location.line,
                    e.location.column,
                    format!("{} {}", e.message, e.help.clone().unwrap_or_default()),
                )
            })
            .collect()
    }

    /// The code of every mistake the reader reports, in document order.
    fn codes(kind: PolicyKind, text: &str) -> Vec<&'static str> {
        let e = Policy::from_bytes("p", "p.json", kind, text.as_bytes()).unwrap_err();
        e.errors.iter().map(|e| e.code.map_or("none", Code::as_str)).collect()
    }

    #[test]
    fn every_reader_error_has_its_lint_code() {
        let identity = PolicyKind::Identity;
        for (kind, text, want) in [
            (identity, r#"{"Version": "1", "Statement": [}"#, vec!["RAM001"]),
            (identity, "\u{feff}{,}", vec!["RAM001"]),
            (
                identity,
                r#"{"Version": "1", "Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                vec!["RAM002"],
            ),
            (
                identity,
                r#"{"Version": "2", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                vec!["RAM003"],
            ),
            (
                identity,
                r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                vec!["RAM003"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
                vec!["RAM004"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Foo": 1}]}"#,
                vec!["RAM004"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}"#,
                vec!["RAM005"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Resource": "*"}]}"#,
                vec!["RAM006"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*"}]}"#,
                vec!["RAM007"],
            ),
            (
                PolicyKind::Trust,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Principal": "*"}]}"#,
                vec!["RAM007"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:\u0001", "Resource": "*"}]}"#,
                vec!["RAM008"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqual": {"a:b": "c"}}}]}"#,
                vec!["RAM012"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.300"}}}]}"#,
                vec!["RAM013"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Null": {"a:b": ["true", "false"]}}}]}"#,
                vec!["RAM014"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"": "true"}}}]}"#,
                vec!["RAM015"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}"#,
                vec!["RAM017"],
            ),
            (
                identity,
                r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#,
                vec!["RAM019"],
            ),
        ] {
            assert_eq!(codes(kind, text), want, "{text}");
        }
    }

    #[test]
    fn reads_a_system_policy() {
        let p = Policy::parse(
            "x",
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["polardb:*"], "Resource": "*",
               "Condition": {"StringEquals": {"ram:ServiceName": "polardb.aliyuncs.com"}, "Bool": {"acs:MFAPresent": true}}}]}"#,
        )
        .unwrap();
        let s = &p.statements()[0];
        assert_eq!(s.effect, Effect::Allow);
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[1].raw_values[0].as_ref(), "true");
    }

    #[test]
    fn five_mistakes_five_errors() {
        let text = r#"{
  "Version": 1,
  "Statement": [
    {"Effect": "allow", "Action": [], "Resource": "*"},
    {"Effect": "Deny", "Action": "ecs:*", "Resources": "*",
     "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.300"}}}
  ]
}"#;
        let e = errors(text);
        assert_eq!(e.len(), 5, "{e:#?}");
        assert_eq!((e[0].0, e[0].1), (2, 14));
        assert!(e[1].2.contains("did you mean `Allow`"), "{e:?}");
        assert_eq!((e[2].0, e[2].1), (4, 35));
        assert!(e[3].2.contains("did you mean `Resource`"), "{e:?}");
        assert_eq!((e[3].0, e[3].1), (5, 43));
        assert!(e[4].2.contains("10.0.0.300"), "{e:?}");
    }

    #[test]
    fn single_statement_object_gets_help() {
        let e = errors(r#"{"Version": "1", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#);
        assert_eq!(e.len(), 1);
        assert!(e[0].2.contains("wrap it in [ ]"));
    }

    #[test]
    fn condition_keys_are_case_insensitive_duplicates() {
        let e = errors(
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"StringEquals": {"acs:SourceVpc": "a", "acs:sourcevpc": "b"}}}]}"#,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].2.contains("duplicate condition key"));
    }

    #[test]
    fn unknown_operator_suggests() {
        let e = errors(
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"StringEqual": {"a:b": "a"}, "ForAllValues:stringlikeIfExists": {"a:c": "x"}}}]}"#,
        );
        assert_eq!(e.len(), 2);
        assert!(e[0].2.contains("did you mean `StringEquals`"), "{e:?}");
        assert!(
            e[1].2.contains("did you mean `ForAllValues:StringLikeIfExists`"),
            "{e:?}"
        );
    }

    #[test]
    fn limits_and_encodings() {
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        let e = Policy::from_bytes("p", "big.json", PolicyKind::Identity, &big).unwrap_err();
        assert!(e.errors[0].message.contains("1 MiB"));
        let e = Policy::from_bytes("p", "bad.json", PolicyKind::Identity, b"{\n  \"a\xff\": 1}").unwrap_err();
        assert_eq!((e.errors[0].location.line, e.errors[0].location.column), (2, 5));
        let bom = b"\xEF\xBB\xBF{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}";
        assert!(Policy::from_bytes("p", "bom.json", PolicyKind::Identity, bom).is_ok());
    }
}
