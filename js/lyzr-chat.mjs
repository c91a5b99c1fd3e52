// lyzr-chat as an ES module: `import { LyzrChat } from ".../lyzr-chat.mjs"`.
// It runs the loader beside it (dynamic import: allowed under Trusted Types)
// and re-exports its API; types are in lyzr-chat.d.ts. The widget's files
// are found beside this module (import.meta.url), handed to the loader under
// a symbol key: no element of the page can stand in for it (a global name
// such as `__lyzrChatBase` could be set by `<a id="__lyzrChatBase">`).
const OWN = Symbol.for("lyzr-chat.loader");
if (!globalThis[OWN]) {
  globalThis[Symbol.for("lyzr-chat.base")] = new URL("./", import.meta.url).href;
}
await import("./lyzr-chat.js");

export const LyzrChat = globalThis[OWN];
export const init = (config) => LyzrChat.init(config);
export default LyzrChat;
