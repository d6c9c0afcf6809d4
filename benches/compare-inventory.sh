#!/usr/bin/env bash
# customs vs Trivy on the same generated tree of lockfiles: whole process, warm file
# cache, one run of each after the other. Prints hyperfine's table and peak RSS.
#
#   benches/compare-inventory.sh [PROJECTS]      (default 100 projects x 13 formats)
#
# Peers come from ../shared/tools/install-peers.sh (PEERS=dir/bin to override).
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-100}
peers=${PEERS:-$HOME/.cache/customs-peers/bin}
[ -x "$peers/trivy" ] || { echo "trivy not found in $peers; run ../shared/tools/install-peers.sh" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
cargo bench --quiet --bench inventory -- --generate "$work/tree" "$projects"

customs="target/release/customs sbom $work/tree -f cyclonedx -o $work/customs.cdx.json"
trivy="$peers/trivy fs --cache-dir $work/trivy-cache --skip-db-update --skip-java-db-update --offline-scan \
  --skip-check-update --skip-version-check --disable-telemetry --quiet --format cyclonedx \
  --output $work/trivy.cdx.json $work/tree"

hyperfine --warmup 2 --runs 10 --export-markdown "$work/times.md" -n customs "$customs" -n trivy "$trivy"
cat "$work/times.md"
for name in customs trivy; do
  cmd=$([ $name = customs ] && echo "$customs" || echo "$trivy")
  rss=$(/usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1)
  echo "$name peak RSS: $((rss / 1024)) MiB"
done
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
for name in ("customs", "trivy"):
    doc = json.load(open(f"{w}/{name}.cdx.json"))
    comps = [c for c in doc.get("components", []) if c.get("purl")]
    print(f"{name}: {len(comps)} components with a purl")
PY
