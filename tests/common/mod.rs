//! Helpers shared by the command-line tests: run the binary as a user would.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `ram-policy` with `args` as a user would: in process through the library's command-line
/// entry point when there is no standard input to feed (fast, and a panic fails the test with
/// its backtrace), else as a child process.
pub fn run(args: &[&str], stdin: Option<&str>) -> Output {
    match stdin {
        None => run_in_process(args),
        Some(_) => run_process(args, stdin),
    }
}

/// Runs the command line in this process, in the package folder (where `cargo test` runs
/// tests), capturing what it writes and its exit status.
pub fn run_in_process(args: &[&str]) -> Output {
    use std::os::unix::process::ExitStatusExt;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = ram_policy::cli::run_args(
        std::iter::once("ram-policy").chain(args.iter().copied()),
        &mut stdout,
        &mut stderr,
        false,
    );
    Output {
        status: std::process::ExitStatus::from_raw(i32::from(code) << 8),
        stdout,
        stderr,
    }
}

/// Runs `ram-policy` as a child process in the package folder with `args`, feeding `stdin`
/// from another thread (a large batch fills the pipes both ways at once).
pub fn run_process(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ram-policy"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let text = stdin.unwrap_or("").to_owned();
    let writer = std::thread::spawn(move || {
        // The child may exit before reading everything: a failed write is its business.
        let _ = input.write_all(text.as_bytes());
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit status.
pub fn status(o: &Output) -> i32 {
    o.status.code().unwrap()
}

/// A scratch directory for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Far longer than any command of the tests takes, even on a loaded machine: it only stops a run
/// that would otherwise never end (a FIFO, a link loop) from hanging the test suite.
pub const GUARD: Duration = Duration::from_secs(180);

/// Starts `ram-policy` in `dir` with `args`, every standard stream piped.
pub fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ram-policy"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` (its standard input already written, taken or left open), reading both
/// pipes meanwhile (a child blocked on a full pipe would look like a hang), and kills it and
/// fails the test if it outlives [`GUARD`].
pub fn finish_guarded(mut child: Child, what: &str) -> Output {
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
            let text = String::from_utf8_lossy(&out.join().unwrap()).into_owned();
            let tail: String = text.lines().rev().take(5).collect::<Vec<_>>().join("\n");
            panic!("{what}: still running after {GUARD:?}, killed (it hangs). Last lines:\n{tail}");
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
pub fn drain(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_end(&mut bytes);
        }
        bytes
    })
}
