//! Process exit codes, and the one way an error reaches the user.
//!
//! The codes are part of the interface: CI scripts branch on them, so each has one meaning
//! (listed in `crosscheck --help`) and tests name the variants rather than the numbers.

/// Process exit codes. Part of the interface: CI scripts branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Every job passed (or was skipped).
    Success = 0,
    /// At least one job failed, errored or timed out.
    TestsFailed = 1,
    /// Bad command line (clap's own code, kept for our usage errors too).
    Usage = 2,
    /// A report could not be written: the HTML folder is a file, is not writable, or holds
    /// files the report did not write (checked before anything runs), or writing the JSON,
    /// JUnit or HTML report failed (the reports that could be written are complete).
    ReportUnwritable = 3,
    /// No test files were found under the given paths.
    NoTests = 4,
    /// At least one test file is invalid.
    InvalidTestFile = 5,
    /// An engine the selected tests need is missing and could not be installed (with
    /// `--require-all`, also a test whose engine cannot be provisioned here, e.g. XPP).
    EngineUnavailable = 6,
    /// The run was interrupted (Ctrl-C or SIGTERM).
    Interrupted = 130,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Prints an error for the user (stderr, `error: ` first).
pub fn error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}
