//! Policy sets: compiled once (patterns classified, statements indexed by service), then
//! evaluated for many requests with basic evaluation (SPEC §5).

use std::sync::Arc;

use crate::eval::chain::{Layer, Step};
use crate::eval::condition::Outcome;
use crate::eval::index::{ActionIndex, Bucket};
use crate::eval::parallel::map_in_parallel;
use crate::eval::response::{
    Basic, ConditionError, ConditionMiss, Decision, Detail, Explanation, NearMiss, Response, StatementRef, Unmet,
    NEAR_MISSES,
};
use crate::model::caller::Caller;
use crate::model::condition::Condition;
use crate::model::policy::{ActionClause, Effect, Policy, PolicyKind, Principal, ResourceClause, Statement};
use crate::model::request::Request;
use crate::model::wildcard::{fold_case, Pattern};
use crate::read::diagnostic::{Location, PolicyErrors};

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
    /// when `all_cores` is set and there are enough of them to pay for the threads (the engine
    /// starts threads only when asked). Either every document is valid, or every error of
    /// every document is returned.
    pub fn parse_all(documents: &[(&str, &str)], all_cores: bool) -> Result<PolicySet, Vec<PolicyErrors>> {
        /// Below this many bytes in all, one thread reads faster than several.
        const PARALLEL_BYTES: usize = 256 * 1024;
        let total: usize = documents.iter().map(|(_, text)| text.len()).sum();
        let results = map_in_parallel(documents, all_cores && total >= PARALLEL_BYTES, |(name, text)| {
            Policy::parse(name, text)
        });
        let Some(results) = results else {
            return Err(vec![PolicyErrors {
                origin: "<reader>".into(),
                text: "".into(),
                errors: vec![crate::read::diagnostic::Diagnostic {
                    code: None,
                    severity: crate::read::diagnostic::Severity::Error,
                    location: crate::read::diagnostic::Location::default(),
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
                    errors: vec![crate::read::diagnostic::Diagnostic {
                        code: None,
                        severity: crate::read::diagnostic::Severity::Error,
                        location: crate::read::diagnostic::Location::default(),
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

    /// Compiles the set for evaluation, on this thread.
    pub fn compile(&self) -> CompiledPolicySet {
        CompiledPolicySet::new(&self.policies, false)
    }

    /// Compiles the set for evaluation on every core (up to 8) when it is large enough to pay
    /// for the threads. The engine starts threads only when asked, here.
    pub fn compile_on_all_cores(&self) -> CompiledPolicySet {
        CompiledPolicySet::new(&self.policies, true)
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
    index: ActionIndex,
    policy_count: usize,
    /// The layer a set of its policies' kind is evaluated at.
    layer: Layer,
}

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
    /// A bucket-policy statement with `Principal` `*` and no `Condition`: it does not apply to
    /// the bucket owner's account (SPEC §5.1).
    owner_rule: bool,
    conditions: Arc<[Condition]>,
}

impl Default for CompiledPolicySet {
    /// The empty set: every request is `ImplicitDeny`.
    fn default() -> Self {
        CompiledPolicySet::new(&[], false)
    }
}

impl CompiledPolicySet {
    fn new(policies: &[Policy], all_cores: bool) -> Self {
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
        let compiled = map_in_parallel(&all, all_cores && all.len() >= PARALLEL_STATEMENTS, compile)
            .unwrap_or_else(|| all.iter().map(compile).collect());
        let mut statements = Vec::with_capacity(compiled.len());
        let mut index = ActionIndex::default();
        for (statement, folded) in compiled {
            let id = u32::try_from(statements.len()).unwrap_or(u32::MAX);
            if statement.not_action {
                index.add_everywhere(id, statement.effect);
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
                index,
                policy_count: policies.len(),
                layer: policies
                    .first()
                    .map_or(Layer::AccountLevelIdentityBasedPolicy, |p| match p.kind() {
                        PolicyKind::Identity => Layer::AccountLevelIdentityBasedPolicy,
                        PolicyKind::Session => Layer::SessionPolicy,
                        PolicyKind::Control => Layer::ControlPolicy,
                        PolicyKind::Resource => Layer::ResourcePolicy,
                        PolicyKind::Trust => Layer::TrustPolicy,
                    }),
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

    /// Basic evaluation of this one set (SPEC §5) for the request's caller, as much as `detail`
    /// asks: any applicable `Deny` ⇒ `ExplicitDeny`; else any applicable `Allow` ⇒ `Allow`;
    /// else `ImplicitDeny`. This is one layer of the chain, reported at the layer of its
    /// policies' kind; [`crate::Store::authorize`] runs the whole chain. Never fails.
    pub fn authorize(&self, request: &Request, detail: Detail) -> Response {
        let caller = request.caller();
        let layer = self.inner.layer;
        match detail {
            Detail::Decision => {
                let decision = if self.any_deny_applies(request, caller) {
                    Decision::ExplicitDeny
                } else if self.any_allow_applies(request, caller) {
                    Decision::Allow
                } else {
                    Decision::ImplicitDeny
                };
                Response::new(decision, layer, Vec::new(), Vec::new(), None)
            }
            Detail::Deciding => {
                let b = self.basic(request, caller);
                Response::new(b.decision, layer, b.deciding, b.errors, None)
            }
            Detail::Explanation => {
                let b = self.basic(request, caller);
                let step = Step {
                    layer,
                    level: None,
                    decision: b.decision,
                    deciding: b.deciding.clone(),
                };
                let near = if b.decision == Decision::ImplicitDeny {
                    self.near_misses(request, caller, NEAR_MISSES)
                } else {
                    Vec::new()
                };
                let explanation = Explanation::new(vec![step], Vec::new(), near);
                Response::new(b.decision, layer, b.deciding, b.errors, Some(explanation))
            }
        }
    }

    /// Basic evaluation (SPEC §5): any applicable `Deny` ⇒ `ExplicitDeny`; else any applicable
    /// `Allow` ⇒ `Allow`; else `ImplicitDeny`. Never fails. A statement with a `Principal`
    /// (resource-based policies) applies only when it names the caller.
    pub(crate) fn basic(&self, request: &Request, caller: Option<&Caller>) -> Basic {
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        let mut errors = Vec::new();
        let inner = &*self.inner;
        for id in inner.index.candidates(request) {
            let Some(s) = inner.statements.get(id as usize) else {
                continue;
            };
            if !s.principal_matches(caller, request)
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
        Basic {
            decision,
            deciding,
            errors,
        }
    }

    /// Whether any `Deny` statement applies (the fast path: no allocation, stops at the first).
    pub(crate) fn any_deny_applies(&self, request: &Request, caller: Option<&Caller>) -> bool {
        self.any_applies(request, caller, |b| &b.denies)
    }

    /// Whether any `Allow` statement applies (the fast path: no allocation, stops at the first).
    pub(crate) fn any_allow_applies(&self, request: &Request, caller: Option<&Caller>) -> bool {
        self.any_applies(request, caller, |b| &b.allows)
    }

    fn any_applies(&self, request: &Request, caller: Option<&Caller>, list: impl Fn(&Bucket) -> &Vec<u32>) -> bool {
        let inner = &*self.inner;
        let applies = |id: &u32| {
            inner
                .statements
                .get(*id as usize)
                .is_some_and(|s| s.principal_matches(caller, request) && s.applies(request, |_, _, _| {}))
        };
        // Most buckets are empty: test that inline rather than set up an iterator per bucket.
        inner.index.buckets(request).iter().any(|bucket| {
            let ids = list(bucket);
            !ids.is_empty() && ids.iter().any(applies)
        })
    }

    /// For a request that was not allowed: the `Allow` statements whose action matches, each
    /// with what did not match (resource, principal, which conditions and why), closest first.
    /// At most `limit` are returned. This is for explanations, not for the hot path.
    pub(crate) fn near_misses(&self, request: &Request, caller: Option<&Caller>, limit: usize) -> Vec<NearMiss> {
        let mut misses: Vec<(usize, NearMiss)> = Vec::new();
        for s in &self.inner.statements {
            if s.effect != Effect::Allow || !s.action_matches(request) {
                continue;
            }
            let resource_matches = s.resource_matches(request);
            let principal_matches = s.principal.as_ref().map(|_| s.principal_matches(caller, request));
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
    let unmet = match condition.evaluate(request.context()) {
        Outcome::True => return None,
        Outcome::False if values.is_empty() => Unmet::Absent,
        Outcome::False => Unmet::Unsatisfied,
        Outcome::Undecidable { value } => Unmet::Undecidable { value },
    };
    Some(ConditionMiss {
        operator: condition.operator.to_string(),
        key: condition.key.clone(),
        policy_values: condition.raw_values.clone(),
        request_values: values.iter().map(|v| Box::from(v.text())).collect(),
        unmet,
        expected: condition.operator.operator.family().expected(),
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
    ///
    /// OSS's bucket-owner rule (SPEC §5.1): a bucket-policy statement with `Principal` `*` and no
    /// `Condition` does not apply to callers of the bucket's own account (the resource ARN's
    /// account field; empty, `*` or no ARN means the caller's own).
    fn principal_matches(&self, caller: Option<&Caller>, request: &Request) -> bool {
        match (&self.principal, caller) {
            (None, _) => true,
            (Some(p), Some(caller)) => {
                caller.matches(p) && !(self.owner_rule && caller.account().is_some_and(|a| owns(a, request)))
            }
            (Some(p), None) => self.effect == Effect::Deny || (p.any && !self.owner_rule),
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
        ConditionError {
            statement: self.reference.clone(),
            operator: condition.operator.to_string(),
            key: condition.key.clone(),
            value,
            expected: condition.operator.operator.family().expected(),
        }
    }
}

/// Whether the request's resource belongs to `account`: its ARN's account field is `account`,
/// or is empty or `*`, or the resource is not an ARN with an account field (`*`).
fn owns(account: &str, request: &Request) -> bool {
    crate::eval::chain::resource_account(request.resource()).is_none_or(|a| a.is_empty() || a == "*" || a == account)
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
        owner_rule: policy.kind() == PolicyKind::Resource
            && s.principal.as_ref().is_some_and(|p| {
                p.any && p.ram.is_empty() && p.ids.is_empty() && p.service.is_empty() && p.federated.is_empty()
            })
            && s.conditions.is_empty(),
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
        assert_eq!(set.basic(&r, None).decision, Decision::ExplicitDeny);
        assert!(set.any_deny_applies(&r, None));
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
        assert_eq!(set.basic(&r, None).decision, Decision::ExplicitDeny);
        assert!(set.any_deny_applies(&r, None));
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
        let r = |a: &str| set.basic(&Request::builder(a).build().unwrap(), None);
        assert_eq!(r("polardb:DescribeDBClusters").decision, Decision::Allow);
        assert_eq!(r("POLARDB:DeleteDBCluster").decision, Decision::ExplicitDeny);
        assert_eq!(r("rds:DescribeDBInstances").decision, Decision::ImplicitDeny);
        assert_eq!(r("polardb:DeleteDBCluster").deciding[0].statement, 1);
    }
}
