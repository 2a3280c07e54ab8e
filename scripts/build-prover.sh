#!/bin/sh
# Builds the Rust prover (prover/ → prover/target/release/tvm-prove) that `tvm-trace prove` and
# `verify` run. `npm ci` runs it (the prepare script); without cargo it says how to get the
# prover and leaves the rest of the toolkit working.
set -eu
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  echo "build-prover: no cargo on PATH: tvm-trace prove and verify need the Rust prover (install Rust, then npm run build:prover)" >&2
  exit 0
fi
echo "build-prover: cargo build --release in prover/ (the first build fetches and compiles the crates: a few minutes)" >&2
cargo build --release --locked --quiet --manifest-path prover/Cargo.toml
echo "build-prover: prover/target/release/tvm-prove ready" >&2
