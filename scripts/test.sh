#!/usr/bin/env bash
# Runs every test of lyzr-chat, installing what is missing first:
#   1. formatting and lints
#   2. native unit tests (protocol, server, the widget's pure markdown layer)
#   3. widget tests in headless Chromium (wasm-bindgen-test)
#   4. the release bundle (trunk) and end-to-end tests in headless Chromium
#   5. the bundle's size report and budget
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
setup_all --browser

# Chromium's profile and crash folders stay inside target/.
scratch=$PWD/target/browser-scratch
mkdir -p "$scratch"
export XDG_CONFIG_HOME=$scratch/config XDG_CACHE_HOME=$scratch/cache
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-60}

step() { printf '\n\033[1;32m== %s\033[0m\n' "$*"; }
# Disk is the first thing a cold run runs out of: say how much there is.
disk() { df -h . | awk 'NR==2 {print "disk: " $4 " free"}'; du -sh target 2>/dev/null || true; }
disk
trap disk EXIT

step "format and lints"
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked -p lyzr-chat-widget --target wasm32-unknown-unknown --all-targets -- -D warnings

step "native unit tests (protocol, server incl. the proxy's two-replica Redis test, widget lib)"
cargo test --locked -p lyzr-chat-protocol -p lyzr-chat-server
cargo test --locked -p lyzr-chat-widget --lib

step "widget tests in headless Chromium (wasm-bindgen-test)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p lyzr-chat-widget --target wasm32-unknown-unknown

step "release bundle (trunk)"
trunk build --release --offline

step "end-to-end tests in headless Chromium"
cargo test --locked -p lyzr-chat-e2e -- --test-threads=2

step "bundle size"
bash scripts/size.sh --no-build --check
