#!/usr/bin/env python3
"""Picks real-world versions from an OSV export for a scheme's vector list.

Why: the generators order versions with each ecosystem's native tool; the versions themselves
should include what really gets published, oddities first (anything that is not plain
dotted digits), not only hand-written examples.

Usage: sample_osv.py <path/to/all.zip> <count> [seed]
Prints up to <count> distinct versions (from `affected[].versions` and range events), odd ones
preferred, in a reproducible order.
"""
import json
import random
import re
import sys
import zipfile

PLAIN = re.compile(r"^\d+(\.\d+)*$")


def versions(path):
    seen = set()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            record = json.loads(archive.read(name))
            for affected in record.get("affected", []):
                found = list(affected.get("versions", []))
                for r in affected.get("ranges", []):
                    if r.get("type") == "GIT":
                        continue
                    for event in r.get("events", []):
                        found.extend(v for k, v in event.items() if k != "limit")
                for v in found:
                    if isinstance(v, str) and v and v != "0" and "\t" not in v and "\n" not in v:
                        seen.add(v)
    return sorted(seen)


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 13)
    every = versions(path)
    odd = [v for v in every if not PLAIN.match(v)]
    plain = [v for v in every if PLAIN.match(v)]
    rng.shuffle(odd)
    rng.shuffle(plain)
    picked = odd[: count * 2 // 3]
    picked += plain[: count - len(picked)]
    for v in picked:
        print(v)


if __name__ == "__main__":
    main()
