#!/usr/bin/env bash
# Trunk post-build hook (Trunk.toml): in release builds, minifies the two
# JavaScript files a visitor downloads, the loader (lyzr-chat.js) and the
# wasm-bindgen glue (lyzr-chat-widget.js), with terser (installed by
# scripts/setup.sh). Trunk's own minifier cannot parse the glue. Saves about
# 3.5 KB brotli; see the README, "Size".
set -euo pipefail
[ "${TRUNK_PROFILE:-}" = release ] || exit 0
: "${TRUNK_STAGING_DIR:?run by trunk as a hook}"
TOOLS_DIR=${LYZR_TOOLS_DIR:-$HOME/.cache/lyzr-chat-tools}
terser=$TOOLS_DIR/terser/node_modules/.bin/terser
[ -x "$terser" ] || { echo "minify.sh: terser is missing; run bash scripts/setup.sh" >&2; exit 1; }
minify() { # file, extra terser flags...
  local file=$TRUNK_STAGING_DIR/$1; shift
  "$terser" "$file" --compress --mangle "$@" -o "$file.min"
  mv "$file.min" "$file"
}
minify lyzr-chat-widget.js --module
minify lyzr-chat.js

# The demo page preloads the glue with the Subresource Integrity hash trunk
# computed before this hook ran: put in the minified file's.
html=$TRUNK_STAGING_DIR/index.html
if [ -f "$html" ]; then
  old=$(grep -o 'href="[^"]*lyzr-chat-widget\.js"[^>]*integrity="sha384-[^"]*"' "$html" | grep -o 'sha384-[^"]*' || true)
  if [ -n "$old" ]; then
    new=sha384-$(openssl dgst -sha384 -binary "$TRUNK_STAGING_DIR/lyzr-chat-widget.js" | openssl base64 -A)
    sed -i "s|$old|$new|" "$html"
  fi
fi
