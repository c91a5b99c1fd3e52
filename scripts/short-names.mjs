// Short import and export names between the wasm and its wasm-bindgen glue.
//
// wasm-bindgen names every import `__wbg_<method>_<16 hex digits>` (and its
// module "./lyzr-chat-widget_bg.js") and exports closures' shims by their
// mangled Rust names. Each name is written twice (in the wasm's import or
// export section and in the glue) and the hex digits do not compress: about
// 14 KB of the wasm's raw bytes were names. This gives each import and export
// a short name (a, b, ..., aa, ...) in both files; the wasm's other
// sections are copied byte for byte, and in the glue only
// the import object's keys, its module key and the `wasm.<export>` reads
// change. It also drops the custom sections only build tools read. README,
// "Size".
//
// Usage: node scripts/short-names.mjs <dir> (the build's staging folder,
// holding lyzr-chat-widget_bg.wasm and the glue before terser). Run by
// scripts/post-build.sh in release builds; fails loudly when the glue does
// not look as expected, rather than shipping files that do not fit.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const strip = process.argv[2] === "--strip";
const dir = process.argv[strip ? 3 : 2];
if (!dir) throw new Error("usage: node scripts/short-names.mjs [--strip] <dir>");
const wasmPath = `${dir}/lyzr-chat-widget_bg.wasm`;
const gluePath = `${dir}/lyzr-chat-widget.js`;
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");

// --- reading and writing the wasm binary format's few pieces needed here
function readU32(buf, pos) {
  let result = 0, shift = 0, byte;
  do {
    byte = buf[pos++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return [result >>> 0, pos];
}
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}
function readName(buf, pos) {
  const [len, at] = readU32(buf, pos);
  return [buf.toString("utf8", at, at + len), at + len];
}
function name(s) {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([u32(bytes.length), bytes]);
}
// Skips an import's or export's description after its names (kind + type).
function skipImportDesc(buf, pos) {
  const kind = buf[pos++];
  if (kind === 0) return readU32(buf, pos)[1]; // function: type index
  if (kind === 1) { // table: reftype, limits
    pos += 1;
    const flags = buf[pos++];
    pos = readU32(buf, pos)[1];
    return flags & 1 ? readU32(buf, pos)[1] : pos;
  }
  if (kind === 2) { // memory: limits
    const flags = buf[pos++];
    pos = readU32(buf, pos)[1];
    return flags & 1 ? readU32(buf, pos)[1] : pos;
  }
  if (kind === 3) return pos + 2; // global: valtype, mutability
  if (kind === 4) return readU32(buf, pos + 1)[1]; // tag: attribute, type
  throw new Error(`short-names: unknown import kind ${kind}`);
}

// Short identifiers: a..z, A..Z, then two characters; no JS keyword.
const KEYWORDS = new Set(["do", "if", "in"]);
function* shortNames() {
  const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const rest = first + "0123456789_$";
  for (const c of first) yield c;
  for (const c of first) for (const d of rest) if (!KEYWORDS.has(c + d)) yield c + d;
  throw new Error("short-names: out of names");
}

if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`short-names: ${wasmPath} is not wasm`);
function wasmSections(bytes) {
  const sections = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, body] = readU32(bytes, pos + 1);
    sections.push({ id, start: pos, body, end: body + size });
    pos = body + size;
  }
  return sections;
}
const sections = wasmSections(wasm);

const importModule = "./lyzr-chat-widget_bg.js";
// The loaders of the wasm's chunks, in the glue since scripts/split.mjs.
const splitModule = "./__wasm_split.js";
const moduleNames = new Map([[importModule, "a"], [splitModule, "b"]]);
const renames = new Map(); // old import/export name -> new
const names = shortNames();
const out = [wasm.subarray(0, 8)];
let imports = 0, exports = 0;
// --strip, after wasm-opt: the custom sections only build tools read (the
// compiler's `producers`, the `target_features` wasm-opt reads, wasm-split's
// marker).
if (strip) {
  const toolSections = new Set(["producers", "target_features", "__wasm_split_unstable"]);
  const chunks = readdirSync(dir).filter((f) => /^lyzr-chat-widget_\w+\.wasm$/.test(f) && f !== "lyzr-chat-widget_bg.wasm");
  let dropped = 0;
  for (const path of [wasmPath, ...chunks.map((f) => `${dir}/${f}`)]) {
    const bytes = readFileSync(path);
    const all = wasmSections(bytes);
    const kept = all.filter((s) => !(s.id === 0 && toolSections.has(readName(bytes, s.body)[0])));
    dropped += all.length - kept.length;
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), ...kept.map((s) => bytes.subarray(s.start, s.end))]));
  }
  console.log(`short-names: ${dropped} tool sections dropped`);
  process.exit(0);
}

// The classes wasm-streams exports (IntoUnderlyingSource, ...Sink,
// ...ByteSource) serve server_fn's streaming, which the widget never uses:
// the glue has no constructor for them and nothing in the wasm hands one
// out, so their methods can never be called. Their exports go (before
// wasm-opt, which then drops the code behind them), and so do their classes
// in the glue.
const deadExport = /^(__wbg_)?intounderlying(bytesource|sink|source)_/;
for (const cls of ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"]) {
  const classCode = new RegExp(
    `(?:^|\\n)export class ${cls} \\{[\\s\\S]*?\\nif \\(Symbol\\.dispose\\) ${cls}\\.prototype\\[Symbol\\.dispose\\] = ${cls}\\.prototype\\.free;\\n`,
  );
  const registry = new RegExp(
    `\\nconst ${cls}Finalization = [^;]*;\\n`,
  );
  for (const code of [classCode, registry]) {
    if (!code.test(glue)) throw new Error(`short-names: ${cls} is not in the glue as expected`);
    glue = glue.replace(code, "\n");
  }
  if (glue.includes(cls)) throw new Error(`short-names: ${cls} is still used in the glue`);
}

let droppedExports = 0;
for (const s of sections) {
  if (s.id !== 2 && s.id !== 7) {
    out.push(wasm.subarray(s.start, s.end));
    continue;
  }
  let [count, at] = readU32(wasm, s.body);
  const parts = [];
  for (let i = 0; i < count; i++) {
    if (s.id === 2) {
      let module, field;
      [module, at] = readName(wasm, at);
      [field, at] = readName(wasm, at);
      const descStart = at;
      at = skipImportDesc(wasm, at);
      if (!moduleNames.has(module)) throw new Error(`short-names: import from unexpected module ${module}`);
      if (!renames.has(field)) renames.set(field, names.next().value);
      parts.push(name(moduleNames.get(module)), name(renames.get(field)), wasm.subarray(descStart, at));
      imports++;
    } else {
      let field;
      [field, at] = readName(wasm, at);
      const descStart = at;
      at = readU32(wasm, at + 1)[1]; // kind, index
      if (deadExport.test(field)) {
        droppedExports++;
        continue;
      }
      if (renames.has(field)) throw new Error(`short-names: ${field} is both imported and exported`);
      // Exports the glue does not read (markers and globals other tools
      // look for by name) keep their names.
      const read = new RegExp(`\\bwasm\\.${field.replace(/[$]/g, "\\$")}(?![\\w$])`);
      if (read.test(glue)) {
        renames.set(field, names.next().value);
        exports++;
      }
      parts.push(name(renames.get(field) ?? field), wasm.subarray(descStart, at));
    }
  }
  if (at !== s.end) throw new Error(`short-names: section ${s.id} not read to its end`);
  const entries = s.id === 2 ? count : count - droppedExports;
  const body = Buffer.concat([u32(entries), ...parts]);
  out.push(Buffer.from([s.id]), u32(body.length), body);
}

// The glue: the import object's module keys, its keys, the export reads.
for (const [module, short] of moduleNames) {
  const moduleKey = JSON.stringify(module) + ":";
  const count = glue.split(moduleKey).length - 1;
  if (count > 1 || (count === 0 && module === importModule)) {
    throw new Error(`short-names: the glue's import module key ${module} is not there exactly once`);
  }
  glue = glue.replace(moduleKey, `"${short}":`);
}
const escape = (s) => s.replace(/[$]/g, "\\$");
for (const [old, short] of renames) {
  // An import is a key of the import object, `name: function`.
  const key = new RegExp(`(?<![\\w$.])${escape(old)}(?=: function)`, "g");
  // An export is read as `wasm.name`.
  const read = new RegExp(`(?<=\\bwasm\\.)${escape(old)}(?![\\w$])`, "g");
  const keyHits = (glue.match(key) || []).length;
  const readHits = (glue.match(read) || []).length;
  if (keyHits + readHits === 0) throw new Error(`short-names: ${old} is not in the glue`);
  if (keyHits > 1) throw new Error(`short-names: import ${old} is defined ${keyHits} times in the glue`);
  glue = glue.replace(key, short).replace(read, short);
}
// Nothing long may be left behind: every import key was renamed.
const left = glue.match(/(?<![\w$.])__wbg_\w+_[0-9a-f]{16}(?=: function)/);
if (left) throw new Error(`short-names: ${left[0]} left in the glue`);

writeFileSync(wasmPath, Buffer.concat(out));
writeFileSync(gluePath, glue);
if (droppedExports !== 13) throw new Error(`short-names: ${droppedExports} exports of wasm-streams' classes, not 13`);
console.log(`short-names: ${imports} imports and ${exports} exports renamed, ${droppedExports} dead exports dropped`);
