//! The sweep's memory: an embedded SQLite database (one file, `--store PATH`, by default
//! under the cache directory), or a PostgreSQL server that many workers share
//! (`--store postgres://…`, [`postgres`]), holding what customs learnt about a registry, so that
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
//! The statements are written once for both databases ([`sql`]).

mod merge;
mod postgres;
mod schema;
mod seen;
pub(crate) mod sql;
mod work;

pub use merge::{MergedRunRow, RunSharding};
pub use work::{ClaimedItem, ItemStatus};

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection};

use sql::{args, PostgresTransaction, Session, SqlError};

use super::outcome::RunKind;

/// A run's id in the store.
pub type RunId = i64;

/// Why the store could not be used; names the file and says what to do.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused an operation, or could not be reached.
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
    /// How messages name the store: the file, or the server's URL without its password.
    name: String,
    /// The SQLite file; `None` for a PostgreSQL store.
    file: Option<PathBuf>,
    backend: Backend,
}

/// The database behind a [`Store`]; one connection, behind a mutex, for each.
enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres(Box<Mutex<sql::Postgres>>),
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

    /// Opens the store `--store` (or `CUSTOMS_STORE`) names: a `postgres://` or
    /// `postgresql://` URL is a PostgreSQL server, anything else an SQLite file.
    pub fn open_location(location: &str) -> Result<Store, StoreError> {
        if postgres::is_url(location) {
            postgres::open(location)
        } else {
            Store::open(Path::new(location))
        }
    }

    /// Opens (creating it and its folder when missing) and migrates an SQLite store.
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
        Ok(Store { name: shown, file: Some(path.to_path_buf()), backend: Backend::Sqlite(Mutex::new(connection)) })
    }

    /// Opens an SQLite store only to read it (a shard given to `registry merge`): nothing
    /// is written to the file — no migration, no change of journal mode. A store of
    /// another schema than this customs writes is refused, saying what to do.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let shown = path.display().to_string();
        let sql = |e: rusqlite::Error| StoreError::Sql { path: shown.clone(), message: e.to_string() };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(sql)?;
        connection.busy_timeout(Duration::from_secs(30)).map_err(sql)?;
        let found: Option<i64> = connection
            .query_row("SELECT MAX(version) FROM schema_version", [], |row| row.get(0))
            .map_err(|e| StoreError::Sql { path: shown.clone(), message: format!("not a sweep store ({e})") })?;
        let (found, known) = (found.unwrap_or(0), schema::MIGRATIONS.len() as i64);
        if found > known {
            return Err(StoreError::Newer { path: shown, found, known });
        }
        if found < known {
            return Err(StoreError::Sql {
                path: shown,
                message: format!(
                    "schema version {found}, written by an older customs (this one writes {known}); it is only \
                     read here, never upgraded: merge it with the customs that wrote it"
                ),
            });
        }
        Ok(Store { name: shown, file: Some(path.to_path_buf()), backend: Backend::Sqlite(Mutex::new(connection)) })
    }

    /// The store as messages name it: the file, or the server's URL without its password.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store's file, for an SQLite store.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Whether this is a PostgreSQL store (shared by many workers).
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The SQLite connection, for what only an SQLite store does (`registry merge`).
    fn sqlite(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        match &self.backend {
            // A panic elsewhere while holding the lock leaves SQLite consistent (each
            // statement is atomic): carry on with the connection.
            Backend::Sqlite(connection) => Ok(connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())),
            Backend::Postgres(_) => Err(StoreError::Sql {
                path: self.name.clone(),
                message: "this needs an SQLite store (a file), not a PostgreSQL one".to_string(),
            }),
        }
    }

    /// Runs `work` on the store's connection.
    fn session<T>(&self, work: impl FnOnce(&mut dyn Session) -> Result<T, SqlError>) -> Result<T, StoreError> {
        let result = match &self.backend {
            Backend::Sqlite(connection) => {
                let mut connection = connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                work(&mut *connection)
            }
            Backend::Postgres(connection) => {
                let mut connection = connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                work(&mut *connection)
            }
        };
        result.map_err(|e| self.error(e))
    }

    /// Runs `work` in one transaction: all of it is written, or none.
    fn transaction<T>(&self, work: impl FnOnce(&mut dyn Session) -> Result<T, SqlError>) -> Result<T, StoreError> {
        let result: Result<T, SqlError> = match &self.backend {
            Backend::Sqlite(connection) => {
                let mut connection = connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                (|| {
                    // IMMEDIATE: takes the write lock up front, so a transaction that reads
                    // and then writes never fails busy when another process wrote in between.
                    let mut transaction =
                        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let value = work(&mut transaction)?;
                    transaction.commit()?;
                    Ok(value)
                })()
            }
            Backend::Postgres(connection) => {
                let mut connection = connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let sql::Postgres { client, statements } = &mut *connection;
                (|| {
                    let transaction = client.transaction()?;
                    let mut session = PostgresTransaction { transaction, statements };
                    let value = work(&mut session)?;
                    session.transaction.commit()?;
                    Ok(value)
                })()
            }
        };
        result.map_err(|e| self.error(e))
    }

    fn error(&self, e: impl Into<SqlError>) -> StoreError {
        StoreError::Sql { path: self.name.clone(), message: e.into().0 }
    }

    // ---- runs ----

    /// Starts a run (`now`, RFC 3339) and returns its id.
    pub fn begin_run(&self, registry: &str, kind: RunKind, database: &str, now: &str) -> Result<RunId, StoreError> {
        self.session(|s| {
            s.first(
                "INSERT INTO runs (registry, kind, started, customs_version, database) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
                &args![registry, kind_text(kind), now, env!("CARGO_PKG_VERSION"), database],
            )?
            .ok_or_else(|| SqlError("the new run has no id".to_string()))?
            .get(0)
        })
    }

    /// The newest run of this registry and kind that began and never finished (a
    /// planned run is its workers' and `finalize`'s, never `--resume`'s).
    pub fn unfinished_run(&self, registry: &str, kind: RunKind) -> Result<Option<RunId>, StoreError> {
        self.session(|s| {
            s.first(
                "SELECT id FROM runs WHERE registry = ?1 AND kind = ?2 AND finished IS NULL
                 AND id > COALESCE((SELECT MAX(id) FROM runs WHERE registry = ?1 AND finished IS NOT NULL), 0)
                 AND id NOT IN (SELECT run FROM run_plans)
                 ORDER BY id DESC LIMIT 1",
                &args![registry, kind_text(kind)],
            )?
            .map(|row| row.get(0))
            .transpose()
        })
    }

    /// Records the run's report (JSON) and that it finished. Idempotent.
    pub fn finish_run(&self, run: RunId, report_json: &[u8], partial: bool, now: &str) -> Result<(), StoreError> {
        let compressed = compress(report_json);
        self.session(|s| {
            s.exec(
                "UPDATE runs SET finished = ?2, partial = ?3, report = ?4 WHERE id = ?1",
                &args![run, now, partial, compressed],
            )
        })?;
        Ok(())
    }

    /// The newest finished run of `registry` before `before` (any kind): what a run is
    /// compared with.
    pub fn previous_finished_run(&self, registry: &str, before: RunId) -> Result<Option<RunId>, StoreError> {
        self.session(|s| {
            single(s.first(
                "SELECT MAX(id) FROM runs WHERE registry = ?1 AND id < ?2 AND finished IS NOT NULL",
                &args![registry, before],
            )?)
        })
    }

    /// The newest finished run, of `registry` or of any registry.
    pub fn latest_finished_run(&self, registry: Option<&str>) -> Result<Option<RunId>, StoreError> {
        self.session(|s| {
            single(s.first(
                "SELECT MAX(id) FROM runs WHERE finished IS NOT NULL AND (CAST(?1 AS TEXT) IS NULL OR registry = ?1)",
                &args![registry],
            )?)
        })
    }

    /// A run by id, if the store has it.
    pub fn run(&self, id: RunId) -> Result<Option<RunRow>, StoreError> {
        self.session(|s| {
            s.first("SELECT id, registry, kind, started, finished, partial FROM runs WHERE id = ?1", &args![id])?
                .map(|row| run_row(&row))
                .transpose()
        })
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        self.session(|s| {
            s.rows("SELECT id, registry, kind, started, finished, partial FROM runs ORDER BY id DESC", &[])?
                .iter()
                .map(run_row)
                .collect()
        })
    }

    /// The report a finished run stored (JSON), to render it again.
    pub fn run_report(&self, run: RunId) -> Result<Option<Vec<u8>>, StoreError> {
        let blob: Option<Vec<u8>> = self.session(|s| {
            Ok(s.first("SELECT report FROM runs WHERE id = ?1", &args![run])?
                .map(|row| row.get::<Option<Vec<u8>>>(0))
                .transpose()?
                .flatten())
        })?;
        match blob {
            Some(compressed) => decompress(&compressed).map(Some).map_err(|m| self.corrupt(&format!("run {run}"), m)),
            None => Ok(None),
        }
    }

    fn corrupt(&self, what: &str, message: String) -> StoreError {
        StoreError::Sql {
            path: self.name.clone(),
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
        self.session(|s| {
            s.exec(
                "INSERT INTO tags (registry, repository, tag, digest, first_seen, last_seen, first_run, last_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6)
                 ON CONFLICT (registry, repository, tag, digest)
                 DO UPDATE SET last_seen = excluded.last_seen,
                 last_run = CASE WHEN excluded.last_run > tags.last_run THEN excluded.last_run ELSE tags.last_run END",
                &args![registry, repository, tag, digest, now, run],
            )
        })?;
        Ok(())
    }

    /// The platform images a tag's manifest (image or index) stands for, when known.
    pub fn manifest(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Vec<PlatformImage>>, StoreError> {
        let images: Vec<PlatformImage> = self.session(|s| {
            s.rows(
                "SELECT platform, image_digest FROM manifests WHERE registry = ?1 AND repository = ?2 AND digest = ?3
                 ORDER BY platform, image_digest",
                &args![registry, repository, digest],
            )?
            .iter()
            .map(|row| Ok(PlatformImage { platform: row.get(0)?, digest: row.get(1)? }))
            .collect()
        })?;
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
        self.transaction(|s| {
            for image in images {
                s.exec(
                    "INSERT INTO manifests (registry, repository, digest, platform, image_digest) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO NOTHING",
                    &args![registry, repository, digest, &image.platform, &image.digest],
                )?;
            }
            Ok(())
        })
    }

    /// When the image behind a tag's manifest was created (its config's `created`), for
    /// `--tags recent:N`, when known.
    pub fn manifest_created(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Option<String>, StoreError> {
        self.session(|s| {
            s.first(
                "SELECT created FROM created WHERE registry = ?1 AND repository = ?2 AND digest = ?3",
                &args![registry, repository, digest],
            )?
            .map(|row| row.get(0))
            .transpose()
        })
    }

    /// Records an image's creation time (for `--tags recent:N`).
    pub fn record_created(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
        created: &str,
    ) -> Result<(), StoreError> {
        self.session(|s| {
            s.exec(
                "INSERT INTO created (registry, repository, digest, created) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (registry, repository, digest) DO UPDATE SET created = excluded.created",
                &args![registry, repository, digest, created],
            )
        })?;
        Ok(())
    }

    // ---- images, packages, layers ----

    /// The stored analysis of a platform image, when the current analysers made it.
    pub fn image(&self, digest: &str, analysers: &str) -> Result<Option<StoredImage>, StoreError> {
        let row: Option<(Vec<u8>, String, String)> = self.session(|s| {
            s.first(
                "SELECT inventory, first_seen, platform FROM images WHERE digest = ?1 AND analysers = ?2",
                &args![digest, analysers],
            )?
            .map(|row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .transpose()
        })?;
        let Some((compressed, first_seen, platform)) = row else { return Ok(None) };
        let inventory = decompress(&compressed).map_err(|m| self.corrupt(&format!("image {digest}"), m))?;
        Ok(Some(StoredImage { inventory, first_seen, platform }))
    }

    /// When the store first analysed this image (by any analysers).
    pub fn image_first_seen(&self, digest: &str) -> Result<Option<String>, StoreError> {
        self.session(|s| single(s.first("SELECT MIN(first_seen) FROM images WHERE digest = ?1", &args![digest])?))
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
        self.transaction(|s| {
            let first_seen: Option<String> =
                single(s.first("SELECT MIN(first_seen) FROM images WHERE digest = ?1", &args![digest])?)?;
            let first_seen = first_seen.unwrap_or_else(|| now.to_string());
            s.exec(
                "INSERT INTO images (digest, analysers, platform, layers, first_seen, inventory)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (digest, analysers) DO UPDATE SET inventory = excluded.inventory",
                &args![digest, analysers, platform, &layers, first_seen, &compressed],
            )?;
            s.exec("DELETE FROM image_packages WHERE image_digest = ?1", &args![digest])?;
            insert_packages(s, digest, packages)
        })
    }

    /// The images holding a package (any version when `version` is `None`).
    pub fn images_with_package(
        &self,
        ecosystem: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        self.session(|s| {
            s.rows(
                "SELECT DISTINCT image_digest FROM image_packages
                 WHERE ecosystem = ?1 AND name = ?2 AND (CAST(?3 AS TEXT) IS NULL OR version = ?3) ORDER BY image_digest",
                &args![ecosystem, name, version],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect()
        })
    }

    /// A layer's stored analysis (the image cache's encoding), by cache key.
    pub fn layer(&self, key: &str) -> Option<Vec<u8>> {
        let compressed: Option<Vec<u8>> = self
            .session(|s| s.first("SELECT data FROM layers WHERE key = ?1", &args![key])?.map(|r| r.get(0)).transpose())
            .ok()
            .flatten();
        // A damaged entry is a miss: the layer is read again and the entry replaced.
        compressed.and_then(|c| decompress(&c).ok())
    }

    /// Keeps a layer analysis under `key`; a failed write is not an error (the layer is read again next time).
    pub fn put_layer(&self, key: &str, digest: &str, data: &[u8], now: &str) {
        let compressed = compress(data);
        // A failed cache write costs a download next time, never a wrong result.
        let _ = self.session(|s| {
            s.exec(
                "INSERT INTO layers (key, digest, analysed, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET data = excluded.data, analysed = excluded.analysed",
                &args![key, digest, now, compressed],
            )
        });
    }

    /// Claims the reading of a layer across processes: `false` when another worker
    /// sharing this store reads it now (then wait and look in the store again). An
    /// SQLite store has one writer process: always `true`. A store that cannot answer
    /// grants the claim: reading a layer twice costs time, never a wrong result.
    pub fn try_claim_layer(&self, key: &str) -> bool {
        if !self.is_postgres() {
            return true;
        }
        self.session(|s| single::<bool>(s.first("SELECT pg_try_advisory_lock(hashtext(?1))", &args![key])?))
            .ok()
            .flatten()
            .unwrap_or(true)
    }

    /// Ends a claim of [`Store::try_claim_layer`].
    pub fn release_layer(&self, key: &str) {
        if self.is_postgres() {
            let _ = self.session(|s| s.rows("SELECT pg_advisory_unlock(hashtext(?1))", &args![key]));
        }
    }

    /// How many layer analyses the store holds.
    pub fn layer_count(&self) -> Result<i64, StoreError> {
        self.session(|s| Ok(single(s.first("SELECT COUNT(*) FROM layers", &[])?)?.unwrap_or(0)))
    }

    // ---- notifications ----

    /// Queues a webhook delivery of `body` to `url`; returns its id.
    pub fn queue_notification(&self, run: RunId, url: &str, body: &[u8]) -> Result<i64, StoreError> {
        self.session(|s| {
            s.first(
                "INSERT INTO notifications (run, url, body) VALUES (?1, ?2, ?3) RETURNING id",
                &args![run, url, body],
            )?
            .ok_or_else(|| SqlError("the queued delivery has no id".to_string()))?
            .get(0)
        })
    }

    /// Deliveries not made yet, oldest first.
    pub fn pending_notifications(&self) -> Result<Vec<Notification>, StoreError> {
        self.session(|s| {
            s.rows("SELECT id, run, url, body, attempts FROM notifications WHERE delivered IS NULL ORDER BY id", &[])?
                .iter()
                .map(|row| {
                    Ok(Notification {
                        id: row.get(0)?,
                        run: row.get(1)?,
                        url: row.get(2)?,
                        body: row.get(3)?,
                        attempts: row.get(4)?,
                    })
                })
                .collect()
        })
    }

    /// Records a delivery attempt (`Err` with why it failed) at `now`.
    pub fn notification_attempted(&self, id: i64, outcome: Result<(), &str>, now: &str) -> Result<(), StoreError> {
        let (delivered, error) = match outcome {
            Ok(()) => (Some(now), None),
            Err(e) => (None, Some(e)),
        };
        self.session(|s| {
            s.exec(
                "UPDATE notifications SET attempts = attempts + 1, delivered = ?2, last_error = ?3 WHERE id = ?1",
                &args![id, delivered, error],
            )
        })?;
        Ok(())
    }
}

/// The one value of a one-row, one-column answer (`MAX`, `COUNT`); `None` for no row or NULL.
fn single<T: sql::FromValue>(row: Option<sql::Row>) -> Result<Option<T>, SqlError> {
    match row {
        Some(row) => row.get::<Option<T>>(0),
        None => Ok(None),
    }
}

fn run_row(row: &sql::Row) -> Result<RunRow, SqlError> {
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

/// Rows per `INSERT` of an image's packages, at most: a power of two, and so is every
/// chunk, so a connection prepares at most seven statement shapes for them.
const PACKAGE_ROWS_PER_STATEMENT: usize = 64;

/// Writes an image's packages to the reverse index in a few multi-row statements, not
/// one per package: on a PostgreSQL server each statement is a round trip, and a
/// Debian image's ~90 packages made most of the ~157 statements a new image cost
/// (docs/benchmarks.md).
fn insert_packages(s: &mut dyn Session, digest: &str, packages: &[(String, String, String)]) -> Result<(), SqlError> {
    let mut rest = packages;
    while !rest.is_empty() {
        let rows = PACKAGE_ROWS_PER_STATEMENT.min(1 << rest.len().ilog2());
        let (chunk, tail) = rest.split_at(rows);
        let values: Vec<String> =
            (0..rows).map(|i| format!("(?{}, ?{}, ?{}, ?{})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4)).collect();
        let sql = format!(
            "INSERT INTO image_packages (ecosystem, name, version, image_digest) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let args: Vec<sql::Value> =
            chunk.iter().flat_map(|(ecosystem, name, version)| args![ecosystem, name, version, digest]).collect();
        s.exec(&sql, &args)?;
        rest = tail;
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
