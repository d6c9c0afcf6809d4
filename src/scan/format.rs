//! The report formats a scan's result can be rendered in, named the same way by
//! `--format`, `customs.yaml` and the registry sweep.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The formats a scan is reported in (`customs scan --format`, `scan: format:` in
/// `customs.yaml`; [`crate::report`] renders them). Kept with the scan's settings rather
/// than in the command line or the reports, so that the configuration file and other
/// commands (the registry sweep) name the same formats without depending on either.
/// The variants' doc comments are `--format`'s help.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Findings grouped by file, for people.
    Table,
    /// customs' JSON: findings, packages, errors (see docs/json-format.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// A short Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// CycloneDX 1.6 with the vulnerabilities (a VDR).
    Cyclonedx,
    /// SPDX 2.3 JSON of the scanned packages.
    Spdx,
}

impl Format {
    /// Every format, in the order help and messages list them.
    pub const ALL: [Format; 6] =
        [Format::Table, Format::Json, Format::Sarif, Format::Markdown, Format::Cyclonedx, Format::Spdx];

    /// Every name, for messages: `table, json, … or spdx`.
    pub fn names() -> String {
        let names = Format::ALL.map(Format::as_str);
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// The name `--format` takes: `table`, `json`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Cyclonedx => "cyclonedx",
            Format::Spdx => "spdx",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// A format's name, in any case (`JSON` is `json`).
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown format {s:?}: use {}", Format::names()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_in_any_case_and_print_their_flag_name() {
        for format in Format::ALL {
            assert_eq!(format.as_str().to_ascii_uppercase().parse::<Format>(), Ok(format));
            assert_eq!(format.to_string(), format.as_str());
            // The name clap accepts is the same one.
            assert_eq!(<Format as clap::ValueEnum>::from_str(format.as_str(), false), Ok(format));
        }
        assert_eq!(
            "xml".parse::<Format>(),
            Err("unknown format \"xml\": use table, json, sarif, markdown, cyclonedx or spdx".to_string())
        );
    }
}
