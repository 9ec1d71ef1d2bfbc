//! Regression tests for the fail-open and crash findings of the foundation review (F1–F10),
//! each named after its finding. They run the binary as a user would, or the library as an
//! embedding program would.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{run, scratch, status, stderr, stdout, write};
use ram_policy::{Account, CompileOptions, Decision, Detail, Layer, NoFiles, Request, Store};

const ALLOW: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const DENY: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:*","Resource":"*"}]}"#;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

#[test]
fn f1_control_policy_level_out_of_range_is_a_usage_error() {
    let dir = scratch("f1");
    let allow = write(&dir, "allow.json", ALLOW);
    let deny = write(&dir, "deny.json", DENY);
    for level in [
        "18446744073709551615",
        "18446744073709551614",
        "1000000000",
        "10000000",
        "99999999999999999999999",
        "17",
    ] {
        let bogus = format!("{level}:{deny}");
        let o = run(
            &[
                "check",
                "--policy",
                &allow,
                "--control-policy",
                "FullAliyunAccess",
                "--control-policy",
                &deny,
                "--control-policy",
                &bogus,
                "--action",
                "ecs:StartInstance",
            ],
            None,
        );
        assert_eq!(status(&o), 2, "level {level}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains("invalid control-policy level"), "{}", stderr(&o));
        assert!(stdout(&o).is_empty(), "no decision is printed: {}", stdout(&o));
    }
    // The highest level accepted still counts, and the Deny at level 0 is never dropped.
    let top = format!("16:{deny}");
    let o = run(
        &[
            "check",
            "--policy",
            &allow,
            "--control-policy",
            "FullAliyunAccess",
            "--control-policy",
            &deny,
            "--control-policy",
            &top,
            "--action",
            "ecs:StartInstance",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(status(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["decision"], "ExplicitDeny");
    assert_eq!(v["layer"], "ControlPolicy");
}

/// An account where carol may assume any role, and role `Admin` trusts nobody (its trust
/// policy denies everyone).
fn f2_account(dir: &std::path::Path) -> String {
    write(
        dir,
        "account.json",
        r#"{
  "account_id": "123456789012",
  "policies": {
    "assume-any": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]},
    "deny-all": {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": "*"}]},
    "trust-everyone": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Principal": "*"}]}
  },
  "users": {"carol": {"policies": ["assume-any"]}, "nobody": {}},
  "roles": {"Admin": {"trust_policy": "deny-all"}, "open": {"trust_policy": "trust-everyone"}}
}"#,
    )
}

fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = run(&all, None);
    let code = status(&o);
    assert_ne!(code, 2, "{}", stderr(&o));
    (code, json(&o))
}

#[test]
fn f2_assume_role_without_a_known_trust_policy_is_denied_at_trust_policy() {
    let dir = scratch("f2");
    let account = f2_account(&dir);
    for resource in [
        "acs:ram::123456789012:role/admin",
        "acs:ram::123456789012:role/ghost",
        "*",
        "acs:ram::999999999999:role/x",
        "acs:ram:cn-hangzhou:123456789012:role/Admin",
    ] {
        let (code, v) = check_json(&[
            "--account",
            &account,
            "--principal",
            "user/carol",
            "--action",
            "sts:AssumeRole",
            "--resource",
            resource,
        ]);
        assert_eq!(code, 1, "{resource}: {v}");
        assert_eq!(v["decision"], "ImplicitDeny", "{resource}: {v}");
        assert_eq!(v["layer"], "TrustPolicy", "{resource}: {v}");
        let notes = v["notes"].to_string();
        assert!(notes.contains("no trust policy is known"), "{resource}: {notes}");
    }
    // The described role's own trust policy decides, and it denies.
    let (code, v) = check_json(&[
        "--account",
        &account,
        "--principal",
        "user/carol",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "acs:ram::123456789012:role/Admin",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["decision"], "ExplicitDeny");
    assert_eq!(v["layer"], "TrustPolicy");
}

#[test]
fn f4_root_is_allowed_only_on_well_formed_arns_of_its_own_account() {
    let dir = scratch("f4");
    let account = f2_account(&dir);
    for resource in [
        "ACS:ecs:cn:999999999999:instance/i-1",
        " acs:ecs:cn:999999999999:instance/i-1",
        "acs:ecs:cn:999999999999",
        "acs:ecs:cn:999999999999:instance/i-1",
        "acs:ecs:cn:123456789012",
        "ACS:ecs:cn:123456789012:instance/i-1",
    ] {
        let (code, v) = check_json(&[
            "--account",
            &account,
            "--principal",
            "root",
            "--action",
            "ecs:StartInstance",
            "--resource",
            resource,
        ]);
        assert_eq!(code, 1, "{resource:?}: {v}");
        assert_ne!(v["layer"], "RootIdentity", "{resource:?}: {v}");
    }
    for resource in [
        "*",
        "acs:ecs:cn:123456789012:instance/i-1",
        "acs:ecs:cn::instance/i-1",
        "acs:ecs:cn:*:instance/i-1",
    ] {
        let (code, v) = check_json(&[
            "--account",
            &account,
            "--principal",
            "root",
            "--action",
            "ecs:StartInstance",
            "--resource",
            resource,
        ]);
        assert_eq!(code, 0, "{resource:?}: {v}");
        assert_eq!(v["layer"], "RootIdentity");
    }
}

#[test]
fn f5_a_trust_policy_governs_only_sts_assume_role() {
    let dir = scratch("f5");
    let account = f2_account(&dir);
    // `open` trusts everyone with Action `*`: that must not let anyone delete the role.
    let (code, v) = check_json(&[
        "--account",
        &account,
        "--principal",
        "user/nobody",
        "--action",
        "ram:DeleteRole",
        "--resource",
        "acs:ram::123456789012:role/open",
    ]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["decision"], "ImplicitDeny");
    assert_eq!(v["layer"], "AccountLevelIdentityBasedPolicy");
}

#[test]
fn f5_resource_policies_never_name_or_apply_to_roles() {
    let dir = scratch("f5-resources");
    let account = write(
        &dir,
        "account.json",
        r#"{
  "account_id": "123456789012",
  "users": {"nobody": {}},
  "roles": {"ops": {}},
  "resource_policies": {
    "acs:ram::123456789012:role/*": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}
  }
}"#,
    );
    let o = run(
        &[
            "check",
            "--account",
            &account,
            "--principal",
            "user/nobody",
            "--action",
            "ram:DeleteRole",
        ],
        None,
    );
    assert_eq!(status(&o), 2, "{}", stdout(&o));
    assert!(stderr(&o).contains("names a role"), "{}", stderr(&o));
    assert!(stderr(&o).contains(":6:"), "located: {}", stderr(&o));

    // A pattern that happens to match roles as well never applies to them.
    let account = write(
        &dir,
        "wide.json",
        r#"{
  "account_id": "123456789012",
  "users": {"nobody": {}},
  "roles": {"ops": {}},
  "resource_policies": {
    "acs:ram::123456789012:*": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": {"RAM": ["acs:ram::123456789012:root"]}}]}
  }
}"#,
    );
    for role in ["acs:ram::123456789012:role/ops", "acs:ram::123456789012:role/ghost"] {
        let (code, v) = check_json(&[
            "--account",
            &account,
            "--principal",
            "user/nobody",
            "--action",
            "ram:DeleteRole",
            "--resource",
            role,
        ]);
        assert_eq!(code, 1, "{role}: {v}");
        assert_eq!(v["decision"], "ImplicitDeny");
    }
    // It still applies to what it governs.
    let (code, _) = check_json(&[
        "--account",
        &account,
        "--principal",
        "user/nobody",
        "--action",
        "ram:GetUser",
        "--resource",
        "acs:ram::123456789012:user/x",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn f7_the_evaluation_derives_acs_principal_arn() {
    let account = Account::parse(
        "account.json",
        r#"{
  "account_id": "1",
  "policies": {"p": {"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"acs:PrincipalARN": "acs:ram::1:user/bob"}}}
  ]}},
  "users": {"bob": {"policies": ["p"]}, "amy": {"policies": ["p"]}}
}"#,
        &NoFiles,
    )
    .unwrap();
    let store = Store::for_account(&account, &[], CompileOptions::default()).unwrap();
    let bob = account.caller("user/bob").unwrap();
    let plain = Request::builder("ecs:StartInstance")
        .caller(bob.clone())
        .build()
        .unwrap();
    for detail in [Detail::Decision, Detail::Deciding, Detail::Explanation] {
        let r = store.authorize(&plain, detail);
        assert_eq!(
            (r.decision(), r.layer()),
            (Decision::ExplicitDeny, Layer::AccountLevelIdentityBasedPolicy),
            "{detail:?}"
        );
    }
    // A value set by hand does not win over the caller the request carries.
    let claimed = Request::builder("ecs:StartInstance")
        .context("acs:PrincipalARN", "acs:ram::1:user/amy")
        .caller(bob)
        .build()
        .unwrap();
    assert_eq!(
        store.authorize(&claimed, Detail::Decision).decision(),
        Decision::ExplicitDeny
    );
    let amy = account.caller("user/amy").unwrap();
    let claimed = Request::builder("ecs:StartInstance")
        .context("acs:PrincipalARN", "acs:ram::1:user/bob")
        .caller(amy)
        .build()
        .unwrap();
    assert_eq!(store.authorize(&claimed, Detail::Decision).decision(), Decision::Allow);
}

#[test]
fn f9_two_policies_of_one_name_are_an_error() {
    let dir = scratch("f9");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let a = write(&dir.join("a"), "p.json", ALLOW);
    let b = write(&dir.join("b"), "p.json", DENY);
    let o = run(
        &["check", "--policy", &a, "--policy", &b, "--action", "ecs:StartInstance"],
        None,
    );
    assert_eq!(status(&o), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("two different policies named `p`"),
        "{}",
        stderr(&o)
    );
    // The same file twice is the same policy: kept once.
    let o = run(
        &["check", "--policy", &a, "--policy", &a, "--action", "ecs:StartInstance"],
        None,
    );
    assert_eq!(status(&o), 0, "{}", stderr(&o));
}

#[test]
fn principals_are_checked_strictly() {
    let dir = scratch("principals");
    let account = f2_account(&dir);
    for (principal, needle) in [
        ("acs:ram:::::::123456789012:root", "not a RAM ARN"),
        ("acs:ram::123456789012:", "not a RAM ARN"),
        ("service/evil", "invalid service principal"),
        ("service/.aliyuncs.com", "invalid service principal"),
    ] {
        let o = run(
            &[
                "check",
                "--account",
                &account,
                "--principal",
                principal,
                "--action",
                "ecs:StartInstance",
            ],
            None,
        );
        assert_eq!(status(&o), 2, "{principal}: {}", stdout(&o));
        assert!(stderr(&o).contains(needle), "{principal}: {}", stderr(&o));
    }
    let o = run(
        &[
            "check",
            "--account",
            &account,
            "--principal",
            "service/ecs.aliyuncs.com",
            "--action",
            "ecs:StartInstance",
        ],
        None,
    );
    assert_eq!(status(&o), 1, "{}", stderr(&o));
    let bad = write(
        &dir,
        "bad-id.json",
        r#"{"account_id": "1", "users": {"u": {"id": "12ab"}}}"#,
    );
    let o = run(
        &[
            "check",
            "--account",
            &bad,
            "--principal",
            "user/u",
            "--action",
            "ecs:StartInstance",
        ],
        None,
    );
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("user id `12ab` is not numeric"), "{}", stderr(&o));
}

/// Finding of the foundation review: 80,000 distinct context keys in one batch line took 9.1 s
/// (a linear scan per key). A request has at most 1,000 keys (SPEC §4), and a batch line of more
/// values than any request holds is refused before it is parsed: the line is refused with a
/// clear error, and the next line is still decided. A line of 1,001 keys meets the key limit.
#[test]
fn eighty_thousand_context_keys_in_a_batch_line_are_refused() {
    let dir = scratch("eighty-thousand-keys");
    let line = |keys: usize| {
        let context: Vec<String> = (0..keys).map(|i| format!(r#""{i:x}":"""#)).collect();
        format!(
            "{{\"action\": \"ecs:StartInstance\", \"context\": {{{}}}}}\n",
            context.join(",")
        )
    };
    let lines = line(80_000) + &line(1_001) + "{\"action\": \"ecs:StartInstance\"}\n";
    let requests = write(&dir, "requests.jsonl", &lines);
    let allow = write(&dir, "allow.json", ALLOW);
    let o = run(&["check", "--policy", &allow, "--requests", &requests], None);
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].contains("more than 22000 JSON values"), "{}", lines[0]);
    assert!(lines[1].contains("over the limit of 1000 keys"), "{}", lines[1]);
    assert!(lines[2].contains(r#""decision":"Allow""#), "{}", lines[2]);
}
