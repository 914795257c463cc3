#!/usr/bin/env bash
# Fuzzes the parsers of ferrozmq-proto with cargo-fuzz (libFuzzer), starting
# from the seeds committed in fuzz/seeds/, with overflow checks on.
#   scripts/fuzz.sh                    every target for 10 s (the smoke run of scripts/test.sh)
#   scripts/fuzz.sh 600                every target for ten minutes
#   scripts/fuzz.sh 60 connection      one target
# Only a stable toolchain exists here, so no sanitizer: the crate has no
# unsafe code but two calls into CURVE's SIMD Salsa20 (its blocks are tested
# against plain Rust ones), and what is fuzzed for is panics, hangs and
# runaway memory.
# Findings land in fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-10}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(connection command metadata zap_reply z85 handshake)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz --version 0.13.2
fi

for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    cargo fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
