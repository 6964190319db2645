//! crosscheck: run the same neuroscience model on several simulators and check that they all
//! still behave as expected.
//!
//! The data flows one way, and each step is a module:
//!
//! ```text
//! suite (load .omt/.mep, suites) → plan (tests × engines → jobs) → provision (env)
//!     → runner (processes, timeouts; each job judged as it ends: judge) → judge::agreement
//!     → report (terminal, JSON, JUnit, HTML)
//! ```
//!
//! `engine` says how each simulator runs a target and `env` provisions the simulators into a
//! managed Python environment. `cli` is a thin clap layer over the rest.

pub mod analytic;
pub mod cache;
pub mod cli;
pub mod codegen;
pub mod compare;
pub mod data;
pub mod diff;
pub mod engine;
pub mod env;
pub mod exit;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod installed;
pub mod judge;
pub mod jvm;
pub mod mechanisms;
pub mod partition;
pub mod plan;
pub mod plot;
pub mod process;
pub mod process_tag;
pub mod report;
pub mod results;
pub mod runner;
pub mod session;
pub mod slurm;
pub mod suggest;
pub mod suite;
pub mod suite_job;
