//! The whole RAM evaluation chain for one principal (SPEC §5): control policies, session
//! policy, identity policies at account scope then resource-group scope, resource policies,
//! and the combination (with the `sts:AssumeRole` both-must-allow rule).

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::eval::response::{Basic, ConditionError, Decision, NearMiss, StatementRef};
use crate::eval::set::CompiledPolicySet;
use crate::model::caller::Caller;
use crate::model::request::Request;
use crate::model::wildcard::Pattern;

/// The layer of the chain that decided (in the spirit of RAM's `DecodeDiagnosticMessage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Layer {
    /// A Resource Directory control policy.
    ControlPolicy,
    /// The session policy of a role session.
    SessionPolicy,
    /// Identity policies attached at account scope.
    AccountLevelIdentityBasedPolicy,
    /// Identity policies attached at the scope of the resource's resource group.
    ResourceGroupLevelIdentityBasedPolicy,
    /// A resource-based policy (a bucket policy).
    ResourcePolicy,
    /// A role's trust policy.
    TrustPolicy,
    /// The account's root identity, allowed everything on its own resources.
    RootIdentity,
}

impl Layer {
    /// Every layer, in chain order.
    pub const ALL: [Layer; 7] = [
        Layer::ControlPolicy,
        Layer::SessionPolicy,
        Layer::AccountLevelIdentityBasedPolicy,
        Layer::ResourceGroupLevelIdentityBasedPolicy,
        Layer::ResourcePolicy,
        Layer::TrustPolicy,
        Layer::RootIdentity,
    ];

    /// The layer of a name as in JSON output (`ControlPolicy`, ...).
    pub fn from_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The layer's name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::ControlPolicy => "ControlPolicy",
            Layer::SessionPolicy => "SessionPolicy",
            Layer::AccountLevelIdentityBasedPolicy => "AccountLevelIdentityBasedPolicy",
            Layer::ResourceGroupLevelIdentityBasedPolicy => "ResourceGroupLevelIdentityBasedPolicy",
            Layer::ResourcePolicy => "ResourcePolicy",
            Layer::TrustPolicy => "TrustPolicy",
            Layer::RootIdentity => "RootIdentity",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One layer's basic decision, as part of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// The layer.
    pub layer: Layer,
    /// For control policies: the level (0 = the member account, upwards to the Root folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// The layer's basic decision.
    pub decision: Decision,
    /// The statements that decided it.
    pub deciding: Vec<StatementRef>,
}

/// A remark about an evaluation, for the reader of its explanation. The library says what
/// happened; the command line (or any other edge) words it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// The account's root identity is allowed everything on its own resources.
    RootOwnResource,
    /// An account's root identity cannot assume a role (SPEC §5.1).
    RootCannotAssumeRole,
    /// No control policy at this level allows the request.
    ControlLevelWithoutAllow {
        /// The level (0 = the member account).
        level: usize,
    },
    /// A Deny attached at the scope of the request's resource group was not reached: the
    /// account-scope policies decided first (documented order).
    ResourceGroupDenyNotReached {
        /// The resource group.
        resource_group: Box<str>,
    },
    /// `sts:AssumeRole` needs an Allow in the caller's identity policies and in the trust policy.
    AssumeRoleNeedsBoth,
    /// The role's trust policy does not allow this caller.
    TrustPolicyRefuses,
    /// No trust policy is known for the resource of an `sts:AssumeRole`.
    TrustPolicyUnknown {
        /// The request's resource.
        resource: Box<str>,
    },
    /// No resource-based policy governs the resource, and only one could allow this caller.
    NoResourcePolicy,
    /// The store does not describe the caller, so it has no identity policies here.
    UnknownCaller {
        /// The caller's ARN, or its name.
        caller: Box<str>,
    },
    /// The request names no caller, and the store describes an account: nobody's identity
    /// policies apply.
    NoCaller,
}

/// Resource-based policies of an account: bucket policies by resource pattern, and roles'
/// trust policies by role ARN.
#[derive(Debug, Clone, Default)]
pub struct ResourcePolicies {
    by_pattern: Vec<(Pattern, CompiledPolicySet)>,
    trust: HashMap<Box<str>, CompiledPolicySet>,
}

impl ResourcePolicies {
    /// No resource policies.
    pub fn new() -> Self {
        ResourcePolicies::default()
    }

    /// Adds the resource policy of the resources matching `pattern`.
    pub fn add(&mut self, pattern: &str, policy: CompiledPolicySet) {
        self.by_pattern.push((Pattern::new(pattern), policy));
    }

    /// Adds the trust policy of the role with ARN `role_arn` (`acs:ram::A:role/N`).
    pub fn add_trust(&mut self, role_arn: &str, policy: CompiledPolicySet) {
        self.trust.insert(role_arn.into(), policy);
    }

    /// The resource-based policies governing `request`'s resource, and the layer they speak
    /// for (SPEC §5 "Roles as resources", §8.1):
    /// - `sts:AssumeRole`: only the trust policy of the role the resource names exactly; `None`
    ///   when that trust policy is not known (an undescribed role, a name that differs in case,
    ///   `*`, any other resource), which can never give an Allow;
    /// - any other action on a role's ARN: no resource policy (a trust policy is consulted only
    ///   for `sts:AssumeRole`, and bucket-policy patterns never apply to a role);
    /// - anything else: the resource policies whose pattern matches.
    fn for_request(&self, request: &Request) -> Governing<'_> {
        let resource = request.resource();
        if is_assume_role(request) {
            return match self.trust.get(resource) {
                Some(trust) => Governing::Trust(trust),
                None => Governing::UnknownTrust,
            };
        }
        if is_role_arn(resource) {
            return Governing::Resources(Vec::new());
        }
        Governing::Resources(
            self.by_pattern
                .iter()
                .filter(|(p, _)| p.matches(resource))
                .map(|(_, s)| s)
                .collect(),
        )
    }

    /// The sets of [`Governing`], for near misses.
    fn sets_for(&self, request: &Request) -> Vec<&CompiledPolicySet> {
        match self.for_request(request) {
            Governing::Trust(t) => vec![t],
            Governing::UnknownTrust => Vec::new(),
            Governing::Resources(sets) => sets,
        }
    }
}

/// What governs a request's resource on the resource side of the chain.
enum Governing<'a> {
    /// `sts:AssumeRole` on a described role: its trust policy.
    Trust(&'a CompiledPolicySet),
    /// `sts:AssumeRole` on anything else: a trust policy that is not known.
    UnknownTrust,
    /// Any other action: the resource policies that match (possibly none).
    Resources(Vec<&'a CompiledPolicySet>),
}

/// A principal's identity policies, compiled once in a store and shared: the sets attached at
/// account scope (its own and its groups', one compiled set per policy), and those attached at
/// the scope of each resource group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    pub(crate) account_scope: Vec<CompiledPolicySet>,
    pub(crate) resource_groups: Vec<(Box<str>, Vec<CompiledPolicySet>)>,
}

impl Identity {
    fn resource_group(&self, request: &Request) -> Option<&[CompiledPolicySet]> {
        let group = request.resource_group()?;
        self.resource_groups
            .iter()
            .find(|(g, _)| **g == *group)
            .map(|(_, sets)| sets.as_slice())
    }
}

/// Everything the chain of SPEC §5 needs for one request, borrowed from a store: the caller,
/// the control-policy levels (one compiled set per level), the session policy, the caller's
/// identity policies (`None` when the store does not describe the caller) and the account's
/// resource-based policies.
pub(crate) struct Parts<'a> {
    pub(crate) caller: Option<&'a Caller>,
    pub(crate) control: &'a [CompiledPolicySet],
    pub(crate) session: Option<&'a CompiledPolicySet>,
    pub(crate) identity: Option<&'a Identity>,
    pub(crate) resources: &'a ResourcePolicies,
}

/// What an evaluation found besides its decision: its steps, notes and errors (each collected
/// only when asked for).
pub(crate) struct Trace {
    pub(crate) steps: Option<Vec<Step>>,
    pub(crate) notes: Option<Vec<Note>>,
    pub(crate) errors: Vec<ConditionError>,
}

impl Parts<'_> {
    /// The decision and the layer that made it, without an explanation and without allocating.
    pub(crate) fn decide(&self, request: &Request) -> (Decision, Layer) {
        let caller = self.caller;
        self.run(
            request,
            &mut |_, _, sets: &[CompiledPolicySet]| decide_sets(sets, request, caller),
            &mut |_| {},
            false,
        )
    }

    /// The decision, the layer, the deciding statements and the condition errors; and, when
    /// `explain`, every step and note.
    pub(crate) fn evaluate(&self, request: &Request, explain: bool) -> (Basic, Layer, Trace) {
        let caller = self.caller;
        let mut trace = Trace {
            steps: explain.then(Vec::new),
            notes: explain.then(Vec::new),
            errors: Vec::new(),
        };
        let mut steps = trace.steps.take();
        let mut errors = Vec::new();
        let mut notes = trace.notes.take();
        let (last, layer) = self.run(
            request,
            &mut |layer, level, sets: &[CompiledPolicySet]| {
                let r = basic_sets(sets, request, caller);
                errors.extend(r.errors.iter().cloned());
                if let Some(steps) = steps.as_mut() {
                    steps.push(Step {
                        layer,
                        level,
                        decision: r.decision,
                        deciding: r.deciding.clone(),
                    });
                }
                r
            },
            &mut |n| {
                if let Some(notes) = notes.as_mut() {
                    notes.push(n);
                }
            },
            explain,
        );
        trace.steps = steps;
        trace.notes = notes;
        trace.errors = errors;
        (last, layer, trace)
    }

    /// The chain of SPEC §5, once for both ways of evaluating a layer: `eval` gives the basic
    /// outcome of a layer's sets (a full [`Basic`], or just the [`Decision`]); `note` takes
    /// remarks for the reader, and `trace` asks for the extra work some of them need.
    fn run<R: LayerOutcome>(
        &self,
        request: &Request,
        eval: &mut LayerEval<'_, R>,
        note: &mut dyn FnMut(Note),
        trace: bool,
    ) -> (R, Layer) {
        match self.caller {
            Some(Caller::Root { account }) => {
                if is_assume_role(request) {
                    // SPEC §5.1: an account's root identity cannot assume a role.
                    note(Note::RootCannotAssumeRole);
                    return (R::of(Decision::ImplicitDeny), Layer::TrustPolicy);
                }
                if root_owns(request.resource(), account) {
                    note(Note::RootOwnResource);
                    return (R::of(Decision::Allow), Layer::RootIdentity);
                }
                // Another account's resource, or text that is not such an ARN: only that
                // resource's policy can allow it.
                return self.resource_only(request, eval, note);
            }
            Some(Caller::Service { .. }) => return self.resource_only(request, eval, note),
            _ => {}
        }

        // 1. Control policies: a Deny at any level is final; otherwise an Allow is needed at
        // every level. Every level is evaluated, so a Deny above a level without an Allow is
        // still reported as the explicit deny it is.
        let mut missing_allow: Option<usize> = None;
        let mut denied: Option<R> = None;
        for (level, set) in self.control.iter().enumerate() {
            let r = eval(Layer::ControlPolicy, Some(level), std::slice::from_ref(set));
            match r.decision() {
                Decision::ExplicitDeny => denied = Some(R::merge(denied, r)),
                Decision::ImplicitDeny => {
                    missing_allow.get_or_insert(level);
                }
                Decision::Allow => {}
            }
        }
        if let Some(denied) = denied {
            return (denied, Layer::ControlPolicy);
        }
        if let Some(level) = missing_allow {
            note(Note::ControlLevelWithoutAllow { level });
            return (R::of(Decision::ImplicitDeny), Layer::ControlPolicy);
        }

        // 2. Session policy.
        if let Some(session) = self.session {
            let r = eval(Layer::SessionPolicy, None, std::slice::from_ref(session));
            if r.decision() != Decision::Allow {
                return (r, Layer::SessionPolicy);
            }
        }

        // 3. Identity policies (Decision A): account scope first, then resource-group scope.
        let no_sets: &[CompiledPolicySet] = &[];
        let account_scope = self.identity.map_or(no_sets, |i| i.account_scope.as_slice());
        let account = eval(Layer::AccountLevelIdentityBasedPolicy, None, account_scope);
        let rg_sets = self.identity.and_then(|i| i.resource_group(request));
        let (decision_a, layer_a) = if account.decision() != Decision::ImplicitDeny {
            // Only an explanation looks past the decision, to say what it did not reach.
            if let (Some(sets), true) = (rg_sets, trace) {
                if decide_sets(sets, request, self.caller) == Decision::ExplicitDeny {
                    note(Note::ResourceGroupDenyNotReached {
                        resource_group: request.resource_group().unwrap_or_default().into(),
                    });
                }
            }
            (account, Layer::AccountLevelIdentityBasedPolicy)
        } else if let Some(sets) = rg_sets {
            let r = eval(Layer::ResourceGroupLevelIdentityBasedPolicy, None, sets);
            (r, Layer::ResourceGroupLevelIdentityBasedPolicy)
        } else {
            (account, Layer::AccountLevelIdentityBasedPolicy)
        };

        // 4. Resource policy (Decision B).
        let (decision_b, layer_b) = self.resource_decision(request, eval);

        // 5. Combine.
        if decision_a.decision() == Decision::ExplicitDeny {
            return (decision_a, layer_a);
        }
        let b_decision = decision_b.as_ref().map(LayerOutcome::decision);
        if b_decision == Some(Decision::ExplicitDeny) {
            if let Some(b) = decision_b {
                return (b, layer_b);
            }
        }
        if is_assume_role(request) {
            // Both the caller's identity policies and the role's trust policy must allow it;
            // without a known trust policy, Decision B can never be Allow.
            let a_allows = decision_a.decision() == Decision::Allow;
            if !a_allows {
                note(Note::AssumeRoleNeedsBoth);
            }
            return match (a_allows, decision_b) {
                (_, None) => {
                    note(Note::TrustPolicyUnknown {
                        resource: request.resource().into(),
                    });
                    (R::of(Decision::ImplicitDeny), Layer::TrustPolicy)
                }
                (true, Some(b)) if b.decision() == Decision::Allow => (R::merge(Some(decision_a), b), layer_a),
                (false, Some(_)) => (R::of(Decision::ImplicitDeny), layer_a),
                (true, Some(_)) => {
                    note(Note::TrustPolicyRefuses);
                    (R::of(Decision::ImplicitDeny), Layer::TrustPolicy)
                }
            };
        }
        if decision_a.decision() == Decision::Allow {
            return (decision_a, layer_a);
        }
        if let Some(b) = decision_b.filter(|b| b.decision() == Decision::Allow) {
            return (b, layer_b);
        }
        (R::of(Decision::ImplicitDeny), layer_a)
    }

    /// Decision B alone: for a service principal, and for root on another account's resource.
    fn resource_only<R: LayerOutcome>(
        &self,
        request: &Request,
        eval: &mut LayerEval<'_, R>,
        note: &mut dyn FnMut(Note),
    ) -> (R, Layer) {
        let (decision, layer) = self.resource_decision(request, eval);
        match decision {
            Some(r) => (r, layer),
            None if layer == Layer::TrustPolicy => {
                note(Note::TrustPolicyUnknown {
                    resource: request.resource().into(),
                });
                (R::of(Decision::ImplicitDeny), layer)
            }
            None => {
                note(Note::NoResourcePolicy);
                (R::of(Decision::ImplicitDeny), layer)
            }
        }
    }

    /// The basic decision of the resource-based policies that govern the request (`None` when
    /// there are none, or when the trust policy of an `sts:AssumeRole` is not known), and the
    /// layer name to report.
    fn resource_decision<R: LayerOutcome>(&self, request: &Request, eval: &mut LayerEval<'_, R>) -> (Option<R>, Layer) {
        let sets = match self.resources.for_request(request) {
            Governing::Trust(trust) => {
                return (
                    Some(eval(Layer::TrustPolicy, None, std::slice::from_ref(trust))),
                    Layer::TrustPolicy,
                )
            }
            Governing::UnknownTrust => return (None, Layer::TrustPolicy),
            Governing::Resources(sets) => sets,
        };
        let layer = Layer::ResourcePolicy;
        let mut denied: Option<R> = None;
        let mut allowed: Option<R> = None;
        let mut any = false;
        for set in sets {
            any = true;
            let r = eval(layer, None, std::slice::from_ref(set));
            match r.decision() {
                Decision::ExplicitDeny => denied = Some(R::merge(denied, r)),
                Decision::Allow => allowed = Some(R::merge(allowed, r)),
                Decision::ImplicitDeny => {}
            }
        }
        let combined = denied
            .or(allowed)
            .or_else(|| any.then(|| R::of(Decision::ImplicitDeny)));
        (combined, layer)
    }

    /// For an implicitly denied request: the `Allow` statements of the layer that denied which
    /// came closest, each with what did not match, closest first; at most `limit`.
    pub(crate) fn near_misses(&self, request: &Request, layer: Layer, steps: &[Step], limit: usize) -> Vec<NearMiss> {
        let mut sets: Vec<&CompiledPolicySet> = Vec::new();
        match layer {
            Layer::ControlPolicy => {
                let level = steps
                    .iter()
                    .find(|s| s.layer == Layer::ControlPolicy && s.decision == Decision::ImplicitDeny)
                    .and_then(|s| s.level)
                    .unwrap_or(0);
                sets.extend(self.control.get(level));
            }
            Layer::SessionPolicy => sets.extend(self.session),
            Layer::AccountLevelIdentityBasedPolicy | Layer::ResourceGroupLevelIdentityBasedPolicy => {
                if let Some(identity) = self.identity {
                    sets.extend(&identity.account_scope);
                    sets.extend(identity.resource_group(request).into_iter().flatten());
                }
            }
            Layer::ResourcePolicy | Layer::TrustPolicy => sets.extend(self.resources.sets_for(request)),
            Layer::RootIdentity => {}
        }
        let mut misses: Vec<NearMiss> = sets
            .iter()
            .flat_map(|s| s.near_misses(request, self.caller, limit))
            .collect();
        misses.sort_by_key(|m| {
            (
                !m.resource_matches,
                m.principal_matches == Some(false),
                m.failed_conditions.len(),
            )
        });
        misses.truncate(limit);
        misses
    }
}

/// Basic evaluation over several sets at once (a principal's policies, compiled one set per
/// policy): any applicable `Deny` in any of them ⇒ `ExplicitDeny`; else any applicable `Allow`
/// ⇒ `Allow`; else `ImplicitDeny`. The same answer as one set of all their policies.
fn basic_sets(sets: &[CompiledPolicySet], request: &Request, caller: Option<&Caller>) -> Basic {
    match sets {
        [one] => one.basic(request, caller),
        _ => {
            let mut allows = Vec::new();
            let mut denies = Vec::new();
            let mut errors = Vec::new();
            for set in sets {
                let r = set.basic(request, caller);
                errors.extend(r.errors);
                match r.decision {
                    Decision::ExplicitDeny => denies.extend(r.deciding),
                    Decision::Allow => allows.extend(r.deciding),
                    Decision::ImplicitDeny => {}
                }
            }
            if denies.is_empty() {
                Basic {
                    decision: if allows.is_empty() {
                        Decision::ImplicitDeny
                    } else {
                        Decision::Allow
                    },
                    deciding: allows,
                    errors,
                }
            } else {
                Basic {
                    decision: Decision::ExplicitDeny,
                    deciding: denies,
                    errors,
                }
            }
        }
    }
}

/// [`basic_sets`]'s decision alone: no allocation, the first applicable `Deny` of any set ends
/// it, and `Allow`s are looked for only when no set denies.
fn decide_sets(sets: &[CompiledPolicySet], request: &Request, caller: Option<&Caller>) -> Decision {
    if sets.iter().any(|s| s.any_deny_applies(request, caller)) {
        return Decision::ExplicitDeny;
    }
    if sets.iter().any(|s| s.any_allow_applies(request, caller)) {
        return Decision::Allow;
    }
    Decision::ImplicitDeny
}

/// How the chain evaluates one layer: its name, its level (control policies), its sets.
type LayerEval<'e, R> = dyn FnMut(Layer, Option<usize>, &[CompiledPolicySet]) -> R + 'e;

/// What the chain needs from a layer's basic evaluation: its decision, and a way to put the
/// deciding statements of several evaluations together.
trait LayerOutcome: Sized {
    fn decision(&self) -> Decision;
    /// An outcome with no deciding statements.
    fn of(decision: Decision) -> Self;
    /// `next`'s decision, with the deciding statements of both.
    fn merge(previous: Option<Self>, next: Self) -> Self;
}

impl LayerOutcome for Decision {
    fn decision(&self) -> Decision {
        *self
    }

    fn of(decision: Decision) -> Self {
        decision
    }

    fn merge(_: Option<Self>, next: Self) -> Self {
        next
    }
}

impl LayerOutcome for Basic {
    fn decision(&self) -> Decision {
        self.decision
    }

    fn of(decision: Decision) -> Self {
        Basic {
            decision,
            deciding: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn merge(previous: Option<Self>, mut next: Self) -> Self {
        if let Some(mut previous) = previous {
            previous.deciding.append(&mut next.deciding);
            next.deciding = previous.deciding;
        }
        next
    }
}

fn is_assume_role(request: &Request) -> bool {
    request.action_folded() == "sts:assumerole"
}

/// Whether the account's root identity owns `resource` (SPEC §5): the request resource `*`, or
/// an ARN that starts with `acs:`, has five fields and whose account field is the root's
/// account id, empty or `*`. Anything else (another account's resource, text that is not such
/// an ARN) is not the root's.
fn root_owns(resource: &str, account: &str) -> bool {
    resource == "*" || resource_account(resource).is_some_and(|a| a.is_empty() || a == account || a == "*")
}

/// Whether `resource` is a RAM role's ARN (`acs:ram:<region>:<account>:role/<name>`).
fn is_role_arn(resource: &str) -> bool {
    let mut parts = resource.splitn(5, ':');
    parts.next() == Some("acs")
        && parts.next() == Some("ram")
        && parts.nth(2).is_some_and(|relative| relative.starts_with("role/"))
}

/// The account field of an ARN (`acs:<service>:<region>:<account>:<relative-id>`).
pub(crate) fn resource_account(resource: &str) -> Option<&str> {
    let mut parts = resource.splitn(5, ':');
    (parts.next()? == "acs").then_some(())?;
    parts.next()?;
    parts.next()?;
    let account = parts.next()?;
    parts.next()?;
    Some(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, PolicyKind, PolicySet};

    fn set(kind: PolicyKind, text: &str) -> CompiledPolicySet {
        let p = Policy::from_bytes("p", "p.json", kind, text.as_bytes()).unwrap();
        [p].into_iter().collect::<Result<PolicySet, _>>().unwrap().compile()
    }

    fn allow(action: &str) -> CompiledPolicySet {
        set(
            PolicyKind::Identity,
            &format!(
                r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}]}}"#
            ),
        )
    }

    fn request(action: &str, resource: &str) -> Request {
        Request::builder(action).resource(resource).build().unwrap()
    }

    fn identity(sets: Vec<CompiledPolicySet>) -> Identity {
        Identity {
            account_scope: sets,
            resource_groups: Vec::new(),
        }
    }

    #[test]
    fn control_levels_all_must_allow() {
        let id = identity(vec![allow("ecs:*")]);
        let none = ResourcePolicies::new();
        let parts = |control| Parts {
            caller: None,
            control,
            session: None,
            identity: Some(&id),
            resources: &none,
        };
        let levels = [allow("*"), allow("rds:*")];
        let (basic, layer, trace) = parts(&levels).evaluate(&request("ecs:StartInstance", "*"), true);
        assert_eq!(basic.decision, Decision::ImplicitDeny);
        assert_eq!(layer, Layer::ControlPolicy);
        assert_eq!(trace.steps.unwrap().len(), 2);
        let levels = [allow("*"), allow("ecs:*")];
        assert_eq!(
            parts(&levels).decide(&request("ecs:StartInstance", "*")),
            (Decision::Allow, Layer::AccountLevelIdentityBasedPolicy)
        );
    }

    #[test]
    fn assume_role_needs_both() {
        let alice = Caller::User {
            account: "123".into(),
            name: "alice".into(),
            id: None,
        };
        let trust = set(
            PolicyKind::Trust,
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::123:root"]}}]}"#,
        );
        let mut resources = ResourcePolicies::new();
        resources.add_trust("acs:ram::123:role/ops", trust);
        let role = "acs:ram::123:role/ops";
        let with = identity(vec![allow("sts:AssumeRole")]);
        let without = identity(vec![allow("ecs:*")]);
        let parts = |id| Parts {
            caller: Some(&alice),
            control: &[],
            session: None,
            identity: Some(id),
            resources: &resources,
        };
        assert_eq!(parts(&with).decide(&request("sts:AssumeRole", role)).0, Decision::Allow);
        assert_eq!(
            parts(&without).decide(&request("sts:AssumeRole", role)),
            (Decision::ImplicitDeny, Layer::AccountLevelIdentityBasedPolicy)
        );
    }

    #[test]
    fn resource_accounts() {
        assert_eq!(resource_account("acs:ram::123:role/x"), Some("123"));
        assert_eq!(resource_account("acs:oss:*:*:bucket/a:b"), Some("*"));
        assert_eq!(resource_account("*"), None);
    }
}
