//! Matching: packages × advisories → findings.
//!
//! For each package the advisory sources are asked for every posting of its
//! (ecosystem, canonical name); postings for another release of an OS ecosystem are
//! passed over; ranges are evaluated with the ecosystem's version scheme; records
//! that describe the same vulnerability (shared ids through `aliases`/`upstream`) are
//! merged into one finding per package.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::advisory::db::{Database, DbError, MemoryIndex, Posting};
use crate::advisory::osv::{RangeKind, Record};
use crate::model::{Ecosystem, EcosystemKind, Package};
use crate::version::Scheme;

pub mod finding;
pub mod range;

#[cfg(test)]
mod tests;

pub use finding::{Finding, FindingKind, Severity};
use range::RangeVerdict;

/// Every advisory source a scan consults: the compiled database and the local
/// advisories (this project's own and `--advisories DIR`).
pub struct Advisories {
    /// The compiled OSV database, when there is one.
    pub db: Option<Database>,
    /// Local OSV advisories, indexed in memory.
    pub local: MemoryIndex,
}

/// Where a posting came from, to fetch its full record.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Origin {
    Db,
    Local,
}

impl Advisories {
    fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<(Origin, Posting)>, DbError> {
        let mut out = Vec::new();
        if let Some(db) = &self.db {
            out.extend(db.lookup(ecosystem, name)?.into_iter().map(|p| (Origin::Db, p)));
        }
        out.extend(self.local.lookup(ecosystem, name).into_iter().map(|p| (Origin::Local, p)));
        Ok(out)
    }

    fn record(&self, origin: Origin, posting: &Posting) -> Result<Record, DbError> {
        match origin {
            Origin::Db => self.db.as_ref().expect("db postings come from a db").record(posting.record),
            Origin::Local => Ok(self.local.record(posting.record).expect("local postings point at records").clone()),
        }
    }
}

/// A package and advisory whose versions could not be compared; reported, never
/// silently dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uncomparable {
    /// The package whose version could not be compared.
    pub package: Package,
    /// The advisory it could not be compared with.
    pub advisory: String,
    /// Why (the version or the range does not parse in the ecosystem's order).
    pub reason: String,
}

/// Everything an inventory matched.
#[derive(Debug, Default, Serialize)]
pub struct MatchReport {
    /// Advisories that affect a package's version.
    pub findings: Vec<Finding>,
    /// Package and advisory pairs that could not be compared.
    pub uncomparable: Vec<Uncomparable>,
    /// Advisories with only `GIT` ranges for a matched package name: customs cannot
    /// tell which commits a lockfile version contains.
    pub git_only: usize,
}

/// Matches every package against the advisories.
pub fn match_packages(packages: &[Package], advisories: &Advisories) -> Result<MatchReport, DbError> {
    let per_package: Vec<PackageMatches> =
        packages.par_iter().map(|p| match_package(p, advisories)).collect::<Result<_, _>>()?;
    Ok(MatchReport::collect(per_package))
}

impl MatchReport {
    /// One report from every package's matches, findings in report order (file, line,
    /// package, then the preferred advisory id).
    pub fn collect(per_package: impl IntoIterator<Item = PackageMatches>) -> MatchReport {
        let mut report = MatchReport::default();
        for m in per_package {
            report.findings.extend(m.findings);
            report.uncomparable.extend(m.uncomparable);
            report.git_only += m.git_only;
        }
        report
            .findings
            .sort_by(|a, b| (a.package.sort_key(), id_order(&a.id)).cmp(&(b.package.sort_key(), id_order(&b.id))));
        report
    }
}

fn id_order(id: &str) -> (u8, &str) {
    finding::id_preference(id)
}

/// What one package matched. It depends only on the package's ecosystem, name and
/// version ([`PackageMatches::key`]): a package declared elsewhere with the same three
/// matches the same way ([`PackageMatches::relocated`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageMatches {
    /// Advisories that affect the version.
    pub findings: Vec<Finding>,
    /// Advisories whose ranges could not be compared with the version.
    pub uncomparable: Vec<Uncomparable>,
    /// Advisories with only `GIT` ranges for the package.
    pub git_only: usize,
}

impl PackageMatches {
    /// What matching looks at: ecosystem (with its release), name as declared, version.
    pub fn key(package: &Package) -> (&Ecosystem, &str, &str) {
        (&package.ecosystem, &package.name, &package.version)
    }

    /// These matches for another package with the same [`key`](Self::key): the same
    /// findings, each naming `package` (its own location, purl and relationship).
    pub fn relocated(&self, package: &Package) -> PackageMatches {
        debug_assert_eq!(Self::key(package), Self::key(self.findings.first().map_or(package, |f| &f.package)));
        let mut moved = self.clone();
        moved.findings.iter_mut().for_each(|f| f.package = package.clone());
        moved.uncomparable.iter_mut().for_each(|u| u.package = package.clone());
        moved
    }
}

/// Whether an advisory's ecosystem string applies to this package: same base, and
/// for OS ecosystems the same release (`Debian:12` only matches Debian 12 packages).
fn ecosystem_applies(package: &Package, advisory_ecosystem: &str) -> bool {
    let (base, suffix) = match advisory_ecosystem.split_once(':') {
        Some((b, s)) => (b, Some(s)),
        None => (advisory_ecosystem, None),
    };
    if base != package.ecosystem.kind.osv_name() {
        return false;
    }
    match (&package.ecosystem.release, suffix) {
        (Some(release), Some(suffix)) => release == suffix,
        (None, None) => true,
        // Drupal's advisories name its own Composer repository.
        (None, Some(repo)) => {
            package.ecosystem.kind == EcosystemKind::Packagist
                && repo.contains("packages.drupal.org")
                && package.name.starts_with("drupal/")
        }
        (Some(_), None) => false,
    }
}

/// Matches one package against the advisories.
pub fn match_package(package: &Package, advisories: &Advisories) -> Result<PackageMatches, DbError> {
    let mut out = PackageMatches::default();
    let postings = advisories.lookup(package.ecosystem.kind.osv_name(), &package.name)?;
    if postings.is_empty() {
        return Ok(out);
    }
    let ecosystem_scheme = Scheme::for_ecosystem(&package.ecosystem);
    // Records that affect this package, with the fixes of the spans it is in.
    let mut hits: BTreeMap<String, (Origin, Posting, BTreeSet<String>)> = BTreeMap::new();
    for (origin, posting) in postings {
        if !ecosystem_applies(package, &posting.ecosystem) {
            continue;
        }
        match affects(package, &posting, ecosystem_scheme) {
            Ok(Some(fixes)) => {
                let entry =
                    hits.entry(posting.id.clone()).or_insert_with(|| (origin, posting.clone(), BTreeSet::new()));
                entry.2.extend(fixes);
            }
            Ok(None) => {}
            Err(Problem::GitOnly) => out.git_only += 1,
            Err(Problem::Uncomparable(reason)) => {
                out.uncomparable.push(Uncomparable { package: package.clone(), advisory: posting.id.clone(), reason })
            }
        }
    }
    let mut records = Vec::new();
    for (origin, posting, fixes) in hits.into_values() {
        let record = advisories.record(origin, &posting)?;
        if !record.is_withdrawn() {
            records.push((record, fixes));
        }
    }
    out.findings = merge(package, records, ecosystem_scheme);
    Ok(out)
}

enum Problem {
    GitOnly,
    Uncomparable(String),
}

/// `Some(fixes)` when the posting affects the package's version.
fn affects(package: &Package, posting: &Posting, scheme: Option<Scheme>) -> Result<Option<Vec<String>>, Problem> {
    let listed = in_version_list(package, posting, scheme);
    let evaluable: Vec<_> = posting.ranges.iter().filter(|r| r.kind != RangeKind::Git).collect();
    if evaluable.is_empty() {
        return match (listed, posting.ranges.is_empty(), posting.versions.is_empty()) {
            (true, _, _) => Ok(Some(Vec::new())),
            // No ranges and no versions: OSV's way of saying every version.
            (false, true, true) => Ok(Some(Vec::new())),
            // Only commit ranges, and no version list to translate them.
            (false, false, true) => Err(Problem::GitOnly),
            (false, _, false) => Ok(None),
        };
    }
    // Ranges are evaluated even for a listed version: they give the fixes.
    let mut fixes = Vec::new();
    let mut affected = listed;
    for range in evaluable {
        let scheme = match (range.kind, scheme) {
            // Pub's ranges are SEMVER in OSV, but pub orders build metadata as SemVer does not.
            (RangeKind::Semver, Some(Scheme::Pub)) => Scheme::Pub,
            (RangeKind::Semver, _) => Scheme::SemVer,
            (_, Some(scheme)) => scheme,
            (_, None) if listed => break,
            (_, None) => {
                return Err(Problem::Uncomparable(format!("customs has no version rules for {}", package.ecosystem)))
            }
        };
        let verdict = scheme.parse(&package.version).map_err(|e| e.to_string()).and_then(|version| {
            range::evaluate(scheme, &version, &range.events).map_err(|e| format!("advisory range: {e}"))
        });
        match verdict {
            Ok(RangeVerdict::Affected { fixed }) => {
                affected = true;
                fixes.extend(fixed);
            }
            Ok(RangeVerdict::NotAffected) => {}
            // The explicit list already decided; an odd range cannot undo it.
            Err(_) if listed => {}
            Err(reason) => return Err(Problem::Uncomparable(reason)),
        }
    }
    Ok(affected.then_some(fixes))
}

/// Whether the advisory lists the version explicitly, as written or as an equal
/// version written differently (`1.0` listed, `1.0.0` installed).
fn in_version_list(package: &Package, posting: &Posting, scheme: Option<Scheme>) -> bool {
    if posting.versions.iter().any(|v| v == &package.version) {
        return true;
    }
    let (Some(scheme), false) = (scheme, posting.versions.is_empty()) else { return false };
    let Ok(installed) = scheme.parse(&package.version) else { return false };
    posting.versions.iter().any(|listed| scheme.parse(listed).is_ok_and(|l| l == installed))
}

/// Groups a package's matched records into findings: records sharing any id (their
/// own, an alias, or an upstream id) describe one vulnerability.
fn merge(package: &Package, records: Vec<(Record, BTreeSet<String>)>, scheme: Option<Scheme>) -> Vec<Finding> {
    let n = records.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut root = i;
        while parent[root] != root {
            root = parent[root];
        }
        let mut j = i;
        while parent[j] != root {
            let next = parent[j];
            parent[j] = root;
            j = next;
        }
        root
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, (record, _)) in records.iter().enumerate() {
        let ids = std::iter::once(&record.id).chain(&record.aliases).chain(&record.upstream);
        for id in ids {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    groups.into_values().map(|members| finding_for(package, &records, &members, scheme)).collect()
}

fn finding_for(
    package: &Package,
    records: &[(Record, BTreeSet<String>)],
    members: &[usize],
    scheme: Option<Scheme>,
) -> Finding {
    let group: Vec<&Record> = members.iter().map(|&i| &records[i].0).collect();
    let primary = *group
        .iter()
        // Among ids of the same kind, the most recently modified record names the
        // finding: it is the one its database maintains (a superseded placeholder
        // such as RUSTSEC-2025-0000 beside RUSTSEC-2025-0065 loses).
        .min_by(|a, b| {
            let key = |r: &Record| (finding::id_preference(&r.id).0, std::cmp::Reverse(r.modified.clone()));
            key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        })
        .expect("groups are not empty");
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for r in &group {
        ids.insert(&r.id);
        ids.extend(r.aliases.iter().map(String::as_str));
        ids.extend(r.upstream.iter().map(String::as_str));
    }
    ids.remove(primary.id.as_str());
    let mut fixed: Vec<String> =
        members.iter().flat_map(|&i| records[i].1.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    if let Some(scheme) = scheme {
        fixed.sort_by(|a, b| scheme.compare(a, b).unwrap_or_else(|_| a.cmp(b)));
    }
    let mut references: Vec<String> = group.iter().flat_map(|r| r.references.iter().map(|x| x.url.clone())).collect();
    references.dedup();
    let kind = group.iter().map(|r| FindingKind::of(r)).min().unwrap_or(FindingKind::Vulnerability);
    Finding {
        id: primary.id.clone(),
        aliases: ids.into_iter().map(str::to_string).collect(),
        kind,
        package: package.clone(),
        severity: finding::severity_of(&group),
        fixed_versions: fixed,
        summary: group.iter().find_map(|r| r.summary.clone()),
        details: primary.details.clone(),
        references,
        published: primary.published.clone(),
        modified: group.iter().map(|r| r.modified.clone()).max().unwrap_or_default(),
        advisories: group.iter().map(|r| r.id.clone()).collect(),
        suppression: None,
    }
}
