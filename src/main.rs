use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic is a bug in crosscheck; say so plainly instead of showing a Rust backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "crosscheck: internal error (this is a bug, please report it): {info}\n\
             set RUST_BACKTRACE=1 for details"
        );
    }));
    ExitCode::from(crosscheck::cli::main())
}
