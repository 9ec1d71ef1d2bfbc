//! The whole RAM evaluation chain for one principal (SPEC §5): control policies, session
//! policy, identity policies at account scope then resource-group scope, resource policies,
//! and the combination (with the `sts:AssumeRole` both-must-allow rule).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::caller::Caller;
use crate::request::Request;
use crate::set::{CompiledPolicySet, ConditionError, Decision, NearMiss, Response, StatementRef};
use crate::wildcard::Pattern;

/// The layer of the chain that decided (in the spirit of RAM's `DecodeDiagnosticMessage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

/// The outcome of the chain: the final decision, the layer that decided, the statements that
/// decided, every step on the way, and notes for the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The final decision.
    pub decision: Decision,
    /// The layer that decided: for a deny, the layer that denied; for an allow, the layer
    /// whose Allow granted it.
    pub layer: Layer,
    /// The statements that decided.
    pub deciding: Vec<StatementRef>,
    /// Conditions that could not be decided (handled fail-closed), from every layer evaluated.
    pub errors: Vec<ConditionError>,
    /// Every layer evaluated, in order.
    pub steps: Vec<Step>,
    /// Remarks about the evaluation, such as a resource-group-scope Deny that was not reached.
    pub notes: Vec<String>,
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

/// The compiled chain for one principal: evaluate many requests against it.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    caller: Option<Caller>,
    /// The caller's ARN, which the evaluation gives `acs:PrincipalARN` (SPEC §4).
    caller_arn: Option<Box<str>>,
    control_levels: Vec<CompiledPolicySet>,
    session: Option<CompiledPolicySet>,
    account_scope: CompiledPolicySet,
    resource_group_scope: Vec<(Box<str>, CompiledPolicySet)>,
    resources: Arc<ResourcePolicies>,
}

impl Chain {
    /// A chain for an anonymous RAM user whose identity policies are `identity`, attached at
    /// account scope (SPEC §8 without an account file).
    pub fn new(identity: CompiledPolicySet) -> Self {
        Chain {
            account_scope: identity,
            ..Chain::default()
        }
    }

    /// Sets the caller (principal matching in resource policies; root and service rules).
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller_arn = caller.arn().map(Into::into);
        self.caller = Some(caller);
        self
    }

    /// The request as this chain's caller makes it: `acs:PrincipalARN` is derived from the
    /// caller by the evaluation itself, never left to the embedding program; a value set by
    /// hand counts only when the caller is unknown (SPEC §4). A request that already carries
    /// the derived value (the command line's, or one built for this caller) is not copied.
    fn as_caller_makes<'r>(&self, request: &'r Request) -> Cow<'r, Request> {
        match &self.caller_arn {
            Some(arn) if !request.has_principal_arn(arn) => Cow::Owned(request.with_principal_arn(arn)),
            _ => Cow::Borrowed(request),
        }
    }

    /// Sets the control-policy levels, from the member account (0) up to the Root folder.
    pub fn with_control_levels(mut self, levels: Vec<CompiledPolicySet>) -> Self {
        self.control_levels = levels;
        self
    }

    /// Sets the session policy of a role session.
    pub fn with_session(mut self, session: CompiledPolicySet) -> Self {
        self.session = Some(session);
        self
    }

    /// Adds the identity policies attached at the scope of resource group `group`.
    pub fn with_resource_group_policies(mut self, group: &str, policies: CompiledPolicySet) -> Self {
        self.resource_group_scope.push((group.into(), policies));
        self
    }

    /// Sets the account's resource-based policies.
    pub fn with_resources(mut self, resources: Arc<ResourcePolicies>) -> Self {
        self.resources = resources;
        self
    }

    /// The caller, if known.
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    fn resource_group_set(&self, request: &Request) -> Option<&CompiledPolicySet> {
        let group = request.resource_group()?;
        self.resource_group_scope
            .iter()
            .find(|(g, _)| **g == *group)
            .map(|(_, s)| s)
    }

    /// Evaluates a request through the whole chain, with every step and note. Never fails.
    pub fn evaluate(&self, request: &Request) -> Evaluation {
        let request = &*self.as_caller_makes(request);
        let mut steps = Vec::new();
        let mut errors = Vec::new();
        let mut notes = Vec::new();
        let caller = self.caller.as_ref();
        let (last, layer) = self.run(
            request,
            &mut |layer, level, set: &CompiledPolicySet| {
                let r = set.authorize_as(request, caller);
                errors.extend(r.errors.iter().cloned());
                steps.push(Step {
                    layer,
                    level,
                    decision: r.decision,
                    deciding: r.deciding.clone(),
                });
                r
            },
            Some(&mut notes),
        );
        Evaluation {
            decision: last.decision,
            layer,
            deciding: last.deciding,
            errors,
            steps,
            notes: notes.into_iter().map(|n| n.text(request)).collect(),
        }
    }

    /// The decision, the layer and the deciding statements with any condition errors, without
    /// the steps and notes of a full explanation (batch mode's output).
    pub fn evaluate_brief(&self, request: &Request) -> Evaluation {
        let request = &*self.as_caller_makes(request);
        let mut errors = Vec::new();
        let caller = self.caller.as_ref();
        let (last, layer) = self.run(
            request,
            &mut |_, _, set: &CompiledPolicySet| {
                let mut r = set.authorize_as(request, caller);
                errors.append(&mut r.errors);
                r
            },
            None,
        );
        Evaluation {
            decision: last.decision,
            layer,
            deciding: last.deciding,
            errors,
            steps: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Just the decision of the whole chain and the layer that made it: the same semantics as
    /// [`Chain::evaluate`], but no explanation and no allocation on the common path.
    pub fn decide(&self, request: &Request) -> (Decision, Layer) {
        let request = &*self.as_caller_makes(request);
        let caller = self.caller.as_ref();
        let (decision, layer) = self.run(
            request,
            &mut |_, _, set: &CompiledPolicySet| set.decide_as(request, caller),
            None,
        );
        (decision, layer)
    }

    /// The chain of SPEC §5, once for both ways of evaluating a layer: `eval` gives a layer's
    /// basic outcome (a full [`Response`], or just the [`Decision`]); `notes`, when given,
    /// collects remarks for the reader (and asks for the extra work some of them need).
    fn run<R: LayerOutcome>(
        &self,
        request: &Request,
        eval: &mut dyn FnMut(Layer, Option<usize>, &CompiledPolicySet) -> R,
        mut notes: Option<&mut Vec<Note>>,
    ) -> (R, Layer) {
        let trace = notes.is_some();
        let mut note = |n: Note| {
            if let Some(notes) = notes.as_deref_mut() {
                notes.push(n);
            }
        };
        match self.caller.as_ref() {
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
                return self.resource_only(request, eval, &mut note);
            }
            Some(Caller::Service { .. }) => return self.resource_only(request, eval, &mut note),
            _ => {}
        }

        // 1. Control policies: a Deny at any level is final; otherwise an Allow is needed at
        // every level. Every level is evaluated, so a Deny above a level without an Allow is
        // still reported as the explicit deny it is.
        let mut missing_allow: Option<usize> = None;
        let mut denied: Option<R> = None;
        for (level, set) in self.control_levels.iter().enumerate() {
            let r = eval(Layer::ControlPolicy, Some(level), set);
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
            note(Note::ControlLevelWithoutAllow(level));
            return (R::of(Decision::ImplicitDeny), Layer::ControlPolicy);
        }

        // 2. Session policy.
        if let Some(session) = &self.session {
            let r = eval(Layer::SessionPolicy, None, session);
            if r.decision() != Decision::Allow {
                return (r, Layer::SessionPolicy);
            }
        }

        // 3. Identity policies (Decision A): account scope first, then resource-group scope.
        let account = eval(Layer::AccountLevelIdentityBasedPolicy, None, &self.account_scope);
        let rg_set = self.resource_group_set(request);
        let (decision_a, layer_a) = if account.decision() != Decision::ImplicitDeny {
            // Only an explanation looks past the decision, to say what it did not reach.
            if let (Some(set), true) = (rg_set, trace) {
                if set.decide_as(request, self.caller.as_ref()) == Decision::ExplicitDeny {
                    note(Note::ResourceGroupDenyNotReached);
                }
            }
            (account, Layer::AccountLevelIdentityBasedPolicy)
        } else if let Some(set) = rg_set {
            let r = eval(Layer::ResourceGroupLevelIdentityBasedPolicy, None, set);
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
                    note(Note::TrustPolicyUnknown);
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
        eval: &mut dyn FnMut(Layer, Option<usize>, &CompiledPolicySet) -> R,
        note: &mut dyn FnMut(Note),
    ) -> (R, Layer) {
        let (decision, layer) = self.resource_decision(request, eval);
        match decision {
            Some(r) => (r, layer),
            None if layer == Layer::TrustPolicy => {
                note(Note::TrustPolicyUnknown);
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
    fn resource_decision<R: LayerOutcome>(
        &self,
        request: &Request,
        eval: &mut dyn FnMut(Layer, Option<usize>, &CompiledPolicySet) -> R,
    ) -> (Option<R>, Layer) {
        let sets = match self.resources.for_request(request) {
            Governing::Trust(trust) => return (Some(eval(Layer::TrustPolicy, None, trust)), Layer::TrustPolicy),
            Governing::UnknownTrust => return (None, Layer::TrustPolicy),
            Governing::Resources(sets) => sets,
        };
        let layer = Layer::ResourcePolicy;
        let mut denied: Option<R> = None;
        let mut allowed: Option<R> = None;
        let mut any = false;
        for set in sets {
            any = true;
            let r = eval(layer, None, set);
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

    /// For a denied request: the `Allow` statements of the layer that denied which came
    /// closest, each with what did not match. Empty for an explicit deny or an allow.
    pub fn near_misses(&self, request: &Request, evaluation: &Evaluation, limit: usize) -> Vec<NearMiss> {
        if evaluation.decision != Decision::ImplicitDeny {
            return Vec::new();
        }
        let request = &*self.as_caller_makes(request);
        let caller = self.caller.as_ref();
        let mut sets: Vec<&CompiledPolicySet> = Vec::new();
        match evaluation.layer {
            Layer::ControlPolicy => {
                let level = evaluation
                    .steps
                    .iter()
                    .find(|s| s.layer == Layer::ControlPolicy && s.decision == Decision::ImplicitDeny)
                    .and_then(|s| s.level)
                    .unwrap_or(0);
                sets.extend(self.control_levels.get(level));
            }
            Layer::SessionPolicy => sets.extend(self.session.as_ref()),
            Layer::AccountLevelIdentityBasedPolicy | Layer::ResourceGroupLevelIdentityBasedPolicy => {
                sets.push(&self.account_scope);
                sets.extend(self.resource_group_set(request));
            }
            Layer::ResourcePolicy | Layer::TrustPolicy => sets.extend(self.resources.sets_for(request)),
            Layer::RootIdentity => {}
        }
        let mut misses: Vec<NearMiss> = sets
            .iter()
            .flat_map(|s| s.near_misses(request, caller, limit))
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

impl LayerOutcome for Response {
    fn decision(&self) -> Decision {
        self.decision
    }

    fn of(decision: Decision) -> Self {
        Response {
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

/// Remarks for the reader of an evaluation, worded when the evaluation is finished.
enum Note {
    RootOwnResource,
    ControlLevelWithoutAllow(usize),
    ResourceGroupDenyNotReached,
    AssumeRoleNeedsBoth,
    TrustPolicyRefuses,
    TrustPolicyUnknown,
    NoResourcePolicy,
    RootCannotAssumeRole,
}

impl Note {
    fn text(&self, request: &Request) -> String {
        match self {
            Note::RootOwnResource => "the account's root identity is allowed everything on its own resources".into(),
            Note::ControlLevelWithoutAllow(level) => format!(
                "no control policy at level {level} allows the request; every level from the member account up to the Root folder must allow it"
            ),
            Note::ResourceGroupDenyNotReached => format!(
                "a Deny in a policy attached at the scope of resource group `{}` was not reached: account-scope policies decided first (documented order)",
                request.resource_group().unwrap_or_default()
            ),
            Note::AssumeRoleNeedsBoth => {
                "sts:AssumeRole needs an Allow in the caller's identity policies and in the role's trust policy".into()
            }
            Note::TrustPolicyRefuses => "the role's trust policy does not allow this caller to assume the role".into(),
            Note::TrustPolicyUnknown => format!(
                "no trust policy is known for `{}` (a role this evaluation does not describe, a name that differs in case from a described role, or not a role's ARN), so the role's side of sts:AssumeRole cannot allow it",
                crate::error::visible(request.resource())
            ),
            Note::RootCannotAssumeRole => "an account's root identity cannot assume a role".into(),
            Note::NoResourcePolicy => {
                "no resource-based policy governs this resource, and only one could allow this caller".into()
            }
        }
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
fn resource_account(resource: &str) -> Option<&str> {
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

    #[test]
    fn control_levels_all_must_allow() {
        let chain = Chain::new(allow("ecs:*")).with_control_levels(vec![allow("*"), allow("rds:*")]);
        let e = chain.evaluate(&request("ecs:StartInstance", "*"));
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert_eq!(e.layer, Layer::ControlPolicy);
        assert_eq!(e.steps.len(), 2);
        let chain = Chain::new(allow("ecs:*")).with_control_levels(vec![allow("*"), allow("ecs:*")]);
        assert_eq!(
            chain.evaluate(&request("ecs:StartInstance", "*")).decision,
            Decision::Allow
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
        let resources = Arc::new(resources);
        let role = "acs:ram::123:role/ops";
        let with = Chain::new(allow("sts:AssumeRole"))
            .with_caller(alice.clone())
            .with_resources(resources.clone());
        assert_eq!(
            with.evaluate(&request("sts:AssumeRole", role)).decision,
            Decision::Allow
        );
        let without = Chain::new(allow("ecs:*")).with_caller(alice).with_resources(resources);
        let e = without.evaluate(&request("sts:AssumeRole", role));
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert_eq!(e.layer, Layer::AccountLevelIdentityBasedPolicy);
    }

    #[test]
    fn resource_accounts() {
        assert_eq!(resource_account("acs:ram::123:role/x"), Some("123"));
        assert_eq!(resource_account("acs:oss:*:*:bucket/a:b"), Some("*"));
        assert_eq!(resource_account("*"), None);
    }
}
