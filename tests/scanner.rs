//! The library's `Scanner` against a real `docker-registry`, the way the registry
//! sweep uses it: image inventories read earlier (and stored, so named by digest) are
//! evaluated later, and their policy checks (layer ancestry, signatures) open the image
//! the inventory names, failing closed when it is not the image that was read.

mod common;
mod support_registry;
mod support_sigstore;

use std::path::Path;
use std::process::Command;

use customs::config::Config;
use customs::inventory::walk::Inventory;
use customs::scan::{ImageOptions, ScanOptions, ScanResult, Scanner, Target};
use support_registry::{debian_plus_layer, layer_tar, Kind, Registry};
use support_sigstore::{cosign_key_signature, KeySigner};

/// Copies the layout's `app` image to `repo_tag`; returns its manifest digest.
fn push_layout(registry: &Registry, layout: &Path, repo_tag: &str) -> String {
    let source = format!("oci:{}:app", layout.display());
    let dest = format!("docker://{}/{repo_tag}", registry.host());
    let out = common::tools::output(Command::new("skopeo").args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &source,
        &dest,
    ]));
    assert!(out.status.success(), "skopeo: {}", String::from_utf8_lossy(&out.stderr));
    registry.skopeo_digest(repo_tag)
}

/// Signs `repo`'s image `digest` the way `cosign sign --key` does.
fn sign(signer: &KeySigner, registry: &Registry, repo: &str, digest: &str) {
    let (payload, annotations) = cosign_key_signature(signer, &format!("{}/{repo}", registry.host()), digest);
    registry.put_cosign_signatures(repo, digest, &[(&payload, annotations)]);
}

fn rules(result: &ScanResult) -> Vec<&str> {
    result.policy.iter().map(|p| p.rule).collect()
}

fn with_image(inventory: &Inventory, reference: &str, digest: &str) -> (Vec<String>, Inventory) {
    let mut inventory = inventory.clone();
    let image = inventory.image.as_mut().unwrap();
    image.reference = reference.to_string();
    image.manifest_digest = digest.to_string();
    (vec![reference.to_string()], inventory)
}

#[test]
fn stored_image_inventories_are_checked_against_the_image_they_name() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = registry.scratch("project");
    let signer = KeySigner::new();
    signer.write_public_key(&dir.join("cosign.pub"));
    registry.push_debian("base/debian:12");
    let layout = debian_plus_layer(&registry.scratch("build"), "app", &layer_tar("srv/hello.txt", b"hello\n"));
    let web = push_layout(&registry, &layout, "apps/web:1");
    sign(&signer, &registry, "apps/web", &web);
    std::fs::write(
        dir.join("customs.yaml"),
        format!(
            "policy:\n  base-images:\n    allowed: [\"{host}/base/debian:12\"]\n  signatures:\n    - images: [\"{host}/apps/**\"]\n      keys: [cosign.pub]\n"
        ),
    )
    .unwrap();
    let config = Config::load(Some(&dir.join("customs.yaml"))).unwrap().unwrap();
    let options = ScanOptions {
        db: Some(common::shared().join("osv")),
        base_images: config.base_images().cloned(),
        signatures: config.signature_rules().unwrap(),
        image: ImageOptions { insecure_registries: vec![host.clone()], ..ImageOptions::default() },
        ..ScanOptions::new(Path::new(env!("CARGO_TARGET_TMPDIR")).join("scanner-cache"))
    };
    let scanner = Scanner::new(options).unwrap();
    let tagged = format!("{host}/apps/web:1");
    let scanned = scanner.scan(&Target::Image(tagged.clone())).unwrap();
    assert_eq!(rules(&scanned), Vec::<&str>::new());
    let (_, inventory) = scanner.read(&Target::Image(tagged.clone())).unwrap();
    assert_eq!(inventory.image.as_ref().unwrap().manifest_digest, web);

    // As a sweep stores it, by digest: the same verdicts as the scan.
    let pinned = format!("{host}/apps/web@{web}");
    let (targets, stored) = with_image(&inventory, &pinned, &web);
    let result = scanner.evaluate(targets.clone(), stored.clone()).unwrap();
    assert_eq!(rules(&result), Vec::<&str>::new());
    let warnings = result.inventory.warnings.join("\n");
    assert!(warnings.contains(&format!("built on {host}/base/debian:12")), "{warnings}");
    assert!(warnings.contains("signature verified"), "{warnings}");
    assert_eq!(result.findings, scanned.findings);

    // An inventory that claims another manifest than its reference leads to is not
    // allowed and not verified: fail closed.
    let other = registry.push_tiny("apps/tiny", "1", "amd64").manifest_digest;
    let (forged_targets, forged) = with_image(&inventory, &pinned, &other);
    let result = scanner.evaluate(forged_targets.clone(), forged.clone()).unwrap();
    assert_eq!(rules(&result), ["CUSTOMS-BASE-001", "CUSTOMS-SIG-001"]);
    let warnings = result.inventory.warnings.join("\n");
    assert!(warnings.contains(&format!("its manifest changed during the scan (now {web})")), "{warnings}");

    // Stored by tag, and the tag moved since: the layers are read from the scanned
    // manifest (allowed base), but the tag's signatures are another image's.
    registry.push_tiny("apps/web", "1", "amd64");
    let (moved_targets, moved) = with_image(&inventory, &tagged, &web);
    let result = scanner.evaluate(moved_targets.clone(), moved.clone()).unwrap();
    assert_eq!(rules(&result), ["CUSTOMS-SIG-001"]);

    // Many at once: each as alone, in order.
    let alone: Vec<ScanResult> = [(&targets, &stored), (&forged_targets, &forged), (&moved_targets, &moved)]
        .into_iter()
        .map(|(t, i)| scanner.evaluate(t.clone(), i.clone()).unwrap())
        .collect();
    let many: Vec<ScanResult> = scanner
        .evaluate_many(vec![(targets, stored), (forged_targets, forged), (moved_targets, moved)])
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(many, alone);
}
