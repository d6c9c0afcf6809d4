//! customs: a supply-chain security scanner.
//!
//! The crate is a pipeline, and its modules follow it: [`inventory`] (lockfiles and
//! SBOMs → packages) and [`image`] (image layers → packages) → [`matching`] (packages ×
//! [`advisory`] data, each ecosystem's [`version`] order) → [`triage`] (ignore file,
//! VEX) and [`policy`] (Dockerfile rules, base images, signatures) → [`report`].
//! [`scan::Scanner`] runs the whole pipeline for one target; [`sweep`] runs it across
//! a registry and remembers what it analysed. The `customs` binary's command line
//! (`src/cli/`) only maps flags onto these and prints what they return.

pub mod advisory;
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
pub(crate) mod retry;
pub mod scan;
pub mod sweep;
#[cfg(test)]
pub(crate) mod testing_tools;
pub mod time;
pub mod triage;
pub mod version;
pub mod visible;
