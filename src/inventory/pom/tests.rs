use super::*;
use crate::inventory::testing::{extract_fixture, extract_str, fixture_text, skipped, summarize};

/// A POM with the Maven namespace around the given `<project>` content.
fn pom(body: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n{body}</project>\n")
}

#[test]
fn namespaced_pom_with_properties_management_scopes_and_qualifiers() {
    let out = extract_fixture(&PomXml, "inventory/pom/spring-service/pom.xml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Maven|com.fasterxml.jackson.core:jackson-databind|2.15.3|pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.3|54|direct",
            "Maven|io.netty:netty-handler|4.1.100.Final|pkg:maven/io.netty/netty-handler@4.1.100.Final|59|direct",
            "Maven|com.example.orders:order-api|2.4.1|pkg:maven/com.example.orders/order-api@2.4.1|63|direct",
            "Maven|jakarta.servlet:jakarta.servlet-api|6.0.0|pkg:maven/jakarta.servlet/jakarta.servlet-api@6.0.0|68|direct",
            "Maven|org.xerial.snappy:snappy-java|1.1.10.5|pkg:maven/org.xerial.snappy/snappy-java@1.1.10.5|74|direct,optional",
            "Maven|io.netty:netty-transport-native-epoll|4.1.100.Final|pkg:maven/io.netty/netty-transport-native-epoll@4.1.100.Final?classifier=linux-x86_64|80|direct",
            "Maven|com.example.orders:order-model|2.4.1|pkg:maven/com.example.orders/order-model@2.4.1?type=test-jar|86|direct,dev",
            "Maven|org.junit.jupiter:junit-jupiter|5.10.1|pkg:maven/org.junit.jupiter/junit-jupiter@5.10.1|93|direct,dev",
            "Maven|org.mockito:mockito-core|5.7.0|pkg:maven/org.mockito/mockito-core@5.7.0|97|direct,dev",
        ]
    );
    assert_eq!(skipped(&out), [format!("org.springframework.boot:spring-boot-starter-web|50|{MISSING_VERSION}")]);
    assert_eq!(out.packages[0].location.path, "inventory/pom/spring-service/pom.xml");
}

#[test]
fn pom_without_namespace_inheriting_from_its_parent() {
    let out = extract_fixture(&PomXml, "inventory/pom/no-namespace/pom.xml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Maven|org.acme.platform:platform-core|7.3.0|pkg:maven/org.acme.platform/platform-core@7.3.0|21|direct",
            "Maven|org.acme.platform:platform-i18n|7.3.0|pkg:maven/org.acme.platform/platform-i18n@7.3.0|26|direct",
            "Maven|org.apache.logging.log4j:log4j-core|2.17.1|pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1|31|direct",
            "Maven|commons-io:commons-io|2.11.0|pkg:maven/commons-io/commons-io@2.11.0|41|direct",
            "Maven|org.yaml:snakeyaml|1.33|pkg:maven/org.yaml/snakeyaml@1.33|67|direct,optional",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            "org.apache.commons:commons-lang3:${commons.version}|36|version range [3.12,4.0), not an exact version",
            "org.slf4j:slf4j-api:${slf4j.version}|46|property ${slf4j.version} is not defined in this file (a parent POM, settings or the command line may set it)",
            "com.oracle.database.jdbc:ojdbc8:19.3.0.0|51|system scope: a jar on the local disk, not a repository artifact",
            &format!("org.acme.platform:platform-test-support|58|{MISSING_VERSION}"),
            "xml-apis:xml-apis:LATEST|62|LATEST is chosen at build time, not an exact version",
        ]
    );
}

#[test]
fn profiles_add_dependencies_with_their_own_properties_and_management() {
    let out = extract_fixture(&PomXml, "inventory/pom/profiles/pom.xml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Maven|com.mysql:mysql-connector-j|8.0.33|pkg:maven/com.mysql/mysql-connector-j@8.0.33|20|direct",
            "Maven|io.github.example:storage-spi|1.8.0-SNAPSHOT|pkg:maven/io.github.example/storage-spi@1.8.0-SNAPSHOT|25|direct",
            "Maven|org.postgresql:postgresql|42.6.0|pkg:maven/org.postgresql/postgresql@42.6.0|54|direct",
            "Maven|org.testcontainers:postgresql|1.19.3|pkg:maven/org.testcontainers/postgresql@1.19.3|59|direct,dev",
            "Maven|com.github.luben:zstd-jni|1.5.5-10|pkg:maven/com.github.luben/zstd-jni@1.5.5-10?classifier=linux_amd64|73|direct,optional",
        ]
    );
    assert_eq!(skipped(&out), ["org.example:looping:${a}|30|property ${a} refers back to itself"]);
}

#[test]
fn wants_only_pom_xml() {
    assert!(PomXml.wants(Path::new("service/pom.xml")));
    assert!(!PomXml.wants(Path::new("service/pom.xml.orig")));
    assert!(!PomXml.wants(Path::new("service/.flattened-pom.xml")));
    assert!(!PomXml.wants(Path::new("META-INF/maven/g/a/pom.properties")));
}

#[test]
fn management_matches_on_type_and_classifier_too() {
    let body = "  <dependencyManagement><dependencies>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><version>1.0</version><classifier>tests</classifier></dependency>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><version>2.0</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><classifier>tests</classifier></dependency>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><type>pom</type></dependency>
    <dependency><groupId>g</groupId><artifactId>a</artifactId></dependency>
  </dependencies>
";
    let out = extract_str(&PomXml, "pom.xml", &pom(body)).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["Maven|g:a|1.0|pkg:maven/g/a@1.0?classifier=tests|8|direct", "Maven|g:a|2.0|pkg:maven/g/a@2.0|10|direct"]
    );
    assert_eq!(skipped(&out), [format!("g:a|9|{MISSING_VERSION}")]);
}

#[test]
fn profiles_before_dependencies_keep_file_order() {
    let body = "  <profiles><profile><id>p</id><dependencies>
    <dependency><groupId>p</groupId><artifactId>first</artifactId><version>1</version></dependency>
  </dependencies></profile></profiles>
  <dependencies>
    <dependency><groupId>m</groupId><artifactId>second</artifactId><version>2</version></dependency>
  </dependencies>
";
    let out = extract_str(&PomXml, "pom.xml", &pom(body)).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["Maven|p:first|1|pkg:maven/p/first@1|4|direct", "Maven|m:second|2|pkg:maven/m/second@2|7|direct"]
    );
}

#[test]
fn other_namespaces_and_maven_4_poms() {
    // Elements of another namespace are not the POM's; the Maven 4.1 namespace is.
    let content = r#"<project xmlns="http://maven.apache.org/POM/4.1.0" xmlns:x="urn:example">
  <x:dependencies><x:dependency><groupId>x</groupId><artifactId>x</artifactId><version>1</version></x:dependency></x:dependencies>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><version>4</version><x:version>5</x:version></dependency>
  </dependencies>
</project>"#;
    let out = extract_str(&PomXml, "pom.xml", content).unwrap();
    assert_eq!(summarize(&out.packages), ["Maven|g:a|4|pkg:maven/g/a@4|4|direct"]);
}

#[test]
fn missing_coordinates_and_odd_versions_are_skipped() {
    let body = "  <dependencies>
    <dependency><artifactId>no-group</artifactId><version>1</version></dependency>
    <dependency><groupId>g</groupId><version>1</version></dependency>
    <dependency><groupId>g</groupId><artifactId>empty-version</artifactId><version></version></dependency>
    <dependency><groupId>g</groupId><artifactId>open</artifactId><version>(,1.0]</version></dependency>
    <dependency><groupId>g</groupId><artifactId>unclosed</artifactId><version>${x</version></dependency>
    <dependency><groupId>g</groupId><artifactId>cdata</artifactId><version><![CDATA[3.0]]><!-- pinned --></version></dependency>
  </dependencies>
";
    let out = extract_str(&PomXml, "pom.xml", &pom(body)).unwrap();
    assert_eq!(summarize(&out.packages), ["Maven|g:cdata|3.0|pkg:maven/g/cdata@3.0|9|direct"]);
    assert_eq!(
        skipped(&out),
        [
            ":no-group:1|4|no <groupId>",
            "g::1|5|no <artifactId>",
            &format!("g:empty-version|6|{MISSING_VERSION}"),
            "g:open:(,1.0]|7|version range (,1.0], not an exact version",
            "g:unclosed:${x|8|unclosed ${ in \"${x\"",
        ]
    );
}

#[test]
fn property_bombs_and_long_chains_are_skipped_quickly() {
    // Each level doubles the expansion: without memoisation and a length cap this is 2^30.
    let mut properties = String::from("<p0>xxxxxxxx</p0>");
    for i in 1..=30 {
        properties.push_str(&format!("<p{i}>${{p{}}}${{p{}}}</p{i}>", i - 1, i - 1));
    }
    // A chain longer than the depth limit.
    for i in 0..100 {
        properties.push_str(&format!("<c{i}>${{c{}}}</c{i}>", i + 1));
    }
    properties.push_str("<c100>1.0</c100>");
    let body = format!(
        "<properties>{properties}</properties>
<dependencies>
<dependency><groupId>g</groupId><artifactId>bomb</artifactId><version>${{p30}}</version></dependency>
<dependency><groupId>g</groupId><artifactId>chain</artifactId><version>${{c0}}</version></dependency>
<dependency><groupId>g</groupId><artifactId>short-chain</artifactId><version>${{c90}}</version></dependency>
</dependencies>
"
    );
    let out = extract_str(&PomXml, "pom.xml", &pom(&body)).unwrap();
    assert_eq!(summarize(&out.packages), ["Maven|g:short-chain|1.0|pkg:maven/g/short-chain@1.0|7|direct"]);
    let reasons: Vec<_> = out.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons, ["property expansion too long", "properties nested too deeply"]);
}

#[test]
fn project_version_may_itself_use_properties_but_not_itself() {
    let body = "  <version>${project.version}</version>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><version>${project.version}</version></dependency>
  </dependencies>
";
    let out = extract_str(&PomXml, "pom.xml", &pom(body)).unwrap();
    assert_eq!(skipped(&out), ["g:a:${project.version}|5|property ${project.version} refers back to itself"]);
}

#[test]
fn truncated_pom_names_the_last_line() {
    let full = fixture_text("inventory/pom/profiles/pom.xml");
    // Cut before <profiles>: the last text is the </dependencies> of line 35.
    let cut = &full[..full.find("    <profiles>").unwrap()];
    let err = extract_str(&PomXml, "pom.xml", cut).unwrap_err();
    assert_eq!(err.line, Some(35), "{err}");
    assert!(err.message.starts_with("invalid XML"), "{}", err.message);
}

#[test]
fn unclosed_root_names_the_last_line_of_text() {
    let err = extract_str(&PomXml, "pom.xml", "<project>\n  <dependencies>\n\n\n").unwrap_err();
    assert_eq!(err.line, Some(2), "{err}");
}

#[test]
fn mismatched_tags_name_their_line() {
    let err =
        extract_str(&PomXml, "pom.xml", "<project>\n  <dependencies>\n  </dependency>\n</project>\n").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
}

#[test]
fn elements_where_text_belongs_are_errors() {
    let body = "  <dependencies>
    <dependency>
      <groupId>g</groupId><artifactId>a</artifactId>
      <version><major>1</major></version>
    </dependency>
  </dependencies>
";
    let err = extract_str(&PomXml, "pom.xml", &pom(body)).unwrap_err();
    assert_eq!(err.line, Some(6), "{err}");
    assert!(err.message.contains("<version> should hold text"), "{}", err.message);
}

#[test]
fn other_xml_documents_are_not_poms() {
    let err = extract_str(&PomXml, "pom.xml", "<?xml version=\"1.0\"?>\n<settings>\n</settings>\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("not a Maven POM"), "{}", err.message);
}

#[test]
fn dtd_entity_bombs_are_refused() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE project [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<project><properties><v>&c;</v></properties></project>
"#;
    let err = extract_str(&PomXml, "pom.xml", bomb).unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("DTD"), "{}", err.message);
}

#[test]
fn binary_junk_is_an_error_and_latin1_poms_are_read() {
    let junk = Input::new(Path::new("pom.xml"), b"<project>\n\x89PNG\r\n\x1a\n\x00\x00\xff");
    let err = PomXml.extract(&junk).unwrap_err();
    assert_eq!(err.line, Some(2));

    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<project>\n<name>Caf\xe9</name>\n<dependencies>\n<dependency><groupId>g</groupId><artifactId>a</artifactId><version>1</version></dependency>\n</dependencies>\n</project>\n";
    let out = PomXml.extract(&Input::new(Path::new("pom.xml"), latin1)).unwrap();
    assert_eq!(summarize(&out.packages), ["Maven|g:a|1|pkg:maven/g/a@1|5|direct"]);
}

#[test]
fn deeply_nested_elements_do_not_crash() {
    let depth = 100_000;
    let content = format!("<project>{}{}</project>", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(extract_str(&PomXml, "pom.xml", &content).unwrap(), Extracted::default());
}

#[test]
fn empty_files_and_poms_without_dependencies_have_no_packages() {
    for content in ["", " \n", "<project/>", &pom("  <modelVersion>4.0.0</modelVersion>\n")] {
        assert_eq!(extract_str(&PomXml, "pom.xml", content).unwrap(), Extracted::default(), "{content:?}");
    }
}
