//! Input files that are not what they claim (security review, finding F3): every file input is
//! read through one bounded reader that refuses FIFOs, devices and directories and stops past
//! its limit, and batch mode holds bounded memory whatever its lines.
//!
//! The commands run as child processes under a guard: a command that hangs on its input is
//! killed and the test fails, instead of the test hanging. The guard is not a timing assertion;
//! it is generous enough for a debug build on a loaded machine.
#![cfg(all(feature = "cli", unix))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output};

use common::{drain, finish_guarded, scratch, spawn_in, status, stderr, stdout, write, GUARD};

fn spawn(args: &[&str]) -> Child {
    spawn_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn finish(child: Child, what: &str) -> Output {
    finish_guarded(child, what)
}

/// Runs `ram-policy` under the guard. Its standard input stays open and empty while it runs, so
/// that a command wrongly reading it would wait, not see its end.
fn run_guarded(args: &[&str]) -> Output {
    let mut child = spawn(args);
    let stdin = child.stdin.take();
    let output = finish(child, &format!("ram-policy {}", args.join(" ")));
    drop(stdin);
    output
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A folder holding a FIFO named `name`; returns the folder and the FIFO's path.
fn with_fifo(test: &str, name: &str) -> (std::path::PathBuf, String) {
    let dir = scratch(test);
    let fifo = dir.join(name);
    mkfifo(&fifo);
    let fifo = fifo.to_string_lossy().into_owned();
    (dir, fifo)
}

/// The command failed with exit status 2 and said the file is not a regular file.
fn refused(o: &Output, file: &str, kind: &str) {
    assert_eq!(status(o), 2, "{}{}", stdout(o), stderr(o));
    let text = format!("{}{}", stdout(o), stderr(o));
    assert!(text.contains(&format!("not a regular file ({kind})")), "{text}");
    assert!(text.contains(file), "the message names `{file}`: {text}");
}

const ALLOW_ALL: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
const DENY_ALL: &str = r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#;

// FIFOs: each input that took a path blocked forever on one.

#[test]
fn f3_fifo_policy_is_refused() {
    let (_dir, fifo) = with_fifo("f3-fifo-policy", "policy.json");
    let o = run_guarded(&["check", "--policy", &fifo, "--action", "ecs:Start"]);
    refused(&o, &fifo, "a FIFO");
}

#[test]
fn f3_fifo_in_a_policy_directory_is_refused() {
    // Left out silently, a Deny policy named so would be a silent Allow.
    let (dir, _fifo) = with_fifo("f3-fifo-policy-dir", "deny.json");
    write(&dir, "allow.json", ALLOW_ALL);
    let o = run_guarded(&["check", "--policy", &dir.to_string_lossy(), "--action", "ecs:Start"]);
    refused(&o, "deny.json", "a FIFO");
}

#[test]
fn f3_fifo_session_policy_is_refused() {
    let (_dir, fifo) = with_fifo("f3-fifo-session", "session.json");
    let o = run_guarded(&[
        "check",
        "--policy",
        "AdministratorAccess",
        "--session-policy",
        &fifo,
        "--action",
        "ecs:Start",
    ]);
    refused(&o, &fifo, "a FIFO");
}

#[test]
fn f3_fifo_control_policy_is_refused() {
    let (_dir, fifo) = with_fifo("f3-fifo-control", "control.json");
    let o = run_guarded(&[
        "check",
        "--policy",
        "AdministratorAccess",
        "--control-policy",
        &fifo,
        "--action",
        "ecs:Start",
    ]);
    refused(&o, &fifo, "a FIFO");
}

#[test]
fn f3_fifo_context_file_is_refused() {
    let (_dir, fifo) = with_fifo("f3-fifo-context", "context.json");
    let o = run_guarded(&[
        "check",
        "--policy",
        "AdministratorAccess",
        "--action",
        "ecs:Start",
        "--context-file",
        &fifo,
    ]);
    refused(&o, &fifo, "a FIFO");
}

#[test]
fn f3_fifo_account_file_is_refused() {
    let (_dir, fifo) = with_fifo("f3-fifo-account", "account.json");
    let o = run_guarded(&[
        "check",
        "--account",
        &fifo,
        "--principal",
        "user/alice",
        "--action",
        "ecs:Start",
    ]);
    refused(&o, &fifo, "a FIFO");
}

#[test]
fn f3_fifo_policy_of_an_account_file_is_refused() {
    let (dir, _fifo) = with_fifo("f3-fifo-account-policy", "p.json");
    let account = write(
        &dir,
        "account.json",
        r#"{"account_id": "123456789012", "policies": {"P": "p.json"}, "users": {"alice": {"policies": ["P"]}}}"#,
    );
    let o = run_guarded(&[
        "check",
        "--account",
        &account,
        "--principal",
        "user/alice",
        "--action",
        "ecs:Start",
    ]);
    refused(&o, "p.json", "a FIFO");
}

#[test]
fn f3_fifo_requests_file_is_refused() {
    let (_dir, fifo) = with_fifo("f3-fifo-requests", "requests.jsonl");
    let o = run_guarded(&["check", "--policy", "AdministratorAccess", "--requests", &fifo]);
    refused(&o, &fifo, "a FIFO");
}

#[test]
fn f3_fifo_test_suite_is_refused() {
    let (dir, _fifo) = with_fifo("f3-fifo-suite", "a.test.json");
    let o = run_guarded(&["test", &dir.to_string_lossy()]);
    refused(&o, "a.test.json", "a FIFO");
}

// Devices: read without end before.

#[cfg(target_os = "linux")]
#[test]
fn f3_devices_as_policy_are_refused() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let o = run_guarded(&["check", "--policy", device, "--action", "ecs:Start"]);
        refused(&o, device, "a character device");
    }
    for device in ["/dev/zero", "/dev/urandom"] {
        let o = run_guarded(&["check", "--policy", "AdministratorAccess", "--requests", device]);
        refused(&o, device, "a character device");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn f3_dev_stdin_as_policy_is_refused_when_a_pipe() {
    // Standard input is `-`; by name it is refused when it is a pipe (here one left open).
    let o = run_guarded(&["check", "--policy", "/dev/stdin", "--action", "ecs:Start"]);
    refused(&o, "/dev/stdin", "a FIFO");
}

#[test]
fn f3_directory_as_context_file_is_refused() {
    let dir = scratch("f3-directory-context");
    let o = run_guarded(&[
        "check",
        "--policy",
        "AdministratorAccess",
        "--action",
        "ecs:Start",
        "--context-file",
        &dir.to_string_lossy(),
    ]);
    refused(&o, &dir.to_string_lossy(), "a directory");
}

// The document limit still holds exactly, through the bounded read.

#[test]
fn f3_policy_file_of_exactly_one_mebibyte_is_read() {
    let dir = scratch("f3-policy-limit");
    let mut doc = ALLOW_ALL.to_owned();
    doc.push_str(&" ".repeat(ram_policy::MAX_DOCUMENT_BYTES - doc.len()));
    let exact = write(&dir, "exact.json", &doc);
    let o = run_guarded(&["check", "--policy", &exact, "--action", "ecs:Start"]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    doc.push(' ');
    let over = write(&dir, "over.json", &doc);
    let o = run_guarded(&["check", "--policy", &over, "--action", "ecs:Start"]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("1048577 bytes, larger than the 1 MiB limit"),
        "{}",
        stderr(&o)
    );
}

// `--policy DIR` and globs: `.json` in any case.

#[test]
fn f3_policy_directory_takes_upper_case_json() {
    let dir = scratch("f3-upper-case-json");
    write(&dir, "allow.json", ALLOW_ALL);
    write(&dir, "DENY.JSON", DENY_ALL);
    write(&dir, "notes.txt", "not a policy");
    let o = run_guarded(&["check", "--policy", &dir.to_string_lossy(), "--action", "ecs:Start"]);
    assert_eq!(status(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("ExplicitDeny"), "{}", stdout(&o));
    assert!(stdout(&o).contains("DENY"), "{}", stdout(&o));
    let glob = format!("{}/*", dir.to_string_lossy());
    let o = run_guarded(&["check", "--policy", &glob, "--action", "ecs:Start"]);
    assert_eq!(status(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("ExplicitDeny"), "{}", stdout(&o));
}

// Batch mode.

/// Runs a batch whose standard input `feed` writes, then closes.
fn batch(feed: impl FnOnce(&mut dyn Write) + Send + 'static) -> Output {
    let mut child = spawn(&["check", "--policy", "AdministratorAccess", "--requests", "-"]);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || feed(&mut stdin));
    let output = finish(child, "batch");
    writer.join().unwrap();
    output
}

/// A request line of exactly `len` bytes, without its line ending.
fn padded_request(len: usize) -> Vec<u8> {
    let mut line = br#"{"action": "ecs:Start"}"#.to_vec();
    line.resize(len, b' ');
    line
}

#[test]
fn f3_batch_line_of_exactly_one_mebibyte_is_accepted() {
    const MIB: usize = 1024 * 1024;
    let o = batch(|stdin| {
        for (len, ending) in [
            (MIB, &b"\n"[..]),
            (MIB, b"\r\n"),
            (MIB + 1, b"\n"),
            (MIB + 1, b"\r\n"),
            (MIB, b""),
        ] {
            let _ = stdin.write_all(&padded_request(len));
            let _ = stdin.write_all(ending);
        }
    });
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[0].contains(r#""line":1,"decision":"Allow""#), "{}", lines[0]);
    assert!(lines[1].contains(r#""line":2,"decision":"Allow""#), "{}", lines[1]);
    assert!(
        lines[2].contains(r#""line":3,"error":"line is longer than 1048576 bytes""#),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(r#""line":4,"error":"line is longer than 1048576 bytes""#),
        "{}",
        lines[3]
    );
    // The last line, without a line ending.
    assert!(lines[4].contains(r#""line":5,"decision":"Allow""#), "{}", lines[4]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("2 of 5 request lines were bad"), "{}", stderr(&o));
}

/// The child's peak resident memory so far, in KiB (Linux).
#[cfg(target_os = "linux")]
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Feeds `write` to a batch, then — before closing its input, so the child is still there —
/// returns its peak memory, and its output once closed.
#[cfg(target_os = "linux")]
fn batch_peak(write: impl FnOnce(&mut dyn Write)) -> (u64, Output) {
    let mut child = spawn(&["check", "--policy", "AdministratorAccess", "--requests", "-"]);
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    // Output is read meanwhile so the child never waits on a full pipe.
    let reader = drain(child.stdout.take());
    // A write that blocks for good means the child stopped reading: the guard kills it.
    let guard = {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(GUARD) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        });
        tx
    };
    write(&mut stdin);
    stdin.flush().unwrap();
    let peak = peak_kib(pid);
    drop(guard);
    drop(stdin);
    let mut output = finish(child, "batch");
    output.stdout = reader.join().unwrap();
    (peak, output)
}

#[cfg(target_os = "linux")]
#[test]
fn f3_batch_over_long_line_is_skipped_without_buffering() {
    // A 256 MiB line was read whole into a throwaway buffer.
    let (peak, o) = batch_peak(|stdin| {
        let block = vec![b'x'; 1 << 20];
        for _ in 0..256 {
            stdin.write_all(&block).unwrap();
        }
        stdin.write_all(b"\n{\"action\": \"ecs:Start\"}\n").unwrap();
    });
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("line is longer than 1048576 bytes"), "{}", lines[0]);
    assert!(lines[1].contains(r#""line":2,"decision":"Allow""#), "{}", lines[1]);
    assert!(peak < 100 * 1024, "peak memory {peak} KiB for a 256 MiB line");
}

#[cfg(target_os = "linux")]
#[test]
fn f3_batch_memory_is_bounded_for_many_long_lines() {
    // 300 lines of nearly 1 MiB: a chunk of 2,048 lines held them all.
    let (peak, o) = batch_peak(|stdin| {
        // Each line an error, so the test does not depend on what a long resource decides.
        let mut line = br#"{"action": "ecs:Start", "padding": ""#.to_vec();
        line.resize(1024 * 1024 - 3, b'r');
        line.extend_from_slice(b"\"}\n");
        for _ in 0..300 {
            stdin.write_all(&line).unwrap();
        }
    });
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 300, "{}", stderr(&o));
    assert!(
        out.lines().all(|l| l.contains("unknown field `padding`")),
        "{}",
        out.lines().next().unwrap_or("")
    );
    assert!(peak < 150 * 1024, "peak memory {peak} KiB for 300 lines of 1 MiB");
}

#[cfg(target_os = "linux")]
#[test]
fn f3_batch_line_of_too_many_values_is_refused_before_parsing() {
    // 200 lines of half a million values each: parsed, each cost tens of megabytes on every
    // worker at once. No request holds so many; commas inside a string do not count.
    let (peak, o) = batch_peak(|stdin| {
        let mut line = br#"{"action": "ecs:Start", "context": {"k": ["#.to_vec();
        while line.len() < 1024 * 1024 - 8 {
            line.extend_from_slice(b"1,");
        }
        line.extend_from_slice(b"1]}}\n");
        for _ in 0..200 {
            stdin.write_all(&line).unwrap();
        }
        // 32,000 commas in strings (each value within the 4 KiB request limit).
        let commas = ",".repeat(4_000);
        let keys: Vec<String> = (0..8).map(|i| format!("\"k{i}\": \"{commas}\"")).collect();
        let quoted = format!("{{\"action\": \"ecs:Start\", \"context\": {{{}}}}}\n", keys.join(", "));
        stdin.write_all(quoted.as_bytes()).unwrap();
    });
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 201, "{}", stderr(&o));
    assert!(
        lines[..200].iter().all(|l| l.contains("more than 22000 JSON values")),
        "{}",
        lines[0]
    );
    assert!(
        lines[200].contains(r#""line":201,"decision":"Allow""#),
        "{}",
        lines[200]
    );
    assert!(
        peak < 150 * 1024,
        "peak memory {peak} KiB for 200 lines of 500,000 values"
    );
}
