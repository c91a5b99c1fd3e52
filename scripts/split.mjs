// The widget's wasm chunks (README, "Size"): wasm-split (scripts/post-build.sh)
// has cut the functions marked `#[wasm_split(name)]` (src/markdown/lazy.rs)
// and all that only they reach out of the main wasm into `split_<name>.wasm`,
// and written `__wasm_split.js`, which the main wasm imports its chunk
// loaders from. This script replaces that file with code of our own inside
// the wasm-bindgen glue, so that
//   - each chunk is fetched with `integrity` (its sha384, written in by
//     scripts/sri.sh in place of `__LYZR_CHAT_SRI_CHUNK_<name>__`): the
//     glue is pinned by the loader, so the loader's hash pins the chunks
//     too; no file is fetched unchecked;
//   - no third JS file is fetched (a module a pinned module imports would
//     be fetched without a hash check);
//   - the chunks are named after the widget (lyzr-chat-widget_<name>.wasm).
// The main wasm's import module "./__wasm_split.js" stays; short-names.mjs
// renames it with the rest.
//
// Usage: node scripts/split.mjs <wasm-split's output folder> <staging folder
// holding the glue wasm-bindgen made of wasm-split's main wasm>. Fails loudly
// when wasm-split's output does not look as expected.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const [splitDir, dir] = process.argv.slice(2);
if (!splitDir || !dir) throw new Error("usage: node scripts/split.mjs <split dir> <staging dir>");
const gluePath = `${dir}/lyzr-chat-widget.js`;
let glue = readFileSync(gluePath, "utf8");
const link = readFileSync(`${splitDir}/__wasm_split.js`, "utf8");

// What the chunks import from the main wasm (its memory, table, stack pointer).
const shared = link.match(/const \{ ([\w$, ]*) \} = initSync\(undefined, undefined\);/);
if (!shared) throw new Error("split: the shared imports are not in __wasm_split.js as expected");
const sharedNames = shared[1].split(",").map((s) => s.trim()).filter(Boolean);
if (!sharedNames.includes("memory") || !sharedNames.includes("__indirect_function_table")) {
  throw new Error(`split: unexpected shared imports ${sharedNames}`);
}
// A chunk shared by two split points would be a dependency (`[__chunk_0]`):
// not handled here, so it fails.
if (/\b__chunk_\d+\b/.test(link)) throw new Error("split: chunks with dependencies are not handled");
const loader = /export const (__wasm_split_load_(\w+)) = wrapAsyncCb\(makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/(split_\w+\.wasm)", import\.meta\.url\)\);[\s\S]*?\n, \[\]\)\);/g;
const chunks = [...link.matchAll(loader)].map(([, fn, name, file]) => ({ fn, name, file }));
const rest = link.replace(loader, "").replace(/^[\s\S]*?\nfunction makeLoad[\s\S]*?\n}\n/, "");
if (!chunks.length || rest.trim()) throw new Error(`split: __wasm_split.js holds more than the chunk loaders:\n${rest}`);

// The glue imports the loaders from __wasm_split.js: they become its own.
const importLine = glue.match(/^import \* as (\w+) from "\.\/__wasm_split\.js";?\n/m);
if (!importLine) throw new Error("split: the glue does not import __wasm_split.js");
glue = glue.replace(importLine[0], "");
const key = `"./__wasm_split.js": ${importLine[1]},`;
if (glue.split(key).length !== 2) throw new Error("split: the glue's import object has no __wasm_split.js entry");
const entries = chunks.map(({ fn, name }) =>
  `${fn}: function (callback, data) { splitLoad("lyzr-chat-widget_${name}.wasm", "__LYZR_CHAT_SRI_CHUNK_${name}__", callback, data); },`);
glue = glue.replace(key, `"./__wasm_split.js": {\n            __proto__: null,\n            ${entries.join("\n            ")}\n        },`);

const imports = sharedNames.map((n) => `${n}: wasm.${n}`).join(", ");
glue += `
// Chunks of the wasm (scripts/split.mjs): the main wasm calls a chunk's
// loader with a callback (an index in its function table) and its data;
// the chunk is fetched with its hash checked, instantiated on the main
// wasm's memory and table, and the callback told whether that worked. A
// failed load is forgotten, so the next call tries again.
const splitLoads = {};
function splitLoad(file, integrity, callback, data) {
    let load = splitLoads[file];
    if (!load) {
        load = splitLoads[file] = fetch(new URL(file, import.meta.url), { integrity }).then((response) => {
            if (!response.ok) throw new Error(\`HTTP \${response.status}\`);
            return WebAssembly.instantiateStreaming(response, { __wasm_split: { ${imports} } });
        });
        load.catch(() => { delete splitLoads[file]; });
    }
    load.then(() => true, (e) => {
        console.error(\`lyzr-chat: could not load \${file}: \${e}\`);
        return false;
    }).then((ok) => wasm.__indirect_function_table.get(callback)(data, ok));
}
`;
writeFileSync(gluePath, glue);
for (const { name, file } of chunks) copyFileSync(`${splitDir}/${file}`, `${dir}/lyzr-chat-widget_${name}.wasm`);
console.log(`split: ${chunks.map((c) => `lyzr-chat-widget_${c.name}.wasm`).join(", ")}`);
