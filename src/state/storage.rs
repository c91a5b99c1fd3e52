//! What the widget keeps in localStorage, per agent: the session id, the
//! composer's draft and the outbox of messages not yet accepted. Storage may
//! be blocked (private modes, sandboxed frames): then nothing persists, and
//! nothing fails.

use lyzr_chat_protocol::random_suffix;

const VISITOR_KEY: &str = "lyzr-chat:visitor-id";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Sixteen random bytes from `crypto.getRandomValues` (falling back to
/// `Math.random` where crypto is unavailable).
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// A stable anonymous id for this browser, kept in localStorage; a fresh
/// one each page load where storage is blocked.
pub fn visitor_id() -> String {
    let storage = local_storage();
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(VISITOR_KEY).ok().flatten())
        .filter(|id| !id.is_empty())
    {
        return id;
    }
    let id = format!("visitor-{}", random_suffix(&random_bytes()));
    if let Some(storage) = storage {
        let _ = storage.set_item(VISITOR_KEY, &id);
    }
    id
}

/// One agent's saved conversation state.
#[derive(Debug, Clone)]
pub struct Store {
    prefix: String,
}

impl Store {
    pub fn for_agent(agent_id: &str) -> Self {
        Self {
            prefix: format!("lyzr-chat:{agent_id}:"),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        local_storage()?
            .get_item(&format!("{}{name}", self.prefix))
            .ok()
            .flatten()
    }

    fn set(&self, name: &str, value: &str) {
        if let Some(storage) = local_storage() {
            let key = format!("{}{name}", self.prefix);
            let _ = if value.is_empty() {
                storage.remove_item(&key)
            } else {
                storage.set_item(&key, value)
            };
        }
    }

    pub fn session(&self) -> Option<String> {
        self.get("session").filter(|s| !s.is_empty())
    }

    pub fn set_session(&self, session_id: &str) {
        self.set("session", session_id);
    }

    pub fn draft(&self) -> String {
        self.get("draft").unwrap_or_default()
    }

    pub fn set_draft(&self, draft: &str) {
        self.set("draft", draft);
    }

    /// Messages sent but not accepted yet (or failed), oldest first.
    pub fn outbox(&self) -> Vec<String> {
        self.get("outbox")
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }

    pub fn set_outbox(&self, texts: &[String]) {
        let json = if texts.is_empty() {
            String::new()
        } else {
            serde_json::to_string(texts).unwrap_or_default()
        };
        self.set("outbox", &json);
    }
}
