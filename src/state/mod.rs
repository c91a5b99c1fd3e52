//! The conversation model: messages, draft, open/closed, and the actions the
//! UI triggers (send, retry, edit, stop, reset). The only layer that reads
//! or writes localStorage.
//!
//! Nothing typed is lost: the composer keeps a message's text until the
//! server accepts it (a 2xx), the outbox in localStorage keeps it across
//! reloads, and a failed send stays in the list with Retry and Edit.

pub mod attachments;
mod storage;

use crate::client::{self, Abort, AbortReason, ClientError, Endpoint, Progress, SendOptions};
use crate::console;
use leptos::prelude::*;
use leptos::task::spawn_local;
use lyzr_chat_protocol::{new_session_id, Artifact, ChatRequest, ReplyParts};
use serde_json::{Map, Value};

pub use storage::{random_bytes, visitor_id, Store};

/// Who a bubble speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Agent,
    /// A failed send: the reason, with Retry and Edit.
    Error,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A user message on its way, not accepted yet.
    Pending,
    /// An agent answer still arriving.
    Streaming,
    Done,
    /// An agent answer cut short by Stop.
    Stopped,
    /// A user message that was not accepted, or an answer that broke off.
    Failed,
}

/// One bubble. Its parts are signals, so a growing answer re-renders only
/// itself.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    pub id: u64,
    pub role: Role,
    pub text: RwSignal<String>,
    /// `<think>` reasoning, shown folded, never mixed into `text`.
    pub thinking: RwSignal<String>,
    pub artifacts: RwSignal<Vec<Artifact>>,
    /// A user message: the files it carries.
    pub files: RwSignal<Vec<attachments::SentFile>>,
    pub status: RwSignal<Status>,
    /// For an error bubble: the id of the user message it is about.
    pub about: Option<u64>,
}

/// Who is talking to which agent, and the optional request fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSettings {
    pub endpoint: Endpoint,
    pub agent_id: String,
    pub user_id: String,
    pub system_prompt_variables: Option<Map<String, Value>>,
    pub filter_variables: Option<Map<String, Value>>,
    pub features: Option<Vec<Map<String, Value>>>,
    pub assets: Option<Vec<String>>,
    pub options: SendOptions,
}

/// Request fields the host page may change while the widget runs; `None`
/// leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variables {
    pub system_prompt_variables: Option<Map<String, Value>>,
    pub filter_variables: Option<Map<String, Value>>,
    pub features: Option<Vec<Map<String, Value>>>,
    pub assets: Option<Vec<String>>,
}

impl ChatSettings {
    pub fn new(endpoint: Endpoint, agent_id: String, user_id: String) -> Self {
        Self {
            endpoint,
            agent_id,
            user_id,
            system_prompt_variables: None,
            filter_variables: None,
            features: None,
            assets: None,
            options: SendOptions::default(),
        }
    }
}

/// What happened in a conversation, for the host page.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// The visitor sent a message (before the server answers).
    MessageSent {
        text: String,
    },
    /// An answer is complete.
    MessageReceived {
        text: String,
    },
    /// A send failed; `message` is what the visitor was shown.
    Error {
        message: String,
        detail: String,
    },
    /// The panel opened or closed.
    Opened,
    Closed,
}

type Listener = std::rc::Rc<dyn Fn(ChatEvent)>;

struct Inner {
    listener: Option<Listener>,
    settings: ChatSettings,
    session_id: String,
    store: Store,
    welcome: Option<String>,
    next_id: u64,
    inflight: Option<(Abort, u64)>,
    owner: Owner,
}

/// The state of one widget instance. `Copy`: pass it around freely.
#[derive(Clone, Copy)]
pub struct ChatState {
    pub messages: RwSignal<Vec<Message>>,
    /// The composer's text (saved as a draft on every change).
    pub draft: RwSignal<String>,
    pub open: RwSignal<bool>,
    /// A send is running: Stop is offered, Send is not.
    pub busy: RwSignal<bool>,
    /// What the browser says about the network.
    pub online: RwSignal<bool>,
    /// A passing note, e.g. while waiting to retry.
    pub notice: RwSignal<Option<String>>,
    /// The files attached to the next message.
    pub attachments: attachments::Attachments,
    inner: StoredValue<Inner, LocalStorage>,
}

impl ChatState {
    /// A conversation for `settings`. The session is the host's `session_id`,
    /// else the one saved for this agent, else a new `{agent_id}-{random}`.
    /// The saved draft and unsent messages come back.
    pub fn new(
        settings: ChatSettings,
        session_id: Option<String>,
        welcome: Option<String>,
        open: bool,
        attachments: attachments::Attachments,
    ) -> Self {
        let store = Store::for_agent(&settings.agent_id);
        let session_id = session_id
            .or_else(|| store.session())
            .unwrap_or_else(|| new_session_id(&settings.agent_id, &random_bytes()));
        store.set_session(&session_id);
        let owner = Owner::current().unwrap_or_default();
        let state = Self {
            messages: RwSignal::new(Vec::new()),
            draft: RwSignal::new(store.draft()),
            open: RwSignal::new(open),
            busy: RwSignal::new(false),
            online: RwSignal::new(web_sys::window().is_none_or(|w| w.navigator().on_line())),
            notice: RwSignal::new(None),
            attachments,
            inner: StoredValue::new_local(Inner {
                listener: None,
                settings,
                session_id,
                store,
                welcome: welcome.filter(|t| !t.trim().is_empty()),
                next_id: 1,
                inflight: None,
                owner,
            }),
        };
        state.start_conversation();
        for text in state.inner.with_value(|i| i.store.outbox()) {
            let id = state.push(Role::User, &text, Status::Failed, None);
            state.push(
                Role::Error,
                "This message had not been answered when the page was closed. Press Retry to send it.",
                Status::Done,
                Some(id),
            );
        }
        state
    }

    fn start_conversation(&self) {
        if let Some(welcome) = self.inner.with_value(|i| i.welcome.clone()) {
            self.push(Role::Agent, &welcome, Status::Done, None);
        }
    }

    /// The session id this conversation sends.
    pub fn session_id(&self) -> String {
        self.inner.with_value(|i| i.session_id.clone())
    }

    /// Sets the composer's text (and saves it as the draft).
    pub fn set_draft(&self, text: String) {
        self.inner.with_value(|i| i.store.set_draft(&text));
        self.draft.set(text);
    }

    /// Sends `text` as the visitor's next message. Ignored while another
    /// send runs (so a double click or a held Enter sends once) or when the
    /// text is blank.
    pub fn send(&self, text: String) {
        if text.trim().is_empty()
            || self.busy.get_untracked()
            || self.attachments.uploading.get_untracked()
        {
            return;
        }
        // Sending the text of a failed attempt again replaces that attempt.
        self.remove_failed(|m| m.text.with_untracked(|t| *t == text));
        self.outbox_update(|outbox| outbox.push(text.clone()));
        let user_id = self.push(Role::User, &text, Status::Pending, None);
        let abort = Abort::new();
        self.inner
            .update_value(|i| i.inflight = Some((abort.clone(), user_id)));
        self.busy.set(true);
        self.emit(ChatEvent::MessageSent { text: text.clone() });
        if self.attachments.is_empty() {
            self.start(text, user_id, abort, Vec::new());
            return;
        }
        // Files first: the message never goes without them.
        let names: Vec<attachments::SentFile> = self.attachments.list.with_untracked(|list| {
            list.iter()
                .map(|a| attachments::SentFile {
                    name: a.name.clone(),
                    size: a.size,
                    mime: a.mime.clone(),
                    asset_id: String::new(),
                })
                .collect()
        });
        if let Some(user) = self.find(user_id) {
            user.files.set(names);
        }
        let state = *self;
        let (endpoint, timeout_ms) = self
            .inner
            .with_value(|i| (i.settings.endpoint.clone(), i.settings.options.timeout_ms));
        spawn_local(async move {
            let uploaded = state
                .attachments
                .upload(&endpoint, &abort, timeout_ms)
                .await;
            let current = state
                .inner
                .try_with_value(|i| i.inflight.as_ref().map(|(_, id)| *id))
                .flatten();
            if abort.reason() == Some(AbortReason::Discarded) || current != Some(user_id) {
                return;
            }
            match uploaded {
                Ok(files) => {
                    if let Some(user) = state.find(user_id) {
                        user.files.set(files.clone());
                    }
                    let ids = files.into_iter().map(|f| f.asset_id).collect();
                    state.start(text, user_id, abort, ids);
                }
                Err(error) => {
                    state.inner.update_value(|i| i.inflight = None);
                    state.busy.set(false);
                    if let Some(user) = state.find(user_id) {
                        user.status.set(Status::Failed);
                    }
                    let message = match &error {
                        attachments::FileError::Request(e) => {
                            console::error(&format!("uploading files failed: {e}"));
                            format!(
                                "Your files could not be uploaded, so the message was not sent. Press Retry to try again. ({})",
                                match e {
                                    ClientError::Api(api) => api.to_string(),
                                    other => other.visitor_message(),
                                }
                            )
                        }
                        attachments::FileError::Refused(reason) => {
                            console::error(&format!("a file was refused by the upload: {reason}"));
                            "Some files could not be uploaded (see above), so the message was not sent. Remove them or press Retry.".to_string()
                        }
                    };
                    state.push(Role::Error, &message, Status::Done, Some(user_id));
                }
            }
        });
    }

    /// Sends the request of message `user_id`, with `files` (asset ids)
    /// after any `assets` of the config.
    fn start(&self, text: String, user_id: u64, abort: Abort, files: Vec<String>) {
        let (endpoint, request, options) = self.inner.with_value(|i| {
            let s = &i.settings;
            let mut assets = s.assets.clone().unwrap_or_default();
            assets.extend(files);
            let request = ChatRequest {
                system_prompt_variables: s.system_prompt_variables.clone(),
                filter_variables: s.filter_variables.clone(),
                features: s.features.clone(),
                assets: (!assets.is_empty()).then_some(assets),
                ..ChatRequest::new(&s.user_id, &s.agent_id, &i.session_id, &text)
            };
            (s.endpoint.clone(), request, s.options)
        });
        let state = *self;
        spawn_local(async move {
            let mut run = Run {
                state,
                text: &text,
                user_id,
                answer: None,
                parts: ReplyParts::new(),
                accepted: false,
            };
            let result = client::send_message(&endpoint, &request, options, &abort, &mut |p| {
                run.progress(p)
            })
            .await;
            run.finish(result, &abort);
        });
    }

    /// Receives every [`ChatEvent`] from now on.
    pub fn set_listener(&self, listener: impl Fn(ChatEvent) + 'static) {
        self.inner
            .update_value(|i| i.listener = Some(std::rc::Rc::new(listener)));
    }

    fn emit(&self, event: ChatEvent) {
        if let Some(listener) = self.inner.with_value(|i| i.listener.clone()) {
            listener(event);
        }
    }

    /// Opens or closes the panel (every change is an event).
    pub fn set_open(&self, open: bool) {
        if self.open.get_untracked() != open {
            self.open.set(open);
            self.emit(if open {
                ChatEvent::Opened
            } else {
                ChatEvent::Closed
            });
        }
    }

    /// Sends the next messages as `user_id`.
    pub fn set_user(&self, user_id: String) {
        self.inner.update_value(|i| i.settings.user_id = user_id);
    }

    /// Changes request fields for the next messages.
    pub fn set_variables(&self, variables: Variables) {
        self.inner.update_value(|i| {
            let s = &mut i.settings;
            if variables.system_prompt_variables.is_some() {
                s.system_prompt_variables = variables.system_prompt_variables;
            }
            if variables.filter_variables.is_some() {
                s.filter_variables = variables.filter_variables;
            }
            if variables.features.is_some() {
                s.features = variables.features;
            }
            if variables.assets.is_some() {
                s.assets = variables.assets;
            }
        });
    }

    /// Sends the message an error bubble is about again.
    pub fn retry(&self, error_id: u64) {
        if let Some(text) = self.error_text(error_id) {
            self.dismiss(error_id);
            self.send(text);
        }
    }

    /// Takes the message an error bubble is about back into the composer.
    pub fn edit(&self, error_id: u64) {
        if let Some(text) = self.error_text(error_id) {
            self.dismiss(error_id);
            self.set_draft(text);
        }
    }

    /// Stops the running send: the fetch is aborted and the service told to
    /// stop; what arrived stays, marked as stopped.
    pub fn stop(&self) {
        let Some((abort, _)) = self.inner.with_value(|i| i.inflight.clone()) else {
            return;
        };
        abort.abort(AbortReason::Stopped);
        let (endpoint, session_id) = self
            .inner
            .with_value(|i| (i.settings.endpoint.clone(), i.session_id.clone()));
        spawn_local(async move { client::stop_session(&endpoint, &session_id).await });
    }

    /// Starts a new conversation: in-flight work is dropped, the list
    /// cleared, and a new session id made and saved.
    pub fn reset(&self) {
        self.discard_inflight();
        let session_id = self
            .inner
            .with_value(|i| new_session_id(&i.settings.agent_id, &random_bytes()));
        self.inner.update_value(|i| {
            i.store.set_session(&session_id);
            i.store.set_outbox(&[]);
            i.session_id = session_id;
        });
        self.messages.set(Vec::new());
        self.notice.set(None);
        self.start_conversation();
    }

    /// Aborts in-flight work without a trace (the widget is going away).
    pub fn discard_inflight(&self) {
        if let Some((abort, _)) = self.inner.try_update_value(|i| i.inflight.take()).flatten() {
            abort.abort(AbortReason::Discarded);
        }
        self.busy.set(false);
    }

    fn error_text(&self, error_id: u64) -> Option<String> {
        let about = self.find(error_id)?.about?;
        Some(self.find(about)?.text.get_untracked())
    }

    /// Removes an error bubble, and its user message if that was never sent.
    fn dismiss(&self, error_id: u64) {
        let about = self.find(error_id).and_then(|m| m.about);
        if let Some(user) = about.and_then(|id| self.find(id)) {
            if user.status.get_untracked() == Status::Failed {
                self.outbox_remove(&user.text.get_untracked());
                self.messages
                    .update(|list| list.retain(|m| m.id != user.id));
            }
        }
        self.messages
            .update(|list| list.retain(|m| m.id != error_id));
    }

    /// Removes failed user messages matching `pick`, with their error bubbles.
    fn remove_failed(&self, pick: impl Fn(&Message) -> bool) {
        let failed: Vec<u64> = self.messages.with_untracked(|list| {
            list.iter()
                .filter(|m| {
                    m.role == Role::User && m.status.get_untracked() == Status::Failed && pick(m)
                })
                .map(|m| m.id)
                .collect()
        });
        for id in failed {
            let error = self
                .messages
                .with_untracked(|list| list.iter().find(|m| m.about == Some(id)).map(|m| m.id));
            match error {
                Some(error_id) => self.dismiss(error_id),
                None => self.messages.update(|list| list.retain(|m| m.id != id)),
            }
        }
    }

    fn find(&self, id: u64) -> Option<Message> {
        self.messages
            .with_untracked(|list| list.iter().find(|m| m.id == id).copied())
    }

    fn outbox_update(&self, change: impl FnOnce(&mut Vec<String>)) {
        self.inner.with_value(|i| {
            let mut outbox = i.store.outbox();
            change(&mut outbox);
            i.store.set_outbox(&outbox);
        });
    }

    /// Takes one copy of `text` out of the outbox (it was accepted or dropped).
    fn outbox_remove(&self, text: &str) {
        self.outbox_update(|o| {
            if let Some(at) = o.iter().position(|t| t == text) {
                o.remove(at);
            }
        });
    }

    fn push(&self, role: Role, text: &str, status: Status, about: Option<u64>) -> u64 {
        let id = self.inner.with_value(|i| i.next_id);
        self.inner.update_value(|i| i.next_id += 1);
        let owner = self.inner.with_value(|i| i.owner.clone());
        let message = owner.with(|| Message {
            id,
            role,
            text: RwSignal::new(text.to_string()),
            thinking: RwSignal::new(String::new()),
            artifacts: RwSignal::new(Vec::new()),
            files: RwSignal::new(Vec::new()),
            status: RwSignal::new(status),
            about,
        });
        self.messages.update(|list| list.push(message));
        id
    }
}

/// One send in progress: turns the client's progress into bubbles.
struct Run<'a> {
    state: ChatState,
    text: &'a str,
    user_id: u64,
    answer: Option<Message>,
    parts: ReplyParts,
    accepted: bool,
}

impl Run<'_> {
    fn progress(&mut self, progress: Progress) {
        match progress {
            Progress::Accepted => self.accept(),
            Progress::Text(delta) => {
                let parts = self.parts.push(&delta);
                self.add(parts);
            }
            Progress::Retrying { in_ms, error } => {
                console::warn(&format!("{error}; retrying in {in_ms} ms"));
                let seconds = ((in_ms + 500) / 1000).max(1);
                self.state.notice.set(Some(format!(
                    "{} Trying again in {seconds} s…",
                    error.visitor_message()
                )));
            }
        }
    }

    fn accept(&mut self) {
        self.accepted = true;
        self.state.notice.set(None);
        let state = self.state;
        if let Some(user) = state.find(self.user_id) {
            user.status.set(Status::Done);
        }
        state.outbox_remove(self.text);
        // The files, like the text, were kept until the message was accepted.
        if state
            .find(self.user_id)
            .is_some_and(|m| m.files.with_untracked(|f| !f.is_empty()))
        {
            state.attachments.clear();
        }
        // The composer kept the text until now; clear it unless the visitor
        // has changed it meanwhile.
        if state.draft.get_untracked() == self.text {
            state.set_draft(String::new());
        }
    }

    fn add(&mut self, parts: lyzr_chat_protocol::PartsDelta) {
        if parts.answer.is_empty() && parts.thinking.is_empty() && parts.artifacts.is_empty() {
            return;
        }
        let answer = self.answer_bubble();
        if !parts.answer.is_empty() {
            answer.text.update(|t| t.push_str(&parts.answer));
        }
        if !parts.thinking.is_empty() {
            answer.thinking.update(|t| t.push_str(&parts.thinking));
        }
        if !parts.artifacts.is_empty() {
            answer.artifacts.update(|a| a.extend(parts.artifacts));
        }
    }

    fn answer_bubble(&mut self) -> Message {
        if let Some(answer) = self.answer {
            return answer;
        }
        let id = self.state.push(Role::Agent, "", Status::Streaming, None);
        let answer = self.state.find(id).expect("just pushed");
        self.answer = Some(answer);
        answer
    }

    fn finish(mut self, result: Result<Vec<Artifact>, ClientError>, abort: &Abort) {
        let state = self.state;
        let current = state
            .inner
            .with_value(|i| i.inflight.as_ref().map(|(_, id)| *id));
        if abort.reason() == Some(AbortReason::Discarded) || current != Some(self.user_id) {
            return; // reset or destroyed meanwhile: nothing to show
        }
        let rest = self.parts.finish();
        self.add(rest);
        state.inner.update_value(|i| i.inflight = None);
        state.busy.set(false);
        state.notice.set(None);
        match result {
            Ok(artifacts) => {
                let answer = self.answer_bubble();
                if !artifacts.is_empty() {
                    answer.artifacts.update(|a| a.extend(artifacts));
                }
                answer.status.set(Status::Done);
                state.emit(ChatEvent::MessageReceived {
                    text: answer.text.get_untracked(),
                });
            }
            Err(ClientError::Aborted(AbortReason::Stopped)) if self.accepted => {
                self.answer_bubble().status.set(Status::Stopped);
            }
            Err(error) => {
                if !matches!(error, ClientError::Aborted(_)) {
                    console::error(&format!("sending a message failed: {error}"));
                }
                let message = match &error {
                    ClientError::Aborted(_) => {
                        "Stopped before the assistant answered. Press Retry to send it again."
                            .to_string()
                    }
                    other => other.visitor_message(),
                };
                match self.answer {
                    // The message was accepted and the answer broke off:
                    // what arrived stays.
                    Some(answer) => answer.status.set(Status::Failed),
                    None if !self.accepted => {
                        if let Some(user) = state.find(self.user_id) {
                            user.status.set(Status::Failed);
                        }
                    }
                    None => {}
                }
                state.push(Role::Error, &message, Status::Done, Some(self.user_id));
                if !matches!(error, ClientError::Aborted(_)) {
                    state.emit(ChatEvent::Error {
                        message,
                        detail: error.to_string(),
                    });
                }
            }
        }
    }
}
