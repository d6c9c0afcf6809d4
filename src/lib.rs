//! customs: a supply-chain security scanner.
//!
//! The crate is a pipeline, and its modules follow it:
//! [`inventory`] (files → packages) → matching → [`triage`] (ignore file, VEX) and policy (later) → [`report`].

pub mod advisory;
pub mod cli;
pub mod config;
pub mod deadline;
pub mod error_text;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod inventory;
pub mod matching;
pub mod model;
pub mod policy;
pub mod purl;
pub mod report;
pub mod scan;
pub mod sweep;
#[cfg(test)]
pub(crate) mod testing_tools;
pub mod time;
pub mod triage;
pub mod version;
pub mod visible;
