#!/usr/bin/env bash
# Side-by-side bench of the release widget and deep-chat 2.4.2 in headless
# Chromium (see the README, "Benchmarks"). Not part of scripts/test.sh:
# timings on a shared machine are noisy.
# Usage: bash scripts/bench.sh [--runs N] [--profile normal|throttled|both]
#          [--only open,idle,stream,long,deep] [--verbose] [--cpu-profile DIR] [--no-build]
#   --no-build  bench dist/ as it is
#   --cpu-profile DIR  sample the first send of the open-at-load page with
#               CDP's profiler: each run's .cpuprofile in DIR, and its longest
#               busy stretch by function on stderr (function names need a build
#               made with LYZR_CHAT_NAMES=1)
#   --only      run only these scenarios (while iterating; the README's table has all)
#   --verbose   print each run's long tasks and wasm load phases
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEEP_CHAT_VERSION=2.4.2
build=1 pass=()
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    *) pass+=("$arg") ;;
  esac
done

source scripts/setup.sh
setup_all --browser
command -v npm >/dev/null || { echo "bench.sh: npm is missing (apt-get install npm)" >&2; exit 1; }
[ $build = 0 ] || trunk build --release --offline

# deep-chat comes from npm at bench time and is never committed.
npm_dir=target/bench/npm
tarball=$npm_dir/deep-chat-$DEEP_CHAT_VERSION.tgz
if [ ! -f "$tarball" ]; then
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm pack --silent "deep-chat@$DEEP_CHAT_VERSION" >/dev/null)
fi
rm -rf "$npm_dir/package" && tar -xzf "$tarball" -C "$npm_dir"

# The site: host pages, our bundle, deep-chat's bundle; each with a .br
# (brotli -q 11, as a CDN would serve them).
site=target/bench/site
rm -rf "$site" && mkdir -p "$site/ours" "$site/deepchat"
cp bench/pages/*.html "$site/"
# The wasm and its chunks (lyzr-chat-widget_markdown.wasm: the markdown
# renderer and the send path, fetched when the visitor starts writing).
cp dist/lyzr-chat.js dist/lyzr-chat-widget.js dist/lyzr-chat-widget_*.wasm "$site/ours/"
cp "$npm_dir/package/dist/deepChat.bundle.js" "$site/deepchat/"
find "$site" -type f \( -name '*.html' -o -name '*.js' -o -name '*.wasm' \) -exec brotli -q 11 -f -k {} +

scratch=$PWD/target/bench/browser-scratch
mkdir -p "$scratch"
export XDG_CONFIG_HOME=$scratch/config XDG_CACHE_HOME=$scratch/cache
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

echo "chromium: $(chromium --version 2>/dev/null || echo unknown); $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)" >&2
# A debug build: it shares the e2e tests' compiled dependencies, and the bench
# binary only waits on the browser.
cargo run --locked -p lyzr-chat-bench -- --site "$site" "${pass[@]}"
