#!/usr/bin/env bash
# Runs every fuzz target (fuzz/, docs/security.md "Fuzzing") for a few seconds from its seed corpus,
# on the stable toolchain (`-s none`: libFuzzer without a sanitizer). cargo-fuzz and the fuzz build
# are kept under TOOLS_DIR, so that a later run rebuilds only what changed.
# Usage: .ci/fuzz.sh TOOLS_DIR [SECONDS_PER_TARGET]
set -euo pipefail
tools=$1; secs=${2:-10}
cd "$(dirname "$0")/.."
[ -x "$tools/cargo-fuzz/bin/cargo-fuzz" ] ||
  cargo install --locked --quiet cargo-fuzz@0.13.2 --root "$tools/cargo-fuzz" --target-dir "$tools/cargo-fuzz-build"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
fuzz() { "$tools/cargo-fuzz/bin/cargo-fuzz" "$@"; }
# 16 codegen units: a CI build that is quicker to make, at some cost in runs a second.
opts=(-s none --codegen-units 16 --target-dir "$tools/fuzz-target")
fuzz build "${opts[@]}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for t in $(fuzz list); do
  # A scratch corpus for what the run adds; the seeds stay as committed. A crash stops the run
  # with the input in fuzz/artifacts/TARGET (libFuzzer prints the reproducing command).
  mkdir "$work/$t"
  fuzz run "${opts[@]}" "$t" "$work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>"$work/$t.log" || {
    tail -n 60 "$work/$t.log"; echo "fuzz: target $t failed"; exit 1; }
  echo "fuzz: $t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log") runs in ${secs}s, no crash"
done
