#!/bin/bash
# Measures incremental `customs db update` against a full one, over HTTP on 127.0.0.1.
# usage: benches/incremental_mirror.py ../shared/osv /tmp/incr-bench 1 && benches/incremental_update.sh CUSTOMS
set -e
B=/tmp/incr-bench; C=$1
ECOS=$(cd $B/v1 && ls -d */ | tr -d / | sed 's/^/--ecosystem /' | tr '\n' ' ')
rm -rf $B/cache1 $B/cache2 $B/cur; ln -s v1 $B/cur
python3 -m http.server --bind 127.0.0.1 8765 --directory $B/cur 2> $B/server.log > /dev/null &
SRV=$!; sleep 1
trap "kill $SRV" EXIT
run() { local cache=$1; shift; local s=$(date +%s.%N); $C --cache-dir $cache db update --mirror http://127.0.0.1:8765 $ECOS 2> $B/out.txt; local e=$(date +%s.%N); echo "time $(echo "$e - $s" | bc) s"; grep -c '"GET' $B/server.log | sed 's/^/requests so far /'; grep -o "updated ([0-9.]* MiB" $B/out.txt | awk '{gsub(/\(/,"",$2); s+=$2} END {print "MiB fetched", s}'; tail -1 $B/out.txt; }
echo "== full update from v1"; run $B/cache1
rm $B/cur; ln -s v2 $B/cur; : > $B/server.log
echo "== incremental update to v2"; run $B/cache1; grep -m3 incremental $B/out.txt
: > $B/server.log
echo "== full update from v2 (fresh cache)"; run $B/cache2
cp $B/out.txt $B/full.txt
