#!/usr/bin/env bash
# Takes a headless screenshot of an HTML report, to check how it looks.
#   scripts/html-screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]
# Installs Debian's chromium when it is missing (needs root or sudo). Chromium
# runs with networking features off; the report itself loads nothing (CSP).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1400x1000}
[[ -f $report ]] || { echo "$0: no such file: $1" >&2; exit 2; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
    echo "installing chromium (Debian package)..." >&2
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$out" --window-size="${size/x/,}" "file://$report" 2>/dev/null || true

if [[ ! -s $out ]]; then
    echo "$0: no screenshot written to $out" >&2
    exit 1
fi
if [[ $(head -c 8 "$out" | od -An -tx1 | tr -d ' \n') != 89504e470d0a1a0a ]]; then
    echo "$0: $out is not a PNG" >&2
    exit 1
fi
echo "$out ($(stat -c %s "$out") bytes)"
