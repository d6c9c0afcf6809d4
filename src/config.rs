//! `customs.yaml`: a project's scan settings, kept in the repository so that CI and
//! developers run the same gate. Every `scan:` key mirrors a `customs scan` flag;
//! a flag given on the command line wins over the file ([`Config::settings`] gives the
//! file's values; the command line picks between them and its flags). `policy:` holds the image
//! policy ([`crate::policy::Policy`]: the base-image allowlist and signature requirements).
//!
//! Unknown keys are errors: a misspelt `fail-on` would otherwise loosen the gate
//! without anyone noticing. Every path the file names must stay inside the file's
//! folder ([`contained`]): the file is the repository's, the flags are the user's.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Deserializer};

use crate::image::reference::ImageRef;
use crate::policy::base_image::Pattern;
use crate::policy::signature::policy::ResolvedRule;
use crate::policy::BaseImagePolicy;
use crate::scan::{Format, Levels, Threshold, Unrated};

pub mod contained;

use contained::Origin;

/// Read from the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "customs.yaml";

/// A `customs.yaml` file: the `scan:` settings and the image `policy:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The defaults for `customs scan` flags.
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
/// [`Config::settings`] joins them to it and refuses any that leave it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScanConfig {
    /// The severity at which the scan fails (`--fail-on`).
    #[serde(default, deserialize_with = "threshold")]
    pub fail_on: Option<Threshold>,
    /// Whether findings without a severity trip `fail-on` (`fail` or `ignore`).
    pub unrated: Option<Unrated>,
    /// Only findings at these severities are reported and gate (`HIGH,CRITICAL`).
    #[serde(default, deserialize_with = "severity")]
    pub severity: Option<Levels>,
    /// The exit code when the gate trips.
    pub exit_code: Option<u8>,
    /// Leave out findings no fixed version exists for (`--ignore-unfixed`).
    pub ignore_unfixed: Option<bool>,
    /// The ignore file (`--ignore-file`), relative to this file.
    pub ignore_file: Option<PathBuf>,
    /// OpenVEX documents (`--vex`), relative to this file.
    pub vex: Option<Vec<PathBuf>>,
    /// The advisory database, mirror, zip or folder (`--db`), relative to this file.
    pub db: Option<PathBuf>,
    /// Folders or files of local OSV advisories (`--advisories`), relative to this file.
    pub advisories: Option<Vec<PathBuf>>,
    /// The report format (`--format`).
    #[serde(default, deserialize_with = "format")]
    pub format: Option<Format>,
    /// Where the report is written (`--output`), relative to this file.
    pub output: Option<PathBuf>,
    /// Folders the directory walk leaves out (`--skip-dir`).
    pub skip_dir: Option<Vec<String>>,
    /// The oldest database, in days, a scan accepts without a warning (`--max-db-age`).
    pub max_db_age: Option<u64>,
    /// List suppressed findings too (`--show-suppressed`).
    pub show_suppressed: Option<bool>,
    /// Accept a repository with nothing to scan (`--allow-empty`).
    pub allow_empty: Option<bool>,
}

/// A path the file names, joined to the file's folder, or why it is refused
/// ([`contained`]). The refusal is an error only once the path is used: a flag that
/// replaces the setting means it is never looked at, so the person running customs can
/// always override a refused path.
pub type Contained<T = PathBuf> = anyhow::Result<T>;

/// The `scan:` settings of a configuration file, ready to use: `None` where the file
/// says nothing. The command line gives its flags precedence ([`flag_or`]).
#[derive(Debug, Default)]
pub struct ScanSettings {
    /// As `scan: fail-on`.
    pub fail_on: Option<Threshold>,
    /// As `scan: unrated`.
    pub unrated: Option<Unrated>,
    /// As `scan: severity`.
    pub severity: Option<Levels>,
    /// As `scan: exit-code`.
    pub exit_code: Option<u8>,
    /// As `scan: ignore-unfixed`.
    pub ignore_unfixed: Option<bool>,
    /// As `scan: ignore-file`, joined to the file's folder (or why it is refused).
    pub ignore_file: Option<Contained>,
    /// As `scan: db`, joined to the file's folder (or why it is refused).
    pub db: Option<Contained>,
    /// As `scan: format`.
    pub format: Option<Format>,
    /// As `scan: output`, joined to the file's folder (or why it is refused).
    pub output: Option<Contained>,
    /// As `scan: max-db-age`.
    pub max_db_age: Option<u64>,
    /// As `scan: show-suppressed`.
    pub show_suppressed: Option<bool>,
    /// As `scan: vex`, joined to the file's folder (or why it is refused).
    pub vex: Option<Contained<Vec<PathBuf>>>,
    /// As `scan: advisories`, joined to the file's folder (or why it is refused).
    pub advisories: Option<Contained<Vec<PathBuf>>>,
    /// As `scan: skip-dir`.
    pub skip_dir: Option<Vec<String>>,
    /// As `scan: allow-empty`.
    pub allow_empty: Option<bool>,
}

/// `flag` when it was given, else the file's path (its refusal, when the file named a
/// path outside its folder), else `None`.
pub fn flag_or<T>(flag: Option<T>, setting: Option<Contained<T>>) -> anyhow::Result<Option<T>> {
    match flag {
        Some(value) => Ok(Some(value)),
        None => setting.transpose(),
    }
}

/// A list flag replaces the file's list when it names anything.
pub fn list_or<T>(flag: &[T], setting: Option<Contained<Vec<T>>>) -> anyhow::Result<Vec<T>>
where
    T: Clone,
{
    if flag.is_empty() {
        Ok(setting.transpose()?.unwrap_or_default())
    } else {
        Ok(flag.to_vec())
    }
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

    /// The `scan:` settings. The file's paths are joined to its folder; one that
    /// leaves it is kept as its refusal ([`Contained`]), which names the flag that
    /// replaces it.
    pub fn settings(&self) -> ScanSettings {
        let scan = &self.scan;
        let instead = |flag: &str| format!("to use a path outside it, give it on the command line with {flag}");
        let path = |value: &Option<PathBuf>, key: &str, flag: &str| {
            value.as_deref().map(|v| self.contain(key, &instead(flag), v))
        };
        let paths = |values: &Option<Vec<PathBuf>>, key: &str, flag: &str| {
            values.as_ref().map(|values| values.iter().map(|v| self.contain(key, &instead(flag), v)).collect())
        };
        ScanSettings {
            fail_on: scan.fail_on,
            unrated: scan.unrated,
            severity: scan.severity,
            exit_code: scan.exit_code,
            ignore_unfixed: scan.ignore_unfixed,
            ignore_file: path(&scan.ignore_file, "scan: ignore-file", "--ignore-file"),
            db: path(&scan.db, "scan: db", "--db").map(|db| db.and_then(|db| self.not_compiled(db))),
            format: scan.format,
            output: path(&scan.output, "scan: output", "-o/--output"),
            max_db_age: scan.max_db_age,
            show_suppressed: scan.show_suppressed,
            vex: paths(&scan.vex, "scan: vex", "--vex"),
            advisories: paths(&scan.advisories, "scan: advisories", "--advisories"),
            skip_dir: scan.skip_dir.clone(),
            allow_empty: scan.allow_empty,
        }
    }

    /// Refuses a compiled database named by the file. OSV records (a folder, zip or
    /// mirror) are compiled by customs under its own checks and limits; a compiled file
    /// is read as written, so only the person running customs may hand one over.
    fn not_compiled(&self, db: PathBuf) -> anyhow::Result<PathBuf> {
        if !crate::advisory::store::is_compiled(&db) {
            return Ok(db);
        }
        anyhow::bail!(
            "{}: scan: db: \"{}\" is a compiled customs database; a configuration file may name OSV records (a \
             folder, zip or mirror), which customs compiles and checks itself, but not a compiled database, which \
             is read as written: the file comes with the repository; to use it, give it on the command line with \
             --db",
            crate::model::display_path(&self.file),
            crate::visible::visible(&db.to_string_lossy()),
        )
    }

    /// `policy: base-images:`, when the file has one (local images already relative to
    /// the file's folder).
    pub fn base_images(&self) -> Option<&BaseImagePolicy> {
        self.policy.as_ref().and_then(|p| p.base_images.as_ref())
    }

    /// `policy: signatures:` resolved: keys and trust roots read from the file's folder.
    /// None when the file has no such rules; a rule that cannot be used is an error
    /// naming the file.
    pub fn signature_rules(&self) -> anyhow::Result<Vec<ResolvedRule>> {
        let rules = self.policy.as_ref().and_then(|p| p.signatures.as_deref()).unwrap_or_default();
        crate::policy::signature::policy::resolve_config(rules, &self.file)
    }
}

fn threshold<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Threshold>, D::Error> {
    let s = String::deserialize(deserializer)?;
    s.parse().map(Some).map_err(|e| serde::de::Error::custom(format!("fail-on: {e}")))
}

fn severity<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Levels>, D::Error> {
    let s = String::deserialize(deserializer)?;
    s.parse().map(Some).map_err(|e| serde::de::Error::custom(format!("severity: {e}")))
}

fn format<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Format>, D::Error> {
    let s = String::deserialize(deserializer)?;
    s.parse::<Format>().map(Some).map_err(|e| serde::de::Error::custom(format!("format: {e}")))
}
