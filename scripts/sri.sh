#!/usr/bin/env bash
# Pins the widget's files in the loader: writes the sha384 of
# lyzr-chat-widget.js and lyzr-chat-widget_bg.wasm into lyzr-chat.js, which
# then fetches both with `integrity` (and, first, the sha384 of each wasm
# chunk, lyzr-chat-widget_<name>.wasm, into the glue, which fetches it with
# `integrity`); and the table of locale files
# (locales/<lang>.json but English, which is compiled in) with the sha384 of
# each, which is also the list of languages the loader knows. Trunk runs it after every build
# (Trunk.toml, post_build hook: `trunk build` and `trunk serve`), on its
# staging folder; by hand: `bash scripts/sri.sh dist`.
set -euo pipefail
dir=${1:-${TRUNK_STAGING_DIR:?run by trunk, or give the folder holding the built files}}
loader=$dir/lyzr-chat.js

sri() {
  [[ -f $1 ]] || { echo "sri.sh: $1 is missing" >&2; exit 1; }
  printf 'sha384-%s' "$(openssl dgst -sha384 -binary "$1" | base64 -w0)"
}
grep -q '__LYZR_CHAT_SRI_JS__' "$loader" && grep -q '__LYZR_CHAT_SRI_WASM__' "$loader" || {
  echo "sri.sh: $loader has no integrity placeholders (already pinned, or not the loader)" >&2
  exit 1
}
# The wasm's chunks (lyzr-chat-widget_<name>.wasm, scripts/split.mjs) are
# pinned in the glue, which the loader pins: first their hashes, then the
# glue's.
glue=$dir/lyzr-chat-widget.js
chunks=0
for chunk in "$dir"/lyzr-chat-widget_*.wasm; do
  name=$(basename "$chunk" .wasm); name=${name#lyzr-chat-widget_}
  [[ $name = bg ]] && continue
  grep -q "__LYZR_CHAT_SRI_CHUNK_${name}__" "$glue" || { echo "sri.sh: $glue has no placeholder for $chunk" >&2; exit 1; }
  sed -i "s|__LYZR_CHAT_SRI_CHUNK_${name}__|$(sri "$chunk")|" "$glue"
  chunks=$((chunks + 1))
done
if grep -q "__LYZR_CHAT_SRI_CHUNK_" "$glue"; then
  echo "sri.sh: $glue loads a chunk that is not there: $(grep -o '__LYZR_CHAT_SRI_CHUNK_[a-z_0-9]*__' "$glue" | head -n 1)" >&2
  exit 1
fi
js=$(sri "$glue")
wasm=$(sri "$dir/lyzr-chat-widget_bg.wasm")

locales=""
for file in "$dir"/locales/*.json; do
  [[ -f $file ]] || continue
  lang=$(basename "$file" .json)
  [[ $lang = en ]] && continue
  [[ $lang =~ ^[a-z0-9-]+$ ]] || { echo "sri.sh: $file: not a language tag in lowercase" >&2; exit 1; }
  locales+="${locales:+,}\"$lang\":\"$(sri "$file")\""
done
grep -q '/\*__LYZR_CHAT_LOCALES__\*/ {}' "$loader" || {
  echo "sri.sh: $loader has no locale table placeholder" >&2
  exit 1
}
sed -i "s|__LYZR_CHAT_SRI_JS__|$js|; s|__LYZR_CHAT_SRI_WASM__|$wasm|; s|/\*__LYZR_CHAT_LOCALES__\*/ {}|{$locales}|" "$loader"
echo "sri.sh: pinned $chunks wasm chunks in lyzr-chat-widget.js, lyzr-chat-widget.js ($js), lyzr-chat-widget_bg.wasm ($wasm) and $(grep -o 'sha384-' <<<"$locales" | wc -l) locale files"
