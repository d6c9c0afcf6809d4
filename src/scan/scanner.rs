//! The scan pipeline as one library object: a [`Scanner`] loads the advisory database,
//! the local advisories and the triage inputs once, then reads and evaluates any number
//! of targets. `customs scan` makes one scan with it; the registry sweep evaluates
//! hundreds of image inventories with the same scanner ([`Scanner::evaluate_many`]),
//! matching each distinct package only once.

use std::collections::HashMap;

use anyhow::Context as _;
use rayon::prelude::*;

use super::checks::{self, Access};
use super::image::ImageOptions;
use super::{read, DatabaseSummary, ScanOptions, ScanResult, Target};
use crate::advisory::db::Header;
use crate::advisory::{coverage, local, store};
use crate::inventory::walk::Inventory;
use crate::matching::{self, Advisories, MatchReport, PackageMatches};
use crate::model::display_path;
use crate::triage::{self, time::Date, Triage};

/// A loaded scan pipeline: inventory → matching → triage → policy → [`ScanResult`].
/// Shared between threads: every method takes `&self`.
pub struct Scanner {
    options: ScanOptions,
    advisories: Advisories,
    /// The database's header, for the coverage warning.
    header: Header,
    database: DatabaseSummary,
    /// What loading the local advisories passed over; repeated in every result.
    local_warnings: Vec<String>,
    triage: Triage,
}

impl Scanner {
    /// Loads everything a scan consults: the triage inputs (a broken ignore or VEX
    /// file fails here, before anything is read), the local advisories and the
    /// database (a missing one fails here, and so does an empty one unless
    /// `allow_empty_db`).
    pub fn new(options: ScanOptions) -> anyhow::Result<Scanner> {
        let triage = Triage::load(&options.triage)?;
        let (local, local_warnings) = local::load(&options.advisories).context("cannot read --advisories")?;
        let cache = &options.cache_dir;
        let (db, db_path) = match &options.db {
            Some(path) => (store::open_db_arg(path, cache)?, display_path(path)),
            None => (store::open_default(cache)?, store::default_db_path(cache).display().to_string()),
        };
        if !options.allow_empty_db {
            coverage::refuse_empty(&db_path, &db.header)?;
        }
        let database = DatabaseSummary::new(db_path, &db.header, local.len());
        let header = db.header.clone();
        Ok(Scanner {
            options,
            advisories: Advisories { db: Some(db), local },
            header,
            database,
            local_warnings,
            triage,
        })
    }

    /// What `customs scan` does: reads the target, then [`evaluate`](Self::evaluate)s
    /// it. An image is opened again for policy checks by the reference given here.
    pub fn scan(&self, target: &Target) -> anyhow::Result<ScanResult> {
        let (targets, inventory) = self.read(target)?;
        let given = match target {
            Target::Image(reference) => Some(reference.as_str()),
            Target::Paths(_) | Target::Sbom(_) => None,
        };
        let matches = matching::match_packages(&inventory.packages, &self.advisories)?;
        self.finish(targets, inventory, matches, given)
    }

    /// Reads the target into an inventory, with the targets' names for reports. Offline,
    /// an image in a registry is refused.
    pub fn read(&self, target: &Target) -> anyhow::Result<(Vec<String>, Inventory)> {
        read::read(target, &self.options)
    }

    /// Everything after reading: matching, triage, the Dockerfile, base-image and
    /// signature policies, and the warnings (database age and coverage, local
    /// advisories, expired ignore entries). An image inventory is checked against the
    /// image its [`ImageSubject`](crate::model::ImageSubject) names.
    pub fn evaluate(&self, targets: Vec<String>, inventory: Inventory) -> anyhow::Result<ScanResult> {
        let matches = matching::match_packages(&inventory.packages, &self.advisories)?;
        self.finish(targets, inventory, matches, None)
    }

    /// Evaluates many inventories at once (a registry sweep): every distinct package
    /// (ecosystem, name, version) is matched once and its findings given to each
    /// inventory that holds it, with that inventory's own declaration; triage and policy
    /// then run per inventory, in parallel. The results are in input order, each what
    /// [`evaluate`](Self::evaluate) gives for that inventory alone.
    pub fn evaluate_many(&self, items: Vec<(Vec<String>, Inventory)>) -> Vec<anyhow::Result<ScanResult>> {
        let mut slot_of = HashMap::new();
        let mut distinct = Vec::new();
        let slots: Vec<Vec<usize>> = items
            .iter()
            .map(|(_, inventory)| {
                let slot = |p| {
                    *slot_of.entry(PackageMatches::key(p)).or_insert_with(|| {
                        distinct.push(p);
                        distinct.len() - 1
                    })
                };
                inventory.packages.iter().map(slot).collect()
            })
            .collect();
        // DbError is not Clone: each inventory holding a package that failed gets its text.
        let matched: Vec<Result<PackageMatches, String>> = distinct
            .par_iter()
            .map(|p| matching::match_package(p, &self.advisories).map_err(|e| e.to_string()))
            .collect();
        items
            .into_par_iter()
            .zip(slots)
            .map(|((targets, inventory), slots)| {
                let per_package = inventory
                    .packages
                    .iter()
                    .zip(slots)
                    .map(|(package, slot)| matched[slot].as_ref().map(|m| m.relocated(package)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                self.finish(targets, inventory, MatchReport::collect(per_package), None)
            })
            .collect()
    }

    /// The database behind every result.
    pub fn database(&self) -> &DatabaseSummary {
        &self.database
    }

    /// How images are read (for callers that read images themselves).
    pub fn image_options(&self) -> &ImageOptions {
        &self.options.image
    }

    /// The options the scanner was built with.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Triage, policy and warnings over matched findings. `given` is the image
    /// reference the scan was started with, if it was.
    fn finish(
        &self,
        targets: Vec<String>,
        inventory: Inventory,
        mut matches: MatchReport,
        given: Option<&str>,
    ) -> anyhow::Result<ScanResult> {
        let options = &self.options;
        let uncovered = coverage::ecosystems_warning(&self.database.path, &self.header, &inventory.packages);
        let image_digest = inventory.image.as_ref().map(|i| i.manifest_digest.clone());
        let context =
            triage::Context { today: Date::today(), targets: &targets, image_digest: image_digest.as_deref() };
        let triaged = self.triage.apply(&mut matches.findings, &context);

        let mut result = ScanResult::new(targets, inventory, matches, Some(self.database.clone()));
        if let Some(dockerfile) = &options.dockerfile {
            checks::dockerfile(dockerfile, options.base_images.as_ref(), &mut result);
        }
        if let Some(image) = result.inventory.image.clone() {
            let access = Access { image: &options.image, offline: options.offline };
            if let Some(policy) = &options.base_images {
                checks::base_image(&access, &image, given, policy, &mut result);
            }
            if !options.signatures.is_empty() {
                checks::signatures(&access, &image, given, &options.signatures, &mut result)?;
            }
        }
        result.inventory.warnings.extend(uncovered);
        result.inventory.warnings.extend(self.local_warnings.iter().cloned());
        result.inventory.warnings.extend(triaged.warnings);
        result.notes = triaged.notes;
        if !options.show_suppressed {
            result.hide_suppressed();
        }
        if let Some(age) = crate::time::age_days(&self.database.newest_modified) {
            let given = options.db.as_ref().map(|_| self.database.path.as_str());
            result.inventory.warnings.extend(stale_database_warning(age, options.max_db_age_days, given));
        }
        Ok(result)
    }
}

/// The warning for a database whose newest record is `age` days old, over `max_age`
/// (0: never warn). Its remedy depends on where the data came from: `db update`
/// refreshes only the default database, never data given with `--db PATH`.
fn stale_database_warning(age: u64, max_age: u64, given_db: Option<&str>) -> Option<String> {
    if max_age == 0 || age <= max_age {
        return None;
    }
    let remedy = match given_db {
        None => "run `customs db update` to refresh it".to_string(),
        Some(path) => format!(
            "it comes from --db {path}, which `customs db update` does not touch: refresh that mirror or folder"
        ),
    };
    Some(format!(
        "the advisory database's newest record is {age} days old (over --max-db-age {max_age}); {remedy}, \
         or pass --max-db-age 0 to silence this warning"
    ))
}

#[cfg(test)]
mod tests {
    use super::stale_database_warning;

    #[test]
    fn the_stale_database_warning_names_the_remedy_for_its_source() {
        assert_eq!(
            stale_database_warning(106, 7, None).as_deref(),
            Some(
                "the advisory database's newest record is 106 days old (over --max-db-age 7); run `customs db update` \
                 to refresh it, or pass --max-db-age 0 to silence this warning"
            )
        );
        assert_eq!(
            stale_database_warning(8, 7, Some("../shared/osv")).as_deref(),
            Some(
                "the advisory database's newest record is 8 days old (over --max-db-age 7); it comes from --db \
                 ../shared/osv, which `customs db update` does not touch: refresh that mirror or folder, or pass \
                 --max-db-age 0 to silence this warning"
            )
        );
        assert_eq!(stale_database_warning(7, 7, None), None, "at the limit is not over it");
        assert_eq!(stale_database_warning(1000, 0, Some("x")), None, "0 never warns");
    }
}
