//! The `crosscheck` command: see [`crosscheck::cli`] for its commands and exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    // `crosscheck list | head` must end quietly when the reader goes away, like other Unix
    // tools, instead of failing on a broken pipe. Safety: called first thing, before any other
    // thread exists.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    // A panic is a bug in crosscheck; say so plainly instead of showing a Rust backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "crosscheck: internal error (this is a bug, please report it): {info}\n\
             set RUST_BACKTRACE=1 for details"
        );
    }));
    ExitCode::from(crosscheck::cli::main())
}
