//! Advisories: OSV records, where they come from, and the compiled database.

pub mod cvss;
