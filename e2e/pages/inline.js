window.chat = LyzrChat.init({ agentId: "demo-agent", apiKey: "lyzr-chat-demo-key", title: "Inline", mode: "inline", container: "#slot" });
