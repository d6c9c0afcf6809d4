#!/usr/bin/env bash
# Compiling the advisory database at osv.dev's size: wall time and peak RSS (whole
# process, /usr/bin/time) of `customs db info --db MIRROR` on an empty cache, for
# ../shared/osv (46,600 records) and for a mirror COPIES times larger made from it
# (benches/multiply_mirror.py: each copy's records get new ids, osv.dev's layout).
#
#   benches/db_compile.sh [COPIES]           (default 10; release build of this tree)
#   CUSTOMS=/path/to/customs benches/db_compile.sh    (another build, e.g. main's, for before/after)
#   RUNS=3 benches/db_compile.sh             (repeat each compile)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-10}
runs=${RUNS:-1}
if [ -z "${CUSTOMS:-}" ]; then
  cargo build --release --quiet --bin customs
  CUSTOMS=${CARGO_TARGET_DIR:-target}/release/customs
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/multiply_mirror.py ../shared/osv "$work/osv-x$copies" "$copies" 2>/dev/null

echo "customs: $CUSTOMS"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mirror in ../shared/osv "$work/osv-x$copies"; do
  for _ in $(seq "$runs"); do
    rm -rf "$work/cache"
    /usr/bin/time -o "$work/time" -f "%e %M" "$CUSTOMS" --cache-dir "$work/cache" db info --db "$mirror" --json > "$work/info.json"
    read -r seconds kib < "$work/time"
    records=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$work/info.json")
    size=$(du -m "$work"/cache/db/by-source/*.db | cut -f1)
    printf '%-28s %7s records  %6.2f s  %6d MiB peak RSS  %5s MiB file\n' \
      "$(basename "$mirror")" "$records" "$seconds" $((kib / 1024)) "$size"
  done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
