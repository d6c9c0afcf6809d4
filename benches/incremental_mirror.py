#!/usr/bin/env python3
"""Writes two versions of an OSV mirror, for measuring incremental `customs db update`.

    benches/incremental_mirror.py SOURCE_MIRROR DEST PERCENT

SOURCE_MIRROR is in osv.dev's bucket layout (`<Ecosystem>/all.zip`). DEST/v1 gets each
zip as is plus the `modified_id.csv` osv.dev publishes beside it (`<modified>,<ID>`,
newest first); DEST/v2 is the same mirror after PERCENT % of each ecosystem's records
changed (a new `modified` time and summary): a new zip and list, and the changed records
alone as `<ID>.json`, as osv.dev serves them. Serve either folder over HTTP.
"""

import json
import pathlib
import shutil
import sys
import zipfile

NEW_TIME = "2030-01-01T00:00:00Z"


def write_list(path: pathlib.Path, stamps: list[tuple[str, str]]) -> None:
    lines = sorted(stamps, reverse=True)
    path.write_text("".join(f"{time},{ident}\n" for time, ident in lines))


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    source, dest, percent = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), float(sys.argv[3])
    every = max(1, round(100 / percent))
    changed_total = 0
    for zip_path in sorted(source.glob("*/all.zip")):
        ecosystem = zip_path.parent.name
        v1, v2 = dest / "v1" / ecosystem, dest / "v2" / ecosystem
        v1.mkdir(parents=True, exist_ok=True)
        v2.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(zip_path, v1 / "all.zip")
        old, new = [], []
        with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(
            v2 / "all.zip", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        ) as out:
            for n, name in enumerate(src.namelist()):
                data = src.read(name)
                record = json.loads(data)
                old.append((record.get("modified", ""), record["id"]))
                if n % every == 0:
                    record["modified"] = NEW_TIME
                    record["summary"] = f"changed: {record.get('summary', '')}"
                    data = json.dumps(record).encode()
                    (v2 / f"{record['id']}.json").write_bytes(data)
                    changed_total += 1
                new.append((record.get("modified", ""), record["id"]))
                out.writestr(name, data)
        write_list(v1 / "modified_id.csv", old)
        write_list(v2 / "modified_id.csv", new)
    print(f"{changed_total} records changed in {dest / 'v2'}")


if __name__ == "__main__":
    main()
