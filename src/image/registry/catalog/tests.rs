use super::*;

#[test]
fn the_next_link_is_found_among_others() {
    assert_eq!(next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#), Some("/v2/_catalog?last=b&n=2".into()));
    assert_eq!(
        next_link(
            r#"<https://r.example/v2/x/tags/list?last=1>; rel="prev", <https://r.example/v2/x/tags/list?last=3>; rel=next"#
        ),
        Some("https://r.example/v2/x/tags/list?last=3".into())
    );
    assert_eq!(next_link(r#"</a>; type="text"; REL="Next""#), Some("/a".into()));
    assert_eq!(next_link(r#"</a>; rel="prev next""#), Some("/a".into()));
    assert_eq!(next_link(r#"</a>; rel="prev""#), None);
    assert_eq!(next_link(r#"</a; rel="next""#), None);
    assert_eq!(next_link("garbage"), None);
    assert_eq!(next_link(""), None);
}

#[test]
fn pages_of_names_are_read_with_null_as_empty() {
    let catalog = ListKind::Catalog;
    assert_eq!(catalog.names(br#"{"repositories":["a","b/c"]}"#).unwrap(), ["a", "b/c"]);
    assert_eq!(catalog.names(br#"{"repositories":null}"#).unwrap(), Vec::<String>::new());
    assert_eq!(ListKind::Tags.names(br#"{"name":"x","tags":["1","latest"]}"#).unwrap(), ["1", "latest"]);
    assert_eq!(ListKind::Tags.names(br#"{"name":"x","tags":null}"#).unwrap(), Vec::<String>::new());
    assert!(catalog.names(b"<html>").unwrap_err().starts_with("not a list of names"));
    assert!(catalog.names(br#"{"repositories":[1]}"#).is_err());
}

#[test]
fn refusals_are_statuses_or_error_codes() {
    let refusal = |status: u16, code: Option<&str>| Refusal {
        status: reqwest::StatusCode::from_u16(status).unwrap(),
        code: code.map(str::to_string),
        detail: None,
    };
    assert!(is_refusal(&refusal(401, None)));
    assert!(is_refusal(&refusal(403, None)));
    assert!(is_refusal(&refusal(404, Some("NOT_FOUND"))));
    assert!(is_refusal(&refusal(405, Some("UNSUPPORTED"))));
    assert!(is_refusal(&refusal(400, Some("UNAUTHORIZED"))));
    assert!(!is_refusal(&refusal(400, Some("SOMETHING"))));
    assert!(!is_refusal(&refusal(500, None)));
}

fn descriptor(json: serde_json::Value) -> Descriptor {
    serde_json::from_value(json).unwrap()
}

#[test]
fn index_entries_leave_out_attestations_and_unknown_platforms() {
    let amd = Digest::sha256_of(b"amd64");
    let arm = Digest::sha256_of(b"arm64");
    let entries = vec![
        descriptor(serde_json::json!({"digest": amd, "size": 1, "platform": {"os": "linux", "architecture": "amd64"}})),
        descriptor(serde_json::json!({"digest": Digest::sha256_of(b"att"), "size": 1,
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"}})),
        descriptor(serde_json::json!({"digest": Digest::sha256_of(b"att2"), "size": 1,
            "platform": {"os": "linux", "architecture": "amd64"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"}})),
        descriptor(serde_json::json!({"digest": Digest::sha256_of(b"bare"), "size": 1})),
        descriptor(serde_json::json!({"digest": arm, "size": 1,
            "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}})),
    ];
    assert_eq!(
        platform_entries(entries),
        [(Platform::linux_amd64(), amd), (Platform::parse("linux/arm64/v8").unwrap(), arm)]
    );
}

#[test]
fn the_client_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<RegistryClient>();
}

#[test]
fn names_that_could_leave_the_api_path_are_refused_before_any_request() {
    let client = RegistryClient::new(
        "reg.example",
        RegistryOptions::default(),
        NetworkSettings::default(),
        RequestLimits::default(),
    )
    .unwrap();
    let err = client.tags("a/../b").unwrap_err();
    assert_eq!(
        err.to_string(),
        "reg.example/a/../b: \"a/../b\" is not a repository name (lowercase letters, digits and . _ - between slashes)"
    );
    assert_eq!(err.reason(), FailureKind::Invalid);
    let err = client.head_manifest("a", "x?y").unwrap_err();
    assert_eq!(err.to_string(), "reg.example/a:x?y: \"x?y\" is not a tag (letters, digits, _ . -; at most 128)");
    assert!(client.image("A", &Digest::sha256_of(b"x")).is_err());
    assert_eq!(client.stats().requests, 0);
    let err = RegistryClient::new(
        "user:pw@evil.example",
        RegistryOptions::default(),
        NetworkSettings::default(),
        RequestLimits::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "user:pw@evil.example: \"user:pw@evil.example\" is not a registry host (want host[:port])"
    );
    let err = RegistryClient::new(
        "reg.example",
        RegistryOptions::default(),
        NetworkSettings::default(),
        RequestLimits { requests_per_second: Some(-1.0) },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "reg.example: -1 requests per second is not a rate limit (want a number of at least 0.001)"
    );
}
