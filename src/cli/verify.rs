//! `customs verify REF`: checks the image's cosign signatures — the classic
//! `sha256-<digest>.sig` tag and Sigstore bundles attached as OCI 1.1 referrers — with
//! public keys (`--key`) or keyless identities (`--certificate-identity[-regexp]` and
//! `--certificate-oidc-issuer[-regexp]` against `--trusted-root`), or, when no signer is
//! named, with the `policy: signatures:` rules of `customs.yaml` that cover the image.
//! Exit 0 verified, 1 not verified (the message says which check failed), 2 bad input or
//! unreachable registry.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::exit;
use customs::image::reference::ImageRef;
use customs::image::registry::{CredentialScope, RegistryOptions, RegistrySource};
use customs::image::source::Platform;
use customs::policy::signature::policy as signature_policy;
use customs::policy::signature::{self, KeylessIdentity, Matcher, PublicKey, Requirement, TrustRoot, VerifyError};

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The image: `host[:port]/repo[:tag][@digest]` (signatures live in a registry).
    #[arg(value_name = "REF")]
    pub reference: String,

    /// A public key (PEM: ECDSA P-256/P-384, Ed25519, RSA) a signature may be made
    /// with. Repeatable: any one of them is enough.
    #[arg(long = "key", value_name = "PUB.pem")]
    pub keys: Vec<PathBuf>,

    /// Sigstore trust root (`trusted_root.json`): Fulcio CAs, Rekor and CT log keys.
    /// Required for keyless; with --key it makes a Rekor proof required too.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// Keyless: the certificate's subject (email or URI) must equal this.
    #[arg(long, value_name = "SUBJECT", conflicts_with = "certificate_identity_regexp")]
    pub certificate_identity: Option<String>,

    /// Keyless: the certificate's subject must match this regular expression (whole value).
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer recorded in the certificate must equal this.
    #[arg(long, value_name = "URL", conflicts_with = "certificate_oidc_issuer_regexp")]
    pub certificate_oidc_issuer: Option<String>,

    /// Keyless: the OIDC issuer must match this regular expression (whole value).
    #[arg(long, value_name = "REGEX")]
    pub certificate_oidc_issuer_regexp: Option<String>,

    /// Also require the signed payload's docker-reference to name the image's repository.
    #[arg(long)]
    pub check_reference: bool,

    /// Accept Fulcio certificates without a verified Signed Certificate Timestamp
    /// (private Sigstore instances without a CT log).
    #[arg(long)]
    pub insecure_ignore_sct: bool,

    /// With no --key or keyless flags: the configuration file whose `policy: signatures:`
    /// rules covering REF must all be satisfied (default: ./customs.yaml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output: a sentence (text) or a JSON verdict.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: VerifyFormat,

    /// The platform to pick from a multi-platform image (the signature covers the
    /// digest the reference names, index or image).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,

    /// Allow plain HTTP (or TLS without verification) for this registry only. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,

    /// Trust this PEM CA certificate for registries (repeatable), for private CAs.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,

    #[command(flatten)]
    pub login: super::image::LoginArgs,

    #[command(flatten)]
    pub network: super::network::NetworkArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyFormat {
    Text,
    Json,
}

/// The JSON verdict's version tag.
const JSON_SCHEMA: &str = "customs-verify/1";

pub fn run(args: &VerifyArgs, quiet: bool) -> anyhow::Result<u8> {
    let platform = Platform::parse(&args.platform).map_err(anyhow::Error::msg)?;
    let parsed = ImageRef::parse(&args.reference).map_err(|e| anyhow::anyhow!("{}: {e}", args.reference))?;
    let requirements =
        if names_a_signer(args) { vec![(None, requirement(args)?)] } else { policy_requirements(args, &parsed)? };
    let ImageRef::Registry(registry_ref) = parsed else {
        anyhow::bail!(
            "{}: signatures live in a registry; name the image as host/repository[:tag|@digest]",
            args.reference
        );
    };
    let options = RegistryOptions {
        platform,
        insecure_registries: args.insecure_registries.clone(),
        ca_certs: args.ca_certs.clone(),
        docker_config_dir: None,
        // Only REF's registry is asked (CommandLine scope): the login goes nowhere else.
        credentials: args.login.credentials()?,
        // REF is on the command line: the person running customs named it.
        scope: CredentialScope::CommandLine,
    };
    let source = RegistrySource::with_network(registry_ref, options, args.network.registry_settings())?;
    let mut verdicts = Vec::new();
    for (rule, requirement) in &requirements {
        match signature::verify(&source, requirement) {
            Err(VerifyError::Registry(e)) => return Err(anyhow::Error::new(e).context("cannot check signatures")),
            outcome => verdicts.push((rule.clone(), outcome)),
        }
    }
    // Failures always go to stderr; stdout has the verdict (a line per success, or JSON).
    for (rule, outcome) in &verdicts {
        let by = rule.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
        match outcome {
            Ok(verified) if args.format == VerifyFormat::Text && !quiet => {
                println!("Verified OK{by}: {}", describe(&source, verified))
            }
            Ok(_) => {}
            Err(e) => {
                let line = format!("verification failed for {}{by}: {e}", args.reference);
                super::log::event(super::log::Level::Error, &line)
                    .text(line)
                    .field("image", args.reference.as_str())
                    .emit()
            }
        }
    }
    if args.format == VerifyFormat::Json {
        println!("{}", json_verdict(args, &source, &verdicts));
    }
    Ok(if verdicts.iter().all(|(_, outcome)| outcome.is_ok()) { exit::CLEAN } else { exit::FINDINGS })
}

fn describe(source: &RegistrySource, verified: &signature::Verified) -> String {
    let log = match &verified.transparency_log {
        Some(entry) => format!("; Rekor entry {} at {}", entry.log_index, entry.integrated_time),
        None => String::new(),
    };
    let reference = match &verified.docker_reference {
        Some(reference) => format!(", docker-reference {reference}"),
        None => String::new(),
    };
    format!(
        "{}@{} signed by {}; {}{reference}{log}",
        source.repository_name(),
        verified.image_digest,
        verified.signer,
        verified.found_at
    )
}

type Verdict = (Option<String>, Result<signature::Verified, VerifyError>);

/// One verdict: `signature` or `check` + `message`. With policy rules, the same per rule
/// under `rules`, and `verified` when all are.
fn json_verdict(args: &VerifyArgs, source: &RegistrySource, verdicts: &[Verdict]) -> serde_json::Value {
    let one = |outcome: &Result<signature::Verified, VerifyError>| match outcome {
        Ok(verified) => serde_json::json!({"verified": true, "signature": verified}),
        Err(e) => serde_json::json!({"verified": false, "check": e.check(), "message": e.to_string()}),
    };
    let mut verdict = serde_json::json!({
        "schema": JSON_SCHEMA,
        "image": args.reference,
        "repository": source.repository_name(),
    });
    match verdicts {
        [(None, outcome)] => {
            if let serde_json::Value::Object(fields) = one(outcome) {
                verdict.as_object_mut().expect("an object").extend(fields);
            }
        }
        _ => {
            verdict["verified"] = verdicts.iter().all(|(_, outcome)| outcome.is_ok()).into();
            verdict["rules"] = verdicts
                .iter()
                .map(|(rule, outcome)| {
                    let mut entry = one(outcome);
                    entry["rule"] = rule.clone().into();
                    entry
                })
                .collect();
        }
    }
    verdict
}

fn names_a_signer(args: &VerifyArgs) -> bool {
    !args.keys.is_empty()
        || args.certificate_identity.is_some()
        || args.certificate_identity_regexp.is_some()
        || args.certificate_oidc_issuer.is_some()
        || args.certificate_oidc_issuer_regexp.is_some()
}

/// The requirements of the `policy: signatures:` rules that cover the image, each named
/// like a scan's finding names it (`policy signatures[0] (pattern, …)`).
fn policy_requirements(args: &VerifyArgs, image: &ImageRef) -> anyhow::Result<Vec<(Option<String>, Requirement)>> {
    let no_signer = "say who must have signed: --key PUB.pem, or --certificate-identity[-regexp] with \
                     --certificate-oidc-issuer[-regexp] and --trusted-root, or signature rules in customs.yaml";
    let Some(config) = customs::config::Config::load(args.config.as_deref())? else {
        anyhow::bail!("{no_signer}");
    };
    let file = args.config.as_deref().unwrap_or(std::path::Path::new(customs::config::DEFAULT_FILE));
    let resolved = config.signature_rules()?;
    if resolved.is_empty() {
        anyhow::bail!("{}: no `policy: signatures:` rules; {no_signer}", file.display());
    }
    let applicable: Vec<_> = resolved
        .into_iter()
        .filter(|rule| signature_policy::applies(rule, image))
        .map(|rule| {
            let patterns: Vec<&str> = rule.images.iter().map(|p| p.text.trim()).collect();
            (Some(format!("policy signatures[{}] ({})", rule.index, patterns.join(", "))), rule.requirement)
        })
        .collect();
    if applicable.is_empty() {
        anyhow::bail!("{}: no `policy: signatures:` rule covers {}; {no_signer}", file.display(), args.reference);
    }
    Ok(applicable)
}

/// The signers the flags allow. Every input problem is an error (exit 2) here,
/// before the registry is asked anything.
fn requirement(args: &VerifyArgs) -> anyhow::Result<Requirement> {
    let mut keys = Vec::new();
    for path in &args.keys {
        let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read --key {}", path.display()))?;
        keys.push(PublicKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("--key {}: {e}", path.display()))?);
    }
    let subject = matcher(&args.certificate_identity, &args.certificate_identity_regexp, "--certificate-identity")?;
    let issuer =
        matcher(&args.certificate_oidc_issuer, &args.certificate_oidc_issuer_regexp, "--certificate-oidc-issuer")?;
    let identities = match (subject, issuer) {
        (Some(subject), Some(issuer)) => vec![KeylessIdentity { subject, issuer }],
        (None, None) => Vec::new(),
        (Some(_), None) => anyhow::bail!(
            "--certificate-identity needs --certificate-oidc-issuer[-regexp] too: an identity means nothing without the issuer that vouched for it"
        ),
        (None, Some(_)) => anyhow::bail!("--certificate-oidc-issuer needs --certificate-identity[-regexp] too"),
    };
    let trusted_root = match &args.trusted_root {
        Some(path) => Some(Arc::new(TrustRoot::from_file(path).map_err(|e| anyhow::anyhow!("--trusted-root: {e}"))?)),
        None if !identities.is_empty() => {
            anyhow::bail!("keyless verification needs --trusted-root FILE (a Sigstore trusted_root.json); customs fetches no trust material")
        }
        None => None,
    };
    let requirement = Requirement {
        keys,
        identities,
        trusted_root,
        check_reference: args.check_reference,
        ignore_sct: args.insecure_ignore_sct,
    };
    requirement.check().map_err(anyhow::Error::msg)?;
    Ok(requirement)
}

fn matcher(exact: &Option<String>, regex: &Option<String>, flag: &str) -> anyhow::Result<Option<Matcher>> {
    Ok(match (exact, regex) {
        (Some(exact), _) => Some(Matcher::Exact(exact.clone())),
        (None, Some(pattern)) => Some(Matcher::regex(pattern).map_err(|e| anyhow::anyhow!("{flag}-regexp: {e}"))?),
        (None, None) => None,
    })
}
