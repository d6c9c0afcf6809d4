//! The registry sweep (`customs registry scan | rematch | report`): every image of a
//! registry, analysed once per digest and remembered in a [`store`], matched again
//! whenever the advisories change, and reported as what is new, fixed or unchanged
//! since the previous run (docs/registry.md); split over shards ([`shard`], [`merge`])
//! or over workers sharing one store ([`work`]).
//!
//! The sweep does not have a pipeline of its own: it reads images with the image
//! code, and matches, triages and checks policy with [`crate::scan::Scanner`], the
//! same library call `customs scan` makes. What it adds is discovery, the store and
//! the comparison between runs ([`outcome`]).

pub mod compare;
pub mod layers;
pub mod merge;
pub mod notify;
pub mod outcome;
pub mod run;
pub mod select;
pub mod shard;
pub mod store;
pub mod work;
