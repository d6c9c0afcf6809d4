//! Language packages installed in images: one module per ecosystem's on-disk metadata.

pub mod cargo_auditable;
pub mod gobin;
pub mod java;
pub mod node;
pub mod python;
