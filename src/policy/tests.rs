use std::path::Path;

use super::*;

#[test]
fn rules_lists_every_rule_once() {
    let ids: Vec<&str> = rules().iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 12);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert_eq!(rules()[0].name, "runs-as-root");
}

#[test]
fn findings_serialize_with_rule_location_and_severity() {
    let dockerfile = Dockerfile::parse("FROM alpine:3.20\nUSER app\n").unwrap();
    let findings = check(&dockerfile, Path::new("Dockerfile"));
    let json = serde_json::to_value(&findings[0]).unwrap();
    assert_eq!(json["rule"], "CUSTOMS-DF-005");
    assert_eq!(json["name"], "base-image-not-pinned");
    assert_eq!(json["severity"], "low");
    assert_eq!(json["location"], serde_json::json!({"path": "Dockerfile", "line": 1}));
    assert_eq!(json["message"], "base image alpine:3.20 is not pinned by digest");
}

#[test]
fn findings_read_back_from_json_take_name_and_help_from_the_rule_table() {
    for info in rules() {
        let finding = PolicyFinding {
            rule: info.id,
            name: info.name,
            severity: Rating::Low,
            message: format!("{} here", info.name),
            location: Location::new(Path::new("Dockerfile"), Some(3)),
            help: info.help,
        };
        let json = serde_json::to_string(&finding).unwrap();
        assert_eq!(serde_json::from_str::<PolicyFinding>(&json).unwrap(), finding, "{json}");
    }
    let stored = serde_json::json!({
        "rule": "CUSTOMS-DF-999", "name": "x", "severity": "high", "message": "m",
        "location": {"path": "Dockerfile"}, "help": "h"
    });
    let err = serde_json::from_value::<PolicyFinding>(stored).unwrap_err().to_string();
    assert_eq!(err, "unknown policy rule \"CUSTOMS-DF-999\": written by another version of customs?");
}
