//! `customs scan`: find the packages, match them against advisories, report, gate.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::sbom::WalkArgs;
use crate::advisory::{coverage, local, store};
use crate::config::{self, Config, ScanSettings};
use crate::inventory::walk::{self, read_capped, Inventory};
use crate::inventory::{sbom, Input};
use crate::matching::{self, Advisories};
use crate::model::display_path;
use crate::report;
use crate::scan::{DatabaseSummary, ScanResult, Threshold};
use crate::triage::{self, time::Date, Triage, TriageOptions};

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Directories or lockfiles to scan.
    #[arg(value_name = "PATH", default_value = ".", conflicts_with_all = ["sbom", "image"])]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub image: super::image::ImageArgs,

    /// Scan the packages of a CycloneDX or SPDX JSON SBOM instead of lockfiles.
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,

    /// Advisories to use instead of the default database: a database file, a folder
    /// of OSV JSON records, a zip of them, or a mirror in osv.dev's layout
    /// (`<Ecosystem>/all.zip`). Compiled on first use and cached.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// More OSV advisories to merge into this scan (an organisation's own). Repeatable.
    #[arg(long = "advisories", value_name = "DIR")]
    pub advisories: Vec<PathBuf>,

    /// Accept an advisory database without a single record. Without this flag such a
    /// database is an error: every package would pass unchecked.
    #[arg(long)]
    pub allow_empty_db: bool,

    /// Never touch the network. Scans never download anything by themselves; this
    /// states it, and turns a missing database into an error instead of a hint.
    #[arg(long)]
    pub offline: bool,

    /// Output format [default: table].
    #[arg(long, short, value_enum)]
    pub format: Option<ScanFormat>,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with 1 only for vulnerabilities at or above this severity: any, low,
    /// medium, high, critical. Vulnerabilities without a severity always count;
    /// suppressed ones never do [default: any].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Threshold>,

    /// Check this Dockerfile with the Dockerfile rules (runs as root, unpinned or
    /// `latest` base images, secrets in ENV/ARG, `curl | sh`…); its findings gate like
    /// vulnerabilities. For image scans, SARIF results also point at it.
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<String>,

    /// SARIF category (`automationDetails.id`); default: one per target.
    #[arg(long, value_name = "ID")]
    pub sarif_category: Option<String>,

    /// Warn when the newest advisory in the database is older than this many days
    /// (0: never warn) [default: 7].
    #[arg(long, value_name = "DAYS")]
    pub max_db_age: Option<u64>,

    /// Settings file (see docs/triage.md); flags win over it
    /// [default: ./customs.yaml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Findings to suppress, each with a reason and optional expiry
    /// [default: ./.customs-ignore.yaml when present].
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,

    /// An OpenVEX document: its not_affected and fixed statements suppress findings.
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// Suppress findings that no published version fixes.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ignore_unfixed: Option<bool>,

    /// Keep suppressed findings in the report, marked with why.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub show_suppressed: Option<bool>,

    #[command(flatten)]
    pub walk: WalkArgs,
}

/// `--format`'s values; the enum lives in the library (`customs.yaml` names them too).
pub use crate::scan::Format as ScanFormat;

pub fn run(args: &ScanArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let config = Config::load(args.config.as_deref())?;
    let args = &match &config {
        Some(config) => with_settings(args, config.settings())?,
        None => args.clone(),
    };
    let base_images = config.as_ref().and_then(Config::base_images);
    let signatures = match &config {
        Some(config) => config.signature_rules()?,
        None => Vec::new(),
    };
    let (format, fail_on) = (args.format.unwrap_or(ScanFormat::Table), args.fail_on.unwrap_or(Threshold::Any));
    // Read before the scan: a broken ignore or VEX file should fail fast.
    let triage = Triage::load(&TriageOptions {
        ignore_file: args.ignore_file.clone(),
        vex: args.vex.clone(),
        ignore_unfixed: args.ignore_unfixed.unwrap_or(false),
    })?;
    let (targets, inventory) = match (&args.image.image, &args.sbom) {
        (Some(reference), _) => {
            if args.offline && is_registry(reference) {
                anyhow::bail!("--offline: {reference} is in a registry; scan a docker-archive:, oci-archive: or oci: copy instead");
            }
            (vec![reference.clone()], super::image::inventory(&args.image, reference, cache)?)
        }
        (None, Some(file)) => (vec![display_path(file)], inventory_from_sbom(file)?),
        (None, None) => inventory_from_paths(&args.paths, &args.walk)?,
    };

    let (local, local_warnings) = local::load(&args.advisories).context("cannot read --advisories")?;
    let (db, db_path) = match &args.db {
        Some(path) => (store::open_db_arg(path, cache)?, display_path(path)),
        None => (store::open_default(cache)?, store::default_db_path(cache).display().to_string()),
    };
    if !args.allow_empty_db {
        coverage::refuse_empty(&db_path, &db.header)?;
    }
    let uncovered = coverage::ecosystems_warning(&db_path, &db.header, &inventory.packages);
    let database = DatabaseSummary::new(db_path, &db.header, local.len());
    let advisories = Advisories { db: Some(db), local };
    let mut matches = matching::match_packages(&inventory.packages, &advisories)?;
    let image_digest = inventory.image.as_ref().map(|i| i.manifest_digest.clone());
    let context = triage::Context { today: Date::today(), targets: &targets, image_digest: image_digest.as_deref() };
    let triaged = triage.apply(&mut matches.findings, &context);

    let mut result = ScanResult::new(targets, inventory, matches, Some(database));
    if let Some(dockerfile) = &args.dockerfile {
        check_dockerfile(Path::new(dockerfile), base_images, &mut result);
    }
    if let (Some(policy), Some(image)) = (base_images, &result.inventory.image) {
        if image.base_name.is_none() && policy.allowed.is_some() {
            let outcome = check_ancestry(args, image, policy);
            result.add_policy(outcome.findings);
            result.inventory.warnings.extend(outcome.warnings);
        } else {
            let (findings, warning) = crate::policy::base_image::check_image(image, policy);
            result.add_policy(findings);
            result.inventory.warnings.extend(warning);
        }
    }
    if let (false, Some(image)) = (signatures.is_empty(), &result.inventory.image) {
        let outcome = check_signatures(args, image, &signatures)?;
        result.add_policy(outcome.findings);
        result.inventory.warnings.extend(outcome.warnings);
    }
    result.inventory.warnings.extend(uncovered);
    result.inventory.warnings.extend(local_warnings);
    result.inventory.warnings.extend(triaged.warnings);
    if !args.show_suppressed.unwrap_or(false) {
        result.hide_suppressed();
    }
    if let Some(db) = &result.database {
        if let Some(age) = super::db::age_days(&db.newest_modified) {
            let max_age = args.max_db_age.unwrap_or(7);
            if max_age > 0 && age > max_age {
                result.inventory.warnings.push(format!(
                    "the advisory database's newest record is {age} days old (over --max-db-age {max_age}); run `customs db update`"
                ));
            }
        }
    }

    let rendered = match format {
        ScanFormat::Json => report::json::render_scan(&result),
        ScanFormat::Sarif => report::sarif::render(
            &result,
            &report::sarif::SarifOptions { dockerfile: args.dockerfile.clone(), category: args.sarif_category.clone() },
        ),
        ScanFormat::Markdown => report::markdown::render(&result),
        ScanFormat::Cyclonedx => report::cyclonedx::render_scan(&result),
        ScanFormat::Spdx => report::spdx::render(&result.inventory),
        ScanFormat::Table => {
            let colour =
                args.output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            report::table::render(&result, colour)
        }
    };
    super::write_output(args.output.as_deref(), &rendered)?;
    let read_code = super::sbom::print_diagnostics(&result.inventory, quiet, format == ScanFormat::Json);
    if !quiet {
        triaged.notes.iter().for_each(|note| eprintln!("note: {note}"));
    }
    if read_code != super::exit::CLEAN {
        return Ok(read_code);
    }
    Ok(if result.gating_findings(fail_on) > 0 { super::exit::FINDINGS } else { super::exit::CLEAN })
}

/// The flags, with every one left unset taken from `customs.yaml`. A path the file
/// names is looked at only when no flag replaces it.
fn with_settings(args: &ScanArgs, settings: ScanSettings) -> anyhow::Result<ScanArgs> {
    let mut args = args.clone();
    args.fail_on = args.fail_on.or(settings.fail_on);
    args.ignore_unfixed = args.ignore_unfixed.or(settings.ignore_unfixed);
    args.ignore_file = config::flag_or(args.ignore_file, settings.ignore_file)?;
    args.db = config::flag_or(args.db, settings.db)?;
    args.format = args.format.or(settings.format);
    args.output = config::flag_or(args.output, settings.output)?;
    args.max_db_age = args.max_db_age.or(settings.max_db_age);
    args.show_suppressed = args.show_suppressed.or(settings.show_suppressed);
    args.vex = config::list_or(&args.vex, settings.vex)?;
    args.advisories = config::list_or(&args.advisories, settings.advisories)?;
    if args.walk.skip_dir.is_empty() {
        args.walk.skip_dir = settings.skip_dir.unwrap_or_default();
    }
    Ok(args)
}

/// Runs the Dockerfile rules; a Dockerfile that cannot be read or parsed is an input
/// error (exit 2) naming the file and line, like a malformed lockfile. With a
/// `base-images` policy its FROMs are also checked against the allowlist.
fn check_dockerfile(path: &Path, base_images: Option<&crate::policy::BaseImagePolicy>, result: &mut ScanResult) {
    let error = |line, message: String| crate::inventory::ExtractError::new(path, line, message);
    let text = match read_capped(path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return result.inventory.errors.push(error(None, "not valid UTF-8 text".into())),
        Err(e) => return result.inventory.errors.push(error(None, format!("cannot read the Dockerfile: {e}"))),
    };
    match crate::policy::Dockerfile::parse(&text) {
        Ok(dockerfile) => {
            let mut findings = crate::policy::check(&dockerfile, path);
            if let Some(policy) = base_images {
                findings.extend(crate::policy::base_image::check(&dockerfile, path, policy));
                findings.sort_by(|a, b| a.location.line.cmp(&b.location.line).then(a.rule.cmp(b.rule)));
            }
            result.add_policy(findings);
        }
        Err(e) => result.inventory.errors.push(error(Some(e.line), e.kind.to_string())),
    }
}

/// Resolves allowed base images with the scan's image options (registry flags,
/// platform); `--offline` refuses registries. They are named by the repository's
/// `customs.yaml`, so they get no environment credentials.
struct BaseResolver<'a> {
    args: &'a ScanArgs,
}

impl crate::policy::ancestry::BaseResolver for BaseResolver<'_> {
    fn diff_ids(&self, reference: &str) -> Result<Vec<crate::image::digest::Digest>, String> {
        if self.args.offline && is_registry(reference) {
            return Err("--offline: it is in a registry".to_string());
        }
        let source =
            super::image::open_named_by_repository(&self.args.image, reference).map_err(|e| format!("{e:#}"))?;
        source.resolve().map(|resolved| resolved.diff_ids).map_err(|e| e.to_string())
    }
}

/// An image without a base annotation, checked against the allowlist by layer
/// ancestry (see [`crate::policy::ancestry`]). The scanned image is resolved again for
/// its diff_ids; if it changed since it was read, it is not allowed (fail closed).
fn check_ancestry(
    args: &ScanArgs,
    image: &crate::model::ImageSubject,
    policy: &crate::policy::BaseImagePolicy,
) -> crate::policy::ancestry::Outcome {
    use crate::policy::ancestry;
    let resolver = BaseResolver { args };
    let reference = args.image.image.as_deref().unwrap_or(&image.reference);
    let diff_ids = super::image::open(&args.image, reference)
        .map_err(|e| format!("{e:#}"))
        .and_then(|source| source.resolve().map_err(|e| e.to_string()))
        .and_then(|resolved| {
            if resolved.manifest_digest.to_string() == image.manifest_digest {
                Ok(resolved.diff_ids)
            } else {
                Err(format!("its manifest changed during the scan (now {})", resolved.manifest_digest))
            }
        });
    match diff_ids {
        Ok(diff_ids) => ancestry::check(&image.reference, &diff_ids, policy, &resolver),
        Err(e) => {
            // Without the image's own layers no base can match: every base is unreadable.
            struct Failed(String);
            impl ancestry::BaseResolver for Failed {
                fn diff_ids(&self, _: &str) -> Result<Vec<crate::image::digest::Digest>, String> {
                    Err(self.0.clone())
                }
            }
            ancestry::check(&image.reference, &[], policy, &Failed(format!("the scanned image: {e}")))
        }
    }
}

/// Verifies the scanned image against the signature rules that match it, with the
/// scan's registry options.
fn check_signatures(
    args: &ScanArgs,
    image: &crate::model::ImageSubject,
    rules: &[crate::policy::signature::policy::ResolvedRule],
) -> anyhow::Result<crate::policy::signature::policy::Outcome> {
    use crate::policy::signature::policy::{self as signature_policy, RegistryVerifier};
    let given = args.image.image.as_deref().unwrap_or(&image.reference);
    let verifier = RegistryVerifier {
        options: super::image::registry_options(&args.image)?,
        network: args.image.network.registry_settings(),
    };
    Ok(signature_policy::check(given, &image.reference, &image.manifest_digest, rules, &verifier))
}

/// Whether an image reference names a registry (not an archive or layout).
fn is_registry(reference: &str) -> bool {
    matches!(crate::image::reference::ImageRef::parse(reference), Ok(crate::image::reference::ImageRef::Registry(_)))
}

/// Scans every path; with several, locations are prefixed by their path so they
/// stay distinct.
fn inventory_from_paths(paths: &[PathBuf], walk_args: &WalkArgs) -> anyhow::Result<(Vec<String>, Inventory)> {
    let options = walk_args.options();
    let targets: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
    let mut merged = Inventory { root: targets.join(", "), ..Inventory::default() };
    for path in paths {
        let mut inventory = walk::scan(path, &options).with_context(|| format!("cannot scan {}", path.display()))?;
        if paths.len() > 1 && path.is_dir() {
            let prefix = display_path(path);
            let join = |p: &mut String| *p = format!("{}/{p}", prefix.trim_end_matches('/'));
            inventory.packages.iter_mut().for_each(|p| join(&mut p.location.path));
            inventory.skipped.iter_mut().for_each(|s| join(&mut s.location.path));
            inventory.files.iter_mut().for_each(|f| join(&mut f.path));
            inventory.errors.iter_mut().for_each(|e| join(&mut e.path));
        }
        merged.packages.extend(inventory.packages);
        merged.skipped.extend(inventory.skipped);
        merged.files.extend(inventory.files);
        merged.errors.extend(inventory.errors);
        merged.warnings.extend(inventory.warnings);
    }
    Ok((targets, merged))
}

fn inventory_from_sbom(file: &Path) -> anyhow::Result<Inventory> {
    let content = read_capped(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut inventory = Inventory { root: display_path(file), ..Inventory::default() };
    match sbom::read_sbom(&Input::new(file, &content)) {
        Ok(mut extracted) => {
            inventory.errors = extracted.take_malformed();
            inventory.packages = extracted.packages;
            inventory.skipped = extracted.skipped;
        }
        Err(e) => inventory.errors.push(e),
    }
    Ok(inventory)
}
