//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    crate_dir().join("fixtures")
}

/// `../shared`, the read-only data beside the repository (schemas, OSV mirror, images).
/// (A work tree nested one level deeper, as `git worktree` makes them, finds it too.)
pub fn shared() -> PathBuf {
    [crate_dir().join("../shared"), crate_dir().join("../../shared")]
        .into_iter()
        .find(|dir| dir.is_dir())
        .expect("../shared is missing: the tests read schemas and data from it")
}

/// The customs binary built for this test run.
pub fn customs() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_customs"));
    cmd.env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    customs().args(args).current_dir(cwd).output().expect("customs runs")
}

pub fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", String::from_utf8_lossy(&output.stderr)))
}

/// Resolves `http://cyclonedx.org/schema/<file>` (and any other URI by its last
/// segment) to `../shared/schemas/<file>`: validation never touches the network.
struct SharedSchemas;

impl jsonschema::Retrieve for SharedSchemas {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or_default().to_string();
        let text = std::fs::read_to_string(shared().join("schemas").join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Validates `doc` against `../shared/schemas/<schema>`; returns every violation.
pub fn schema_errors(schema: &str, doc: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(shared().join("schemas").join(schema)).expect("schema readable");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::options()
        .with_retriever(SharedSchemas)
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// The first place two JSON documents differ (a JSON pointer and both values), if any:
/// for tests that compare whole reports and want the failure to say where.
pub fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{at}/{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (x, y))| first_difference(x, y, &format!("{at}/{i}")))
        }
        _ => (a != b).then(|| format!("{at}: {a} != {b}")),
    }
}
