#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600), two at a time, starting from the checked-in
# seeds (fuzz/seeds/<target>) and the local corpus (fuzz/corpus/<target>, not checked in).
# Findings land in fuzz/artifacts/<target>/; turn each into a regression test named after it.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); `-s none` builds on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
targets=(read_policy read_account differential wildcard command_line)
cargo fuzz build -s none
run() {
    local target="$1"
    mkdir -p "fuzz/corpus/$target"
    cargo fuzz run -s none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        > "fuzz/$target.log" 2>&1
    echo "$target: $(grep -E 'stat::number_of_executed_units|Done' "fuzz/$target.log" | tr '\n' ' ')"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & fi
    wait
done
