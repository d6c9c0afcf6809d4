use std::collections::HashMap;

use super::*;

/// A fake environment: `vars` plus `HOME` pointing nowhere useful.
struct Env(HashMap<&'static str, String>);

impl Env {
    fn new(vars: &[(&'static str, &str)]) -> Env {
        Env(vars.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    fn find(&self, registry: &str, config_dir: Option<&Path>) -> Found {
        let lookup = |name: &str| self.0.get(name).cloned();
        find(registry, &Sources { explicit: None, environment: true, docker_config_dir: config_dir, env: &lookup })
    }
}

/// What was found, secrets spelled out for comparison: `(source, kind:user:secret)`.
fn summary(found: &Found) -> Option<(String, String)> {
    found.credentials.as_ref().map(|c| {
        let secret = match &c.secret {
            Secret::Password(p) => format!("password:{}:{p}", c.username),
            Secret::IdentityToken(t) => format!("identitytoken:{}:{t}", c.username),
            Secret::RegistryToken(t) => format!("registrytoken:{}:{t}", c.username),
        };
        (c.source.clone(), secret)
    })
}

fn config_dir(json: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), json).unwrap();
    dir
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn explicit_credentials_come_first_then_the_environment() {
    let env = Env::new(&[("CUSTOMS_REGISTRY_USERNAME", "envuser"), ("CUSTOMS_REGISTRY_PASSWORD", "envpass")]);
    let explicit = ("me".to_string(), "pw".to_string());
    let lookup = |name: &str| env.0.get(name).cloned();
    let found = find(
        "reg.example",
        &Sources { explicit: Some(&explicit), environment: true, docker_config_dir: None, env: &lookup },
    );
    assert_eq!(summary(&found), Some(("the given username and password".into(), "password:me:pw".into())));
    let dir = config_dir(&format!(r#"{{"auths":{{"reg.example":{{"auth":"{}"}}}}}}"#, b64("cfg:cfgpass")));
    assert_eq!(
        summary(&env.find("reg.example", Some(dir.path()))),
        Some(("CUSTOMS_REGISTRY_USERNAME/CUSTOMS_REGISTRY_PASSWORD".into(), "password:envuser:envpass".into()))
    );
    let half = Env::new(&[("CUSTOMS_REGISTRY_USERNAME", "envuser")]).find("reg.example", None);
    assert_eq!(summary(&half), None);
    assert_eq!(half.notes, ["CUSTOMS_REGISTRY_USERNAME is set without CUSTOMS_REGISTRY_PASSWORD (ignored)"]);
}

#[test]
fn environment_credentials_go_only_to_the_registry_named_with_them() {
    let pair = [("CUSTOMS_REGISTRY_USERNAME", "envuser"), ("CUSTOMS_REGISTRY_PASSWORD", "envpass")];
    let env_source = "CUSTOMS_REGISTRY_USERNAME/CUSTOMS_REGISTRY_PASSWORD".to_string();
    let bound = |registry: &'static str| {
        let mut vars = pair.to_vec();
        vars.push(("CUSTOMS_REGISTRY", registry));
        Env::new(&vars)
    };
    let env = bound("reg.example:5000");
    assert_eq!(summary(&env.find("reg.example:5000", None)).map(|(s, _)| s), Some(env_source.clone()));
    let elsewhere = env.find("attacker.example", None);
    assert_eq!(summary(&elsewhere), None);
    assert_eq!(
        elsewhere.notes,
        ["CUSTOMS_REGISTRY_USERNAME/CUSTOMS_REGISTRY_PASSWORD are for CUSTOMS_REGISTRY=reg.example:5000, not \
          attacker.example (not sent)"]
    );
    // The port is part of the registry; scheme, path and case are not.
    assert_eq!(summary(&env.find("reg.example", None)), None);
    assert!(summary(&bound("https://REG.example:5000/").find("reg.example:5000", None)).is_some());
    assert!(summary(&bound("docker.io").find("index.docker.io", None)).is_some());

    // Docker's own config still serves the other registry.
    let dir = config_dir(&format!(r#"{{"auths":{{"attacker.example":{{"auth":"{}"}}}}}}"#, b64("cfg:cfgpass")));
    assert_eq!(summary(&env.find("attacker.example", Some(dir.path()))).unwrap().1, "password:cfg:cfgpass");
}

#[test]
fn images_named_by_repository_files_get_only_docker_config_credentials() {
    let env = Env::new(&[("CUSTOMS_REGISTRY_USERNAME", "envuser"), ("CUSTOMS_REGISTRY_PASSWORD", "envpass")]);
    let lookup = |name: &str| env.0.get(name).cloned();
    let explicit = ("me".to_string(), "pw".to_string());
    let dir = config_dir(&format!(r#"{{"auths":{{"reg.example":{{"auth":"{}"}}}}}}"#, b64("cfg:cfgpass")));
    let repository_named = |config: Option<&Path>, registry: &str| {
        find(
            registry,
            &Sources { explicit: Some(&explicit), environment: false, docker_config_dir: config, env: &lookup },
        )
    };
    let found = repository_named(None, "other.example");
    assert_eq!(summary(&found), None);
    assert_eq!(
        found.notes,
        ["CUSTOMS_REGISTRY_USERNAME/CUSTOMS_REGISTRY_PASSWORD are not used for images named by the repository's \
          own files (only Docker's config for other.example is)"]
    );
    assert_eq!(summary(&repository_named(Some(dir.path()), "reg.example")).unwrap().1, "password:cfg:cfgpass");
}

#[test]
fn docker_config_auths_match_hosts_as_docker_does() {
    let dir = config_dir(&format!(
        r#"{{"auths":{{
            "https://index.docker.io/v1/":{{"auth":"{}"}},
            "https://reg.example:5000/v2/":{{"auth":"{}"}},
            "other.example":{{"username":"plain","password":"fields"}},
            "token.example":{{"auth":"{}","identitytoken":"refresh-me"}},
            "rt.example":{{"registrytoken":"bearer-me"}},
            "empty.example":{{}}
        }}}}"#,
        b64("hubuser:hub:pass"),
        b64("u5000:p5000"),
        b64("tokenuser:")
    ));
    let env = Env::new(&[]);
    let source = format!("{} (auths)", dir.path().join("config.json").display());
    let got = |registry: &str| {
        summary(&env.find(registry, Some(dir.path()))).map(|(s, secret)| {
            assert_eq!(s, source);
            secret
        })
    };
    assert_eq!(got("docker.io").as_deref(), Some("password:hubuser:hub:pass"));
    assert_eq!(got("index.docker.io").as_deref(), Some("password:hubuser:hub:pass"));
    assert_eq!(got("reg.example:5000").as_deref(), Some("password:u5000:p5000"));
    assert_eq!(got("REG.example:5000").as_deref(), Some("password:u5000:p5000"));
    assert_eq!(got("reg.example").as_deref(), None);
    assert_eq!(got("other.example").as_deref(), Some("password:plain:fields"));
    assert_eq!(got("token.example").as_deref(), Some("identitytoken:tokenuser:refresh-me"));
    assert_eq!(got("rt.example").as_deref(), Some("registrytoken::bearer-me"));
    assert_eq!(got("empty.example"), None);
    assert_eq!(got("ghcr.io"), None);
}

#[test]
fn config_location_follows_docker_config_then_home() {
    let dir = config_dir(&format!(r#"{{"auths":{{"reg.example":{{"auth":"{}"}}}}}}"#, b64("a:b")));
    let path = dir.path().to_str().unwrap();
    let via_env = Env::new(&[("DOCKER_CONFIG", path), ("HOME", "/nonexistent")]).find("reg.example", None);
    assert_eq!(summary(&via_env).unwrap().1, "password:a:b");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".docker")).unwrap();
    std::fs::copy(dir.path().join("config.json"), home.path().join(".docker/config.json")).unwrap();
    let via_home = Env::new(&[("HOME", home.path().to_str().unwrap())]).find("reg.example", None);
    assert_eq!(summary(&via_home).unwrap().1, "password:a:b");
    assert_eq!(summary(&Env::new(&[]).find("reg.example", None)), None);
}

#[test]
fn broken_configs_are_notes_not_failures() {
    let dir = config_dir("{not json");
    let found = Env::new(&[]).find("reg.example", Some(dir.path()));
    assert_eq!(summary(&found), None);
    assert_eq!(found.notes.len(), 1);
    assert!(found.notes[0].contains("is not a Docker config"), "{:?}", found.notes);
    let dir = config_dir(r#"{"auths":{"reg.example":{"auth":"!!!"}}}"#);
    let found = Env::new(&[]).find("reg.example", Some(dir.path()));
    assert_eq!(summary(&found), None);
    assert!(
        found.notes[0].ends_with("the auth entry for reg.example is not base64 user:password"),
        "{:?}",
        found.notes
    );
}

/// Writes `docker-credential-<name>`: it saves its arguments and stdin beside itself,
/// then runs `body`.
#[cfg(unix)]
fn helper(bin: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = bin.join(format!("docker-credential-{name}"));
    let script = format!("#!/bin/sh\necho \"$@\" > \"$0.args\"\ncat > \"$0.stdin\"\n{body}\n");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn credential_helpers_are_asked_with_the_server_url() {
    let bin = tempfile::tempdir().unwrap();
    helper(bin.path(), "store", r#"echo '{"ServerURL":"x","Username":"storeuser","Secret":"storepass"}'"#);
    helper(bin.path(), "hub", r#"echo '{"Username":"<token>","Secret":"refresh"}'"#);
    helper(bin.path(), "empty", "echo 'credentials not found in native keychain'; exit 1");
    helper(bin.path(), "broken", "echo oops >&2; exit 3");
    let dir = config_dir(&format!(
        r#"{{"credsStore":"store",
            "credHelpers":{{"docker.io":"hub","none.example":"empty","bad.example":"broken","missing.example":"nothere"}},
            "auths":{{"none.example":{{"auth":"{}"}}}}}}"#,
        b64("fallback:pass")
    ));
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let env = Env::new(&[("PATH", &path)]);
    let found = |registry: &str| env.find(registry, Some(dir.path()));
    let stdin =
        |name: &str| std::fs::read_to_string(bin.path().join(format!("docker-credential-{name}.stdin"))).unwrap();

    assert_eq!(
        summary(&found("reg.example:5000")),
        Some(("docker-credential-store".into(), "password:storeuser:storepass".into()))
    );
    assert_eq!(stdin("store"), "reg.example:5000");
    let args = std::fs::read_to_string(bin.path().join("docker-credential-store.args")).unwrap();
    assert_eq!(args, "get\n");

    assert_eq!(summary(&found("docker.io")), Some(("docker-credential-hub".into(), "identitytoken::refresh".into())));
    assert_eq!(stdin("hub"), "https://index.docker.io/v1/");

    // Nothing from the helper: the auths entry is used.
    let none = found("none.example");
    assert_eq!(summary(&none).unwrap().1, "password:fallback:pass");
    assert!(none.notes.is_empty(), "{:?}", none.notes);

    let bad = found("bad.example");
    assert_eq!(summary(&bad), None);
    assert_eq!(bad.notes, ["docker-credential-broken get failed (exit status: 3)"]);
    let missing = found("missing.example");
    assert_eq!(missing.notes, ["docker-credential-nothere (a Docker credential helper) is not installed"]);
}

#[test]
fn helper_names_cannot_be_paths() {
    let dir = config_dir(r#"{"credsStore":"../../bin/sh"}"#);
    let found = Env::new(&[]).find("reg.example", Some(dir.path()));
    assert_eq!(summary(&found), None);
    assert_eq!(found.notes, ["credential helper name \"../../bin/sh\" is not valid (ignored)"]);
}

#[test]
fn credentials_never_print_their_secret() {
    let c = Credentials { username: "u".into(), secret: Secret::Password("s3cr3t".into()), source: "test".into() };
    assert_eq!(format!("{c:?}"), "Credentials { secret: \"<redacted>\", source: \"test\" }");
    assert_eq!(c.secret_forms(), ["s3cr3t".to_string(), b64("u:s3cr3t")]);
}
