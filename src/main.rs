//! The `ram-policy` command: a thin shell around [`ram_policy::cli`].

fn main() -> std::process::ExitCode {
    ram_policy::cli::main()
}
