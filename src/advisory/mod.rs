//! Advisories: OSV records, where they come from, and the compiled database.

pub mod coverage;
pub mod cvss;
pub mod db;
pub mod download;
pub mod local;
pub mod osv;
pub mod source;
pub mod store;
