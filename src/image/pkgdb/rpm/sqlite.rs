//! `rpmdb.sqlite` (rpm ≥ 4.16, RHEL/AlmaLinux/Rocky 9, Fedora ≥ 33): the `Packages`
//! table holds one header blob per installed package, keyed by `hnum`.
//!
//! SQLite reads files, and the database is in memory (a layer's content), so it is
//! written to a private temporary directory that is removed afterwards, together with
//! its write-ahead log when the image has one (transactions not yet checkpointed live
//! there). The copy is opened read-write so SQLite can replay that log; nothing is ever
//! written outside the temporary directory. SQLite itself is hardened against corrupt
//! files: a hostile database gets an SQLite error.

use super::BlobVisitor;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// Calls `visit(hnum, blob)` for every row of the `Packages` table, in `hnum` order.
pub fn read_blobs(db: &[u8], wal: Option<&[u8]>, visit: &mut BlobVisitor<'_>) -> Result<(), String> {
    let dir = TempDir::create().map_err(|e| format!("cannot create a temporary directory for SQLite: {e}"))?;
    let path = dir.path().join("rpmdb.sqlite");
    fs::write(&path, db).map_err(|e| format!("cannot write a temporary copy for SQLite: {e}"))?;
    if let Some(wal) = wal.filter(|wal| !wal.is_empty()) {
        fs::write(dir.path().join("rpmdb.sqlite-wal"), wal)
            .map_err(|e| format!("cannot write a temporary copy of the write-ahead log: {e}"))?;
    }
    // Declared after `dir`, so the connection closes before the directory is removed.
    let connection =
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(sql)?;
    // The schema comes from the image: its views and triggers may not call functions.
    connection.pragma_update(None, "trusted_schema", false).map_err(sql)?;
    let kind: Option<String> = connection
        .query_row("SELECT type FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE", [], |row| row.get(0))
        .optional()
        .map_err(sql)?;
    if kind.as_deref() != Some("table") {
        return Err("no Packages table".to_string());
    }
    let mut statement = connection.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").map_err(sql)?;
    let mut rows = statement.query([]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let hnum: i64 = row.get(0).map_err(sql)?;
        let blob = row.get_ref(1).map_err(sql)?;
        let blob = blob.as_blob().map_err(|_| format!("package {hnum}: the header is not a blob"))?;
        visit(hnum as u64, blob)?;
    }
    Ok(())
}

fn sql(error: rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message,
        other => other.to_string(),
    }
}

/// A directory only this process uses, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let mut last_error = None;
        for _ in 0..16 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("customs-rpmdb-{}-{nanos}-{n}", std::process::id()));
            // `create` (not `create_all`) fails when the path exists: the directory is ours.
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free name")))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(db: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let mut out = Vec::new();
        read_blobs(db, None, &mut |hnum, blob| {
            out.push((hnum, blob.to_vec()));
            Ok(())
        })?;
        Ok(out)
    }

    /// An SQLite database file with the rpm schema and the given rows, made with rusqlite.
    fn database(rows: &[(i64, &[u8])], blob_type: &str) -> Vec<u8> {
        let dir = TempDir::create().unwrap();
        let path = dir.path().join("made.sqlite");
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch(&format!(
                "CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob {blob_type} NOT NULL);"
            ))
            .unwrap();
        for (hnum, blob) in rows {
            connection.execute("INSERT INTO Packages (hnum, blob) VALUES (?1, ?2)", (hnum, blob)).unwrap();
        }
        drop(connection);
        fs::read(&path).unwrap()
    }

    #[test]
    fn rows_come_in_hnum_order() {
        let db = database(&[(7, b"seven"), (2, b"two")], "BLOB");
        assert_eq!(blobs(&db).unwrap(), [(2, b"two".to_vec()), (7, b"seven".to_vec())]);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert_eq!(blobs(b"").unwrap_err(), "no Packages table");
        assert_eq!(blobs(&[0x5a; 4096]).unwrap_err(), "file is not a database");
        let db = database(&[(1, b"x")], "BLOB");
        assert_eq!(blobs(&db[..db.len() / 2]).unwrap_err(), "database disk image is malformed");
        let text = {
            let dir = TempDir::create().unwrap();
            let path = dir.path().join("t.sqlite");
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob); INSERT INTO Packages VALUES (4, 'text');",
            )
            .unwrap();
            drop(c);
            fs::read(&path).unwrap()
        };
        assert_eq!(blobs(&text).unwrap_err(), "package 4: the header is not a blob");
    }

    #[test]
    fn the_temporary_directory_is_removed() {
        let dir = TempDir::create().unwrap();
        let path = dir.path().to_path_buf();
        fs::write(path.join("f"), b"x").unwrap();
        assert!(path.is_dir());
        drop(dir);
        assert!(!path.exists());
    }
}
