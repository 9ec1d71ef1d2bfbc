//! The chain corpus (`tests/chain/`, SPEC §5) and the bundled example suites (`policies/tests/`),
//! run through `ram-policy test` as a user would.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

fn run_suites(path: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_ram-policy"))
        .args(["test", path, "--coverage"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let last = out.trim_end().lines().last().unwrap_or_default();
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    assert!(passed > 0);
    println!("{path}: {last}");
}

#[test]
fn chain_corpus() {
    run_suites("tests/chain");
}

#[test]
fn bundled_policy_suites() {
    run_suites("policies/tests");
}
