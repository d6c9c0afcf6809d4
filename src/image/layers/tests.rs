use std::io::Write;

use super::*;
use crate::image::digest::Verified;
use crate::image::fs::{Context, ImageFs};
use crate::model::{EcosystemKind, Location, Package};

/// Keeps the paths it lists.
struct Wants(&'static [&'static str]);

impl Collector for Wants {
    fn id(&self) -> &'static str {
        "test/wants"
    }
    fn wants(&self, path: &str) -> bool {
        self.0.contains(&path)
    }
    fn collect(&self, _: &ImageFs, _: &Context) -> Result<Vec<crate::model::Package>, String> {
        Ok(Vec::new())
    }
}

/// Analyses `*.bin` files up to 100 bytes: `name version` → one Go package; content
/// starting with `bad` fails.
struct Binaries;

impl InlineAnalyzer for Binaries {
    fn id(&self) -> &'static str {
        "test/binaries"
    }
    fn wants(&self, path: &str, mode: u32, size: u64) -> bool {
        path.ends_with(".bin") && mode & 0o111 != 0 && size <= 100
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Package>, String> {
        let text = String::from_utf8_lossy(content);
        if text.starts_with("bad") {
            return Err("not a binary".into());
        }
        let (name, version) = text.split_once(' ').ok_or("no version")?;
        let location = Location { path: format!("/{path}"), line: None, layer: None };
        Ok(vec![Package::new(EcosystemKind::Go, name, version, location)])
    }
}

const COLLECTED: Wants = Wants(&["etc/os-release", "var/lib/dpkg/status", "etc/link", "etc/alias"]);

fn selector() -> Selector<'static> {
    static COLLECTORS: [&dyn Collector; 1] = [&COLLECTED];
    static INLINE: [&dyn InlineAnalyzer; 1] = [&Binaries];
    Selector::new(&COLLECTORS, &INLINE)
}

/// One tar entry, its name written byte for byte (the tar crate's own setters refuse
/// the hostile names these tests need).
enum E<'a> {
    File(&'a str, &'a [u8]),
    Exec(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    LongName(usize),
    Fifo(&'a str),
}

fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, kind, mode, link, content): (&str, EntryType, u32, &str, Vec<u8>) = match entry {
            E::File(name, content) => (name, EntryType::Regular, 0o644, "", content.to_vec()),
            E::Exec(name, content) => (name, EntryType::Regular, 0o755, "", content.to_vec()),
            E::Dir(name) => (name, EntryType::Directory, 0o755, "", Vec::new()),
            E::Symlink(name, target) => (name, EntryType::Symlink, 0o777, target, Vec::new()),
            E::HardLink(name, target) => (name, EntryType::Link, 0o644, target, Vec::new()),
            E::LongName(len) => ("././@LongLink", EntryType::GNULongName, 0o644, "", vec![b'a'; *len]),
            E::Fifo(name) => (name, EntryType::Fifo, 0o644, "", Vec::new()),
        };
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(content.len() as u64);
        header.set_cksum();
        builder.append(&header, content.as_slice()).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 1).unwrap()
}

fn layer_ref(blob: &[u8]) -> LayerRef {
    LayerRef { digest: Digest::sha256_of(blob), media_type: "application/vnd.oci.image.layer.v1.tar".into(), size: 0 }
}

/// Reads `blob` as a verified stream, the way image sources hand layers over.
fn read(blob: &[u8], selector: &Selector) -> Result<LayerFiles, LayerError> {
    let layer = layer_ref(blob);
    let verified = Verified::new(blob, layer.digest.clone(), Some(blob.len() as u64), "test-image");
    read_layer(verified, &layer, selector)
}

fn read_ok(blob: &[u8]) -> LayerFiles {
    read(blob, &selector()).unwrap_or_else(|e| panic!("{e}"))
}

fn err(blob: &[u8], selector: &Selector) -> String {
    match read(blob, selector) {
        Ok(files) => panic!("read: {files:?}"),
        Err(e) => e.to_string(),
    }
}

fn kept(files: &LayerFiles) -> Vec<String> {
    files.files.iter().map(|(p, c)| format!("{p}={}", String::from_utf8_lossy(c))).collect()
}

fn sample() -> Vec<u8> {
    tar_of(&[
        E::Dir("./"),
        E::Dir("./etc/"),
        E::File("./etc/os-release", b"ID=debian\n"),
        E::File("./etc/passwd", b"root:x:0:0"),
        E::Dir("./var/lib/dpkg/"),
        E::File("./var/lib/dpkg/status", b"Package: bash\n"),
        E::Symlink("./usr/lib/os-release", "../../etc/os-release"),
    ])
}

#[test]
fn gzip_zstd_and_plain_layers_read_the_same() {
    let tar = sample();
    let plain = read_ok(&tar);
    assert_eq!(kept(&plain), ["etc/os-release=ID=debian\n", "var/lib/dpkg/status=Package: bash\n"]);
    assert_eq!(
        plain.symlinks.into_iter().collect::<Vec<_>>(),
        [("usr/lib/os-release".into(), "../../etc/os-release".into())]
    );
    assert_eq!(plain.digest, Digest::sha256_of(&tar).to_string());
    for compressed in [gzip(&tar), zstd(&tar)] {
        let files = read_ok(&compressed);
        assert_eq!(kept(&files), ["etc/os-release=ID=debian\n", "var/lib/dpkg/status=Package: bash\n"]);
        assert_eq!(files.digest, Digest::sha256_of(&compressed).to_string());
    }
    // A gzip layer mislabelled as plain tar is still read: the magic bytes decide.
    let blob = gzip(&tar);
    let layer = LayerRef { media_type: "application/vnd.oci.image.layer.v1.tar".into(), ..layer_ref(&blob) };
    assert_eq!(kept(&read_layer(blob.as_slice(), &layer, &selector()).unwrap()).len(), 2);
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let tar = sample();
    let (first, second) = tar.split_at(1024);
    let blob = [gzip(first), gzip(second)].concat();
    assert_eq!(kept(&read_ok(&blob)).len(), 2);
}

#[test]
fn empty_blob_is_an_empty_layer() {
    assert_eq!(read_ok(b""), LayerFiles { digest: Digest::sha256_of(b"").to_string(), ..LayerFiles::default() });
}

#[test]
fn absolute_and_root_entries_are_relative_to_the_image_root() {
    let tar = tar_of(&[
        E::Dir("/"),
        E::Symlink("./", "elsewhere"),
        E::File("/", b"not a file"),
        E::Dir("."),
        E::Dir("./"),
        E::File("/etc/os-release", b"abs"),
        E::File("//var/./lib/dpkg//status", b"odd"),
    ]);
    let files = read_ok(&tar);
    assert_eq!(kept(&files), ["etc/os-release=abs", "var/lib/dpkg/status=odd"]);
    assert!(files.symlinks.is_empty(), "{:?}", files.symlinks);
}

#[test]
fn entries_climbing_out_of_the_root_are_refused() {
    for name in ["../etc/passwd", "./../etc/passwd", "a/../../etc/passwd", "/../etc/passwd", "etc/.."] {
        let blob = tar_of(&[E::File("etc/os-release", b"x"), E::File(name, b"root::0:0")]);
        let digest = Digest::sha256_of(&blob);
        assert_eq!(err(&blob, &selector()), format!("layer {digest}: entry {name:?} escapes the image root"));
    }
    // Links and whiteouts too.
    let blob = tar_of(&[E::HardLink("etc/link", "../../etc/shadow")]);
    let digest = Digest::sha256_of(&blob);
    assert_eq!(err(&blob, &selector()), format!("layer {digest}: entry \"../../etc/shadow\" escapes the image root"));
    let blob = tar_of(&[E::File("a/.wh...", b"")]);
    let digest = Digest::sha256_of(&blob);
    assert_eq!(err(&blob, &selector()), format!("layer {digest}: entry \"a/.wh...\" escapes the image root"));
}

#[test]
fn symlink_targets_are_kept_as_written() {
    // A target may climb: resolution clamps it at the root later (ImageFs::resolve).
    let tar = tar_of(&[E::Symlink("etc/os-release", "../../../../usr/lib/os-release"), E::Symlink("/bin", "usr/bin")]);
    let files = read_ok(&tar);
    assert_eq!(
        files.symlinks.into_iter().collect::<Vec<_>>(),
        [("bin".into(), "usr/bin".into()), ("etc/os-release".into(), "../../../../usr/lib/os-release".into())]
    );
}

#[test]
fn whiteouts_and_opaque_directories() {
    let tar = tar_of(&[
        E::File("etc/os-release", b"new"),
        E::File("etc/.wh..wh..opq", b""),
        E::File("usr/.wh.games", b""),
        E::File(".wh.srv", b""),
        E::File("var/.wh..wh.plnk", b""),
        E::File(".wh..wh..opq", b""),
    ]);
    let files = read_ok(&tar);
    assert_eq!(files.opaque_dirs, ["etc", ""]);
    assert_eq!(files.whiteouts, ["usr/games", "srv"]);
    assert_eq!(kept(&files), ["etc/os-release=new"]);
}

#[test]
fn an_opaque_directory_hides_lower_layers_but_not_its_own_layer() {
    let base = read_ok(&tar_of(&[
        E::File("etc/os-release", b"old"),
        E::File("etc/link", b"lower only"),
        E::File("var/lib/dpkg/status", b"Package: bash\n"),
    ]));
    // The marker comes after the file in the tar: order within a layer does not matter.
    let top = read_ok(&tar_of(&[
        E::File("etc/os-release", b"new"),
        E::File("etc/.wh..wh..opq", b""),
        E::File("var/lib/dpkg/.wh.status", b""),
    ]));
    let fs = ImageFs::merge(&[base.clone(), top.clone()]);
    let merged: Vec<String> =
        fs.files().map(|(p, layer, c)| format!("{p}={}@{}", String::from_utf8_lossy(c), &layer[7..11])).collect();
    assert_eq!(merged, [format!("etc/os-release=new@{}", &top.digest[7..11])]);
}

#[test]
fn hard_links_copy_kept_content_or_alias_their_target() {
    let tar = tar_of(&[
        E::File("etc/os-release", b"ID=debian\n"),
        E::HardLink("etc/link", "etc/os-release"),
        E::File("usr/share/doc/readme", b"text"),
        E::HardLink("/etc/alias", "/usr/share/doc/readme"),
        E::HardLink("etc/unwanted", "etc/os-release"),
    ]);
    let files = read_ok(&tar);
    assert_eq!(kept(&files), ["etc/link=ID=debian\n", "etc/os-release=ID=debian\n"]);
    assert_eq!(
        files.symlinks.clone().into_iter().collect::<Vec<_>>(),
        [("etc/alias".into(), "/usr/share/doc/readme".into()), ("etc/unwanted".into(), "/etc/os-release".into())]
    );
    let fs = ImageFs::merge(&[files]);
    assert_eq!(fs.read("etc/unwanted").unwrap().1, b"ID=debian\n");
}

#[test]
fn a_later_entry_replaces_an_earlier_one() {
    let tar = tar_of(&[
        E::File("etc/os-release", b"first"),
        E::Symlink("etc/os-release", "../usr/lib/os-release"),
        E::Symlink("var/lib/dpkg/status", "elsewhere"),
        E::File("var/lib/dpkg/status", b"second"),
        E::Exec("app.bin", b"one 1.0"),
        E::File("app.bin", b"plain data"),
    ]);
    let files = read_ok(&tar);
    assert_eq!(kept(&files), ["var/lib/dpkg/status=second"]);
    assert_eq!(files.symlinks.keys().collect::<Vec<_>>(), ["etc/os-release"]);
    assert!(files.found.is_empty(), "{:?}", files.found);
}

#[test]
fn a_wanted_file_over_the_size_cap_fails_the_layer_naming_it() {
    let tar = tar_of(&[
        E::File("etc/os-release", b"0123456789"),
        E::File("var/lib/dpkg/status", b"0123456789A"),
        E::File("other", b"0123456789ABCDEF"),
    ]);
    let strict = Selector { max_file_size: 10, ..selector() };
    let err = read(&tar, &strict).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "layer {}: /var/lib/dpkg/status is 11 bytes, over the 10 bytes limit for one file read for analysis; \
             the image cannot be analysed completely (raise the limit with --max-image-file MIB)",
            layer_ref(&tar).digest
        )
    );

    let lenient = Selector { max_file_size: 10, allow_incomplete: true, ..selector() };
    let files = read(&tar, &lenient).unwrap();
    assert_eq!(kept(&files), ["etc/os-release=0123456789"]);
    assert_eq!(files.oversized, ["var/lib/dpkg/status"]);
    assert_eq!(files.replaced, ["var/lib/dpkg/status"], "lower layers' copies must not stand in for it");
    assert_eq!(files.warnings, [format!("{err}; not analysed")]);
}

#[test]
fn kept_content_is_capped_per_image_across_layers() {
    let first = tar_of(&[E::File("etc/os-release", b"0123456789"), E::File("etc/alias", b"0")]);
    let second = tar_of(&[
        E::File("etc/os-release", b"0123"),
        E::HardLink("etc/link", "etc/os-release"),
        E::File("var/lib/dpkg/status", b"0123456789"),
    ]);
    // One budget for the image: the first layer's 11 bytes leave 8 for the second.
    let strict = Selector { budget: MemoryBudget::new(19), ..selector() };
    assert_eq!(kept(&read(&first, &strict).unwrap()), ["etc/alias=0", "etc/os-release=0123456789"]);
    let err = read(&second, &strict).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "layer {}: /var/lib/dpkg/status (10 bytes) does not fit in the 19 bytes memory budget for the files \
             of one image; the image cannot be analysed completely (raise the budget with --max-image-memory MIB)",
            layer_ref(&second).digest
        )
    );

    let lenient = Selector { budget: MemoryBudget::new(19), allow_incomplete: true, ..selector() };
    read(&first, &lenient).unwrap();
    let files = read(&second, &lenient).unwrap();
    assert_eq!(kept(&files), ["etc/link=0123", "etc/os-release=0123"]);
    assert_eq!(files.oversized, ["var/lib/dpkg/status"]);
    assert_eq!(lenient.budget.kept(), 19);
}

#[test]
fn a_fifo_at_a_wanted_path_is_never_opened_and_replaces_the_lower_file() {
    let tar = tar_of(&[E::File("var/lib/dpkg/status", b"Package: a"), E::Fifo("var/lib/dpkg/status")]);
    let files = read_ok(&tar);
    assert!(files.files.is_empty(), "{:?}", files.files.keys());
    assert_eq!(files.replaced, ["var/lib/dpkg/status"]);
    assert_eq!(
        files.warnings,
        [format!("layer {}: /var/lib/dpkg/status is a FIFO, not a regular file; skipped", layer_ref(&tar).digest)]
    );
}

#[test]
fn inline_analysers_keep_results_and_record_failures() {
    let tar = tar_of(&[
        E::Exec("usr/bin/good.bin", b"example.com/tool v1.2.3"),
        E::Exec("usr/bin/bad.bin", b"bad"),
        E::File("usr/bin/notexec.bin", b"x v1"),
        E::Exec("usr/bin/big.bin", &[b'x'; 101]),
    ]);
    let files = read(&tar, &selector()).unwrap();
    let found: Vec<String> = files
        .found
        .iter()
        .flat_map(|(path, packages)| {
            packages.iter().map(move |p| format!("{path}: {} {} {}", p.name, p.version, p.location.path))
        })
        .collect();
    assert_eq!(found, ["usr/bin/good.bin: example.com/tool v1.2.3 /usr/bin/good.bin"]);
    assert!(files.files.is_empty(), "inline analysers keep results, not content");
    let digest = Digest::sha256_of(&tar);
    assert_eq!(files.analyzer_errors, [format!("layer {digest}: /usr/bin/bad.bin: test/binaries: not a binary")]);
}

#[test]
fn truncated_and_corrupt_compression_is_an_error() {
    let tar = sample();
    let gz = gzip(&tar);
    let truncated = &gz[..gz.len() - 20];
    // The blob is what its digest says (the registry served it this way): the stream is the fault.
    let layer = layer_ref(truncated);
    let e = read_layer(truncated, &layer, &selector()).unwrap_err().to_string();
    assert_eq!(e, format!("layer {}: corrupt gzip-compressed tar: incomplete deflate stream", layer.digest));

    let mut corrupt = gz.clone();
    corrupt[20] ^= 0xff;
    let layer = layer_ref(&corrupt);
    let e = read_layer(corrupt.as_slice(), &layer, &selector()).unwrap_err().to_string();
    assert!(e.starts_with(&format!("layer {}: corrupt gzip-compressed tar: ", layer.digest)), "{e}");

    let zst = zstd(&tar);
    let truncated = &zst[..zst.len() / 2];
    let layer = layer_ref(truncated);
    let e = read_layer(truncated, &layer, &selector()).unwrap_err().to_string();
    assert_eq!(e, format!("layer {}: corrupt zstd-compressed tar: incomplete frame", layer.digest));

    // A plain tar cut inside an entry.
    let truncated = &tar[..1536 + 100];
    let layer = layer_ref(truncated);
    let e = read_layer(truncated, &layer, &selector()).unwrap_err().to_string();
    assert_eq!(e, format!("layer {}: corrupt tar: unexpected EOF during skip", layer.digest));

    let garbage = b"this is not a tar file at all, it is just text that goes on and on".repeat(10);
    let layer = layer_ref(&garbage);
    let e = read_layer(garbage.as_slice(), &layer, &selector()).unwrap_err().to_string();
    assert!(e.starts_with(&format!("layer {}: corrupt tar: ", layer.digest)), "{e}");
}

#[test]
fn a_tampered_or_truncated_blob_is_caught_even_when_the_tar_ended_early() {
    let tar = sample();
    let layer = layer_ref(&tar);
    // Tampering inside a file nobody reads.
    let mut tampered = tar.clone();
    let at = tampered.windows(4).position(|w| w == b"root").unwrap();
    tampered[at] = b'R';
    let verified = Verified::new(tampered.as_slice(), layer.digest.clone(), Some(tar.len() as u64), "img");
    let e = read_layer(verified, &layer, &selector()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "layer {}: img: digest mismatch: expected {}, content hashes to {}",
            layer.digest,
            layer.digest,
            Digest::sha256_of(&tampered).hex
        )
    );
    // Cut in the end-of-archive padding, after the tar reader has stopped.
    let cut = &tar[..tar.len() - 512];
    let verified = Verified::new(cut, layer.digest.clone(), Some(tar.len() as u64), "img");
    let e = read_layer(verified, &layer, &selector()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "layer {}: img: blob {} is truncated or oversized: {} bytes, expected {}",
            layer.digest,
            layer.digest,
            cut.len(),
            tar.len()
        )
    );
    // A tampered compressed blob: the digest, not the decompressor, is blamed.
    let gz = gzip(&tar);
    let layer = layer_ref(&gz);
    let mut bad = gz.clone();
    bad[30] ^= 0xff;
    let verified = Verified::new(bad.as_slice(), layer.digest.clone(), Some(gz.len() as u64), "img");
    let e = read_layer(verified, &layer, &selector()).unwrap_err().to_string();
    assert!(e.starts_with(&format!("layer {}: img: digest mismatch", layer.digest)), "{e}");
}

#[test]
fn decompression_bombs_stop_at_the_layer_cap() {
    let zeros = vec![0u8; 1 << 20];
    let tar = tar_of(&[E::File("big", &zeros), E::File("etc/os-release", b"late")]);
    let gz = gzip(&tar);
    assert!(gz.len() < 20_000, "{}", gz.len());
    let capped = Selector { max_layer_bytes: 100_000, ..selector() };
    assert_eq!(
        err(&gz, &capped),
        format!("layer {}: more than 100000 bytes once decompressed (a decompression bomb?)", Digest::sha256_of(&gz))
    );
    // Exactly at the cap is fine.
    let at_cap = Selector { max_layer_bytes: tar.len() as u64, ..selector() };
    assert_eq!(kept(&read(&gz, &at_cap).unwrap()), ["etc/os-release=late"]);
}

#[test]
fn tar_metadata_is_capped() {
    let tar = tar_of(&[E::LongName(2 << 20), E::File("x", b"")]);
    let gz = gzip(&tar);
    assert_eq!(
        err(&gz, &selector()),
        format!(
            "layer {}: corrupt gzip-compressed tar: tar metadata (long names, PAX records) over 1048576 bytes for one entry",
            Digest::sha256_of(&gz)
        )
    );
    // A long name of ordinary length is read.
    const LONG_PATH: &str =
        "var/lib/a-directory-name-that-is-much-longer-than-the-hundred-bytes-a-classic-tar-header-holds/status";
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(2);
    builder.append_data(&mut header, LONG_PATH, &b"ok"[..]).unwrap();
    let tar = builder.into_inner().unwrap();
    static LONG: Wants = Wants(&[LONG_PATH]);
    let collectors: [&dyn Collector; 1] = [&LONG];
    let files = read(&tar, &Selector::new(&collectors, &[])).unwrap();
    assert_eq!(kept(&files), [format!("{LONG_PATH}=ok")]);
}

#[test]
fn cache_keys_name_the_layer_and_the_selector() {
    let layer = layer_ref(b"blob");
    let key = layer_cache_key(&layer, "dpkg1,apk1");
    assert!(key.starts_with(&format!("sha256-{}-", layer.digest.hex)), "{key}");
    assert_eq!(key.len(), "sha256-".len() + 64 + 1 + 16);
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{key}");
    assert_eq!(key, layer_cache_key(&layer, "dpkg1,apk1"));
    assert_ne!(key, layer_cache_key(&layer, "dpkg2,apk1"));
    assert_ne!(key, layer_cache_key(&layer_ref(b"other"), "dpkg1,apk1"));
}

#[test]
fn a_zstd_window_over_the_cap_is_refused_naming_it() {
    let tar = tar_of(&[E::File("etc/os-release", b"ID=debian\n")]);
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.window_log(MAX_ZSTD_WINDOW_LOG + 2).unwrap();
    encoder.write_all(&tar).unwrap();
    let blob = encoder.finish().unwrap();
    let err = read(&blob, &selector()).unwrap_err().to_string();
    assert!(
        err.ends_with("(its window is over the 32 MiB customs decodes; recompress it at a level up to 19)"),
        "{err}"
    );
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.window_log(MAX_ZSTD_WINDOW_LOG).unwrap();
    encoder.write_all(&tar).unwrap();
    assert_eq!(kept(&read(&encoder.finish().unwrap(), &selector()).unwrap()), ["etc/os-release=ID=debian\n"]);
}
