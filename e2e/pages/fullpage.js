window.chat = LyzrChat.init({ agentId: "demo-agent", apiKey: "lyzr-chat-demo-key", title: "Full page", mode: "fullpage" });
