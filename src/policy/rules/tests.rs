use super::*;

const PINNED: &str = "debian:12@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn run_check(text: &str) -> Vec<PolicyFinding> {
    let dockerfile = Dockerfile::parse(text).unwrap_or_else(|e| panic!("{e}"));
    check(&dockerfile, Path::new("./app/Dockerfile"))
}

/// All findings as (rule id, line).
fn all(text: &str) -> Vec<(&'static str, u32)> {
    run_check(text).iter().map(|f| (f.rule, f.location.line.unwrap())).collect()
}

/// A pinned base, `body`, then an unprivileged USER: only `body` can produce findings.
fn body(body: &str) -> Vec<(&'static str, u32)> {
    all(&format!("FROM {PINNED}\n{body}\nUSER app\n"))
}

#[test]
fn rules_have_unique_stable_ids_and_help() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let expected: Vec<String> = (1..=RULES.len()).map(|n| format!("CUSTOMS-DF-{n:03}")).collect();
    assert_eq!(ids, expected);
    for rule in RULES {
        assert!(!rule.help.is_empty() && !rule.summary.is_empty());
        assert!(rule.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", rule.name);
    }
}

#[test]
fn finding_carries_rule_metadata_and_location() {
    let findings = run_check("FROM debian:12\n");
    let root = findings.iter().find(|f| f.rule == "CUSTOMS-DF-001").unwrap();
    assert_eq!(root.name, "runs-as-root");
    assert_eq!(root.severity, Rating::Medium);
    assert_eq!(root.location, Location { path: "app/Dockerfile".into(), line: Some(1), layer: None });
    assert_eq!(root.help, RUNS_AS_ROOT.help);
}

#[test]
fn clean_dockerfile_has_no_findings() {
    assert_eq!(body("COPY . /app\nRUN apt-get install -y --no-install-recommends curl"), []);
}

// ---- runs as root ----

#[test]
fn no_user_in_final_stage_reports_its_from_line() {
    let text = format!("FROM {PINNED} AS build\nUSER app\nFROM {PINNED}\nCOPY --from=build /a /a\n");
    assert_eq!(all(&text), [("CUSTOMS-DF-001", 3)]);
}

#[test]
fn last_user_root_reports_the_user_line() {
    for user in ["root", "0", "0:0", "root:staff"] {
        let text = format!("FROM {PINNED}\nUSER app\nRUN x\nUSER {user}\n");
        assert_eq!(all(&text), [("CUSTOMS-DF-001", 4)], "{user}");
    }
}

#[test]
fn non_root_user_inherited_from_a_stage_or_nonroot_base_is_fine() {
    assert_eq!(all(&format!("FROM {PINNED}\nUSER root\nRUN x\nUSER 10001:10001\n")), []);
    assert_eq!(all(&format!("FROM {PINNED} AS base\nUSER app\nFROM base\nRUN x\n")), []);
    let distroless = "gcr.io/distroless/static:nonroot@sha256:".to_string() + &"b".repeat(64);
    assert_eq!(all(&format!("FROM {distroless}\n")), []);
}

// ---- ADD ----

#[test]
fn add_of_a_local_file_should_be_copy() {
    assert_eq!(body("ADD app.py /app/"), [("CUSTOMS-DF-002", 2)]);
    assert_eq!(body("ADD [\"config dir\", \"/etc/app\"]"), [("CUSTOMS-DF-002", 2)]);
}

#[test]
fn add_of_archives_and_variables_is_fine() {
    assert_eq!(body("ADD rootfs.tar.gz /\nADD --chown=app a.TGZ b.tar.xz /opt/\nADD $SRC /x"), []);
}

#[test]
fn add_of_a_url_without_checksum() {
    assert_eq!(body("ADD https://example.com/tool.tar.gz /opt/"), [("CUSTOMS-DF-003", 2)]);
    assert_eq!(body("ADD git@github.com:org/repo.git /src"), [("CUSTOMS-DF-003", 2)]);
}

#[test]
fn add_of_a_url_with_checksum_is_fine() {
    let sum = "sha256:".to_string() + &"c".repeat(64);
    assert_eq!(body(&format!("ADD --checksum={sum} https://example.com/tool /opt/tool")), []);
}

// ---- base images ----

#[test]
fn latest_or_missing_tag() {
    let text = "FROM ubuntu\nUSER app\nFROM ghcr.io/org/app:latest\nUSER app\n";
    assert_eq!(all(text), [("CUSTOMS-DF-004", 1), ("CUSTOMS-DF-005", 1), ("CUSTOMS-DF-004", 3), ("CUSTOMS-DF-005", 3)]);
    let messages: Vec<String> = run_check(text).into_iter().map(|f| f.message).collect();
    assert_eq!(messages[0], "base image ubuntu has no tag, so it means ubuntu:latest");
    assert_eq!(messages[2], "base image ghcr.io/org/app:latest uses the moving latest tag");
}

#[test]
fn tagged_but_not_digest_pinned() {
    assert_eq!(all("FROM localhost:5000/app:1.2\nUSER app\n"), [("CUSTOMS-DF-005", 1)]);
}

#[test]
fn scratch_stages_digests_and_unresolved_are_not_base_image_findings() {
    let text = format!(
        "ARG V\nFROM {PINNED} AS build\nFROM build AS test\nFROM debian:$V\nFROM debian@sha256:{}\nFROM scratch\nUSER 1000\n",
        "d".repeat(64)
    );
    assert_eq!(all(&text), []);
}

#[test]
fn base_images_resolve_global_args() {
    assert_eq!(all("ARG TAG=latest\nFROM alpine:${TAG}\nUSER app\n"), [("CUSTOMS-DF-004", 2), ("CUSTOMS-DF-005", 2)]);
}

// ---- secrets ----

#[test]
fn secret_names_in_env_and_arg() {
    let text = "ENV DB_PASSWORD=hunter2 APP_MODE=prod\nARG GITHUB_TOKEN\nENV apiKey x\nARG AWS_SECRET_ACCESS_KEY=abc";
    assert_eq!(
        body(text),
        [("CUSTOMS-DF-006", 2), ("CUSTOMS-DF-006", 3), ("CUSTOMS-DF-006", 4), ("CUSTOMS-DF-006", 5)]
    );
}

#[test]
fn secret_values_are_detected_and_redacted() {
    let aws = "AKIAIOSFODNN7EXAMPLE";
    let github = "ghp_".to_string() + &"a1B2".repeat(9);
    let text = format!(
        "ENV UPLOAD_ID={aws}\nENV CONFIG=\"prefix {github} suffix\"\nARG KEYDATA=\"-----BEGIN RSA PRIVATE KEY-----\""
    );
    let findings = run_check(&format!("FROM {PINNED}\n{text}\nUSER app\n"));
    let got: Vec<(&str, u32, &str)> =
        findings.iter().map(|f| (f.rule, f.location.line.unwrap(), f.message.as_str())).collect();
    assert_eq!(
        got,
        [
            ("CUSTOMS-DF-006", 2, "ENV UPLOAD_ID holds what looks like an AWS access key id (value redacted)"),
            ("CUSTOMS-DF-006", 3, "ENV CONFIG holds what looks like a GitHub token (value redacted)"),
            ("CUSTOMS-DF-006", 4, "ARG KEYDATA holds what looks like a private key (value redacted)"),
        ]
    );
    let name_only = run_check(&format!("FROM {PINNED}\nENV DB_PASSWORD=hunter2\nUSER app\n"));
    assert!(!name_only[0].message.contains("hunter2"), "{}", name_only[0].message);
}

#[test]
fn harmless_names_and_secret_file_pointers_are_fine() {
    let text = "ENV PATH=/usr/local/bin:$PATH TOKENIZERS_PARALLELISM=false\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\nARG KEYBOARD=us";
    assert_eq!(body(text), []);
}

// ---- VOLUME ----

#[test]
fn sensitive_volumes() {
    let text = "VOLUME /var/run/docker.sock\nVOLUME [\"/data\", \"/etc/\"]\nVOLUME /";
    assert_eq!(body(text), [("CUSTOMS-DF-007", 2), ("CUSTOMS-DF-007", 3), ("CUSTOMS-DF-007", 4)]);
}

#[test]
fn application_volumes_are_fine() {
    assert_eq!(body("VOLUME /data /var/lib/postgresql/data\nVOLUME [\"/home/app/cache\"]"), []);
}

// ---- apt ----

#[test]
fn apt_install_without_no_install_recommends() {
    let text =
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y install curl\nRUN sudo apt install -y git";
    assert_eq!(body(text), [("CUSTOMS-DF-008", 2), ("CUSTOMS-DF-008", 3)]);
    assert_eq!(body("RUN <<EOF\nset -e\napt-get install -y curl\nEOF"), [("CUSTOMS-DF-008", 2)]);
}

#[test]
fn apt_install_with_no_install_recommends_is_fine() {
    let text = "RUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n\
RUN apt-get -o APT::Install-Recommends=false install -y git\nRUN apt-get update && apt-cache policy curl\nRUN cat <<EOF > /notes\napt-get install x\nEOF";
    assert_eq!(body(text), []);
}

// ---- curl | sh ----

#[test]
fn download_piped_into_a_shell() {
    let text = "RUN curl -fsSL https://get.example.com | sh\n\
RUN wget -qO- https://x.example/install.sh | sudo bash -s -- --yes\n\
RUN sh -c \"$(curl -fsSL https://x.example/i.sh)\"\n\
RUN bash <(wget -O- https://x.example/i.sh)\n\
RUN [\"/bin/sh\", \"-c\", \"curl https://x | /bin/bash\"]";
    assert_eq!(
        body(text),
        [
            ("CUSTOMS-DF-009", 2),
            ("CUSTOMS-DF-009", 3),
            ("CUSTOMS-DF-009", 4),
            ("CUSTOMS-DF-009", 5),
            ("CUSTOMS-DF-009", 6)
        ]
    );
    let message = &run_check(&format!("FROM {PINNED}\nRUN curl -s https://x | sh\nUSER app\n"))[0].message;
    assert_eq!(message, "RUN pipes a script downloaded with curl into a shell");
}

#[test]
fn downloads_verified_before_running_are_fine() {
    let text = "RUN curl -fsSLo i.sh https://x.example/i.sh && echo \"abc  i.sh\" | sha256sum -c - && sh i.sh\n\
RUN curl -fsSL https://x.example/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg\n\
RUN echo 'curl https://x | sh' > /docs.txt";
    assert_eq!(body(text), []);
}

#[test]
fn pipelines_split_on_operators_outside_quotes() {
    let p = pipelines("a | b && c || d; e 'f | g' & h\ni");
    let programs: Vec<Vec<&str>> = p.iter().map(|pl| pl.iter().map(|c| program(c)).collect()).collect();
    assert_eq!(programs, [vec!["a", "b"], vec!["c"], vec!["d"], vec!["e"], vec!["h"], vec!["i"]]);
}

// ---- fixture ----

#[test]
fn multi_stage_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/policy/dockerfile/multi-stage.Dockerfile");
    let text = std::fs::read_to_string(path).unwrap();
    let got: Vec<(&str, u32)> = all(&text);
    assert_eq!(
        got,
        [
            ("CUSTOMS-DF-006", 4),
            ("CUSTOMS-DF-004", 7),
            ("CUSTOMS-DF-005", 7),
            ("CUSTOMS-DF-008", 10),
            ("CUSTOMS-DF-009", 16),
            ("CUSTOMS-DF-003", 21),
            ("CUSTOMS-DF-005", 31),
            ("CUSTOMS-DF-002", 35),
            ("CUSTOMS-DF-007", 37),
            ("CUSTOMS-DF-001", 41),
        ]
    );
}
