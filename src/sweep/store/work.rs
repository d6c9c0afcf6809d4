//! The store's side of a run split into work items (`customs registry plan | work |
//! finalize | status`): the plan, the items, their claims and leases, and what each
//! item gave.
//!
//! A worker claims the first pending item whose lease is free or has run out, in one
//! statement (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that workers claiming at
//! once never wait on each other nor take the same item; on SQLite the statement is
//! atomic by itself). It renews the lease while it works; a worker that dies stops
//! renewing and the item is claimed again once the lease has run out. An item claimed
//! `max_attempts` times and never finished is given up (`failed`), so one item that
//! kills every worker cannot stop a run.

use super::sql::{args, Dialect, Row, SqlError, Value};
use super::{compress, decompress, RunId, Store, StoreError};
use crate::sweep::shard::{name_hash, Shard};

/// The SQL that keeps the items of a share, its arguments numbered from `?{first}`
/// (N, I, 2^64 mod N: [`shard_args`]): the unsigned name hash modulo N, from its signed
/// 64-bit form, in arithmetic both databases share (`%` keeps the dividend's sign in both).
fn in_shard(first: usize) -> String {
    let (n, i, wrap) = (first, first + 1, first + 2);
    format!(
        "(CAST(?{n} AS BIGINT) IS NULL OR (CASE WHEN shard_key >= 0 THEN shard_key % ?{n}
         ELSE (((shard_key % ?{n}) + ?{n}) % ?{n} + ?{wrap}) % ?{n} END) = ?{i})"
    )
}

/// The arguments of [`in_shard`] for a share (all NULL: every item).
fn shard_args(shard: Option<Shard>) -> [Value; 3] {
    match shard {
        Some(s) => {
            let count = u64::from(s.count.max(1));
            let wrap = ((u128::from(u64::MAX) + 1) % u128::from(count)) as i64;
            [Value::Int(count as i64), Value::Int(i64::from(s.index)), Value::Int(wrap)]
        }
        None => [Value::Null, Value::Null, Value::Null],
    }
}

/// An item as a worker claimed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedItem {
    /// The item's number in its run.
    pub item: i64,
    /// The repository it reads.
    pub repository: String,
    /// The tags it reads; `None`: the repository's tags as the run's `--tags` selects them.
    pub tags: Option<Vec<String>>,
    /// How many times it was claimed, this claim included.
    pub attempts: i64,
}

/// An item's state, for `customs registry status` and `finalize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStatus {
    /// The item's number in its run.
    pub item: i64,
    /// The repository it reads.
    pub repository: String,
    /// How many tags it reads (`None`: as the selection decides).
    pub tags: Option<usize>,
    /// `pending`, `done` or `failed`.
    pub state: String,
    /// Who holds its lease, while one does.
    pub leased_by: Option<String>,
    /// Since when (seconds since 1970).
    pub leased_since: Option<i64>,
    /// Until when.
    pub lease_until: Option<i64>,
    /// How many times it was claimed.
    pub attempts: i64,
}

impl Store {
    /// Records a run's plan and its items, in one transaction; the items are claimed
    /// in the order given.
    pub fn record_plan(
        &self,
        run: RunId,
        plan_json: &[u8],
        items: &[(String, Option<Vec<String>>)],
    ) -> Result<(), StoreError> {
        let plan = compress(plan_json);
        self.transaction(|s| {
            s.exec("INSERT INTO run_plans (run, plan) VALUES (?1, ?2)", &args![run, &plan])?;
            for (number, (repository, tags)) in items.iter().enumerate() {
                let tags = tags.as_ref().map(|t| serde_json::to_string(t).unwrap_or_default());
                s.exec(
                    "INSERT INTO work_items (run, item, repository, shard_key, tags) VALUES (?1, ?2, ?3, ?4, ?5)",
                    &args![run, number as i64, repository, name_hash(repository) as i64, tags],
                )?;
            }
            Ok(())
        })
    }

    /// A run's plan (JSON), when it was planned.
    pub fn plan(&self, run: RunId) -> Result<Option<Vec<u8>>, StoreError> {
        let compressed: Option<Vec<u8>> = self.session(|s| {
            s.first("SELECT plan FROM run_plans WHERE run = ?1", &args![run])?.map(|row| row.get(0)).transpose()
        })?;
        compressed.map(|c| decompress(&c).map_err(|m| self.corrupt(&format!("the plan of run {run}"), m))).transpose()
    }

    /// Claims the next item of `run` for `worker` until `now + lease` (seconds); `None`
    /// when every item is done, failed, or leased by a live worker. Items claimed
    /// `max_attempts` times whose lease ran out are marked failed first.
    pub fn claim_item(
        &self,
        run: RunId,
        worker: &str,
        now: i64,
        lease: i64,
        max_attempts: i64,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        self.claim_item_of(run, None, worker, now, lease, max_attempts)
    }

    /// [`Store::claim_item`], among the items of `shard` only (`None`: any item): a
    /// worker with a static share (`work --shard I/N`).
    pub fn claim_item_of(
        &self,
        run: RunId,
        shard: Option<Shard>,
        worker: &str,
        now: i64,
        lease: i64,
        max_attempts: i64,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        let [count, index, wrap] = shard_args(shard);
        self.session(|s| {
            s.exec(
                "UPDATE work_items SET state = 'failed', leased_by = NULL, lease_until = NULL
                 WHERE run = ?1 AND state = 'pending' AND attempts >= ?2 AND lease_until < ?3",
                &args![run, max_attempts, now],
            )?;
            let pick = match s.dialect() {
                Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
                Dialect::Sqlite => "",
            };
            let sql = format!(
                "UPDATE work_items SET leased_by = ?2, leased_since = ?3, lease_until = ?4, attempts = attempts + 1
                 WHERE run = ?1 AND item = (SELECT item FROM work_items WHERE run = ?1 AND state = 'pending'
                   AND (lease_until IS NULL OR lease_until < ?3) AND {} ORDER BY item LIMIT 1{pick})
                 RETURNING item, repository, tags, attempts",
                in_shard(5)
            );
            let arguments = args![run, worker, now, now + lease, count, index, wrap];
            let Some(row) = s.first(&sql, &arguments)? else { return Ok(None) };
            let item: i64 = row.get(0)?;
            let tags: Option<String> = row.get(2)?;
            let tags = tags
                .map(|t| serde_json::from_str::<Vec<String>>(&t))
                .transpose()
                .map_err(|e| SqlError(format!("item {item} of run {run} has unreadable tags ({e})")))?;
            Ok(Some(ClaimedItem { item: row.get(0)?, repository: row.get(1)?, tags, attempts: row.get(3)? }))
        })
    }

    /// Extends `worker`'s lease of an item to `until`; `false` when the worker no longer
    /// holds it (its lease ran out and another worker claimed it, or it is finished).
    pub fn renew_lease(&self, run: RunId, item: i64, worker: &str, until: i64) -> Result<bool, StoreError> {
        let changed = self.session(|s| {
            s.exec(
                "UPDATE work_items SET lease_until = ?4 WHERE run = ?1 AND item = ?2 AND leased_by = ?3 AND state = 'pending'",
                &args![run, item, worker, until],
            )
        })?;
        Ok(changed > 0)
    }

    /// Records what an item gave (JSON) and marks it done. Idempotent: an item two
    /// workers both finished (the first one's lease ran out) keeps the first outcome;
    /// both read the same registry into the same idempotent rows.
    pub fn finish_item(&self, run: RunId, item: i64, outcome_json: &[u8], now: &str) -> Result<(), StoreError> {
        let outcome = compress(outcome_json);
        self.session(|s| {
            s.exec(
                "UPDATE work_items SET state = 'done', outcome = ?3, finished = ?4, leased_by = NULL, lease_until = NULL
                 WHERE run = ?1 AND item = ?2 AND state = 'pending'",
                &args![run, item, &outcome, now],
            )
        })?;
        Ok(())
    }

    /// Gives an item back at once (the worker hit an error it cannot record), so the
    /// next worker need not wait for the lease to run out.
    pub fn release_item(&self, run: RunId, item: i64, worker: &str) -> Result<(), StoreError> {
        self.session(|s| {
            s.exec(
                "UPDATE work_items SET leased_by = NULL, lease_until = NULL
                 WHERE run = ?1 AND item = ?2 AND leased_by = ?3 AND state = 'pending'",
                &args![run, item, worker],
            )
        })?;
        Ok(())
    }

    /// The tags an item reads; `None` for a whole repository.
    pub fn item_tags(&self, run: RunId, item: i64) -> Result<Option<Vec<String>>, StoreError> {
        let tags: Option<String> = self.session(|s| {
            Ok(s.first("SELECT tags FROM work_items WHERE run = ?1 AND item = ?2", &args![run, item])?
                .map(|row| row.get::<Option<String>>(0))
                .transpose()?
                .flatten())
        })?;
        tags.map(|t| {
            serde_json::from_str(&t).map_err(|e| self.corrupt(&format!("item {item} of run {run}"), e.to_string()))
        })
        .transpose()
    }

    /// Records the advisory database a run is matched against (a planned run learns it
    /// at `finalize`).
    pub fn set_run_database(&self, run: RunId, database: &str) -> Result<(), StoreError> {
        self.session(|s| s.exec("UPDATE runs SET database = ?2 WHERE id = ?1", &args![run, database]))?;
        Ok(())
    }

    /// How many items of a run (of `shard`'s share, when given) are neither done nor given up.
    pub fn unfinished_items(&self, run: RunId, shard: Option<Shard>) -> Result<i64, StoreError> {
        let [count, index, wrap] = shard_args(shard);
        let sql = format!("SELECT COUNT(*) FROM work_items WHERE run = ?1 AND state = 'pending' AND {}", in_shard(2));
        self.session(|s| s.first(&sql, &[Value::Int(run), count, index, wrap])?.map_or(Ok(0), |row| row.get(0)))
    }

    /// Lets this connection's commits return before the server has written them to disk
    /// (PostgreSQL's `synchronous_commit = off`; SQLite stores already commit so). For
    /// workers only: a server that crashes loses the last commits, in order, and every
    /// write of a worker is idempotent, so an item whose `done` was lost is read again.
    /// Never for `plan`, whose run id is handed out once its commit returns.
    pub fn commit_without_waiting(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            self.session(|s| s.exec("SET synchronous_commit TO off", &[]))?;
        }
        Ok(())
    }

    /// Every item of a run, in order.
    pub fn items(&self, run: RunId) -> Result<Vec<ItemStatus>, StoreError> {
        self.session(|s| {
            s.rows(
                "SELECT item, repository, tags, state, leased_by, leased_since, lease_until, attempts
                 FROM work_items WHERE run = ?1 ORDER BY item",
                &args![run],
            )?
            .iter()
            .map(item_status)
            .collect()
        })
    }

    /// The outcomes (JSON) of a run's finished items, in item order.
    pub fn item_outcomes(&self, run: RunId) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let rows: Vec<(i64, Vec<u8>)> = self.session(|s| {
            s.rows("SELECT item, outcome FROM work_items WHERE run = ?1 AND state = 'done' ORDER BY item", &args![run])?
                .iter()
                .map(|row| Ok((row.get(0)?, row.get(1)?)))
                .collect()
        })?;
        rows.into_iter()
            .map(|(item, compressed)| {
                decompress(&compressed)
                    .map(|json| (item, json))
                    .map_err(|m| self.corrupt(&format!("item {item} of run {run}"), m))
            })
            .collect()
    }
}

fn item_status(row: &Row) -> Result<ItemStatus, SqlError> {
    let tags: Option<String> = row.get(2)?;
    Ok(ItemStatus {
        item: row.get(0)?,
        repository: row.get(1)?,
        tags: tags.map(|t| serde_json::from_str::<Vec<String>>(&t).map(|v| v.len()).unwrap_or(0)),
        state: row.get(3)?,
        leased_by: row.get(4)?,
        leased_since: row.get(5)?,
        lease_until: row.get(6)?,
        attempts: row.get(7)?,
    })
}
