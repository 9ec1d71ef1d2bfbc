//! The `ram-policy` command line (behind the `cli` feature). Commands are functions that take
//! parsed arguments and writers and return an [`Exit`], so tests run them in-process.
//!
//! The command line is a client of the library's public API only (the evaluation through
//! [`crate::Store`], its own readers built on [`crate::read`]); each command depends on the
//! shared loading modules (`setup`, `input`, `explain`, `render`), never on another command.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod batch;
mod check;
mod explain;
mod input;
mod junit;
mod render;
mod setup;
mod suite;

pub use check::CheckArgs;
pub use suite::TestArgs;

/// The exit status of a command (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: allowed, or nothing found.
    Allow,
    /// 1: denied (explicitly or implicitly), or findings.
    Deny,
    /// 2: a usage, input or policy error.
    Error,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Allow => ExitCode::SUCCESS,
            Exit::Deny => ExitCode::from(1),
            Exit::Error => ExitCode::from(2),
        }
    }
}

/// Output format of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// One JSON object (the format is documented in the README and kept stable).
    Json,
}

/// Read, check and evaluate Alibaba Cloud RAM policies offline.
#[derive(Debug, Parser)]
#[command(
    name = "ram-policy",
    version,
    about = "Read, check and evaluate Alibaba Cloud RAM policies offline, exactly as RAM decides",
    after_help = "Exit status of check: 0 Allow, 1 ExplicitDeny or ImplicitDeny, 2 usage, input or policy error.\n\
                  Exit status of test: 0 every case passed, 1 a case failed, 2 a suite or policy could not be read.\n\
                  The README describes the semantics, the account file, the suite format and the JSON output."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide whether a request is allowed for a principal or a set of policies, and say why
    Check(Box<CheckArgs>),
    /// Run policy test suites (*.test.json) like `cargo test`
    Test(TestArgs),
}

/// Runs the command line with the process's arguments and standard streams.
pub fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color = std::io::IsTerminal::is_terminal(&stderr);
    ExitCode::from(run_args(
        std::env::args_os(),
        &mut stdout.lock(),
        &mut stderr.lock(),
        color,
    ))
}

/// Parses `args` (the program name first) and runs the command, writing to `out` and `err`;
/// returns the exit status. Usage errors are written as clap words them, with status 2;
/// `--help` and `--version` go to `out` with status 0. Tests run the tool in process with it.
pub fn run_args<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write, color: bool) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => match run(cli, out, err, color) {
            Exit::Allow => 0,
            Exit::Deny => 1,
            Exit::Error => 2,
        },
        Err(e) => {
            let rendered = if color {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            let _ = if e.use_stderr() {
                err.write_all(rendered.as_bytes())
            } else {
                out.write_all(rendered.as_bytes())
            };
            // clap uses 0 for --help/--version and 2 for usage errors, as SPEC §8 wants.
            u8::try_from(e.exit_code()).unwrap_or(2)
        }
    }
}

/// Runs a parsed command line, writing to `out` and `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write, color: bool) -> Exit {
    match cli.command {
        Command::Check(args) => check::run(&args, out, err, color),
        Command::Test(args) => suite::run(&args, out, err, color),
    }
}
