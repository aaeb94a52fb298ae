#!/usr/bin/env python3
"""Runs every hostile-input reproducer of ../shared/reliability (or
$DROPCAUSE_RELIABILITY) against a release build and checks the promise of
issue 18: each run ends within 10 s with a peak RSS under 200 MB (the 1 GiB
zip entry excepted: the documented entry cap is 1 GiB), and its JSON output
parses. Prints one line per run; exits 1 when any breaks its bound.

usage: scripts/reliability.py [path/to/dropcause]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("DROPCAUSE_RELIABILITY", os.path.join(ROOT, "..", "shared", "reliability"))
if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
    sys.exit(__doc__)
D = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "dropcause")
SECONDS, RSS_MB = 10.0, 200


def run(args, json_out=False, rss_mb=RSS_MB):
    """Runs D with args under /usr/bin/time (whose peak RSS is the child's own;
    a fork of this script would report the script's); returns (ok, line)."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.monotonic()
        code = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, D, *args],
                               stdout=out, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - start
        rss = int(rss_file.read().strip().splitlines()[-1]) / 1024
        valid = True
        out.seek(0, os.SEEK_END)
        # Nothing readable: no output and exit 2, by design.
        if json_out and not (code == 2 and out.tell() == 0):
            out.seek(0)
            try:
                json.load(out)
            except ValueError:
                valid = False
    ok = wall <= SECONDS and rss <= rss_mb and code in (0, 2) and valid
    name = " ".join(os.path.basename(a) if os.sep in a else a for a in args)
    return ok, f"{'ok ' if ok else 'BAD'} {wall:6.2f} s {rss:7.1f} MB exit {code} {'' if valid else 'INVALID JSON '}{name}"


def main():
    if not os.access("/usr/bin/time", os.X_OK):
        print("/usr/bin/time is needed to measure peak memory")
        return 1
    if not os.path.isfile(os.path.join(SHARED, "README.md")):
        print(f"reliability reproducers not found at {SHARED} (set DROPCAUSE_RELIABILITY)")
        return 0 if os.environ.get("CI") != "true" else 1
    f = lambda name: os.path.join(SHARED, name)
    runs = [
        (["analyze", f("table_slow_30k_user.evtx")], False),
        (["analyze", f("table_hang_1M_user.jsonl")], False),
        (["events", f("table_hang_1M_user.jsonl")], False),
        (["analyze", f("zip_4000_entries_quadratic.zip")], False),
        (["analyze", "-q", "--format", "json", f("zip_overlap_bomb_1000x64MiB.zip")], True),
        (["analyze", "-q", "--format", "json", f("memory_amplification_1GB.evtx")], True),
        (["analyze", "-q", "--format", "csv", f("csv_terminal_escape.jsonl")], False),
    ]
    for name in ["silent_trunc_at_chunk_boundary.evtx", "silent_free_space_shrunk.evtx",
                 "chunk_lost_one_bad_string_pointer.evtx", "control_char_in_name_chunk_unreadable.evtx",
                 "accounting_truncated_chunk.evtx", "peek_coverage_diff.evtx"]:
        runs.append((["analyze", "-q", "--format", "json", f(name)], True))
        runs.append((["events", "--format", "jsonl", f(name)], False))
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for gen, args, out in [
            ("gen_zip_many_entries.py", ["10000"], "many10k.zip"),
            ("gen_zip_overlap_bomb.py", ["64", "1023"], "bomb64x1GiB.zip"),
        ]:
            target = os.path.join(tmp, out)
            subprocess.run([sys.executable, f(gen), *args, target], check=True, cwd=tmp)
            # One entry of just under 1 GiB is read whole: the documented cap.
            cap = 1200 if "bomb" in out else RSS_MB
            ok, line = run(["analyze", "-q", "--format", "json", target], True, cap)
            bad += not ok
            print(line)
        for args, json_out in runs:
            ok, line = run(args, json_out)
            bad += not ok
            print(line)
    print(f"{bad} run(s) out of bounds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
