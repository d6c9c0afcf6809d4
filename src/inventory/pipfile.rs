//! Not yet written.

use std::path::Path;

use super::{ExtractError, Extracted, Extractor, Input};

pub struct PipfileLock;

impl Extractor for PipfileLock {
    fn id(&self) -> &'static str {
        "pipfile/todo"
    }

    fn wants(&self, _path: &Path) -> bool {
        false
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        Err(input.error(None, "not supported yet"))
    }
}
