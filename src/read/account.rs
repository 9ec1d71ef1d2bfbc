//! The account-file reader (SPEC §8.1), on the same span-keeping JSON reader as policies: every
//! mistake (an unknown policy name, an unknown group, a bad path, an invalid policy inside) is
//! reported with its file and place, all at once. Files the account names come through the
//! caller's [`Resolver`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::model::account::{Account, AccountErrors, Attachment, Role, User};
use crate::model::policy::{Policy, PolicyKind};
use crate::read::diagnostic::{Diagnostic, LineIndex, PolicyErrors, Report, Span};
use crate::read::json::{self, CowStr, Key, Node, Value};
use crate::read::resolve::{FileResolver, Resolver};
use crate::read::source::decode_document;
use crate::read::source::read_document;
use crate::read::suggest::suggest;
use crate::read::system;

/// A named policy of the `policies` table, read but not yet lowered: it is lowered for each
/// kind it is used as (identity, trust, control, resource).
enum Named<'a> {
    /// A document of its own file.
    File { origin: Arc<str>, text: Arc<str> },
    /// A document written inside the account file.
    Inline(Node<'a>),
}

struct Reader<'a> {
    origin: Arc<str>,
    text: Arc<str>,
    index: LineIndex<'a>,
    resolver: &'a dyn Resolver,
    errors: Vec<Diagnostic>,
    /// Documents other than the account file that have mistakes.
    documents: Vec<PolicyErrors>,
    named: BTreeMap<String, Named<'a>>,
    /// Lowered named policies by (name, kind); `None` when lowering failed (reported once).
    lowered: HashMap<(String, PolicyKind), Option<Policy>>,
}

const TOP: &[&str] = &[
    "account_id",
    "policies",
    "users",
    "groups",
    "roles",
    "control_policies",
    "resource_policies",
];

impl Account {
    /// Reads an account file; policy paths in it are relative to its folder.
    pub fn from_file(path: &Path) -> Result<Account, AccountErrors> {
        let origin = path.display().to_string();
        let fail = |message: String| AccountErrors {
            documents: vec![PolicyErrors {
                origin: origin.as_str().into(),
                text: "".into(),
                errors: vec![whole_file_error(message)],
            }],
        };
        let bytes = read_limited(path).map_err(fail)?;
        let text = decode_document(&bytes).map_err(fail)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Account::parse(&origin, text, &FileResolver::new(base))
    }

    /// Reads an account file's text; `origin` names it in errors, and `resolver` gives the
    /// documents its `policies` table names by path (the engine opens no file by itself).
    pub fn parse(origin: &str, text: &str, resolver: &dyn Resolver) -> Result<Account, AccountErrors> {
        let mut reader = Reader {
            origin: origin.into(),
            text: text.into(),
            index: LineIndex::new(text),
            resolver,
            errors: Vec::new(),
            documents: Vec::new(),
            named: BTreeMap::new(),
            lowered: HashMap::new(),
        };
        let parsed = json::parse(text);
        for p in parsed.problems {
            reader.error_help(p.span, p.message, p.help);
        }
        let account = parsed.root.as_ref().and_then(|root| reader.account(root));
        let mut documents = Vec::new();
        if !reader.errors.is_empty() {
            reader.errors.sort_by_key(|e| e.location.span.start);
            documents.push(PolicyErrors {
                origin: reader.origin.clone(),
                text: reader.text.clone(),
                errors: std::mem::take(&mut reader.errors),
            });
        }
        documents.append(&mut reader.documents);
        match account {
            Some(account) if documents.is_empty() => Ok(account),
            _ => Err(AccountErrors { documents }),
        }
    }
}

/// Whether a `resource_policies` key names a role: `acs:ram:<region>:<account>:role/…`.
fn names_a_role(pattern: &str) -> bool {
    let mut parts = pattern.splitn(5, ':');
    parts.next() == Some("acs")
        && parts.next() == Some("ram")
        && parts.nth(2).is_some_and(|relative| relative.starts_with("role/"))
}

fn whole_file_error(message: String) -> Diagnostic {
    Diagnostic {
        code: None,
        severity: crate::read::diagnostic::Severity::Error,
        location: crate::read::diagnostic::Location {
            span: Span::default(),
            line: 1,
            column: 1,
        },
        message,
        help: None,
    }
}

/// Reads a document file for the account reader: errors name the file.
fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    read_document(path).map_err(|reason| format!("cannot read `{}`: {reason}", path.display()))
}

impl Report for Reader<'_> {
    fn line_index(&self) -> &LineIndex<'_> {
        &self.index
    }

    fn errors_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.errors
    }
}

impl<'a> Reader<'a> {
    fn object<'n, 'd>(&mut self, node: &'n Node<'d>, what: &str) -> &'n [(Key<'d>, Node<'d>)] {
        match &node.value {
            Value::Object(entries) => entries,
            _ => {
                self.wrong_type(node, what, "an object");
                &[]
            }
        }
    }

    /// RAM names users, groups and roles with letters, digits and `.`, `_`, `-`, `@`, at most
    /// 64 characters; anything else (an empty name, a space, a control character) would give
    /// principals and ARNs no request can name.
    fn check_name(&mut self, name: &Key, what: &str) {
        let ok = !name.text.is_empty()
            && name.text.len() <= 64
            && name
                .text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
        if !ok {
            self.error_help(
                name.span,
                format!("invalid {what} name `{}`", crate::read::diagnostic::visible(&name.text)),
                Some(format!(
                    "a {what} name has 1 to 64 letters, digits, `.`, `_`, `-` or `@`"
                )),
            );
        }
    }

    fn unknown_key(&mut self, key: &Key, allowed: &[&str], place: &str) {
        let help = suggest(&key.text, allowed.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| {
                Some(format!(
                    "{place} has {}",
                    allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                ))
            });
        self.error_help(
            key.span,
            format!(
                "unknown key `{}` in {place}",
                crate::read::diagnostic::visible(&key.text)
            ),
            help,
        );
    }

    fn account(&mut self, root: &Node<'a>) -> Option<Account> {
        let Value::Object(entries) = &root.value else {
            self.wrong_type(root, "an account file", "a JSON object");
            return None;
        };
        // The policy table first: every other section refers to it.
        if let Some((_, node)) = entries.iter().find(|(k, _)| k.text == "policies") {
            self.policy_table(node);
        }
        let mut account_id = None;
        let mut users = BTreeMap::new();
        let mut groups = BTreeMap::new();
        let mut roles = BTreeMap::new();
        let mut control_levels = Vec::new();
        let mut resource_policies = Vec::new();
        let mut group_refs: Vec<(String, Span)> = Vec::new();
        for (key, node) in entries {
            match key.text.as_str() {
                "account_id" => match &node.value {
                    Value::String(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                        account_id = Some(Box::<str>::from(id.as_str()));
                    }
                    _ => self.error_help(
                        node.span,
                        "`account_id` must be the account's numeric id as a string".into(),
                        Some("for example \"account_id\": \"123456789012\"".into()),
                    ),
                },
                "policies" => {}
                "users" => {
                    for (name, user) in self.object(node, "`users`") {
                        self.check_name(name, "user");
                        let u = self.user(&name.text, user, &mut group_refs);
                        users.insert(name.text.to_string(), u);
                    }
                }
                "groups" => {
                    for (name, group) in self.object(node, "`groups`") {
                        self.check_name(name, "group");
                        let mut attachments = Vec::new();
                        for (key, value) in self.object(group, "a group") {
                            match key.text.as_str() {
                                "policies" => attachments = self.attachments(&format!("groups.{}", name.text), value),
                                _ => self.unknown_key(key, &["policies"], "a group"),
                            }
                        }
                        groups.insert(name.text.to_string(), attachments);
                    }
                }
                "roles" => {
                    for (name, role) in self.object(node, "`roles`") {
                        self.check_name(name, "role");
                        let r = self.role(&name.text, role);
                        roles.insert(name.text.to_string(), r);
                    }
                }
                "control_policies" => control_levels = self.control_policies(node),
                "resource_policies" => {
                    for (pattern, reference) in self.object(node, "`resource_policies`") {
                        let label = format!("resource_policies.{}", pattern.text);
                        if names_a_role(&pattern.text) {
                            // SPEC §8.1: a role's resource policy is its trust policy.
                            self.error_help(
                                pattern.span,
                                format!(
                                    "`resource_policies` key `{}` names a role, but a role's resource policy is its `trust_policy`",
                                    crate::read::diagnostic::visible(&pattern.text)
                                ),
                                Some("give the policy as the role's `trust_policy` under `roles`".into()),
                            );
                            continue;
                        }
                        if let Some(p) = self.reference(reference, PolicyKind::Resource, &label) {
                            resource_policies.push((Box::<str>::from(pattern.text.as_str()), p));
                        }
                    }
                }
                _ => self.unknown_key(key, TOP, "an account file"),
            }
        }
        for (group, span) in group_refs {
            if !groups.contains_key(&group) {
                let help = suggest(&group, groups.keys().map(String::as_str)).map(|s| format!("did you mean `{s}`?"));
                self.error_help(
                    span,
                    format!("unknown group `{group}`"),
                    help.or(Some("define it under `groups`".into())),
                );
            }
        }
        let Some(account_id) = account_id else {
            if !entries.iter().any(|(k, _)| k.text == "account_id") {
                self.error_help(
                    root.span,
                    "missing `account_id`".into(),
                    Some("add \"account_id\": \"123456789012\"".into()),
                );
            }
            return None;
        };
        Some(Account {
            origin: self.origin.clone(),
            account_id,
            users,
            groups,
            roles,
            control_levels,
            resource_policies,
        })
    }

    fn policy_table(&mut self, node: &Node<'a>) {
        for (name, value) in self.object(node, "`policies`") {
            if system::text(&name.text).is_some() {
                self.error_help(
                    name.span,
                    format!("`{}` is the name of a built-in system policy", name.text),
                    Some("give the custom policy another name".into()),
                );
                continue;
            }
            let named = match &value.value {
                Value::String(path) => {
                    let (origin, bytes) = match self.resolver.resolve(path.as_str()) {
                        Ok(found) => (Arc::<str>::from(found.origin), found.bytes),
                        Err(message) => {
                            self.error_help(value.span, message, None);
                            continue;
                        }
                    };
                    let text: Arc<str> = match decode_document(&bytes) {
                        Ok(t) => t.into(),
                        Err(message) => {
                            self.documents.push(PolicyErrors {
                                origin,
                                text: "".into(),
                                errors: vec![whole_file_error(format!("document is {message}"))],
                            });
                            continue;
                        }
                    };
                    Named::File { origin, text }
                }
                Value::Object(_) => Named::Inline(value.clone()),
                _ => {
                    self.wrong_type(
                        value,
                        &format!("policy `{}`", name.text),
                        "a file path or an inline policy document",
                    );
                    continue;
                }
            };
            self.named.insert(name.text.to_string(), named);
        }
    }

    /// Lowers the named policy `name` as `kind`, once.
    fn lower_named(&mut self, name: &str, kind: PolicyKind) -> Option<Policy> {
        let cache_key = (name.to_owned(), kind);
        if let Some(done) = self.lowered.get(&cache_key) {
            return done.clone();
        }
        let named = self.named.get(name)?;
        let inline = matches!(named, Named::Inline(_));
        let result = match named {
            // Inline in the account file: positions are in the account file.
            Named::Inline(root) => Policy::from_node(
                name,
                self.origin.clone(),
                kind,
                &self.index,
                root,
                &self.text,
                Vec::new(),
            ),
            Named::File { origin, text } => Policy::from_bytes(name, origin, kind, text.as_bytes()),
        };
        let policy = match result {
            Ok(p) => Some(p),
            Err(e) if inline => {
                self.errors.extend(e.errors);
                None
            }
            Err(e) => {
                self.documents.push(e);
                None
            }
        };
        self.lowered.insert(cache_key, policy.clone());
        policy
    }

    /// A policy reference: a name from `policies`, a built-in name, or an inline document.
    fn reference(&mut self, node: &Node, kind: PolicyKind, label: &str) -> Option<Policy> {
        match &node.value {
            Value::String(name) => {
                if self.named.contains_key(name.as_str()) {
                    return self.lower_named(name, kind);
                }
                if let Some(text) = system::text(name) {
                    let origin = format!("<builtin>/{name}.json");
                    return match Policy::from_bytes(name, &origin, kind, text.as_bytes()) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            self.documents.push(e);
                            None
                        }
                    };
                }
                let candidates: Vec<String> = self
                    .named
                    .keys()
                    .cloned()
                    .chain(system::names().map(String::from))
                    .collect();
                let help = suggest(name, candidates.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "name a policy of the `policies` table or a built-in system policy".into());
                self.error_help(node.span, format!("unknown policy `{name}`"), Some(help));
                None
            }
            Value::Object(_) => {
                let result = Policy::from_node(
                    label,
                    self.origin.clone(),
                    kind,
                    &self.index,
                    node,
                    &self.text,
                    Vec::new(),
                );
                match result {
                    Ok(p) => Some(p),
                    Err(e) => {
                        self.errors.extend(e.errors);
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(node, "a policy reference", "a policy name or an inline policy document");
                None
            }
        }
    }

    fn attachments(&mut self, owner: &str, node: &Node) -> Vec<Attachment> {
        let Value::Array(items) = &node.value else {
            self.wrong_type(node, "`policies`", "an array of policy names, documents or attachments");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let label = format!("{owner}.policies[{i}]");
            // `{"policy": ..., "resource_group": ...}` is an attachment; any other object is an
            // inline document.
            let is_attachment = matches!(&item.value, Value::Object(e) if e.iter().any(|(k, _)| k.text == "policy"));
            if !is_attachment {
                if let Some(policy) = self.reference(item, PolicyKind::Identity, &label) {
                    out.push(Attachment {
                        policy,
                        resource_group: None,
                    });
                }
                continue;
            }
            let mut policy = None;
            let mut resource_group = None;
            for (key, value) in self.object(item, "an attachment") {
                match key.text.as_str() {
                    "policy" => policy = self.reference(value, PolicyKind::Identity, &label),
                    "resource_group" => match &value.value {
                        Value::String(g) if !g.is_empty() => resource_group = Some(Box::<str>::from(g.as_str())),
                        _ => self.wrong_type(value, "`resource_group`", "a resource group id"),
                    },
                    _ => self.unknown_key(key, &["policy", "resource_group"], "an attachment"),
                }
            }
            if let Some(policy) = policy {
                out.push(Attachment { policy, resource_group });
            }
        }
        out
    }

    fn user(&mut self, name: &str, node: &Node, group_refs: &mut Vec<(String, Span)>) -> User {
        let mut user = User::default();
        for (key, value) in self.object(node, "a user") {
            match key.text.as_str() {
                "id" => match &value.value {
                    Value::String(id) if !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit()) => {
                        user.id = Some(id.as_str().into())
                    }
                    Value::String(id) => self.error_help(
                        value.span,
                        format!("user id `{}` is not numeric", crate::read::diagnostic::visible(id)),
                        Some("a user's `id` is its numeric user id, as bucket policies name users, such as \"20000000001\"".into()),
                    ),
                    _ => self.wrong_type(value, "`id`", "the user's numeric id as a string"),
                },
                "policies" => user.attachments = self.attachments(&format!("users.{name}"), value),
                "groups" => match &value.value {
                    Value::Array(items) => {
                        for item in items {
                            match &item.value {
                                Value::String(g) => {
                                    user.groups.push(g.to_string());
                                    group_refs.push((g.to_string(), item.span));
                                }
                                _ => self.wrong_type(item, "a group name", "a string"),
                            }
                        }
                    }
                    _ => self.wrong_type(value, "`groups`", "an array of group names"),
                },
                _ => self.unknown_key(key, &["id", "policies", "groups"], "a user"),
            }
        }
        user
    }

    fn role(&mut self, name: &str, node: &Node) -> Role {
        let mut role = Role {
            attachments: Vec::new(),
            trust: None,
        };
        for (key, value) in self.object(node, "a role") {
            match key.text.as_str() {
                "policies" => role.attachments = self.attachments(&format!("roles.{name}"), value),
                "trust_policy" => {
                    role.trust = self.reference(value, PolicyKind::Trust, &format!("roles.{name}.trust_policy"));
                }
                _ => self.unknown_key(key, &["policies", "trust_policy"], "a role"),
            }
        }
        role
    }

    fn control_policies(&mut self, node: &Node) -> Vec<Vec<Policy>> {
        let Value::Array(levels) = &node.value else {
            self.wrong_type(
                node,
                "`control_policies`",
                "an array of levels, each an array of policies",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (level, item) in levels.iter().enumerate() {
            let Value::Array(refs) = &item.value else {
                self.error_help(
                    item.span,
                    format!(
                        "control-policy level {level} must be an array of policies, not {}",
                        item.value.type_name()
                    ),
                    Some(
                        "each level is an array: [[\"FullAliyunAccess\"], [\"FullAliyunAccess\", \"guardrail\"]]"
                            .into(),
                    ),
                );
                continue;
            };
            let policies = refs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| self.reference(r, PolicyKind::Control, &format!("control_policies[{level}][{i}]")))
                .collect();
            out.push(policies);
        }
        out
    }
}
