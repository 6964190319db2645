//! Reporters: the terminal while running, and files (JSON, JUnit XML) at the end.
//!
//! The runner knows nothing of reporters; it sends [`crate::runner::Event`]s, and the
//! terminal reporter turns them into progress. File reporters read the finished [`RunReport`].

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod merge;
pub mod terminal;
