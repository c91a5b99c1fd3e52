//! Browser storage and randomness: the visitor id kept in localStorage.

use lyzr_chat_protocol::random_suffix;

const VISITOR_KEY: &str = "lyzr-chat:visitor-id";

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
/// one each page load where storage is blocked (private modes, sandboxes).
pub fn visitor_id() -> String {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
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
