use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicUsize;
use std::sync::Mutex;

use super::*;
use crate::image::digest::{Digest, Verified};
use crate::image::source::{FailureKind, Platform};

/// An image held in memory: plain tar layers, and a count of layers opened.
struct MemoryImage {
    layers: Vec<(LayerRef, Vec<u8>)>,
    opened: AtomicUsize,
    /// Layers whose stream fails half way with this error.
    failing: Option<fn() -> ImageError>,
}

impl MemoryImage {
    fn new(layers: &[&[(&str, &str)]]) -> MemoryImage {
        let layers = layers
            .iter()
            .map(|files| {
                let mut tar = tar::Builder::new(Vec::new());
                for (path, content) in *files {
                    let mut header = tar::Header::new_gnu();
                    header.set_size(content.len() as u64);
                    header.set_mode(0o644);
                    header.set_cksum();
                    tar.append_data(&mut header, path, content.as_bytes()).unwrap();
                }
                let blob = tar.into_inner().unwrap();
                let layer = LayerRef {
                    digest: Digest::sha256_of(&blob),
                    media_type: "application/vnd.oci.image.layer.v1.tar".into(),
                    size: blob.len() as u64,
                };
                (layer, blob)
            })
            .collect();
        MemoryImage { layers, opened: AtomicUsize::new(0), failing: None }
    }
}

impl ImageSource for MemoryImage {
    fn resolve(&self) -> Result<ResolvedImage, ImageError> {
        Ok(ResolvedImage {
            reference: "memory/test:1".into(),
            manifest_digest: Digest::sha256_of(b"manifest"),
            platform: Platform::linux_amd64(),
            layers: self.layers.iter().map(|(l, _)| l.clone()).collect(),
            diff_ids: self.layers.iter().map(|(l, _)| l.digest.clone()).collect(),
            annotations: BTreeMap::new(),
            labels: BTreeMap::new(),
            config: b"{}".to_vec(),
        })
    }

    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        let (_, blob) = self.layers.iter().find(|(l, _)| l == layer).expect("a layer of the image");
        if let Some(error) = self.failing {
            let half = &blob[..blob.len() / 2];
            return Ok(Box::new(half.chain(Failing(Some(error())))));
        }
        let what = format!("layer {}", layer.digest);
        Ok(Box::new(Verified::new(&blob[..], layer.digest.clone(), Some(layer.size), what)))
    }
}

struct Failing(Option<ImageError>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self.0.take().map_or_else(|| io::Error::other("again"), ImageError::into_io))
    }
}

/// Layer analyses kept in memory, with the gets and puts counted.
#[derive(Default)]
struct MemoryStore {
    entries: Mutex<HashMap<String, (String, Vec<u8>)>>,
}

impl LayerStore for MemoryStore {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.lock().unwrap().get(key).map(|(_, bytes)| bytes.clone())
    }

    fn put(&self, key: &str, layer_digest: &str, bytes: &[u8]) {
        self.entries.lock().unwrap().insert(key.to_string(), (layer_digest.to_string(), bytes.to_vec()));
    }
}

const OS_RELEASE: &str = "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
const STATUS: &str = "Package: tiny\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n\
                      Package: other\nStatus: install ok installed\nVersion: 2.3\nArchitecture: amd64\n";

fn three_layers() -> MemoryImage {
    MemoryImage::new(&[
        &[("etc/os-release", OS_RELEASE)],
        &[("var/lib/dpkg/status", STATUS)],
        &[("usr/share/doc/readme", "not wanted by any analyser\n")],
    ])
}

#[test]
fn a_second_analysis_takes_every_layer_from_the_store() {
    let image = three_layers();
    let store = Arc::new(MemoryStore::default());
    let options = AnalyzeOptions { layer_store: Some(store.clone()), ..AnalyzeOptions::default() };

    let (first, stats) = analyze_counted(&image, &options).unwrap();
    let total: u64 = image.layers.iter().map(|(l, _)| l.size).sum();
    assert_eq!(stats, AnalyzeStats { layers_read: 3, layers_from_store: 0, bytes_read: total });
    assert_eq!(image.opened.load(Ordering::SeqCst), 3);
    let stored = store.entries.lock().unwrap().clone();
    assert_eq!(stored.len(), 3);
    for (layer, _) in &image.layers {
        let (digest, _) = &stored[&layer_cache_key(layer, &format!("{}:{}", analysers_key(), options.max_file_size))];
        assert_eq!(digest, &layer.digest.to_string());
    }
    let names: Vec<(&str, &str)> = first.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    assert_eq!(names, [("tiny", "1.0-1"), ("other", "2.3")]);
    assert_eq!(first.image.as_ref().unwrap().os.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));

    let (second, stats) = analyze_counted(&image, &options).unwrap();
    assert_eq!(stats, AnalyzeStats { layers_read: 0, layers_from_store: 3, bytes_read: 0 });
    assert_eq!(image.opened.load(Ordering::SeqCst), 3, "no layer opened again");
    assert_eq!(serde_json::to_value(&second).unwrap(), serde_json::to_value(&first).unwrap());

    // The file cache is the same store under a directory; `layer_store` wins over it.
    let dir = tempfile::tempdir().unwrap();
    let both = AnalyzeOptions { cache_dir: Some(dir.path().into()), ..options };
    assert_eq!(analyze_counted(&image, &both).unwrap().1.layers_from_store, 3);
    assert!(!dir.path().join("layers").exists());
    let files = AnalyzeOptions { cache_dir: Some(dir.path().into()), ..AnalyzeOptions::default() };
    assert_eq!(analyze_counted(&image, &files).unwrap().1.layers_read, 3);
    assert_eq!(analyze_counted(&image, &files).unwrap().1.layers_from_store, 3);
    assert_eq!(analyze(&image, &files).unwrap().packages.len(), 2);
}

#[test]
fn stored_entries_of_other_layers_or_damaged_ones_are_read_again() {
    let image = three_layers();
    let store = Arc::new(MemoryStore::default());
    let options = AnalyzeOptions { layer_store: Some(store.clone()), ..AnalyzeOptions::default() };
    analyze_counted(&image, &options).unwrap();
    {
        let mut entries = store.entries.lock().unwrap();
        let mut keys: Vec<String> = entries.keys().cloned().collect();
        keys.sort();
        // One entry damaged, one holding another layer's analysis.
        entries.get_mut(&keys[0]).unwrap().1.truncate(10);
        let other = entries[&keys[2]].1.clone();
        entries.get_mut(&keys[1]).unwrap().1 = other;
    }
    let (_, stats) = analyze_counted(&image, &options).unwrap();
    assert_eq!((stats.layers_read, stats.layers_from_store), (2, 1));
}

#[test]
fn the_analysers_key_names_the_analysers_and_reader() {
    let key = analysers_key();
    assert!(key.starts_with(&format!("{ANALYSERS_VERSION}:")), "{key}");
    assert!(key.ends_with(&format!(":reader-{READER_VERSION}")), "{key}");
    for id in ["dpkg", "os-release"] {
        assert!(key.contains(id), "{key}");
    }
    assert_eq!(key, analysers_key());
}

#[test]
fn a_layer_stream_failing_in_the_source_keeps_the_sources_kind() {
    let mut image = three_layers();
    image.failing = Some(|| ImageError::Network {
        reference: "memory/test:1".into(),
        message: "layer x: HTTP 429 Too Many Requests (gave up after 3 attempts)".into(),
        status: Some(429),
    });
    let err = analyze_counted(&image, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(err.reason(), FailureKind::RateLimited, "{err}");
    assert!(err.to_string().contains("HTTP 429 Too Many Requests (gave up after 3 attempts)"), "{err}");

    image.failing = Some(|| ImageError::Invalid { reference: "memory/test:1".into(), message: "bad".into() });
    let err = analyze_counted(&image, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(err.reason(), FailureKind::Invalid, "{err}");
}

/// Every id a report can name a file's reader by (lockfile extractors, SBOM kinds,
/// image collectors and analysers) is unique and documented in docs/formats.md, so
/// a new format cannot be added undocumented.
#[test]
fn every_extractor_id_is_unique_and_documented() {
    use crate::inventory::sbom::SbomKind;
    let sbom_kinds = [SbomKind::CycloneDx, SbomKind::Spdx];
    // Fails to compile when a kind is added, until it is added to the list above.
    for kind in sbom_kinds {
        match kind {
            SbomKind::CycloneDx | SbomKind::Spdx => {}
        }
    }
    let ids: Vec<&str> = crate::inventory::EXTRACTORS
        .iter()
        .map(|e| e.id())
        .chain(sbom_kinds.map(SbomKind::extractor_id))
        .chain(collectors().iter().map(|c| c.id()))
        .chain(inline_analyzers().iter().map(|a| a.id()))
        .chain([BINARY_EXTRACTOR])
        .collect();
    assert_eq!(ids.len(), 21 + 2 + 6 + 3 + 1, "{ids:?}");
    let mut seen = std::collections::HashSet::new();
    let repeated: Vec<&str> = ids.iter().copied().filter(|id| !seen.insert(*id)).collect();
    assert_eq!(repeated, Vec::<&str>::new(), "ids used twice");

    let docs = include_str!("../../../docs/formats.md");
    let table = &docs[docs.find("## Extractor ids").expect("docs/formats.md has an Extractor ids section")..];
    let undocumented: Vec<&str> = ids.iter().copied().filter(|id| !table.contains(&format!("| `{id}` |"))).collect();
    assert_eq!(undocumented, Vec::<&str>::new(), "add a row for each to docs/formats.md (Extractor ids)");
}
