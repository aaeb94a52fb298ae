#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after another.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz passes nightly-only
# flags to rustc; on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
# Crashes land in fuzz/artifacts/<target>/; the corpora grow in fuzz/corpus/.
# Keep a finding's input in tests/fuzz/ (tests/fuzz_regressions.rs runs them all).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ingest_file normalize rule_yaml condition archive compact analyze)
export RUSTC_BOOTSTRAP=1
scripts/fuzz-seeds.sh
# No sanitizer: the crate forbids unsafe code; what fuzzing hunts here is
# panics, aborts, stack overflow, runaway memory (-rss_limit_mb) and time.
fuzz_flags=(--sanitizer none --release --debug-assertions)
cargo fuzz build "${fuzz_flags[@]}"
# Run the binaries just built (not `cargo fuzz run`, which rebuilds from the working tree
# and so fails or changes what is fuzzed when the sources are edited meanwhile).
bin=fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release
for t in "${targets[@]}"; do
  case $t in
    ingest_file | archive | compact) max_len=131072 ;;
    analyze) max_len=262144 ;;
    rule_yaml | normalize) max_len=16384 ;;
    *) max_len=4096 ;;
  esac
  echo "== $t: ${secs}s"
  mkdir -p "fuzz/artifacts/$t"
  "$bin/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "fuzz/corpus/$t" 2>&1 | tee "fuzz/$t.log" | grep -E '^(stat::|==|INFO: Running|Done|#[0-9]+ +DONE)' || true
  if ls "fuzz/artifacts/$t"/crash-* "fuzz/artifacts/$t"/oom-* "fuzz/artifacts/$t"/timeout-* >/dev/null 2>&1; then
    echo "!! $t: findings in fuzz/artifacts/$t"
  fi
done
