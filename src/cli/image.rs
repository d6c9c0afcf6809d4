//! Flags shared by every command that reads a container image, turned into the
//! library's [`ImageOptions`] (which opens and reads images).

use std::path::PathBuf;

use clap::Args;

use customs::scan::ImageOptions;

#[derive(Args, Debug, Clone, Default)]
pub struct ImageArgs {
    /// Scan a container image instead of files: `host[:port]/repo[:tag][@digest]`
    /// (Docker Hub short names work), `docker-archive:PATH[:name:tag|:@N]` (`name:tag`
    /// or the N-th image, from 0, chooses one image of a multi-image `docker save`),
    /// `oci-archive:PATH[:tag]` or `oci:DIR[:tag]`.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// The platform to pick from a multi-platform image.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,

    /// Read every layer again instead of using the per-layer analysis cache.
    #[arg(long)]
    pub no_layer_cache: bool,

    #[command(flatten)]
    pub access: RegistryAccessArgs,
}

/// How registries are reached and how much of an image is read: shared by `scan
/// --image`, `sbom --image` and `registry scan`.
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryAccessArgs {
    /// Allow plain HTTP (or TLS without verification) for this registry only.
    /// Repeatable. Every other registry is reached over verified HTTPS.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,

    /// Trust this PEM CA certificate for registries (repeatable), for private CAs.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,

    /// The largest file read from an image for analysis, in MiB [default: 128]. A
    /// larger package database or lockfile fails the image.
    #[arg(long, value_name = "MIB")]
    pub max_image_file: Option<u64>,

    /// Memory for the files read from one image, all layers together, in MiB
    /// [default: 256]. Past it the image fails.
    #[arg(long, value_name = "MIB")]
    pub max_image_memory: Option<u64>,

    #[command(flatten)]
    pub login: LoginArgs,

    #[command(flatten)]
    pub network: super::network::NetworkArgs,
}

/// A registry login on the command line, as `docker login` and Trivy take it. It goes
/// only to the registry of the image (or registry) named on the command line, never to
/// one a repository's files name (a Dockerfile's FROM, a `customs.yaml` base image).
#[derive(Args, Debug, Clone, Default)]
pub struct LoginArgs {
    /// Username for the registry named on the command line (only that registry gets
    /// it). In the environment: CUSTOMS_REGISTRY_USERNAME, bound by CUSTOMS_REGISTRY.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,

    /// Password or token for --username. Visible to other users in the process list:
    /// prefer --password-stdin (or CUSTOMS_REGISTRY_PASSWORD).
    #[arg(long, value_name = "PASSWORD", conflicts_with = "password_stdin")]
    pub password: Option<String>,

    /// Read the password for --username from stdin (one line).
    #[arg(long)]
    pub password_stdin: bool,
}

/// A password read from stdin is one line; more is not a password.
const MAX_STDIN_PASSWORD: u64 = 64 << 10;

impl LoginArgs {
    /// The username and password the flags give, reading stdin for --password-stdin.
    /// `--password` on the command line is warned about (even with --quiet, as Docker
    /// does): anyone on the machine can read it in the process list.
    pub fn credentials(&self) -> anyhow::Result<Option<(String, String)>> {
        self.credentials_from(&mut std::io::stdin().lock())
    }

    fn credentials_from(&self, stdin: &mut dyn std::io::Read) -> anyhow::Result<Option<(String, String)>> {
        let password = match (&self.password, self.password_stdin) {
            (Some(password), _) => {
                super::log::warn(
                    "--password on the command line can be read by other users of this machine \
                     (process list, shell history); use --password-stdin or CUSTOMS_REGISTRY_PASSWORD",
                );
                Some(password.clone())
            }
            (None, true) => Some(read_password(stdin)?),
            (None, false) => None,
        };
        match (&self.username, password) {
            (Some(username), Some(password)) if !username.trim().is_empty() => Ok(Some((username.clone(), password))),
            (Some(_), Some(_)) => anyhow::bail!("--username is empty: give the registry user name"),
            (Some(_), None) => anyhow::bail!("--username needs --password-stdin (or --password)"),
            (None, Some(_)) => anyhow::bail!("--password needs --username: whose password is it?"),
            (None, None) => Ok(None),
        }
    }
}

/// The first line of stdin, without its line ending; empty is an error.
fn read_password(stdin: &mut dyn std::io::Read) -> anyhow::Result<String> {
    use anyhow::Context as _;
    use std::io::Read as _;
    let mut bytes = Vec::new();
    stdin.take(MAX_STDIN_PASSWORD + 1).read_to_end(&mut bytes).context("--password-stdin: cannot read stdin")?;
    if bytes.len() as u64 > MAX_STDIN_PASSWORD {
        anyhow::bail!(
            "--password-stdin: stdin holds more than {} KiB; pipe in only the password",
            MAX_STDIN_PASSWORD >> 10
        );
    }
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("--password-stdin: the password is not UTF-8 text"))?;
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        anyhow::bail!("--password-stdin: stdin was empty; pipe the password in (`echo \"$TOKEN\" | customs …`)");
    }
    if password.contains('\n') {
        anyhow::bail!("--password-stdin: stdin holds more than one line; pipe in only the password");
    }
    Ok(password.to_string())
}

impl RegistryAccessArgs {
    /// The library's image options from these flags (sizes in MiB become bytes), with
    /// the command line's login (stdin is read for --password-stdin).
    pub fn options(&self) -> anyhow::Result<ImageOptions> {
        Ok(ImageOptions { credentials: self.login.credentials()?, ..self.limits() })
    }

    /// The options without the login.
    fn limits(&self) -> ImageOptions {
        let defaults = ImageOptions::default();
        let mib = |value: Option<u64>, default: u64| value.map_or(default, |mib| mib.saturating_mul(1 << 20));
        ImageOptions {
            insecure_registries: self.insecure_registries.clone(),
            ca_certs: self.ca_certs.clone(),
            network: self.network.registry_settings(),
            max_file_size: mib(self.max_image_file, defaults.max_file_size),
            max_image_bytes: mib(self.max_image_memory, defaults.max_image_bytes),
            ..defaults
        }
    }
}

impl ImageArgs {
    /// The library's image options from these flags (sizes in MiB become bytes), with
    /// the command line's login (stdin is read for --password-stdin).
    pub fn options(&self) -> anyhow::Result<ImageOptions> {
        Ok(ImageOptions {
            platform: self.platform.clone(),
            no_layer_cache: self.no_layer_cache,
            ..self.access.options()?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_defaults_are_the_librarys_defaults_and_sizes_are_mib() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            image: ImageArgs,
        }
        let parse = |args: &[&str]| <Cli as clap::Parser>::try_parse_from(args).unwrap().image.options().unwrap();
        let defaults = parse(&["customs"]);
        assert_eq!(format!("{defaults:?}"), format!("{:?}", ImageOptions::default()));
        let set = parse(&["customs", "--max-image-file", "3", "--max-image-memory", "5", "--no-layer-cache"]);
        assert_eq!((set.max_file_size, set.max_image_bytes, set.no_layer_cache), (3 << 20, 5 << 20, true));
        let huge = parse(&["customs", "--max-image-file", &u64::MAX.to_string()]);
        assert_eq!(huge.max_file_size, u64::MAX);
    }

    #[test]
    fn a_login_needs_both_halves_and_stdin_gives_one_line() {
        let login = |username: Option<&str>, password: Option<&str>, stdin: bool| LoginArgs {
            username: username.map(str::to_string),
            password: password.map(str::to_string),
            password_stdin: stdin,
        };
        let from =
            |args: LoginArgs, stdin: &str| args.credentials_from(&mut stdin.as_bytes()).map_err(|e| e.to_string());
        let pair = Some(("me".to_string(), "s3cret".to_string()));
        assert_eq!(from(login(Some("me"), None, true), "s3cret\r\n"), Ok(pair.clone()));
        assert_eq!(from(login(Some("me"), None, true), "s3cret"), Ok(pair.clone()));
        assert_eq!(from(login(Some("me"), Some("s3cret"), false), ""), Ok(pair));
        assert_eq!(from(login(None, None, false), "ignored"), Ok(None));
        assert_eq!(
            from(login(Some("me"), None, true), "\n"),
            Err("--password-stdin: stdin was empty; pipe the password in (`echo \"$TOKEN\" | customs …`)".into())
        );
        assert_eq!(
            from(login(Some("me"), None, true), "a\nb\n"),
            Err("--password-stdin: stdin holds more than one line; pipe in only the password".into())
        );
        let huge = "x".repeat(70_000);
        assert_eq!(
            from(login(Some("me"), None, true), &huge),
            Err("--password-stdin: stdin holds more than 64 KiB; pipe in only the password".into())
        );
        assert_eq!(
            from(login(Some("me"), None, false), ""),
            Err("--username needs --password-stdin (or --password)".into())
        );
        assert_eq!(
            from(login(None, None, true), "pw"),
            Err("--password needs --username: whose password is it?".into())
        );
        assert_eq!(
            from(login(Some(" "), Some("pw"), false), ""),
            Err("--username is empty: give the registry user name".into())
        );
    }
}
