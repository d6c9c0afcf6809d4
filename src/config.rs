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
use crate::image::reference::ImageRef;
use crate::policy::base_image::Pattern;
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
    /// The file this was read from: its folder is what every path is relative to.
    #[serde(skip)]
    pub file: PathBuf,
}

/// The `scan:` section. Paths are as written, relative to the file's folder;
/// [`Config::apply`] joins them to it and refuses any that leave it.
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
        config.file = path.to_path_buf();
        config.check_policy_paths()?;
        Ok(Some(config))
    }

    /// The folder every path of the file is relative to, and must stay inside.
    fn base(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }

    /// `value`, written under `key`, joined to the file's folder, or the error saying it
    /// leaves the folder ([`contained`]) and what to do instead.
    fn contain(&self, key: &str, instead: &str, value: &Path) -> anyhow::Result<PathBuf> {
        contained::contain(&Origin { file: &self.file, key, instead }, self.base(), value)
    }

    /// Keys and trust roots of `policy: signatures:` are read later, relative to the
    /// file's folder ([`crate::policy::signature::policy::resolve`]); they must stay
    /// inside it like every other path of the file. So must local images of `policy:
    /// base-images: allowed` (`oci:DIR`, `oci-archive:PATH`, `docker-archive:PATH`),
    /// read for layer ancestry: they are made relative to the file's folder here.
    fn check_policy_paths(&mut self) -> anyhow::Result<()> {
        let base = self.base().to_path_buf();
        let file = self.file.clone();
        let allowed = self.policy.as_mut().and_then(|p| p.base_images.as_mut()).and_then(|b| b.allowed.as_mut());
        for pattern in allowed.into_iter().flatten() {
            let text = pattern.text.trim();
            let (scheme, local) = match ImageRef::parse_with(text, &|_| false) {
                Ok(ImageRef::DockerArchive { path, .. }) => ("docker-archive:", path),
                Ok(ImageRef::OciArchive { path, .. }) => ("oci-archive:", path),
                Ok(ImageRef::OciLayout { dir, .. }) => ("oci:", dir),
                _ => continue,
            };
            let origin = Origin {
                file: &file,
                key: "policy: base-images: allowed",
                instead: "scan the base image yourself, or name a copy of it inside the repository",
            };
            let joined = contained::contain(&origin, &base, &local)?;
            let written = local.to_string_lossy();
            let rest = text.strip_prefix(scheme).and_then(|r| r.strip_prefix(written.as_ref())).unwrap_or_default();
            let relocated = format!("{scheme}{}{rest}", joined.display());
            *pattern = Pattern::parse(&relocated).map_err(anyhow::Error::msg)?;
        }
        let rules = self.policy.as_ref().and_then(|p| p.signatures.as_ref()).map(Vec::as_slice).unwrap_or_default();
        let instead = "copy the file into the repository, or check the image with `customs verify` and its \
                       --key/--trusted-root flags";
        for (index, rule) in rules.iter().enumerate() {
            for key in &rule.keys {
                self.contain(&format!("policy: signatures[{index}]: keys"), instead, key)?;
            }
            if let Some(root) = &rule.trusted_root {
                self.contain(&format!("policy: signatures[{index}]: trusted-root"), instead, root)?;
            }
        }
        Ok(())
    }

    /// Fills every setting the command line left unset from the file. The file's paths
    /// are joined to its folder and must stay inside it; a path a flag replaces is not
    /// looked at, so the person running customs can always override a refused one.
    pub fn apply(&self, args: &ScanArgs) -> anyhow::Result<ScanArgs> {
        let mut args = args.clone();
        let scan = &self.scan;
        let instead = |flag: &str| format!("to use a path outside it, give it on the command line with {flag}");
        let path = |value: &Option<PathBuf>, key: &str, flag: &str| {
            value.as_deref().map(|v| self.contain(key, &instead(flag), v)).transpose()
        };
        let paths = |values: &Option<Vec<PathBuf>>, key: &str, flag: &str| {
            values.iter().flatten().map(|v| self.contain(key, &instead(flag), v)).collect::<anyhow::Result<Vec<_>>>()
        };
        fill(&mut args.fail_on, scan.fail_on);
        fill(&mut args.ignore_unfixed, scan.ignore_unfixed);
        if args.ignore_file.is_none() {
            args.ignore_file = path(&scan.ignore_file, "scan: ignore-file", "--ignore-file")?;
        }
        if args.db.is_none() {
            args.db = path(&scan.db, "scan: db", "--db")?;
        }
        fill(&mut args.format, scan.format);
        if args.output.is_none() {
            args.output = path(&scan.output, "scan: output", "-o/--output")?;
        }
        fill(&mut args.max_db_age, scan.max_db_age);
        fill(&mut args.show_suppressed, scan.show_suppressed);
        // A list given on the command line replaces the file's list.
        if args.vex.is_empty() {
            args.vex = paths(&scan.vex, "scan: vex", "--vex")?;
        }
        if args.advisories.is_empty() {
            args.advisories = paths(&scan.advisories, "scan: advisories", "--advisories")?;
        }
        fill_list(&mut args.walk.skip_dir, &scan.skip_dir);
        Ok(args)
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
