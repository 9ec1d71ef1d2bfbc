//! The command line on arbitrary inputs, in process: `check` with policies, with an account
//! file and a principal, in batch mode, and `test` on a suite, with fuzzed account files,
//! policies, suites, batch lines and argument values (principals, actions, resources, context
//! pairs, control-policy levels). Paths only ever name the target's own scratch files, and no
//! output file is written. It never panics, exits 0, 1 or 2, and what it prints as JSON is JSON:
//! one object per request line in batch mode, in order.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// This process's scratch folder.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ram-policy-fuzz-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

fn write(name: &str, bytes: &[u8]) -> String {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("a scratch file");
    path.display().to_string()
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let shape = parts.next().unwrap_or_default().to_vec();
    let account = write("account.json", parts.next().unwrap_or_default());
    let policy = write("policy.json", parts.next().unwrap_or_default());
    let suite = write("case.test.json", parts.next().unwrap_or_default());
    let batch_text = parts.next().unwrap_or_default().to_vec();
    let batch = write("requests.jsonl", &batch_text);
    let values: Vec<String> = parts.map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    let value = |i: usize| values.get(i).cloned().unwrap_or_default();
    let bit = |i: usize| shape.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);

    let mut args: Vec<String> = vec!["ram-policy".into()];
    let mode = shape.first().map_or(0, |b| b % 4);
    let json = bit(8);
    match mode {
        0 | 1 | 2 => {
            args.push("check".into());
            if mode == 0 {
                args.extend(["--policy".into(), policy.clone()]);
                if bit(9) {
                    args.extend(["--policy".into(), "AliyunPolardbReadOnlyAccess".into()]);
                }
            } else {
                args.extend(["--account".into(), account.clone()]);
            }
            if mode == 2 {
                args.extend(["--requests".into(), batch.clone()]);
            } else {
                if mode == 1 {
                    args.extend(["--principal".into(), value(0)]);
                }
                args.extend(["--action".into(), value(1)]);
                if bit(10) {
                    args.extend(["--resource".into(), value(2)]);
                }
                if bit(11) {
                    args.extend(["--resource-group".into(), value(3)]);
                }
                for pair in values.iter().skip(5).take(4) {
                    args.extend(["--context".into(), pair.clone()]);
                }
                if json {
                    args.extend(["--format".into(), "json".into()]);
                }
            }
            if bit(12) {
                // The level is fuzzed text: large or odd levels must be usage errors.
                args.extend(["--control-policy".into(), format!("{}:{policy}", value(4))]);
            }
            if bit(13) {
                args.extend(["--control-policy".into(), "FullAliyunAccess".into()]);
            }
            if bit(14) {
                args.extend(["--session-policy".into(), policy.clone()]);
            }
        }
        _ => {
            args.extend(["test".into(), suite.clone()]);
            if bit(15) {
                args.push("--coverage".into());
            }
        }
    }

    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ram_policy::cli::run_args(args.iter(), &mut out, &mut err, false);
    assert!(code <= 2, "exit status {code} for {args:?}");
    let stdout = String::from_utf8_lossy(&out);
    if mode == 2 && code != 2 || mode == 2 && !stdout.is_empty() {
        // Batch mode: one JSON object per request line, in order (a bad file is exit 2 with
        // nothing printed; a bad line is a line of its own).
        for (i, line) in stdout.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i}: {e}: {line}"));
            assert_eq!(v["line"].as_u64(), Some(i as u64 + 1), "{line}");
        }
    } else if mode < 2 && json && code < 2 {
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        assert_eq!(v["decision"] == "Allow", code == 0, "{stdout}");
    }
    if code == 2 {
        assert!(!err.is_empty(), "exit 2 says why: {args:?}");
    }
});
