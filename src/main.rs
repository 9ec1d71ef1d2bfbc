//! The `ram-policy` command: a thin shell around [`ram_policy::cli`].

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ram_policy::cli::main()
}
