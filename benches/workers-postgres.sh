#!/usr/bin/env bash
# The registry sweep split over workers sharing one PostgreSQL store: `registry plan`,
# W concurrent `registry work` processes, `registry finalize`, for W = 1, 2 and 3 (of which
# one is killed mid-run), each on a fresh database, against a registry built here (Debian's docker-registry on 127.0.0.1)
# holding N repositories (default 120), each the shared Debian image plus one small layer
# of its own. A single `registry scan` into an SQLite store is measured alongside.
#
# Measured: wall time of each step, the workers' peak memory (GNU time), the database's
# size after the run (pg_database_size), and the transactions the server committed per
# image (pg_stat_database.xact_commit: each statement outside a transaction is one; a
# lower bound of the round trips, which add BEGIN and COMMIT and a prepare per distinct
# statement and connection) and the statements it executed per image (log_statement=all,
# BEGIN and COMMIT included: each is a round trip). Each split run's report is compared
# with the single scan's.
#
#   benches/workers-postgres.sh [IMAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-120}
for t in docker-registry skopeo umoci psql; do
  command -v "$t" >/dev/null || { echo "needs $t (apt-get install docker-registry skopeo umoci postgresql)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "needs PostgreSQL's initdb (apt-get install postgresql)" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
registry_pid=
as_server=()
[ "$(id -u)" -eq 0 ] && as_server=(runuser -u postgres --)
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  [ -d "$work/pg" ] && "${as_server[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
cargo build --release --quiet
customs=${CARGO_TARGET_DIR:-$PWD/target}/release/customs
osv=$PWD/../shared/osv
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
host=127.0.0.1:$port
cat > "$work/registry.yml" <<EOT
version: 0.1
log: { level: warn, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/data }, delete: { enabled: true } }
http: { addr: $host }
EOT
docker-registry serve "$work/registry.yml" >/dev/null 2>"$work/registry.err" &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://$host/v2/" >/dev/null && break; sleep 0.1; done

echo "building $images images on the shared Debian base…" >&2
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
    add("app/requirements.txt", f"django==3.2.{n % 20}\nrequests==2.{20 + n % 10}.0\nservice{n}==1.0.{n}\n")
    add("app/package-lock.json", '{"name":"app%d","lockfileVersion":3,"packages":{"":{"name":"app%d"},'
        '"node_modules/lodash":{"version":"4.17.%d"}}}' % (n, n, n % 21))
PY
  umoci raw add-layer --image "$layout:bookworm" --tag "app-$i" "$work/layer.tar"
  skopeo copy -q --dest-tls-verify=false "oci:$layout:app-$i" "docker://$host/bench/app-$i:latest"
done

pg_port=$(free_port)
mkdir -p "$work/pg" "$work/pg-socket"
[ "$(id -u)" -eq 0 ] && chown postgres: "$work/pg" "$work/pg-socket"
"${as_server[@]}" "$pgbin/initdb" -D "$work/pg" -U customs --auth=trust --no-sync >/dev/null
"${as_server[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start \
  -o "-p $pg_port -k $work/pg-socket -c listen_addresses=127.0.0.1 -c log_statement=all -c log_line_prefix='%d '" \
  >/dev/null
sql() { psql -h 127.0.0.1 -p "$pg_port" -U customs -d postgres -tAc "$1"; }

# The database is compiled once, before anything is timed.
"$customs" --cache-dir "$work/cache" scan --db "$osv" fixtures/scan >/dev/null 2>&1 || true
common=(--cache-dir "$work/cache")

timed() { # $1 = label; rest = command. Prints "label seconds peak-MiB".
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time-$label" "$@" >"$work/out-$label" 2>"$work/err-$label" || [ $? -eq 1 ]
  read -r secs kib < <(tail -1 "$work/time-$label")
  echo "$label $secs $(( kib / 1024 ))"
}

echo
echo "| run | plan | work (slowest worker) | finalize | total | peak memory per worker | database size | server transactions per image | statements per image |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
read -r _ secs mib < <(timed scan "$customs" "${common[@]}" registry scan "$host" --insecure-registry "$host" \
  --store "$work/single.sqlite" --db "$osv" -f json -o "$work/single.json")
printf '| `registry scan` (one process, SQLite) | | | | %s s | %s MiB | %s | | |\n' "$secs" "$mib" \
  "$(du -h "$work/single.sqlite" | cut -f1)"
# 1 and 2 workers; then 3 workers of which the first is killed (SIGKILL) a second into
# its work, with a 5 s lease so its item comes back to the other two quickly.
for config in 1 2 3-killed; do
  workers=${config%%-*}
  db=w$workers
  lease=()
  [ "$config" = 3-killed ] && lease=(--lease 5s)
  sql "CREATE DATABASE $db" >/dev/null
  store="postgres://customs@127.0.0.1:$pg_port/$db?sslmode=disable"
  export CUSTOMS_STORE=$store
  before=$(sql "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
  start=$(date +%s.%N)
  read -r _ plan_secs _ < <(timed "plan-$db" "$customs" "${common[@]}" registry plan "$host" --insecure-registry "$host")
  run=$(cat "$work/out-plan-$db")
  pids=()
  for w in $(seq 1 "$workers"); do
    timed "work-$db-$w" "$customs" "${common[@]}" registry work --run "$run" --worker "worker-$w" \
      ${lease[@]+"${lease[@]}"} --insecure-registry "$host" >"$work/result-$db-$w" &
    pids+=($!)
  done
  killed=
  if [ "$config" = 3-killed ]; then
    sleep 1
    pkill -KILL -f "^$customs .*registry work --run $run --worker worker-1 " && killed=1
  fi
  for pid in "${pids[@]}"; do wait "$pid" || [ -n "$killed" ]; done
  slowest=0; peak=0
  for w in $(seq 1 "$workers"); do
    [ "$w" = "$killed" ] && continue
    read -r _ secs mib < "$work/result-$db-$w"
    slowest=$(python3 -c "print(max($slowest, $secs))"); [ "$mib" -gt "$peak" ] && peak=$mib
  done
  read -r _ final_secs _ < <(timed "finalize-$db" "$customs" "${common[@]}" registry finalize --run "$run" \
    --db "$osv" -f json -o "$work/$db.json")
  total=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
  after=$(sql "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
  size=$(sql "SELECT pg_size_pretty(pg_database_size('$db'))")
  per_image=$(python3 -c "print(f'{($after - $before) / $images:.0f}')")
  # Every statement the server executed for this database (log_statement=all; the
  # line prefix is the database's name), BEGIN and COMMIT included: one round trip
  # each at least (a statement prepared on a connection for the first time adds one).
  statements=$(grep -c "^$db LOG:  \(statement\|execute\)" "$work/pg/server.log" || true)
  statements_per_image=$(python3 -c "print(f'{$statements / $images:.0f}')")
  label="plan + $workers worker(s) + finalize (PostgreSQL)"
  if [ "$config" = 3-killed ]; then
    label="plan + 3 workers, none killed (all done within 1 s) + finalize (PostgreSQL)"
    [ -n "$killed" ] && label="plan + 3 workers, one killed after 1 s + finalize (PostgreSQL)"
  fi
  printf '| %s | %s s | %s s | %s s | %s s | %s MiB | %s | %s | %s |\n' \
    "$label" "$plan_secs" "$slowest" "$final_secs" "$total" "$peak" "$size" "$per_image" "$statements_per_image"
done
unset CUSTOMS_STORE

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def normal(r):
    r = dict(r); r["run"] = {k: v for k, v in r["run"].items() if k not in ("id", "started", "finished")}
    r["coverage"] = {k: v for k, v in r["coverage"].items() if k not in ("requests",)}
    r["images"] = [{k: v for k, v in i.items() if k != "first_seen"} for i in r["images"]]
    return r
def spent(r):
    r = dict(r)
    r["coverage"] = {k: v for k, v in r["coverage"].items()
                     if k not in ("bytes_downloaded", "images_analysed", "images_from_store", "layers_downloaded",
                                  "layers_from_store")}
    r["images"] = [{k: v for k, v in i.items() if k != "source"} for i in r["images"]]
    return r
single = json.load(open(f"{w}/single.json"))
for name in ("w1", "w2", "w3"):
    r = json.load(open(f"{w}/{name}.json"))
    c, s = r["coverage"], r["summary"]
    a, b = normal(r), normal(single)
    if a == b:
        same = "the same report as one scan"
    elif spent(a) == spent(b):
        # What docs/registry.md allows when a worker died: what it read before dying is
        # in the store but not in the run's counters.
        same = ("the same report as one scan but for what the run spent (coverage: "
                + ", ".join(sorted(k for k in a["coverage"] if a["coverage"][k] != b["coverage"].get(k)))
                + "; which images count as analysed or taken from the store)")
    else:
        differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        detail = [f"{k}: {sorted(x for x in set(a[k]) | set(b[k]) if a[k].get(x) != b[k].get(x))}"
                  if isinstance(a.get(k), dict) and isinstance(b.get(k), dict) else k for k in differ]
        same = "A DIFFERENT REPORT from one scan, in " + "; ".join(detail)
    print(f"{name}: {c['images']} images, {c['layers_downloaded']} layers read, {c['requests']} requests; "
          f"{s['vulnerabilities']} findings; {same}")
PY
