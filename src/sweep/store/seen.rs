//! The store's record of what each run saw and found: every `repo:tag` → platform
//! image, the findings of each image with when each was first and last seen in its
//! repository, policy verdicts and failures.

use super::sql::args;
use super::{FindingKey, RecordedFinding, RunId, SeenImage, Store, StoreError};
use crate::sweep::outcome::Failure;

impl Store {
    /// Records that a run saw a tag's platform image.
    pub fn record_seen(&self, run: RunId, seen: &SeenImage) -> Result<(), StoreError> {
        self.session(|s| {
            s.exec(
                "INSERT INTO run_images (run, repository, tag, top_digest, image_digest, platform)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                &args![run, &seen.repository, &seen.tag, &seen.top_digest, &seen.image_digest, &seen.platform],
            )
        })?;
        Ok(())
    }

    /// Every `repo:tag` → image a run saw (carried-forward ones included), sorted.
    pub fn seen(&self, run: RunId) -> Result<Vec<SeenImage>, StoreError> {
        self.session(|s| {
            s.rows(
                "SELECT repository, tag, top_digest, image_digest, platform FROM run_images WHERE run = ?1
                 ORDER BY repository, tag, platform, image_digest",
                &args![run],
            )?
            .iter()
            .map(|row| {
                Ok(SeenImage {
                    repository: row.get(0)?,
                    tag: row.get(1)?,
                    top_digest: row.get(2)?,
                    image_digest: row.get(3)?,
                    platform: row.get(4)?,
                })
            })
            .collect()
        })
    }

    /// A run's findings for one image of one repository. Replaces what the run had
    /// recorded for it (idempotent), and updates first/last seen.
    #[allow(clippy::too_many_arguments)]
    pub fn record_findings(
        &self,
        registry: &str,
        run: RunId,
        repository: &str,
        image_digest: &str,
        platform: &str,
        findings: &[RecordedFinding],
        now: &str,
    ) -> Result<(), StoreError> {
        self.transaction(|s| {
            s.exec(
                "DELETE FROM run_findings WHERE run = ?1 AND repository = ?2 AND image_digest = ?3",
                &args![run, repository, image_digest],
            )?;
            for f in findings {
                let k = &f.key;
                s.exec(
                    "INSERT INTO run_findings (run, repository, image_digest, platform, advisory, ecosystem, package, version, path, severity)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
                    &args![
                        run,
                        repository,
                        image_digest,
                        platform,
                        &k.advisory,
                        &k.ecosystem,
                        &k.package,
                        &f.version,
                        &k.path,
                        &f.severity
                    ],
                )?;
                s.exec(
                    "INSERT INTO findings (registry, repository, advisory, ecosystem, package, path, first_seen, last_seen, first_run, last_run)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8)
                     ON CONFLICT (registry, repository, advisory, ecosystem, package, path)
                     DO UPDATE SET last_seen = excluded.last_seen,
                     last_run = CASE WHEN excluded.last_run > findings.last_run THEN excluded.last_run ELSE findings.last_run END",
                    &args![registry, repository, &k.advisory, &k.ecosystem, &k.package, &k.path, now, run],
                )?;
            }
            Ok(())
        })
    }

    /// The findings a run recorded for one image of one repository.
    pub fn findings(
        &self,
        run: RunId,
        repository: &str,
        image_digest: &str,
    ) -> Result<Vec<RecordedFinding>, StoreError> {
        self.session(|s| {
            s.rows(
                "SELECT advisory, ecosystem, package, path, version, severity FROM run_findings
                 WHERE run = ?1 AND repository = ?2 AND image_digest = ?3 ORDER BY advisory, ecosystem, package, path",
                &args![run, repository, image_digest],
            )?
            .iter()
            .map(|row| {
                Ok(RecordedFinding {
                    key: FindingKey {
                        advisory: row.get(0)?,
                        ecosystem: row.get(1)?,
                        package: row.get(2)?,
                        path: row.get(3)?,
                    },
                    version: row.get(4)?,
                    severity: row.get(5)?,
                })
            })
            .collect()
        })
    }

    /// When a finding was first seen in this repository.
    pub fn finding_first_seen(
        &self,
        registry: &str,
        repository: &str,
        key: &FindingKey,
    ) -> Result<Option<String>, StoreError> {
        self.session(|s| {
            s.first(
                "SELECT first_seen FROM findings WHERE registry = ?1 AND repository = ?2 AND advisory = ?3
                 AND ecosystem = ?4 AND package = ?5 AND path = ?6",
                &args![registry, repository, &key.advisory, &key.ecosystem, &key.package, &key.path],
            )?
            .map(|row| row.get(0))
            .transpose()
        })
    }

    /// Records an image's policy verdicts (rule and message pairs) in a run.
    pub fn record_policy(
        &self,
        run: RunId,
        repository: &str,
        image_digest: &str,
        verdicts: &[(String, String)],
    ) -> Result<(), StoreError> {
        self.transaction(|s| {
            s.exec(
                "DELETE FROM policy_verdicts WHERE run = ?1 AND repository = ?2 AND image_digest = ?3",
                &args![run, repository, image_digest],
            )?;
            for (rule, message) in verdicts {
                s.exec(
                    "INSERT INTO policy_verdicts (run, repository, image_digest, rule, message) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO NOTHING",
                    &args![run, repository, image_digest, rule, message],
                )?;
            }
            Ok(())
        })
    }

    /// Records something a run could not read.
    pub fn record_failure(&self, run: RunId, failure: &Failure) -> Result<(), StoreError> {
        self.session(|s| {
            s.exec(
                "INSERT INTO failures (run, repository, tag, reason, message) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (run, repository, tag) DO UPDATE SET reason = excluded.reason, message = excluded.message",
                &args![
                    run,
                    &failure.repository,
                    failure.tag.as_deref().unwrap_or(""),
                    failure.reason.as_str(),
                    &failure.message
                ],
            )
        })?;
        Ok(())
    }
}
