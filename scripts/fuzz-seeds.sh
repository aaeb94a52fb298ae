#!/usr/bin/env bash
# Builds the fuzz seed corpora under fuzz/corpus/<target>/ (not committed) from
# the repository's samples/ and rules/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
mkdir -p "$out"/{ingest_file,normalize,rule_yaml,condition,archive,compact,analyze}

# Prints the log $1 cut after the last record of its first chunk (file header + chunk
# header + records, the rest is zeros), so seeds stay small; prints nothing when the
# chunk's free space offset (4 bytes at file offset 4096 + 48) is not plausible.
first_chunk() {
  local free
  # od fails on a file too short to hold the offset: no seed then, and the script goes on.
  free=$(od -An -t u4 -j $((4096 + 48)) -N 4 "$1" 2>/dev/null | tr -d ' ') || return 0
  if [ -n "$free" ] && [ "$free" -gt 512 ] && [ "$free" -le 65536 ]; then
    head -c $((4096 + free)) "$1"
  fi
}

# Writes the first chunk of $1 to $2, if it has one.
seed_of() {
  first_chunk "$1" >"$2"
  [ -s "$2" ] || rm -f "$2"
}

# ingest_file: each sample log's first chunk; plus the file header alone and a short
# non-EVTX file.
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  seed_of "$f" "$out/ingest_file/sample-$n.evtx"
done < <(find samples -name '*.evtx' -print0 | sort -z)
# Real logs too, when the corpus is beside the project (templates as Windows writes them:
# EventData and UserData as embedded instances). Never committed.
corpus=${DROPCAUSE_CORPUS:-../shared/corpus}
if [ -d "$corpus" ]; then
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    seed_of "$f" "$out/ingest_file/corpus-$n.evtx"
  done < <(find "$corpus" -name '*.evtx' -size -2M -print0 | sort -z | head -z -n 40)
fi
# `sed -n 1p` reads all its input: `head` stops early, and under pipefail the SIGPIPE
# it leaves the writer ended the script now and then.
first=$(find samples -name '*.evtx' | sort | sed -n 1p)
head -c 4096 "$first" >"$out/ingest_file/header-only.evtx"
printf 'ElfFile\0' >"$out/ingest_file/magic-only.evtx"
# compact: the same logs (built events against rendered ones).
cp "$out"/ingest_file/*.evtx "$out/compact/"
# analyze: each sample scenario's logs, each cut after its first chunk, end to end (the
# target starts a new file at each file magic), so that correlation sees a whole host.
for d in samples/*/; do
  seed="$out/analyze/$(basename "$d").evtx"
  : >"$seed"
  while IFS= read -r -d '' f; do
    first_chunk "$f" >>"$seed"
  done < <(find "$d" -name '*.evtx' -print0 | sort -z)
  [ -s "$seed" ] || rm -f "$seed"
done

# archive: small zips of sample logs (stored and deflated, one and several
# entries), and a JSON array export.
if command -v python3 >/dev/null; then
  python3 - "$out/archive" <<'PY'
import glob, json, os, sys, zipfile
out = sys.argv[1]
logs = sorted(glob.glob("samples/*/*.evtx"))[:4]
for i, method in enumerate([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]):
    with zipfile.ZipFile(os.path.join(out, f"logs-{i}.zip"), "w", method) as z:
        for f in logs[: i + 1]:
            data = open(f, "rb").read()
            free = int.from_bytes(data[4096 + 48 : 4096 + 52], "little")
            z.writestr(os.path.basename(f), data[: 4096 + free] if 512 < free <= 65536 else data[:8192])
event = {"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-TerminalServices-LocalSessionManager"}},
         "EventID": 24, "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00Z"}}, "EventRecordID": 1,
         "Channel": "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", "Computer": "HOST1"},
         "UserData": {"EventXML": {"User": "CORP\\a", "SessionID": 2, "Address": "10.0.0.5"}}}}
open(os.path.join(out, "array.json"), "w").write(json.dumps([event, {"x": [1, [2]]}, event]))
PY
fi

# normalize: records rendered as the evtx crate renders them (one JSON
# document per record, attributes inline), from a few sample logs.
# The Rust evtx_dump (the one scripts/bench.py installs, else one on PATH that says it is):
# python-evtx installs a script of the same name that takes other flags.
dump=target/bench-tools/bin/evtx_dump
[ -x "$dump" ] || dump=$(command -v evtx_dump || true)
if [ -n "$dump" ] && "$dump" --version 2>/dev/null | grep -q '^EVTX Parser [0-9]'; then
  k=0
  for f in samples/network-drop/*.evtx samples/termservice-crash/*.evtx; do
    { "$dump" -o jsonl -t 1 "$f" 2>/dev/null || true; } | sed -n 1,20p | while IFS= read -r line; do
      k=$((k + 1))
      printf '%s' "$line" >"$out/normalize/$(basename "$f" .evtx | tr -c 'A-Za-z0-9' _)-$k.json"
    done
  done
fi
printf '{"Event":{"System":{"EventID":1,"Channel":"System","Computer":"h","Provider":{"#attributes":{"Name":"p"}}}}}' \
  >"$out/normalize/minimal.json"

# rule_yaml: every rule file; condition: every condition line.
while IFS= read -r -d '' f; do
  cp "$f" "$out/rule_yaml/$(echo "$f" | tr '/' '_')"
done < <(find rules -name '*.yml' -print0)
grep -rhoE '^\s*condition:\s*.+$' rules | sed -E 's/^\s*condition:\s*//; s/^"(.*)"$/\1/; s/^'"'"'(.*)'"'"'$/\1/' \
  | sort -u | awk -v d="$out/condition" '{ f = d "/c" NR; printf "%s", $0 > f; close(f) }'
for t in ingest_file normalize rule_yaml condition archive compact analyze; do
  echo "seeds $t: $(find "$out/$t" -type f | wc -l)"
done
