//! The store's tables, as numbered migrations. Each migration runs once, in order, in
//! one transaction with the bump of `schema_version`; a store written by a newer customs
//! (a higher version than [`MIGRATIONS`] knows) is refused rather than misread.
//!
//! Plain SQL types only (INTEGER, TEXT, BLOB) and no SQLite-only constructs besides
//! `INTEGER PRIMARY KEY` for generated ids, so that PostgreSQL holds the same tables:
//! [`postgres`] spells each migration in its types (BIGINT, BYTEA, identity columns).

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE runs (
        id              INTEGER PRIMARY KEY,
        registry        TEXT NOT NULL,
        kind            TEXT NOT NULL,
        started         TEXT NOT NULL,
        finished        TEXT,
        customs_version TEXT NOT NULL,
        database        TEXT NOT NULL,
        partial         INTEGER NOT NULL DEFAULT 0,
        report          BLOB
    );
    CREATE INDEX runs_by_registry ON runs (registry, id);

    -- Which digest each repo:tag pointed to, and from when to when.
    CREATE TABLE tags (
        registry   TEXT NOT NULL,
        repository TEXT NOT NULL,
        tag        TEXT NOT NULL,
        digest     TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        first_run  INTEGER NOT NULL,
        last_run   INTEGER NOT NULL,
        PRIMARY KEY (registry, repository, tag, digest)
    );

    -- What a tag's manifest (an image, or an index) stands for: all its platform images.
    CREATE TABLE manifests (
        registry     TEXT NOT NULL,
        repository   TEXT NOT NULL,
        digest       TEXT NOT NULL,
        platform     TEXT NOT NULL,
        image_digest TEXT NOT NULL,
        PRIMARY KEY (registry, repository, digest, image_digest)
    );

    -- When the image behind a tag's manifest was created, for `--tags recent:N`.
    CREATE TABLE created (
        registry   TEXT NOT NULL,
        repository TEXT NOT NULL,
        digest     TEXT NOT NULL,
        created    TEXT NOT NULL,
        PRIMARY KEY (registry, repository, digest)
    );

    -- One platform image's analysis: the inventory, keyed by the analysers that made it.
    CREATE TABLE images (
        digest     TEXT NOT NULL,
        analysers  TEXT NOT NULL,
        platform   TEXT NOT NULL,
        layers     TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        inventory  BLOB NOT NULL,
        PRIMARY KEY (digest, analysers)
    );

    -- Reverse index: which images hold a package.
    CREATE TABLE image_packages (
        ecosystem    TEXT NOT NULL,
        name         TEXT NOT NULL,
        version      TEXT NOT NULL,
        image_digest TEXT NOT NULL,
        PRIMARY KEY (ecosystem, name, version, image_digest)
    );
    CREATE INDEX image_packages_by_image ON image_packages (image_digest);

    -- One layer's analysis, keyed by layer digest and analyser version (the cache key).
    CREATE TABLE layers (
        key      TEXT PRIMARY KEY,
        digest   TEXT NOT NULL,
        analysed TEXT NOT NULL,
        data     BLOB NOT NULL
    );

    -- What each run saw: every repo:tag and the platform images behind it.
    CREATE TABLE run_images (
        run          INTEGER NOT NULL,
        repository   TEXT NOT NULL,
        tag          TEXT NOT NULL,
        top_digest   TEXT NOT NULL,
        image_digest TEXT NOT NULL,
        platform     TEXT NOT NULL,
        PRIMARY KEY (run, repository, tag, image_digest)
    );

    -- Findings per run and image, and when each was first and last seen.
    CREATE TABLE run_findings (
        run          INTEGER NOT NULL,
        repository   TEXT NOT NULL,
        image_digest TEXT NOT NULL,
        platform     TEXT NOT NULL,
        advisory     TEXT NOT NULL,
        ecosystem    TEXT NOT NULL,
        package      TEXT NOT NULL,
        version      TEXT NOT NULL,
        path         TEXT NOT NULL,
        severity     TEXT,
        PRIMARY KEY (run, repository, image_digest, advisory, ecosystem, package, version, path)
    );
    CREATE TABLE findings (
        registry     TEXT NOT NULL,
        repository   TEXT NOT NULL,
        advisory     TEXT NOT NULL,
        ecosystem    TEXT NOT NULL,
        package      TEXT NOT NULL,
        path         TEXT NOT NULL,
        first_seen   TEXT NOT NULL,
        last_seen    TEXT NOT NULL,
        first_run    INTEGER NOT NULL,
        last_run     INTEGER NOT NULL,
        PRIMARY KEY (registry, repository, advisory, ecosystem, package, path)
    );

    -- Policy verdicts (signatures, base images) per run and image.
    CREATE TABLE policy_verdicts (
        run          INTEGER NOT NULL,
        repository   TEXT NOT NULL,
        image_digest TEXT NOT NULL,
        rule         TEXT NOT NULL,
        message      TEXT NOT NULL,
        PRIMARY KEY (run, repository, image_digest, rule, message)
    );

    CREATE TABLE failures (
        run        INTEGER NOT NULL,
        repository TEXT NOT NULL,
        tag        TEXT NOT NULL,
        reason     TEXT NOT NULL,
        message    TEXT NOT NULL,
        PRIMARY KEY (run, repository, tag)
    );

    -- Webhook deliveries; a failed one is kept and tried again on the next run.
    CREATE TABLE notifications (
        id         INTEGER PRIMARY KEY,
        run        INTEGER NOT NULL,
        url        TEXT NOT NULL,
        body       BLOB NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        delivered  TEXT
    );
    "#,
    // 2: shards (`registry scan --shard I/N`, `registry merge`). A shard's run records
    // its index and count; a merged run has a count and no index, and lists the
    // indices that were not given (comma-separated; NULL or empty when none). `selection`
    // is what the run was asked to sweep, so that shards of different sweeps are never
    // merged.
    r#"
    ALTER TABLE runs ADD COLUMN shard_index INTEGER;
    ALTER TABLE runs ADD COLUMN shard_count INTEGER;
    ALTER TABLE runs ADD COLUMN selection TEXT;
    ALTER TABLE runs ADD COLUMN missing_shards TEXT;
    "#,
    // 3: runs split into work items (`registry plan | work | finalize`). A plan is what
    // the workers need to know of the run (the selection, what the catalog listed); an
    // item is one repository, or a chunk of one repository's tags, claimed by one
    // worker at a time under a lease (`lease_until`, seconds since 1970) that it
    // renews while it works; `outcome` is what the item gave (compressed JSON).
    // `shard_key` is the repository's name hash (`shard::name_hash`, as a signed
    // 64-bit integer) for workers that take a static share (`work --shard I/N`).
    r#"
    CREATE TABLE run_plans (
        run  INTEGER NOT NULL PRIMARY KEY,
        plan BLOB NOT NULL
    );
    CREATE TABLE work_items (
        run          INTEGER NOT NULL,
        item         INTEGER NOT NULL,
        repository   TEXT NOT NULL,
        shard_key    INTEGER NOT NULL,
        tags         TEXT,
        state        TEXT NOT NULL DEFAULT 'pending',
        leased_by    TEXT,
        leased_since INTEGER,
        lease_until  INTEGER,
        attempts     INTEGER NOT NULL DEFAULT 0,
        finished     TEXT,
        outcome      BLOB,
        PRIMARY KEY (run, item)
    );
    CREATE INDEX work_items_by_state ON work_items (run, state);
    "#,
];

/// A migration in PostgreSQL's types: 64-bit integers everywhere (the client binds
/// `i64` to BIGINT only), BYTEA for blobs, identity columns for generated ids.
pub fn postgres(sql: &str) -> String {
    sql.replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        .replace("INTEGER", "BIGINT")
        .replace("BLOB", "BYTEA")
}

#[cfg(test)]
mod tests {
    #[test]
    fn postgres_migrations_use_postgres_types_only() {
        for sql in super::MIGRATIONS {
            let translated = super::postgres(sql);
            assert!(!translated.contains("INTEGER") && !translated.contains("BLOB"), "{translated}");
        }
        let first = super::postgres(super::MIGRATIONS[0]);
        assert!(first.contains("id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
        assert!(super::postgres(super::MIGRATIONS[2]).contains("run  BIGINT NOT NULL PRIMARY KEY"));
    }
}
