//! Dockerfile hygiene rules: what a reviewer would flag in a Dockerfile because it makes
//! the image less safe to run (root, `curl | sh`), less reproducible (unpinned bases) or
//! leaks secrets into layers and build history.
//!
//! Every rule has a stable id (`CUSTOMS-DF-0NN`, never reused), a kebab-case name, a
//! severity and a markdown help text; every finding points at the instruction's first line.
//! Rules read the parsed [`Dockerfile`] only: nothing is fetched, so base images' own
//! `USER` settings are unknown (the final stage must set one itself).

use std::path::Path;

use crate::advisory::cvss::Rating;
use crate::model::Location;

use super::dockerfile::{words, Dockerfile, FromImage, Instruction};
use super::{PolicyFinding, RuleInfo};

#[cfg(test)]
mod tests;

/// The image would run as root: no USER, or USER root/0 last.
pub const RUNS_AS_ROOT: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-001",
    name: "runs-as-root",
    severity: Rating::Medium,
    summary: "The final stage runs as root: it sets no USER, or its last USER is root.",
    help: "A container that runs as root turns any code-execution bug into root inside the container, \
one kernel or runtime bug away from root on the host.\n\n\
Create an unprivileged user and switch to it at the end of the final stage:\n\n\
```dockerfile\nRUN useradd --system --uid 10001 app\nUSER 10001\n```\n\n\
Base images that already run unprivileged (`…:nonroot` tags) are accepted.",
};

/// ADD where COPY would do (ADD also unpacks archives and fetches URLs).
pub const ADD_INSTEAD_OF_COPY: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-002",
    name: "add-instead-of-copy",
    severity: Rating::Low,
    summary: "ADD copies a local file that is not an archive; COPY does the same without surprises.",
    help: "`ADD` silently unpacks local tar archives and fetches URLs; for a plain local file or directory \
it behaves like `COPY` but hides that intent, and a later rename to `.tar.gz` changes what lands in the image.\n\n\
Use `COPY src dest`, and keep `ADD` for archives you mean to extract.",
};

/// ADD of a remote URL: unverified bytes from the network.
pub const ADD_REMOTE_URL: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-003",
    name: "add-remote-url",
    severity: Rating::Medium,
    summary: "ADD downloads a URL without verifying a checksum.",
    help: "`ADD https://…` puts whatever the server returns at build time into the image: a compromised or \
changed download goes unnoticed.\n\n\
Pin the content with `ADD --checksum=sha256:<digest> https://… /dest`, or download with \
`curl -fsSLo file https://… && echo \"<sha256>  file\" | sha256sum -c -`.",
};

/// A base image tagged `latest` or not tagged at all.
pub const BASE_IMAGE_LATEST: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-004",
    name: "base-image-latest",
    severity: Rating::Medium,
    summary: "A base image uses the `latest` tag or no tag at all.",
    help: "`latest` (what a missing tag means) moves: the same Dockerfile builds a different image tomorrow, \
possibly a new major version, and scans of today's image say nothing about the next build.\n\n\
Name a version (`FROM debian:12.7-slim`), ideally pinned by digest \
(`FROM debian:12.7-slim@sha256:…`).",
};

/// A base image by tag without a digest.
pub const BASE_IMAGE_NOT_PINNED: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-005",
    name: "base-image-not-pinned",
    severity: Rating::Low,
    summary: "A base image is not pinned by digest.",
    help: "Tags are mutable: whoever controls the repository (or its registry) can point a tag at other \
content. Only a digest names exactly the image that was reviewed and scanned.\n\n\
Pin with `FROM image:tag@sha256:<digest>` (`docker buildx imagetools inspect image:tag` shows it) and let a bot \
such as Renovate or Dependabot update the digest.",
};

/// A secret-looking name or value in ENV or ARG, which stay in the image.
pub const SECRET_IN_ENV_OR_ARG: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-006",
    name: "secret-in-env-or-arg",
    severity: Rating::High,
    summary: "ENV or ARG carries a secret (by its name or its value).",
    help: "`ENV` values are stored in the image config and `ARG` values in the build history \
(`docker history`): anyone who can pull the image can read them.\n\n\
Pass secrets with BuildKit secret mounts (`RUN --mount=type=secret,id=token …`) at build time and with \
runtime configuration (orchestrator secrets, files, environment at `docker run`) afterwards. \
Rotate any credential that was committed.",
};

/// A VOLUME over a sensitive path (`/`, `/etc`, the Docker socket).
pub const SENSITIVE_VOLUME: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-007",
    name: "sensitive-volume",
    severity: Rating::Medium,
    summary: "VOLUME declares a sensitive system path (/, /etc, the Docker socket, /proc…).",
    help: "A `VOLUME` on a system path invites mounting the host's copy there: the Docker socket or the \
host's `/etc`, `/proc` or `/` give the container control of the host.\n\n\
Declare volumes only for application data (`VOLUME /var/lib/app`), and never design an image around the \
Docker socket.",
};

/// `apt-get install` without `--no-install-recommends`.
pub const APT_RECOMMENDS: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-008",
    name: "apt-install-recommends",
    severity: Rating::Low,
    summary: "apt-get install without --no-install-recommends.",
    help: "Recommended packages are not needed to run what you install, but they grow the image and its \
attack surface (and every one of them will show up in vulnerability scans).\n\n\
Use `apt-get install -y --no-install-recommends pkg…` and clean the lists: \
`&& rm -rf /var/lib/apt/lists/*`.",
};

/// A download piped straight into a shell (`curl … | sh`).
pub const PIPE_TO_SHELL: RuleInfo = RuleInfo {
    id: "CUSTOMS-DF-009",
    name: "pipe-download-to-shell",
    severity: Rating::High,
    summary: "A downloaded script is executed directly (`curl … | sh`, `sh -c \"$(wget …)\"`).",
    help: "Piping a download into a shell runs whatever the server sends at build time, unreviewed and \
unverified; a compromised host or a truncated transfer runs in your build with its privileges.\n\n\
Download to a file, verify it against a pinned checksum, then run it:\n\n\
```sh\ncurl -fsSLo install.sh https://…/install.sh \\\n  && echo \"<sha256>  install.sh\" | sha256sum -c - \\\n  \
&& sh install.sh\n```\n\nBetter still, install a versioned package.",
};

/// Every rule, in id order.
pub static RULES: &[RuleInfo] = &[
    RUNS_AS_ROOT,
    ADD_INSTEAD_OF_COPY,
    ADD_REMOTE_URL,
    BASE_IMAGE_LATEST,
    BASE_IMAGE_NOT_PINNED,
    SECRET_IN_ENV_OR_ARG,
    SENSITIVE_VOLUME,
    APT_RECOMMENDS,
    PIPE_TO_SHELL,
];

/// Runs every rule; findings come sorted by line, then rule id.
pub fn check(dockerfile: &Dockerfile, path: &Path) -> Vec<PolicyFinding> {
    let mut out = Findings { path, findings: Vec::new() };
    runs_as_root(dockerfile, &mut out);
    base_images(dockerfile, &mut out);
    for ins in &dockerfile.instructions {
        match ins.keyword.as_str() {
            "ADD" => add(ins, dockerfile.escape, &mut out),
            "ENV" | "ARG" => secrets(ins, dockerfile.escape, &mut out),
            "VOLUME" => volume(ins, dockerfile.escape, &mut out),
            "RUN" => run(ins, &mut out),
            _ => {}
        }
    }
    let mut findings = out.findings;
    findings.sort_by(|a, b| a.location.line.cmp(&b.location.line).then(a.rule.cmp(b.rule)));
    findings
}

struct Findings<'a> {
    path: &'a Path,
    findings: Vec<PolicyFinding>,
}

impl Findings<'_> {
    fn push(&mut self, rule: &RuleInfo, line: u32, message: String) {
        self.findings.push(PolicyFinding {
            rule: rule.id,
            name: rule.name,
            severity: rule.severity,
            message,
            location: Location::new(self.path, Some(line)),
            help: rule.help,
        });
    }
}

// ---- runs as root -------------------------------------------------------------------

/// The final stage's effective USER: its own last USER, else the one of the stage it is
/// built `FROM` (followed through aliases), else none.
fn runs_as_root(dockerfile: &Dockerfile, out: &mut Findings) {
    let Some(last) = dockerfile.stages.len().checked_sub(1) else { return };
    let mut stage = last;
    // Stages only name earlier stages, so this walks at most stages.len() steps.
    for _ in 0..dockerfile.stages.len() {
        let user = dockerfile.stage_instructions(stage).iter().rev().find(|i| i.keyword == "USER");
        if let Some(user) = user {
            if is_root(&user.args) {
                let message = format!("the final stage switches to USER {}, so the container runs as root", user.args);
                out.push(&RUNS_AS_ROOT, user.line, message);
            }
            return;
        }
        match &dockerfile.stages[stage].from {
            FromImage::Stage(alias) => match dockerfile.stage_by_alias(alias) {
                Some(parent) if parent < stage => stage = parent,
                _ => break,
            },
            FromImage::Image { reference, .. } if reference.contains("nonroot") => return,
            _ => break,
        }
    }
    let from = &dockerfile.stages[last];
    let message = "the final stage sets no USER, so the container runs as root".to_string();
    out.push(&RUNS_AS_ROOT, from.line, message);
}

/// `root`, `0`, `root:…`, `0:…`.
fn is_root(user: &str) -> bool {
    let user = user.split_whitespace().next().unwrap_or("");
    let name = user.split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

// ---- base images --------------------------------------------------------------------

/// External base images: `latest`/no tag, and no digest.
fn base_images(dockerfile: &Dockerfile, out: &mut Findings) {
    for stage in &dockerfile.stages {
        let FromImage::Image { reference, parsed: Some(parsed) } = &stage.from else { continue };
        if parsed.digest.is_some() {
            continue;
        }
        if !has_explicit_tag(reference) {
            let message = format!("base image {reference} has no tag, so it means {reference}:latest");
            out.push(&BASE_IMAGE_LATEST, stage.line, message);
        } else if parsed.tag.as_deref() == Some("latest") {
            out.push(&BASE_IMAGE_LATEST, stage.line, format!("base image {reference} uses the moving latest tag"));
        }
        out.push(&BASE_IMAGE_NOT_PINNED, stage.line, format!("base image {reference} is not pinned by digest"));
    }
}

/// Whether a reference spells a tag (a `:` after the last `/`, before any `@`).
fn has_explicit_tag(reference: &str) -> bool {
    let name = reference.split('@').next().unwrap_or(reference);
    name.rsplit('/').next().unwrap_or(name).contains(':')
}

// ---- ADD ----------------------------------------------------------------------------

/// Archives ADD extracts, so ADD is the right tool for them.
const ARCHIVE_SUFFIXES: &[&str] =
    &[".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst"];

fn add(ins: &Instruction, escape: char, out: &mut Findings) {
    let args = ins.exec.clone().unwrap_or_else(|| words(&ins.args, escape));
    let Some((_, sources)) = args.split_last() else { return };
    let sources: Vec<&String> = sources.iter().filter(|s| !s.starts_with("<<")).collect();
    let remote: Vec<&&String> = sources.iter().filter(|s| is_remote(s)).collect();
    if !remote.is_empty() && !ins.has_flag("checksum") {
        let message = format!("ADD downloads {} without --checksum", remote[0]);
        out.push(&ADD_REMOTE_URL, ins.line, message);
    }
    let plain = sources.iter().find(|s| !is_remote(s) && !s.contains('$') && !is_archive(s));
    if let Some(plain) = plain {
        out.push(&ADD_INSTEAD_OF_COPY, ins.line, format!("ADD of local {plain}, which is not an archive: use COPY"));
    }
}

fn is_remote(source: &str) -> bool {
    ["http://", "https://", "git@", "git://", "ssh://"].iter().any(|p| source.starts_with(p))
}

fn is_archive(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    ARCHIVE_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

// ---- secrets ------------------------------------------------------------------------

/// Name parts that make a variable a secret.
const SECRET_WORDS: &[&str] =
    &["password", "passwd", "secret", "token", "credential", "credentials", "apikey", "privatekey", "accesskey"];
/// Two-part names that make a variable a secret (`API_KEY`, `AWS_SECRET_ACCESS_KEY`).
const SECRET_PAIRS: &[(&str, &str)] = &[("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")];
/// A trailing part that makes the variable point at a secret rather than hold it.
const REFERENCE_WORDS: &[&str] = &["file", "path", "dir", "location"];

fn secrets(ins: &Instruction, escape: char, out: &mut Findings) {
    for (name, value) in variables(ins, escape) {
        let message = match value.as_deref().and_then(secret_value) {
            Some(kind) => format!("{} {name} holds what looks like {kind} (value redacted)", ins.keyword),
            None if is_secret_name(&name) => {
                format!("{} {name} has a secret-like name; its value is stored in the image", ins.keyword)
            }
            None => continue,
        };
        out.push(&SECRET_IN_ENV_OR_ARG, ins.line, message);
    }
}

/// `ENV A=1 B="x"`, legacy `ENV A some value`, `ARG A[=default]`.
fn variables(ins: &Instruction, escape: char) -> Vec<(String, Option<String>)> {
    let all = words(&ins.args, escape);
    let legacy = ins.keyword == "ENV" && all.first().is_some_and(|w| !w.contains('='));
    if legacy {
        let (name, value) = ins.args.trim().split_once(char::is_whitespace).unwrap_or((ins.args.trim(), ""));
        return vec![(name.to_string(), Some(value.trim().to_string()))];
    }
    all.into_iter()
        .map(|w| match w.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Splits `AWS_SECRET_ACCESS_KEY`, `apiKey`, `db-password` into lowercase parts.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' {
            parts.push(std::mem::take(&mut part));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            parts.push(std::mem::take(&mut part));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        part.push(c.to_ascii_lowercase());
    }
    parts.push(part);
    parts.retain(|p| !p.is_empty());
    parts
}

fn is_secret_name(name: &str) -> bool {
    let parts = name_parts(name);
    if parts.last().is_some_and(|p| REFERENCE_WORDS.contains(&p.as_str())) {
        return false;
    }
    let single = parts.iter().any(|p| SECRET_WORDS.contains(&p.as_str()));
    let pair = parts.windows(2).any(|w| SECRET_PAIRS.contains(&(w[0].as_str(), w[1].as_str())));
    single || pair
}

/// What kind of credential a value looks like, if any.
fn secret_value(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if ["AKIA", "ASIA"].iter().any(|p| has_token(value, p, 16, |c| c.is_ascii_uppercase() || c.is_ascii_digit())) {
        return Some("an AWS access key id");
    }
    let github = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].iter().any(|p| has_token(value, p, 36, is_alnum))
        || has_token(value, "github_pat_", 22, |c| is_alnum(c) || c == b'_');
    if github {
        return Some("a GitHub token");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"].iter().any(|p| has_token(value, p, 10, |c| is_alnum(c) || c == b'-')) {
        return Some("a Slack token");
    }
    None
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Whether `prefix` occurs followed by at least `min` bytes satisfying `class`.
fn has_token(value: &str, prefix: &str, min: usize, class: impl Fn(u8) -> bool) -> bool {
    value.match_indices(prefix).any(|(i, _)| {
        let rest = &value.as_bytes()[i + prefix.len()..];
        rest.iter().take_while(|c| class(**c)).count() >= min
    })
}

// ---- VOLUME -------------------------------------------------------------------------

/// System paths a volume should never cover.
const SENSITIVE_PATHS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/proc",
    "/root",
    "/run",
    "/run/docker.sock",
    "/sbin",
    "/sys",
    "/usr",
    "/var/lib/docker",
    "/var/run",
    "/var/run/docker.sock",
];

fn volume(ins: &Instruction, escape: char, out: &mut Findings) {
    let paths = ins.exec.clone().unwrap_or_else(|| words(&ins.args, escape));
    for path in paths {
        let trimmed = path.trim_end_matches('/');
        let normalised = if trimmed.is_empty() { "/" } else { trimmed };
        if SENSITIVE_PATHS.contains(&normalised) || normalised.ends_with("/docker.sock") {
            out.push(&SENSITIVE_VOLUME, ins.line, format!("VOLUME {path} covers a sensitive system path"));
        }
    }
}

// ---- RUN ----------------------------------------------------------------------------

/// Shells a downloaded script may be piped into.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ash", "ksh"];
/// Commands that run a script given as `$(…)` or `<(…)`.
const EVALUATORS: &[&str] = &["sh", "bash", "zsh", "dash", "ash", "ksh", "eval", "source", "."];
const DOWNLOADERS: &[&str] = &["curl", "wget"];

fn run(ins: &Instruction, out: &mut Findings) {
    let scripts = run_scripts(ins);
    let pipelines: Vec<Vec<Vec<&str>>> = scripts.iter().flat_map(|s| pipelines(s)).collect();
    if pipelines.iter().flatten().any(|cmd| apt_install_without_no_recommends(cmd)) {
        let message = "apt-get install without --no-install-recommends".to_string();
        out.push(&APT_RECOMMENDS, ins.line, message);
    }
    if let Some(downloader) = pipelines.iter().find_map(|p| piped_download(p)) {
        let message = format!("RUN pipes a script downloaded with {downloader} into a shell");
        out.push(&PIPE_TO_SHELL, ins.line, message);
    }
}

/// The shell scripts a RUN executes: its shell-form text, the `-c` script of an exec form
/// (or its words joined), and heredoc bodies that the shell runs (`RUN <<EOF`, `RUN bash <<EOF`).
fn run_scripts(ins: &Instruction) -> Vec<String> {
    if let Some(exec) = &ins.exec {
        return match exec.as_slice() {
            [shell, flag, script, ..] if SHELLS.contains(&basename(shell)) && flag == "-c" => vec![script.clone()],
            _ => vec![exec.join(" ")],
        };
    }
    let mut scripts = vec![ins.args.clone()];
    let first = ins.args.split_whitespace().next().unwrap_or("");
    if first.starts_with("<<") || SHELLS.contains(&basename(first)) {
        scripts.extend(ins.heredocs.iter().map(|h| h.body.clone()));
    }
    scripts
}

/// Splits a script into pipelines (on `&&`, `||`, `;`, `&`, newlines) of commands (on `|`),
/// each command a list of words; quotes are respected and kept.
fn pipelines(script: &str) -> Vec<Vec<Vec<&str>>> {
    let mut result = Vec::new();
    let mut pipeline = Vec::new();
    let bytes = script.as_bytes();
    let mut quote = None;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'\\') => i += 1,
            (None, b'|') if next != Some(b'|') => {
                pipeline.push(command_words(&script[start..i]));
                start = i + 1;
            }
            (None, b'&' | b'|' | b';' | b'\n') => {
                pipeline.push(command_words(&script[start..i]));
                result.push(std::mem::take(&mut pipeline));
                let doubled = next == Some(b) && b != b'\n' && b != b';';
                i += usize::from(doubled);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    pipeline.push(command_words(&script[start.min(script.len())..]));
    result.push(pipeline);
    result
}

/// Words of one simple command, without leading `sudo`/`env`/assignments.
fn command_words(command: &str) -> Vec<&str> {
    let mut words: Vec<&str> = command.split_whitespace().collect();
    let skip = words
        .iter()
        .take_while(|w| {
            matches!(**w, "sudo" | "env" | "exec" | "command" | "time" | "nohup" | "then" | "do" | "(" | "{")
                || w.starts_with('-')
                || (w.contains('=') && !w.starts_with('$'))
        })
        .count();
    words.drain(..skip);
    words
}

/// The program a command runs, without its directory.
fn program<'a>(command: &[&'a str]) -> &'a str {
    command.first().map(|w| basename(w)).unwrap_or("")
}

fn basename(word: &str) -> &str {
    let word = word.trim_matches(['"', '\'', '(']);
    word.rsplit('/').next().unwrap_or(word)
}

fn apt_install_without_no_recommends(command: &[&str]) -> bool {
    let Some((program, rest)) = command.split_first() else { return false };
    if !matches!(basename(program), "apt-get" | "apt") {
        return false;
    }
    let installs = rest.iter().find(|w| !w.starts_with('-')).is_some_and(|w| *w == "install");
    let no_recommends = rest.iter().any(|w| {
        *w == "--no-install-recommends" || w.contains("Install-Recommends=false") || w.contains("Install-Recommends=0")
    });
    installs && !no_recommends
}

/// `curl … | sh` (a downloader piped into a shell) or `sh -c "$(curl …)"` / `bash <(wget …)`;
/// returns the downloader.
fn piped_download(pipeline: &[Vec<&str>]) -> Option<&'static str> {
    for (i, cmd) in pipeline.iter().enumerate() {
        if let Some(downloader) = DOWNLOADERS.iter().find(|d| **d == program(cmd)) {
            if pipeline[i + 1..].iter().any(|later| SHELLS.contains(&program(later))) {
                return Some(downloader);
            }
        }
        if EVALUATORS.contains(&program(cmd)) {
            let text = cmd[1..].join(" ");
            for downloader in DOWNLOADERS {
                let substituted = ["$(", "<(", "`"].iter().any(|open| {
                    text.match_indices(open).any(|(j, _)| text[j + open.len()..].trim_start().starts_with(downloader))
                });
                if substituted {
                    return Some(downloader);
                }
            }
        }
    }
    None
}
