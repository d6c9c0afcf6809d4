//! Container images: where they come from (registries, archives, OCI layouts), their
//! layers read as streams, and the analysers that turn the files they keep into
//! packages.
//!
//! The pipeline for one image:
//! 1. a [`source::ImageSource`] resolves the reference to a manifest and opens each
//!    layer blob as a digest-verified stream ([`digest::Verified`]);
//! 2. [`layers::read_layer`] walks one layer's tar (gzip, zstd or plain) once, keeping
//!    only the files an analyser asked for, plus whiteouts and links; layers are
//!    independent, so they are read in parallel and cached by digest;
//! 3. [`fs::ImageFs::merge`] stacks the layers bottom-up (OCI whiteout rules);
//! 4. the OS is detected ([`os`]), then collectors ([`pkgdb`], [`lang`], the lockfile
//!    extractors) read the merged view into packages, each with the layer that added it.

pub mod analyze;
pub mod archive;
pub mod cache;
pub mod digest;
pub mod fs;
pub mod lang;
pub mod layers;
pub mod lockfiles;
pub mod os;
pub mod pkgdb;
pub mod reference;
pub mod registry;
pub mod source;
