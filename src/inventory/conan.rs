//! `conan.lock`, the lockfile of the Conan C/C++ package manager.
//!
//! Two unrelated shapes share the name:
//!
//! - Conan 2 (lockfile version 0.5): flat lists of references, `requires`,
//!   `build_requires`, `python_requires` and `config_requires`. The lists say nothing
//!   about the graph, so relationship stays unknown. Only `requires` end up in the
//!   product; the others (tools, recipe base classes, configuration) are marked dev.
//! - Conan 1 (0.2 to 0.4): `graph_lock.nodes`, a graph keyed by node id. 0.4 names each
//!   node's recipe in `ref` and its context (`host`/`build`); 0.2 and 0.3 in `pref`, a
//!   package reference with the binary id after `:`. The roots are the nodes no other
//!   node requires; a root with a `path` is the project's own conanfile (not a
//!   package: skipped when it has a name, silent for a nameless conanfile.txt), a root
//!   without one was asked for by `conan lock create --reference` and is direct. The
//!   root's `requires` and `build_requires` are direct. A package is dev unless it
//!   is reached from a root through `requires` edges alone: build requirements and
//!   their dependencies are dev, and so is anything in the `build` context.
//!   `python_requires` are dev and listed once.
//!
//! A reference `name/version[@user[/channel]][#rrev[%time]][:package_id[#prev]]`
//! becomes `pkg:conan/name@version` with `user`, `channel` and `rrev` qualifiers. A
//! version range or a reference that does not parse is skipped.
//!
//! Lines come from where serde_json found each reference string: it lends strings
//! without escapes straight from the document, so their offset is known exactly.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;

use serde::Deserialize;

use super::json_lines::Located;
use super::text::{self, LineIndex};
use super::{ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};

pub struct ConanLock;

#[derive(Deserialize)]
struct Lockfile<'a> {
    #[serde(borrow)]
    graph_lock: Option<GraphLock<'a>>,
    #[serde(borrow, default)]
    requires: Vec<Located<'a>>,
    #[serde(borrow, default)]
    build_requires: Vec<Located<'a>>,
    #[serde(borrow, default)]
    python_requires: Vec<Located<'a>>,
    #[serde(borrow, default)]
    config_requires: Vec<Located<'a>>,
}

#[derive(Deserialize)]
struct GraphLock<'a> {
    #[serde(borrow, default)]
    nodes: BTreeMap<String, Node<'a>>,
}

#[derive(Deserialize)]
struct Node<'a> {
    /// Lockfile 0.4: the recipe reference.
    #[serde(borrow, rename = "ref")]
    reference: Option<Located<'a>>,
    /// Lockfiles 0.2 and 0.3: the package reference (recipe, then `:package_id`).
    #[serde(borrow)]
    pref: Option<Located<'a>>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    build_requires: Vec<String>,
    #[serde(borrow, default)]
    python_requires: Vec<Located<'a>>,
    /// Set on the consumer: the conanfile the lockfile was made for.
    path: Option<String>,
    context: Option<String>,
}

impl Extractor for ConanLock {
    fn id(&self) -> &'static str {
        "cpp/conan-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "conan.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        if content.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let lock: Lockfile = text::json(input.path, content)?;
        let refs = References { input, content, lines: LineIndex::new(content) };
        let mut out = Extracted::default();
        match &lock.graph_lock {
            Some(graph) => read_graph(&refs, graph, &mut out),
            None => read_lists(&refs, &lock, &mut out),
        }
        // Packages in file order, whichever list or node they came from.
        out.packages.sort_by_key(|p| p.location.line.unwrap_or(u32::MAX));
        out.skipped.sort_by_key(|s| s.location.line.unwrap_or(u32::MAX));
        Ok(out)
    }
}

/// Conan 2: four flat lists.
fn read_lists(refs: &References<'_>, lock: &Lockfile<'_>, out: &mut Extracted) {
    for reference in &lock.requires {
        refs.add(out, reference, Relationship::Unknown, false);
    }
    for reference in lock.build_requires.iter().chain(&lock.python_requires).chain(&lock.config_requires) {
        refs.add(out, reference, Relationship::Unknown, true);
    }
}

/// Conan 1: the node graph.
fn read_graph(refs: &References<'_>, graph: &GraphLock<'_>, out: &mut Extracted) {
    let nodes = &graph.nodes;
    let roots = roots(nodes);
    let host = reachable_through_requires(nodes, &roots);
    let direct = direct_nodes(nodes, &roots);
    for (id, node) in nodes {
        let reference = node.reference.as_ref().or(node.pref.as_ref());
        if node.path.is_some() {
            if let Some(reference) = reference {
                out.skipped.push(Skipped {
                    location: refs.location(reference),
                    declaration: reference.value.to_string(),
                    reason: "the project's own conanfile (the lockfile's consumer)".into(),
                });
            }
            continue;
        }
        let Some(reference) = reference else {
            out.skipped.push(Skipped {
                location: Location::new(refs.input.path, None),
                declaration: format!("graph_lock node {id}"),
                reason: "node without a reference".into(),
            });
            continue;
        };
        let relationship = if direct.contains(id.as_str()) { Relationship::Direct } else { Relationship::Transitive };
        let dev = node.context.as_deref() == Some("build") || !host.contains(id.as_str());
        refs.add(out, reference, relationship, dev);
    }
    add_python_requires(refs, nodes, out);
}

/// The nodes no other node requires: the consumer, or what `--reference` asked for.
fn roots<'n>(nodes: &'n BTreeMap<String, Node<'_>>) -> Vec<&'n str> {
    let required: HashSet<&str> =
        nodes.values().flat_map(|n| n.requires.iter().chain(&n.build_requires)).map(String::as_str).collect();
    nodes.keys().map(String::as_str).filter(|id| !required.contains(id)).collect()
}

/// What the consumer requires (to run or to build), and roots that are packages themselves.
fn direct_nodes<'n>(nodes: &'n BTreeMap<String, Node<'_>>, roots: &[&'n str]) -> HashSet<&'n str> {
    let mut direct = HashSet::new();
    for (id, root) in roots.iter().filter_map(|id| Some((*id, nodes.get(*id)?))) {
        if root.path.is_some() {
            direct.extend(root.requires.iter().chain(&root.build_requires).map(String::as_str));
        } else {
            direct.insert(id);
        }
    }
    direct
}

/// Recipe base classes, each listed once: direct when the consumer uses them.
fn add_python_requires(refs: &References<'_>, nodes: &BTreeMap<String, Node<'_>>, out: &mut Extracted) {
    let mut seen = HashSet::new();
    for node in nodes.values() {
        let relationship = if node.path.is_some() { Relationship::Direct } else { Relationship::Transitive };
        for reference in &node.python_requires {
            if seen.insert(reference.value.as_ref()) {
                refs.add(out, reference, relationship, true);
            }
        }
    }
}

/// The nodes reached from `roots` through `requires` edges only (not `build_requires`).
fn reachable_through_requires<'n>(nodes: &'n BTreeMap<String, Node<'_>>, roots: &[&'n str]) -> HashSet<&'n str> {
    let mut seen: HashSet<&str> = roots.iter().copied().collect();
    let mut queue: VecDeque<&str> = roots.iter().copied().collect();
    while let Some(id) = queue.pop_front() {
        for next in nodes.get(id).into_iter().flat_map(|n| &n.requires) {
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// Turns reference strings into packages, with their locations.
struct References<'a> {
    input: &'a Input<'a>,
    content: &'a str,
    lines: LineIndex,
}

impl References<'_> {
    fn location(&self, reference: &Located<'_>) -> Location {
        Location::new(self.input.path, reference.line(self.content, &self.lines))
    }

    fn add(&self, out: &mut Extracted, reference: &Located<'_>, relationship: Relationship, dev: bool) {
        let location = self.location(reference);
        let Some(parsed) = Reference::parse(&reference.value) else {
            out.skipped.push(Skipped {
                location,
                declaration: reference.value.to_string(),
                reason: "not an exact name/version reference".into(),
            });
            return;
        };
        let mut package = Package::new(EcosystemKind::ConanCenter, parsed.name, parsed.version, location)
            .with_relationship(relationship)
            .with_dev(dev);
        for (key, value) in [("user", parsed.user), ("channel", parsed.channel), ("rrev", parsed.revision)] {
            if let Some(value) = value {
                package.purl = package.purl.with_qualifier(key, value);
            }
        }
        out.packages.push(package);
    }
}

/// The parts of `name/version[@user[/channel]][#rrev[%timestamp]][:package_id[#prev]]`.
#[derive(Debug, PartialEq, Eq)]
struct Reference<'r> {
    name: &'r str,
    version: &'r str,
    user: Option<&'r str>,
    channel: Option<&'r str>,
    revision: Option<&'r str>,
}

impl<'r> Reference<'r> {
    /// `None` unless the reference names one exact version.
    fn parse(reference: &'r str) -> Option<Reference<'r>> {
        // Package ids and revisions are hex, so the first ':' starts the binary part.
        let recipe = reference.split(':').next()?;
        let (recipe, revision) = match recipe.split_once('#') {
            Some((recipe, revision)) => (recipe, revision.split('%').next().filter(|r| !r.is_empty())),
            None => (recipe, None),
        };
        let (name_version, user_channel) = match recipe.split_once('@') {
            Some((nv, uc)) => (nv, Some(uc)),
            None => (recipe, None),
        };
        let (name, version) = name_version.split_once('/')?;
        let exact = |part: &str| !part.is_empty() && !part.contains(['/', '[', ']', ' ', '*']);
        if !exact(name) || !exact(version) {
            return None;
        }
        // Conan 1 writes a missing user or channel as "_".
        let present = |part: &'r str| Some(part).filter(|p| !p.is_empty() && *p != "_");
        let (user, channel) = match user_channel.map(|uc| uc.split_once('/').unwrap_or((uc, ""))) {
            Some((user, channel)) => (present(user), present(channel)),
            None => (None, None),
        };
        Some(Reference { name, version, user, channel, revision })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn conan2_lists_with_user_channel_and_revisions() {
        let out = extract_fixture(&ConanLock, "inventory/conan/v2/conan.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "ConanCenter|zlib|1.3.1|pkg:conan/zlib@1.3.1?rrev=f52e03ae3d251dec704634230cd806a2|4|",
                "ConanCenter|openssl|3.2.1|pkg:conan/openssl@3.2.1?rrev=3b9e6c9d8a8e4c6f0f64e5d2b1c6a7e8|5|",
                "ConanCenter|fmt|10.2.1|pkg:conan/fmt@10.2.1?rrev=9199a7a0611866dea5c8849a77467b25|6|",
                "ConanCenter|boost|1.84.0|pkg:conan/boost@1.84.0?rrev=4e47c4e8bc44e1bd8e0b5ea7f5ad2f54|7|",
                "ConanCenter|acme-core|2.4.0|pkg:conan/acme-core@2.4.0?channel=stable&rrev=3c2a1b0f9e8d7c6b5a4f3e2d1c0b9a8f&user=acme|8|",
                "ConanCenter|cmake|3.28.1|pkg:conan/cmake@3.28.1?rrev=92f79424d7b65b12a84a2180866c3a78|11|dev",
                "ConanCenter|b2|5.2.1|pkg:conan/b2@5.2.1?rrev=91bc73931a0acb655947a81569ed8b80|12|dev",
                "ConanCenter|acme-recipes|1.0.0|pkg:conan/acme-recipes@1.0.0?channel=stable&rrev=0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a&user=acme|15|dev",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn conan1_lockfile_0_4_graph_with_build_context_and_python_requires() {
        let out = extract_fixture(&ConanLock, "inventory/conan/v1-0.4/conan.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "ConanCenter|acme-base|1.2.0|pkg:conan/acme-base@1.2.0?channel=stable&rrev=7f1c2a9e5b3d4c6e8a0f1b2d3c4e5f6a&user=acme|8|direct,dev",
                "ConanCenter|openssl|1.1.1k|pkg:conan/openssl@1.1.1k?rrev=ad4d1ba8e3ba9e0a6a2a7b4e7b2ff6b1|21|direct",
                "ConanCenter|fmt|8.0.1|pkg:conan/fmt@8.0.1?rrev=cf8a8ee1f5b6d2db8c0c9a3b2a1e4f77|31|direct",
                "ConanCenter|zlib|1.2.11|pkg:conan/zlib@1.2.11?rrev=683857dbd5377d65f26795d4023858f9|38|transitive",
                "ConanCenter|cmake|3.21.3|pkg:conan/cmake@3.21.3?rrev=1a4c5b7b0e2d3f4a5b6c7d8e9f0a1b2c|45|direct,dev",
                "ConanCenter|openssl|1.1.1k|pkg:conan/openssl@1.1.1k?rrev=ad4d1ba8e3ba9e0a6a2a7b4e7b2ff6b1|55|transitive,dev",
            ]
        );
        assert_eq!(skipped(&out), ["myapp/1.0|5|the project's own conanfile (the lockfile's consumer)"]);
        assert_eq!(out.skipped[0].location.path, "inventory/conan/v1-0.4/conan.lock");
    }

    #[test]
    fn conan1_lockfile_0_3_graph_with_package_references_and_a_conanfile_txt() {
        let out = extract_fixture(&ConanLock, "inventory/conan/v1-0.3/conan.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "ConanCenter|poco|1.9.4|pkg:conan/poco@1.9.4?channel=stable&user=pocoproject|18|direct",
                "ConanCenter|zlib|1.2.11|pkg:conan/zlib@1.2.11?channel=stable&user=conan|26|direct",
                "ConanCenter|openssl|1.0.2t|pkg:conan/openssl@1.0.2t?channel=stable&user=conan|30|transitive",
                "ConanCenter|cmake_installer|3.16.3|pkg:conan/cmake_installer@3.16.3?channel=stable&user=conan|37|direct,dev",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn lock_created_for_a_reference_has_the_reference_as_direct_root() {
        let lock = r#"{
 "graph_lock": {
  "nodes": {
   "1": {"ref": "zlib/1.2.13#97d5730b529b4224045fe7090592d4c1", "context": "host"},
   "2": {"ref": "libpng/1.6.40", "requires": ["1"], "context": "host"},
   "3": {"pref": null}
  }
 },
 "version": "0.4"
}"#;
        let out = extract_str(&ConanLock, "conan.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "ConanCenter|zlib|1.2.13|pkg:conan/zlib@1.2.13?rrev=97d5730b529b4224045fe7090592d4c1|4|transitive",
                "ConanCenter|libpng|1.6.40|pkg:conan/libpng@1.6.40|5|direct",
            ]
        );
        assert_eq!(skipped(&out), ["graph_lock node 3|-|node without a reference"]);
    }

    #[test]
    fn references_parse_into_their_parts() {
        let parse = Reference::parse;
        let exact = |name, version| Reference { name, version, user: None, channel: None, revision: None };
        assert_eq!(parse("zlib/1.2.13"), Some(exact("zlib", "1.2.13")));
        assert_eq!(parse("zlib/1.2.13@_/_:abc#def"), Some(exact("zlib", "1.2.13")));
        assert_eq!(
            parse("poco/1.9.4@pocoproject/stable#0%123.4:pkgid#prev"),
            Some(Reference {
                user: Some("pocoproject"),
                channel: Some("stable"),
                revision: Some("0"),
                ..exact("poco", "1.9.4")
            })
        );
        assert_eq!(parse("lib/1.0@user"), Some(Reference { user: Some("user"), ..exact("lib", "1.0") }));
        assert_eq!(parse("lib/1.0#%5"), Some(exact("lib", "1.0")));
        for not_exact in ["zlib", "zlib/", "/1.0", "zlib/[>=1.2 <2]", "a/b/c", "", "conanfile.txt", "zlib/1.*"] {
            assert_eq!(parse(not_exact), None, "{not_exact}");
        }
    }

    #[test]
    fn unparseable_references_are_skipped_not_dropped() {
        let lock = "{\n \"version\": \"0.5\",\n \"requires\": [\n  \"zlib/[>=1.2 <2]\",\n  \"fmt/10.0.0\"\n ]\n}";
        let out = extract_str(&ConanLock, "conan.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["ConanCenter|fmt|10.0.0|pkg:conan/fmt@10.0.0|5|"]);
        assert_eq!(skipped(&out), ["zlib/[>=1.2 <2]|4|not an exact name/version reference"]);
    }

    #[test]
    fn escaped_strings_are_kept_without_a_line() {
        let lock = "{\"requires\": [\"zlib\\/1.2.13\", \"fmt/10.0.0\"]}";
        let out = extract_str(&ConanLock, "conan.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["ConanCenter|fmt|10.0.0|pkg:conan/fmt@10.0.0|1|", "ConanCenter|zlib|1.2.13|pkg:conan/zlib@1.2.13|-|"]
        );
    }

    #[test]
    fn wants_only_the_canonical_name() {
        assert!(ConanLock.wants(Path::new("build/conan.lock")));
        assert!(!ConanLock.wants(Path::new("conanfile.txt")));
        assert!(!ConanLock.wants(Path::new("conan.lock.json")));
    }

    #[test]
    fn empty_documents_have_no_packages() {
        for lock in ["", " \n", "{}", "{\"version\": \"0.5\", \"requires\": []}", "{\"graph_lock\": {\"nodes\": {}}}"] {
            assert_eq!(extract_str(&ConanLock, "conan.lock", lock).unwrap(), Extracted::default(), "{lock:?}");
        }
    }

    #[test]
    fn truncated_file_names_the_line() {
        let err = extract_str(&ConanLock, "conan.lock", "{\n \"version\": \"0.5\",\n \"requires\": [\n  \"zlib/1.2")
            .unwrap_err();
        assert_eq!((err.path.as_str(), err.line), ("conan.lock", Some(4)));
        assert!(err.message.starts_with("invalid JSON: EOF while parsing"), "{err}");
    }

    #[test]
    fn wrong_types_are_errors() {
        let cases = [
            ("{\n \"requires\": \"zlib/1.2.13\"\n}", 2, "expected a sequence"),
            ("{\n \"requires\": [\n  42\n ]\n}", 3, "expected a string"),
            ("{\n \"graph_lock\": {\"nodes\": [\"0\"]}\n}", 2, "expected a map"),
            (
                "{\n \"graph_lock\": {\"nodes\": {\"1\": {\"ref\": \"a/1\", \"requires\": [1]}}}\n}",
                2,
                "expected a string",
            ),
            ("[\"zlib/1.2.13\"]", 1, "invalid type: string \"zlib/1.2.13\""),
            ("\"conan.lock\"", 1, "expected struct Lockfile"),
        ];
        for (lock, line, message) in cases {
            let err = extract_str(&ConanLock, "conan.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock:?}: {err}");
            assert!(err.message.contains(message), "{lock:?}: {err}");
        }
    }

    #[test]
    fn binary_junk_and_deep_nesting_are_errors() {
        let err =
            ConanLock.extract(&Input::new(Path::new("conan.lock"), b"{\n\"requires\": [\"\xff\xfe\"]}")).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(extract_str(&ConanLock, "conan.lock", "\u{0}\u{1}\u{2}").is_err());
        // Typed fields are flat, so deep nesting fails at once inside them; inside unknown
        // fields serde_json skips it without recursion. Neither can overflow the stack.
        let unbalanced = format!("{{\"x\": {}", "[".repeat(100_000));
        let err = extract_str(&ConanLock, "conan.lock", &unbalanced).unwrap_err();
        assert!(err.message.contains("EOF while parsing"), "{err}");
        let deep_requires = format!("{{\"requires\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let err = extract_str(&ConanLock, "conan.lock", &deep_requires).unwrap_err();
        assert!(err.message.contains("expected a string"), "{err}");
        let deep_unknown = format!("{{\"x\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(extract_str(&ConanLock, "conan.lock", &deep_unknown).unwrap(), Extracted::default());
    }

    #[test]
    fn cyclic_graphs_terminate() {
        let lock = r#"{"graph_lock": {"nodes": {
            "0": {"path": "conanfile.txt", "requires": ["1"]},
            "1": {"ref": "a/1.0", "requires": ["2"]},
            "2": {"ref": "b/1.0", "requires": ["1", "9"]}
        }}}"#;
        let out = extract_str(&ConanLock, "conan.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["ConanCenter|a|1.0|pkg:conan/a@1.0|3|direct", "ConanCenter|b|1.0|pkg:conan/b@1.0|4|transitive"]
        );
    }
}
