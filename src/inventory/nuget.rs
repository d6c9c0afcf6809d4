//! NuGet `packages.lock.json` (lock file versions 1 and 2; 2 is written under Central
//! Package Management).
//!
//! The file holds one dependency graph per target: a framework (`net8.0`,
//! `.NETStandard,Version=v2.0`) or a framework plus runtime (`net8.0/linux-x64`). Each
//! entry is keyed by package id and carries its `type` and the `resolved` version.
//!
//! Decisions:
//! - The graphs repeat most packages, so a package (id compared case-insensitively, as
//!   NuGet does, plus resolved version) is reported once, at its first entry. It is
//!   direct if any target lists it as `Direct`: a package the project asks for by name
//!   in one framework is the project's choice everywhere it appears.
//! - `Transitive` and `CentralTransitive` (a transitive package whose version Central
//!   Package Management pins) are transitive. An unknown future `type` keeps the
//!   relationship unknown rather than failing the file.
//! - `Project` entries are the solution's own projects: skipped, never matched. An
//!   entry without a `resolved` version is skipped too, since no version is invented.
//! - An empty file is zero packages, like a lock file with no targets.
//!
//! serde_json does not keep offsets, so the line of each entry comes from one extra
//! pass over the (already validated) text that finds the keys of the target objects
//! ([`KeyLines`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::json_lines::{KeyLines, Object};
use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};

pub struct PackagesLockJson;

/// The root object. `version` (1 or 2) changes nothing we read, so only the targets
/// are kept.
struct Lockfile {
    dependencies: Object<Object<LockedPackage>>,
}

#[derive(Deserialize)]
struct LockedPackage {
    #[serde(rename = "type")]
    kind: Option<String>,
    resolved: Option<String>,
}

impl Extractor for PackagesLockJson {
    fn id(&self) -> &'static str {
        "dotnet/packages-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "packages.lock.json")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        if content.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let lock: Lockfile = text::json(input.path, content)?;
        let entries = lock.dependencies.0.iter().flat_map(|(_target, packages)| packages.0.iter());
        // The keys of every target object: `$.dependencies.<target>.<key>`.
        let key_lines = KeyLines::scan(content, |path| matches!(path, [root, _] if root == "dependencies"));

        let mut out = Extracted::default();
        let mut seen_packages: HashMap<(String, &str), usize> = HashMap::new();
        let mut seen_skipped: HashSet<(String, &str)> = HashSet::new();
        for (index, (name, entry)) in entries.enumerate() {
            let line = key_lines.line(index, name);
            let location = Location::new(input.path, line);
            if name.is_empty() {
                return Err(input.error(line, "package entry with an empty id"));
            }
            let relationship = match classify(entry) {
                Ok(relationship) => relationship,
                Err(reason) => {
                    if seen_skipped.insert((name.to_ascii_lowercase(), reason)) {
                        out.skipped.push(Skipped { location, declaration: name.clone(), reason: reason.into() });
                    }
                    continue;
                }
            };
            let version = entry.resolved.as_deref().unwrap_or_default();
            match seen_packages.get(&(name.to_ascii_lowercase(), version)) {
                Some(&index) if relationship == Relationship::Direct => {
                    out.packages[index].relationship = Relationship::Direct;
                }
                Some(_) => {}
                None => {
                    seen_packages.insert((name.to_ascii_lowercase(), version), out.packages.len());
                    out.packages.push(
                        Package::new(EcosystemKind::NuGet, name, version, location).with_relationship(relationship),
                    );
                }
            }
        }
        Ok(out)
    }
}

/// The relationship of a package entry, or why the entry is not a package.
fn classify(entry: &LockedPackage) -> Result<Relationship, &'static str> {
    let kind = entry.kind.as_deref().unwrap_or_default();
    if kind.eq_ignore_ascii_case("Project") {
        return Err("project reference: one of the solution's own projects, not a NuGet package");
    }
    if entry.resolved.as_deref().is_none_or(str::is_empty) {
        return Err("no resolved version");
    }
    Ok(if kind.eq_ignore_ascii_case("Direct") {
        Relationship::Direct
    } else if kind.eq_ignore_ascii_case("Transitive") || kind.eq_ignore_ascii_case("CentralTransitive") {
        Relationship::Transitive
    } else {
        Relationship::Unknown
    })
}

// Written by hand because a derived struct would also accept a JSON array, and a
// file that is not an object is not a lock file.
impl<'de> Deserialize<'de> for Lockfile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LockfileVisitor;

        impl<'de> Visitor<'de> for LockfileVisitor {
            type Value = Lockfile;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a packages.lock.json object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut dependencies = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "dependencies" {
                        map.next_value::<IgnoredAny>()?;
                    } else if dependencies.is_some() {
                        return Err(A::Error::duplicate_field("dependencies"));
                    } else {
                        dependencies = Some(map.next_value()?);
                    }
                }
                Ok(Lockfile { dependencies: dependencies.unwrap_or_default() })
            }
        }

        deserializer.deserialize_map(LockfileVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn v1_two_frameworks_and_a_runtime_graph() {
        let out = extract_fixture(&PackagesLockJson, "inventory/nuget/v1/packages.lock.json").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "NuGet|Microsoft.SourceLink.GitHub|1.1.1|pkg:nuget/Microsoft.SourceLink.GitHub@1.1.1|5|direct",
                "NuGet|NETStandard.Library|2.0.3|pkg:nuget/NETStandard.Library@2.0.3|15|direct",
                "NuGet|Newtonsoft.Json|12.0.3|pkg:nuget/Newtonsoft.Json@12.0.3|24|direct",
                "NuGet|Microsoft.Build.Tasks.Git|1.1.1|pkg:nuget/Microsoft.Build.Tasks.Git@1.1.1|30|transitive",
                "NuGet|Microsoft.NETCore.Platforms|1.1.0|pkg:nuget/Microsoft.NETCore.Platforms@1.1.0|35|transitive",
                "NuGet|Microsoft.SourceLink.Common|1.1.1|pkg:nuget/Microsoft.SourceLink.Common@1.1.1|40|transitive",
                // Transitive for netstandard2.0, asked for by name in net6.0.
                "NuGet|System.Memory|4.5.5|pkg:nuget/System.Memory@4.5.5|45|direct",
                "NuGet|System.Buffers|4.5.1|pkg:nuget/System.Buffers@4.5.1|53|transitive",
                "NuGet|Newtonsoft.Json|13.0.1|pkg:nuget/Newtonsoft.Json@13.0.1|77|direct",
                "NuGet|System.IO.Ports|6.0.0|pkg:nuget/System.IO.Ports@6.0.0|83|direct",
                "NuGet|runtime.native.System.IO.Ports|6.0.0|pkg:nuget/runtime.native.System.IO.Ports@6.0.0|108|transitive",
                "NuGet|runtime.linux-x64.runtime.native.System.IO.Ports|6.0.0|pkg:nuget/runtime.linux-x64.runtime.native.System.IO.Ports@6.0.0|131|transitive",
            ]
        );
        assert_eq!(
            skipped(&out),
            ["contoso.core|58|project reference: one of the solution's own projects, not a NuGet package"]
        );
    }

    #[test]
    fn v2_central_package_management() {
        let out = extract_fixture(&PackagesLockJson, "inventory/nuget/v2/packages.lock.json").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "NuGet|Azure.Identity|1.10.4|pkg:nuget/Azure.Identity@1.10.4|5|direct",
                "NuGet|Microsoft.DotNet.ILCompiler|8.0.0|pkg:nuget/Microsoft.DotNet.ILCompiler@8.0.0|15|direct",
                "NuGet|Microsoft.EntityFrameworkCore.SqlServer|8.0.0|pkg:nuget/Microsoft.EntityFrameworkCore.SqlServer@8.0.0|21|direct",
                "NuGet|Azure.Core|1.36.0|pkg:nuget/Azure.Core@1.36.0|30|transitive",
                "NuGet|Microsoft.Data.SqlClient.SNI.runtime|5.1.1|pkg:nuget/Microsoft.Data.SqlClient.SNI.runtime@5.1.1|38|transitive",
                "NuGet|Microsoft.Identity.Client|4.56.0|pkg:nuget/Microsoft.Identity.Client@4.56.0|43|transitive",
                "NuGet|Microsoft.Data.SqlClient|5.1.2|pkg:nuget/Microsoft.Data.SqlClient@5.1.2|54|transitive",
                "NuGet|System.Text.Json|8.0.4|pkg:nuget/System.Text.Json@8.0.4|64|transitive",
                "NuGet|runtime.win-x64.Microsoft.DotNet.ILCompiler|8.0.0|pkg:nuget/runtime.win-x64.Microsoft.DotNet.ILCompiler@8.0.0|81|direct",
            ]
        );
        assert_eq!(
            skipped(&out),
            ["contoso.domain|48|project reference: one of the solution's own projects, not a NuGet package"]
        );
    }

    #[test]
    fn ids_differing_only_in_case_are_one_package_and_unknown_types_are_kept() {
        let content = r#"{
  "version": 1,
  "dependencies": {
    "net48": {
      "log4net": { "type": "Transitive", "resolved": "2.0.15" },
      "Some.Tool": { "type": "Build", "resolved": "1.0.0" },
      "Broken": { "type": "Transitive" }
    },
    "net8.0": {
      "Log4Net": { "type": "Direct", "requested": "[2.0.15, )", "resolved": "2.0.15" }
    }
  }
}"#;
        let out = extract_str(&PackagesLockJson, "packages.lock.json", content).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "NuGet|log4net|2.0.15|pkg:nuget/log4net@2.0.15|5|direct",
                "NuGet|Some.Tool|1.0.0|pkg:nuget/Some.Tool@1.0.0|6|"
            ]
        );
        assert_eq!(skipped(&out), ["Broken|7|no resolved version"]);
    }

    #[test]
    fn lines_follow_keys_not_nested_dependency_names() {
        // "B" first appears as a key inside A's dependencies, then as its own entry;
        // escaped quotes and braces in strings do not confuse the key scan.
        let content = "{\"dependencies\":{\"t\":{\n\"A\":{\"resolved\":\"1\",\"dependencies\":{\"B\":\"2\"},\"x\":\"}{\\\"\"},\n\"B\":{\"resolved\":\"2\"}}}}";
        let out = extract_str(&PackagesLockJson, "packages.lock.json", content).unwrap();
        assert_eq!(summarize(&out.packages), ["NuGet|A|1|pkg:nuget/A@1|2|", "NuGet|B|2|pkg:nuget/B@2|3|"]);
    }

    #[test]
    fn malformed_files_are_errors_with_a_line() {
        let truncated = "{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net6.0\": {\n      \"A\": {\n";
        let err = extract_str(&PackagesLockJson, "packages.lock.json", truncated).unwrap_err();
        assert_eq!(err.line, Some(6), "{err}");
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);

        let wrong_type = "{\n  \"dependencies\": {\n    \"net6.0\": {\n      \"A\": { \"resolved\": 1 }\n    }\n  }\n}";
        let err = extract_str(&PackagesLockJson, "packages.lock.json", wrong_type).unwrap_err();
        assert_eq!(err.line, Some(4), "{err}");

        let not_an_object = "{\n  \"dependencies\": [\"net6.0\"]\n}";
        let err = extract_str(&PackagesLockJson, "packages.lock.json", not_an_object).unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");

        let err = extract_str(&PackagesLockJson, "packages.lock.json", "[]").unwrap_err();
        assert_eq!(err.line, Some(1), "{err}");

        // Two graphs under one name would make the entry lines ambiguous.
        let duplicate = "{\n  \"dependencies\": {},\n  \"dependencies\": {}\n}";
        let err = extract_str(&PackagesLockJson, "packages.lock.json", duplicate).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("duplicate field"), "{}", err.message);
    }

    #[test]
    fn binary_junk_is_an_error() {
        let input = Input::new(Path::new("packages.lock.json"), b"{\n\"version\": 1,\n\x00\xff\xfe\x89PNG");
        let err = PackagesLockJson.extract(&input).unwrap_err();
        assert_eq!(err.line, Some(3));
        let input = Input::new(Path::new("packages.lock.json"), b"\x00\x01\x02");
        assert!(PackagesLockJson.extract(&input).is_err());
    }

    #[test]
    fn empty_files_and_empty_graphs_have_no_packages() {
        for content in
            ["", "  \n", "{}", "{\"version\": 2, \"dependencies\": {}}", "{\"dependencies\": {\"net8.0\": {}}}"]
        {
            assert_eq!(extract_str(&PackagesLockJson, "packages.lock.json", content).unwrap(), Extracted::default());
        }
    }

    #[test]
    fn deeply_nested_unknown_fields_do_not_crash() {
        let nested = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let deep = format!("{{\"dependencies\":{{\"t\":{{\"A\":{{\"x\":{nested},\"resolved\":\"1\"}}}}}}}}");
        let out = extract_str(&PackagesLockJson, "packages.lock.json", &deep).unwrap();
        assert_eq!(summarize(&out.packages), ["NuGet|A|1|pkg:nuget/A@1|1|"]);
    }

    #[test]
    fn wants_only_the_canonical_name() {
        assert!(PackagesLockJson.wants(Path::new("src/App/packages.lock.json")));
        assert!(!PackagesLockJson.wants(Path::new("src/App/obj/project.assets.json")));
        assert!(!PackagesLockJson.wants(Path::new("package-lock.json")));
    }
}
