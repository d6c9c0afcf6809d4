//! The sweep's memory: an embedded SQLite database (one file, `--store PATH`, by default
//! under the cache directory) that holds what customs learnt about a registry, so that
//! an unchanged image costs one HEAD request the next night and a new advisory costs no
//! registry traffic at all.
//!
//! It keeps which digest each `repo:tag` pointed to and when, what each tag's manifest
//! stands for (its platform images), each platform image's inventory (keyed by the
//! analysers that made it), each layer's analysis (shared by every image that holds
//! the layer), a reverse index package → images, the findings of every run with when
//! they were first and last seen, policy verdicts, failures, the rendered report of
//! each run, and webhook deliveries still to make.
//!
//! Every write is idempotent (`INSERT … ON CONFLICT`): a run killed half way and run
//! again (`--resume`) writes the same rows. One connection behind a mutex: the writes
//! are small next to the downloads they record, and WAL mode keeps readers unblocked.

mod schema;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::outcome::{Failure, RunKind};

/// A run's id in the store.
pub type RunId = i64;

/// Why the store could not be used; names the file and says what to do.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("the sweep store {path}: {message}")]
    Sql { path: String, message: String },
    #[error(
        "the sweep store {path} has schema version {found}, newer than this customs knows ({known}); upgrade customs or use another --store"
    )]
    /// The file was written by a newer customs.
    Newer { path: String, found: i64, known: i64 },
    /// The store's folder could not be created.
    #[error("the sweep store {path}: cannot create its folder: {source}")]
    Folder { path: String, source: std::io::Error },
}

/// Stored blobs are compressed JSON; this bounds what one may expand to, so a damaged
/// or hostile store file cannot exhaust memory.
const MAX_EXPANDED: u64 = 1 << 30;

/// The registry sweep's SQLite store: runs, manifests, analyses, findings, notifications.
pub struct Store {
    path: PathBuf,
    connection: Mutex<Connection>,
}

/// A run as listed by [`Store::runs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// The run's id.
    pub id: RunId,
    /// The registry swept.
    pub registry: String,
    /// `scan` or `rematch`.
    pub kind: String,
    /// When it started (RFC 3339).
    pub started: String,
    /// When it finished; `None` while running or when interrupted.
    pub finished: Option<String>,
    /// Whether it ended with parts unread.
    pub partial: bool,
}

/// One `repo:tag` → platform image a run saw.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeenImage {
    /// The repository.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The digest the tag points at (an index or a manifest).
    pub top_digest: String,
    /// The platform image's manifest digest.
    pub image_digest: String,
    /// The platform (`linux/amd64`).
    pub platform: String,
}

/// A platform image a tag's manifest stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformImage {
    /// The platform (`linux/amd64`).
    pub platform: String,
    /// The platform image's manifest digest.
    pub digest: String,
}

/// A stored platform image analysis.
#[derive(Debug, Clone)]
pub struct StoredImage {
    /// The inventory as JSON.
    pub inventory: Vec<u8>,
    /// When the image was first analysed (RFC 3339).
    pub first_seen: String,
    /// The platform (`linux/amd64`).
    pub platform: String,
}

/// What makes two findings of one image the same finding from run to run: the
/// advisory, and the package by ecosystem, name and place (not version: an upgrade
/// that leaves the package vulnerable keeps the finding).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingKey {
    /// The advisory id.
    pub advisory: String,
    /// The package's ecosystem.
    pub ecosystem: String,
    /// The package name.
    pub package: String,
    /// Where in the image the package was found.
    pub path: String,
}

/// A finding as a run recorded it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordedFinding {
    /// Which finding it is, across runs.
    pub key: FindingKey,
    /// The version seen in this run.
    pub version: String,
    /// The finding's rating (`high`), for reports of what was fixed.
    pub severity: Option<String>,
}

/// A webhook delivery still to make.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The queue entry's id.
    pub id: i64,
    /// The run it reports on.
    pub run: RunId,
    /// Where it is sent.
    pub url: String,
    /// The JSON body, as it will be signed and sent.
    pub body: Vec<u8>,
    /// Deliveries tried so far.
    pub attempts: i64,
}

impl Store {
    /// Where the store lives unless `--store` says otherwise.
    pub fn default_path(cache_dir: &Path) -> PathBuf {
        cache_dir.join("registry").join("store.sqlite")
    }

    /// Opens (creating it and its folder when missing) and migrates the store.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder { path: shown.clone(), source })?;
        }
        let sql = |e: rusqlite::Error| StoreError::Sql { path: shown.clone(), message: e.to_string() };
        let mut connection = Connection::open(path).map_err(sql)?;
        connection.busy_timeout(Duration::from_secs(30)).map_err(sql)?;
        // WAL: readers (`registry report`) never wait for a sweep's writes.
        connection.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        connection.pragma_update(None, "foreign_keys", "ON").map_err(sql)?;
        migrate(&mut connection).map_err(|e| match e {
            Migration::Sql(e) => sql(e),
            Migration::Newer(found) => {
                StoreError::Newer { path: shown.clone(), found, known: schema::MIGRATIONS.len() as i64 }
            }
        })?;
        Ok(Store { path: path.to_path_buf(), connection: Mutex::new(connection) })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock leaves SQLite consistent (each
        // statement is atomic): carry on with the connection.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn error(&self, e: rusqlite::Error) -> StoreError {
        StoreError::Sql { path: self.path.display().to_string(), message: e.to_string() }
    }

    // ---- runs ----

    /// Starts a run (`now`, RFC 3339) and returns its id.
    pub fn begin_run(&self, registry: &str, kind: RunKind, database: &str, now: &str) -> Result<RunId, StoreError> {
        let connection = self.lock();
        connection
            .execute(
                "INSERT INTO runs (registry, kind, started, customs_version, database) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![registry, kind_text(kind), now, env!("CARGO_PKG_VERSION"), database],
            )
            .map_err(|e| self.error(e))?;
        Ok(connection.last_insert_rowid())
    }

    /// The newest run of this registry and kind that began and never finished.
    pub fn unfinished_run(&self, registry: &str, kind: RunKind) -> Result<Option<RunId>, StoreError> {
        self.lock()
            .query_row(
                "SELECT id FROM runs WHERE registry = ?1 AND kind = ?2 AND finished IS NULL
                 AND id > COALESCE((SELECT MAX(id) FROM runs WHERE registry = ?1 AND finished IS NOT NULL), 0)
                 ORDER BY id DESC LIMIT 1",
                params![registry, kind_text(kind)],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Records the run's report (JSON) and that it finished. Idempotent.
    pub fn finish_run(&self, run: RunId, report_json: &[u8], partial: bool, now: &str) -> Result<(), StoreError> {
        let compressed = compress(report_json);
        self.lock()
            .execute(
                "UPDATE runs SET finished = ?2, partial = ?3, report = ?4 WHERE id = ?1",
                params![run, now, partial, compressed],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The newest finished run of `registry` before `before` (any kind): what a run is
    /// compared with.
    pub fn previous_finished_run(&self, registry: &str, before: RunId) -> Result<Option<RunId>, StoreError> {
        self.lock()
            .query_row(
                "SELECT MAX(id) FROM runs WHERE registry = ?1 AND id < ?2 AND finished IS NOT NULL",
                params![registry, before],
                |row| row.get(0),
            )
            .map_err(|e| self.error(e))
    }

    /// The newest finished run, of `registry` or of any registry.
    pub fn latest_finished_run(&self, registry: Option<&str>) -> Result<Option<RunId>, StoreError> {
        self.lock()
            .query_row(
                "SELECT MAX(id) FROM runs WHERE finished IS NOT NULL AND (?1 IS NULL OR registry = ?1)",
                params![registry],
                |row| row.get(0),
            )
            .map_err(|e| self.error(e))
    }

    /// A run by id, if the store has it.
    pub fn run(&self, id: RunId) -> Result<Option<RunRow>, StoreError> {
        self.lock()
            .query_row(
                "SELECT id, registry, kind, started, finished, partial FROM runs WHERE id = ?1",
                params![id],
                run_row,
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT id, registry, kind, started, finished, partial FROM runs ORDER BY id DESC")
            .map_err(|e| self.error(e))?;
        let rows = statement.query_map([], run_row).map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// The report a finished run stored (JSON), to render it again.
    pub fn run_report(&self, run: RunId) -> Result<Option<Vec<u8>>, StoreError> {
        let blob: Option<Option<Vec<u8>>> = self
            .lock()
            .query_row("SELECT report FROM runs WHERE id = ?1", params![run], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        match blob.flatten() {
            Some(compressed) => decompress(&compressed).map(Some).map_err(|m| self.corrupt(&format!("run {run}"), m)),
            None => Ok(None),
        }
    }

    fn corrupt(&self, what: &str, message: String) -> StoreError {
        StoreError::Sql {
            path: self.path.display().to_string(),
            message: format!("{what} is damaged ({message}); delete the store to start afresh"),
        }
    }

    // ---- tags and manifests ----

    /// That `repo:tag` pointed at `digest` in this run. Idempotent.
    pub fn record_tag(
        &self,
        registry: &str,
        run: RunId,
        repository: &str,
        tag: &str,
        digest: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT INTO tags (registry, repository, tag, digest, first_seen, last_seen, first_run, last_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6)
                 ON CONFLICT (registry, repository, tag, digest)
                 DO UPDATE SET last_seen = excluded.last_seen, last_run = MAX(last_run, excluded.last_run)",
                params![registry, repository, tag, digest, now, run],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The platform images a tag's manifest (image or index) stands for, when known.
    pub fn manifest(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Vec<PlatformImage>>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT platform, image_digest FROM manifests WHERE registry = ?1 AND repository = ?2 AND digest = ?3
                 ORDER BY platform, image_digest",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![registry, repository, digest], |row| {
                Ok(PlatformImage { platform: row.get(0)?, digest: row.get(1)? })
            })
            .map_err(|e| self.error(e))?;
        let images: Vec<PlatformImage> = rows.collect::<Result<_, _>>().map_err(|e| self.error(e))?;
        Ok((!images.is_empty()).then_some(images))
    }

    /// Records the platform images a manifest (by digest) stands for, so an unchanged tag costs one request next time.
    pub fn record_manifest(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        images: &[PlatformImage],
    ) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        for image in images {
            transaction
                .execute(
                    "INSERT INTO manifests (registry, repository, digest, platform, image_digest) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO NOTHING",
                    params![registry, repository, digest, image.platform, image.digest],
                )
                .map_err(|e| self.error(e))?;
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    /// When the image behind a tag's manifest was created (its config's `created`), for
    /// `--tags recent:N`, when known.
    pub fn manifest_created(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Option<String>, StoreError> {
        self.lock()
            .query_row(
                "SELECT created FROM created WHERE registry = ?1 AND repository = ?2 AND digest = ?3",
                params![registry, repository, digest],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Records an image's creation time (for `--tags recent:N`).
    pub fn record_created(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        created: &str,
    ) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT INTO created (registry, repository, digest, created) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (registry, repository, digest) DO UPDATE SET created = excluded.created",
                params![registry, repository, digest, created],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    // ---- images, packages, layers ----

    /// The stored analysis of a platform image, when the current analysers made it.
    pub fn image(&self, digest: &str, analysers: &str) -> Result<Option<StoredImage>, StoreError> {
        let row: Option<(Vec<u8>, String, String)> = self
            .lock()
            .query_row(
                "SELECT inventory, first_seen, platform FROM images WHERE digest = ?1 AND analysers = ?2",
                params![digest, analysers],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        let Some((compressed, first_seen, platform)) = row else { return Ok(None) };
        let inventory = decompress(&compressed).map_err(|m| self.corrupt(&format!("image {digest}"), m))?;
        Ok(Some(StoredImage { inventory, first_seen, platform }))
    }

    /// When the store first analysed this image (by any analysers).
    pub fn image_first_seen(&self, digest: &str) -> Result<Option<String>, StoreError> {
        self.lock()
            .query_row("SELECT MIN(first_seen) FROM images WHERE digest = ?1", params![digest], |row| row.get(0))
            .map_err(|e| self.error(e))
    }

    /// Stores a platform image's inventory (JSON) and its packages in the reverse
    /// index. Idempotent: a second write of the same image changes nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn record_image(
        &self,
        digest: &str,
        analysers: &str,
        platform: &str,
        layers: &[String],
        inventory_json: &[u8],
        packages: &[(String, String, String)],
        now: &str,
    ) -> Result<(), StoreError> {
        let layers = serde_json::to_string(layers).unwrap_or_default();
        let compressed = compress(inventory_json);
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        let first_seen: String = transaction
            .query_row(
                "SELECT COALESCE(MIN(first_seen), ?2) FROM images WHERE digest = ?1",
                params![digest, now],
                |r| r.get(0),
            )
            .map_err(|e| self.error(e))?;
        transaction
            .execute(
                "INSERT INTO images (digest, analysers, platform, layers, first_seen, inventory)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (digest, analysers) DO UPDATE SET inventory = excluded.inventory",
                params![digest, analysers, platform, layers, first_seen, compressed],
            )
            .map_err(|e| self.error(e))?;
        transaction
            .execute("DELETE FROM image_packages WHERE image_digest = ?1", params![digest])
            .map_err(|e| self.error(e))?;
        {
            let mut insert = transaction
                .prepare(
                    "INSERT INTO image_packages (ecosystem, name, version, image_digest) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT DO NOTHING",
                )
                .map_err(|e| self.error(e))?;
            for (ecosystem, name, version) in packages {
                insert.execute(params![ecosystem, name, version, digest]).map_err(|e| self.error(e))?;
            }
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    /// The images holding a package (any version when `version` is `None`).
    pub fn images_with_package(
        &self,
        ecosystem: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT DISTINCT image_digest FROM image_packages
                 WHERE ecosystem = ?1 AND name = ?2 AND (?3 IS NULL OR version = ?3) ORDER BY image_digest",
            )
            .map_err(|e| self.error(e))?;
        let rows =
            statement.query_map(params![ecosystem, name, version], |row| row.get(0)).map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// A layer's stored analysis (the image cache's encoding), by cache key.
    pub fn layer(&self, key: &str) -> Option<Vec<u8>> {
        let compressed: Option<Vec<u8>> = self
            .lock()
            .query_row("SELECT data FROM layers WHERE key = ?1", params![key], |row| row.get(0))
            .optional()
            .ok()
            .flatten();
        // A damaged entry is a miss: the layer is read again and the entry replaced.
        compressed.and_then(|c| decompress(&c).ok())
    }

    /// Keeps a layer analysis under `key`; a failed write is not an error (the layer is read again next time).
    pub fn put_layer(&self, key: &str, digest: &str, data: &[u8], now: &str) {
        let compressed = compress(data);
        // A failed cache write costs a download next time, never a wrong result.
        let _ = self.lock().execute(
            "INSERT INTO layers (key, digest, analysed, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET data = excluded.data, analysed = excluded.analysed",
            params![key, digest, now, compressed],
        );
    }

    /// How many layer analyses the store holds.
    pub fn layer_count(&self) -> Result<i64, StoreError> {
        self.lock().query_row("SELECT COUNT(*) FROM layers", [], |row| row.get(0)).map_err(|e| self.error(e))
    }

    // ---- what a run saw ----

    /// Records that a run saw a tag's platform image.
    pub fn record_seen(&self, run: RunId, seen: &SeenImage) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT INTO run_images (run, repository, tag, top_digest, image_digest, platform)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![run, seen.repository, seen.tag, seen.top_digest, seen.image_digest, seen.platform],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Every `repo:tag` → image a run saw (carried-forward ones included), sorted.
    pub fn seen(&self, run: RunId) -> Result<Vec<SeenImage>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT repository, tag, top_digest, image_digest, platform FROM run_images WHERE run = ?1
                 ORDER BY repository, tag, platform, image_digest",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![run], |row| {
                Ok(SeenImage {
                    repository: row.get(0)?,
                    tag: row.get(1)?,
                    top_digest: row.get(2)?,
                    image_digest: row.get(3)?,
                    platform: row.get(4)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
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
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        transaction
            .execute(
                "DELETE FROM run_findings WHERE run = ?1 AND repository = ?2 AND image_digest = ?3",
                params![run, repository, image_digest],
            )
            .map_err(|e| self.error(e))?;
        {
            let mut insert = transaction
                .prepare(
                    "INSERT INTO run_findings (run, repository, image_digest, platform, advisory, ecosystem, package, version, path, severity)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
                )
                .map_err(|e| self.error(e))?;
            let mut seen = transaction
                .prepare(
                    "INSERT INTO findings (registry, repository, advisory, ecosystem, package, path, first_seen, last_seen, first_run, last_run)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8)
                     ON CONFLICT (registry, repository, advisory, ecosystem, package, path)
                     DO UPDATE SET last_seen = excluded.last_seen, last_run = MAX(last_run, excluded.last_run)",
                )
                .map_err(|e| self.error(e))?;
            for f in findings {
                let k = &f.key;
                insert
                    .execute(params![
                        run,
                        repository,
                        image_digest,
                        platform,
                        k.advisory,
                        k.ecosystem,
                        k.package,
                        f.version,
                        k.path,
                        f.severity
                    ])
                    .map_err(|e| self.error(e))?;
                seen.execute(params![registry, repository, k.advisory, k.ecosystem, k.package, k.path, now, run])
                    .map_err(|e| self.error(e))?;
            }
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    /// The findings a run recorded for one image of one repository.
    pub fn findings(
        &self,
        run: RunId,
        repository: &str,
        image_digest: &str,
    ) -> Result<Vec<RecordedFinding>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT advisory, ecosystem, package, path, version, severity FROM run_findings
                 WHERE run = ?1 AND repository = ?2 AND image_digest = ?3 ORDER BY advisory, ecosystem, package, path",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![run, repository, image_digest], |row| {
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
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// When a finding was first seen in this repository.
    pub fn finding_first_seen(
        &self,
        registry: &str,
        repository: &str,
        key: &FindingKey,
    ) -> Result<Option<String>, StoreError> {
        self.lock()
            .query_row(
                "SELECT first_seen FROM findings WHERE registry = ?1 AND repository = ?2 AND advisory = ?3
                 AND ecosystem = ?4 AND package = ?5 AND path = ?6",
                params![registry, repository, key.advisory, key.ecosystem, key.package, key.path],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Records an image's policy verdicts (rule and message pairs) in a run.
    pub fn record_policy(
        &self,
        run: RunId,
        repository: &str,
        image_digest: &str,
        verdicts: &[(String, String)],
    ) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        transaction
            .execute(
                "DELETE FROM policy_verdicts WHERE run = ?1 AND repository = ?2 AND image_digest = ?3",
                params![run, repository, image_digest],
            )
            .map_err(|e| self.error(e))?;
        for (rule, message) in verdicts {
            transaction
                .execute(
                    "INSERT INTO policy_verdicts (run, repository, image_digest, rule, message) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO NOTHING",
                    params![run, repository, image_digest, rule, message],
                )
                .map_err(|e| self.error(e))?;
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    /// Records something a run could not read.
    pub fn record_failure(&self, run: RunId, failure: &Failure) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT INTO failures (run, repository, tag, reason, message) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (run, repository, tag) DO UPDATE SET reason = excluded.reason, message = excluded.message",
                params![
                    run,
                    failure.repository,
                    failure.tag.as_deref().unwrap_or(""),
                    failure.reason.as_str(),
                    failure.message
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    // ---- notifications ----

    /// Queues a webhook delivery of `body` to `url`; returns its id.
    pub fn queue_notification(&self, run: RunId, url: &str, body: &[u8]) -> Result<i64, StoreError> {
        let connection = self.lock();
        connection
            .execute("INSERT INTO notifications (run, url, body) VALUES (?1, ?2, ?3)", params![run, url, body])
            .map_err(|e| self.error(e))?;
        Ok(connection.last_insert_rowid())
    }

    /// Deliveries not made yet, oldest first.
    pub fn pending_notifications(&self) -> Result<Vec<Notification>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT id, run, url, body, attempts FROM notifications WHERE delivered IS NULL ORDER BY id")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(Notification {
                    id: row.get(0)?,
                    run: row.get(1)?,
                    url: row.get(2)?,
                    body: row.get(3)?,
                    attempts: row.get(4)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// Records a delivery attempt (`Err` with why it failed) at `now`.
    pub fn notification_attempted(&self, id: i64, outcome: Result<(), &str>, now: &str) -> Result<(), StoreError> {
        let (delivered, error) = match outcome {
            Ok(()) => (Some(now), None),
            Err(e) => (None, Some(e)),
        };
        self.lock()
            .execute(
                "UPDATE notifications SET attempts = attempts + 1, delivered = ?2, last_error = ?3 WHERE id = ?1",
                params![id, delivered, error],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }
}

fn run_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: row.get(0)?,
        registry: row.get(1)?,
        kind: row.get(2)?,
        started: row.get(3)?,
        finished: row.get(4)?,
        partial: row.get(5)?,
    })
}

fn kind_text(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Scan => "scan",
        RunKind::Rematch => "rematch",
    }
}

enum Migration {
    Sql(rusqlite::Error),
    Newer(i64),
}

impl From<rusqlite::Error> for Migration {
    fn from(e: rusqlite::Error) -> Migration {
        Migration::Sql(e)
    }
}

/// Brings the schema up to date, one migration per transaction.
fn migrate(connection: &mut Connection) -> Result<(), Migration> {
    connection.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let current: Option<i64> = connection.query_row("SELECT MAX(version) FROM schema_version", [], |row| row.get(0))?;
    let current = current.unwrap_or(0);
    let known = schema::MIGRATIONS.len() as i64;
    if current > known {
        return Err(Migration::Newer(current));
    }
    for (index, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.execute("DELETE FROM schema_version", [])?;
        transaction.execute("INSERT INTO schema_version (version) VALUES (?1)", params![index as i64 + 1])?;
        transaction.commit()?;
    }
    Ok(())
}

fn compress(bytes: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(bytes, 3).unwrap_or_else(|_| bytes.to_vec())
}

fn decompress(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let decoder = zstd::stream::read::Decoder::new(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    decoder.take(MAX_EXPANDED + 1).read_to_end(&mut out).map_err(|e| e.to_string())?;
    if out.len() as u64 > MAX_EXPANDED {
        return Err(format!("an entry expands past {} MiB", MAX_EXPANDED >> 20));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
