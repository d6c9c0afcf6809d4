//! How a run differs from the one before it: per image, which findings are new,
//! unchanged or fixed; which tags moved to another digest; which disappeared.
//!
//! An image is compared with what the previous run saw under the same repository and
//! platform: the same digest when it is unchanged, else the digest its tags pointed at
//! then (a rebuilt `latest` is compared with the old `latest`, so "fixed" means the
//! rebuild fixed it). Findings are the same finding when advisory, ecosystem, package
//! name and place agree: an upgrade that leaves a package vulnerable is not "fixed and
//! new again". A stale image (its repository failed this run) is never compared: its
//! findings are carried forward as stale, and nothing of it is reported fixed.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::outcome::{Change, Disappeared, FixedFinding, MovedTag};
use super::store::{FindingKey, RecordedFinding, SeenImage};
use crate::matching::Finding;

/// The identity of a finding from run to run.
pub fn finding_key(finding: &Finding) -> FindingKey {
    FindingKey {
        advisory: finding.id.clone(),
        ecosystem: finding.package.ecosystem.to_string(),
        package: finding.package.name.clone(),
        path: finding.package.location.path.clone(),
    }
}

/// What the store keeps of a finding to compare it with the next run.
pub fn recorded(finding: &Finding) -> RecordedFinding {
    RecordedFinding {
        key: finding_key(finding),
        version: finding.package.version.clone(),
        severity: finding.severity.as_ref().map(|s| s.rating.to_string()),
    }
}

/// Each current finding's change, and the previous findings that are gone. `previous`
/// is `None` when the previous run did not see this image or its tags (a new image:
/// everything is new), and the image is `stale` when this run carried it forward.
pub fn changes(
    current: &[Finding],
    previous: Option<&[RecordedFinding]>,
    stale: bool,
) -> (Vec<Change>, Vec<FixedFinding>) {
    if stale {
        return (vec![Change::Stale; current.len()], Vec::new());
    }
    let Some(previous) = previous else { return (vec![Change::New; current.len()], Vec::new()) };
    let before: HashSet<&FindingKey> = previous.iter().map(|f| &f.key).collect();
    let now: HashSet<FindingKey> = current.iter().map(finding_key).collect();
    let changes = current
        .iter()
        .map(|f| if before.contains(&finding_key(f)) { Change::Unchanged } else { Change::New })
        .collect();
    let mut fixed: Vec<FixedFinding> = previous
        .iter()
        .filter(|f| !now.contains(&f.key))
        .map(|f| FixedFinding {
            id: f.key.advisory.clone(),
            package: f.key.package.clone(),
            version: f.version.clone(),
            ecosystem: f.key.ecosystem.clone(),
            path: f.key.path.clone(),
            severity: f.severity.clone(),
        })
        .collect();
    fixed.sort_by(|a, b| (&a.id, &a.package, &a.path).cmp(&(&b.id, &b.package, &b.path)));
    fixed.dedup();
    (changes, fixed)
}

/// Which image of the previous run an image is compared with: the same digest in the
/// same repository, else the image one of its tags pointed at then, on the same
/// platform. `None`: the previous run knew neither.
pub fn previous_image<'a>(
    previous: &'a [SeenImage],
    repository: &str,
    digest: &str,
    tags: &[String],
    platform: &str,
) -> Option<&'a SeenImage> {
    let same_repository = || previous.iter().filter(|s| s.repository == repository);
    same_repository()
        .find(|s| s.image_digest == digest)
        .or_else(|| same_repository().find(|s| tags.contains(&s.tag) && s.platform == platform))
}

/// Tags whose manifest digest changed since the previous run, and tags of the
/// previous run that the registry no longer has. `listed` holds, per repository this
/// run read, every tag the registry listed (all of them, not only the selected ones);
/// repositories that failed are absent, so their tags are neither moved nor gone.
/// `gone_repositories` are selected repositories the catalog no longer lists: they
/// disappeared with all their tags.
pub fn moved_and_disappeared(
    previous: &[SeenImage],
    current: &[SeenImage],
    listed: &BTreeMap<String, BTreeSet<String>>,
    gone_repositories: &BTreeSet<String>,
) -> (Vec<MovedTag>, Vec<Disappeared>) {
    let tag_of = |seen: &[SeenImage]| -> BTreeMap<(String, String), String> {
        seen.iter().map(|s| ((s.repository.clone(), s.tag.clone()), s.top_digest.clone())).collect()
    };
    let (before, now) = (tag_of(previous), tag_of(current));
    let mut moved = Vec::new();
    let mut disappeared = Vec::new();
    for ((repository, tag), digest) in &before {
        match now.get(&(repository.clone(), tag.clone())) {
            Some(new) if new != digest => moved.push(MovedTag {
                repository: repository.clone(),
                tag: tag.clone(),
                from: digest.clone(),
                to: new.clone(),
            }),
            Some(_) => {}
            None => {
                let gone = gone_repositories.contains(repository)
                    || listed.get(repository).is_some_and(|tags| !tags.contains(tag));
                if gone {
                    disappeared.push(Disappeared {
                        repository: repository.clone(),
                        tag: tag.clone(),
                        digest: digest.clone(),
                    });
                }
            }
        }
    }
    (moved, disappeared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::FindingKind;
    use crate::model::{EcosystemKind, Location, Package};

    fn finding(id: &str, name: &str, version: &str) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![],
            kind: FindingKind::Vulnerability,
            package: Package::new(
                EcosystemKind::PyPI,
                name,
                version,
                Location::new("app/requirements.txt".as_ref(), None),
            ),
            severity: None,
            fixed_versions: vec![],
            summary: None,
            details: None,
            references: vec![],
            published: None,
            modified: "2026-01-01T00:00:00Z".into(),
            advisories: vec![id.into()],
            suppression: None,
        }
    }

    fn seen(repository: &str, tag: &str, top: &str, image: &str, platform: &str) -> SeenImage {
        SeenImage {
            repository: repository.into(),
            tag: tag.into(),
            top_digest: top.into(),
            image_digest: image.into(),
            platform: platform.into(),
        }
    }

    #[test]
    fn new_unchanged_and_fixed() {
        let before =
            vec![recorded(&finding("PYSEC-1", "django", "4.0")), recorded(&finding("PYSEC-2", "flask", "1.0"))];
        // django upgraded but still affected by PYSEC-1: unchanged, not fixed-and-new.
        let now = vec![finding("PYSEC-1", "django", "4.1"), finding("PYSEC-3", "jinja2", "2.0")];
        let (changes, fixed) = super::changes(&now, Some(&before), false);
        assert_eq!(changes, vec![Change::Unchanged, Change::New]);
        assert_eq!(fixed.len(), 1);
        assert_eq!(
            (fixed[0].id.as_str(), fixed[0].package.as_str(), fixed[0].version.as_str()),
            ("PYSEC-2", "flask", "1.0")
        );

        let (changes, fixed) = super::changes(&now, None, false);
        assert_eq!((changes, fixed), (vec![Change::New, Change::New], vec![]));
        let (changes, fixed) = super::changes(&now, Some(&[]), true);
        assert_eq!((changes, fixed), (vec![Change::Stale, Change::Stale], vec![]), "stale: nothing is fixed");
    }

    #[test]
    fn an_image_is_compared_with_its_digest_or_its_tags_old_image() {
        let previous = vec![
            seen("app", "latest", "sha256:i1", "sha256:a1", "linux/amd64"),
            seen("app", "latest", "sha256:i1", "sha256:b1", "linux/arm64"),
            seen("other", "latest", "sha256:o", "sha256:a2", "linux/amd64"),
        ];
        let latest = vec!["latest".to_string()];
        let found = |digest: &str, platform: &str| {
            previous_image(&previous, "app", digest, &latest, platform).map(|s| s.image_digest.as_str())
        };
        assert_eq!(found("sha256:a1", "linux/amd64"), Some("sha256:a1"));
        assert_eq!(found("sha256:new", "linux/arm64"), Some("sha256:b1"), "rebuilt: the tag's old image");
        assert_eq!(found("sha256:new", "linux/s390x"), None);
        assert_eq!(previous_image(&previous, "app", "sha256:a2", &[], "linux/amd64"), None, "other repository");
    }

    #[test]
    fn moved_and_disappeared_tags() {
        let previous = vec![
            seen("app", "latest", "sha256:1", "sha256:1", "linux/amd64"),
            seen("app", "1.0", "sha256:2", "sha256:2", "linux/amd64"),
            seen("app", "0.9", "sha256:3", "sha256:3", "linux/amd64"),
            seen("failing", "latest", "sha256:4", "sha256:4", "linux/amd64"),
            seen("deleted", "latest", "sha256:5", "sha256:5", "linux/amd64"),
        ];
        let current = vec![
            seen("app", "latest", "sha256:9", "sha256:9", "linux/amd64"),
            seen("app", "1.0", "sha256:2", "sha256:2", "linux/amd64"),
        ];
        // 0.9 is still in the registry, only not selected this time: not gone.
        let listed = BTreeMap::from([(
            "app".to_string(),
            ["latest", "1.0", "0.9"].into_iter().map(String::from).collect::<BTreeSet<_>>(),
        )]);
        let gone = BTreeSet::from(["deleted".to_string()]);
        let (moved, disappeared) = moved_and_disappeared(&previous, &current, &listed, &gone);
        assert_eq!(
            moved,
            vec![MovedTag {
                repository: "app".into(),
                tag: "latest".into(),
                from: "sha256:1".into(),
                to: "sha256:9".into()
            }]
        );
        assert_eq!(
            disappeared,
            vec![Disappeared { repository: "deleted".into(), tag: "latest".into(), digest: "sha256:5".into() }]
        );
        let listed_without = BTreeMap::from([("app".to_string(), BTreeSet::from(["latest".to_string()]))]);
        let (_, disappeared) = moved_and_disappeared(&previous, &current, &listed_without, &BTreeSet::new());
        assert_eq!(disappeared.iter().map(|d| d.tag.as_str()).collect::<Vec<_>>(), vec!["0.9"]);
    }
}
