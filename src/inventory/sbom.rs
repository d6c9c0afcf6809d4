//! Placeholder until the SBOM reader lands.
use super::{ExtractError, Extracted, Input};

pub fn read_sbom(input: &Input<'_>) -> Result<Extracted, ExtractError> {
    Err(input.error(None, "SBOM input is not supported yet"))
}
