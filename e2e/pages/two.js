// Two independent widgets for two agents on one page.
window.chatA = LyzrChat.init({ agentId: "agent-a", apiKey: "lyzr-chat-demo-key", title: "Agent A", position: "bottom-left", preload: true });
window.chatB = LyzrChat.init({ agentId: "agent-b", apiKey: "lyzr-chat-demo-key", title: "Agent B", position: "top-right", offsetY: 30, preload: true });
