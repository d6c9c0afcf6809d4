//! The store's side of shards: what a run records about its shard and selection, and
//! the copy of shards' runs into one merged run (`customs registry merge`).
//!
//! A merged run is written in one transaction: a merge that stops half way leaves no
//! run behind, and running it again starts afresh. Rows are streamed from each shard's
//! store into the merged one (never all held at once); rows two shards both hold
//! (the same image, layer or inventory) are kept once (`ON CONFLICT DO NOTHING`): a
//! digest's analysis is the same whoever made it.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, ToSql, Transaction};

use super::sql::args;
use super::{compress, RunId, RunRow, Store, StoreError};
use crate::sweep::shard::Shard;

/// What a run records about its share of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSharding {
    /// The shard a `--shard I/N` run swept; `None` for a whole or a merged run.
    pub shard: Option<Shard>,
    /// N, for a shard's run and for a merged one.
    pub count: Option<u32>,
    /// What the run was asked to sweep ([`crate::sweep::run::SweepOptions::selection`]);
    /// `None` for runs of stores written before shards existed.
    pub selection: Option<String>,
    /// The advisory database's identity.
    pub database: String,
    /// The customs version that made the run.
    pub customs_version: String,
    /// A merged run's missing shard indices.
    pub missing: Vec<u32>,
}

/// The run row of a merged run.
#[derive(Debug, Clone)]
pub struct MergedRunRow {
    /// `host[:port]`, as every shard swept it.
    pub registry: String,
    /// When the first shard began (RFC 3339).
    pub started: String,
    /// When the last shard finished (RFC 3339).
    pub finished: String,
    /// The advisory database's identity (the first shard's).
    pub database: String,
    /// A shard was partial, or shards are missing.
    pub partial: bool,
    /// N.
    pub count: u32,
    /// What every shard selected.
    pub selection: String,
    /// The indices of the shards not merged.
    pub missing: Vec<u32>,
}

impl Store {
    /// Records the shard (if any) and selection of a run.
    pub fn record_run_sharding(&self, run: RunId, shard: Option<Shard>, selection: &str) -> Result<(), StoreError> {
        self.session(|s| {
            s.exec(
                "UPDATE runs SET shard_index = ?2, shard_count = ?3, selection = ?4 WHERE id = ?1",
                &args![run, shard.map(|s| s.index), shard.map(|s| s.count), selection],
            )
        })?;
        Ok(())
    }

    /// Gives `to` the shard, count, selection and missing shards of `from`: a rematch
    /// covers what the run it rematches covered.
    pub fn copy_run_sharding(&self, from: RunId, to: RunId) -> Result<(), StoreError> {
        self.session(|s| {
            s.exec(
                "UPDATE runs SET (shard_index, shard_count, selection, missing_shards) =
                 (SELECT shard_index, shard_count, selection, missing_shards FROM runs WHERE id = ?1) WHERE id = ?2",
                &args![from, to],
            )
        })?;
        Ok(())
    }

    /// What `run` recorded about its shard; `None` when there is no such run.
    pub fn run_sharding(&self, run: RunId) -> Result<Option<RunSharding>, StoreError> {
        self.session(|s| {
            let Some(row) = s.first(
                "SELECT shard_index, shard_count, selection, database, customs_version, missing_shards FROM runs WHERE id = ?1",
                &args![run],
            )?
            else {
                return Ok(None);
            };
            let index: Option<u32> = row.get(0)?;
            let count: Option<u32> = row.get(1)?;
            let missing: Option<String> = row.get(5)?;
            Ok(Some(RunSharding {
                shard: index.zip(count).and_then(|(index, count)| Shard::new(index, count).ok()),
                count,
                selection: row.get(2)?,
                database: row.get(3)?,
                customs_version: row.get(4)?,
                missing: missing.unwrap_or_default().split(',').filter_map(|i| i.trim().parse().ok()).collect(),
            }))
        })
    }

    /// The newest `registry scan` run, finished or not: the one a merge takes.
    pub fn newest_scan_run(&self) -> Result<Option<RunRow>, StoreError> {
        self.session(|s| {
            s.first(
                "SELECT id, registry, kind, started, finished, partial FROM runs WHERE kind = 'scan'
                 ORDER BY id DESC LIMIT 1",
                &[],
            )?
            .map(|row| super::run_row(&row))
            .transpose()
        })
    }

    /// Writes one finished run made of `shards` (each a store and its run): what every
    /// shard's run saw, found and failed, its registry's tags, manifests and findings
    /// history, and every stored image inventory and layer analysis, so that `registry
    /// rematch` and later scans of this store need no registry traffic for them.
    /// `report` renders the run's report once its id is known.
    pub fn record_merged_run(
        &self,
        row: &MergedRunRow,
        shards: &[(&Store, RunId)],
        report: impl FnOnce(RunId) -> Result<Vec<u8>, String>,
    ) -> Result<RunId, StoreError> {
        let mut connection = self.sqlite()?;
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        let missing = row.missing.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        transaction
            .execute(
                "INSERT INTO runs (registry, kind, started, finished, customs_version, database, partial, shard_count, selection, missing_shards)
                 VALUES (?1, 'scan', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    row.registry,
                    row.started,
                    row.finished,
                    env!("CARGO_PKG_VERSION"),
                    row.database,
                    row.partial,
                    row.count,
                    row.selection,
                    missing
                ],
            )
            .map_err(|e| self.error(e))?;
        let merged = transaction.last_insert_rowid();
        for (shard, run) in shards {
            self.copy_run(&transaction, shard, *run, merged, &row.registry)?;
        }
        let json = report(merged).map_err(|message| StoreError::Sql { path: self.name.clone(), message })?;
        transaction
            .execute("UPDATE runs SET report = ?2 WHERE id = ?1", params![merged, compress(&json)])
            .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))?;
        Ok(merged)
    }

    fn copy_run(
        &self,
        into: &Transaction<'_>,
        shard: &Store,
        run: RunId,
        merged: RunId,
        registry: &str,
    ) -> Result<(), StoreError> {
        let by_run: [&dyn ToSql; 2] = [&run, &merged];
        let by_registry: [&dyn ToSql; 3] = [&registry, &run, &merged];
        // Webhook deliveries stay the shard's business: a merged run queues none.
        let copies: [(&str, &[&dyn ToSql], &str); 11] = [
            (
                "SELECT ?2, repository, tag, top_digest, image_digest, platform FROM run_images WHERE run = ?1",
                &by_run,
                "INSERT INTO run_images (run, repository, tag, top_digest, image_digest, platform)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT ?2, repository, image_digest, platform, advisory, ecosystem, package, version, path, severity
                 FROM run_findings WHERE run = ?1",
                &by_run,
                "INSERT INTO run_findings (run, repository, image_digest, platform, advisory, ecosystem, package, version, path, severity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT ?2, repository, image_digest, rule, message FROM policy_verdicts WHERE run = ?1",
                &by_run,
                "INSERT INTO policy_verdicts (run, repository, image_digest, rule, message)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT ?2, repository, tag, reason, message FROM failures WHERE run = ?1",
                &by_run,
                "INSERT INTO failures (run, repository, tag, reason, message)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT registry, repository, tag, digest, first_seen, last_seen, ?3, ?3 FROM tags
                 WHERE registry = ?1 AND last_run = ?2",
                &by_registry,
                "INSERT INTO tags (registry, repository, tag, digest, first_seen, last_seen, first_run, last_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (registry, repository, tag, digest) DO UPDATE SET
                 first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen),
                 last_run = excluded.last_run",
            ),
            (
                "SELECT registry, repository, advisory, ecosystem, package, path, first_seen, last_seen, ?3, ?3 FROM findings
                 WHERE registry = ?1 AND last_run = ?2",
                &by_registry,
                "INSERT INTO findings (registry, repository, advisory, ecosystem, package, path, first_seen, last_seen, first_run, last_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (registry, repository, advisory, ecosystem, package, path) DO UPDATE SET
                 first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen),
                 last_run = excluded.last_run",
            ),
            (
                "SELECT registry, repository, digest, platform, image_digest FROM manifests WHERE registry = ?1",
                &by_registry[..1],
                "INSERT INTO manifests (registry, repository, digest, platform, image_digest)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT registry, repository, digest, created FROM created WHERE registry = ?1",
                &by_registry[..1],
                "INSERT INTO created (registry, repository, digest, created) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT digest, analysers, platform, layers, first_seen, inventory FROM images",
                &[],
                "INSERT INTO images (digest, analysers, platform, layers, first_seen, inventory)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT ecosystem, name, version, image_digest FROM image_packages",
                &[],
                "INSERT INTO image_packages (ecosystem, name, version, image_digest) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
            ),
            (
                "SELECT key, digest, analysed, data FROM layers",
                &[],
                "INSERT INTO layers (key, digest, analysed, data) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            ),
        ];
        let source = shard.sqlite()?;
        for (select, parameters, insert) in copies {
            let mut reading = source.prepare(select).map_err(|e| shard.error(e))?;
            let columns = reading.column_count();
            let mut writing = into.prepare_cached(insert).map_err(|e| self.error(e))?;
            let mut rows = reading.query(parameters).map_err(|e| shard.error(e))?;
            while let Some(row) = rows.next().map_err(|e| shard.error(e))? {
                let values = (0..columns).map(|i| row.get::<_, Value>(i)).collect::<Result<Vec<_>, _>>();
                let values = values.map_err(|e| shard.error(e))?;
                writing.execute(params_from_iter(values)).map_err(|e| self.error(e))?;
            }
        }
        Ok(())
    }
}
