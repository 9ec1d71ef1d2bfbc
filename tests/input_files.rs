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

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{scratch, status, stderr, stdout, write};

/// How long a command may run before it is taken to hang.
const GUARD: Duration = Duration::from_secs(120);

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ram-policy"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` (its standard input already written or taken), killing it and failing the
/// test if it outlives [`GUARD`].
fn finish(mut child: Child, what: &str) -> Output {
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let deadline = Instant::now() + GUARD;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {GUARD:?}, killed (it hangs on its input)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Reads a child's output stream to its end on another thread (none: nothing).
fn drain(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_end(&mut bytes);
        }
        bytes
    })
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
