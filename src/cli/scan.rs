//! `customs scan`: flags and `customs.yaml` become [`ScanOptions`]; the library's
//! [`Scanner`] does the scan; here the result is rendered, written and gated.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::sbom::WalkArgs;
use customs::config::{self, Config, ScanSettings};
use customs::report;
use customs::scan::options::DEFAULT_MAX_DB_AGE_DAYS;
use customs::scan::{Gate, Levels, ScanOptions, ScanResult, Scanner, Target, Threshold, Unrated};
use customs::triage::TriageOptions;

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

    #[command(flatten)]
    pub advisory: AdvisoryArgs,

    /// Never contact a registry: an image in one is refused (scan a docker-archive:,
    /// oci-archive: or oci: copy), and base-image and signature rules that need one fail.
    ///
    /// Advisories are read locally with or without it (the default database, or --db);
    /// a scan never downloads them: `customs db update` does.
    #[arg(long)]
    pub offline: bool,

    /// Output format [default: table].
    #[arg(long, short, value_enum)]
    pub format: Option<ScanFormat>,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Fail (exit 1, or --exit-code) for vulnerabilities at or above this severity
    /// (any, low, medium, high, critical), or at exactly the listed ones
    /// (`HIGH,CRITICAL`; `unknown` names findings without a severity). Suppressed
    /// findings never count [default: any].
    #[arg(long, value_name = "SEVERITY[,…]")]
    pub fail_on: Option<Threshold>,

    /// Whether findings without a severity trip --fail-on: fail (the safe default: an
    /// unrated vulnerability is not a safe one) or ignore (still reported).
    #[arg(long, value_enum, value_name = "fail|ignore")]
    pub unrated: Option<Unrated>,

    /// Report only findings at these severities, comma-separated, any case: unknown,
    /// none, low, medium, high, critical (as Trivy's --severity). What is left out is
    /// not reported, not counted and does not gate [default: all].
    #[arg(long, short = 's', value_name = "LIST")]
    pub severity: Option<Levels>,

    /// The exit code when the gate trips [default: 1]; 0 never fails on findings.
    /// Errors exit 2 whatever this says.
    #[arg(long, value_name = "CODE")]
    pub exit_code: Option<u8>,

    /// Check this Dockerfile with the Dockerfile rules (runs as root, unpinned or
    /// `latest` base images, secrets in ENV/ARG, `curl | sh`…); its findings gate like
    /// vulnerabilities. For image scans, SARIF results also point at it.
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<String>,

    /// SARIF category (`automationDetails.id`); default: one per target.
    #[arg(long, value_name = "ID")]
    pub sarif_category: Option<String>,

    #[command(flatten)]
    pub walk: WalkArgs,
}

/// The advisory, triage and settings-file flags: shared by `customs scan` and the
/// `customs registry` commands.
#[derive(Args, Debug, Clone, Default)]
pub struct AdvisoryArgs {
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
}

impl AdvisoryArgs {
    /// These flags, with every one left unset taken from the file's `scan:` settings
    /// (a path the file names is looked at only when no flag replaces it).
    pub fn with_settings(&self, settings: &mut ScanSettings) -> anyhow::Result<AdvisoryArgs> {
        Ok(AdvisoryArgs {
            // In the order the paths are checked since the file had them.
            ignore_file: config::flag_or(self.ignore_file.clone(), settings.ignore_file.take())?,
            db: config::flag_or(self.db.clone(), settings.db.take())?,
            vex: config::list_or(&self.vex, settings.vex.take())?,
            advisories: config::list_or(&self.advisories, settings.advisories.take())?,
            allow_empty_db: self.allow_empty_db,
            max_db_age: self.max_db_age.or(settings.max_db_age),
            config: self.config.clone(),
            ignore_unfixed: self.ignore_unfixed.or(settings.ignore_unfixed),
            show_suppressed: self.show_suppressed.or(settings.show_suppressed),
        })
    }

    /// The scanner's options from these flags (merged with the file already) and the
    /// file's `policy:` (signatures and base images).
    pub fn scan_options(&self, cache: &Path, config: Option<&Config>) -> anyhow::Result<ScanOptions> {
        Ok(ScanOptions {
            db: self.db.clone(),
            advisories: self.advisories.clone(),
            allow_empty_db: self.allow_empty_db,
            max_db_age_days: self.max_db_age.unwrap_or(DEFAULT_MAX_DB_AGE_DAYS),
            triage: TriageOptions {
                ignore_file: self.ignore_file.clone(),
                vex: self.vex.clone(),
                ignore_unfixed: self.ignore_unfixed.unwrap_or(false),
            },
            show_suppressed: self.show_suppressed.unwrap_or(false),
            base_images: config.and_then(Config::base_images).cloned(),
            signatures: match config {
                Some(config) => config.signature_rules()?,
                None => Vec::new(),
            },
            ..ScanOptions::new(cache.to_path_buf())
        })
    }
}

/// `--format`'s values; the enum lives in the library (`customs.yaml` names them too).
pub use customs::scan::Format as ScanFormat;

pub fn run(args: &ScanArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let config = Config::load(args.advisory.config.as_deref())?;
    let args = &match &config {
        Some(config) => with_settings(args, config.settings())?,
        None => args.clone(),
    };
    let advisory = args.advisory.scan_options(cache, config.as_ref())?;
    let show_suppressed = advisory.show_suppressed;
    let options = ScanOptions {
        offline: args.offline,
        dockerfile: args.dockerfile.as_ref().map(PathBuf::from),
        image: args.image.options()?,
        walk: args.walk.options(),
        // Filtered by severity first, so the suppressed count covers only what is kept.
        show_suppressed: show_suppressed || args.severity.is_some(),
        ..advisory
    };
    let target = match (&args.image.image, &args.sbom) {
        (Some(reference), _) => Target::Image(reference.clone()),
        (None, Some(file)) => Target::Sbom(file.clone()),
        (None, None) => Target::Paths(args.paths.clone()),
    };
    let mut result = Scanner::new(options)?.scan(&target)?;
    if let Some(levels) = args.severity {
        result.keep_severities(levels);
        if !show_suppressed {
            result.hide_suppressed();
        }
    }

    let format = args.format.unwrap_or(ScanFormat::Table);
    let gate = Gate { threshold: args.fail_on.unwrap_or(Threshold::Any), unrated: args.unrated.unwrap_or_default() };
    let rendered = render(&result, format, args);
    super::write_output(args.output.as_deref(), &rendered)?;
    let read_code = super::sbom::print_diagnostics(&result.inventory, quiet, format == ScanFormat::Json);
    if !quiet {
        // Notes quote the triage files (ids), which are the repository's: shown, never obeyed.
        result.notes.iter().for_each(|note| super::log::note(customs::visible::visible(note)));
    }
    if read_code != super::exit::CLEAN {
        return Ok(read_code);
    }
    Ok(super::gate_exit(&result.gate(gate), args.exit_code, quiet))
}

/// The report in `format`; tables are coloured only on a terminal without NO_COLOR.
fn render(result: &ScanResult, format: ScanFormat, args: &ScanArgs) -> String {
    match format {
        ScanFormat::Json => report::json::render_scan(result),
        ScanFormat::Sarif => report::sarif::render(
            result,
            &report::sarif::SarifOptions {
                dockerfile: args.dockerfile.clone(),
                category: args.sarif_category.clone(),
                root: None,
            },
        ),
        ScanFormat::Markdown => report::markdown::render(result),
        ScanFormat::Cyclonedx => report::cyclonedx::render_scan(result),
        ScanFormat::Spdx => report::spdx::render(&result.inventory),
        ScanFormat::Table => {
            let terminal = args.output.is_none() && std::io::stdout().is_terminal();
            let colour = terminal && std::env::var_os("NO_COLOR").is_none();
            report::table::render(
                result,
                &report::table::TableOptions { colour, width: report::table::width(terminal) },
            )
        }
    }
}

/// The flags, with every one left unset taken from `customs.yaml`. A path the file
/// names is looked at only when no flag replaces it.
fn with_settings(args: &ScanArgs, mut settings: ScanSettings) -> anyhow::Result<ScanArgs> {
    let mut args = args.clone();
    args.advisory = args.advisory.with_settings(&mut settings)?;
    args.fail_on = args.fail_on.or(settings.fail_on);
    args.unrated = args.unrated.or(settings.unrated);
    args.severity = args.severity.or(settings.severity);
    args.exit_code = args.exit_code.or(settings.exit_code);
    args.format = args.format.or(settings.format);
    args.output = config::flag_or(args.output, settings.output)?;
    args.walk.allow_empty = args.walk.allow_empty.or(settings.allow_empty);
    if args.walk.skip_dir.is_empty() {
        args.walk.skip_dir = settings.skip_dir.unwrap_or_default();
    }
    Ok(args)
}
