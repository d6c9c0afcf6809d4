//! Not yet written.

use super::super::fs::InlineAnalyzer;
use crate::model::Package;

pub struct AuditableBinaries;

impl InlineAnalyzer for AuditableBinaries {
    fn id(&self) -> &'static str {
        "rust/cargo-auditable"
    }

    fn wants(&self, _path: &str, _mode: u32, _size: u64) -> bool {
        false
    }

    fn analyze(&self, _path: &str, _content: &[u8]) -> Result<Vec<Package>, String> {
        Ok(Vec::new())
    }
}
