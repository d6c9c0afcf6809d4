#!/usr/bin/env python3
"""Writes an OSV mirror N times the size of another, for measuring the database compile.

    benches/multiply_mirror.py SOURCE_MIRROR DEST N

Both mirrors are in osv.dev's bucket layout: `<Ecosystem>/all.zip`, each zip holding flat
`<ID>.json` records. Copy 0 is the source as is; copy k (1..N-1) is every record again
with `-Ck` appended to its `id` and to each of its `aliases`, so copies never share an id
(each is a record of its own) nor an alias (no two copies merge into one finding). A
record listed under several ecosystems keeps the same new id in each zip, as on osv.dev,
so the compiler deduplicates it the same way in every copy.
"""

import json
import pathlib
import sys
import zipfile


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    source, dest, copies = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    total = 0
    for zip_path in sorted(source.glob("*/all.zip")):
        ecosystem = zip_path.parent.name
        (dest / ecosystem).mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(
            dest / ecosystem / "all.zip", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        ) as out:
            entries = [e for e in src.infolist() if e.filename.endswith(".json") and not e.is_dir()]
            for copy in range(copies):
                for entry in entries:
                    data = src.read(entry)
                    if copy == 0:
                        out.writestr(entry.filename, data)
                        total += 1
                        continue
                    try:
                        record = json.loads(data)
                    except ValueError:
                        continue  # an unreadable record is not worth multiplying
                    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                        continue
                    suffix = f"-C{copy}"
                    record["id"] += suffix
                    if isinstance(record.get("aliases"), list):
                        record["aliases"] = [a + suffix if isinstance(a, str) else a for a in record["aliases"]]
                    out.writestr(f"{record['id']}.json", json.dumps(record, separators=(",", ":")))
                    total += 1
        print(f"{ecosystem}: {len(entries)} records x {copies}", file=sys.stderr)
    print(f"{total} records written to {dest}", file=sys.stderr)


if __name__ == "__main__":
    main()
