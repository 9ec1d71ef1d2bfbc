//! Random account files (SPEC §8.1), shared by `batch_agrees.rs` and `chain_reference.rs`.
//!
//! An account is generated as a model — which principal has which policy, at which scope; the
//! roles' trust policies; the control-policy levels; the bucket policies — and rendered as the
//! JSON text the library reads. A reference can then work from the model without the library's
//! account reader. Policies are written with the generator of `generate.rs` (which the including
//! test file declares as `mod generate`), some with a condition on `acs:PrincipalARN`.
// Each test file that includes this module uses a different part of it.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{json, Map, Value};

use crate::generate::*;

pub const ACCOUNT_ID: &str = "123456789012";
/// An account no account file describes.
pub const OTHER_ACCOUNT: &str = "999999999999";
/// How many policies the `policies` table names (`pol0`, `pol1`, …).
pub const NAMED: usize = 3;
pub const RESOURCE_GROUPS: &[&str] = &["rg-1", "rg-2"];
pub const BUILTIN_IDENTITY: &[&str] = &["AliyunPolardbReadOnlyAccess", "AdministratorAccess"];

pub fn arn(local: &str) -> String {
    format!("acs:ram::{ACCOUNT_ID}:{local}")
}

/// A policy reference in the account file.
#[derive(Debug, Clone)]
pub enum PolicyRef {
    /// `pol{i}` of the `policies` table.
    Named(usize),
    /// A built-in system policy (SPEC §7).
    Builtin(&'static str),
    /// A document written in place.
    Inline(Value),
}

#[derive(Debug, Clone)]
pub struct GenAttachment {
    pub policy: PolicyRef,
    /// `None`: account scope.
    pub resource_group: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct GenUser {
    pub id: Option<String>,
    pub attachments: Vec<GenAttachment>,
    /// Indexes into `GenAccount::groups`.
    pub groups: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct GenRole {
    pub attachments: Vec<GenAttachment>,
    pub trust: Option<Value>,
}

/// One account: user `u{i}`, group `g{i}`, role `r{i}`, policy `pol{i}`.
#[derive(Debug, Clone)]
pub struct GenAccount {
    pub named: Vec<Vec<GenStatement>>,
    pub users: Vec<GenUser>,
    pub groups: Vec<Vec<GenAttachment>>,
    pub roles: Vec<GenRole>,
    /// Levels from the member account (0) up to the Root folder; empty: no control policies.
    pub control: Vec<Vec<PolicyRef>>,
    /// Resource pattern → bucket policy; the patterns never overlap.
    pub resources: Vec<(&'static str, Value)>,
    /// The account file.
    pub text: String,
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/// Values of `acs:PrincipalARN` conditions (and of hand-set `acs:PrincipalARN` request values).
pub fn principal_arn_values() -> Vec<String> {
    vec![
        arn("user/u0"),
        arn("user/*"),
        arn("role/r0"),
        arn("role/*"),
        arn("root"),
        "acs:ram::*:role/r1".to_owned(),
        format!("acs:ram::{OTHER_ACCOUNT}:user/u0"),
    ]
}

/// Actions of statements that apply often.
pub const WIDE_ALLOWS: &[&str] = &[
    "*",
    "*",
    "oss:*",
    "ecs:*",
    "polardb:*",
    "sts:AssumeRole",
    "*:Get*",
    "*:Describe*",
];
pub const WIDE_DENIES: &[&str] = &[
    "*:Delete*",
    "oss:PutObject",
    "ecs:Start*",
    "sts:AssumeRole",
    "polardb:*",
];

/// A statement on resource `*` without conditions, mostly an `Allow`: so that every layer
/// allows often enough for the next one to be reached.
pub fn wide_statement() -> impl Strategy<Value = GenStatement> {
    (
        statement(),
        prop::bool::weighted(0.6),
        select(WIDE_ALLOWS),
        select(WIDE_DENIES),
    )
        .prop_map(|(mut s, allow, allowed, denied)| {
            s.allow = allow;
            s.not_action = false;
            s.actions = vec![if allow { allowed } else { denied }.to_owned()];
            s.actions_as_array = false;
            s.not_resource = false;
            s.resources = vec!["*".to_owned()];
            s.conditions.clear();
            s
        })
}

/// A generated statement (two in five of them wide), sometimes with one more condition: on
/// `acs:PrincipalARN`, which the evaluation derives from the caller (SPEC §4).
pub fn account_statement() -> impl Strategy<Value = GenStatement> {
    prop_oneof![3 => narrow_statement(), 2 => wide_statement()]
}

fn narrow_statement() -> impl Strategy<Value = GenStatement> {
    let principal_condition = (
        select(&["StringEquals", "StringLike", "StringNotLike", "StringNotEquals"][..]),
        select(&["acs:PrincipalARN", "acs:principalarn"][..]),
        prop::collection::vec(select(principal_arn_values()), 1..=2),
    );
    (statement(), prop::option::weighted(0.3, principal_condition)).prop_map(|(mut s, extra)| {
        if let Some((operator, key, values)) = extra {
            let mut flat: Vec<(String, GenCondition)> = s
                .conditions
                .drain(..)
                .flat_map(|(op, keys)| keys.into_iter().map(move |k| (op.clone(), k)))
                .collect();
            flat.push((
                operator.to_owned(),
                GenCondition {
                    key: key.to_owned(),
                    as_array: values.len() > 1,
                    values: values.into_iter().map(|text| GenValue { text, bare: false }).collect(),
                },
            ));
            s.conditions = group(flat);
        }
        s
    })
}

pub fn account_statements() -> impl Strategy<Value = Vec<GenStatement>> {
    prop::collection::vec(account_statement(), 1..=5)
}

pub fn document(statements: &[GenStatement]) -> Value {
    serde_json::from_str(&render_policy(statements)).unwrap()
}

/// A generated statement as JSON, with a `Principal` (and for a trust policy, no resource and
/// mostly `sts:` actions: `trust` is `Some(action)`, `Some(Null)` to keep the generated ones).
pub fn resource_based(statement: &GenStatement, principal: Value, trust: Option<Value>) -> Value {
    let mut value: Value = serde_json::from_str(&render_policy(std::slice::from_ref(statement))).unwrap();
    let s = value["Statement"][0].as_object_mut().unwrap();
    s.insert("Principal".into(), principal);
    if let Some(action) = trust {
        s.remove("Resource");
        s.remove("NotResource");
        if !action.is_null() {
            s.remove("NotAction");
            s.insert("Action".into(), action);
        }
    }
    value["Statement"][0].clone()
}

/// `Principal` of a trust or bucket policy, in the `RAM` / `Service` / `Federated` forms.
pub fn principal() -> impl Strategy<Value = Value> {
    select(vec![
        json!({"RAM": [arn("root")]}),
        json!({"RAM": arn("root")}),
        json!({"RAM": [arn("root")]}),
        json!({"Service": ["ecs.aliyuncs.com"]}),
        json!({"RAM": [arn("user/u0")]}),
        json!({"RAM": [arn("user/u1"), arn("role/r0")]}),
        json!({"RAM": [arn("role/r1")]}),
        json!({"RAM": [arn("user/ghost"), arn("role/r0/session")]}),
        json!({"RAM": [format!("acs:ram::{OTHER_ACCOUNT}:root")]}),
        json!({"Service": ["ecs.aliyuncs.com"]}),
        json!({"Service": "oss.aliyuncs.com"}),
        json!({"RAM": [arn("user/u2")], "Service": ["ecs.aliyuncs.com"]}),
        json!({"Federated": [arn("saml-provider/idp")]}),
    ])
}

/// Bucket policies also name principals as `*` or bare account and user ids.
pub fn bucket_principal() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => principal(),
        3 => select(vec![
            json!("*"),
            json!(["*"]),
            json!([ACCOUNT_ID]),
            json!(["20000000000", "20000000002"]),
            json!([OTHER_ACCOUNT]),
            json!(["20000000001", OTHER_ACCOUNT]),
        ]),
    ]
}

pub fn trust_policy() -> impl Strategy<Value = Value> {
    let action = select(vec![
        json!("sts:AssumeRole"),
        json!(["sts:AssumeRole"]),
        json!("sts:*"),
        json!("STS:assumerole"),
        Value::Null,
    ]);
    (
        prop::collection::vec((account_statement(), principal(), action), 1..=2),
        prop::option::weighted(0.6, principal()),
    )
        .prop_map(|(statements, trusted)| {
            let mut statements: Vec<Value> = statements
                .into_iter()
                .map(|(s, p, a)| resource_based(&s, p, Some(a)))
                .collect();
            // Mostly also the plain form: these principals may assume the role.
            if let Some(p) = trusted {
                statements.push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": p}));
            }
            json!({"Version": "1", "Statement": statements})
        })
}

pub fn bucket_policy() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((account_statement(), bucket_principal()), 1..=3),
        prop::option::weighted(
            0.6,
            (
                bucket_principal(),
                prop_oneof![
                    2 => select(WIDE_ALLOWS).prop_map(|a| ("Allow", a)),
                    1 => select(WIDE_DENIES).prop_map(|a| ("Deny", a)),
                ],
            ),
        ),
    )
        .prop_map(|(statements, plain)| {
            let mut statements: Vec<Value> = statements
                .into_iter()
                .map(|(s, p)| resource_based(&s, p, None))
                .collect();
            // Mostly also a plain statement on every resource, without conditions.
            if let Some((p, (effect, action))) = plain {
                statements.push(json!({"Effect": effect, "Action": action, "Resource": "*", "Principal": p}));
            }
            json!({"Version": "1", "Statement": statements})
        })
}

/// Resource patterns of `resource_policies`: one that overlaps everything (`*`), or up to two
/// of services that never overlap. `acs:ram:*:*:*` also covers the roles' ARNs, which have no
/// resource policy but their trust policy (SPEC §5, roles as resources).
pub fn resource_patterns() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => Just(vec!["*"]),
        4 => subsequence(
            vec!["acs:oss:*:*:bucket/*", "acs:polardb:*:*:*", "acs:ram:*:*:*", "acs:ecs:*:*:instance/*"],
            1..=2
        ),
    ]
}

/// A policy attached to a user, group or role: a named one, a built-in one, an inline document,
/// at account scope or at a resource group's.
pub fn attachment() -> impl Strategy<Value = GenAttachment> {
    let policy = prop_oneof![
        5 => (0..NAMED).prop_map(PolicyRef::Named),
        2 => select(BUILTIN_IDENTITY).prop_map(PolicyRef::Builtin),
        2 => account_statements().prop_map(|s| PolicyRef::Inline(document(&s))),
        1 => Just(PolicyRef::Inline(json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "acs:ram:*:*:role/*"}
        ]}))),
    ];
    let scope = prop_oneof![2 => Just(None), 1 => select(RESOURCE_GROUPS).prop_map(Some)];
    (policy, scope).prop_map(|(policy, resource_group)| GenAttachment { policy, resource_group })
}

pub fn control_reference() -> impl Strategy<Value = PolicyRef> {
    prop_oneof![
        4 => Just(PolicyRef::Builtin("FullAliyunAccess")),
        1 => (0..NAMED).prop_map(PolicyRef::Named),
        2 => account_statements().prop_map(|s| PolicyRef::Inline(document(&s))),
        // A guardrail that denies one service: explicit denies at every kind of caller.
        3 => select(REQUEST_SERVICES).prop_map(|service| PolicyRef::Inline(json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": format!("{service}:*"), "Resource": "*"}
        ]}))),
        // A guardrail on who calls (SPEC §4: `acs:PrincipalARN` is derived from the caller).
        1 => Just(PolicyRef::Inline(json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringLike": {"acs:PrincipalARN": [arn("role/r1"), arn("user/u1")]}}}
        ]}))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

pub fn account() -> impl Strategy<Value = GenAccount> {
    let user = (
        prop::bool::weighted(0.8),
        prop::collection::vec(attachment(), 0..=3),
        prop::collection::vec(any::<bool>(), 2),
    );
    let role = (
        prop::collection::vec(attachment(), 0..=2),
        prop::option::weighted(0.85, trust_policy()),
    );
    let resources = resource_patterns().prop_flat_map(|patterns| {
        let n = patterns.len();
        (Just(patterns), prop::collection::vec(bucket_policy(), n))
    });
    (
        prop::collection::vec(account_statements(), NAMED),
        prop::collection::vec(user, 1..=3),
        prop::collection::vec(prop::collection::vec(attachment(), 0..=2), 2),
        prop::collection::vec(role, 1..=3),
        prop::option::weighted(
            0.35,
            prop::collection::vec(prop::collection::vec(control_reference(), 1..=2), 1..=3),
        ),
        resources,
    )
        .prop_map(|(named, users, groups, roles, control, (patterns, policies))| {
            let users = users
                .into_iter()
                .enumerate()
                .map(|(i, (has_id, attachments, member))| GenUser {
                    id: has_id.then(|| format!("2000000000{i}")),
                    attachments,
                    groups: member.iter().enumerate().filter(|(_, &m)| m).map(|(g, _)| g).collect(),
                })
                .collect();
            let roles = roles
                .into_iter()
                .map(|(attachments, trust)| GenRole { attachments, trust })
                .collect();
            let mut account = GenAccount {
                named,
                users,
                groups,
                roles,
                control: control.unwrap_or_default(),
                resources: patterns.into_iter().zip(policies).collect(),
                text: String::new(),
            };
            account.text = render_account(&account);
            account
        })
}

fn render_reference(policy: &PolicyRef) -> Value {
    match policy {
        PolicyRef::Named(i) => json!(format!("pol{i}")),
        PolicyRef::Builtin(name) => json!(name),
        PolicyRef::Inline(document) => document.clone(),
    }
}

fn render_attachments(attachments: &[GenAttachment]) -> Value {
    attachments
        .iter()
        .map(|a| match a.resource_group {
            None => render_reference(&a.policy),
            Some(g) => json!({"policy": render_reference(&a.policy), "resource_group": g}),
        })
        .collect()
}

pub fn render_account(account: &GenAccount) -> String {
    let mut policies = Map::new();
    for (i, statements) in account.named.iter().enumerate() {
        policies.insert(format!("pol{i}"), document(statements));
    }
    let mut users = Map::new();
    for (i, u) in account.users.iter().enumerate() {
        let mut user = json!({
            "policies": render_attachments(&u.attachments),
            "groups": u.groups.iter().map(|g| format!("g{g}")).collect::<Vec<_>>(),
        });
        if let Some(id) = &u.id {
            user["id"] = json!(id);
        }
        users.insert(format!("u{i}"), user);
    }
    let mut groups = Map::new();
    for (i, g) in account.groups.iter().enumerate() {
        groups.insert(format!("g{i}"), json!({ "policies": render_attachments(g) }));
    }
    let mut roles = Map::new();
    for (i, r) in account.roles.iter().enumerate() {
        let mut role = json!({ "policies": render_attachments(&r.attachments) });
        if let Some(trust) = &r.trust {
            role["trust_policy"] = trust.clone();
        }
        roles.insert(format!("r{i}"), role);
    }
    let mut out = json!({
        "account_id": ACCOUNT_ID,
        "policies": policies,
        "users": users,
        "groups": groups,
        "roles": roles,
    });
    if !account.control.is_empty() {
        out["control_policies"] = account
            .control
            .iter()
            .map(|level| level.iter().map(render_reference).collect::<Value>())
            .collect();
    }
    if !account.resources.is_empty() {
        let map: Map<String, Value> = account
            .resources
            .iter()
            .map(|(pattern, policy)| ((*pattern).to_owned(), policy.clone()))
            .collect();
        out["resource_policies"] = Value::Object(map);
    }
    serde_json::to_string_pretty(&out).unwrap()
}
