// The JS API from a host page: listeners and calls before the wasm is ready.
window.__events = [];
window.__domEvents = [];
var chat = LyzrChat.init({ agentId: "demo-agent", apiKey: "lyzr-chat-demo-key", title: "API" });
window.chat = chat;
// Every event but `activity` (one per agent step, checked in activity.rs).
LyzrChat.events.filter(function (name) { return name !== "activity"; }).forEach(function (name) {
  chat.on(name, function (detail) { window.__events.push([name, detail === undefined ? null : detail]); });
  chat.element.addEventListener(name, function (e) { window.__domEvents.push(name); });
});
// Queued: the wasm is not loaded yet (no preload, page still loading).
window.__readyAtSend = chat.ready;
chat.setUser("host-user-42", { name: "Ada" });
chat.setVariables({ system_prompt_variables: { plan: "pro" } });
chat.send("/echo queued before ready");
