#!/usr/bin/env bash
# customs vs Trivy vs Syft on a large image built here: the shared Debian image plus
# N layers of ~100 MB each (text files, with Python and npm packages mixed in), as a
# docker-archive. Whole process, no caches; then the same with a 1-extra-layer
# image to show that peak memory does not grow with the image.
#
#   benches/compare-image.sh [LAYERS]       (default 4: a ~450 MB image)
set -euo pipefail
cd "$(dirname "$0")/.."
layers=${1:-4}
peers=${PEERS:-$HOME/.cache/customs-peers/bin}
for t in trivy syft; do [ -x "$peers/$t" ] || { echo "$t not found in $peers; run ../shared/tools/install-peers.sh" >&2; exit 1; }; done
command -v hyperfine >/dev/null && command -v skopeo >/dev/null && command -v umoci >/dev/null || {
  echo "needs hyperfine, skopeo and umoci (apt-get install hyperfine skopeo umoci)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
customs=$PWD/target/release/customs

build_image() { # $1 = name, $2 = extra layers
  local layout=$work/layout
  [ -d "$layout" ] || skopeo copy -q "oci-archive:$PWD/../shared/images/debian-bookworm.oci.tar:bookworm" "oci:$layout:bookworm"
  local from=bookworm
  for i in $(seq 1 "$2"); do
    python3 - "$work/layer.tar" "$i" <<'PY'
import io, os, sys, tarfile
path, n = sys.argv[1], int(sys.argv[2])
with tarfile.open(path, "w") as tar:
    def add(name, data):
        info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    for f in range(50):                      # 50 x 2 MB: base64 text, gzip shrinks it to ~75%
        add(f"opt/data{n}/blob{f}.txt", __import__("base64").b64encode(os.urandom(3 << 19)))
    for p in range(200):                     # installed Python and npm packages
        add(f"usr/lib/python3/dist-packages/pkg{n}_{p}-1.{p}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: pkg{n}-{p}\nVersion: 1.{p}\n".encode())
        add(f"usr/lib/node_modules/mod{n}-{p}/package.json",
            f'{{"name": "mod{n}-{p}", "version": "2.{p}.0"}}'.encode())
PY
    umoci raw add-layer --image "$layout:$from" --tag "$1-$i" "$work/layer.tar"
    from="$1-$i"
  done
  # A docker-archive, the one form all three tools read (trivy --input takes no OCI archive).
  skopeo copy -q "oci:$layout:$from" "docker-archive:$work/$1.tar:bench/$1:latest"
  echo "$1: $(du -m "$work/$1.tar" | cut -f1) MB, $(( $2 + 1 )) layers"
}
build_image big "$layers"
build_image small 1

# One script per tool, so hyperfine and time run exactly the same command.
cat > "$work/customs.sh" <<EOT
#!/bin/sh
exec "$customs" --cache-dir "$work/customs-cache" sbom --image "docker-archive:$work/\$1.tar" --no-layer-cache -o "$work/customs-\$1.json"
EOT
cat > "$work/trivy.sh" <<EOT
#!/bin/sh
"$peers/trivy" image --cache-dir "$work/trivy-cache" --skip-db-update --skip-java-db-update --offline-scan \\
  --skip-check-update --skip-version-check --disable-telemetry --quiet --format cyclonedx \\
  --output "$work/trivy-\$1.json" --input "$work/\$1.tar"
status=\$?; rm -rf "$work/trivy-cache"; exit \$status
EOT
cat > "$work/syft.sh" <<EOT
#!/bin/sh
SYFT_CHECK_FOR_APP_UPDATE=false exec "$peers/syft" scan -q "docker-archive:$work/\$1.tar" -o "cyclonedx-json=$work/syft-\$1.json"
EOT
cat > "$work/gunzip.sh" <<EOT
#!/bin/sh
# The floor: only decompressing every layer of the image (docker-archive layers
# are stored uncompressed by skopeo; gzip ones are inflated, plain ones read).
for b in "$work"/unpacked-\$1/*/layer.tar "$work"/unpacked-\$1/*.tar "$work"/unpacked-\$1/blobs/sha256/*; do
  [ -f "\$b" ] || continue
  if gzip -t "\$b" 2>/dev/null; then gzip -dc < "\$b" > /dev/null; else cat "\$b" > /dev/null; fi
done; true
EOT
chmod +x "$work"/*.sh

mkdir -p "$work/unpacked-big"
tar -xf "$work/big.tar" -C "$work/unpacked-big"
hyperfine --warmup 1 --runs 5 --export-markdown "$work/times.md" \
  -n customs "$work/customs.sh big" -n trivy "$work/trivy.sh big" -n syft "$work/syft.sh big" \
  -n "gunzip layers only" "$work/gunzip.sh big"
cat "$work/times.md"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
for size in small big; do
  for t in customs trivy syft; do
    echo "$t peak RSS ($size image): $(( $(rss "$work/$t.sh" "$size") / 1024 )) MiB"
  done
done
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
for t in ("customs", "trivy", "syft"):
    doc = json.load(open(f"{w}/{t}-big.json"))
    comps = [c for c in doc.get("components", []) if c.get("purl")]
    kinds = {}
    for c in comps:
        kinds[c["purl"].split("/")[0]] = kinds.get(c["purl"].split("/")[0], 0) + 1
    print(f"{t}: {len(comps)} components with a purl {dict(sorted(kinds.items()))}")
PY
