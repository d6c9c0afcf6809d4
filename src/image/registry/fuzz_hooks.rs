//! The fuzz targets' way into the registry client's parsers (`crate::fuzzing`), which
//! stay `pub(crate)` in their own modules. Compiled only with the `fuzzing` feature.

use std::time::Instant;

use super::{auth, failure, manifest};
use crate::image::source::Platform;

/// Content types a registry may send a manifest under, `None` for a missing header.
const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
    Some("application/json"),
];

pub(crate) fn manifest(data: &[u8]) {
    for content_type in CONTENT_TYPES {
        match manifest::parse(data, content_type) {
            Ok(manifest::Manifest::Index(index)) => {
                for (os, architecture, variant) in [("linux", "amd64", None), ("linux", "arm", Some("v7"))] {
                    let wanted =
                        Platform { os: os.into(), architecture: architecture.into(), variant: variant.map(Into::into) };
                    let _ = manifest::select_platform(&index, &wanted);
                }
            }
            Ok(manifest::Manifest::Image(image)) => {
                let _ = manifest::check_config_media_type(&image.config);
            }
            Err(_) => {}
        }
    }
}

pub(crate) fn config(data: &[u8]) {
    if let Ok(config) = manifest::parse_config(data) {
        let _ = config.platform();
    }
}

pub(crate) fn token(data: &[u8], received: Instant) {
    let _ = auth::parse_token(data, received);
}

pub(crate) fn challenge(header: &str) {
    let _ = auth::parse_challenges(header);
}

pub(crate) fn error_body(data: &[u8]) {
    if let Some(text) = failure::error_body_text(data) {
        assert!(!text.chars().any(char::is_control), "{text:?} carries a control character into a message");
    }
}
