#!/usr/bin/env bash
# Trunk's one post-build hook (Trunk.toml; trunk runs a stage's hooks at the
# same time, so the steps that depend on each other live here, in order):
#   1. release builds: cut the markdown renderer and the send path out of
#      the compiler's wasm into a chunk (wasm-split-cli), run wasm-bindgen
#      on the main wasm in place of trunk's output and put the chunk's
#      loader into the glue (scripts/split.mjs); give the wasm's imports and exports short names
#      in the wasm and the glue and drop dead exports
#      (scripts/short-names.mjs), optimize the wasm and the chunk
#      (wasm-opt), drop their custom sections for tools, then minify the
#      wasm-bindgen glue (lyzr-chat-widget.js) with terser (installed by
#      scripts/setup.sh; trunk's own minifier cannot parse the glue);
#   2. scripts/sri.sh pins the chunk in the glue, then the glue and the wasm,
#      as they now are, in the loader;
#   3. release builds: give the demo page's preload of the glue the final
#      glue's hash, and minify the loader (lyzr-chat.js), after sri.sh: its
#      placeholders must be there for sri.sh to fill (terser would drop the
#      locale table's, a comment, and fold the check of the hashes'
#      placeholders into a constant).
# Minifying saves about 2.5 KB brotli on the glue and 1.5 KB on the loader;
# see the README, "Size".
set -euo pipefail
: "${TRUNK_STAGING_DIR:?run by trunk as a hook}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=$TRUNK_STAGING_DIR
release=0
[ "${TRUNK_PROFILE:-}" = release ] && release=1

TOOLS_DIR=${LYZR_TOOLS_DIR:-$HOME/.cache/lyzr-chat-tools}
terser=$TOOLS_DIR/terser/node_modules/.bin/terser
minify() { # file, extra terser flags...
  local file=$dir/$1; shift
  "$terser" "$file" --compress --mangle "$@" -o "$file.min"
  mv "$file.min" "$file"
}
if [ $release = 1 ]; then
  [ -x "$terser" ] || { echo "post-build.sh: terser is missing; run bash scripts/setup.sh" >&2; exit 1; }
  # The markdown renderer and the send path as a chunk of their own,
  # fetched when the visitor starts writing (src/markdown/lazy.rs,
  # src/client/lazy.rs; README, "Size"): wasm-split cuts
  # it out of the compiler's wasm (linked with --emit-relocs, build.rs),
  # wasm-bindgen then makes the glue of the main wasm instead of trunk's,
  # and scripts/split.mjs puts the chunks' loader into the glue.
  # LYZR_CHAT_SPLIT=0 (read by build.rs too): one wasm, as before, to compare.
  split_cli=wasm-split-cli
  if [ "${LYZR_CHAT_SPLIT:-1}" = 0 ]; then
    ! grep -q __wasm_split_placeholder__ "$dir/lyzr-chat-widget.js" || {
      echo "post-build.sh: LYZR_CHAT_SPLIT=0 but the wasm has a split point (build.rs did not see it)" >&2; exit 1; }
  else
    split_version=$(sed -n 's/^WASM_SPLIT_VERSION=//p' scripts/setup.sh)
    command -v "$split_cli" >/dev/null && grep -q "^wasm_split_cli_support v$split_version:" <<<"$(cargo install --list)" || {
      echo "post-build.sh: wasm-split-cli $split_version is missing; run bash scripts/setup.sh" >&2; exit 1; }
    wasm_bindgen=wasm-bindgen
    "$wasm_bindgen" --version | grep -q " $(sed -n 's/^wasm_bindgen = "\(.*\)"$/\1/p' Trunk.toml)\$" || {
      echo "post-build.sh: wasm-bindgen is not the version Trunk.toml pins; run bash scripts/setup.sh" >&2; exit 1; }
    compiled=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/lyzr_chat.wasm
    grep -q __wasm_split_placeholder__ "$dir/lyzr-chat-widget.js" || {
      echo "post-build.sh: this build has no split point (build.rs sets cfg lyzr_split in release builds)" >&2; exit 1; }
    splitdir=$(mktemp -d)
    trap 'rm -rf "$splitdir"' EXIT
    "$split_cli" --target web --out-name lyzr-chat-widget "$compiled" "$splitdir"
    "$wasm_bindgen" --target web --no-typescript --keep-lld-exports --out-name lyzr-chat-widget \
      --out-dir "$splitdir/bindgen" "$splitdir/lyzr-chat-widget.wasm"
    cp "$splitdir/bindgen/lyzr-chat-widget.js" "$splitdir/bindgen/lyzr-chat-widget_bg.wasm" "$dir/"
    node scripts/split.mjs "$splitdir" "$dir"
  fi
  # Short import and export names in the wasm and the glue (the glue as
  # wasm-bindgen wrote it, before terser), and wasm-streams' dead exports
  # out: -8 KB brotli (README, "Size").
  node scripts/short-names.mjs "$dir"
  # wasm-opt runs here, not in trunk (index.html: data-wasm-opt="0"), so
  # that it sees the dead exports gone. Merging similar functions between
  # a light and the full size pass saves 2.5 KB brotli over plain -Oz; not
  # inlining functions of one caller bigger than 20 (binaryen's measure;
  # -Oz inlines them all) makes the wasm 3% bigger raw but 12.9 KB smaller
  # in brotli: the code stays in small functions whose byte sequences
  # repeat, instead of merged ones with their locals renumbered.
  wasm_opt=$TOOLS_DIR/binaryen/node_modules/.bin/wasm-opt
  [ -x "$wasm_opt" ] || wasm_opt=wasm-opt
  "$wasm_opt" --version | grep -q "version 132" || { echo "post-build.sh: wasm-opt version 132 is missing; run bash scripts/setup.sh" >&2; exit 1; }
  passes=(-O1 --merge-similar-functions -Oz --one-caller-inline-max-function-size=20 --low-memory-unused)
  # LYZR_CHAT_NAMES=1 keeps the functions' names in the wasm (a few hundred
  # KB more), for CPU profiles (bench.sh --cpu-profile); never shipped.
  [ "${LYZR_CHAT_NAMES:-0}" = 1 ] && passes+=(-g)
  "$wasm_opt" "$dir/lyzr-chat-widget_bg.wasm" "${passes[@]}" --zero-filled-memory -o "$dir/lyzr-chat-widget_bg.wasm"
  # A chunk's memory is the main wasm's, not zero-filled.
  for chunk in "$dir"/lyzr-chat-widget_*.wasm; do
    [ "$chunk" = "$dir/lyzr-chat-widget_bg.wasm" ] && continue
    "$wasm_opt" "$chunk" "${passes[@]}" -o "$chunk"
  done
  node scripts/short-names.mjs --strip "$dir"
  minify lyzr-chat-widget.js --module
fi

bash scripts/sri.sh "$dir"
html=$dir/index.html
if [ $release = 1 ] && [ -f "$html" ]; then
  old=$(grep -o 'href="[^"]*lyzr-chat-widget\.js"[^>]*integrity="sha384-[^"]*"' "$html" | grep -o 'sha384-[^"]*' || true)
  if [ -n "$old" ]; then
    new=sha384-$(openssl dgst -sha384 -binary "$dir/lyzr-chat-widget.js" | openssl base64 -A)
    sed -i "s|$old|$new|" "$html"
  fi
fi

if [ $release = 1 ]; then
  # No comments: the source, with its notes, is js/lyzr-chat.js.
  minify lyzr-chat.js --comments false
fi
