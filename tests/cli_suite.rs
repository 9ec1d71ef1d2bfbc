//! `ram-policy test`: finding suites (links, duplicates), paths inside a suite, what the text
//! output and the JUnit report do with hostile names, and snapshots of both reports.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{finish_guarded, scratch, spawn_in, status as code, stderr as err, stdout as out, write};

/// Runs `ram-policy` in `dir` with `args` and no standard input, killing it if it outlives
/// the guard (a link loop would otherwise hang the test suite).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut child = spawn_in(dir, args);
    drop(child.stdin.take());
    finish_guarded(child, &format!("`ram-policy {}`", args.join(" ")))
}

#[cfg(unix)]
fn link(target: &str, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// A suite with one passing case (an allow-everything built-in).
fn one_case_suite(name: &str) -> String {
    format!(
        r#"{{"policies": ["AdministratorAccess"],
  "cases": [{{"name": "{name}", "action": "ecs:StartInstance", "resource": "*", "expect": "Allow"}}]}}"#
    )
}

/// The suite paths of the `running N tests from PATH` lines, in order.
fn suites_run(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("running "))
        .map(|l| l.split_once(" tests from ").unwrap().1.to_owned())
        .collect()
}

#[cfg(unix)]
#[test]
fn find_suites_visits_each_directory_once_through_links() {
    let root = scratch("suite-links");
    let suites = root.join("suites");
    std::fs::create_dir_all(suites.join("nested")).unwrap();
    write(&suites, "a.test.json", &one_case_suite("a"));
    write(&suites.join("nested"), "b.test.json", &one_case_suite("b"));
    // Three links to `.` once made the search loop until killed; one made each suite run 41
    // times (until the path was too long). Links to a parent and to a sibling add nothing new.
    for name in ["loop1", "loop2", "loop3"] {
        link(".", &suites.join(name));
    }
    link("..", &suites.join("nested").join("back"));
    link("nested", &suites.join("alias"));
    // A link that sorts before the directory it names: the real path is still the one shown.
    link("zz", &suites.join("aa-link"));
    std::fs::create_dir_all(suites.join("zz")).unwrap();
    write(&suites.join("zz"), "c.test.json", &one_case_suite("c"));

    let o = run_in(&root, &["test", "suites"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert_eq!(
        suites_run(&text),
        [
            "suites/a.test.json",
            "suites/nested/b.test.json",
            "suites/zz/c.test.json"
        ],
        "{text}"
    );
    assert!(text.trim_end().ends_with("3 passed, 0 failed"), "{text}");

    // A directory named through links is searched under the path given, and links out of it
    // are followed (here `back` leads to `suites`), still each directory once.
    let o = run_in(&root, &["test", "suites/loop1/alias"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert_eq!(
        suites_run(&out(&o)),
        [
            "suites/loop1/alias/b.test.json",
            "suites/loop1/alias/back/a.test.json",
            "suites/loop1/alias/back/zz/c.test.json"
        ]
    );
}

#[cfg(unix)]
#[test]
fn the_same_suite_given_twice_runs_once() {
    let root = scratch("suite-twice");
    let dir = root.join("s");
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "a.test.json", &one_case_suite("a"));
    write(&dir, "b.test.json", &one_case_suite("b"));
    link("a.test.json", &dir.join("a-again.test.json"));

    let o = run_in(
        &root,
        &[
            "test",
            "s/b.test.json",
            "s/b.test.json",
            "s",
            "./s/b.test.json",
            "s/a-again.test.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let text = out(&o);
    // The arguments' order; in a directory, sorted; a suite and a link to it run once, under
    // the path that is not a link.
    assert_eq!(suites_run(&text), ["s/b.test.json", "s/a.test.json"], "{text}");
    assert!(text.trim_end().ends_with("2 passed, 0 failed"), "{text}");
}

/// A folder with a suite in `sub/` whose policies are all beside it, and decoys of the same
/// names in the other folders that would change every case's outcome if a path were read from
/// the current directory.
fn relative_layout(name: &str) -> std::path::PathBuf {
    let root = scratch(name);
    let sub = root.join("sub");
    let other = root.join("other");
    for dir in [&sub, &other, &sub.join("pol"), &root.join("pol"), &other.join("pol")] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let policy = |effect: &str, action: &str| {
        format!(r#"{{"Version": "1", "Statement": [{{"Effect": "{effect}", "Action": {action}, "Resource": "*"}}]}}"#)
    };
    write(&sub, "deny.json", &policy("Deny", r#""ecs:*""#));
    write(&sub.join("pol"), "oss.json", &policy("Allow", r#""oss:*""#));
    write(&sub, "-", &policy("Allow", r#""rds:*""#));
    write(&sub, "session.json", &policy("Allow", r#"["ecs:*", "oss:*", "rds:*"]"#));
    write(&sub, "case-session.json", &policy("Allow", r#""rds:*""#));
    write(&sub, "control.json", &policy("Deny", r#""vpc:*""#));
    for decoy in [&root, &other] {
        write(decoy, "deny.json", &policy("Allow", r#""*""#));
        write(&decoy.join("pol"), "all.json", &policy("Deny", r#""*""#));
        write(decoy, "session.json", &policy("Allow", r#""*""#));
        write(decoy, "case-session.json", &policy("Allow", r#""*""#));
        write(decoy, "control.json", &policy("Allow", r#""*""#));
    }
    write(
        &sub,
        "d.test.json",
        r#"{
  "policies": ["deny.json", "pol/*.json", "-"],
  "session_policy": "session.json",
  "control_policies": [["control.json", "FullAliyunAccess"]],
  "cases": [
    {"name": "deny.json beside the suite", "action": "ecs:StartInstance", "resource": "*",
     "expect": "ExplicitDeny", "deciding": [{"policy": "deny", "statement": 0}]},
    {"name": "the glob reads the suite's pol/", "action": "oss:GetObject", "resource": "*", "expect": "Allow",
     "deciding": [{"policy": "oss", "statement": 0}]},
    {"name": "a policy named - is a file, not standard input", "action": "rds:DescribeDBInstances",
     "resource": "*", "expect": "Allow"},
    {"name": "the control policy beside the suite", "action": "vpc:DescribeVpcs", "resource": "*",
     "expect": "ExplicitDeny", "layer": "ControlPolicy"},
    {"name": "a case's session policy beside the suite", "action": "oss:GetObject", "resource": "*",
     "session_policy": "case-session.json", "expect": "ImplicitDeny", "layer": "SessionPolicy"}
  ]
}"#,
    );
    root
}

#[test]
fn suite_paths_are_relative_to_the_suite_file() {
    let root = relative_layout("suite-relative");
    let sub = root.join("sub");
    let absolute = sub.join("d.test.json");
    for (cwd, suite) in [
        (root.clone(), "sub/d.test.json"),
        (root.clone(), "sub"),
        (sub.clone(), "d.test.json"),
        (sub.clone(), "."),
        (root.join("other"), "../sub/d.test.json"),
        (root.join("other"), absolute.to_str().unwrap()),
    ] {
        let o = run_in(&cwd, &["test", suite]);
        assert_eq!(code(&o), 0, "from {}: {suite}\n{}{}", cwd.display(), out(&o), err(&o));
        assert!(out(&o).trim_end().ends_with("5 passed, 0 failed"), "{}", out(&o));
    }

    // A path that is not beside the suite is an error, even when the current directory has it.
    let only_here = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    write(&root, "only-here.json", only_here);
    let suite = write(
        &sub,
        "missing.test.json",
        r#"{"policies": ["only-here.json"],
  "cases": [{"name": "x", "action": "ecs:StartInstance", "resource": "*", "expect": "Allow"}]}"#,
    );
    let o = run_in(&root, &["test", "sub/missing.test.json"]);
    assert_eq!(code(&o), 2, "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("`sub/only-here.json` is neither a file, a directory, a glob nor a built-in system policy"),
        "{}",
        err(&o)
    );
    std::fs::remove_file(suite).unwrap();
}

#[test]
fn suite_globs_are_relative_to_the_suite_file() {
    let root = scratch("suite-glob");
    // The suite's folder has glob characters in its name: they are literal text.
    let sub = root.join("s[1]");
    std::fs::create_dir_all(sub.join("p")).unwrap();
    let allow_oss = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]}"#;
    let allow_all = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    write(&sub.join("p"), "oss.json", allow_oss);
    write(&root, "decoy.json", allow_all);
    write(
        &sub,
        "g.test.json",
        r#"{"policies": ["p/*"],
  "cases": [
    {"name": "oss", "action": "oss:GetObject", "resource": "*", "expect": "Allow"},
    {"name": "not ecs", "action": "ecs:StartInstance", "resource": "*", "expect": "ImplicitDeny"}]}"#,
    );
    for (cwd, suite) in [(root.clone(), "s[1]/g.test.json"), (sub.clone(), "g.test.json")] {
        let o = run_in(&cwd, &["test", suite]);
        assert_eq!(code(&o), 0, "from {}\n{}{}", cwd.display(), out(&o), err(&o));
        assert!(out(&o).trim_end().ends_with("2 passed, 0 failed"), "{}", out(&o));
    }

    // `*` in a suite means the suite's folder, never the current one: here it finds the suite
    // itself (not a policy), where the current folder holds only a valid policy.
    write(
        &sub,
        "star.test.json",
        r#"{"policies": ["*"], "cases": [{"name": "x", "action": "oss:GetObject", "resource": "*", "expect": "Allow"}]}"#,
    );
    let o = run_in(&root, &["test", "s[1]/star.test.json"]);
    assert_eq!(code(&o), 2, "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("star.test.json"), "{}", err(&o));
    assert!(!err(&o).contains("decoy"), "{}", err(&o));
}

/// A suite whose case names, Sids and policy file name carry terminal controls, line breaks and
/// characters XML 1.0 cannot hold; every case fails.
fn hostile_suite(dir: &Path) {
    write(
        dir,
        "evil\u{1b}[31m.json",
        r#"{"Version": "1", "Statement": [
  {"Sid": "Deny\u001b[2K\rtest result: ok\nnote: \ufffe", "Effect": "Deny", "Action": "ecs:*", "Resource": "*"},
  {"Sid": "Unused\u0007\u202e", "Effect": "Allow", "Action": "oss:*", "Resource": "*"}]}"#,
    );
    write(
        dir,
        "h.test.json",
        r#"{"policies": ["evil\u001b[31m.json"],
  "cases": [
    {"name": "forged\r\ntest result: ok. 3 passed; 0 failed; 0 broken suites; finished in 0.00s\r\n3 passed, 0 failed\u001b[8m",
     "action": "ecs:StartInstance", "resource": "*", "expect": "Allow"},
    {"name": "\ufffe\uffff & <tag a=\"'\"> \u0000\u0007\t\u0085\u2028",
     "action": "ecs:StartInstance", "resource": "*", "expect": "ExplicitDeny",
     "deciding": [{"policy": "evil\u001b[31m", "sid": "Other\u001b]0;title\u0007"}]}
  ]}"#,
    );
}

#[test]
fn names_and_sids_are_escaped_in_text_output() {
    let dir = scratch("suite-hostile-text");
    hostile_suite(&dir);
    let o = run_in(&dir, &["test", "h.test.json", "--coverage"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let text = out(&o);
    for c in [
        '\u{1b}', '\r', '\u{7}', '\u{0}', '\u{85}', '\u{2028}', '\u{202e}', '\u{fffe}', '\u{ffff}',
    ] {
        assert!(!text.contains(c), "{c:?} printed raw:\n{text}");
    }
    // No forged closing lines: only the real ones.
    assert_eq!(
        text.lines().filter(|l| l.starts_with("test result:")).count(),
        1,
        "{text}"
    );
    assert!(text.contains("\ntest result: FAILED. 0 passed; 2 failed;"), "{text}");
    assert_eq!(text.trim_end().lines().last(), Some("0 passed, 2 failed"), "{text}");
    // What was escaped is still readable.
    assert!(
        text.contains("test forged\\r\\ntest result: ok. 3 passed; 0 failed; 0 broken suites; finished in 0.00s\\r\\n3 passed, 0 failed\\u{1b}[8m ... FAILED"),
        "{text}"
    );
    assert!(
        text.contains("test \\u{fffe}\\u{ffff} & <tag a=\"'\"> \\u{0}\\u{7}\\t\\u{85}\\u{2028} ... FAILED"),
        "{text}"
    );
    assert!(
        text.contains("deciding: evil\\u{1b}[31m statement 0 (Sid `Deny\\u{1b}[2K\\rtest result: ok\\nnote: \\u{fffe}`) at evil\\u{1b}[31m.json:2:3"),
        "{text}"
    );
    assert!(
        text.contains("expected evil\\u{1b}[31m Sid `Other\\u{1b}]0;title\\u{7}` among the deciding statements"),
        "{text}"
    );
    assert!(
        text.contains("not exercised: evil\\u{1b}[31m statement 1 (Sid `Unused\\u{7}\\u{202e}`)"),
        "{text}"
    );
}

#[test]
fn junit_is_well_formed_for_any_name() {
    let dir = scratch("suite-hostile-junit");
    hostile_suite(&dir);
    let o = run_in(&dir, &["test", "h.test.json", "--junit", "report.xml"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let cases: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2, "{xml}");
    // Characters XML can hold come back as they were (line breaks and tabs included); the
    // others as the text output shows them.
    assert_eq!(
        cases[0].attribute("name"),
        Some("forged\r\ntest result: ok. 3 passed; 0 failed; 0 broken suites; finished in 0.00s\r\n3 passed, 0 failed\\u{1b}[8m")
    );
    assert_eq!(
        cases[1].attribute("name"),
        Some("\\u{fffe}\\u{ffff} & <tag a=\"'\"> \\u{0}\\u{7}\t\u{85}\u{2028}")
    );
    let failure = cases[1].children().find(|n| n.has_tag_name("failure")).unwrap();
    let body = failure.text().unwrap();
    assert!(
        body.contains("expected evil\\u{1b}[31m Sid `Other\\u{1b}]0;title\\u{7}`"),
        "{body}"
    );
    assert!(
        body.contains("Sid `Deny\\u{1b}[2K\\rtest result: ok\\nnote: \\u{fffe}`"),
        "{body}"
    );
    assert_eq!(
        failure.attribute("message"),
        Some("expected evil\\u{1b}[31m Sid `Other\\u{1b}]0;title\\u{7}` among the deciding statements")
    );
}

/// A small suite with passing and failing cases, in a folder of its own, run from that folder so
/// that every path in the reports is relative.
fn failing_suite(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(
        &dir,
        "logs.json",
        r#"{"Version": "1", "Statement": [
  {"Sid": "ReadAppLogs", "Effect": "Allow", "Action": "log:Get*", "Resource": "acs:log:*:*:project/app/*"},
  {"Sid": "NoDeletes", "Effect": "Deny", "Action": "log:Delete*", "Resource": "*"},
  {"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*", "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}},
  {"Sid": "NeverUsed", "Effect": "Allow", "Action": "oss:GetObject", "Resource": "*"}]}"#,
    );
    write(
        &dir,
        "logs.test.json",
        r#"{"policies": ["logs.json"],
  "context": {"acs:CurrentTime": "2026-11-28T10:00:00+08:00", "acs:SourceIp": "203.0.113.9"},
  "cases": [
    {"name": "reads <app> logs & \"more\"", "action": "log:GetLogStore",
     "resource": "acs:log:cn-hangzhou:123456789012:project/app/logstore/web", "expect": "Allow"},
    {"name": "deletes are denied", "action": "log:DeleteProject", "resource": "*", "expect": "ExplicitDeny",
     "deciding": [{"policy": "logs", "sid": "NoDeletes"}]},
    {"name": "describes from the office", "action": "ecs:DescribeInstances", "resource": "*", "expect": "Allow"},
    {"name": "the wrong statement denies", "action": "log:DeleteLogStore", "resource": "*", "expect": "ExplicitDeny",
     "deciding": [{"policy": "logs", "statement": 0}]}
  ]}"#,
    );
    dir
}

/// The report with every duration replaced by `[time]`.
fn without_times(text: &str) -> String {
    let mut rest = text;
    let mut out = String::new();
    loop {
        let next = [("time=\"", "\""), ("finished in ", "s\n")]
            .into_iter()
            .filter_map(|(open, close)| rest.find(open).map(|at| (at, open, close)))
            .min();
        let Some((at, open, close)) = next else { break };
        let start = at + open.len();
        let end = start + rest[start..].find(close).unwrap();
        assert!(rest[start..end].bytes().all(|b| b.is_ascii_digit() || b == b'.'));
        out.push_str(&rest[..start]);
        out.push_str("[time]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn text_report_snapshot() {
    let dir = failing_suite("suite-text-snapshot");
    let o = run_in(&dir, &["test", "logs.test.json", "--coverage"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    insta::assert_snapshot!("test_text_report", without_times(&out(&o)));
}

#[test]
fn junit_report_snapshot() {
    let dir = failing_suite("suite-junit-snapshot");
    let o = run_in(&dir, &["test", "logs.test.json", "--junit", "report.xml"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    insta::assert_snapshot!("test_junit_report", without_times(&xml));
}
