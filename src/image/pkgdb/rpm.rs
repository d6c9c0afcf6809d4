//! Not yet written.

use super::super::fs::{Collector, Context, ImageFs};
use crate::model::Package;

pub struct Rpm;

impl Collector for Rpm {
    fn id(&self) -> &'static str {
        "os/rpm"
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn collect(&self, _fs: &ImageFs, _context: &Context) -> Result<Vec<Package>, String> {
        Ok(Vec::new())
    }
}
