//! Where the conversation is kept between pages: localStorage (per agent,
//! survives restarts), sessionStorage (this tab) or nowhere, as the
//! `persistence` option says; the composer's draft beside it; the
//! `storage` event that brings another tab's changes; and the lease that
//! lets one tab only send a queued message.
//!
//! Storage may be blocked or full (private modes, sandboxed frames, the
//! host's own data): chatting goes on, and one console note says why
//! nothing is kept.

use super::conversation::{Conversation, RestoreError};
use lyzr_chat_protocol::random_suffix;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const VISITOR_KEY: &str = "lyzr-chat:visitor-id";

pub use crate::settings::Persistence;

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

/// A stable anonymous id for this browser, kept in localStorage unless
/// `persistence` is none; a fresh one each page load otherwise.
pub fn visitor_id(persistence: Persistence) -> String {
    let storage = local_storage().filter(|_| persistence != Persistence::None);
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

/// One agent's saved conversation and draft.
pub struct Store {
    persistence: Persistence,
    prefix: String,
    /// The JSON last read or written: a value equal to it is not written
    /// again (so two tabs do not echo each other's saves forever).
    last: RefCell<String>,
    warned: Cell<bool>,
}

impl Store {
    pub fn new(agent_id: &str, persistence: Persistence) -> Self {
        Self {
            persistence,
            prefix: format!("lyzr-chat:{agent_id}:"),
            last: RefCell::new(String::new()),
            warned: Cell::new(false),
        }
    }

    fn key(&self) -> String {
        format!("{}conversation", self.prefix)
    }

    fn storage(&self) -> Option<web_sys::Storage> {
        let window = web_sys::window()?;
        let result = match self.persistence {
            Persistence::Local => window.local_storage(),
            Persistence::Session => window.session_storage(),
            Persistence::None => return None,
        };
        match result {
            Ok(Some(storage)) => Some(storage),
            Ok(None) => {
                self.note_unavailable("the browser offers no storage");
                None
            }
            Err(e) => {
                self.note_unavailable(&js_text(&e));
                None
            }
        }
    }

    /// One console note, the first time storage fails.
    fn note_unavailable(&self, why: &str) {
        if !self.warned.replace(true) {
            crate::console::warn(&format!(
                "the conversation is not kept across pages: the browser refused storage ({why}). \
                 Chatting works; a reload starts over."
            ));
        }
    }

    /// The saved conversation, if there is a readable one (for `session`
    /// when given). Anything unreadable is dropped with one warning.
    pub fn load(&self, session: Option<&str>) -> Option<Conversation> {
        let storage = self.storage()?;
        let key = self.key();
        // Keys of the first version (session id and outbox apart) go.
        let legacy_outbox = format!("{}outbox", self.prefix);
        if storage.get_item(&legacy_outbox).ok().flatten().is_some() {
            crate::console::warn("dropped a saved outbox of an older version of the widget");
            let _ = storage.remove_item(&legacy_outbox);
        }
        let json = storage.get_item(&key).ok().flatten()?;
        match Conversation::restore(&json, session) {
            Ok(conversation) => {
                *self.last.borrow_mut() = json;
                Some(conversation)
            }
            Err(RestoreError::OtherSession) => None,
            Err(problem) => {
                let why = match problem {
                    RestoreError::Version(v) => format!("it was saved by another version ({v})"),
                    RestoreError::Unreadable(e) => format!("it is unreadable ({e})"),
                    RestoreError::OtherSession => unreachable!(),
                };
                crate::console::warn(&format!("dropped the saved conversation: {why}"));
                let _ = storage.remove_item(&key);
                None
            }
        }
    }

    /// The session id an older version saved, taken once.
    pub fn take_legacy_session(&self) -> Option<String> {
        let storage = self.storage()?;
        let key = format!("{}session", self.prefix);
        let id = storage
            .get_item(&key)
            .ok()
            .flatten()
            .filter(|s| !s.is_empty());
        let _ = storage.remove_item(&key);
        id
    }

    /// Saves the conversation (capped). A refusal (quota, blocked) is
    /// noted once; chatting goes on.
    pub fn save(&self, conversation: &Conversation) {
        let Some(storage) = self.storage() else {
            return;
        };
        let mut capped;
        let mut conversation = conversation;
        if conversation.messages.len() > super::conversation::MAX_MESSAGES
            || conversation.to_json().len() > super::conversation::MAX_BYTES
        {
            capped = conversation.clone();
            capped.cap();
            conversation = &capped;
        }
        let json = conversation.to_json();
        if *self.last.borrow() == json {
            return;
        }
        match storage.set_item(&self.key(), &json) {
            Ok(()) => *self.last.borrow_mut() = json,
            Err(e) => self.note_unavailable(&js_text(&e)),
        }
    }

    /// Reads what is saved now (another tab may have written it).
    pub fn read_fresh(&self) -> Option<Conversation> {
        let json = self.storage()?.get_item(&self.key()).ok().flatten()?;
        let conversation = Conversation::parse(&json).ok()?;
        *self.last.borrow_mut() = json;
        Some(conversation)
    }

    pub fn draft(&self) -> String {
        self.storage()
            .and_then(|s| s.get_item(&format!("{}draft", self.prefix)).ok().flatten())
            .unwrap_or_default()
    }

    pub fn set_draft(&self, draft: &str) {
        if let Some(storage) = self.storage() {
            let key = format!("{}draft", self.prefix);
            let _ = if draft.is_empty() {
                storage.remove_item(&key)
            } else {
                storage.set_item(&key, draft)
            };
        }
    }

    /// Calls `on` with what another tab saves from now on (localStorage
    /// only: sessionStorage is not shared). Drop the result to stop.
    pub fn watch(self: &Rc<Self>, on: impl Fn(Conversation) + 'static) -> Option<Watch> {
        if self.persistence != Persistence::Local {
            return None;
        }
        let window = web_sys::window()?;
        let store = self.clone();
        let key = self.key();
        let closure =
            Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |ev: web_sys::StorageEvent| {
                if ev.key().as_deref() != Some(key.as_str()) {
                    return;
                }
                let Some(json) = ev.new_value() else { return };
                if *store.last.borrow() == json {
                    return;
                }
                if let Ok(theirs) = Conversation::parse(&json) {
                    *store.last.borrow_mut() = json;
                    on(theirs);
                }
            });
        window
            .add_event_listener_with_callback("storage", closure.as_ref().unchecked_ref())
            .ok()?;
        Some(Watch { closure })
    }

    /// Runs `critical` while holding this agent's outbox lease, so that
    /// one tab only sends a queued message: Web Locks where available,
    /// else a lease record in localStorage. `critical` does not run when
    /// another tab holds the lease (that tab sends).
    pub fn with_outbox_lease(self: &Rc<Self>, critical: impl FnOnce() + 'static) {
        let name = format!("{}outbox-lease", self.prefix);
        if self.persistence != Persistence::Local {
            critical(); // nothing shared with other tabs
            return;
        }
        let critical = Rc::new(RefCell::new(Some(critical)));
        let run = {
            let critical = critical.clone();
            move || {
                if let Some(critical) = critical.take() {
                    critical();
                }
            }
        };
        if let Some(locks) = web_locks() {
            let run = run.clone();
            let callback = Closure::once_into_js(move |lock: JsValue| {
                if !lock.is_null() {
                    run();
                }
            });
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
            let request = js_sys::Reflect::get(&locks, &"request".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            if let Some(request) = request {
                let _ = request.call3(&locks, &name.into(), &options, &callback);
                return;
            }
        }
        storage_lease(name, run);
    }
}

/// Keeps the storage listener alive; dropping it removes the listener.
pub struct Watch {
    closure: Closure<dyn Fn(web_sys::StorageEvent)>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "storage",
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

fn web_locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}

/// The fallback lease: write `{tab}:{expiry}` if no live lease is there,
/// wait a moment, and go ahead only if our record is still the one saved
/// (a tab that wrote at the same time and lost sees the other's record).
fn storage_lease(name: String, critical: impl FnOnce() + 'static) {
    const LEASE_MS: f64 = 10_000.0;
    let Some(storage) = local_storage() else {
        critical();
        return;
    };
    let now = js_sys::Date::now();
    let live = storage
        .get_item(&name)
        .ok()
        .flatten()
        .and_then(|v| v.rsplit_once(':').and_then(|(_, t)| t.parse::<u64>().ok()))
        .is_some_and(|expiry| expiry as f64 > now);
    if live {
        return;
    }
    let mine = format!(
        "{}:{}",
        random_suffix(&random_bytes()),
        (now + LEASE_MS) as u64
    );
    if storage.set_item(&name, &mine).is_err() {
        critical();
        return;
    }
    let check = Closure::once_into_js(move || {
        if storage.get_item(&name).ok().flatten().as_deref() == Some(mine.as_str()) {
            critical();
            let _ = storage.remove_item(&name);
        }
    });
    if let Some(window) = web_sys::window() {
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(check.unchecked_ref(), 60);
    }
}

fn js_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown reason".into())
}
