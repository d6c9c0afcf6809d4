//! Where registry credentials come from, in order: the options, then
//! `CUSTOMS_REGISTRY_USERNAME`/`CUSTOMS_REGISTRY_PASSWORD`, then Docker's
//! `config.json` as `docker login` leaves it (`credHelpers`, `credsStore`, `auths`).
//!
//! Credentials are bound to a registry. Docker's config is keyed by registry, so its
//! entries bind themselves. The environment's pair names no registry, so it is bound
//! by `CUSTOMS_REGISTRY=host[:port]` when that is set, and otherwise to the image the
//! person running customs named; images that a repository's own files name (an
//! allowlisted base in `customs.yaml`) never get them ([`Sources::environment`]).
//! Secrets never reach a message: [`Credentials`] prints as `<redacted>`, and each
//! carries only a description of where it came from, for errors.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// A credential helper that has not answered in this time is killed (it may be waiting
/// for a keychain prompt nobody will see).
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);
/// Docker configs and helper answers are small.
const MAX_CONFIG_SIZE: u64 = 4 << 20;
const MAX_HELPER_OUTPUT: u64 = 1 << 20;
/// How Docker names Docker Hub in its config.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

#[derive(Clone)]
pub(crate) struct Credentials {
    pub username: String,
    pub secret: Secret,
    /// Where they came from (`docker-credential-pass`, `~/.docker/config.json`…).
    pub source: String,
}

#[derive(Clone)]
pub(crate) enum Secret {
    Password(String),
    /// An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user).
    IdentityToken(String),
    /// A registry bearer token used as is (`registrytoken`).
    RegistryToken(String),
}

impl Credentials {
    /// Every spelling of the secret a message could contain: the secret itself and
    /// the Basic `user:secret` in base64.
    pub(crate) fn secret_forms(&self) -> Vec<String> {
        let secret = match &self.secret {
            Secret::Password(s) | Secret::IdentityToken(s) | Secret::RegistryToken(s) => s.clone(),
        };
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", self.username));
        vec![secret, basic]
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("secret", &"<redacted>").field("source", &self.source).finish()
    }
}

/// The result of a lookup: credentials if any, and what went wrong on the way (told
/// to the user only if the registry then refuses anonymous access).
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub credentials: Option<Credentials>,
    pub notes: Vec<String>,
}

pub(crate) struct Sources<'a> {
    pub explicit: Option<&'a (String, String)>,
    /// Whether the explicit and environment credentials may be used: only for an image
    /// the person running customs named, never for one a repository's file names.
    pub environment: bool,
    /// `config.json`'s directory; else `$DOCKER_CONFIG`, else `$HOME/.docker`.
    pub docker_config_dir: Option<&'a Path>,
    /// The environment (a parameter so tests do not touch the process's).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Finds credentials for `registry` (as the user named it: `docker.io`, `host:port`).
pub(crate) fn find(registry: &str, sources: &Sources) -> Found {
    let mut found = Found::default();
    if let Some((username, password)) = sources.explicit.filter(|_| sources.environment) {
        found.credentials = Some(Credentials {
            username: username.clone(),
            secret: Secret::Password(password.clone()),
            source: "the given username and password".into(),
        });
        return found;
    }
    let env = sources.env;
    if sources.environment {
        if let Some(credentials) = from_environment(registry, env, &mut found.notes) {
            found.credentials = Some(credentials);
            return found;
        }
    } else if env(ENV_USERNAME).is_some_and(|u| !u.is_empty()) {
        found.notes.push(format!(
            "{ENV_USERNAME}/{ENV_PASSWORD} are not used for images named by the repository's own files \
             (only Docker's config for {registry} is)"
        ));
    }
    let Some(path) = config_path(sources) else { return found };
    let config = match read_config(&path) {
        Ok(Some(config)) => config,
        Ok(None) => return found,
        Err(note) => {
            found.notes.push(note);
            return found;
        }
    };
    from_docker_config(registry, &config, &path, env, &mut found);
    found
}

/// The environment's username and password, when they are for `registry`: the one
/// `CUSTOMS_REGISTRY` names, or, with it unset, any (the caller only asks for the
/// registry of an image the person running customs named).
fn from_environment(
    registry: &str,
    env: &dyn Fn(&str) -> Option<String>,
    notes: &mut Vec<String>,
) -> Option<Credentials> {
    let (username, password) = match (env(ENV_USERNAME), env(ENV_PASSWORD)) {
        (Some(username), Some(password)) if !username.is_empty() && !password.is_empty() => (username, password),
        (Some(u), None) if !u.is_empty() => {
            notes.push(format!("{ENV_USERNAME} is set without {ENV_PASSWORD} (ignored)"));
            return None;
        }
        (None, Some(p)) if !p.is_empty() => {
            notes.push(format!("{ENV_PASSWORD} is set without {ENV_USERNAME} (ignored)"));
            return None;
        }
        _ => return None,
    };
    if let Some(bound) = env(ENV_REGISTRY).filter(|b| !b.trim().is_empty()) {
        if !same_registry(&bound, registry) {
            notes.push(format!(
                "{ENV_USERNAME}/{ENV_PASSWORD} are for {ENV_REGISTRY}={}, not {registry} (not sent)",
                bound.trim()
            ));
            return None;
        }
    }
    Some(Credentials { username, secret: Secret::Password(password), source: format!("{ENV_USERNAME}/{ENV_PASSWORD}") })
}

/// The environment variables of the one registry login customs takes from there.
const ENV_USERNAME: &str = "CUSTOMS_REGISTRY_USERNAME";
const ENV_PASSWORD: &str = "CUSTOMS_REGISTRY_PASSWORD";
const ENV_REGISTRY: &str = "CUSTOMS_REGISTRY";

/// Whether `named` (as a user writes a registry: `host:port`, `https://host/`, Docker
/// Hub's aliases) is `registry`. Ports must agree: `host` is not `host:5000`.
pub(crate) fn same_registry(named: &str, registry: &str) -> bool {
    let (named, registry) = (hostname(named.trim()), hostname(registry));
    named == registry || (is_docker_hub(&named) && is_docker_hub(&registry))
}

/// `host[:port]` of a registry key, lower case: `https://host:5000/v1/` → `host:5000`.
fn hostname(key: &str) -> String {
    let key = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    key.split('/').next().unwrap_or_default().to_ascii_lowercase()
}

fn config_path(sources: &Sources) -> Option<PathBuf> {
    let dir = match sources.docker_config_dir {
        Some(dir) => dir.to_path_buf(),
        None => match (sources.env)("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from((sources.env)("HOME").filter(|h| !h.is_empty())?).join(".docker"),
        },
    };
    Some(dir.join("config.json"))
}

#[derive(Debug, Default, serde::Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// Reads `config.json`; a missing file is no config, an unreadable one a note.
fn read_config(path: &Path) -> Result<Option<DockerConfig>, String> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{} is unreadable ({e}): ignored", path.display())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_SIZE).read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("{} is not a Docker config ({e}): ignored", path.display()))
}

/// Docker's order: the host's `credHelpers` entry, else `credsStore`, else `auths`
/// (also consulted when a helper has nothing, where Docker would give up).
fn from_docker_config(
    registry: &str,
    config: &DockerConfig,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    found: &mut Found,
) {
    let server = server_url(registry);
    let helper = entry_for(&config.cred_helpers, registry).or(config.creds_store.as_ref()).filter(|h| !h.is_empty());
    if let Some(helper) = helper {
        match run_helper(helper, &server, env) {
            Ok(Some(credentials)) => {
                found.credentials = Some(credentials);
                return;
            }
            Ok(None) => {}
            Err(note) => found.notes.push(note),
        }
    }
    let Some(entry) = entry_for(&config.auths, registry) else { return };
    let source = format!("{} (auths)", path.display());
    let (mut username, mut password) = (entry.username.clone(), entry.password.clone());
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        match decoded.as_deref().and_then(|text| text.split_once(':')) {
            Some((user, pass)) => (username, password) = (Some(user.to_string()), Some(pass.to_string())),
            None => found.notes.push(format!("{source}: the auth entry for {registry} is not base64 user:password")),
        }
    }
    let username = username.unwrap_or_default();
    let secret = if let Some(token) = entry.identitytoken.clone().filter(|t| !t.is_empty()) {
        Secret::IdentityToken(token)
    } else if let Some(token) = entry.registrytoken.clone().filter(|t| !t.is_empty()) {
        Secret::RegistryToken(token)
    } else {
        match password.filter(|p| !p.is_empty()) {
            Some(password) if !username.is_empty() => Secret::Password(password),
            _ => return,
        }
    };
    found.credentials = Some(Credentials { username, secret, source });
}

/// What Docker calls a registry in its config and passes to helpers.
fn server_url(registry: &str) -> String {
    if is_docker_hub(registry) {
        DOCKER_HUB_KEY.to_string()
    } else {
        registry.to_string()
    }
}

fn is_docker_hub(host: &str) -> bool {
    matches!(host, "docker.io" | "index.docker.io" | "registry-1.docker.io")
}

/// The entry for `registry`: the exact key first, then any key whose host part
/// matches (`https://host/v1/`, `http://host`), as Docker's `ConvertToHostname` does.
fn entry_for<'a, T>(entries: &'a std::collections::BTreeMap<String, T>, registry: &str) -> Option<&'a T> {
    let registry = registry.to_ascii_lowercase();
    let wanted = server_url(&registry);
    if let Some(entry) = entries.get(&wanted) {
        return Some(entry);
    }
    entries.iter().find_map(|(key, entry)| {
        let host = hostname(key);
        (host == registry || (is_docker_hub(&registry) && is_docker_hub(&host))).then_some(entry)
    })
}

/// Runs `docker-credential-<helper> get` with the server URL on stdin. `Ok(None)`:
/// the helper has nothing for this server.
fn run_helper(helper: &str, server: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Credentials>, String> {
    // The name becomes a program name: nothing that could make it a path.
    if !helper.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) || helper.starts_with('.') {
        return Err(format!("credential helper name {helper:?} is not valid (ignored)"));
    }
    let program = format!("docker-credential-{helper}");
    let mut command = Command::new(&program);
    command.arg("get").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    if let Some(path) = env("PATH") {
        command.env("PATH", path);
    }
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{program} (a Docker credential helper) is not installed"),
        _ => format!("{program} could not be started ({e})"),
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut output = Vec::new();
        if let Some(stdout) = stdout {
            let _ = stdout.take(MAX_HELPER_OUTPUT).read_to_end(&mut output);
        }
        output
    });
    let deadline = Instant::now() + HELPER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} did not answer within {} s", HELPER_TIMEOUT.as_secs()));
            }
            Err(e) => return Err(format!("{program} failed ({e})")),
        }
    };
    let output = reader.join().unwrap_or_default();
    if !status.success() {
        // Helpers say "credentials not found in native keychain" on stdout for an unknown server.
        if String::from_utf8_lossy(&output).contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!("{program} get failed ({status})"));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let answer: Answer =
        serde_json::from_slice(&output).map_err(|_| format!("{program} get printed something that is not JSON"))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    let source = program.clone();
    // Docker's convention: the user `<token>` means the secret is an identity token.
    Ok(Some(if answer.username == "<token>" {
        Credentials { username: String::new(), secret: Secret::IdentityToken(answer.secret), source }
    } else {
        Credentials { username: answer.username, secret: Secret::Password(answer.secret), source }
    }))
}

#[cfg(test)]
mod tests;
