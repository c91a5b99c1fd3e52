#!/usr/bin/env bash
# Builds the widget and starts the local agent server with the demo page.
# Extra arguments go to lyzr-chat-server (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
setup_all
trunk build --release --offline
exec cargo run --locked --quiet -p lyzr-chat-server -- --dist dist "$@"
