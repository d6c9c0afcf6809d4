//! `customs.yaml`: a project's scan settings, kept in the repository so that CI and
//! developers run the same gate. Every `scan:` key mirrors a `customs scan` flag;
//! a flag given on the command line wins over the file. `policy:` holds the image
//! policy ([`crate::policy::Policy`]: the base-image allowlist and signature requirements).
//!
//! Unknown keys are errors: a misspelt `fail-on` would otherwise loosen the gate
//! without anyone noticing. Every path the file names must stay inside the file's
//! folder ([`contained`]): the file is the repository's, the flags are the user's.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::ValueEnum as _;
use serde::{Deserialize, Deserializer};

use crate::cli::scan::{ScanArgs, ScanFormat};
use crate::scan::Threshold;

pub mod contained;

use contained::Origin;

/// Read from the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "customs.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub scan: ScanConfig,
    /// The image policy (docs/policy.md); `policy:` left empty is no policy.
    #[serde(default)]
    pub policy: Option<crate::policy::Policy>,
}

/// The `scan:` section. Paths are relative to the file's folder.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScanConfig {
    #[serde(default, deserialize_with = "threshold")]
    pub fail_on: Option<Threshold>,
    pub ignore_unfixed: Option<bool>,
    pub ignore_file: Option<PathBuf>,
    pub vex: Option<Vec<PathBuf>>,
    pub db: Option<PathBuf>,
    pub advisories: Option<Vec<PathBuf>>,
    #[serde(default, deserialize_with = "format")]
    pub format: Option<ScanFormat>,
    pub output: Option<PathBuf>,
    pub skip_dir: Option<Vec<String>>,
    pub max_db_age: Option<u64>,
    pub show_suppressed: Option<bool>,
}

impl Config {
    /// Reads `explicit` (which must exist), else `./customs.yaml` when present.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Option<Config>> {
        let path = match explicit {
            Some(path) => path,
            // Present but not a regular file (a FIFO): an error from the read, never a block.
            None if Path::new(DEFAULT_FILE).exists() => Path::new(DEFAULT_FILE),
            None => return Ok(None),
        };
        let read = || -> anyhow::Result<Config> {
            let text = crate::triage::read_text(path)?;
            Ok(if crate::triage::is_blank_yaml(&text) {
                Config::default()
            } else {
                crate::inventory::text::yaml(path, &text)?
            })
        };
        let mut config = read().context("cannot read the configuration file")?;
        let base = path.parent().unwrap_or(Path::new(""));
        config.scan.resolve_paths(path, base)?;
        config.check_policy_paths(path, base)?;
        Ok(Some(config))
    }

    /// Keys and trust roots of `policy: signatures:` are read later, relative to the
    /// file's folder ([`crate::policy::signature::policy::resolve`]); they must stay
    /// inside it like every other path of the file.
    fn check_policy_paths(&self, file: &Path, base: &Path) -> anyhow::Result<()> {
        let rules = self.policy.as_ref().and_then(|p| p.signatures.as_ref()).map(Vec::as_slice).unwrap_or_default();
        let instead = "copy the file into the repository, or check the image with `customs verify` and its \
                       --key/--trusted-root flags";
        for (index, rule) in rules.iter().enumerate() {
            let keys = format!("policy: signatures[{index}]: keys");
            for key in &rule.keys {
                contained::contain(&Origin { file, key: &keys, instead }, base, key)?;
            }
            if let Some(root) = &rule.trusted_root {
                let key = format!("policy: signatures[{index}]: trusted-root");
                contained::contain(&Origin { file, key: &key, instead }, base, root)?;
            }
        }
        Ok(())
    }

    /// Fills every setting the command line left unset from the file.
    pub fn apply(&self, args: &ScanArgs) -> ScanArgs {
        let mut args = args.clone();
        let scan = &self.scan;
        fill(&mut args.fail_on, scan.fail_on);
        fill(&mut args.ignore_unfixed, scan.ignore_unfixed);
        fill(&mut args.ignore_file, scan.ignore_file.clone());
        fill(&mut args.db, scan.db.clone());
        fill(&mut args.format, scan.format);
        fill(&mut args.output, scan.output.clone());
        fill(&mut args.max_db_age, scan.max_db_age);
        fill(&mut args.show_suppressed, scan.show_suppressed);
        // A list given on the command line replaces the file's list.
        fill_list(&mut args.vex, &scan.vex);
        fill_list(&mut args.advisories, &scan.advisories);
        fill_list(&mut args.walk.skip_dir, &scan.skip_dir);
        args
    }
}

impl ScanConfig {
    /// Joins every path to the file's folder `base`, refusing any that would leave it
    /// (see [`contained`]); the error names the flag that may point elsewhere.
    fn resolve_paths(&mut self, file: &Path, base: &Path) -> anyhow::Result<()> {
        let resolve = |p: &mut PathBuf, key: &str, instead: &str| -> anyhow::Result<()> {
            *p = contained::contain(&Origin { file, key, instead }, base, p)?;
            Ok(())
        };
        let flag = |name: &str| format!("to use a path outside it, give it on the command line with {name}");
        let singles = [
            (&mut self.output, "scan: output", flag("-o/--output")),
            (&mut self.ignore_file, "scan: ignore-file", flag("--ignore-file")),
            (&mut self.db, "scan: db", flag("--db")),
        ];
        for (path, key, instead) in singles {
            if let Some(path) = path {
                resolve(path, key, &instead)?;
            }
        }
        let lists = [
            (&mut self.vex, "scan: vex", flag("--vex")),
            (&mut self.advisories, "scan: advisories", flag("--advisories")),
        ];
        for (paths, key, instead) in lists {
            for path in paths.iter_mut().flatten() {
                resolve(path, key, &instead)?;
            }
        }
        Ok(())
    }
}

fn fill<T>(flag: &mut Option<T>, file: Option<T>) {
    if flag.is_none() {
        *flag = file;
    }
}

fn fill_list<T: Clone>(flag: &mut Vec<T>, file: &Option<Vec<T>>) {
    if flag.is_empty() {
        *flag = file.clone().unwrap_or_default();
    }
}

fn threshold<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Threshold>, D::Error> {
    let s = String::deserialize(deserializer)?;
    s.parse().map(Some).map_err(|e| serde::de::Error::custom(format!("fail-on: {e}")))
}

fn format<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ScanFormat>, D::Error> {
    let s = String::deserialize(deserializer)?;
    ScanFormat::from_str(&s, true).map(Some).map_err(|_| {
        serde::de::Error::custom(format!("format: unknown format {s:?}: use table, json, sarif or markdown"))
    })
}
