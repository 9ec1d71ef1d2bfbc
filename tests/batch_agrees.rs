//! Batch mode agrees with single checks (SPEC §8): for random account files (users, groups,
//! roles with trust policies, resource-group attachments, control policies, bucket policies) and
//! random requests, `check --requests` gives, line by line, the decision, layer, deciding
//! statements and condition errors that `check --principal … --format json` gives for the same
//! request, and that the library gives. In the library, `Chain::decide`, `Chain::evaluate` and
//! `Chain::evaluate_brief` agree for every request.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use generate::*;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use ram_policy::{Account, CompileOptions, Detail, FileResolver, Request, Store};
use serde_json::{json, Map, Value};

const ACCOUNT_ID: &str = "123456789012";
/// Every request without `acs:CurrentTime` gets this one, so that the batch (one evaluation time
/// for the whole batch) and single checks (each its own) see the same context.
const NOW: &str = "2026-01-15T10:00:00Z";
const REQUESTS: usize = 50;
/// Requests of each batch also checked one by one with the command line.
const SINGLE_CHECKS: usize = 10;

// ---------------------------------------------------------------------------------------------
// Random accounts
// ---------------------------------------------------------------------------------------------

fn document(statements: &[GenStatement]) -> Value {
    serde_json::from_str(&render_policy(statements)).unwrap()
}

/// A generated statement as JSON, with a `Principal` (and for a trust policy, no resource and
/// mostly `sts:` actions).
fn resource_based(statement: &GenStatement, principal: Value, trust: Option<Value>) -> Value {
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
    value
}

fn principal() -> impl Strategy<Value = Value> {
    let arn = |local: &str| format!("acs:ram::{ACCOUNT_ID}:{local}");
    select(vec![
        json!({"RAM": [arn("root")]}),
        json!({"RAM": arn("root")}),
        json!({"RAM": [arn("user/u0")]}),
        json!({"RAM": [arn("user/u1"), arn("role/r0")]}),
        json!({"RAM": ["acs:ram::999999999999:root"]}),
        json!({"Service": ["ecs.aliyuncs.com"]}),
        json!({"Service": "oss.aliyuncs.com"}),
    ])
}

/// Bucket policies also name principals as `*` or bare account and user ids.
fn bucket_principal() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => principal(),
        2 => select(vec![json!("*"), json!(["*"]), json!([ACCOUNT_ID]), json!(["20000000000", "20000000002"])]),
    ]
}

fn trust_policy() -> impl Strategy<Value = Value> {
    let action = select(vec![
        json!("sts:AssumeRole"),
        json!(["sts:AssumeRole"]),
        json!("sts:*"),
        Value::Null,
    ]);
    prop::collection::vec((statement(), principal(), action), 1..=2).prop_map(|statements| {
        let statements: Vec<Value> = statements
            .into_iter()
            .map(|(s, p, a)| resource_based(&s, p, Some(a))["Statement"][0].clone())
            .collect();
        json!({"Version": "1", "Statement": statements})
    })
}

fn bucket_policy() -> impl Strategy<Value = Value> {
    prop::collection::vec((statement(), bucket_principal()), 1..=2).prop_map(|statements| {
        let statements: Vec<Value> = statements
            .into_iter()
            .map(|(s, p)| resource_based(&s, p, None)["Statement"][0].clone())
            .collect();
        json!({"Version": "1", "Statement": statements})
    })
}

/// A reference to an identity policy: a named one, a built-in one, an inline document, or a
/// named one attached at a resource group's scope.
fn identity_reference() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(vec!["pol0", "pol1", "pol2"]).prop_map(|n| json!(n)),
        1 => select(vec!["AliyunPolardbReadOnlyAccess", "AdministratorAccess"]).prop_map(|n| json!(n)),
        2 => policy_statements().prop_map(|s| document(&s)),
        2 => (select(vec!["pol0", "pol1", "pol2"]), select(vec!["rg-1", "rg-2"]))
            .prop_map(|(p, g)| json!({"policy": p, "resource_group": g})),
        1 => Just(json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "acs:ram:*:*:role/*"}
        ]})),
    ]
}

fn control_reference() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => Just(json!("FullAliyunAccess")),
        1 => select(vec!["pol0", "pol1", "pol2"]).prop_map(|n| json!(n)),
        2 => policy_statements().prop_map(|s| document(&s)),
        // A guardrail that denies one service: explicit denies at every kind of caller.
        3 => select(REQUEST_SERVICES).prop_map(|service| json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": format!("{service}:*"), "Resource": "*"}
        ]})),
    ]
}

#[derive(Debug, Clone)]
struct GenAccount {
    /// The account file.
    text: String,
    /// Every named policy's statements (for the requests' keys).
    statements: Vec<Vec<GenStatement>>,
    users: usize,
    roles: usize,
}

fn account() -> impl Strategy<Value = GenAccount> {
    (
        prop::collection::vec(policy_statements(), 3),
        prop::collection::vec(
            (
                prop::collection::vec(identity_reference(), 0..=3),
                prop::collection::vec(any::<bool>(), 2),
            ),
            1..=3,
        ),
        prop::collection::vec(prop::collection::vec(identity_reference(), 1..=2), 2),
        prop::collection::vec(
            (prop::collection::vec(identity_reference(), 0..=2), trust_policy()),
            0..=2,
        ),
        prop::option::weighted(
            0.3,
            prop::collection::vec(prop::collection::vec(control_reference(), 1..=2), 1..=2),
        ),
        prop::option::weighted(
            0.4,
            (
                select(vec!["acs:oss:*:*:bucket/*", "acs:polardb:*:*:*", "*"]),
                bucket_policy(),
            ),
        ),
    )
        .prop_map(|(named, users, groups, roles, control, bucket)| {
            let mut policies = Map::new();
            for (i, statements) in named.iter().enumerate() {
                policies.insert(format!("pol{i}"), document(statements));
            }
            let mut user_map = Map::new();
            for (i, (references, in_groups)) in users.iter().enumerate() {
                let groups: Vec<String> = in_groups
                    .iter()
                    .enumerate()
                    .filter(|(_, &member)| member)
                    .map(|(g, _)| format!("g{g}"))
                    .collect();
                user_map.insert(
                    format!("u{i}"),
                    json!({"id": format!("2000000000{i}"), "policies": references, "groups": groups}),
                );
            }
            let mut group_map = Map::new();
            for (i, references) in groups.iter().enumerate() {
                group_map.insert(format!("g{i}"), json!({ "policies": references }));
            }
            let mut role_map = Map::new();
            for (i, (references, trust)) in roles.iter().enumerate() {
                role_map.insert(format!("r{i}"), json!({"policies": references, "trust_policy": trust}));
            }
            let mut account = json!({
                "account_id": ACCOUNT_ID,
                "policies": policies,
                "users": user_map,
                "groups": group_map,
                "roles": role_map,
            });
            if let Some(levels) = control {
                account["control_policies"] = json!(levels);
            }
            if let Some((pattern, policy)) = bucket {
                account["resource_policies"] = json!({ pattern: policy });
            }
            GenAccount {
                text: serde_json::to_string_pretty(&account).unwrap(),
                statements: named,
                users: users.len(),
                roles: roles.len(),
            }
        })
}

// ---------------------------------------------------------------------------------------------
// Random requests
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Line {
    principal: String,
    request: GenRequest,
    resource_group: Option<String>,
    /// Bit `i`: write the `i`-th context value bare in the batch line when it is a JSON number
    /// or boolean (read as its text, like the same text on the command line).
    bare: u64,
}

impl Line {
    /// The context, each key's values together (in the order the key first appears), as the
    /// batch's JSON object groups them.
    fn grouped(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in &self.request.context {
            match out.iter_mut().find(|(key, _)| key == k) {
                Some((_, values)) => values.push(v.clone()),
                None => out.push((k.clone(), vec![v.clone()])),
            }
        }
        out
    }

    fn json(&self) -> String {
        let mut line = json!({
            "principal": self.principal,
            "action": self.request.action,
            "resource": self.request.resource,
        });
        if let Some(g) = &self.resource_group {
            line["resource_group"] = json!(g);
        }
        let mut n = 0;
        let mut context = Vec::new();
        for (key, values) in self.grouped() {
            let values: Vec<String> = values
                .iter()
                .map(|v| {
                    n += 1;
                    let scalar = serde_json::from_str::<Value>(v).is_ok_and(|j| j.is_number() || j.is_boolean());
                    if scalar && self.bare >> (n % 64) & 1 == 1 {
                        v.clone()
                    } else {
                        json!(v).to_string()
                    }
                })
                .collect();
            let value = if values.len() == 1 {
                values[0].clone()
            } else {
                format!("[{}]", values.join(", "))
            };
            context.push(format!("{}: {value}", json!(key)));
        }
        let line = serde_json::to_string(&line).unwrap();
        format!(
            "{}, \"context\": {{{}}}}}",
            line.strip_suffix('}').unwrap(),
            context.join(", ")
        )
    }

    fn args(&self, account: &str) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "check".into(),
            "--account".into(),
            account.into(),
            "--principal".into(),
            self.principal.clone(),
            "--action".into(),
            self.request.action.clone(),
            "--resource".into(),
            self.request.resource.clone(),
            "--format".into(),
            "json".into(),
        ];
        if let Some(g) = &self.resource_group {
            args.extend(["--resource-group".into(), g.clone()]);
        }
        for (key, values) in self.grouped() {
            for v in values {
                args.extend(["--context".into(), format!("{key}={v}")]);
            }
        }
        args
    }
}

fn line(account: &GenAccount) -> impl Strategy<Value = Line> {
    let mut principals = vec![
        "root".to_owned(),
        "service/ecs.aliyuncs.com".to_owned(),
        format!("acs:ram::{ACCOUNT_ID}:user/u0"),
    ];
    for i in 0..account.users {
        principals.extend([format!("user/u{i}"), format!("user/u{i}")]);
    }
    for i in 0..account.roles {
        principals.extend([format!("role/r{i}"), format!("role/r{i}/session")]);
    }
    let mut resources: Vec<String> = REQUEST_RESOURCES.iter().map(|r| (*r).to_owned()).collect();
    resources.extend([
        format!("acs:ram::{ACCOUNT_ID}:role/r0"),
        format!("acs:ram::{ACCOUNT_ID}:role/r1"),
        "acs:oss:cn-hangzhou:999:bucket/x".to_owned(),
    ]);
    let action = prop_oneof![
        6 => (select(REQUEST_SERVICES), select(REQUEST_NAMES)).prop_map(|(s, n)| format!("{s}:{n}")),
        2 => Just("sts:AssumeRole".to_owned()),
        1 => Just("oss:GetObject".to_owned()),
    ];
    (
        select(principals),
        request(hot_keys(&account.statements)),
        action,
        select(resources),
        prop::option::weighted(0.3, select(vec!["rg-1", "rg-2", "rg-3"])),
        any::<u64>(),
    )
        .prop_map(|(principal, mut request, action, resource, group, bits)| {
            // Mostly roles for `sts:AssumeRole`.
            request.resource = if action == "sts:AssumeRole" && bits % 3 != 0 {
                format!("acs:ram::{ACCOUNT_ID}:role/r{}", bits % 2)
            } else {
                resource
            };
            request.action = action;
            if !request
                .context
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("acs:CurrentTime"))
            {
                request.context.push(("acs:CurrentTime".into(), NOW.into()));
            }
            Line {
                principal,
                request,
                resource_group: group.map(str::to_owned),
                bare: bits >> 2,
            }
        })
}

fn batch() -> impl Strategy<Value = (GenAccount, Vec<Line>)> {
    account().prop_flat_map(|account| {
        let lines = prop::collection::vec(line(&account), REQUESTS);
        (Just(account), lines)
    })
}

// ---------------------------------------------------------------------------------------------
// Checking one batch three ways
// ---------------------------------------------------------------------------------------------

fn run(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ram-policy"))
        .args(args)
        .output()
        .unwrap()
}

/// The parts of an answer compared: decision, layer, deciding statements, condition errors.
fn answer(value: &Value) -> Value {
    json!({
        "decision": value["decision"],
        "layer": value["layer"],
        "deciding": value["deciding"],
        "errors": value.get("errors").cloned().unwrap_or_else(|| json!([])),
    })
}

/// Checks one batch; returns the answers (for the coverage count).
fn check_batch(account: &GenAccount, lines: &[Line], dir: &Path) -> Result<Vec<Value>, TestCaseError> {
    let account_path = dir.join("account.json");
    std::fs::write(&account_path, &account.text).unwrap();
    let origin = account_path.display().to_string();
    let batch_path = dir.join("requests.jsonl");
    let batch_text: String = lines.iter().map(|l| l.json() + "\n").collect();
    std::fs::write(&batch_path, &batch_text).unwrap();
    let story = |i: usize| {
        format!(
            "account file:\n{}\nrequest line {}: {}",
            account.text,
            i + 1,
            lines[i].json()
        )
    };

    // The library.
    let parsed = Account::parse(&origin, &account.text, &FileResolver::new(dir))
        .unwrap_or_else(|e| panic!("the generator wrote an invalid account:\n{}\n{e}", account.text));
    let store = Store::for_account(&parsed, &[], CompileOptions::default()).unwrap();
    let mut library = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let caller = parsed.caller(&l.principal).unwrap();
        let mut builder = Request::builder(&l.request.action)
            .resource(&l.request.resource)
            .caller(caller);
        if let Some(g) = &l.resource_group {
            builder = builder.resource_group(g);
        }
        for (key, values) in l.grouped() {
            for v in values {
                builder = builder.context(&key, v);
            }
        }
        let request = builder.build().unwrap();
        let full = store.authorize(&request, Detail::Explanation);
        let brief = store.authorize(&request, Detail::Deciding);
        let decided = store.authorize(&request, Detail::Decision);
        prop_assert_eq!(
            (decided.decision(), decided.layer()),
            (full.decision(), full.layer()),
            "the fast path and the explanation differ: {}",
            story(i)
        );
        prop_assert_eq!(
            (brief.decision(), brief.layer()),
            (full.decision(), full.layer()),
            "the deciding statements' evaluation and the explanation differ: {}",
            story(i)
        );
        prop_assert_eq!(brief.deciding(), full.deciding(), "{}", story(i));
        prop_assert_eq!(brief.errors(), full.errors(), "{}", story(i));
        library.push(answer(&json!({
            "decision": brief.decision(),
            "layer": brief.layer(),
            "deciding": brief.deciding(),
            "errors": brief.errors(),
        })));
    }

    // The batch.
    let args: Vec<String> = vec![
        "check".into(),
        "--account".into(),
        origin.clone(),
        "--requests".into(),
        batch_path.display().to_string(),
    ];
    let o = run(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    prop_assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "batch exit {:?}: {stderr}\n{stdout}\naccount:\n{}\nrequests:\n{batch_text}",
        o.status.code(),
        account.text
    );
    let out: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    prop_assert_eq!(out.len(), lines.len(), "{}", stdout);
    for (i, value) in out.iter().enumerate() {
        prop_assert_eq!(&value["line"], &json!(i + 1), "{}", story(i));
        prop_assert_eq!(
            answer(value),
            library[i].clone(),
            "the batch and the library differ: {}",
            story(i)
        );
    }

    // Single checks of a sample.
    for (i, l) in lines.iter().enumerate().take(SINGLE_CHECKS) {
        let o = run(&l.args(&origin));
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let allowed = library[i]["decision"] == "Allow";
        prop_assert_eq!(
            o.status.code(),
            Some(if allowed { 0 } else { 1 }),
            "single check: {}\n{}\n{}",
            stderr,
            stdout,
            story(i)
        );
        let value: Value = serde_json::from_str(&stdout).unwrap();
        prop_assert_eq!(
            answer(&value),
            answer(&out[i]),
            "the single check and the batch differ: {}",
            story(i)
        );
    }
    Ok(library)
}

/// 20 accounts of 50 requests each; then the decisions and layers seen must be varied enough
/// for the agreement to mean something.
#[test]
fn batch_agrees_with_single_checks() {
    let case = AtomicUsize::new(0);
    let seen: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    // 20 cases, or as many as `PROPTEST_CASES` says (for a longer search).
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&batch(), |(account, lines)| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("batch_agrees")
            .join(case.fetch_add(1, Ordering::Relaxed).to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let answers = check_batch(&account, &lines, &dir)?;
        let mut seen = seen.lock().unwrap();
        for a in answers {
            let errors = if a["errors"].as_array().is_some_and(|e| !e.is_empty()) {
                " (condition errors)"
            } else {
                ""
            };
            for label in [
                format!("{}", a["decision"]),
                format!("{}", a["layer"]),
                format!("{} at {}{errors}", a["decision"], a["layer"]),
            ] {
                *seen.entry(label).or_default() += 1;
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner().unwrap();
    let total: usize = ["\"Allow\"", "\"ExplicitDeny\"", "\"ImplicitDeny\""]
        .iter()
        .map(|d| seen.get(*d).copied().unwrap_or(0))
        .sum();
    for (label, n) in &seen {
        println!("{n:5} {label}");
    }
    for decision in ["\"Allow\"", "\"ExplicitDeny\"", "\"ImplicitDeny\""] {
        let n = seen.get(decision).copied().unwrap_or(0);
        assert!(n * 20 >= total, "{decision} in only {n} of {total} requests");
    }
    for layer in [
        "\"AccountLevelIdentityBasedPolicy\"",
        "\"ResourceGroupLevelIdentityBasedPolicy\"",
        "\"ControlPolicy\"",
        "\"ResourcePolicy\"",
        "\"TrustPolicy\"",
        "\"RootIdentity\"",
    ] {
        assert!(seen.contains_key(layer), "no request decided at {layer}");
    }
}
