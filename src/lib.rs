//! crosscheck: run the same neuroscience model on several simulators and check that they all
//! still behave as expected.
//!
//! The data flows one way, and each step is a module:
//!
//! ```text
//! suite (load .omt/.mep) → plan (tests × engines → jobs) → runner (processes, timeouts)
//!     → check (data files → observables → verdicts) → report (terminal, JSON, JUnit, HTML)
//! ```
//!
//! `engine` says how each simulator runs a target and `env` provisions the simulators into a
//! managed Python environment. `cli` is a thin clap layer over the rest.

pub mod agreement;
pub mod cache;
pub mod calibration;
pub mod check;
pub mod cli;
pub mod codegen;
pub mod compare;
pub mod data;
pub mod engine;
pub mod env;
pub mod exit;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod installed;
pub mod jvm;
pub mod mechanisms;
pub mod native;
pub mod partition;
pub mod plan;
pub mod plot;
pub mod process;
pub mod process_tag;
pub mod reference;
pub mod report;
pub mod results;
pub mod runner;
pub mod session;
pub mod slurm;
pub mod suggest;
pub mod suite;
