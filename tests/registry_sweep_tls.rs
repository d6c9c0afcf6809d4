//! `customs registry scan` against the real `docker-registry` over TLS with htpasswd
//! Basic auth: the sweep trusts the registry's CA through `--ca-cert` (no
//! `--insecure-registry`), logs in with `CUSTOMS_REGISTRY_USERNAME`/`_PASSWORD`, and,
//! without them, is refused the catalog and says to name the repositories.

mod common;
mod support_registry;

use std::process::Command;

use support_registry::lab::sweep::{reported_images, Swept};
use support_registry::{Kind, Registry, PASSWORD, USER};

/// `customs registry scan HOST --ca-cert CA` with an isolated home, and `env`.
fn sweep(registry: &Registry, dir: &std::path::Path, env: &[(&str, &str)], extra: &[&str]) -> Swept {
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    // One advisory, so the database is not empty; the tiny images have no packages.
    std::fs::write(
        db.join("x_TLS-0001.json"),
        r#"{"schema_version":"1.6.0","id":"x_TLS-0001","modified":"2026-12-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"nothing-here"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("docker-config")).unwrap();
    let host = registry.host();
    let ca = registry.ca_cert();
    let store = dir.join("store.db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_customs"));
    command
        .args(["--cache-dir", dir.join("cache").to_str().unwrap(), "registry", "scan", &host])
        .args(["--ca-cert", ca.to_str().unwrap(), "--store", store.to_str().unwrap()])
        .args(["--db", db.to_str().unwrap(), "-f", "json"])
        .args(extra)
        .current_dir(dir)
        .env("HOME", dir)
        .env("DOCKER_CONFIG", dir.join("docker-config"))
        .env_remove("CUSTOMS_REGISTRY")
        .env_remove("CUSTOMS_REGISTRY_USERNAME")
        .env_remove("CUSTOMS_REGISTRY_PASSWORD");
    for (name, value) in env {
        command.env(name, value);
    }
    Swept::run(command)
}

#[test]
fn a_tls_registry_with_a_login_is_swept_and_without_one_its_catalog_is_refused() {
    let registry = Registry::start(Kind::TlsAuth);
    let amd = registry.push_tiny("team/api", "latest", "linux/amd64");
    let arm = registry.push_tiny("team/web", "latest", "linux/arm64");
    let dir = tempfile::tempdir().unwrap();
    let login = [("CUSTOMS_REGISTRY_USERNAME", USER), ("CUSTOMS_REGISTRY_PASSWORD", PASSWORD)];

    let run = sweep(&registry, dir.path(), &login, &[]);
    run.expect_code(0);
    let doc = run.json();
    let mut images: Vec<(String, String)> =
        reported_images(&doc).into_iter().map(|i| (i.repo.clone(), i.digest.clone())).collect();
    images.sort();
    assert_eq!(
        images,
        vec![
            ("team/api".to_string(), amd.manifest_digest.clone()),
            ("team/web".to_string(), arm.manifest_digest.clone())
        ]
    );
    assert_eq!(doc["run"]["partial"], false);

    // Without the login: the catalog is refused, the run says how to go on.
    let refused = sweep(&registry, &dir.path().join("anonymous"), &[], &[]);
    refused.expect_code(2);
    let stderr = refused.stderr();
    assert!(stderr.contains("--repo") && stderr.contains("--repos-from"), "{stderr}");

    // Credentials bound to another registry are not sent here.
    let elsewhere = [("CUSTOMS_REGISTRY", "registry.example.com"), login[0], login[1]];
    let refused = sweep(&registry, &dir.path().join("elsewhere"), &elsewhere, &[]);
    refused.expect_code(2);
    assert!(refused.stderr().contains("--repos-from"), "{}", refused.stderr());
}
