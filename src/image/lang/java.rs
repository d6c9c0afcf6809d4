//! Not yet written.

use super::super::fs::InlineAnalyzer;
use crate::model::Package;

pub struct JavaArchives;

impl InlineAnalyzer for JavaArchives {
    fn id(&self) -> &'static str {
        "java/archive"
    }

    fn wants(&self, _path: &str, _mode: u32, _size: u64) -> bool {
        false
    }

    fn analyze(&self, _path: &str, _content: &[u8]) -> Result<Vec<Package>, String> {
        Ok(Vec::new())
    }
}
