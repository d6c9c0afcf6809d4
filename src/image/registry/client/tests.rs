use super::*;

#[test]
fn docker_hub_is_reached_through_its_api_host() {
    assert_eq!(api_host("docker.io"), "registry-1.docker.io");
    assert_eq!(api_host("index.docker.io"), "registry-1.docker.io");
    assert_eq!(api_host("ghcr.io"), "ghcr.io");
    assert_eq!(api_host("127.0.0.1:5000"), "127.0.0.1:5000");
}

fn transport(registry: &str, insecure: &[&str]) -> Transport {
    let options = RegistryOptions {
        insecure_registries: insecure.iter().map(|s| s.to_string()).collect(),
        ..RegistryOptions::default()
    };
    Transport::new(registry, &options, NetworkSettings::default(), RequestLimits::default()).unwrap()
}

#[test]
fn insecure_hosts_match_exactly_with_default_ports_for_bare_names() {
    let t = transport("reg.example:5000", &["reg.example:5000", "plain.example", "Upper.Example:443"]);
    let yes = |u: &str| t.is_insecure(&Url::parse(u).unwrap());
    assert!(yes("http://reg.example:5000/v2/"));
    assert!(yes("https://reg.example:5000/v2/"));
    assert!(!yes("http://reg.example/v2/"));
    assert!(!yes("http://reg.example:5001/v2/"));
    assert!(yes("http://plain.example/"));
    assert!(yes("https://plain.example/"));
    assert!(!yes("http://plain.example:8080/"));
    assert!(yes("https://upper.example/"));
    assert!(!yes("http://other.example/"));
    assert!(t.is_insecure_registry());
    assert!(!transport("reg.example:5000", &["reg.example"]).is_insecure_registry());
}

#[test]
fn plain_http_is_refused_for_hosts_not_declared_insecure() {
    let t = transport("reg.example:5000", &[]);
    let Err(Attempt::Fatal(failure)) = t.client_for(&Url::parse("http://reg.example:5000/v2/").unwrap()) else {
        panic!("plain HTTP was allowed");
    };
    assert_eq!(
        failure.message(),
        "refusing plain HTTP to reg.example:5000: registries are reached over HTTPS; \
         to allow HTTP for this host, pass --insecure-registry reg.example:5000"
    );
    assert!(t.client_for(&Url::parse("https://reg.example:5000/v2/").unwrap()).is_ok());
}
