#!/usr/bin/env bash
# customs' registry sweep vs Trivy scanning the same images one by one, on a registry built
# here: Debian's docker-registry on 127.0.0.1 holding N repositories (default 100), each the
# shared Debian image plus one small layer of its own (a requirements.txt and a
# package-lock.json) — a registry where every image shares its base, as most do.
#
# Measured for each tool: wall time, bytes the registry sent (its access log), peak memory.
#   customs: first `registry scan`, the same sweep again (nothing changed), and
#            `registry rematch` after one advisory is added (no registry traffic).
#   Trivy:   every image with `trivy image` one by one, cold cache, then again with the
#            cache warm (Trivy has no sweep or rematch: a warm cache is its best case).
# Trivy runs without its vulnerability database (none offline here): it only lists the
# packages, which is less work than customs does.
#
#   benches/compare-registry.sh [IMAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-100}
peers=${PEERS:-$HOME/.cache/customs-peers/bin}
[ -x "$peers/trivy" ] || { echo "trivy not found in $peers; run ../shared/tools/install-peers.sh" >&2; exit 1; }
for t in docker-registry skopeo umoci; do
  command -v "$t" >/dev/null || { echo "needs $t (apt-get install docker-registry skopeo umoci)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
registry_pid=
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cargo build --release --quiet
customs=${CARGO_TARGET_DIR:-$PWD/target}/release/customs
osv=$PWD/../shared/osv

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
cat > "$work/registry.yml" <<EOT
version: 0.1
log: { level: warn, accesslog: { disabled: false } }
storage: { filesystem: { rootdirectory: $work/data }, delete: { enabled: true } }
http: { addr: $host }
EOT
docker-registry serve "$work/registry.yml" >"$work/access.log" 2>"$work/registry.err" &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://$host/v2/" >/dev/null && break; sleep 0.1; done

echo "building $images images on the shared Debian base…"
layout=$work/layout
skopeo copy -q "oci-archive:$PWD/../shared/images/debian-bookworm.oci.tar:bookworm" "oci:$layout:bookworm"
export CONTAINERS_STORAGE_CONF=/dev/null
for i in $(seq 1 "$images"); do
  python3 - "$work/layer.tar" "$i" <<'PY'
import io, sys, tarfile
path, n = sys.argv[1], int(sys.argv[2])
with tarfile.open(path, "w") as tar:
    def add(name, text):
        data = text.encode(); info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    add("app/requirements.txt", f"django==3.2.{n % 20}\nrequests==2.{20 + n % 10}.0\nurllib3==1.26.{n % 15}\nservice{n}==1.0.{n}\n")
    add("app/package-lock.json", '{"name":"app%d","lockfileVersion":3,"packages":{"":{"name":"app%d"},'
        '"node_modules/lodash":{"version":"4.17.%d"},"node_modules/minimist":{"version":"1.2.%d"}}}' % (n, n, n % 21, n % 8))
PY
  umoci raw add-layer --image "$layout:bookworm" --tag "app-$i" "$work/layer.tar"
  skopeo copy -q --dest-tls-verify=false "oci:$layout:app-$i" "docker://$host/bench/app-$i:latest"
done
echo "registry: $(du -sh "$work/data" | cut -f1) on disk"

# Bytes the registry sent and requests it answered since line $1 of its access log.
traffic() {
  tail -n +"$(( $1 + 1 ))" "$work/access.log" | python3 -c '
import re, sys
req = sent = blobs = 0
for line in sys.stdin:
    m = re.search(r"\"(GET|HEAD|POST|PUT) (\S+) HTTP/[\d.]+\" (\d+) (\d+|-)", line)
    if not m: continue
    req += 1
    if m.group(4) != "-" and m.group(1) == "GET": sent += int(m.group(4))
    if m.group(1) == "GET" and "/blobs/" in m.group(2): blobs += 1
print(f"{req} requests, {blobs} blob GETs, {sent / 1e6:.1f} MB sent")'
}
mark() { wc -l < "$work/access.log"; }
measure() { # $1 = label, rest = command; prints time, peak RSS and registry traffic
  local label=$1; shift
  local before; before=$(mark)
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || [ $? -eq 1 ]
  # GNU time writes "Command exited with non-zero status 1" first when findings exit 1.
  read -r secs kib < <(tail -1 "$work/time")
  printf '| %s | %s s | %s MiB | %s |\n' "$label" "$secs" "$(( kib / 1024 ))" "$(traffic "$before")"
}

# The database is compiled once, before anything is timed.
"$customs" --cache-dir "$work/customs-cache" scan --db "$osv" fixtures/scan >/dev/null 2>&1 || true
sweep=("$customs" --cache-dir "$work/customs-cache" registry scan "$host" --insecure-registry "$host"
  --store "$work/store.sqlite" --db "$osv" --format json)
mkdir -p "$work/extra"
cat > "$work/extra/BENCH-0001.json" <<'EOT'
{"schema_version":"1.6.0","id":"BENCH-0001","modified":"2026-12-07T00:00:00Z","summary":"an advisory published after the sweep",
 "affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}
EOT

echo
echo "| run | time | peak memory | registry traffic |"
echo "|---|---|---|---|"
measure "customs registry scan (first)" "${sweep[@]}" -o "$work/first.json"
measure "customs registry scan (unchanged)" "${sweep[@]}" -o "$work/second.json"
measure "customs registry rematch (+1 advisory)" "$customs" --cache-dir "$work/customs-cache" registry rematch \
  --store "$work/store.sqlite" --db "$osv" --advisories "$work/extra" --format json -o "$work/rematch.json"

trivy_all() { # one `trivy image` per image; peak RSS is the largest of them
  local peak=0
  for i in $(seq 1 "$images"); do
    /usr/bin/time -f "%M" -o "$work/trivy-time" "$peers/trivy" image --cache-dir "$work/trivy-cache" --insecure \
      --skip-db-update --skip-java-db-update --offline-scan --skip-check-update --skip-version-check \
      --disable-telemetry --quiet --format cyclonedx --output /dev/null "$host/bench/app-$i:latest"
    kib=$(tail -1 "$work/trivy-time"); [ "$kib" -gt "$peak" ] && peak=$kib
  done
  echo "$peak" > "$work/trivy-peak"
}
for pass in "cold cache" "warm cache"; do
  before=$(mark); start=$(date +%s.%N)
  trivy_all
  secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  printf '| trivy image × %s (%s) | %s s | %s MiB | %s |\n' "$images" "$pass" "$secs" \
    "$(( $(cat "$work/trivy-peak") / 1024 ))" "$(traffic "$before")"
done

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
for name in ("first", "second", "rematch"):
    r = json.load(open(f"{w}/{name}.json"))
    c, s = r["coverage"], r["summary"]
    print(f"{name}: {c['images']} images ({c['images_analysed']} analysed, {c['images_from_store']} from the store), "
          f"{c['layers_downloaded']} layers read, {c['requests']} requests; "
          f"{s['vulnerabilities']} findings: {s['new']} new, {s['unchanged']} unchanged, {s['fixed']} fixed")
PY
