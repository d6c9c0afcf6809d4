//! Operating-system package databases: one module per format.

pub mod apk;
pub mod dpkg;
pub mod rpm;
