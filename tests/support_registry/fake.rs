//! [`FakeRegistry`]: the tests' scripted HTTP server (`tests/support_http`) playing a
//! registry, for what a real one will not do on demand (bearer tokens, failures, stalls).

#[path = "../support_http/mod.rs"]
mod http;

// Not every test binary uses all three.
#[allow(unused_imports)]
pub use http::{Reply, Request, TestServer as FakeRegistry};
