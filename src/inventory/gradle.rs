//! Not yet written.

use std::path::Path;

use super::{ExtractError, Extracted, Extractor, Input};

pub struct GradleLockfile;

impl Extractor for GradleLockfile {
    fn id(&self) -> &'static str {
        "gradle/todo"
    }

    fn wants(&self, _path: &Path) -> bool {
        false
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        Err(input.error(None, "not supported yet"))
    }
}
