#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seed inputs, so libFuzzer starts from real files.

Seeds are copied from fixtures/ (the test inputs, nothing duplicated in fuzz/), taken
from the small hand-written files in fuzz/seeds/<target>/, or made here from fixtures:
image layers as plain, gzip and zstd tars (with whiteouts and symlinks), a jar, a Go
binary, rpm databases in the three formats. A generator whose tool is missing (go,
rpmbuild, db5.3_load, zstd) is skipped with a note. Seed files are named by content
hash, so running it again adds nothing twice.

Usage: fuzz/seed.py [TARGET...]   (no target: all of them)
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
FIXTURES = REPO / "fixtures"
CORPUS = FUZZ / "corpus"
SEP = b"\0CUSTOMS-LAYER\0"  # crate::fuzzing::LAYER_SEPARATOR

# Lockfile targets: the fixture file names each one reads.
LOCKFILES = {
    "lock_cargo": ["Cargo.lock"],
    "lock_npm": ["package-lock.json", "npm-shrinkwrap.json", ".package-lock.json"],
    "lock_yarn": ["yarn.lock"],
    "lock_pnpm": ["pnpm-lock.yaml"],
    "lock_bun": ["bun.lock"],
    "lock_requirements": ["requirements*.txt", "constraints.txt", "common.txt", "base.txt"],
    "lock_poetry": ["poetry.lock"],
    "lock_pipfile": ["Pipfile.lock"],
    "lock_uv": ["uv.lock"],
    "lock_pdm": ["pdm.lock"],
    "lock_pylock": ["pylock*.toml"],
    "lock_gomod": ["go.mod"],
    "lock_gemfile": ["Gemfile.lock", "gems.locked"],
    "lock_composer": ["composer.lock"],
    "lock_pom": ["pom.xml"],
    "lock_gradle": ["*gradle.lockfile"],
    "lock_nuget": ["packages.lock.json"],
    "lock_pubspec": ["pubspec.lock"],
    "lock_mix": ["mix.lock"],
    "lock_conan": ["conan.lock"],
    "lock_renv": ["renv.lock"],
}

# Other targets seeded from fixtures by glob (relative to fixtures/).
GLOBS = {
    "sbom": ["sbom/*.json", "scan/sbom/**/*.json"],
    "vex": ["**/*.openvex.json"],
    "dockerfile": ["**/*Dockerfile*"],
    "osv": ["triage/advisories/**/*.json", "scan/**/advisories/**/*.json"],
    "os_release": ["image/os/**/*-release", "image/os/**/debian_version"],
    "dpkg_status": ["image/dpkg/**/status", "image/dpkg/**/status.d/*"],
    "apk_installed": ["image/apk/**/installed"],
    "python_metadata": ["image/lang/python/**/METADATA", "image/lang/python/**/PKG-INFO"],
    "node_package_json": ["image/lang/node/**/package.json"],
    "registry_manifest": ["image/registry/*.json"],
    "registry_config": ["image/registry/config.json"],
    "public_key": ["**/*.pub", "**/*.pem"],
}


def add(target, data):
    """Writes one seed, named by its hash."""
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def note(message):
    print(f"seed: {message}", file=sys.stderr)


def from_fixtures(target, patterns):
    for pattern in patterns:
        for path in FIXTURES.glob("**/" + pattern if "/" not in pattern else pattern):
            if path.is_file() and path.stat().st_size <= 1 << 20:
                add(target, path.read_bytes())


def tar_of(files, whiteouts=(), symlinks=()):
    """A layer tar: files as path → bytes, whiteout paths, symlinks as (path, target)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o755 if path.endswith("bin/app") else 0o644
            tar.addfile(info, io.BytesIO(data))
        for path in whiteouts:
            head, _, name = path.rpartition("/")
            info = tarfile.TarInfo(f"{head}/.wh.{name}" if head else f".wh.{name}")
            tar.addfile(info, io.BytesIO(b""))
        for path, target in symlinks:
            info = tarfile.TarInfo(path)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def tree(root):
    """Every file under fixtures/<root> as image path → bytes."""
    base = FIXTURES / root
    return {str(p.relative_to(base)): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def image_layers():
    layers = [tar_of(tree(root)) for root in ["image/dpkg/debian", "image/apk/alpine", "image/lang/python",
                                             "image/lang/node", "image/dpkg/distroless"]]
    for layer in layers:
        add("image_layers", layer)
        add("image_layers", gzip.compress(layer, mtime=0))
        if shutil.which("zstd"):
            zst = subprocess.run(["zstd", "-q", "-c"], input=layer, capture_output=True, check=True).stdout
            add("image_layers", zst)
    upper = tar_of({"etc/os-release": b"ID=debian\nVERSION_ID=12\n"},
                   whiteouts=["var/lib/dpkg/status"],
                   symlinks=[("lib", "usr/lib"), ("var/lib/dpkg", "/var/lib/other")])
    add("image_layers", layers[0] + SEP + upper)
    opaque = tar_of({"var/lib/dpkg/.wh..wh..opq": b"", "var/lib/dpkg/status": b"Package: a\nVersion: 1\n"})
    add("image_layers", layers[0] + SEP + gzip.compress(opaque, mtime=0))


def jar(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def java_archive():
    props = b"groupId=org.example\nartifactId=lib\nversion=1.2.3\n"
    manifest = b"Manifest-Version: 1.0\nImplementation-Title: lib\nImplementation-Version: 1.2.3\n"
    inner = jar({"META-INF/maven/org.example/inner/pom.properties": props.replace(b"lib", b"inner")})
    add("java_archive", jar({"META-INF/MANIFEST.MF": manifest,
                             "META-INF/maven/org.example/lib/pom.properties": props}))
    add("java_archive", jar({"META-INF/MANIFEST.MF": manifest, "BOOT-INF/lib/inner-1.0.jar": inner}))


def go_binary():
    if not shutil.which("go"):
        return note("go is missing: no go_binary seed")
    with tempfile.TemporaryDirectory() as work:
        Path(work, "go.mod").write_text("module example.com/app\n\ngo 1.21\n")
        Path(work, "main.go").write_text('package main\n\nfunc main() { println("hi") }\n')
        env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-trimpath", GOCACHE=str(Path(work, "cache")))
        out = Path(work, "app")
        result = subprocess.run(["go", "build", "-ldflags=-s -w", "-o", str(out)], cwd=work, env=env,
                                capture_output=True)
        if result.returncode != 0:
            return note(f"go build failed: {result.stderr.decode(errors='replace')[:200]}")
        add("go_binary", out.read_bytes())
        # ELF binaries double as cargo-auditable seeds (no audit section: the
        # fuzzer has to find the section table from here).
        add("cargo_auditable", out.read_bytes()[:1 << 20])


def adler32(data):
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def ndb(blobs):
    """An ndb Packages.db, as src/image/pkgdb/rpm/testing.rs::ndb writes it."""
    page = 4096
    file = bytearray(page)
    nxt = max((n for n, _ in blobs), default=0) + 1
    for at, word in [(0, int.from_bytes(b"RpmP", "little")), (4, 0), (8, 1), (12, 1), (16, nxt)]:
        file[at:at + 4] = struct.pack("<I", word)
    for slot in range(2, page // 16):
        file[slot * 16:slot * 16 + 4] = b"Slot"
    for i, (package, blob) in enumerate(blobs):
        block_offset, block_count = len(file) // 16, (16 + len(blob) + 12 + 15) // 16
        area = bytearray(b"BlbS" + struct.pack("<III", package, 1_700_000_000, len(blob)) + blob)
        area += bytes(block_count * 16 - 12 - len(area))
        area += struct.pack("<II", adler32(area), len(blob)) + b"BlbE"
        file += area
        slot = (2 + i) * 16
        file[slot + 4:slot + 16] = struct.pack("<III", package, block_offset, block_count)
    return bytes(file)


def rpm_databases():
    if not (shutil.which("rpmbuild") and shutil.which("rpm")):
        return note("rpmbuild is missing: no rpm seeds")
    with tempfile.TemporaryDirectory() as work:
        top, db = Path(work, "build"), Path(work, "db")
        for spec in ["hello.spec", "tzdata.spec", "zlib.spec"]:
            subprocess.run(["rpmbuild", "--quiet", "-bb", "--target", "x86_64", "--define", f"_topdir {top}",
                            str(FIXTURES / "image/rpm" / spec)], check=True, capture_output=True)
        packages = sorted(str(p) for p in (top / "RPMS").rglob("*.rpm"))
        rpm = ["rpm", "--define", f"_dbpath {db}", "--define", "_db_backend sqlite"]
        subprocess.run(rpm + ["--initdb"], check=True, capture_output=True)
        subprocess.run(rpm + ["-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos"] + packages,
                       check=True, capture_output=True)
        add("rpm_sqlite", (db / "rpmdb.sqlite").read_bytes())
        with sqlite3.connect(db / "rpmdb.sqlite") as connection:
            blobs = connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
        for _, blob in blobs:
            add("rpm_header", bytes(blob))
        add("rpm_ndb", ndb([(n, bytes(b)) for n, b in blobs]))
        load = shutil.which("db5.3_load") or shutil.which("db_load")
        if not load:
            return note("db5.3_load is missing: no rpm_bdb seed")
        for page_size, order in [(4096, 1234), (512, 4321)]:
            endian = "<" if order == 1234 else ">"
            key = lambda n: struct.pack(endian + "I", n).hex()
            dump = (f"VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize={page_size}\ndb_lorder={order}\n"
                    f"HEADER=END\n {key(0)}\n {key(len(blobs) + 1)}\n")
            dump += "".join(f" {key(n)}\n {bytes(b).hex()}\n" for n, b in blobs) + "DATA=END\n"
            Path(work, "dump").write_text(dump)
            out = Path(work, f"Packages-{page_size}")
            subprocess.run([load, "-f", str(Path(work, "dump")), str(out)], check=True, capture_output=True)
            add("rpm_bdb", out.read_bytes())


def osv_records():
    """A few records of each ecosystem from ../shared/osv (read in place, when there)."""
    shared = REPO.parent / "shared" / "osv"
    if not shared.is_dir():
        return note("../shared/osv is missing: OSV seeds from fixtures only")
    for archive in sorted(shared.glob("*/all.zip")):
        with zipfile.ZipFile(archive) as z:
            names = [n for n in z.namelist() if n.endswith(".json")][:20]
            for name in names:
                add("osv", z.read(name))


def image_archive():
    """A `docker save` tarball and an OCI layout in a tar, each of one Debian layer."""
    layer = tar_of(tree("image/dpkg/debian"))
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]}}).encode()
    config_digest = hashlib.sha256(config).hexdigest()

    def tar_bytes(entries):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            for path, data in entries:
                info = tarfile.TarInfo(path)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return out.getvalue()

    manifest = json.dumps([{"Config": f"{config_digest}.json", "RepoTags": ["app:1"],
                            "Layers": [f"{layer_digest}/layer.tar"]}]).encode()
    add("image_archive", tar_bytes([("manifest.json", manifest), (f"{config_digest}.json", config),
                                    (f"{layer_digest}/layer.tar", layer)]))
    oci_manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{config_digest}", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": f"sha256:{layer_digest}", "size": len(layer)}]}).encode()
    manifest_digest = hashlib.sha256(oci_manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{manifest_digest}",
        "size": len(oci_manifest)}]}).encode()
    add("image_archive", tar_bytes([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
                                    (f"blobs/sha256/{manifest_digest}", oci_manifest),
                                    (f"blobs/sha256/{config_digest}", config),
                                    (f"blobs/sha256/{layer_digest}", layer)]))


def registry_pages():
    """Catalog and tag-list pages as a sweep reads them: a Link header line, then the
    JSON body (crate::fuzzing::registry_pages). Every header with every body."""
    links = [
        "",
        '</v2/_catalog?last=b&n=2>; rel="next"',
        '</v2/library/app/tags/list?last=1.0&n=2>; rel="next"',
        '<http://127.0.0.1:5000/v2/_catalog?last=b&n=2>; rel="next"',
        '<https://registry.example/v2/_catalog?last=b>; rel="next"',
        '<//127.0.0.1:5001/v2/_catalog?last=b>; rel="next"',
        '</v2/_catalog?last=a>; rel="prev", </v2/_catalog?last=c&n=2>; rel=next, </v2/_catalog>; rel="first"',
        '</v2/_catalog?last="b c"&n=2>; title="a; rel=next"; rel="next"',
        '<?n=100>; rel="next"',
        '</v2/secret/tags/list?last=a>; rel="next"',
    ]
    bodies = [
        b'{"repositories":["a","b"]}',
        b'{"repositories":["library/alpine","team/app","team/app"]}',
        b'{"repositories":null}',
        b'{"name":"library/app","tags":["1.0","latest","sha256-0a1b.sig"]}',
        b'{"name":"library/app","tags":null}',
        b'{"errors":[{"code":"UNSUPPORTED","message":"catalog is disabled"}]}',
    ]
    for link in links:
        for body in bodies:
            add("registry_pages", link.encode() + b"\n" + body)


GENERATORS = {
    "osv": osv_records,
    "image_layers": image_layers,
    "image_archive": image_archive,
    "java_archive": java_archive,
    "go_binary": go_binary,
    "rpm_sqlite": rpm_databases,
    "registry_pages": registry_pages,
}


def main(targets):
    every = sorted(p.stem for p in (FUZZ / "fuzz_targets").glob("*.rs"))
    targets = targets or every
    done = set()
    for target in targets:
        if target not in every:
            sys.exit(f"seed: no fuzz target {target} (targets: {' '.join(every)})")
        from_fixtures(target, [f"**/{name}" for name in LOCKFILES.get(target, [])] + GLOBS.get(target, []))
        hand_written = FUZZ / "seeds" / target
        if hand_written.is_dir():
            for path in hand_written.iterdir():
                add(target, path.read_bytes())
        generator = GENERATORS.get(target) or GENERATORS.get({"rpm_header": "rpm_sqlite", "rpm_ndb": "rpm_sqlite",
                                                              "rpm_bdb": "rpm_sqlite",
                                                              "cargo_auditable": "go_binary"}.get(target, ""))
        if generator and generator not in done:
            done.add(generator)
            generator()
        (CORPUS / target).mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main(sys.argv[1:])
