//! The conversation model: messages, draft, open/closed, and the send/retry
//! actions the UI triggers. The only layer that reads or writes localStorage.

mod storage;

use crate::client::{self, Endpoint};
use crate::console;
use leptos::prelude::*;
use leptos::task::spawn_local;
use lyzr_chat_protocol::{new_session_id, ChatRequest};
use serde_json::{Map, Value};

pub use storage::{random_bytes, visitor_id};

/// Who a bubble speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Agent,
    /// A failed send: the reason, with Retry and Edit.
    Error,
}

/// Where a user message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Sending,
    Sent,
    Failed,
}

/// One bubble in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: u64,
    pub role: Role,
    pub text: String,
    pub status: Status,
    /// For an error bubble: the user message it failed to send.
    pub failed: Option<u64>,
}

/// Who is talking to which agent, and the optional request fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSettings {
    pub endpoint: Endpoint,
    pub agent_id: String,
    pub user_id: String,
    pub session_id: String,
    pub system_prompt_variables: Option<Map<String, Value>>,
    pub filter_variables: Option<Map<String, Value>>,
    pub features: Option<Vec<Map<String, Value>>>,
}

impl ChatSettings {
    /// Settings for a new conversation; `session_id` is made as
    /// `{agent_id}-{random}` unless the host gives one.
    pub fn new(
        endpoint: Endpoint,
        agent_id: String,
        user_id: String,
        session_id: Option<String>,
    ) -> Self {
        let session_id = session_id.unwrap_or_else(|| new_session_id(&agent_id, &random_bytes()));
        Self {
            endpoint,
            agent_id,
            user_id,
            session_id,
            system_prompt_variables: None,
            filter_variables: None,
            features: None,
        }
    }

    fn request(&self, message: &str) -> ChatRequest {
        ChatRequest {
            system_prompt_variables: self.system_prompt_variables.clone(),
            filter_variables: self.filter_variables.clone(),
            features: self.features.clone(),
            ..ChatRequest::new(&self.user_id, &self.agent_id, &self.session_id, message)
        }
    }
}

/// The state of one widget instance. `Copy`: pass it around freely.
#[derive(Clone, Copy)]
pub struct ChatState {
    pub messages: RwSignal<Vec<Message>>,
    /// The composer's text.
    pub draft: RwSignal<String>,
    pub open: RwSignal<bool>,
    settings: StoredValue<ChatSettings>,
    next_id: StoredValue<u64>,
}

impl ChatState {
    /// A conversation, opening with the welcome message when there is one.
    pub fn new(settings: ChatSettings, welcome: Option<String>, open: bool) -> Self {
        let state = Self {
            messages: RwSignal::new(Vec::new()),
            draft: RwSignal::new(String::new()),
            open: RwSignal::new(open),
            settings: StoredValue::new(settings),
            next_id: StoredValue::new(1),
        };
        if let Some(text) = welcome.filter(|t| !t.trim().is_empty()) {
            state.push(Role::Agent, text, Status::Sent, None);
        }
        state
    }

    /// The session id this conversation sends.
    pub fn session_id(&self) -> String {
        self.settings.with_value(|s| s.session_id.clone())
    }

    /// True while a message is on its way (reactive).
    pub fn pending(&self) -> bool {
        self.messages
            .with(|list| list.iter().any(|m| m.status == Status::Sending))
    }

    /// Sends `text` as the visitor's next message. Ignored while another
    /// message is pending (so a double click or a held Enter sends once) or
    /// when the text is blank. A failed earlier attempt is replaced.
    pub fn send(&self, text: String) {
        if text.trim().is_empty() || self.pending_untracked() {
            return;
        }
        self.drop_failed_attempts();
        if self.draft.get_untracked() == text {
            self.draft.set(String::new());
        }
        let id = self.push(Role::User, text.clone(), Status::Sending, None);
        let request = self.settings.with_value(|s| s.request(&text));
        let endpoint = self.settings.with_value(|s| s.endpoint.clone());
        let state = *self;
        spawn_local(async move {
            let result = client::send_chat(&endpoint, &request).await;
            match result {
                Ok(answer) => {
                    state.set_status(id, Status::Sent);
                    state.push(Role::Agent, answer, Status::Sent, None);
                }
                Err(err) => {
                    console::error(&format!("sending a message failed: {err}"));
                    state.set_status(id, Status::Failed);
                    state.push(Role::Error, err.visitor_message(), Status::Sent, Some(id));
                    // Nothing typed is lost: the text goes back to the composer
                    // unless the visitor has started typing something else.
                    if state.draft.get_untracked().is_empty() {
                        state.draft.set(text);
                    }
                }
            }
        });
    }

    /// Sends a failed message again.
    pub fn retry(&self, failed_id: u64) {
        if let Some(text) = self.failed_text(failed_id) {
            self.send(text);
        }
    }

    /// Takes a failed message back into the composer for editing.
    pub fn edit(&self, failed_id: u64) {
        if let Some(text) = self.failed_text(failed_id) {
            self.drop_failed_attempts();
            self.draft.set(text);
        }
    }

    fn failed_text(&self, id: u64) -> Option<String> {
        self.messages.with_untracked(|list| {
            list.iter()
                .find(|m| m.id == id && m.status == Status::Failed)
                .map(|m| m.text.clone())
        })
    }

    fn pending_untracked(&self) -> bool {
        self.messages
            .with_untracked(|list| list.iter().any(|m| m.status == Status::Sending))
    }

    fn drop_failed_attempts(&self) {
        self.messages
            .update(|list| list.retain(|m| m.status != Status::Failed && m.role != Role::Error));
    }

    fn push(&self, role: Role, text: String, status: Status, failed: Option<u64>) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.messages.update(|list| {
            list.push(Message {
                id,
                role,
                text,
                status,
                failed,
            })
        });
        id
    }

    fn set_status(&self, id: u64, status: Status) {
        self.messages.update(|list| {
            if let Some(m) = list.iter_mut().find(|m| m.id == id) {
                m.status = status;
            }
        });
    }
}
