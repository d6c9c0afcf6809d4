//! Maven `pom.xml`: the dependencies a project declares.
//!
//! A POM is a manifest, not a lock file, and is read without the network: no parent
//! POM, no imported BOM and no transitive dependency is fetched. What the file alone
//! pins is reported; everything else is skipped with the reason, never guessed.
//!
//! Decisions:
//! - Packages are the `<dependency>` entries of `<project><dependencies>` and of every
//!   `<profile><dependencies>`: which profiles a build activates is unknowable here, and
//!   a dependency a profile adds is still part of the project. Inside a profile its own
//!   `<properties>` and `<dependencyManagement>` take precedence over the project's.
//!   Plugins, plugin dependencies, extensions and the `<parent>` are not packages.
//! - All of them are direct: the POM names them. `test` scope is dev. `provided` is not
//!   dev: the container supplies that jar at run time, so its flaws ship. `system`
//!   scope points at a local jar, not a repository artifact, and is skipped.
//! - Versions, and every other coordinate, may use `${…}`: the file's `<properties>`
//!   (nested, with cycle and depth limits), `${project.version}` / `${pom.version}` /
//!   `${version}` (the project's `<version>`, else the parent's), `${project.groupId}`,
//!   `${project.artifactId}` and `${project.parent.*}`. Anything else (`${env.…}`,
//!   properties set by a parent or on the command line) is skipped as unresolved.
//! - A `<dependency>` without a version takes it, and its scope and optional flag when
//!   unset, from the file's `<dependencyManagement>` (matched on group, artifact, type
//!   and classifier, as Maven does); `<dependencyManagement>` entries alone are not
//!   packages. Still no version means a parent or a BOM manages it: skipped.
//! - A version range is skipped, except `[1.2.3]`, Maven's notation for exactly 1.2.3.
//!   `LATEST` and `RELEASE` are skipped: the build picks them.
//! - The purl carries `type` when it is not `jar`, and `classifier`.
//! - The line is the one of the `<dependency>` element, where the declaration starts.
//! - DTDs are refused (roxmltree's default), so entity-expansion bombs are errors.
//!   Older POMs declared `encoding="ISO-8859-1"`; they are decoded as Latin-1.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use roxmltree::{Document, Node};

use super::text::{self, LineIndex};
use super::{ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};

pub struct PomXml;

/// How many properties deep a `${…}` chain may go before it is refused.
const MAX_PROPERTY_DEPTH: usize = 32;
/// The longest value a `${…}` expansion may produce; real coordinates are far shorter,
/// and the cap keeps `<a>${b}${b}</a><b>${c}${c}</b>…` from growing exponentially.
const MAX_EXPANDED_LEN: usize = 4096;

const MISSING_VERSION: &str =
    "no version: it is managed by a parent POM or an imported BOM, which are not read without the network";

impl Extractor for PomXml {
    fn id(&self) -> &'static str {
        "java/pom-xml"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "pom.xml")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = pom_text(input)?;
        if content.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let document = Document::parse(&content).map_err(|e| xml_error(input, &content, &e))?;
        let lines = LineIndex::new(&content);
        let root = document.root_element();
        if root.tag_name().name() != "project" {
            let line = lines.line(root.range().start);
            let message = format!("not a Maven POM: the root element is <{}>", root.tag_name().name());
            return Err(input.error(Some(line), message));
        }
        Pom { input, lines: &lines, namespace: root.tag_name().namespace() }.extract(root)
    }
}

/// The text of the file: UTF-8, or Latin-1 when the XML declaration says so (Maven
/// honours it, and old POMs with accented developer names use it).
fn pom_text<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ExtractError> {
    match input.text() {
        Ok(content) => Ok(Cow::Borrowed(content)),
        Err(_) if declares_latin1(input.content) => {
            Ok(Cow::Owned(input.content.iter().map(|&b| char::from(b)).collect()))
        }
        Err(err) => Err(err),
    }
}

fn declares_latin1(content: &[u8]) -> bool {
    let Some(declaration) = content.strip_prefix(b"<?xml") else {
        return false;
    };
    let end = declaration.iter().position(|&b| b == b'>').unwrap_or(declaration.len());
    let declaration = String::from_utf8_lossy(&declaration[..end]).to_ascii_lowercase();
    ["iso-8859-1", "iso8859-1", "latin1", "windows-1252", "cp1252"].iter().any(|e| declaration.contains(e))
}

/// A parse error with the best line roxmltree gives: it reports 1:1 for errors found
/// at the end of the input, which for a truncated file is really its last line of text.
fn xml_error(input: &Input<'_>, content: &str, error: &roxmltree::Error) -> ExtractError {
    use roxmltree::Error as E;
    let line = match error {
        E::UnexpectedEndOfStream | E::UnclosedRootNode => {
            Some(text::line_of(content.as_bytes(), content.trim_end().len()))
        }
        E::DtdDetected => {
            let at = content.find("<!DOCTYPE").unwrap_or(0);
            return input.error(
                Some(text::line_of(content.as_bytes(), at)),
                "invalid XML: a DTD, which POMs never need, is refused (entity expansion can exhaust memory)",
            );
        }
        E::NodesLimitReached | E::AttributesLimitReached | E::NamespacesLimitReached | E::NoRootNode => None,
        other => Some(other.pos().row),
    };
    input.error(line, format!("invalid XML: {error}"))
}

/// Reads elements of the POM's own namespace (`http://maven.apache.org/POM/4.0.0`, none
/// at all in some hand-written POMs, or whatever the root declares).
struct Pom<'a> {
    input: &'a Input<'a>,
    lines: &'a LineIndex,
    namespace: Option<&'a str>,
}

impl<'a> Pom<'a> {
    fn extract(&self, project: Node<'_, '_>) -> Result<Extracted, ExtractError> {
        let model = self.project_model(project)?;
        let properties = self.properties(project)?;
        let mut project_properties = Interpolator::new(vec![&properties], &model);
        let project_managed = self.managed_dependencies(project, &mut project_properties)?;

        // Walking the project's children in order keeps packages in file order whether
        // <profiles> comes before or after <dependencies>.
        let mut out = Extracted::default();
        for section in project.children().filter(|n| self.is_pom_element(*n)) {
            match section.tag_name().name() {
                "dependencies" => {
                    self.collect(section, &mut project_properties, &[&project_managed], &mut out)?;
                }
                "profiles" => {
                    for profile in self.children(section, "profile") {
                        let own_properties = self.properties(profile)?;
                        let mut profile_properties = Interpolator::new(vec![&own_properties, &properties], &model);
                        let profile_managed = self.managed_dependencies(profile, &mut profile_properties)?;
                        for dependencies in self.children(profile, "dependencies") {
                            let managed = [&profile_managed, &project_managed];
                            self.collect(dependencies, &mut profile_properties, &managed, &mut out)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Turns each `<dependency>` of a `<dependencies>` element into a package or a skip.
    fn collect(
        &self,
        dependencies: Node<'_, '_>,
        properties: &mut Interpolator<'_>,
        managed: &[&ManagedDependencies],
        out: &mut Extracted,
    ) -> Result<(), ExtractError> {
        for element in self.children(dependencies, "dependency") {
            let declared = self.declared_dependency(element)?;
            let location = Location::new(self.input.path, Some(declared.line));
            match resolve(&declared, properties, managed) {
                Ok(dependency) => out.packages.push(dependency.into_package(location)),
                Err(reason) => out.skipped.push(Skipped { location, declaration: declared.declaration(), reason }),
            }
        }
        Ok(())
    }

    fn project_model(&self, project: Node<'_, '_>) -> Result<ProjectModel, ExtractError> {
        let parent = self.child(project, "parent");
        let parent_field = |name| parent.map_or(Ok(None), |p| self.field(p, name));
        Ok(ProjectModel {
            group_id: self.field(project, "groupId")?,
            artifact_id: self.field(project, "artifactId")?,
            version: self.field(project, "version")?,
            parent_group_id: parent_field("groupId")?,
            parent_artifact_id: parent_field("artifactId")?,
            parent_version: parent_field("version")?,
        })
    }

    /// The `<properties>` of a project or profile, by element name; a repeated name
    /// keeps its last value, as Maven's reader does.
    fn properties(&self, owner: Node<'_, '_>) -> Result<HashMap<String, String>, ExtractError> {
        let mut properties = HashMap::new();
        for block in self.children(owner, "properties") {
            for property in block.children().filter(Node::is_element) {
                let value = self.element_text(property)?;
                properties.insert(property.tag_name().name().to_string(), value);
            }
        }
        Ok(properties)
    }

    /// The `<dependencyManagement>` entries of a project or profile, resolved, by the
    /// key Maven matches them on. Entries whose key cannot be resolved match nothing.
    fn managed_dependencies(
        &self,
        owner: Node<'_, '_>,
        properties: &mut Interpolator<'_>,
    ) -> Result<ManagedDependencies, ExtractError> {
        let mut managed = HashMap::new();
        let blocks = self.children(owner, "dependencyManagement").flat_map(|m| self.children(m, "dependencies"));
        for element in blocks.flat_map(|d| self.children(d, "dependency")) {
            let declared = self.declared_dependency(element)?;
            let Ok(key) = management_key(&declared, properties) else {
                continue;
            };
            managed.entry(key).or_insert_with(|| Managed {
                version: properties.optional(&declared.version),
                scope: properties.optional(&declared.scope),
                optional: properties.optional(&declared.optional),
            });
        }
        Ok(managed)
    }

    fn declared_dependency(&self, element: Node<'_, '_>) -> Result<DeclaredDependency, ExtractError> {
        Ok(DeclaredDependency {
            line: self.line(element),
            group_id: self.field(element, "groupId")?,
            artifact_id: self.field(element, "artifactId")?,
            version: self.field(element, "version")?,
            kind: self.field(element, "type")?,
            classifier: self.field(element, "classifier")?,
            scope: self.field(element, "scope")?,
            optional: self.field(element, "optional")?,
        })
    }

    fn is_pom_element(&self, node: Node<'_, '_>) -> bool {
        node.is_element() && node.tag_name().namespace() == self.namespace
    }

    fn children<'n, 'i>(
        &self,
        node: Node<'n, 'i>,
        name: &'static str,
    ) -> impl Iterator<Item = Node<'n, 'i>> + use<'n, 'i, '_> {
        node.children().filter(move |c| self.is_pom_element(*c) && c.tag_name().name() == name)
    }

    fn child<'n, 'i>(&self, node: Node<'n, 'i>, name: &'static str) -> Option<Node<'n, 'i>> {
        self.children(node, name).next()
    }

    /// The trimmed text of a child element; `None` when absent or empty, as Maven
    /// treats `<version></version>` like no version.
    fn field(&self, node: Node<'_, '_>, name: &'static str) -> Result<Option<String>, ExtractError> {
        let Some(element) = self.child(node, name) else {
            return Ok(None);
        };
        let value = self.element_text(element)?;
        Ok((!value.is_empty()).then_some(value))
    }

    /// An element's text (comments dropped, CDATA kept), trimmed. A nested element
    /// where text belongs is an error, as it is for Maven.
    fn element_text(&self, element: Node<'_, '_>) -> Result<String, ExtractError> {
        let mut value = String::new();
        for child in element.children() {
            if child.is_element() {
                let message = format!(
                    "<{}> should hold text, not the element <{}>",
                    element.tag_name().name(),
                    child.tag_name().name()
                );
                return Err(self.input.error(Some(self.line(child)), message));
            }
            if child.is_text() {
                value.push_str(child.text().unwrap_or_default());
            }
        }
        Ok(value.trim().to_string())
    }

    fn line(&self, node: Node<'_, '_>) -> u32 {
        self.lines.line(node.range().start)
    }
}

/// The project's own coordinates, what `${project.*}` refers to.
struct ProjectModel {
    group_id: Option<String>,
    artifact_id: Option<String>,
    version: Option<String>,
    parent_group_id: Option<String>,
    parent_artifact_id: Option<String>,
    parent_version: Option<String>,
}

impl ProjectModel {
    /// A model field by its expression name without the `project.` prefix. A project
    /// inherits its group and version from its parent when it does not set them.
    fn field(&self, name: &str) -> Option<&str> {
        let value = match name {
            "groupId" => self.group_id.as_ref().or(self.parent_group_id.as_ref()),
            "artifactId" => self.artifact_id.as_ref(),
            "version" => self.version.as_ref().or(self.parent_version.as_ref()),
            "parent.groupId" => self.parent_group_id.as_ref(),
            "parent.artifactId" => self.parent_artifact_id.as_ref(),
            "parent.version" => self.parent_version.as_ref(),
            _ => None,
        };
        value.map(String::as_str)
    }
}

/// A `<dependency>` as written, fields trimmed, empty ones absent.
struct DeclaredDependency {
    line: u32,
    group_id: Option<String>,
    artifact_id: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    classifier: Option<String>,
    scope: Option<String>,
    optional: Option<String>,
}

impl DeclaredDependency {
    /// `group:artifact[:version]` as written, for skipped entries.
    fn declaration(&self) -> String {
        let mut declaration = format!(
            "{}:{}",
            self.group_id.as_deref().unwrap_or_default(),
            self.artifact_id.as_deref().unwrap_or_default()
        );
        if let Some(version) = &self.version {
            declaration.push(':');
            declaration.push_str(version);
        }
        declaration
    }
}

/// Group, artifact, type and classifier, resolved: what Maven matches a managed
/// dependency on.
type ManagementKey = (String, String, String, String);

type ManagedDependencies = HashMap<ManagementKey, Managed>;

/// What a `<dependencyManagement>` entry supplies, resolved in its own context;
/// `Err` holds why a value could not be resolved.
struct Managed {
    version: Result<Option<String>, String>,
    scope: Result<Option<String>, String>,
    optional: Result<Option<String>, String>,
}

fn management_key(declared: &DeclaredDependency, properties: &mut Interpolator<'_>) -> Result<ManagementKey, String> {
    Ok((
        properties.required(&declared.group_id, "groupId")?,
        properties.required(&declared.artifact_id, "artifactId")?,
        properties.optional(&declared.kind)?.unwrap_or_else(|| "jar".to_string()),
        properties.optional(&declared.classifier)?.unwrap_or_default(),
    ))
}

/// A dependency that names one exact artifact.
struct ResolvedDependency {
    group_id: String,
    artifact_id: String,
    version: String,
    kind: String,
    classifier: String,
    dev: bool,
    optional: bool,
}

impl ResolvedDependency {
    fn into_package(self, location: Location) -> Package {
        let name = format!("{}:{}", self.group_id, self.artifact_id);
        let mut package = Package::new(EcosystemKind::Maven, name, self.version, location)
            .with_relationship(Relationship::Direct)
            .with_dev(self.dev)
            .with_optional(self.optional);
        if self.kind != "jar" {
            package.purl = package.purl.with_qualifier("type", self.kind);
        }
        package.purl = package.purl.with_qualifier("classifier", self.classifier);
        package
    }
}

/// Resolves a declared dependency to an exact artifact, or says why it is not one.
fn resolve(
    declared: &DeclaredDependency,
    properties: &mut Interpolator<'_>,
    managed: &[&ManagedDependencies],
) -> Result<ResolvedDependency, String> {
    let key = management_key(declared, properties)?;
    let management = managed.iter().find_map(|m| m.get(&key));
    let version = inherit(&declared.version, management.map(|m| &m.version), properties)?.ok_or(MISSING_VERSION)?;
    let version = exact_version(&version)?.to_string();
    let scope = inherit(&declared.scope, management.map(|m| &m.scope), properties)?.unwrap_or_default();
    if scope == "system" {
        return Err("system scope: a jar on the local disk, not a repository artifact".into());
    }
    let optional = inherit(&declared.optional, management.map(|m| &m.optional), properties)?;
    let (group_id, artifact_id, kind, classifier) = key;
    Ok(ResolvedDependency {
        group_id,
        artifact_id,
        version,
        kind,
        classifier,
        dev: scope == "test",
        optional: optional.is_some_and(|o| o.eq_ignore_ascii_case("true")),
    })
}

/// A dependency's own value, or the managed one when it sets none.
fn inherit(
    own: &Option<String>,
    managed: Option<&Result<Option<String>, String>>,
    properties: &mut Interpolator<'_>,
) -> Result<Option<String>, String> {
    match (own, managed) {
        (None, Some(managed)) => managed.clone(),
        _ => properties.optional(own),
    }
}

/// The exact version a declared version pins, or why it pins none.
fn exact_version(version: &str) -> Result<&str, String> {
    if let Some(inner) = version.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        if !inner.contains(',') && !inner.trim().is_empty() {
            return Ok(inner.trim());
        }
    }
    if version.starts_with(['[', '(']) || version.contains(',') {
        return Err(format!("version range {version}, not an exact version"));
    }
    if version == "LATEST" || version == "RELEASE" {
        return Err(format!("{version} is chosen at build time, not an exact version"));
    }
    Ok(version)
}

/// Expands `${…}` in one context (a project, or a profile over its project). Each
/// property is expanded once and remembered, so repeated and nested references cost
/// linear time.
struct Interpolator<'p> {
    /// Innermost first: a profile's properties, then the project's.
    layers: Vec<&'p HashMap<String, String>>,
    model: &'p ProjectModel,
    expanded: HashMap<String, Result<String, String>>,
    in_progress: HashSet<String>,
}

impl<'p> Interpolator<'p> {
    fn new(layers: Vec<&'p HashMap<String, String>>, model: &'p ProjectModel) -> Self {
        Interpolator { layers, model, expanded: HashMap::new(), in_progress: HashSet::new() }
    }

    fn optional(&mut self, value: &Option<String>) -> Result<Option<String>, String> {
        value.as_deref().map(|v| self.expand(v, 0)).transpose()
    }

    fn required(&mut self, value: &Option<String>, field: &str) -> Result<String, String> {
        self.optional(value)?.filter(|v| !v.is_empty()).ok_or_else(|| format!("no <{field}>"))
    }

    fn expand(&mut self, value: &str, depth: usize) -> Result<String, String> {
        if !value.contains("${") {
            return Ok(value.to_string());
        }
        if depth > MAX_PROPERTY_DEPTH {
            return Err("properties nested too deeply".into());
        }
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {value:?}"))?;
            out.push_str(&self.property(&after[..end], depth)?);
            if out.len() > MAX_EXPANDED_LEN {
                return Err("property expansion too long".into());
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn property(&mut self, name: &str, depth: usize) -> Result<String, String> {
        if let Some(known) = self.expanded.get(name) {
            return known.clone();
        }
        if !self.in_progress.insert(name.to_string()) {
            return Err(format!("property ${{{name}}} refers back to itself"));
        }
        let expanded = match self.lookup(name) {
            Some(raw) => self.expand(raw, depth + 1),
            None => Err(format!(
                "property ${{{name}}} is not defined in this file (a parent POM, settings or the command line may set it)"
            )),
        };
        self.in_progress.remove(name);
        self.expanded.insert(name.to_string(), expanded.clone());
        expanded
    }

    /// Maven's order: `project.`/`pom.` expressions read the model; other names read
    /// the properties, then (deprecated, but still honoured) the model.
    fn lookup(&self, name: &str) -> Option<&'p str> {
        if let Some(field) = name.strip_prefix("project.").or_else(|| name.strip_prefix("pom.")) {
            return self.model.field(field);
        }
        let model: &'p ProjectModel = self.model;
        let property = self.layers.iter().copied().find_map(|layer: &'p HashMap<String, String>| layer.get(name));
        property.map(String::as_str).or_else(|| model.field(name))
    }
}

#[cfg(test)]
mod tests;
