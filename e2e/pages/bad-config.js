// Bad configurations: console errors naming the option, never an exception.
window.__results = {};
window.__results.noAgent = LyzrChat.init({ title: "no agent" }).ready;
window.__results.inlineNoContainer = LyzrChat.init({ agentId: "x", mode: "inline" }).ready;
window.chat = LyzrChat.init({ agentId: "demo-agent", apiKey: "lyzr-chat-demo-key", theme: "purple", zIndex: "high", colour: "red", preload: true });
