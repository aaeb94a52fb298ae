#!/usr/bin/env bash
# Checks beyond `cargo test` that need tools from other ecosystems.
set -euo pipefail
cd "$(dirname "$0")/.."

# A second, independent EVTX reader must agree with ours on every sample.
if ! python3 -c "import Evtx" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check python-evtx
fi
python3 scripts/check-python-evtx.py

# The HTML report of the bundled samples opens in headless Chromium and shows
# its timeline (the script installs Debian's chromium when it is missing).
report_dir=$(mktemp -d)
cargo run --quiet -- analyze -q samples/termservice-crash samples/expired-self-signed-cert \
  samples/network-drop --report "$report_dir/report.html" > /dev/null
grep -q '<svg' "$report_dir/report.html"
scripts/html-screenshot.sh "$report_dir/report.html" "$report_dir/report.png" 1400x1100
test "$(stat -c %s "$report_dir/report.png")" -gt 20000
echo "HTML report screenshot: $(stat -c %s "$report_dir/report.png") bytes"
