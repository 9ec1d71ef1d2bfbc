//! The checked policy model (SPEC §1): it holds only valid policies, and every node knows where
//! it was written. [`crate::read::policy`] builds it.

use std::sync::Arc;

use crate::model::condition::Condition;
use crate::read::diagnostic::Location;

/// Largest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Most statements accepted in one document.
pub const MAX_STATEMENTS: usize = 10_000;

/// Which kind of policy a document is; it decides which elements are allowed (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PolicyKind {
    /// A policy attached to a user, group or role.
    #[default]
    Identity,
    /// The `Policy` parameter of an AssumeRole call.
    Session,
    /// A Resource Directory control policy.
    Control,
    /// A resource-based policy with `Principal` and `Resource` (a bucket policy).
    Resource,
    /// A role's trust policy: `Principal`, no `Resource`.
    Trust,
}

impl PolicyKind {
    pub(crate) fn has_principal(self) -> bool {
        matches!(self, PolicyKind::Resource | PolicyKind::Trust)
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, overriding any grant.
    Deny,
}

/// A wildcard pattern as written in `Action`, `NotAction`, `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternText {
    /// The pattern as written.
    pub(crate) text: Box<str>,
    /// Where it is written.
    pub(crate) location: Location,
}

impl PatternText {
    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where it is written.
    pub fn location(&self) -> Location {
        self.location
    }
}

/// The action part of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionClause {
    /// Matches when the request action matches any pattern.
    Action(Arc<[PatternText]>),
    /// Matches when the request action matches none of the patterns.
    NotAction(Arc<[PatternText]>),
}

/// The resource part of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceClause {
    /// Matches when the request resource matches any pattern.
    Resource(Arc<[PatternText]>),
    /// Matches when the request resource matches none of the patterns.
    NotResource(Arc<[PatternText]>),
}

impl ActionClause {
    /// The patterns, and whether they are negated.
    pub fn patterns(&self) -> (&[PatternText], bool) {
        match self {
            ActionClause::Action(p) => (p, false),
            ActionClause::NotAction(p) => (p, true),
        }
    }
}

impl ResourceClause {
    /// The patterns, and whether they are negated.
    pub fn patterns(&self) -> (&[PatternText], bool) {
        match self {
            ResourceClause::Resource(p) => (p, false),
            ResourceClause::NotResource(p) => (p, true),
        }
    }
}

/// The `Principal` of a resource-based statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// `"*"`: everyone.
    pub(crate) any: bool,
    /// `RAM` entries: ARNs of accounts (`acs:ram::A:root`), users and roles.
    pub(crate) ram: Vec<Box<str>>,
    /// `Service` entries such as `ecs.aliyuncs.com`.
    pub(crate) service: Vec<Box<str>>,
    /// `Federated` entries: identity provider ARNs.
    pub(crate) federated: Vec<Box<str>>,
    /// Bare account or user ids (bucket policies).
    pub(crate) ids: Vec<Box<str>>,
    /// Where it is written.
    pub(crate) location: Location,
}

impl Principal {
    /// Whether it is `"*"`: everyone.
    pub fn any(&self) -> bool {
        self.any
    }

    /// `RAM` entries: ARNs of accounts (`acs:ram::A:root`), users and roles.
    pub fn ram(&self) -> &[Box<str>] {
        &self.ram
    }

    /// `Service` entries such as `ecs.aliyuncs.com`.
    pub fn service(&self) -> &[Box<str>] {
        &self.service
    }

    /// `Federated` entries: identity provider ARNs.
    pub fn federated(&self) -> &[Box<str>] {
        &self.federated
    }

    /// Bare account or user ids (bucket policies).
    pub fn ids(&self) -> &[Box<str>] {
        &self.ids
    }

    /// Where it is written.
    pub fn location(&self) -> Location {
        self.location
    }
}

/// One checked statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 0-based index in the `Statement` array.
    pub(crate) index: usize,
    /// The `Sid`, if any.
    pub(crate) sid: Option<Arc<str>>,
    /// `Allow` or `Deny`.
    pub(crate) effect: Effect,
    /// `Action` or `NotAction`.
    pub(crate) action: ActionClause,
    /// `Resource` or `NotResource`; absent only in trust policies.
    pub(crate) resource: Option<ResourceClause>,
    /// `Principal`; present only in resource-based policies.
    pub(crate) principal: Option<Principal>,
    /// The conditions, all of which must hold (shared with compiled sets).
    pub(crate) conditions: Arc<[Condition]>,
    /// Where the statement's `{` is.
    pub(crate) location: Location,
}

impl Statement {
    /// 0-based index in the `Statement` array.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `Sid`, if any.
    pub fn sid(&self) -> Option<&Arc<str>> {
        self.sid.as_ref()
    }

    /// `Allow` or `Deny`.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// `Action` or `NotAction`.
    pub fn action(&self) -> &ActionClause {
        &self.action
    }

    /// `Resource` or `NotResource`; absent only in trust policies.
    pub fn resource(&self) -> Option<&ResourceClause> {
        self.resource.as_ref()
    }

    /// `Principal`; present only in resource-based policies.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The conditions, all of which must hold.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Where the statement's `{` is.
    pub fn location(&self) -> Location {
        self.location
    }
}

/// One checked policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    name: Arc<str>,
    origin: Arc<str>,
    kind: PolicyKind,
    statements: Vec<Statement>,
    characters: usize,
}

impl Policy {
    /// A checked policy, from the reader.
    pub(crate) fn new(
        name: &str,
        origin: Arc<str>,
        kind: PolicyKind,
        statements: Vec<Statement>,
        characters: usize,
    ) -> Policy {
        Policy {
            name: name.into(),
            origin,
            kind,
            statements,
            characters,
        }
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's name, shared.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// Where the policy came from (file name, `<stdin>`, `<builtin>`).
    pub fn origin(&self) -> &Arc<str> {
        &self.origin
    }

    /// The kind of policy.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The document's length in characters (RAM limits custom policies to 6,144).
    pub fn characters(&self) -> usize {
        self.characters
    }
}
