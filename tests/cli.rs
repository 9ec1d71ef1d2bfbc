//! The command line, run as a user would: exit statuses, outputs and error reports.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{run, scratch, status, stderr, stdout, write};

const CLUSTER: &str = "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-bp150t3l1td9863q9";

fn ram_policy(args: &[&str]) -> std::process::Output {
    run(args, None)
}

fn ram_policy_stdin(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    run(args, stdin)
}

#[test]
fn headline_read_only_is_implicit_deny() {
    let o = ram_policy(&[
        "check",
        "--policy",
        "AliyunPolardbReadOnlyAccess",
        "--action",
        "polardb:AbortDBClusterMigration",
        "--resource",
        CLUSTER,
    ]);
    assert_eq!(status(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("ImplicitDeny: polardb:AbortDBClusterMigration on "),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("no Allow statement there names the action"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn headline_full_access_allows_with_the_deciding_statement() {
    let args = [
        "check",
        "--policy",
        "AliyunPolardbFullAccess",
        "--action",
        "polardb:AbortDBClusterMigration",
        "--resource",
        CLUSTER,
    ];
    let o = ram_policy(&args);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Allow: "), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("    by AliyunPolardbFullAccess statement 0 at <builtin>/AliyunPolardbFullAccess.json:4:5")
    );

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = ram_policy(&json_args);
    assert_eq!(status(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["request"]["resource"], CLUSTER);
    assert_eq!(v["deciding"][0]["policy"], "AliyunPolardbFullAccess");
    assert_eq!(v["deciding"][0]["statement"], 0);
    assert_eq!(v["deciding"][0]["line"], 4);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["policies"][0]["statements"], 7);
}

#[test]
fn explicit_deny_names_the_statement_and_exits_1() {
    let o = ram_policy(&[
        "check",
        "--policy",
        "policies/custom/",
        "--action",
        "polardb:DeleteDBCluster",
        "--resource",
        CLUSTER,
        "--format",
        "json",
    ]);
    assert_eq!(status(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "ExplicitDeny");
    assert_eq!(v["deciding"][0]["policy"], "polardb-guardrail");
    assert_eq!(v["deciding"][0]["sid"], "NeverDeleteClusters");
    assert_eq!(v["deciding"][0]["file"], "policies/custom/polardb-guardrail.json");
}

#[test]
fn readme_first_command_without_mfa_is_denied_and_with_mfa_allowed() {
    let mut args = vec![
        "check",
        "--policy",
        "policies/custom/polardb-migration-operator.json",
        "--policy",
        "policies/custom/polardb-guardrail.json",
        "--action",
        "polardb:AbortDBClusterMigration",
        "--resource",
        CLUSTER,
        "--context",
        "acs:SourceIp=203.0.113.9",
        "--context",
        "acs:CurrentTime=2026-11-28T10:00:00+08:00",
    ];
    let o = ram_policy(&[args.as_slice(), &["--context", "acs:MFAPresent=false"]].concat());
    assert_eq!(status(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("ImplicitDeny"));
    args.extend(["--context", "acs:MFAPresent=true"]);
    let o = ram_policy(&args);
    assert_eq!(status(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("MigrateFromOfficeWithMfa"));
}

#[test]
fn five_mistakes_give_five_errors_with_positions() {
    let dir = scratch("five");
    let file = write(
        &dir,
        "five.json",
        r#"{
  "Version": 1,
  "Statement": [
    {"Effect": "allow", "Action": [], "Resource": "*"},
    {"Effect": "Deny", "Action": "ecs:*", "Resources": "*",
     "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.300"}}}
  ]
}"#,
    );
    let o = ram_policy(&["check", "--policy", &file, "--action", "ecs:StartInstance"]);
    assert_eq!(status(&o), 2);
    assert!(o.stdout.is_empty(), "no decision is printed for a bad policy");
    let err = stderr(&o);
    let headers: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error: ") && l.contains("five.json:"))
        .collect();
    assert_eq!(headers.len(), 5, "{err}");
    for (header, at) in headers.iter().zip(["2:14", "4:16", "4:35", "5:43", "6:50"]) {
        assert!(
            header.contains(&format!("five.json:{at}: ")),
            "{header} should be at {at}"
        );
    }
    assert!(err.contains("did you mean `Allow`?"));
    assert!(err.contains("did you mean `Resource`?"));
    assert!(err.contains("error: 5 errors in 1 document"));
}

#[test]
fn errors_of_every_file_are_reported() {
    let dir = scratch("many");
    write(
        &dir,
        "a.json",
        r#"{"Version": "1", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
    );
    write(&dir, "b.json", "{\"Version\": \"1\", \"Statement\": [}");
    write(
        &dir,
        "c.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    );
    let o = ram_policy(&[
        "check",
        "--policy",
        dir.to_str().unwrap(),
        "--action",
        "ecs:StartInstance",
    ]);
    assert_eq!(status(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("a.json:1:31: `Statement` must be an array"), "{err}");
    assert!(err.contains("wrap it in [ ]"), "{err}");
    assert!(err.contains("b.json:1:32: "), "{err}");
    assert!(err.contains("error: 2 errors in 2 documents"), "{err}");
}

#[test]
fn globs_directories_and_stdin() {
    let o = ram_policy(&[
        "check",
        "--policy",
        "policies/custom/polardb-*.json",
        "--action",
        "polardb:DescribeDBClusters",
        "--format",
        "json",
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["policies"].as_array().unwrap().len() >= 4);

    let doc = r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "ecs:*", "Resource": "*"}]}"#;
    let o = ram_policy_stdin(&["check", "--policy", "-", "--action", "ecs:StartInstance"], Some(doc));
    assert_eq!(status(&o), 1);
    assert!(
        stdout(&o).contains("    by stdin statement 0 at <stdin>:1:32"),
        "{}",
        stdout(&o)
    );

    let dir = scratch("empty-dir");
    let o = ram_policy(&[
        "check",
        "--policy",
        dir.to_str().unwrap(),
        "--action",
        "ecs:StartInstance",
    ]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("holds no *.json files"));
    let o = ram_policy(&[
        "check",
        "--policy",
        "policies/custom/nothing-*.json",
        "--action",
        "ecs:StartInstance",
    ]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("holds no *.json files"));
}

#[test]
fn unknown_policy_names_get_a_suggestion() {
    let o = ram_policy(&[
        "check",
        "--policy",
        "AliyunPolarDBReadOnlyAccess",
        "--action",
        "polardb:DescribeDBClusters",
    ]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("did you mean the built-in `AliyunPolardbReadOnlyAccess`?"),
        "{}",
        stderr(&o)
    );
    let o = ram_policy(&[
        "check",
        "--policy",
        "missing/file.json",
        "--action",
        "polardb:DescribeDBClusters",
    ]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("no such file"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["check", "--policy", "AdministratorAccess"],
        vec!["check", "--action", "ecs:StartInstance"],
        vec![
            "check",
            "--policy",
            "AdministratorAccess",
            "--action",
            "ecs:StartInstance",
            "--format",
            "xml",
        ],
        vec!["frobnicate"],
        vec![],
    ] {
        let o = ram_policy(&args);
        assert_eq!(status(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty());
    }
    let o = ram_policy(&["check", "--help"]);
    assert_eq!(status(&o), 0);
    assert!(stdout(&o).contains("--context <KEY=VALUE>"));
    assert!(stdout(&o).contains("Exit status"));
}

#[test]
fn bad_requests_exit_2_with_the_reason() {
    for (extra, needle) in [
        (vec!["--action", "DescribeDBClusters"], "service:Name"),
        (
            vec!["--action", "ecs:Start", "--context", "acs:SourceIp"],
            "expected KEY=VALUE",
        ),
        (
            vec!["--action", "ecs:Start", "--context", "acs:SourceIp=10.0.0.300"],
            "`acs:SourceIp`",
        ),
        (
            vec!["--action", "ecs:Start", "--context", "acs:MFAPresent=yes"],
            "`true` or `false`",
        ),
        (
            vec!["--action", "ecs:Start", "--context", "acs:CurrentTime=tomorrow"],
            "date",
        ),
        (vec!["--action", "ecs:Start", "--resource", ""], "resource"),
        (
            vec!["--action", "ecs:Start", "--context-file", "no/such/file.json"],
            "cannot read",
        ),
    ] {
        let mut args = vec!["check", "--policy", "AdministratorAccess"];
        args.extend(extra);
        let o = ram_policy(&args);
        assert_eq!(status(&o), 2, "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn context_files() {
    let dir = scratch("context");
    let policy = write(
        &dir,
        "tags.json",
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*",
            "Condition": {"StringEquals": {"acs:ResourceTag/team": ["dev", "ops"]}, "NumericLessThan": {"my:count": "10"}}}]}"#,
    );
    let good = write(
        &dir,
        "good.json",
        r#"{"acs:ResourceTag/team": ["qa", "ops"], "my:count": 9}"#,
    );
    let o = ram_policy(&[
        "check",
        "--policy",
        &policy,
        "--action",
        "ecs:StartInstance",
        "--context-file",
        &good,
    ]);
    assert_eq!(status(&o), 0, "{}{}", stdout(&o), stderr(&o));

    let dup = write(&dir, "dup.json", "{\"my:count\": 9,\n \"my:count\": 11}");
    let o = ram_policy(&[
        "check",
        "--policy",
        &policy,
        "--action",
        "ecs:StartInstance",
        "--context-file",
        &dup,
    ]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("dup.json:2:2: duplicate key `my:count`"),
        "{}",
        stderr(&o)
    );

    let nested = write(&dir, "nested.json", r#"{"my:count": {"n": 1}}"#);
    let o = ram_policy(&[
        "check",
        "--policy",
        &policy,
        "--action",
        "ecs:StartInstance",
        "--context-file",
        &nested,
    ]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("nested.json:1:14:"), "{}", stderr(&o));
}

#[test]
fn undecidable_conditions_are_reported_and_fail_closed() {
    let dir = scratch("undecidable");
    let policy = write(
        &dir,
        "p.json",
        r#"{"Version": "1", "Statement": [
  {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"},
  {"Effect": "Deny", "Action": "ecs:*", "Resource": "*", "Condition": {"NumericGreaterThan": {"my:count": "10"}}}]}"#,
    );
    let o = ram_policy(&[
        "check",
        "--policy",
        &policy,
        "--action",
        "ecs:StartInstance",
        "--context",
        "my:count=lots",
    ]);
    assert_eq!(status(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.starts_with("ExplicitDeny"), "{out}");
    assert!(out.contains("warning: Deny p statement 1 at"), "{out}");
    assert!(out.contains("`lots`"), "{out}");
}

#[test]
fn a_context_file_with_a_million_values_is_refused_clearly() {
    let dir = scratch("million-context");
    let values: Vec<String> = (0..1_000_000).map(|i| format!("\"v{i}\"")).collect();
    let file = write(&dir, "context.json", &format!("{{\"my:k\": [{}]}}", values.join(",")));
    let o = ram_policy(&[
        "check",
        "--policy",
        "AdministratorAccess",
        "--action",
        "ecs:Start",
        "--context-file",
        &file,
    ]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("larger than the 1 MiB limit"), "{}", stderr(&o));
    // The same values on one batch line: that line is refused, the batch goes on.
    let line = format!(
        "{{\"action\": \"ecs:Start\", \"context\": {{\"my:k\": [{}]}}}}\n",
        values.join(",")
    );
    let o = ram_policy_stdin(
        &["check", "--policy", "AdministratorAccess", "--requests", "-"],
        Some(&(line + "{\"action\": \"ecs:Start\"}\n")),
    );
    assert_eq!(status(&o), 2);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("longer than"), "{}", lines[0]);
    assert!(lines[1].contains("\"decision\":\"Allow\""), "{}", lines[1]);
}
