use super::header::build::package;
use super::testing::{db_load, ndb, real, rpm_bdb_ro_query, LAYER};
use super::*;
use crate::image::fs::LayerFiles;
use crate::inventory::testing::summarize;

fn image(files: Vec<(&str, Vec<u8>)>) -> ImageFs {
    ImageFs::merge(&[LayerFiles {
        digest: LAYER.into(),
        files: files.into_iter().map(|(path, bytes)| (path.to_string(), bytes)).collect(),
        ..LayerFiles::default()
    }])
}

fn os(id: &str, version_id: &str, ecosystem: Option<&str>) -> Context {
    Context {
        os: Some(OsRelease {
            id: id.into(),
            version_id: version_id.into(),
            pretty_name: format!("{id} {version_id}"),
            ecosystem: ecosystem.map(|e| e.parse().unwrap()),
        }),
    }
}

fn alma() -> Context {
    os("almalinux", "9.3", Some("AlmaLinux:9"))
}

fn collect(fs: &ImageFs, context: &Context) -> Result<Vec<String>, String> {
    Rpm.collect(fs, context).map(|packages| summarize(&packages))
}

/// The fixture packages as an AlmaLinux 9.3 image lists them (the key is skipped).
const ALMA: [&str; 4] = [
    "AlmaLinux:9|hello|2:2.12.1-3.el9|pkg:rpm/almalinux/hello@2.12.1-3.el9?arch=x86_64&distro=almalinux-9.3&epoch=2&upstream=hello-2.12.1-3.el9.src.rpm|-|",
    "AlmaLinux:9|hello-libs|2:2.12.1-3.el9|pkg:rpm/almalinux/hello-libs@2.12.1-3.el9?arch=x86_64&distro=almalinux-9.3&epoch=2&upstream=hello-2.12.1-3.el9.src.rpm|-|",
    "AlmaLinux:9|tzdata|2024a-1.el9|pkg:rpm/almalinux/tzdata@2024a-1.el9?arch=noarch&distro=almalinux-9.3&upstream=tzdata-2024a-1.el9.src.rpm|-|",
    "AlmaLinux:9|zlib|1.2.11-40.el9|pkg:rpm/almalinux/zlib@1.2.11-40.el9?arch=x86_64&distro=almalinux-9.3&upstream=zlib-1.2.11-40.el9.src.rpm|-|",
];

fn real_blobs() -> Vec<(u32, &'static [u8])> {
    real().blobs.iter().map(|(n, blob)| (*n, blob.as_slice())).collect()
}

#[test]
fn wants_the_databases_in_both_directories() {
    for dir in ["var/lib/rpm", "usr/lib/sysimage/rpm"] {
        for file in ["rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"] {
            assert!(Rpm.wants(&format!("{dir}/{file}")), "{dir}/{file}");
        }
    }
    for path in
        ["var/lib/rpm/Name", "var/lib/rpm/rpmdb.sqlite-shm", "var/lib/rpm", "opt/var/lib/rpm/Packages", "Packages"]
    {
        assert!(!Rpm.wants(path), "{path}");
    }
}

#[test]
fn reads_the_sqlite_database_rpm_wrote() {
    let fs = image(vec![("var/lib/rpm/rpmdb.sqlite", real().sqlite.clone())]);
    let packages = Rpm.collect(&fs, &alma()).unwrap();
    assert_eq!(summarize(&packages), ALMA);
    for package in &packages {
        assert_eq!(
            package.location,
            Location { path: "/var/lib/rpm/rpmdb.sqlite".into(), line: None, layer: Some(LAYER.into()) }
        );
    }
}

#[test]
fn reads_berkeley_db_hash_files_made_by_db_load_in_both_byte_orders() {
    for (page_size, big_endian) in [(4096, false), (512, true), (1024, false)] {
        let file = db_load(&real_blobs(), page_size, big_endian);
        let fs = image(vec![("var/lib/rpm/Packages", file.clone())]);
        let packages = Rpm.collect(&fs, &alma()).unwrap();
        assert_eq!(summarize(&packages), ALMA, "page size {page_size}, big-endian {big_endian}");
        assert_eq!(packages[0].location.path, "/var/lib/rpm/Packages");

        // rpm's own reader sees the same packages (gpg-pubkey included).
        let ours: Vec<String> = read_installed(Format::BerkeleyDb, &file, None)
            .unwrap()
            .iter()
            .map(|p| {
                let arch = p.arch.as_deref().unwrap_or("(none)");
                format!("{} {}:{}-{} {arch}", p.name, p.epoch.unwrap_or(0), p.version, p.release)
            })
            .collect();
        assert_eq!(ours, rpm_bdb_ro_query(&file));
        assert_eq!(ours.len(), 5);
    }
}

#[test]
fn walks_every_bucket_of_a_large_berkeley_db() {
    // 600 records split the hash table over many buckets and spare-page generations.
    let blobs = real_blobs();
    let records: Vec<(u32, &[u8])> = (1..=600).map(|n| (n, blobs[n as usize % blobs.len()].1)).collect();
    let file = db_load(&records, 512, false);
    let installed = read_installed(Format::BerkeleyDb, &file, None).unwrap();
    assert_eq!(installed.len(), 600);
    assert_eq!(installed.iter().filter(|p| p.name == "hello").count(), 120);
    assert_eq!(rpm_bdb_ro_query(&file).len(), 600);
}

#[test]
fn reads_an_ndb_database_of_rpm_headers() {
    let fs = image(vec![("usr/lib/sysimage/rpm/Packages.db", ndb(&real_blobs()))]);
    let context = os("opensuse-leap", "15.5", None);
    assert_eq!(
        collect(&fs, &context).unwrap(),
        [
            "openSUSE|hello|2:2.12.1-3.el9|pkg:rpm/opensuse/hello@2.12.1-3.el9?arch=x86_64&distro=opensuse-leap-15.5&epoch=2&upstream=hello-2.12.1-3.el9.src.rpm|-|",
            "openSUSE|hello-libs|2:2.12.1-3.el9|pkg:rpm/opensuse/hello-libs@2.12.1-3.el9?arch=x86_64&distro=opensuse-leap-15.5&epoch=2&upstream=hello-2.12.1-3.el9.src.rpm|-|",
            "openSUSE|tzdata|2024a-1.el9|pkg:rpm/opensuse/tzdata@2024a-1.el9?arch=noarch&distro=opensuse-leap-15.5&upstream=tzdata-2024a-1.el9.src.rpm|-|",
            "openSUSE|zlib|1.2.11-40.el9|pkg:rpm/opensuse/zlib@1.2.11-40.el9?arch=x86_64&distro=opensuse-leap-15.5&upstream=zlib-1.2.11-40.el9.src.rpm|-|",
        ]
    );
    let packages = Rpm.collect(&fs, &context).unwrap();
    assert_eq!(packages[0].location.path, "/usr/lib/sysimage/rpm/Packages.db");
}

#[test]
fn the_distribution_sets_ecosystem_namespace_and_distro() {
    let fs = image(vec![("var/lib/rpm/rpmdb.sqlite", real().sqlite.clone())]);
    let first = |context: &Context| collect(&fs, context).unwrap().remove(0);
    let hello = "hello|2:2.12.1-3.el9";
    let qualifiers = "arch=x86_64";
    let tail = "epoch=2&upstream=hello-2.12.1-3.el9.src.rpm|-|";
    assert_eq!(
        first(&os("rocky", "9.3", Some("Rocky Linux:9"))),
        format!("Rocky Linux:9|{hello}|pkg:rpm/rocky/hello@2.12.1-3.el9?{qualifiers}&distro=rocky-9.3&{tail}")
    );
    assert_eq!(
        first(&os("rhel", "9.3", Some("Red Hat"))),
        format!("Red Hat|{hello}|pkg:rpm/redhat/hello@2.12.1-3.el9?{qualifiers}&distro=rhel-9.3&{tail}")
    );
    assert_eq!(
        first(&os("sles", "15.5", Some("SUSE"))),
        format!("SUSE|{hello}|pkg:rpm/suse/hello@2.12.1-3.el9?{qualifiers}&distro=sles-15.5&{tail}")
    );
    // Distributions without an OSV ecosystem customs matches: listed, never matched.
    assert_eq!(
        first(&os("fedora", "39", None)),
        format!("Red Hat|{hello}|pkg:rpm/fedora/hello@2.12.1-3.el9?{qualifiers}&distro=fedora-39&{tail}")
    );
    assert_eq!(
        first(&os("centos", "7", None)),
        format!("Red Hat|{hello}|pkg:rpm/centos/hello@2.12.1-3.el9?{qualifiers}&distro=centos-7&{tail}")
    );
    assert_eq!(
        first(&os("amzn", "2", None)),
        format!("Red Hat|{hello}|pkg:rpm/amazon/hello@2.12.1-3.el9?{qualifiers}&distro=amzn-2&{tail}")
    );
    // The detection found Debian (an rpm database in a Debian image): not Debian packages.
    assert_eq!(
        first(&os("debian", "12", Some("Debian:12"))),
        format!("Red Hat|{hello}|pkg:rpm/debian/hello@2.12.1-3.el9?{qualifiers}&distro=debian-12&{tail}")
    );
    // No OS detected: no namespace, no distro.
    assert_eq!(first(&Context::default()), format!("Red Hat|{hello}|pkg:rpm/hello@2.12.1-3.el9?{qualifiers}&{tail}"));
}

#[test]
fn the_newest_format_then_the_newest_directory_wins() {
    let only_bash = || ndb(&[(1, &package("bash", None, "5.1.8", "6.el9"))]);
    let only_glibc = || db_load(&[(1, &package("glibc", None, "2.34", "100.el9"))], 4096, false);
    let names = |fs: &ImageFs| {
        Rpm.collect(fs, &alma()).unwrap().iter().map(|p| format!("{} {}", p.name, p.location.path)).collect::<Vec<_>>()
    };
    // A Berkeley DB left behind by a conversion to SQLite.
    let fs = image(vec![("var/lib/rpm/Packages", only_glibc()), ("var/lib/rpm/rpmdb.sqlite", real().sqlite.clone())]);
    assert_eq!(names(&fs).len(), 4);
    let fs = image(vec![("var/lib/rpm/Packages", only_glibc()), ("usr/lib/sysimage/rpm/Packages.db", only_bash())]);
    assert_eq!(names(&fs), ["bash /usr/lib/sysimage/rpm/Packages.db"]);
    let fs = image(vec![("var/lib/rpm/Packages.db", only_bash()), ("usr/lib/sysimage/rpm/Packages.db", ndb(&[]))]);
    assert_eq!(names(&fs), Vec::<String>::new());
}

#[test]
fn a_symlinked_directory_reports_the_real_path() {
    let mut layer = LayerFiles {
        digest: LAYER.into(),
        files: [(
            "usr/lib/sysimage/rpm/Packages.db".to_string(),
            ndb(&[(1, &package("bash", None, "5.1.8", "6.el9"))]),
        )]
        .into(),
        ..LayerFiles::default()
    };
    layer.symlinks.insert("var/lib/rpm".into(), "../../usr/lib/sysimage/rpm".into());
    let packages = Rpm.collect(&ImageFs::merge(&[layer]), &alma()).unwrap();
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0].location.path, "/usr/lib/sysimage/rpm/Packages.db");
}

#[test]
fn an_image_without_a_database_has_no_rpm_packages() {
    assert_eq!(collect(&image(vec![("var/lib/dpkg/status", b"".to_vec())]), &alma()).unwrap(), Vec::<String>::new());
}

#[test]
fn the_sqlite_write_ahead_log_is_replayed() {
    // A WAL-mode database whose last transaction is still in the log.
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("rpmdb.sqlite");
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
             CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let blob = package("bash", None, "5.1.8", "6.el9");
    connection.execute("INSERT INTO Packages (blob) VALUES (?1)", [&blob]).unwrap();
    let (db, wal) = (std::fs::read(&path).unwrap(), std::fs::read(work.path().join("rpmdb.sqlite-wal")).unwrap());
    drop(connection);
    assert!(!wal.is_empty());

    let fs = image(vec![("var/lib/rpm/rpmdb.sqlite", db.clone()), ("var/lib/rpm/rpmdb.sqlite-wal", wal)]);
    assert_eq!(Rpm.collect(&fs, &alma()).unwrap().len(), 1);
    let fs = image(vec![("var/lib/rpm/rpmdb.sqlite", db)]);
    assert_eq!(Rpm.collect(&fs, &alma()).unwrap().len(), 0);
}

/// The error for one database file at `path` holding `bytes`.
fn error(path: &str, bytes: Vec<u8>) -> String {
    Rpm.collect(&image(vec![(path, bytes)]), &alma()).unwrap_err()
}

#[test]
fn broken_databases_are_errors_naming_the_file_and_layer() {
    let bdb = "rpm database /var/lib/rpm/Packages (Berkeley DB, layer sha256:1111111111111111111111111111111111111111111111111111111111111111)";
    assert_eq!(
        error("var/lib/rpm/Packages", Vec::new()),
        format!("{bdb}: 0 bytes, shorter than a Berkeley DB metadata page")
    );
    let sqlite = "rpm database /var/lib/rpm/rpmdb.sqlite (SQLite, layer sha256:1111111111111111111111111111111111111111111111111111111111111111)";
    assert_eq!(error("var/lib/rpm/rpmdb.sqlite", Vec::new()), format!("{sqlite}: no Packages table"));
    assert_eq!(error("var/lib/rpm/rpmdb.sqlite", junk(5000, 1)), format!("{sqlite}: file is not a database"));
    let ndb_error = "rpm database /var/lib/rpm/Packages.db (ndb, layer sha256:1111111111111111111111111111111111111111111111111111111111111111)";
    assert_eq!(
        error("var/lib/rpm/Packages.db", junk(5000, 2)),
        format!("{ndb_error}: no RpmP magic: not an rpm ndb database")
    );
    // A header that is not one.
    assert_eq!(
        error("var/lib/rpm/Packages.db", ndb(&[(3, b"\0\0\0\x09junk")])),
        format!("{ndb_error}: package 3: header declares 9 entries and 1786080875 data bytes (1786081027 bytes) but the blob has 8")
    );
}

#[test]
fn a_looping_overflow_chain_in_a_real_database_is_an_error() {
    let mut file = db_load(&real_blobs(), 512, false);
    // Point the first overflow page's successor back at itself.
    let first =
        (1..file.len() / 512).find(|&n| file[n * 512 + 25] == 7 && file[n * 512 + 16..n * 512 + 20] != [0; 4]).unwrap();
    file[first * 512 + 16..first * 512 + 20].copy_from_slice(&(first as u32).to_le_bytes());
    let message = error("var/lib/rpm/Packages", file);
    assert!(message.ends_with(&format!("overflow chain leads to page {first} a second time (a loop)")), "{message}");
}

#[test]
fn random_junk_and_truncated_real_databases_are_errors() {
    for seed in 0..20 {
        let bytes = junk(600 + 997 * seed as usize, seed);
        for format in Format::ALL {
            assert!(read_installed(format, &bytes, None).is_err(), "{format:?} seed {seed}");
        }
    }
    let bdb = db_load(&real_blobs(), 1024, false);
    for end in (0..bdb.len()).step_by(97) {
        assert!(read_installed(Format::BerkeleyDb, &bdb[..end], None).is_err(), "Berkeley DB prefix {end}");
    }
    let ndb = ndb(&real_blobs());
    for end in (0..ndb.len()).step_by(7) {
        assert!(read_installed(Format::Ndb, &ndb[..end], None).is_err(), "ndb prefix {end}");
    }
    let sqlite = &real().sqlite;
    for end in [100, 4096, sqlite.len() / 2, sqlite.len() - 4096] {
        assert!(read_installed(Format::Sqlite, &sqlite[..end], None).is_err(), "SQLite prefix {end}");
    }
}

/// Deterministic pseudo-random bytes (xorshift).
fn junk(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
