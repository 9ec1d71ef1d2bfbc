//! The whole evaluation chain (SPEC §5) against an independent reference (STYLE item 14).
//!
//! Random accounts (`support/accounts.rs`), random callers and random requests are decided by
//! `Store::authorize` and by [`chain`] below. The reference is written from SPEC's text alone:
//! it reads the generator's model of the account (not the library's account reader), parses
//! each document into the checked model, decides each layer with the basic reference of
//! `support/generate.rs` (its own wildcard matcher and condition semantics), and implements the
//! chain itself: control-policy levels, session policy, identity policies by scope (Decision A),
//! resource and trust policies with `Principal` matching (Decision B), their combination and the
//! `sts:AssumeRole` exception, service principals, the root identity, roles as resources, and
//! `acs:PrincipalARN` derived from the caller. Decision, layer and deciding statements (policy
//! name and statement index) must agree, and the library's three `Detail` levels must agree
//! with each other; after the run, a balance check keeps the generator reaching every decision
//! and every layer.
//!
//! Where SPEC leaves room the reference takes these readings (each agrees with the chain corpus
//! in `tests/chain/` where the corpus says anything):
//! - the layer of an `ImplicitDeny` is the step that ended it: a control level, the session
//!   policy, the trust policy (missing, or not allowing while Decision A allows), else Decision
//!   A's scope; the resource group's scope counts as a step only when the caller has policies
//!   attached there; root on a resource not its own is decided at `ResourcePolicy`;
//! - an `Allow` in Decision A is credited to A's scope even when the resource policy allows too;
//!   an `sts:AssumeRole` Allow lists A's and the trust policy's Allow statements;
//! - the deciding statements are those of the deciding step only (a Deny at several control
//!   levels: all of them); a policy attached twice in one place counts once;
//! - root on its own account's resources is allowed whatever a bucket policy says (SPEC: "allowed
//!   everything");
//! - a user or role the account file does not describe, or one of another account, has no
//!   identity policies, and another account's caller meets no control policy of this account.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/accounts.rs"]
mod accounts;
#[path = "support/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::sync::Mutex;

use accounts::*;
use generate::*;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use ram_policy::{
    Account, Caller, CompileOptions, Decision, Detail, Layer, NoFiles, Policy, PolicyKind, PolicySet, Principal,
    Request, Statement, Store,
};
use serde_json::json;

/// Every request without `acs:CurrentTime` gets this one.
const NOW: &str = "2026-01-15T10:00:00Z";
/// Requests per generated account.
const LINES: usize = 8;
/// Accounts, unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 400;

// ---------------------------------------------------------------------------------------------
// The reference's view of an account, from the generator's model
// ---------------------------------------------------------------------------------------------

/// A policy and the scope it is attached at (`None`: account scope).
#[derive(Debug, Clone)]
struct Attached {
    policy: Policy,
    resource_group: Option<String>,
}

#[derive(Debug, Clone)]
struct RefUser {
    /// Its own policies, then its groups'.
    attachments: Vec<Attached>,
}

#[derive(Debug, Clone)]
struct RefRole {
    attachments: Vec<Attached>,
    trust: Option<Policy>,
}

/// Account `ACCOUNT_ID`: user `u{i}` is `users[i]`, role `r{i}` is `roles[i]`.
#[derive(Debug, Clone)]
struct RefAccount {
    users: Vec<RefUser>,
    roles: Vec<RefRole>,
    control: Vec<Vec<Policy>>,
    resources: Vec<(String, Policy)>,
}

/// The checked model of one referenced document. Named policies keep their name, built-in ones
/// theirs; a document written in place is named by where it is (`label`), as the account file's
/// reader names it in explanations.
fn lower(account: &GenAccount, reference: &PolicyRef, label: &str, kind: PolicyKind) -> Policy {
    let (name, text) = match reference {
        PolicyRef::Named(i) => (format!("pol{i}"), render_policy(&account.named[*i])),
        PolicyRef::Builtin(name) => ((*name).to_owned(), ram_policy::system::text(name).unwrap().to_owned()),
        PolicyRef::Inline(document) => (label.to_owned(), document.to_string()),
    };
    Policy::from_bytes(&name, &name, kind, text.as_bytes())
        .unwrap_or_else(|e| panic!("the generator wrote an invalid policy:\n{text}\n{e}"))
}

fn attachments(account: &GenAccount, list: &[GenAttachment], owner: &str) -> Vec<Attached> {
    list.iter()
        .enumerate()
        .map(|(i, a)| Attached {
            policy: lower(
                account,
                &a.policy,
                &format!("{owner}.policies[{i}]"),
                PolicyKind::Identity,
            ),
            resource_group: a.resource_group.map(str::to_owned),
        })
        .collect()
}

impl RefAccount {
    fn new(account: &GenAccount) -> RefAccount {
        let groups: Vec<Vec<Attached>> = account
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| attachments(account, g, &format!("groups.g{i}")))
            .collect();
        let users = account
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let mut all = attachments(account, &u.attachments, &format!("users.u{i}"));
                for &g in &u.groups {
                    all.extend(groups[g].iter().cloned());
                }
                RefUser { attachments: all }
            })
            .collect();
        let roles = account
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| RefRole {
                attachments: attachments(account, &r.attachments, &format!("roles.r{i}")),
                trust: r.trust.as_ref().map(|t| {
                    lower(
                        account,
                        &PolicyRef::Inline(t.clone()),
                        &format!("roles.r{i}.trust_policy"),
                        PolicyKind::Trust,
                    )
                }),
            })
            .collect();
        let control = account
            .control
            .iter()
            .enumerate()
            .map(|(l, level)| {
                // A policy attached twice at one level is one attachment.
                let mut policies: Vec<Policy> = Vec::new();
                for (i, r) in level.iter().enumerate() {
                    let p = lower(account, r, &format!("control_policies[{l}][{i}]"), PolicyKind::Control);
                    if !policies.iter().any(|q| q.name() == p.name()) {
                        policies.push(p);
                    }
                }
                policies
            })
            .collect();
        let resources = account
            .resources
            .iter()
            .map(|(pattern, policy)| {
                let label = format!("resource_policies.{pattern}");
                let policy = lower(
                    account,
                    &PolicyRef::Inline(policy.clone()),
                    &label,
                    PolicyKind::Resource,
                );
                ((*pattern).to_owned(), policy)
            })
            .collect();
        RefAccount {
            users,
            roles,
            control,
            resources,
        }
    }

    /// `u{i}` / `r{i}` of this account, if described.
    fn index(name: &str, prefix: char, count: usize) -> Option<usize> {
        let i: usize = name.strip_prefix(prefix)?.parse().ok()?;
        (i < count && name == format!("{prefix}{i}")).then_some(i)
    }
}

// ---------------------------------------------------------------------------------------------
// Callers
// ---------------------------------------------------------------------------------------------

/// Who makes a request, as the reference sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    User {
        account: &'static str,
        name: String,
        id: Option<String>,
    },
    Role {
        account: &'static str,
        name: String,
        session: Option<String>,
    },
    Root {
        account: &'static str,
    },
    Service(&'static str),
}

impl Who {
    /// SPEC §5.1's principal ARNs: user `acs:ram::A:user/N`, role session `acs:ram::A:role/N`
    /// (whatever the session name), root `acs:ram::A:root`; a service has none.
    fn arn(&self) -> Option<String> {
        match self {
            Who::User { account, name, .. } => Some(format!("acs:ram::{account}:user/{name}")),
            Who::Role { account, name, .. } => Some(format!("acs:ram::{account}:role/{name}")),
            Who::Root { account } => Some(format!("acs:ram::{account}:root")),
            Who::Service(_) => None,
        }
    }

    fn account(&self) -> Option<&'static str> {
        match self {
            Who::User { account, .. } | Who::Role { account, .. } | Who::Root { account } => Some(account),
            Who::Service(_) => None,
        }
    }

    /// The library's value for the same caller.
    fn caller(&self) -> Caller {
        match self.clone() {
            Who::User { account, name, id } => Caller::User {
                account: account.into(),
                name: name.into(),
                id: id.map(Into::into),
            },
            Who::Role { account, name, session } => Caller::Role {
                account: account.into(),
                name: name.into(),
                session: session.map(Into::into),
            },
            Who::Root { account } => Caller::Root {
                account: account.into(),
            },
            Who::Service(name) => Caller::Service { name: name.into() },
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Who::User { account, .. } if *account != ACCOUNT_ID => "user of another account",
            Who::User { .. } => "user",
            Who::Role { session: Some(_), .. } => "role session",
            Who::Role { .. } => "role",
            Who::Root { account } if *account != ACCOUNT_ID => "root of another account",
            Who::Root { .. } => "root",
            Who::Service(_) => "service",
        }
    }
}

/// SPEC §5 step 4: whether a resource-based statement's `Principal` names the caller: `*`; the
/// caller's ARN; in `RAM`, `acs:ram::A:root` for every principal of account A; in a bucket
/// policy a bare id that is the caller's account id or user id; in `Service`, the service.
fn names(principal: &Principal, who: &Who) -> bool {
    if principal.any() {
        return true;
    }
    let arn = who.arn();
    let account = who.account();
    let ram = principal.ram().iter().any(|entry| {
        Some(&**entry) == arn.as_deref() || account.is_some_and(|a| **entry == format!("acs:ram::{a}:root"))
    });
    let user_id = match who {
        Who::User { id, .. } => id.as_deref(),
        _ => None,
    };
    let ids = principal
        .ids()
        .iter()
        .any(|id| Some(&**id) == account || Some(&**id) == user_id);
    let service = matches!(who, Who::Service(name) if principal.service().iter().any(|s| &**s == *name));
    ram || ids || service
}

/// SPEC §5.1, OSS's bucket-owner rule: a bucket-policy statement whose `Principal` is `*` (and
/// nothing else) and that has no `Condition` does not apply to callers of the bucket's own
/// account. The owner is the ARN's account field; an empty or `*` field, or a resource that is
/// not such an ARN, means the caller's own account.
fn owner_exempt(kind: PolicyKind, s: &Statement, p: &Principal, who: &Who, resource: &str) -> bool {
    let only_star =
        p.any() && p.ram().is_empty() && p.ids().is_empty() && p.service().is_empty() && p.federated().is_empty();
    if kind != PolicyKind::Resource || !only_star || !s.conditions().is_empty() {
        return false;
    }
    let Some(account) = who.account() else {
        return false;
    };
    let fields: Vec<&str> = resource.splitn(5, ':').collect();
    let owner = match fields.as_slice() {
        ["acs", _, _, owner, _] if !owner.is_empty() && *owner != "*" => *owner,
        _ => account,
    };
    owner == account
}

// ---------------------------------------------------------------------------------------------
// The reference chain
// ---------------------------------------------------------------------------------------------

/// One request line: the caller, an optional session policy, and the request.
#[derive(Debug, Clone)]
struct Line {
    who: Who,
    /// How `Account::caller` names the caller, when the account file describes it.
    principal: Option<String>,
    session: Option<Vec<GenStatement>>,
    action: String,
    resource: String,
    resource_group: Option<&'static str>,
    context: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    decision: Decision,
    layer: Layer,
    /// (policy name, statement index), sorted.
    deciding: Vec<(String, usize)>,
}

fn answer(decision: Decision, layer: Layer, deciding: Vec<(String, usize)>) -> Answer {
    Answer {
        decision,
        layer,
        deciding: sorted(deciding),
    }
}

/// The resource-based policy the request meets (SPEC §5, "Roles as resources").
enum Target<'a> {
    /// `sts:AssumeRole` on a described role: its trust policy (none written: it trusts nobody).
    Trust(Option<&'a Policy>),
    /// `sts:AssumeRole` on anything else: no trust policy is known.
    UnknownTrust,
    /// Any other action on a resource with a bucket policy.
    Resource(&'a Policy),
    /// No resource policy (a role's ARN never has one).
    Nothing,
}

/// `acs:ram:<region>:<account>:role/...`
fn is_role_arn(resource: &str) -> bool {
    let fields: Vec<&str> = resource.splitn(5, ':').collect();
    fields.len() == 5 && fields[0] == "acs" && fields[1] == "ram" && fields[4].starts_with("role/")
}

fn target<'a>(account: &'a RefAccount, assume: bool, resource: &str) -> Target<'a> {
    if assume {
        // Only the role's own ARN, exactly: `acs:ram::<account_id>:role/<name>` (SPEC §8.1).
        for (i, role) in account.roles.iter().enumerate() {
            if resource == arn(&format!("role/r{i}")) {
                return Target::Trust(role.trust.as_ref());
            }
        }
        return Target::UnknownTrust;
    }
    if is_role_arn(resource) {
        return Target::Nothing;
    }
    match account.resources.iter().find(|(pattern, _)| like(pattern, resource)) {
        Some((_, policy)) => Target::Resource(policy),
        None => Target::Nothing,
    }
}

/// SPEC §5: root's own resources are `*`, or an ARN starting with `acs:` with five fields whose
/// account field is the root's account, empty or `*`.
fn owned_by(resource: &str, account: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let fields: Vec<&str> = resource.splitn(5, ':').collect();
    resource.starts_with("acs:") && fields.len() == 5 && [account, "", "*"].contains(&fields[3])
}

/// The caller's identity policies at account scope, and at `group`'s scope, each name once.
fn identity_sets(attachments: &[Attached], group: Option<&str>) -> (Vec<Policy>, Option<Vec<Policy>>) {
    let mut account_scope: Vec<Policy> = Vec::new();
    let mut group_scope: Vec<Policy> = Vec::new();
    for a in attachments {
        let set = match a.resource_group.as_deref() {
            None => &mut account_scope,
            Some(g) if Some(g) == group => &mut group_scope,
            Some(_) => continue,
        };
        if !set.iter().any(|p| p.name() == a.policy.name()) {
            set.push(a.policy.clone());
        }
    }
    // A resource group with nothing attached there for the caller is no step of its own.
    (account_scope, (!group_scope.is_empty()).then_some(group_scope))
}

fn request_of(line: &Line) -> RefRequest {
    // SPEC §4: `acs:PrincipalARN` is derived from the caller; a value set by hand does not
    // count when the request has a caller (and a service has no ARN).
    let mut context: Vec<(String, String)> = line
        .context
        .iter()
        .filter(|(k, _)| fold(k) != "acs:principalarn")
        .cloned()
        .collect();
    if let Some(arn) = line.who.arn() {
        context.push(("acs:PrincipalARN".into(), arn));
    }
    RefRequest::new(&GenRequest {
        action: line.action.clone(),
        resource: line.resource.clone(),
        context,
    })
}

/// The whole chain of SPEC §5 for one request.
fn chain(account: &RefAccount, line: &Line) -> Answer {
    use Decision::{Allow, ExplicitDeny, ImplicitDeny};
    let request = request_of(line);
    let basic = |policies: &[Policy]| reference(policies, &request);
    let by_principal = |policy: &Policy| {
        reference_where(std::slice::from_ref(policy), &request, |s: &Statement| {
            s.principal()
                .as_ref()
                .is_some_and(|p| names(p, &line.who) && !owner_exempt(policy.kind(), s, p, &line.who, &line.resource))
        })
    };
    let assume = fold(&line.action) == "sts:assumerole";
    let target = target(account, assume, &line.resource);
    // Decision B, when there is a resource-based policy to ask.
    let decision_b = match &target {
        Target::Trust(Some(policy)) | Target::Resource(policy) => Some(by_principal(policy)),
        Target::Trust(None) => Some(Verdict {
            decision: ImplicitDeny,
            deciding: Vec::new(),
            errors: Vec::new(),
        }),
        Target::UnknownTrust | Target::Nothing => None,
    };
    let b_layer = if assume {
        Layer::TrustPolicy
    } else {
        Layer::ResourcePolicy
    };

    // A service principal: the resource or trust policy alone.
    if let Who::Service(_) = line.who {
        return match decision_b {
            Some(b) => answer(b.decision, b_layer, b.deciding),
            None => answer(ImplicitDeny, b_layer, Vec::new()),
        };
    }

    // The account's root identity: no control policies; it cannot assume a role (SPEC §5.1);
    // everything on its own account's resources. [Reading: "allowed everything" is taken
    // literally there — a bucket policy's Deny does not take it back.] On any other resource only
    // a resource policy can decide, and the layer is `ResourcePolicy` [SPEC names none].
    if let Who::Root { account: of } = line.who {
        if assume {
            return answer(ImplicitDeny, Layer::TrustPolicy, Vec::new());
        }
        if owned_by(&line.resource, of) {
            return answer(Allow, Layer::RootIdentity, Vec::new());
        }
        return match decision_b {
            Some(b) => answer(b.decision, Layer::ResourcePolicy, b.deciding),
            None => answer(ImplicitDeny, Layer::ResourcePolicy, Vec::new()),
        };
    }

    // A RAM user or role session. Which policies are its own: a principal the account file
    // does not describe has none (and one of another account is not this account's).
    let own = line.who.account() == Some(ACCOUNT_ID);
    let attached: &[Attached] = match &line.who {
        Who::User { name, .. } if own => {
            RefAccount::index(name, 'u', account.users.len()).map_or(&[][..], |i| &account.users[i].attachments)
        }
        Who::Role { name, .. } if own => {
            RefAccount::index(name, 'r', account.roles.len()).map_or(&[][..], |i| &account.roles[i].attachments)
        }
        _ => &[],
    };

    // 1. Control policies: a Deny at any level; else every level must allow.
    if own && !account.control.is_empty() {
        let levels: Vec<Verdict> = account.control.iter().map(|level| basic(level)).collect();
        if levels.iter().any(|v| v.decision == ExplicitDeny) {
            let denies = levels
                .iter()
                .filter(|v| v.decision == ExplicitDeny)
                .flat_map(|v| v.deciding.clone())
                .collect();
            return answer(ExplicitDeny, Layer::ControlPolicy, denies);
        }
        if levels.iter().any(|v| v.decision != Allow) {
            return answer(ImplicitDeny, Layer::ControlPolicy, Vec::new());
        }
    }

    // 2. The session policy must allow.
    if let Some(statements) = &line.session {
        let session = session_policy(statements);
        let v = basic(std::slice::from_ref(&session));
        if v.decision != Allow {
            return answer(v.decision, Layer::SessionPolicy, v.deciding);
        }
    }

    // 3. Decision A: account scope, then (only after its ImplicitDeny) the resource group's.
    let (account_scope, group_scope) = identity_sets(attached, line.resource_group);
    let mut a = basic(&account_scope);
    let mut a_layer = Layer::AccountLevelIdentityBasedPolicy;
    if a.decision == ImplicitDeny {
        if let Some(group_scope) = group_scope {
            a = basic(&group_scope);
            a_layer = Layer::ResourceGroupLevelIdentityBasedPolicy;
        }
    }

    // 4 and 5. Decision B and the combination.
    // An ExplicitDeny in Decision A decides; its Deny statements are the deciding ones (the
    // resource policy's are not needed) [SPEC names "the statements that decided"].
    if a.decision == ExplicitDeny {
        return answer(ExplicitDeny, a_layer, a.deciding);
    }
    if let Some(b) = &decision_b {
        if b.decision == ExplicitDeny {
            return answer(ExplicitDeny, b_layer, b.deciding.clone());
        }
    }
    let b_allows = decision_b.as_ref().is_some_and(|b| b.decision == Allow);
    if assume {
        // Decision A and the trust policy must both allow.
        return match decision_b {
            None => answer(ImplicitDeny, Layer::TrustPolicy, Vec::new()),
            Some(_) if a.decision != Allow => answer(ImplicitDeny, a_layer, Vec::new()),
            Some(b) if b.decision != Allow => answer(ImplicitDeny, Layer::TrustPolicy, Vec::new()),
            Some(b) => {
                let mut allows = a.deciding;
                allows.extend(b.deciding);
                answer(Allow, a_layer, allows)
            }
        };
    }
    if a.decision == Allow {
        return answer(Allow, a_layer, a.deciding);
    }
    if b_allows {
        return answer(Allow, Layer::ResourcePolicy, decision_b.unwrap().deciding);
    }
    answer(ImplicitDeny, a_layer, Vec::new())
}

fn session_policy(statements: &[GenStatement]) -> Policy {
    let text = render_policy(statements);
    Policy::from_bytes("session", "session", PolicyKind::Session, text.as_bytes())
        .unwrap_or_else(|e| panic!("the generator wrote an invalid session policy:\n{text}\n{e}"))
}

// ---------------------------------------------------------------------------------------------
// Random callers and requests
// ---------------------------------------------------------------------------------------------

fn callers(account: &GenAccount) -> Vec<(Who, Option<String>)> {
    let user = |i: usize| Who::User {
        account: ACCOUNT_ID,
        name: format!("u{i}"),
        id: account.users[i].id.clone(),
    };
    let role = |i: usize, session: Option<&str>| Who::Role {
        account: ACCOUNT_ID,
        name: format!("r{i}"),
        session: session.map(str::to_owned),
    };
    let mut out = Vec::new();
    for i in 0..account.users.len() {
        out.push((user(i), Some(format!("user/u{i}"))));
        out.push((user(i), Some(format!("user/u{i}"))));
    }
    out.push((user(0), Some(arn("user/u0"))));
    for i in 0..account.roles.len() {
        out.push((role(i, None), Some(format!("role/r{i}"))));
        out.push((role(i, Some("s1")), Some(format!("role/r{i}/s1"))));
        out.push((role(i, Some("s1")), Some(format!("role/r{i}/s1"))));
    }
    let root = Who::Root { account: ACCOUNT_ID };
    out.push((root.clone(), Some("root".into())));
    out.push((root, Some(arn("root"))));
    out.push((
        Who::Service("ecs.aliyuncs.com"),
        Some("service/ecs.aliyuncs.com".into()),
    ));
    out.push((
        Who::Service("oss.aliyuncs.com"),
        Some("service/oss.aliyuncs.com".into()),
    ));
    // Principals the account file does not describe, built directly.
    out.push((
        Who::User {
            account: ACCOUNT_ID,
            name: "ghost".into(),
            id: None,
        },
        None,
    ));
    out.push((
        Who::Role {
            account: ACCOUNT_ID,
            name: "ghost".into(),
            session: Some("s1".into()),
        },
        None,
    ));
    let foreign = Who::User {
        account: OTHER_ACCOUNT,
        name: "u0".into(),
        id: None,
    };
    out.push((foreign.clone(), None));
    out.push((foreign, None));
    out.push((Who::Root { account: OTHER_ACCOUNT }, None));
    out
}

/// Role ARNs besides the account's own roles': a role it may not describe, spellings of a role's
/// ARN other than `acs:ram::<account_id>:role/<name>`, another account's role, `*`.
const ROLE_RESOURCES: &[&str] = &[
    "acs:ram::123456789012:role/r2",
    "acs:ram::123456789012:role/R0",
    "acs:ram::123456789012:role/ghost",
    "acs:ram:cn-hangzhou:123456789012:role/r0",
    "acs:ram:*:123456789012:role/r1",
    "acs:ram::*:role/r0",
    "acs:ram::999999999999:role/r0",
    "*",
];

const MORE_RESOURCES: &[&str] = &[
    "*",
    "acs:oss:cn-hangzhou:123456789012:bucket/abc",
    "acs:oss::123456789012:bucket/axc/obj",
    "acs:oss:cn-hangzhou::bucket/abc",
    "acs:oss:cn-hangzhou:*:bucket/abc",
    "acs:oss:cn-hangzhou:999999999999:bucket/x",
    "ACS:oss:cn-hangzhou:123456789012:bucket/abc",
    "acs:oss:cn-hangzhou:123456789012",
    "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1",
    "acs:ecs:cn-hangzhou:123456789012:instance/i-1:x",
    "acs:ram::123456789012:user/u0",
    "acs:ram::123456789012:role/r0",
    "acs:ram:cn-hangzhou:123456789012:role/r1",
];

fn line(account: &GenAccount) -> impl Strategy<Value = Line> {
    let action = prop_oneof![
        8 => (select(REQUEST_SERVICES), select(REQUEST_NAMES)).prop_map(|(s, n)| format!("{s}:{n}")),
        3 => select(&["sts:AssumeRole", "sts:AssumeRole", "STS:assumerole", "sts:assumeRole"][..]).prop_map(str::to_owned),
        1 => select(&["oss:GetObject", "ram:GetRole", "sts:AssumeRoleWithSAML"][..]).prop_map(str::to_owned),
    ];
    let resource = prop_oneof![
        2 => select(REQUEST_RESOURCES),
        3 => select(MORE_RESOURCES),
        1 => select(ROLE_RESOURCES),
    ];
    let session = prop::option::weighted(
        0.4,
        (account_statements(), any::<bool>()).prop_map(|(mut statements, wide)| {
            if wide {
                let mut all = statements[0].clone();
                all.allow = true;
                all.not_action = false;
                all.actions = vec!["*".into()];
                all.not_resource = false;
                all.resources = vec!["*".into()];
                all.conditions.clear();
                statements.insert(0, all);
            }
            statements
        }),
    );
    let hand_set = prop::option::weighted(0.4, select(principal_arn_values()));
    // Mostly the roles the account describes, by their ARN.
    let mut roles: Vec<String> = (0..account.roles.len())
        .flat_map(|i| vec![arn(&format!("role/r{i}")); 6])
        .collect();
    roles.extend(ROLE_RESOURCES.iter().map(|r| (*r).to_owned()));
    (
        select(callers(account)),
        action,
        resource,
        select(roles),
        prop::bool::weighted(0.85),
        any::<bool>(),
        prop::option::weighted(0.7, select(&["rg-1", "rg-2", "rg-1", "rg-2", "rg-3"][..])),
        request(hot_keys(&account.named)),
        session,
        hand_set,
    )
        .prop_map(
            |(
                (who, principal),
                action,
                resource,
                role,
                prefer_role,
                service_assumes,
                resource_group,
                request,
                session,
                hand_set,
            )| {
                // Services mostly assume roles: that is what trust policies name them for.
                let action = if matches!(who, Who::Service(_)) && service_assumes {
                    "sts:AssumeRole".to_owned()
                } else {
                    action
                };
                let assume = fold(&action) == "sts:assumerole";
                let resource = if assume && prefer_role {
                    role
                } else {
                    resource.to_owned()
                };
                let mut context = request.context;
                if let Some(value) = hand_set {
                    context.push(("acs:PrincipalARN".into(), value));
                }
                if !context.iter().any(|(k, _)| fold(k) == "acs:currenttime") {
                    context.push(("acs:CurrentTime".into(), NOW.into()));
                }
                let session = if matches!(who, Who::Role { .. }) { session } else { None };
                Line {
                    who,
                    principal,
                    session,
                    action,
                    resource,
                    resource_group,
                    context,
                }
            },
        )
}

fn case() -> impl Strategy<Value = (GenAccount, Vec<Line>)> {
    account().prop_flat_map(|account| {
        let lines = prop::collection::vec(line(&account), LINES);
        (Just(account), lines)
    })
}

// ---------------------------------------------------------------------------------------------
// Running a case both ways
// ---------------------------------------------------------------------------------------------

fn story(account: &GenAccount, line: &Line) -> String {
    let session = line
        .session
        .as_ref()
        .map(|s| format!("\nsession policy: {}", render_policy(s)))
        .unwrap_or_default();
    format!(
        "account file:\n{}\ncaller: {:?} (as {:?}){session}\nrequest: {}",
        account.text,
        line.who,
        line.principal,
        json!({
            "action": line.action,
            "resource": line.resource,
            "resource_group": line.resource_group,
            "context": line.context,
        })
    )
}

/// What one request was, and how it was decided (for the balance check).
struct Seen {
    caller: &'static str,
    assume: bool,
    answer: Answer,
}

/// Checks one account's lines.
fn check(generated: &GenAccount, lines: &[Line]) -> Result<Vec<Seen>, TestCaseError> {
    let parsed = Account::parse("account.json", &generated.text, &NoFiles)
        .unwrap_or_else(|e| panic!("the generator wrote an invalid account:\n{}\n{e}", generated.text));
    let store = Store::for_account(&parsed, &[], CompileOptions::default()).unwrap();
    let model = RefAccount::new(generated);
    let mut out = Vec::new();
    for line in lines {
        let caller = match &line.principal {
            Some(name) => {
                let caller = parsed.caller(name).unwrap();
                prop_assert_eq!(&caller, &line.who.caller(), "Account::caller({})", name);
                caller
            }
            None => line.who.caller(),
        };
        let mut builder = Request::builder(&line.action).caller(caller).resource(&line.resource);
        if let Some(g) = line.resource_group {
            builder = builder.resource_group(g);
        }
        for (key, value) in &line.context {
            builder = builder.context(key, value);
        }
        if let Some(statements) = &line.session {
            builder = builder.session_policy(PolicySet::from(session_policy(statements)).compile());
        }
        let request = builder.build().unwrap();
        let full = store.authorize(&request, Detail::Explanation);
        let brief = store.authorize(&request, Detail::Deciding);
        let fast = store.authorize(&request, Detail::Decision);
        let story = || story(generated, line);
        prop_assert_eq!(
            (fast.decision(), fast.layer()),
            (full.decision(), full.layer()),
            "Detail::Decision and Detail::Explanation differ: {}",
            story()
        );
        prop_assert_eq!(
            (brief.decision(), brief.layer()),
            (full.decision(), full.layer()),
            "Detail::Deciding and Detail::Explanation differ: {}",
            story()
        );
        prop_assert_eq!(brief.deciding(), full.deciding(), "{}", story());
        prop_assert_eq!(brief.errors(), full.errors(), "{}", story());
        let library = answer(
            full.decision(),
            full.layer(),
            full.deciding()
                .iter()
                .map(|s| (s.policy.to_string(), s.statement))
                .collect(),
        );
        let expected = chain(&model, line);
        prop_assert_eq!(
            &library,
            &expected,
            "the library (left) and the reference chain (right) differ: {}\nexplanation: {:#?}",
            story(),
            full.explanation()
        );
        out.push(Seen {
            caller: line.who.kind(),
            assume: fold(&line.action) == "sts:assumerole",
            answer: expected,
        });
    }
    Ok(out)
}

/// 400 accounts of 8 requests each agree with the reference; then every decision and every layer
/// must have been reached often enough for the agreement to mean something.
#[test]
fn chain_agrees_with_the_reference() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let seen: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |(account, lines)| {
        let answers = check(&account, &lines)?;
        let mut seen = seen.lock().unwrap();
        for Seen { caller, assume, answer } in answers {
            let decision = answer.decision.as_str();
            let layer = answer.layer.as_str();
            let mut labels = vec![
                format!("decision {decision}"),
                format!("layer {layer}"),
                format!("{decision} at {layer}"),
                format!("caller {caller}: {decision}"),
            ];
            if assume {
                labels.push(format!("sts:AssumeRole: {decision} at {layer}"));
            }
            for label in labels {
                *seen.entry(label).or_default() += 1;
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner().unwrap();
    let total = cases as usize * LINES;
    for (label, n) in &seen {
        println!("{n:6} {:5.1}%  {label}", 100.0 * *n as f64 / total as f64);
    }
    let count = |label: &str| seen.get(label).copied().unwrap_or(0);
    // Typical shares (400 accounts): Allow 18%, ExplicitDeny 12%, ImplicitDeny 70%; layers from
    // 2% (resource-group scope) to 45% (account scope).
    for decision in [Decision::Allow, Decision::ExplicitDeny, Decision::ImplicitDeny] {
        let n = count(&format!("decision {}", decision.as_str()));
        assert!(
            n * 100 >= total * 8,
            "{} in only {n} of {total} requests",
            decision.as_str()
        );
    }
    for layer in Layer::ALL {
        let n = count(&format!("layer {}", layer.as_str()));
        assert!(
            n * 100 >= total,
            "{} decided only {n} of {total} requests",
            layer.as_str()
        );
    }
    // The rarer outcomes each happen a few times in a full run (typically 5 to 60 times).
    if total >= 1600 {
        for outcome in [
            "Allow at ResourceGroupLevelIdentityBasedPolicy",
            "ExplicitDeny at ResourceGroupLevelIdentityBasedPolicy",
            "Allow at ResourcePolicy",
            "ExplicitDeny at ResourcePolicy",
            "Allow at TrustPolicy",
            "ExplicitDeny at TrustPolicy",
            "ExplicitDeny at SessionPolicy",
            "sts:AssumeRole: Allow at AccountLevelIdentityBasedPolicy",
            "caller root: Allow",
            "caller service: Allow",
            "caller user of another account: Allow",
        ] {
            assert!(count(outcome) > 0, "never {outcome} in {total} requests");
        }
    }
}

/// SPEC §4: `acs:PrincipalARN` is derived from the request's caller; "a value set by hand wins
/// only where the caller is unknown to the evaluation". A service principal is a known caller
/// without an ARN, so the key is absent and a hand-set value must not count: a trust policy and a
/// bucket policy that allow the ECS service only under `acs:PrincipalARN` = `…:role/trusted` must
/// not allow a request that merely sets that value by hand (found by this reference).
#[test]
fn service_caller_ignores_a_hand_set_principal_arn() {
    let text = r#"{
  "account_id": "123456789012",
  "roles": {"r0": {"trust_policy": {"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["ecs.aliyuncs.com"]},
     "Condition": {"StringEquals": {"acs:PrincipalARN": "acs:ram::123456789012:role/trusted"}}}]}}},
  "resource_policies": {"acs:oss:*:*:bucket/*": {"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "*", "Principal": {"Service": ["ecs.aliyuncs.com"]},
     "Condition": {"StringEquals": {"acs:PrincipalARN": "acs:ram::123456789012:role/trusted"}}}]}}
}"#;
    let account = Account::parse("account.json", text, &NoFiles).unwrap();
    let store = Store::for_account(&account, &[], CompileOptions::default()).unwrap();
    let ecs = account.caller("service/ecs.aliyuncs.com").unwrap();
    for (action, resource, layer) in [
        ("sts:AssumeRole", "acs:ram::123456789012:role/r0", Layer::TrustPolicy),
        (
            "oss:GetObject",
            "acs:oss:cn-hangzhou:123456789012:bucket/b",
            Layer::ResourcePolicy,
        ),
    ] {
        let request = Request::builder(action)
            .caller(ecs.clone())
            .resource(resource)
            .context("acs:PrincipalARN", "acs:ram::123456789012:role/trusted")
            .build()
            .unwrap();
        for detail in [Detail::Decision, Detail::Deciding, Detail::Explanation] {
            let response = store.authorize(&request, detail);
            assert_eq!(
                (response.decision(), response.layer()),
                (Decision::ImplicitDeny, layer),
                "{action} on {resource} by the ECS service with acs:PrincipalARN set by hand"
            );
        }
    }
}

/// SPEC §5.1 (OSS's documented rule): "a bucket-policy statement with `Principal` `*` and **no**
/// `Condition` does not apply to callers of the bucket's own account": a user of account
/// 123456789012 without policies is neither allowed `oss:GetObject` on that account's bucket by
/// such an `Allow` nor denied `oss:DeleteObject` by such a `Deny`: `ImplicitDeny` at
/// `AccountLevelIdentityBasedPolicy` for both (found by this reference).
/// The reference above and the chain corpus (`tests/chain/resource-policies.test.json`) follow it.
#[test]
fn unconditioned_principal_star_does_not_apply_to_the_bucket_owners_account() {
    let text = r#"{
  "account_id": "123456789012",
  "users": {"u": {}},
  "resource_policies": {"acs:oss:*:*:bucket/*": {"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "*", "Principal": "*"},
    {"Effect": "Deny", "Action": "oss:DeleteObject", "Resource": "*", "Principal": "*"}]}}
}"#;
    let account = Account::parse("account.json", text, &NoFiles).unwrap();
    let store = Store::for_account(&account, &[], CompileOptions::default()).unwrap();
    for action in ["oss:GetObject", "oss:DeleteObject"] {
        let request = Request::builder(action)
            .caller(account.caller("user/u").unwrap())
            .resource("acs:oss:cn-hangzhou:123456789012:bucket/b")
            .build()
            .unwrap();
        let response = store.authorize(&request, Detail::Deciding);
        assert_eq!(
            (response.decision(), response.layer()),
            (Decision::ImplicitDeny, Layer::AccountLevelIdentityBasedPolicy),
            "{action} by user/u on its own account's bucket"
        );
    }
}
