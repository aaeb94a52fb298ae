#!/usr/bin/env python3
"""Reads every samples/**/*.evtx with python-evtx, an independent parser, and
checks that it sees as many records as dropcause does.

    pip install python-evtx
    scripts/check-python-evtx.py                       # counts recomputed with dropcause
    scripts/check-python-evtx.py --expected counts.json  # {"path": count, ...}

For each file it also checks the file header and every chunk header
(python-evtx's verify(): magic, versions, CRC32s), renders every record as
XML, and reads the first and last record by id (random access needs the
template table). Exit status 0 when every file agrees, 1 otherwise.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys

try:
    import Evtx.Evtx as evtx
except ImportError:
    sys.exit("python-evtx is not installed: pip install python-evtx")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dropcause_binary(explicit):
    """The dropcause binary: --dropcause, else the newest of {release,debug} in cargo's
    target directory ($CARGO_TARGET_DIR, else target/), else the one on PATH."""
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    built = [
        os.path.join(target, profile, "dropcause")
        for profile in ("release", "debug")
    ]
    built = [b for b in built if os.access(b, os.X_OK)]
    if built:
        return max(built, key=os.path.getmtime)
    found = shutil.which("dropcause")
    if found:
        return found
    sys.exit("dropcause binary not found: build it or pass --dropcause PATH")


def counts_from_dropcause(binary, folder):
    """Records per file as dropcause reads them (`events --format jsonl`)."""
    out = subprocess.run(
        [binary, "events", folder, "--format", "jsonl"],
        check=True, capture_output=True, text=True,
    ).stdout
    counts = collections.Counter()
    for line in out.splitlines():
        counts[os.path.realpath(json.loads(line)["source"])] += 1
    return counts


def check_file(path):
    """(record count, problems) as python-evtx sees the file."""
    problems = []
    with evtx.Evtx(path) as log:
        if not log.get_file_header().verify():
            problems.append("file header does not verify")
        for i, chunk in enumerate(log.chunks()):
            if not chunk.verify():
                problems.append(f"chunk {i} does not verify")
        ids = []
        for record in log.records():
            record.xml()
            ids.append(record.record_num())
        for rid in (ids[:1] + ids[-1:]):
            if log.get_record(rid) is None:
                problems.append(f"record {rid} not found by id")
    return len(ids), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=os.path.join(ROOT, "samples"))
    parser.add_argument("--expected", help="JSON object: file path -> record count")
    parser.add_argument("--dropcause", help="path of the dropcause binary")
    args = parser.parse_args()

    if args.expected:
        with open(args.expected) as f:
            expected = {os.path.realpath(k): v for k, v in json.load(f).items()}
    else:
        expected = counts_from_dropcause(dropcause_binary(args.dropcause), args.folder)

    files = sorted(
        os.path.join(d, f)
        for d, _, names in os.walk(args.folder)
        for f in names if f.lower().endswith(".evtx")
    )
    if not files:
        sys.exit(f"no .evtx files under {args.folder}")
    failed = 0
    total = 0
    for path in files:
        count, problems = check_file(path)
        want = expected.get(os.path.realpath(path))
        if want != count:
            problems.append(f"python-evtx reads {count} records, expected {want}")
        total += count
        rel = os.path.relpath(path, args.folder)
        if problems:
            failed += 1
            print(f"FAIL {rel}: " + "; ".join(problems))
        else:
            print(f"ok   {rel}: {count} records")
    print(f"{len(files) - failed}/{len(files)} files agree, {total} records")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
