//! The command line with principals: account files, the chain, explanations (snapshots), batch
//! mode and `ram-policy test`.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{run, scratch, status as code, stderr as err, stdout as out, write};

const CLUSTER: &str = "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-bp150t3l1td9863q9";
const ACCOUNT: &str = "tests/fixtures/account.json";
const NOW: &str = "acs:CurrentTime=2026-11-28T10:00:00+08:00";

fn carol(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "check",
        "--account",
        ACCOUNT,
        "--principal",
        "user/carol",
        "--action",
        "polardb:AbortDBClusterMigration",
        "--resource",
        CLUSTER,
        "--context",
        "acs:SourceIp=203.0.113.9",
        "--context",
        NOW,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    args.extend(extra.iter().map(ToString::to_string));
    args
}

fn run_strings(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs, None)
}

#[test]
fn denied_text_explanation_says_what_to_change() {
    let o = run_strings(&carol(&["--context", "acs:MFAPresent=false"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    insta::assert_snapshot!("carol_without_mfa_text", out(&o));
}

#[test]
fn denied_json_explanation() {
    let o = run_strings(&carol(&["--context", "acs:MFAPresent=false", "--format", "json"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "ImplicitDeny");
    assert_eq!(v["layer"], "AccountLevelIdentityBasedPolicy");
    assert_eq!(v["principal"]["arn"], "acs:ram::123456789012:user/carol");
    assert_eq!(v["near_misses"][0]["failed_conditions"][0]["key"], "acs:MFAPresent");
    insta::assert_snapshot!("carol_without_mfa_json", out(&o));
}

#[test]
fn allowed_text_and_json() {
    let o = run_strings(&carol(&["--context", "acs:MFAPresent=true"]));
    assert_eq!(code(&o), 0, "{}", err(&o));
    insta::assert_snapshot!("carol_with_mfa_text", out(&o));
    let o = run_strings(&carol(&["--context", "acs:MFAPresent=true", "--format", "json"]));
    insta::assert_snapshot!("carol_with_mfa_json", out(&o));
}

#[test]
fn explicit_deny_and_resource_group_layers() {
    let o = run(
        &[
            "check",
            "--account",
            ACCOUNT,
            "--principal",
            "user/carol",
            "--action",
            "polardb:DeleteDBCluster",
            "--resource",
            CLUSTER,
        ],
        None,
    );
    assert_eq!(code(&o), 1);
    insta::assert_snapshot!("carol_delete_text", out(&o));

    let dave = |group: &str| {
        run(
            &[
                "check",
                "--account",
                ACCOUNT,
                "--principal",
                "user/dave",
                "--action",
                "polardb:DeleteDBCluster",
                "--resource",
                CLUSTER,
                "--resource-group",
                group,
                "--format",
                "json",
            ],
            None,
        )
    };
    let o = dave("rg-prod");
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["layer"], "ResourceGroupLevelIdentityBasedPolicy");
    let o = dave("rg-test");
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "ImplicitDeny");
}

#[test]
fn assume_role_and_principal_errors() {
    let assume = |who: &str| {
        run(
            &[
                "check",
                "--account",
                ACCOUNT,
                "--principal",
                who,
                "--action",
                "sts:AssumeRole",
                "--resource",
                "acs:ram::123456789012:role/ops",
                "--format",
                "json",
            ],
            None,
        )
    };
    let o = assume("user/carol");
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["deciding"].as_array().unwrap().len(),
        2,
        "identity and trust statements"
    );
    let o = assume("user/dave");
    assert_eq!(code(&o), 1);
    let o = assume("acs:ram::123456789012:user/carol");
    assert_eq!(code(&o), 0);
    let o = assume("user/carla");
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("did you mean `user/carol`?"), "{}", err(&o));
    let o = assume("acs:ram::999:user/carol");
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("belongs to account 999"), "{}", err(&o));
    // SPEC §5.1: an account's root identity cannot assume a role.
    let o = assume("root");
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["layer"], "TrustPolicy");
}

#[test]
fn account_file_mistakes_are_all_reported() {
    let o = run(
        &[
            "check",
            "--account",
            "tests/fixtures/bad-account.json",
            "--principal",
            "user/erin",
            "--action",
            "x:y",
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    let e = err(&o);
    for at in [
        "3:27: cannot read",
        "5:27: unknown policy",
        "5:69: unknown group `dbas`",
        "7:77: invalid `Effect`",
        "8:3: unknown key `rolez`",
    ] {
        assert!(
            e.contains(&format!("tests/fixtures/bad-account.json:{at}")),
            "{at}: {e}"
        );
    }
    assert!(e.contains("error: 5 errors in 1 document"));
}

#[test]
fn usage_of_account_options() {
    let o = run(&["check", "--account", ACCOUNT, "--action", "x:y"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("--account needs --principal"));
    let o = run(
        &[
            "check",
            "--principal",
            "user/carol",
            "--policy",
            "AdministratorAccess",
            "--action",
            "x:y",
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    let o = run(
        &[
            "check",
            "--account",
            ACCOUNT,
            "--policy",
            "AdministratorAccess",
            "--principal",
            "root",
            "--action",
            "x:y",
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    let o = run(
        &[
            "check",
            "--account",
            ACCOUNT,
            "--principal",
            "user/carol",
            "--session-policy",
            "AdministratorAccess",
            "--action",
            "x:y",
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("is not a role"), "{}", err(&o));
}

#[test]
fn session_and_control_policies_from_the_command_line() {
    let dir = scratch("session");
    let session = dir.join("session.json");
    std::fs::write(
        &session,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "polardb:Describe*", "Resource": "*"}]}"#,
    )
    .unwrap();
    let ops = |action: &str, extra: &[&str]| {
        let mut args = vec![
            "check",
            "--account",
            ACCOUNT,
            "--principal",
            "role/ops/deploy",
            "--action",
            action,
        ];
        args.extend(extra);
        run(&args, None)
    };
    assert_eq!(code(&ops("polardb:DeleteDBCluster", &[])), 0);
    let s = session.to_str().unwrap();
    let o = ops("polardb:DeleteDBCluster", &["--session-policy", s]);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("implicitly denied at SessionPolicy"), "{}", out(&o));
    assert_eq!(code(&ops("polardb:DescribeDBClusters", &["--session-policy", s])), 0);
    let o = ops("polardb:DescribeDBClusters", &["--control-policy", &format!("1:{s}")]);
    assert_eq!(code(&o), 0, "level 1 allows Describe: {}", out(&o));
    let o = ops("polardb:DeleteDBCluster", &["--control-policy", &format!("1:{s}")]);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("ControlPolicy[1] ImplicitDeny"), "{}", out(&o));
}

#[test]
fn batch_mode_keeps_order_and_reports_bad_lines() {
    let lines = [
        r#"{"principal": "user/carol", "action": "polardb:DeleteDBCluster", "resource": "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1"}"#,
        r#"{"principal": "role/ops", "action": "polardb:DeleteDBCluster", "resource": "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1"}"#,
        r#"{"principal": "user/nobody", "action": "polardb:DeleteDBCluster"}"#,
        r#"not json"#,
        r#"{"principal": "user/carol", "action": "polardb:AbortDBClusterMigration", "resource": "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1", "context": {"acs:SourceIp": "203.0.113.9", "acs:MFAPresent": true, "acs:CurrentTime": "2026-11-28T10:00:00+08:00"}}"#,
        r#"{"principal": "user/carol", "action": "polardb:AbortDBClusterMigration", "context": {"acs:SourceIp": "300.0.0.1"}}"#,
        "",
        r#"{"principal": "user/carol", "action": "x:y", "extra": 1}"#,
    ];
    let input = lines.join("\n") + "\n";
    let o = run(&["check", "--account", ACCOUNT, "--requests", "-"], Some(&input));
    assert_eq!(code(&o), 2, "bad lines make the exit status 2: {}", err(&o));
    let output: Vec<serde_json::Value> = out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(output.len(), lines.len());
    for (i, v) in output.iter().enumerate() {
        assert_eq!(v["line"], i + 1);
    }
    assert_eq!(output[0]["decision"], "ExplicitDeny");
    assert_eq!(output[1]["decision"], "Allow");
    assert!(output[2]["error"].as_str().unwrap().contains("no user `nobody`"));
    assert!(output[3]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!(output[4]["decision"], "Allow");
    assert!(output[5]["error"].as_str().unwrap().contains("acs:SourceIp"));
    assert!(output[6]["error"].as_str().unwrap().contains("empty line"));
    assert!(output[7]["error"].as_str().unwrap().contains("unknown field `extra`"));
    assert!(err(&o).contains("5 of 8 request lines were bad"), "{}", err(&o));
    // The JSON Lines output is a contract: its exact text is kept (each line's time is pinned
    // or absent from the output).
    insta::assert_snapshot!("batch_json_lines", out(&o));

    let good = lines[0].to_owned() + "\n" + lines[1] + "\n";
    let o = run(&["check", "--account", ACCOUNT, "--requests", "-"], Some(&good));
    assert_eq!(code(&o), 1, "a deny without bad lines exits 1");
    let o = run(
        &["check", "--policy", "AdministratorAccess", "--requests", "-"],
        Some("{\"action\": \"ecs:StartInstance\"}\n"),
    );
    assert_eq!(code(&o), 0);
}

#[test]
fn batch_of_a_hundred_thousand_requests_in_order() {
    let mut input = String::new();
    for i in 0..100_000 {
        let action = if i % 3 == 0 {
            "polardb:DeleteDBCluster"
        } else {
            "polardb:DescribeDBClusters"
        };
        input.push_str(&format!(
            "{{\"principal\": \"user/carol\", \"action\": \"{action}\", \"resource\": \"acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-{i}\"}}\n"
        ));
    }
    let o = run(&["check", "--account", ACCOUNT, "--requests", "-"], Some(&input));
    assert_eq!(code(&o), 1, "{}", err(&o));
    let text = out(&o);
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["line"], i + 1);
        let want = if i % 3 == 0 { "ExplicitDeny" } else { "Allow" };
        assert_eq!(v["decision"], want, "line {}", i + 1);
        count += 1;
    }
    assert_eq!(count, 100_000);
}

#[test]
fn test_command_passes_fails_and_reports() {
    let dir = scratch("suites");
    let account = Path::new(env!("CARGO_MANIFEST_DIR")).join(ACCOUNT);
    let suite = format!(
        r#"{{
  "description": "carol",
  "account": "{}",
  "context": {{"acs:CurrentTime": "2026-11-28T10:00:00+08:00", "acs:SourceIp": "203.0.113.9"}},
  "cases": [
    {{"name": "abort with mfa", "principal": "user/carol", "action": "polardb:AbortDBClusterMigration",
      "resource": "{CLUSTER}", "context": {{"acs:MFAPresent": true}}, "expect": "Allow",
      "layer": "AccountLevelIdentityBasedPolicy", "deciding": [{{"policy": "operator", "sid": "MigrateFromOfficeWithMfa"}}]}},
    {{"name": "abort without mfa is wrongly expected", "principal": "user/carol", "action": "polardb:AbortDBClusterMigration",
      "resource": "{CLUSTER}", "context": {{"acs:MFAPresent": false}}, "expect": "Allow"}},
    {{"name": "delete is denied", "principal": "user/carol", "action": "polardb:DeleteDBCluster",
      "resource": "{CLUSTER}", "expect": "ExplicitDeny", "deciding": [{{"policy": "guardrail", "statement": 0}}]}}
  ]
}}"#,
        account.display()
    );
    let path = write(&dir, "carol.test.json", &suite);
    let junit = dir.join("junit.xml");
    let o = run(
        &[
            "test",
            dir.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--coverage",
        ],
        None,
    );
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(text.contains(&format!("running 3 tests from {path}")), "{text}");
    assert!(text.contains("test abort with mfa ... ok"));
    assert!(text.contains("test abort without mfa is wrongly expected ... FAILED"));
    assert!(text.contains("expected Allow, got ImplicitDeny at AccountLevelIdentityBasedPolicy"));
    assert!(text.contains("the request's `acs:MFAPresent` is `false`"), "{text}");
    assert!(text.contains("not exercised: "), "{text}");
    assert!(text.trim_end().ends_with("2 passed, 1 failed"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuites name="ram-policy" tests="3" failures="1""#),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"expected Allow, got ImplicitDeny"),
        "{xml}"
    );

    // Fix the wrong expectation: everything passes.
    std::fs::write(
        &path,
        suite.replace(
            r#""acs:MFAPresent": false}, "expect": "Allow""#,
            r#""acs:MFAPresent": false}, "expect": "ImplicitDeny""#,
        ),
    )
    .unwrap();
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(fixed.contains("\"expect\": \"ImplicitDeny\""));
    let o = run(&["test", &path], None);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).trim_end().ends_with("3 passed, 0 failed"));
}

#[test]
fn broken_suites_exit_2_with_positions() {
    let dir = scratch("broken-suites");
    let path = write(
        &dir,
        "bad.test.json",
        r#"{
  "policies": ["AdministratorAccess"],
  "cases": [
    {"name": "x", "action": "ecs:StartInstance", "expect": "Allowed"},
    {"name": "y", "action": "ecs:StartInstance", "expect": "Allow", "layr": "ControlPolicy"}
  ]
}"#,
    );
    let o = run(&["test", &path], None);
    assert_eq!(code(&o), 2);
    let e = err(&o);
    assert!(
        e.contains("bad.test.json:4:60: `expect` is Allow, ExplicitDeny or ImplicitDeny, not `Allowed`"),
        "{e}"
    );
    assert!(
        e.contains("bad.test.json:5:69: unknown key `layr` in a case; did you mean `layer`?"),
        "{e}"
    );
    let o = run(&["test", dir.join("nothing-here").to_str().unwrap()], None);
    assert_eq!(code(&o), 2);
}
