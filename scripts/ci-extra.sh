#!/usr/bin/env bash
# Checks beyond `cargo test` that need tools from other ecosystems.
set -euo pipefail
cd "$(dirname "$0")/.."

# A second, independent EVTX reader must agree with ours on every sample.
if ! python3 -c "import Evtx" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check python-evtx
fi
python3 scripts/check-python-evtx.py
