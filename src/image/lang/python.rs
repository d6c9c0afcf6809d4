//! Not yet written.

use super::super::fs::{Collector, Context, ImageFs};
use crate::model::Package;

pub struct PythonPackages;

impl Collector for PythonPackages {
    fn id(&self) -> &'static str {
        "python/installed"
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn collect(&self, _fs: &ImageFs, _context: &Context) -> Result<Vec<Package>, String> {
        Ok(Vec::new())
    }
}
