// lyzr-chat as an ES module: `import { LyzrChat } from ".../lyzr-chat.mjs"`.
// It runs the loader beside it (dynamic import: allowed under Trusted Types)
// and re-exports its API; types are in lyzr-chat.d.ts.
globalThis.__lyzrChatBase ??= new URL("./", import.meta.url).href;
await import("./lyzr-chat.js");

export const LyzrChat = globalThis.LyzrChat;
export const init = (config) => LyzrChat.init(config);
export default LyzrChat;
