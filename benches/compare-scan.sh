#!/usr/bin/env bash
# customs vs cargo-audit on the same 5,000-crate Cargo.lock and the same RustSec data
# (../shared/osv/crates.io is RustSec's OSV export of ../shared/rustsec's commit).
# Prints hyperfine's table, peak RSS, and customs' RSS with a 1,200-record database
# and with the whole 46,600-record mirror (memory must not follow the database).
#
#   benches/compare-scan.sh            (peers from ../shared/tools/install-peers.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${PEERS:-$HOME/.cache/customs-peers/bin}
[ -x "$peers/cargo-audit" ] || { echo "cargo-audit not found in $peers; run ../shared/tools/install-peers.sh" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing: apt-get install hyperfine" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
cargo bench --quiet --bench scan -- --lockfile "$work/Cargo.lock"
tar xzf ../shared/rustsec/advisory-db.tar.gz -C "$work"
customs="target/release/customs --cache-dir $work/cache"
# Compile both databases once (what `db update` does); the timed runs are warm.
/usr/bin/time -f "compile whole mirror: %e s, %M KiB peak" $customs db info --db ../shared/osv >/dev/null
$customs db info --db ../shared/osv/crates.io/all.zip >/dev/null

hyperfine --warmup 3 --runs 20 -i --export-markdown "$work/times.md" \
  -n "customs (whole mirror)" "$customs scan --db ../shared/osv $work/Cargo.lock -f json -o $work/customs.json" \
  -n "customs (crates.io only)" "$customs scan --db ../shared/osv/crates.io/all.zip $work/Cargo.lock -f json -o $work/customs-crates.json" \
  -n "cargo-audit" "$peers/cargo-audit audit --db $work/advisory-db --no-fetch --no-yanked --json -f $work/Cargo.lock"
cat "$work/times.md"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo "customs peak RSS, whole mirror:   $(rss $customs scan --db ../shared/osv $work/Cargo.lock -f json -o /dev/null) KiB"
echo "customs peak RSS, crates.io only: $(rss $customs scan --db ../shared/osv/crates.io/all.zip $work/Cargo.lock -f json -o /dev/null) KiB"
echo "cargo-audit peak RSS:             $(rss $peers/cargo-audit audit --db $work/advisory-db --no-fetch --no-yanked --json -f $work/Cargo.lock) KiB"
$peers/cargo-audit audit --db $work/advisory-db --no-fetch --no-yanked --json -f $work/Cargo.lock > "$work/audit.json" || true
python3 - "$work" <<'PY'
# Do both tools report the same (advisory, crate) pairs?
import json, sys
w = sys.argv[1]
# customs merges records that share an alias into one finding: compare every merged record.
ours = {(a, f["package"]["name"], f["package"]["version"]) for f in json.load(open(f"{w}/customs.json"))["findings"] for a in f["advisories"]}
audit = json.load(open(f"{w}/audit.json"))
theirs = {(v["advisory"]["id"], v["package"]["name"], v["package"]["version"]) for v in audit["vulnerabilities"]["list"]}
for kind in audit.get("warnings", {}).values():
    theirs |= {(x["advisory"]["id"], x["package"]["name"], x["package"]["version"]) for x in kind if x.get("advisory")}
print(f"findings: customs {len(ours)}, cargo-audit {len(theirs)}, in both {len(ours & theirs)}")
for name, diff in (("only customs", ours - theirs), ("only cargo-audit", theirs - ours)):
    if diff:
        print(f"{name} ({len(diff)}):", ", ".join(sorted(f"{i} {n}@{v}" for i, n, v in diff)[:20]))
PY
