//! Policy sets: compiled once (patterns classified, statements indexed by service), then
//! evaluated for many requests with basic evaluation (SPEC §5).

use rustc_hash::FxHashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::caller::Caller;
use crate::condition::{Condition, Outcome};
use crate::error::Location;
use crate::error::PolicyErrors;
use crate::policy::{ActionClause, Effect, Policy, Principal, ResourceClause, Statement};
use crate::request::Request;
use crate::wildcard::{fold_case, Pattern};

/// The decision for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// An applicable `Allow` and no applicable `Deny`.
    Allow,
    /// An applicable `Deny`.
    ExplicitDeny,
    /// Nothing applicable allowed it.
    ImplicitDeny,
}

impl Decision {
    /// The decision's name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// Whether the request is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to one statement of one policy, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    /// The policy's name.
    pub policy: Arc<str>,
    /// 0-based index of the statement in the policy's `Statement` array.
    pub statement: usize,
    /// The statement's `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// Where the policy came from.
    pub file: Arc<str>,
    /// 1-based line of the statement's `{`.
    pub line: u32,
    /// 1-based column of the statement's `{`.
    pub column: u32,
}

/// A condition that could not be decided because a request value does not parse for its
/// operator (SPEC §3). It was handled fail-closed: true in a `Deny`, false in an `Allow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionError {
    /// The statement holding the condition.
    pub statement: StatementRef,
    /// The operator as written.
    pub operator: String,
    /// The condition key as written.
    pub key: Box<str>,
    /// The request value that does not parse.
    pub value: Box<str>,
    /// What went wrong and how it was handled.
    pub message: String,
}

/// The outcome of evaluating a request: the decision, the statements that decided it and any
/// condition errors. Evaluation never fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The decision.
    pub decision: Decision,
    /// For `Allow`, every applicable `Allow` statement; for `ExplicitDeny`, every applicable
    /// `Deny` statement; for `ImplicitDeny`, none.
    pub deciding: Vec<StatementRef>,
    /// Conditions that could not be decided.
    pub errors: Vec<ConditionError>,
}

/// Why an `Allow` statement did not apply to a request: for explanations of a deny.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    /// The statement.
    pub statement: StatementRef,
    /// Whether its `Action`/`NotAction` matches the request's action.
    pub action_matches: bool,
    /// Whether its `Resource`/`NotResource` matches the request's resource.
    pub resource_matches: bool,
    /// When the resource does not match: the statement's resource patterns, as written
    /// (prefixed with `not ` for `NotResource`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_patterns: Vec<Box<str>>,
    /// Whether its `Principal` names the caller (resource-based policies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_matches: Option<bool>,
    /// The conditions that do not hold, each with the reason.
    pub failed_conditions: Vec<ConditionMiss>,
}

/// A condition that does not hold for a request, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionMiss {
    /// The operator as written.
    pub operator: String,
    /// The condition key as written.
    pub key: Box<str>,
    /// The policy's values.
    pub policy_values: Vec<Box<str>>,
    /// The request's values of the key (empty when the request does not have it).
    pub request_values: Vec<Box<str>>,
    /// Why it does not hold, in words.
    pub reason: String,
}

/// A collection of checked policies, evaluated together as one set.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: Vec<Policy>,
}

impl PolicySet {
    /// An empty set.
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// Reads many identity policies at once — `(name, text)` pairs, in order — on every core
    /// when there are enough of them to pay for the threads. Either every document is valid,
    /// or every error of every document is returned.
    pub fn parse_all(documents: &[(&str, &str)]) -> Result<PolicySet, Vec<PolicyErrors>> {
        /// Below this many bytes in all, one thread reads faster than several.
        const PARALLEL_BYTES: usize = 256 * 1024;
        let total: usize = documents.iter().map(|(_, text)| text.len()).sum();
        let results = map_in_parallel(documents, total >= PARALLEL_BYTES, |(name, text)| {
            Policy::parse(name, text)
        });
        let Some(results) = results else {
            return Err(vec![PolicyErrors {
                origin: "<reader>".into(),
                text: "".into(),
                errors: vec![crate::error::PolicyError {
                    location: crate::error::Location::default(),
                    message: "internal error: a reader thread stopped; no policy was read".into(),
                    help: None,
                }],
            }]);
        };
        let mut set = PolicySet::new();
        let mut errors = Vec::new();
        for result in results {
            match result.map(|p| set.add(p)) {
                Ok(Ok(())) => {}
                Ok(Err(duplicate)) => errors.push(PolicyErrors {
                    origin: duplicate.second.as_str().into(),
                    text: "".into(),
                    errors: vec![crate::error::PolicyError {
                        location: crate::error::Location::default(),
                        message: duplicate.to_string(),
                        help: None,
                    }],
                }),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// Adds a policy. A set's policy names are unique, since explanations name statements by
    /// policy name: a second policy of the same name is an error, unless it is the very same
    /// policy (attached to a user and to one of its groups, say), which is kept once.
    pub fn add(&mut self, policy: Policy) -> Result<(), DuplicatePolicyName> {
        match self.policies.iter().find(|p| p.name() == policy.name()) {
            Some(existing) if *existing == policy => Ok(()),
            Some(existing) => Err(DuplicatePolicyName {
                name: policy.name().to_owned(),
                first: existing.origin().to_string(),
                second: policy.origin().to_string(),
            }),
            None => {
                self.policies.push(policy);
                Ok(())
            }
        }
    }

    /// The policies, in the order they were added.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Compiles the set for evaluation.
    pub fn compile(&self) -> CompiledPolicySet {
        CompiledPolicySet::new(&self.policies)
    }
}

/// Two different policies of one name in one set ([`PolicySet::add`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("two different policies named `{name}` in one set (from `{first}` and from `{second}`): a set's policy names must be unique; rename one")]
pub struct DuplicatePolicyName {
    /// The name.
    pub name: String,
    /// Where the first came from.
    pub first: String,
    /// Where the second came from.
    pub second: String,
}

impl From<Policy> for PolicySet {
    /// A set of one policy.
    fn from(policy: Policy) -> Self {
        PolicySet { policies: vec![policy] }
    }
}

impl FromIterator<Policy> for Result<PolicySet, DuplicatePolicyName> {
    /// Collects policies into a set with [`PolicySet::add`].
    fn from_iter<I: IntoIterator<Item = Policy>>(iter: I) -> Self {
        let mut set = PolicySet::new();
        for policy in iter {
            set.add(policy)?;
        }
        Ok(set)
    }
}

/// A compiled, immutable policy set: cheap to clone, shareable between threads.
#[derive(Debug, Clone)]
pub struct CompiledPolicySet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    statements: Vec<CompiledStatement>,
    /// Statements whose action patterns name their service literally, by folded service code.
    services: FxHashMap<Box<str>, ServiceIndex>,
    /// Patterns `*:NAME` of any service whose name part has no `:` (`*:Describe*`), indexed by
    /// that name part like a service's own patterns.
    any_service: ServiceIndex,
    /// Every statement of `any_service`: what a request whose name holds a `:` must visit,
    /// since there the leading `*` may take more than the service code.
    any_service_all: Bucket,
    /// Every other statement that may match any service (`*`, `ecs*:Get*`, `NotAction`).
    global: Bucket,
    policy_count: usize,
}

/// How many leading characters of an action name's literal prefix key the prefix index.
const PREFIX_KEY: usize = 3;

/// The statements of one service, by the shape of their action patterns, so that a request only
/// visits statements that can match its action.
#[derive(Debug, Default)]
struct ServiceIndex {
    /// Patterns without wildcards, by folded action name (the text after `service:`).
    exact: FxHashMap<Box<str>, Bucket>,
    /// Patterns whose name starts with a literal prefix of at least [`PREFIX_KEY`] bytes
    /// (`Describe*`), by those first bytes.
    prefix: FxHashMap<[u8; PREFIX_KEY], Bucket>,
    /// Every other pattern of the service (`*`, `*Instance*`, `Ge?*`).
    other: Bucket,
}

/// Statement ids, `Deny` and `Allow` apart (each ascending), so that the fast path can look
/// for a `Deny` first and stop at the first `Allow`.
#[derive(Debug, Default)]
struct Bucket {
    denies: Vec<u32>,
    allows: Vec<u32>,
}

impl Bucket {
    fn is_empty(&self) -> bool {
        self.denies.is_empty() && self.allows.is_empty()
    }

    fn push(&mut self, id: u32, effect: Effect) {
        let list = match effect {
            Effect::Deny => &mut self.denies,
            Effect::Allow => &mut self.allows,
        };
        // A statement with several patterns of one shape lands here once.
        if list.last() != Some(&id) {
            list.push(id);
        }
    }
}

static EMPTY: Bucket = Bucket {
    denies: Vec::new(),
    allows: Vec::new(),
};

#[derive(Debug)]
struct CompiledStatement {
    reference: StatementRef,
    effect: Effect,
    /// Folded to lower case: actions match case-insensitively.
    actions: Vec<Pattern>,
    not_action: bool,
    /// `None` in a trust policy, whose resource is the role itself.
    resources: Option<(Vec<Pattern>, bool)>,
    /// The resource clause as written, for explanations (shared with the policy).
    resource_source: Option<ResourceClause>,
    /// Present in resource-based policies: the statement applies only to the callers it names.
    principal: Option<Box<Principal>>,
    conditions: Arc<[Condition]>,
}

/// Where the index files action patterns.
struct Indexer {
    services: FxHashMap<Box<str>, ServiceIndex>,
    any_service: ServiceIndex,
    any_service_all: Bucket,
    global: Bucket,
}

impl Indexer {
    /// Files one folded action pattern of statement `id` under the bucket that a request's
    /// action must look in to find it.
    fn add(&mut self, pattern: &str, id: u32, effect: Effect) {
        let Some((service, name)) = pattern.split_once(':') else {
            self.global.push(id, effect);
            return;
        };
        if !service.contains(['*', '?']) {
            let index = self.services.entry(service.into()).or_default();
            index.add(name, id, effect);
        } else if service == "*" && !name.contains(':') {
            // For an action `svc:name`, `*:NAME` matches exactly when NAME matches `name`.
            self.any_service.add(name, id, effect);
            self.any_service_all.push(id, effect);
        } else {
            self.global.push(id, effect);
        }
    }
}

impl ServiceIndex {
    /// Files the name part of a pattern: by exact name, by literal prefix, or with the rest.
    fn add(&mut self, name: &str, id: u32, effect: Effect) {
        let literal = name
            .find(['*', '?'])
            .map_or(name, |end| name.get(..end).unwrap_or_default());
        if literal.len() == name.len() {
            self.exact.entry(name.into()).or_default().push(id, effect);
        } else if let Some(key) = prefix_key(literal) {
            self.prefix.entry(key).or_default().push(id, effect);
        } else {
            self.other.push(id, effect);
        }
    }

    /// The buckets a name must look in.
    fn lookup(&self, name: &str) -> [&Bucket; 3] {
        // Hashing costs more than the rest of a lookup: skip the maps that are empty.
        let exact = if self.exact.is_empty() {
            &EMPTY
        } else {
            self.exact.get(name).unwrap_or(&EMPTY)
        };
        let prefix = if self.prefix.is_empty() {
            &EMPTY
        } else {
            prefix_key(name).and_then(|k| self.prefix.get(&k)).unwrap_or(&EMPTY)
        };
        [&self.other, exact, prefix]
    }
}

/// The prefix-index key of an action name: its first [`PREFIX_KEY`] bytes.
fn prefix_key(name: &str) -> Option<[u8; PREFIX_KEY]> {
    name.as_bytes().get(..PREFIX_KEY)?.try_into().ok()
}

impl Inner {
    /// The buckets a request's action must look in: its exact name, its prefix, the rest of
    /// its service, and the statements of any service. Statements may repeat across buckets.
    fn buckets(&self, request: &Request) -> [&Bucket; 7] {
        let (service, name) = (request.service_folded(), request.name_folded());
        let [own_other, own_exact, own_prefix] = match self.services.get(service) {
            None => [&EMPTY; 3],
            Some(index) => index.lookup(name),
        };
        let [any_other, any_exact, any_prefix] = if self.any_service_all.is_empty() {
            [&EMPTY; 3]
        } else if request.name_has_colon() {
            [&self.any_service_all, &EMPTY, &EMPTY]
        } else {
            self.any_service.lookup(name)
        };
        [
            &self.global,
            own_other,
            own_exact,
            own_prefix,
            any_other,
            any_exact,
            any_prefix,
        ]
    }

    /// Every candidate statement of a request, once each, in document order.
    fn candidates(&self, request: &Request) -> Vec<u32> {
        let buckets = self.buckets(request);
        let mut ids: Vec<u32> = buckets
            .iter()
            .flat_map(|b| b.denies.iter().chain(&b.allows))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl Default for CompiledPolicySet {
    /// The empty set: every request is `ImplicitDeny`.
    fn default() -> Self {
        CompiledPolicySet::new(&[])
    }
}

impl CompiledPolicySet {
    fn new(policies: &[Policy]) -> Self {
        /// Below this many statements, one thread compiles faster than several.
        const PARALLEL_STATEMENTS: usize = 2_000;
        let all: Vec<(&Policy, &Statement)> = policies
            .iter()
            .flat_map(|p| p.statements().iter().map(move |s| (p, s)))
            .collect();
        // Compiling statements (patterns, references) is independent work; only the index is
        // built in order. If a worker stopped, this thread compiles everything again: a set
        // has every statement, or compiling fails here (it never loses a Deny).
        let compile = |(p, s): &(&Policy, &Statement)| compile_statement(p, s);
        let compiled = map_in_parallel(&all, all.len() >= PARALLEL_STATEMENTS, compile)
            .unwrap_or_else(|| all.iter().map(compile).collect());
        let mut statements = Vec::with_capacity(compiled.len());
        let mut index = Indexer {
            services: FxHashMap::default(),
            any_service: ServiceIndex::default(),
            any_service_all: Bucket::default(),
            global: Bucket::default(),
        };
        for (statement, folded) in compiled {
            let id = u32::try_from(statements.len()).unwrap_or(u32::MAX);
            if statement.not_action {
                index.global.push(id, statement.effect);
            } else {
                for pattern in &folded {
                    index.add(pattern, id, statement.effect);
                }
            }
            statements.push(statement);
        }
        CompiledPolicySet {
            inner: Arc::new(Inner {
                statements,
                services: index.services,
                any_service: index.any_service,
                any_service_all: index.any_service_all,
                global: index.global,
                policy_count: policies.len(),
            }),
        }
    }

    /// How many policies the set holds.
    pub fn policy_count(&self) -> usize {
        self.inner.policy_count
    }

    /// How many statements the set holds.
    pub fn statement_count(&self) -> usize {
        self.inner.statements.len()
    }

    /// Basic evaluation (SPEC §5): any applicable `Deny` ⇒ `ExplicitDeny`; else any applicable
    /// `Allow` ⇒ `Allow`; else `ImplicitDeny`. Never fails. Statements with a `Principal`
    /// (resource-based policies) never apply here: use [`CompiledPolicySet::authorize_as`].
    pub fn authorize(&self, request: &Request) -> Response {
        self.authorize_as(request, None)
    }

    /// Basic evaluation for a known caller: a statement with a `Principal` applies only when it
    /// names the caller.
    pub fn authorize_as(&self, request: &Request, caller: Option<&Caller>) -> Response {
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        let mut errors = Vec::new();
        let inner = &*self.inner;
        for id in inner.candidates(request) {
            let Some(s) = inner.statements.get(id as usize) else {
                continue;
            };
            if !s.principal_matches(caller)
                || !s.applies(request, |s, c, value| errors.push(s.condition_error(c, value)))
            {
                continue;
            }
            match s.effect {
                Effect::Allow => allows.push(s.reference.clone()),
                Effect::Deny => denies.push(s.reference.clone()),
            }
        }
        let (decision, deciding) = if !denies.is_empty() {
            (Decision::ExplicitDeny, denies)
        } else if !allows.is_empty() {
            (Decision::Allow, allows)
        } else {
            (Decision::ImplicitDeny, Vec::new())
        };
        Response {
            decision,
            deciding,
            errors,
        }
    }
}

impl CompiledPolicySet {
    /// Just the decision of basic evaluation, with the same semantics as
    /// [`CompiledPolicySet::authorize`] (fail-closed included) but no explanation: it allocates
    /// nothing on the common path (hostile input may make it: a pattern with `?` against a
    /// non-ASCII value, a segment scanned bit-parallel, a key of more than 8 values), stops at
    /// the first applicable `Deny`, and skips `Allow` statements once one applied. This is the
    /// gateway's hot path.
    pub fn decide(&self, request: &Request) -> Decision {
        self.decide_as(request, None)
    }

    /// [`CompiledPolicySet::decide`] for a known caller (resource-based policies).
    pub fn decide_as(&self, request: &Request, caller: Option<&Caller>) -> Decision {
        let inner = &*self.inner;
        let buckets = inner.buckets(request);
        let applies = |id: &u32| {
            inner
                .statements
                .get(*id as usize)
                .is_some_and(|s| s.principal_matches(caller) && s.applies(request, |_, _, _| {}))
        };
        // Most buckets are empty: test that inline rather than set up an iterator per bucket.
        for bucket in &buckets {
            if !bucket.denies.is_empty() && bucket.denies.iter().any(applies) {
                return Decision::ExplicitDeny;
            }
        }
        for bucket in &buckets {
            if !bucket.allows.is_empty() && bucket.allows.iter().any(applies) {
                return Decision::Allow;
            }
        }
        Decision::ImplicitDeny
    }

    /// For a request that was not allowed: the `Allow` statements whose action matches, each
    /// with what did not match (resource, principal, which conditions and why), closest first.
    /// At most `limit` are returned. This is for explanations, not for the hot path.
    pub fn near_misses(&self, request: &Request, caller: Option<&Caller>, limit: usize) -> Vec<NearMiss> {
        let mut misses: Vec<(usize, NearMiss)> = Vec::new();
        for s in &self.inner.statements {
            if s.effect != Effect::Allow || !s.action_matches(request) {
                continue;
            }
            let resource_matches = s.resource_matches(request);
            let principal_matches = s.principal.as_ref().map(|_| s.principal_matches(caller));
            let failed_conditions: Vec<ConditionMiss> =
                s.conditions.iter().filter_map(|c| condition_miss(c, request)).collect();
            let score = usize::from(resource_matches) * 1000
                + usize::from(principal_matches != Some(false)) * 500
                + 100usize.saturating_sub(failed_conditions.len());
            misses.push((
                score,
                NearMiss {
                    statement: s.reference.clone(),
                    action_matches: true,
                    resource_matches,
                    resource_patterns: if resource_matches {
                        Vec::new()
                    } else {
                        s.resource_texts()
                    },
                    principal_matches,
                    failed_conditions,
                },
            ));
        }
        // Stable: among equals, document order.
        misses.sort_by_key(|m| std::cmp::Reverse(m.0));
        misses.into_iter().take(limit).map(|(_, m)| m).collect()
    }
}

/// Why `condition` does not hold for `request`, or `None` when it holds.
fn condition_miss(condition: &Condition, request: &Request) -> Option<ConditionMiss> {
    let values = request.context().get(&condition.key);
    let reason = match condition.evaluate(request.context()) {
        Outcome::True => return None,
        Outcome::False if values.is_empty() => format!("the request has no `{}`", condition.key),
        Outcome::False => format!(
            "the request's `{}` is {}, which does not satisfy `{}` {}",
            condition.key,
            values
                .iter()
                .map(|v| format!("`{}`", crate::error::visible(v.text())))
                .collect::<Vec<_>>()
                .join(" and "),
            condition.operator,
            condition
                .raw_values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Outcome::Undecidable { value } => format!(
            "the request value `{}` is not {}",
            crate::error::visible(&value),
            condition.operator.operator.family().expected()
        ),
    };
    Some(ConditionMiss {
        operator: condition.operator.to_string(),
        key: condition.key.clone(),
        policy_values: condition.raw_values.clone(),
        request_values: values.iter().map(|v| Box::from(v.text())).collect(),
        reason,
    })
}

impl CompiledStatement {
    /// The resource patterns as written (`not …` for `NotResource`), for explanations.
    fn resource_texts(&self) -> Vec<Box<str>> {
        match &self.resource_source {
            Some(ResourceClause::Resource(p)) => p.iter().map(|p| p.text.clone()).collect(),
            Some(ResourceClause::NotResource(p)) => p.iter().map(|p| format!("not {}", p.text).into()).collect(),
            None => Vec::new(),
        }
    }

    /// Whether the statement's `Principal` (resource-based policies) names the caller. An
    /// unknown caller (`None`) fails closed: it may be anyone, so a `Deny` applies whatever
    /// principal it names, and an `Allow` only when it names everyone (`*`). An `Allow` never
    /// needs less of the caller than a `Deny` does.
    fn principal_matches(&self, caller: Option<&Caller>) -> bool {
        match (&self.principal, caller) {
            (None, _) => true,
            (Some(p), Some(caller)) => caller.matches(p),
            (Some(p), None) => self.effect == Effect::Deny || p.any,
        }
    }

    fn action_matches(&self, request: &Request) -> bool {
        let action = request.action_folded();
        let ascii = request.action_is_ascii();
        self.actions.iter().any(|p| p.matches_known(action, || ascii)) != self.not_action
    }

    fn resource_matches(&self, request: &Request) -> bool {
        match &self.resources {
            None => true,
            Some((patterns, negated)) => {
                let ascii = request.resource_is_ascii();
                patterns.iter().any(|p| p.matches_known(request.resource(), || ascii)) != *negated
            }
        }
    }

    /// Whether the statement applies: action, resource and every condition. Conditions are
    /// evaluated in document order and stop at the first false one. An undecidable condition
    /// is recorded and counts as true in a `Deny` and false in an `Allow` (fail closed).
    fn applies(&self, request: &Request, mut on_undecidable: impl FnMut(&Self, &Condition, Box<str>)) -> bool {
        if !self.action_matches(request) || !self.resource_matches(request) {
            return false;
        }
        for condition in self.conditions.iter() {
            match condition.evaluate(request.context()) {
                Outcome::True => {}
                Outcome::False => return false,
                Outcome::Undecidable { value } => {
                    on_undecidable(self, condition, value);
                    if self.effect == Effect::Allow {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn condition_error(&self, condition: &Condition, value: Box<str>) -> ConditionError {
        let handled = match self.effect {
            Effect::Deny => "counted as matching, so the Deny still applies",
            Effect::Allow => "counted as not matching, so the Allow does not apply",
        };
        ConditionError {
            statement: self.reference.clone(),
            operator: condition.operator.to_string(),
            key: condition.key.clone(),
            message: format!(
                "request value `{}` of `{}` is not {}; the condition was {handled}",
                crate::error::visible(&value),
                condition.key,
                condition.operator.operator.family().expected()
            ),
            value,
        }
    }
}

/// `f` over every item, in order: on every core (up to 8) when `parallel`, else on this thread.
/// Either every item's result comes back, or `None`: a worker that stopped (none does: `f`
/// never panics on checked input) must never leave items out, since a lost statement could be
/// a lost `Deny`.
fn map_in_parallel<T: Sync, R: Send>(items: &[T], parallel: bool, f: impl Fn(&T) -> R + Sync) -> Option<Vec<R>> {
    let threads = if parallel {
        std::thread::available_parallelism().map_or(1, usize::from).min(8)
    } else {
        1
    };
    if threads <= 1 {
        return Some(items.iter().map(&f).collect());
    }
    let size = items.len().div_ceil(threads).max(1);
    let f = &f;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut results = Vec::with_capacity(items.len());
        for handle in handles {
            results.extend(handle.join().ok()?);
        }
        Some(results)
    })?;
    // INVARIANT: every worker returned one result per item of its chunk.
    (results.len() == items.len()).then_some(results)
}

/// One statement, compiled, with its action patterns folded (for the index).
fn compile_statement(policy: &Policy, s: &Statement) -> (CompiledStatement, Vec<String>) {
    let (action_texts, not_action) = match &s.action {
        ActionClause::Action(p) => (p, false),
        ActionClause::NotAction(p) => (p, true),
    };
    let folded: Vec<String> = action_texts.iter().map(|p| fold_case(&p.text)).collect();
    let resources = s.resource.as_ref().map(|r| {
        let (texts, negated) = match r {
            ResourceClause::Resource(p) => (p, false),
            ResourceClause::NotResource(p) => (p, true),
        };
        (texts.iter().map(|p| Pattern::new(&p.text)).collect(), negated)
    });
    let statement = CompiledStatement {
        reference: statement_ref(policy, s.index, s.sid.clone(), s.effect, s.location),
        effect: s.effect,
        actions: folded.iter().map(|p| Pattern::new(p)).collect(),
        not_action,
        resources,
        resource_source: s.resource.clone(),
        principal: s.principal.clone().map(Box::new),
        conditions: s.conditions.clone(),
    };
    (statement, folded)
}

fn statement_ref(policy: &Policy, index: usize, sid: Option<Arc<str>>, effect: Effect, at: Location) -> StatementRef {
    StatementRef {
        policy: policy.name_arc().clone(),
        statement: index,
        sid,
        effect,
        file: policy.origin().clone(),
        line: at.line,
        column: at.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const _: fn() = || {
        fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync_clone::<CompiledPolicySet>();
        assert_send_sync_clone::<Request>();
    };

    #[test]
    fn f8_a_stopped_worker_fails_the_whole_map() {
        let items: Vec<u32> = (0..64).collect();
        let all = map_in_parallel(&items, true, |i| i * 2).unwrap();
        assert_eq!(all.len(), 64);
        assert_eq!(all[63], 126);
        // A worker that panics must not leave its items out silently.
        let lost = map_in_parallel(&items, true, |i| {
            assert!(*i != 40, "worker stops");
            *i
        });
        if std::thread::available_parallelism().map_or(1, usize::from) > 1 {
            assert!(lost.is_none());
        }
    }

    #[test]
    fn f8_compiled_set_has_every_statement_of_a_large_set() {
        let text = format!(
            r#"{{"Version": "1", "Statement": [{}]}}"#,
            (0..3000)
                .map(|i| format!(
                    r#"{{"Effect": "{}", "Action": "ecs:A{i}", "Resource": "*"}}"#,
                    if i % 2 == 0 { "Deny" } else { "Allow" }
                ))
                .collect::<Vec<_>>()
                .join(",")
        );
        let p = Policy::parse("p", &text).unwrap();
        let mut set = PolicySet::new();
        set.add(p).unwrap();
        assert_eq!(set.compile().statement_count(), 3000);
    }

    #[test]
    fn f9_policy_names_are_unique_in_a_set() {
        let a = Policy::from_bytes(
            "p",
            "a/p.json",
            crate::PolicyKind::Identity,
            br#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        )
        .unwrap();
        let b = Policy::from_bytes(
            "p",
            "b/p.json",
            crate::PolicyKind::Identity,
            br#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "ecs:*", "Resource": "*"}]}"#,
        )
        .unwrap();
        let mut set = PolicySet::new();
        set.add(a.clone()).unwrap();
        // The very same policy again (a user's and its group's attachment) is kept once.
        set.add(a.clone()).unwrap();
        assert_eq!(set.policies().len(), 1);
        let err = set.add(b.clone()).unwrap_err();
        assert!(
            err.to_string().contains("a/p.json") && err.to_string().contains("b/p.json"),
            "{err}"
        );
        assert!([a, b].into_iter().collect::<Result<PolicySet, _>>().is_err());
    }

    #[test]
    fn f6_unknown_caller_fails_closed_on_principal() {
        let p = Policy::from_bytes(
            "bucket",
            "bucket.json",
            crate::PolicyKind::Resource,
            br#"{"Version": "1", "Statement": [
                {"Effect": "Deny", "Action": "oss:*", "Resource": "*", "Principal": "*"},
                {"Effect": "Allow", "Action": "oss:Get*", "Resource": "*", "Principal": {"RAM": ["acs:ram::1:root"]}}]}"#,
        )
        .unwrap();
        let set = [p].into_iter().collect::<Result<PolicySet, _>>().unwrap().compile();
        let r = Request::builder("oss:GetObject").build().unwrap();
        assert_eq!(set.authorize(&r).decision, Decision::ExplicitDeny);
        assert_eq!(set.decide(&r), Decision::ExplicitDeny);
        let p = Policy::from_bytes(
            "bucket",
            "bucket.json",
            crate::PolicyKind::Resource,
            br#"{"Version": "1", "Statement": [
                {"Effect": "Deny", "Action": "oss:*", "Resource": "*", "Principal": {"RAM": ["acs:ram::1:user/x"]}},
                {"Effect": "Allow", "Action": "oss:*", "Resource": "*", "Principal": "*"}]}"#,
        )
        .unwrap();
        let set = [p].into_iter().collect::<Result<PolicySet, _>>().unwrap().compile();
        // The unknown caller may be user x: the Deny applies.
        assert_eq!(set.authorize(&r).decision, Decision::ExplicitDeny);
    }

    #[test]
    fn deny_overrides_and_index_finds_wildcards() {
        let p = Policy::parse(
            "p",
            r#"{"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": "polardb:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*:Delete*", "Resource": "*"},
                {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}"#,
        )
        .unwrap();
        let set: PolicySet = [p].into_iter().collect::<Result<_, _>>().unwrap();
        let set = set.compile();
        let r = |a: &str| set.authorize(&Request::builder(a).build().unwrap());
        assert_eq!(r("polardb:DescribeDBClusters").decision, Decision::Allow);
        assert_eq!(r("POLARDB:DeleteDBCluster").decision, Decision::ExplicitDeny);
        assert_eq!(r("rds:DescribeDBInstances").decision, Decision::ImplicitDeny);
        assert_eq!(r("polardb:DeleteDBCluster").deciding[0].statement, 1);
    }
}
