#!/usr/bin/env bash
# Installs the tools lyzr-chat builds and tests with, skipping each one that is
# already present at the right version. Sourced by scripts/demo.sh and
# scripts/test.sh; run it alone with `bash scripts/setup.sh [--browser]`.
#
#   rustup target wasm32-unknown-unknown
#   trunk           (cargo install --locked, pinned below)
#   wasm-bindgen    (cargo, exactly the version in Cargo.lock)
#   wasm-split-cli  (cargo install --locked wasm_split_cli_support, pinned
#                   below; cuts the markdown renderer into its own wasm chunk)
#   wasm-opt        (binaryen from npm, pinned below; Debian's is too old)
#   terser          (npm, pinned below; minifies the JS of release builds)
#   chromium, chromium-driver, brotli   (Debian packages; only with --browser)
set -euo pipefail

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
TERSER_VERSION=5.51.4
WASM_SPLIT_VERSION=0.2.4
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${LYZR_TOOLS_DIR:-$HOME/.cache/lyzr-chat-tools}
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/binaryen/node_modules/.bin:$PATH"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

wasm_bindgen_version() {
  # The CLI must match the wasm-bindgen library exactly; Cargo.lock is the truth.
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$ROOT/Cargo.lock"
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then return; fi
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
}

ensure_trunk() {
  if trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then return; fi
  log "installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
}

ensure_wasm_bindgen() {
  local v; v=$(wasm_bindgen_version)
  [ -n "$v" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
  if wasm-bindgen --version 2>/dev/null | grep -q " $v\$" &&
     wasm-bindgen-test-runner --version 2>/dev/null | grep -q " $v\$"; then return; fi
  log "installing wasm-bindgen-cli $v (a few minutes, once)"
  if cargo install --locked wasm-bindgen-cli --version "=$v"; then return; fi
  # Its published lockfile may pin a crate version the registry no longer
  # serves (seen: webpki-roots 1.0.11). Build it from its own source with that
  # one entry moved to the newest version the registry does have.
  log "wasm-bindgen-cli --locked failed; retrying with a repaired lockfile"
  local scratch; scratch=$(mktemp -d)
  mkdir -p "$scratch/fetch/src"
  cat > "$scratch/fetch/Cargo.toml" <<TOML
[package]
name = "fetch-wasm-bindgen-cli"
version = "0.0.0"
edition = "2021"
[dependencies]
wasm-bindgen-cli = "=$v"
TOML
  : > "$scratch/fetch/src/lib.rs"
  (cd "$scratch/fetch" && cargo fetch >/dev/null)
  local src
  src=$(ls -d "$HOME"/.cargo/registry/src/*/wasm-bindgen-cli-"$v" | head -n 1)
  cp -r "$src" "$scratch/cli"
  (cd "$scratch/cli" && cargo update -p webpki-roots --precise 1.0.10 &&
     cargo install --locked --path .)
  rm -rf "$scratch"
}

ensure_wasm_split() {
  # The binary has no --version: cargo's list of installed packages says it.
  if command -v wasm-split-cli >/dev/null &&
     grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:" <<<"$(cargo install --list)"; then return; fi
  log "installing wasm_split_cli_support $WASM_SPLIT_VERSION (wasm-split-cli; a few minutes, once)"
  cargo install --locked wasm_split_cli_support --version "=$WASM_SPLIT_VERSION" --features build-binary
}

ensure_wasm_opt() {
  if wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then return; fi
  log "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/binaryen" "binaryen@$BINARYEN_VERSION"
}

ensure_terser() {
  if "$TOOLS_DIR/terser/node_modules/.bin/terser" --version 2>/dev/null | grep -q " $TERSER_VERSION\$"; then return; fi
  log "installing terser $TERSER_VERSION from npm into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR/terser"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/terser" "terser@$TERSER_VERSION"
}

ensure_browser() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  command -v brotli >/dev/null || missing+=(brotli)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing Debian packages: ${missing[*]}"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The proxy's two-replica rate-limit test runs a private redis-server.
ensure_redis() {
  command -v redis-server >/dev/null && return
  log "installing Debian package: redis-server"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server
}

# The build's post-build hook hashes files for SRI with openssl and base64.
ensure_build_utils() {
  command -v openssl >/dev/null && command -v base64 >/dev/null && return
  log "installing Debian packages: openssl coreutils"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends openssl coreutils
}

setup_all() {
  ensure_build_utils
  ensure_wasm_target
  ensure_wasm_opt
  ensure_terser
  ensure_trunk
  ensure_wasm_bindgen
  ensure_wasm_split
  # The test command's extras: a browser, and redis for the proxy's replica test.
  if [ "${1:-}" = "--browser" ]; then ensure_browser; ensure_redis; fi
  (cd "$ROOT" && cargo fetch --locked >/dev/null)
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then setup_all "$@"; fi
