//! The account file (SPEC §8.1): one account's users, groups, roles, attachments, control
//! policies and resource policies, so that a pre-flight check can ask about a named principal.
//!
//! Read with the same span-keeping reader as policies: every mistake (an unknown policy name,
//! an unknown group, a bad path, an invalid policy inside) is reported with its file and place.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::caller::Caller;
use crate::chain::{Chain, ResourcePolicies};
use crate::error::{LineIndex, PolicyError, PolicyErrors, Report, Span};
use crate::json::{self, CowStr, Key, Node, Value};
use crate::policy::{decode_document, read_document, suggest, Policy, PolicyKind};
use crate::set::{CompiledPolicySet, PolicySet};
use crate::system;

/// Every mistake found in an account file and the policies it refers to, by document.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.documents.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct AccountErrors {
    /// One entry per document with mistakes: the account file itself, or a policy file.
    pub documents: Vec<PolicyErrors>,
}

/// A policy attached to a user, group or role.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The policy.
    pub policy: Policy,
    /// The resource group whose scope it is attached at; `None` for account scope.
    pub resource_group: Option<Box<str>>,
}

#[derive(Debug, Clone, Default)]
struct User {
    id: Option<Box<str>>,
    attachments: Vec<Attachment>,
    groups: Vec<String>,
}

#[derive(Debug, Clone)]
struct Role {
    attachments: Vec<Attachment>,
    trust: Option<Policy>,
}

/// A checked account file.
#[derive(Debug, Clone)]
pub struct Account {
    origin: Arc<str>,
    account_id: Box<str>,
    users: BTreeMap<String, User>,
    groups: BTreeMap<String, Vec<Attachment>>,
    roles: BTreeMap<String, Role>,
    control_levels: Vec<Vec<Policy>>,
    resource_policies: Vec<(Box<str>, Policy)>,
    resources: Arc<ResourcePolicies>,
}

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
    base: PathBuf,
    errors: Vec<PolicyError>,
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
        Account::parse(&origin, text, &base)
    }

    /// Reads an account file's text; `origin` names it in errors and `base` is the folder
    /// that relative policy paths start from.
    pub fn parse(origin: &str, text: &str, base: &Path) -> Result<Account, AccountErrors> {
        let mut reader = Reader {
            origin: origin.into(),
            text: text.into(),
            index: LineIndex::new(text),
            base: base.to_path_buf(),
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

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Where the account file came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The user names.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// The role names.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    /// The control policies, by level (0 = the member account, last = the Root folder).
    pub fn control_levels(&self) -> &[Vec<Policy>] {
        &self.control_levels
    }

    /// Every policy the account uses, each once per use (for coverage reports).
    pub fn all_policies(&self) -> Vec<&Policy> {
        let mut out: Vec<&Policy> = Vec::new();
        for user in self.users.values() {
            out.extend(user.attachments.iter().map(|a| &a.policy));
        }
        for group in self.groups.values() {
            out.extend(group.iter().map(|a| &a.policy));
        }
        for role in self.roles.values() {
            out.extend(role.attachments.iter().map(|a| &a.policy));
            out.extend(role.trust.as_ref());
        }
        out.extend(self.control_levels.iter().flatten());
        out.extend(self.resource_policies.iter().map(|(_, p)| p));
        out
    }

    /// Reads a `--principal` argument: `user/NAME`, `role/NAME`, `role/NAME/SESSION`, `root`,
    /// `service/NAME.aliyuncs.com`, or a full ARN such as `acs:ram::123456789012:user/alice`.
    pub fn caller(&self, principal: &str) -> Result<Caller, String> {
        let account: Box<str> = self.account_id.clone();
        let local = if let Some(rest) = principal.strip_prefix("acs:ram:") {
            // `acs:ram::ACCOUNT:RELATIVE`: RAM ARNs have an empty region field.
            let (arn_account, relative) = rest
                .strip_prefix(':')
                .and_then(|r| r.split_once(':'))
                .filter(|(a, r)| !a.is_empty() && !r.is_empty())
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a RAM ARN such as `acs:ram::{account}:user/NAME`",
                        crate::error::visible(principal)
                    )
                })?;
            if arn_account != &*account {
                return Err(format!(
                    "`{}` belongs to account {}, but {} describes account {account}",
                    crate::error::visible(principal),
                    crate::error::visible(arn_account),
                    self.origin
                ));
            }
            relative
        } else {
            principal
        };
        if local == "root" {
            return Ok(Caller::Root { account });
        }
        if let Some(name) = local.strip_prefix("user/") {
            let user = self
                .users
                .get(name)
                .ok_or_else(|| self.unknown("user", name, self.users.keys()))?;
            return Ok(Caller::User {
                account,
                name: name.into(),
                id: user.id.clone(),
            });
        }
        if let Some(rest) = local.strip_prefix("role/") {
            let (name, session) = match rest.split_once('/') {
                Some((name, session)) => (name, Some(Box::from(session))),
                None => (rest, None),
            };
            if !self.roles.contains_key(name) {
                return Err(self.unknown("role", name, self.roles.keys()));
            }
            return Ok(Caller::Role {
                account,
                name: name.into(),
                session,
            });
        }
        if let Some(name) = local.strip_prefix("service/") {
            if is_service_name(name) {
                return Ok(Caller::Service { name: name.into() });
            }
            return Err(format!(
                "invalid service principal `{}`: a cloud service is named like `ecs.aliyuncs.com`",
                crate::error::visible(name)
            ));
        }
        Err(format!(
            "invalid principal `{principal}`: expected user/NAME, role/NAME, role/NAME/SESSION, root, service/NAME.aliyuncs.com or an ARN"
        ))
    }

    fn unknown<'k>(&self, what: &str, name: &str, names: impl Iterator<Item = &'k String> + Clone) -> String {
        let hint = suggest(name, names.clone().map(String::as_str))
            .map(|s| format!("; did you mean `{what}/{s}`?"))
            .unwrap_or_else(|| {
                let all: Vec<&str> = names.map(String::as_str).collect();
                if all.is_empty() {
                    format!("; it defines no {what}s")
                } else {
                    format!("; its {what}s are {}", all.join(", "))
                }
            });
        format!("{} has no {what} `{name}`{hint}", self.origin)
    }

    /// The compiled chain for `caller`, with an optional session policy (roles only) and
    /// extra control-policy levels from the command line merged into the account's.
    pub fn chain(
        &self,
        caller: &Caller,
        session: Option<CompiledPolicySet>,
        extra_control: &[Vec<Policy>],
    ) -> Result<Chain, String> {
        let attachments: Vec<&Attachment> = match caller {
            Caller::User { name, .. } => {
                let user = self.users.get(&**name).ok_or_else(|| format!("no user `{name}`"))?;
                let groups = user.groups.iter().filter_map(|g| self.groups.get(g)).flatten();
                user.attachments.iter().chain(groups).collect()
            }
            Caller::Role { name, .. } => {
                let role = self.roles.get(&**name).ok_or_else(|| format!("no role `{name}`"))?;
                role.attachments.iter().collect()
            }
            Caller::Root { .. } | Caller::Service { .. } => Vec::new(),
        };
        if session.is_some() && !matches!(caller, Caller::Role { .. }) {
            return Err(format!(
                "a session policy belongs to a role session, but `{caller}` is not a role"
            ));
        }
        let account_scope: PolicySet = attachments
            .iter()
            .filter(|a| a.resource_group.is_none())
            .map(|a| a.policy.clone())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let mut groups: BTreeMap<&str, PolicySet> = BTreeMap::new();
        for a in &attachments {
            if let Some(group) = &a.resource_group {
                groups
                    .entry(group)
                    .or_default()
                    .add(a.policy.clone())
                    .map_err(|e| e.to_string())?;
            }
        }
        let levels = self.control_levels.len().max(extra_control.len());
        let control: Vec<CompiledPolicySet> = (0..levels)
            .map(|level| {
                self.control_levels
                    .get(level)
                    .into_iter()
                    .chain(extra_control.get(level))
                    .flatten()
                    .cloned()
                    .collect::<Result<PolicySet, _>>()
                    .map(|set| set.compile())
                    .map_err(|e| format!("control-policy level {level}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let mut chain = Chain::new(account_scope.compile())
            .with_caller(caller.clone())
            .with_control_levels(control)
            .with_resources(self.resources.clone());
        for (group, set) in groups {
            chain = chain.with_resource_group_policies(group, set.compile());
        }
        if let Some(session) = session {
            chain = chain.with_session(session);
        }
        Ok(chain)
    }
}

/// Whether `name` is a service principal's name: `<code>.aliyuncs.com`, the code made of
/// lower-case letters, digits, `-` and `.`.
fn is_service_name(name: &str) -> bool {
    name.strip_suffix(".aliyuncs.com").is_some_and(|code| {
        !code.is_empty()
            && !code.starts_with('.')
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    })
}

/// Whether a `resource_policies` key names a role: `acs:ram:<region>:<account>:role/…`.
fn names_a_role(pattern: &str) -> bool {
    let mut parts = pattern.splitn(5, ':');
    parts.next() == Some("acs")
        && parts.next() == Some("ram")
        && parts.nth(2).is_some_and(|relative| relative.starts_with("role/"))
}

/// A set of one policy, compiled.
fn single(policy: Policy) -> CompiledPolicySet {
    PolicySet::from(policy).compile()
}

fn whole_file_error(message: String) -> PolicyError {
    PolicyError {
        location: crate::error::Location {
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

    fn errors_mut(&mut self) -> &mut Vec<PolicyError> {
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
                format!("invalid {what} name `{}`", crate::error::visible(&name.text)),
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
            format!("unknown key `{}` in {place}", crate::error::visible(&key.text)),
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
                                    crate::error::visible(&pattern.text)
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
        let mut resources = ResourcePolicies::new();
        for (pattern, policy) in &resource_policies {
            resources.add(pattern, single(policy.clone()));
        }
        // Every role is a resource with a trust policy: one without `trust_policy` trusts
        // nobody, so it cannot be assumed.
        for (name, role) in &roles {
            resources.add_trust(
                &format!("acs:ram::{account_id}:role/{name}"),
                role.trust.clone().map(single).unwrap_or_default(),
            );
        }
        Some(Account {
            origin: self.origin.clone(),
            account_id,
            users,
            groups,
            roles,
            control_levels,
            resource_policies,
            resources: Arc::new(resources),
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
                    let full = self.base.join(path.as_str());
                    let origin: Arc<str> = full.display().to_string().into();
                    let bytes = match read_limited(&full) {
                        Ok(b) => b,
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
                        format!("user id `{}` is not numeric", crate::error::visible(id)),
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
