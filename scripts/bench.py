#!/usr/bin/env python3
"""Side-by-side speed and memory benchmark: evtx_dump -o jsonl (the parser alone)
vs dropcause analyze with the shipped rules vs dropcause analyze with the
SigmaHQ Windows rules loaded too, on the same folders, in one run.

    scripts/bench.py                     # StolenSzechuan, whole corpus, generated logs, bursts
    scripts/bench.py --sizes 100,500,1000 --runs 3
    scripts/bench.py --only stolen       # one data set
    scripts/bench.py --only generated --sizes 500 --sigma-generated   # + SigmaHQ on it
    scripts/bench.py --only burst --bursts 20000,100000   # refused-connection bursts

Prints wall time, CPU time, MB/s, records/s, peak RSS and the ratio of each
command's wall time to evtx_dump's on the same data (the machine is shared and
noisy, so compare ratios, not absolute times). Nothing here runs in `cargo test`.

Needs: a release build (built here), evtx_dump 0.15.1 (installed from crates.io
if missing), GNU time (/usr/bin/time), the corpus at $DROPCAUSE_CORPUS or
../shared/corpus, the SigmaHQ rules at $DROPCAUSE_SIGMA or ../shared/sigma/windows.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
CORPUS = os.environ.get("DROPCAUSE_CORPUS", os.path.join(SHARED, "corpus"))
SIGMA = os.environ.get("DROPCAUSE_SIGMA", os.path.join(SHARED, "sigma", "windows"))
BIN = os.path.join(ROOT, "target", "release", "dropcause")
# The Rust evtx_dump, installed in a folder of its own: python-evtx also ships a
# script called evtx_dump that may come first on PATH.
TOOLS = os.path.join(ROOT, "target", "bench-tools")
EVTX_DUMP = os.path.join(TOOLS, "bin", "evtx_dump")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_tools():
    sh(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    if not os.path.exists(EVTX_DUMP):
        sh(["cargo", "install", "--quiet", "--locked", "--root", TOOLS, "evtx", "--version", "0.15.1"])
    version = subprocess.run([EVTX_DUMP, "--version"], capture_output=True, text=True).stdout
    if "0.15.1" not in version:
        sys.exit(f"{EVTX_DUMP} is not evtx_dump 0.15.1: {version!r}")
    if not os.path.exists("/usr/bin/time"):
        sys.exit("GNU time is needed: apt-get install time")


def evtx_files(folder):
    out = []
    for base, _, names in os.walk(folder):
        out += [os.path.join(base, n) for n in names if n.lower().endswith(".evtx")]
    return sorted(out)


def measure(argv):
    """Runs argv under GNU time; returns (wall s, cpu s, peak RSS MiB, stderr)."""
    fmt = "@@time %e %U %S %M"
    proc = subprocess.run(["/usr/bin/time", "-f", fmt] + argv,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):  # analyze exits 1 when it finds drops
        sys.exit(f"failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr[-2000:]}")
    line = [l for l in proc.stderr.splitlines() if l.startswith("@@time")][-1]
    _, wall, user, system, rss_kb = line.split()
    return float(wall), float(user) + float(system), int(rss_kb) / 1024, proc.stderr


def dump_script(files, listing):
    with open(listing, "w") as f:
        f.write("\0".join(files))
    # One evtx_dump per file, as a user would run it over a folder.
    script = ('mapfile -d "" files < "$0"; '
              'for f in "${files[@]}"; do "$1" -o jsonl "$f" > /dev/null 2>&1; done; true')
    return ["bash", "-c", script, listing, EVTX_DUMP]


def run_set(name, folder, runs, sigma):
    files = evtx_files(folder)
    size_mb = sum(os.path.getsize(f) for f in files) / 1e6
    tmp = tempfile.mkdtemp()
    commands = [("evtx_dump -o jsonl", dump_script(files, os.path.join(tmp, "files")))]
    commands.append(("dropcause analyze (shipped rules)",
                     [BIN, "analyze", "-q", "--format", "json", folder]))
    if sigma:
        commands.append(("dropcause analyze (+ SigmaHQ windows)",
                         [BIN, "analyze", "-q", "--format", "json", "--rules", SIGMA, folder]))
    results = {label: [] for label, _ in commands}
    records = None
    for _ in range(runs):
        # Interleave the commands so that load changes hit them alike.
        for label, argv in commands:
            wall, cpu, rss, err = measure(argv)
            results[label].append((wall, cpu, rss))
            m = re.search(r"(\d+) records read", err)
            if m and records is None:
                records = int(m.group(1))
    shutil.rmtree(tmp)
    base = statistics.median(w for w, _, _ in results[commands[0][0]])
    print(f"\n## {name}: {len(files)} files, {size_mb:.1f} MB, {records or '?'} records, median of {runs}")
    print(f"| command | wall s | CPU s | MB/s | records/s | peak RSS MiB | wall / evtx_dump |")
    print(f"|---|---|---|---|---|---|---|")
    for label, _ in commands:
        wall = statistics.median(r[0] for r in results[label])
        cpu = statistics.median(r[1] for r in results[label])
        rss = max(r[2] for r in results[label])
        rps = f"{records / wall:,.0f}" if records and wall > 0 else "?"
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {size_mb / max(wall, 1e-9):.0f} | {rps} "
              f"| {rss:.0f} | {wall / base:.2f}x |")
    sys.stdout.flush()


def generated(size_mb, workdir):
    """A log of about size_mb generated from the network-drop scenario."""
    out = os.path.join(workdir, f"gen-{size_mb}mb")
    if not os.path.isdir(out):
        # --scale 10000 gives about 1020 MB (measured); scale linearly.
        scale = max(1, round(size_mb * 10000 / 1020))
        sh([BIN, "sample", os.path.join(ROOT, "samples", "scenarios", "network-drop.yaml"),
            "--scale", str(scale), "-o", out], stdout=subprocess.DEVNULL)
    return out


def burst(count, workdir):
    """A log of `count` connections refused in the TLS handshake, one a second, from
    one scanner: the tls-scanner scenario with its thirty attempts made `count`. Each
    attempt is nine matched records (RCM 261, Schannel 36874 and 36888, RdpCoreTS 131,
    65, 141, 139, 102 and 103), as a server exposed to the Internet logs them."""
    out = os.path.join(workdir, f"burst-{count}")
    if not os.path.isdir(out):
        with open(os.path.join(ROOT, "samples", "scenarios", "tls-scanner.yaml")) as f:
            text = f.read()
        scaled = text.replace("count: 30, every: 1s", f"count: {count}, every: 1s")
        scaled = scaled.replace("drops: 30,", f"drops: {count},")
        if scaled.count(f"count: {count}") != 9:
            sys.exit("tls-scanner.yaml changed: its nine repeated records were not found")
        scenario = os.path.join(workdir, f"burst-{count}.yaml")
        with open(scenario, "w") as f:
            f.write(scaled)
        sh([BIN, "sample", scenario, "-o", out], stdout=subprocess.DEVNULL)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="100,500,1000", help="generated log sizes in MB")
    ap.add_argument("--only", choices=["stolen", "corpus", "generated", "burst"])
    ap.add_argument("--bursts", default="20000,100000",
                    help="refused connections in the generated bursts")
    ap.add_argument("--sigma-generated", action="store_true",
                    help="also time the generated logs with the SigmaHQ rules loaded")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "dropcause-bench"))
    args = ap.parse_args()
    ensure_tools()
    sigma = SIGMA if os.path.isdir(SIGMA) else None
    if sigma is None:
        print(f"note: SigmaHQ rules not found at {SIGMA}; that column is left out")
    os.makedirs(args.workdir, exist_ok=True)
    if args.only in (None, "stolen"):
        run_set("StolenSzechuan", os.path.join(CORPUS, "dfir-artifact-museum", "StolenSzechuanEventLogs"),
                args.runs, sigma)
    if args.only in (None, "corpus"):
        run_set("whole corpus", CORPUS, args.runs, sigma)
    if args.only in (None, "generated"):
        for size in [int(s) for s in args.sizes.split(",") if s]:
            run_set(f"generated {size} MB", generated(size, args.workdir), args.runs,
                    sigma if args.sigma_generated else None)
    if args.only in (None, "burst"):
        for count in [int(s) for s in args.bursts.split(",") if s]:
            run_set(f"burst of {count:,} refused connections", burst(count, args.workdir),
                    args.runs, None)


if __name__ == "__main__":
    main()
