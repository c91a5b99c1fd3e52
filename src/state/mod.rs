//! The conversation's state: a pure [`Conversation`] model
//! ([`conversation`]), the actions on it ([`chat`]), where it is kept
//! ([`storage`]), and [`ChatState`], which makes it reactive for the UI.
//! The only layer that reads or writes storage.
//!
//! One place writes storage: an effect over the model's revision, as in
//! Leptos' todomvc (throttled while an answer streams, flushed when the
//! page is hidden or left).

pub mod attachments;
pub mod chat;
pub mod conversation;
mod saved;
mod storage;
mod transport;

pub use crate::settings::Settings;
pub use chat::{ChatEvent, Notice};
pub use conversation::{Conversation, FileRef, Message, Problem, Role, Status};
pub use storage::{random_bytes, visitor_id, Persistence};

use chat::{Change, Chat, Env};
use leptos::prelude::*;
use std::rc::Rc;
use storage::Store;
use transport::{BrowserEnv, HttpTransport};

/// How often a growing answer is saved at most.
const SAVE_THROTTLE_MS: i32 = 300;

struct Inner {
    chat: Rc<Chat>,
    store: Rc<Store>,
    /// One trigger per message: a growing answer re-renders only itself.
    triggers: Triggers,
    listener: Option<Rc<dyn Fn(ChatEvent)>>,
    save_timer: Option<i32>,
    /// Answers grown by streamed text since the last frame, shown at the
    /// next one (a backlog of chunks read in one task renders once).
    grown: Vec<u64>,
    /// The animation frame that shows them is requested.
    frame: bool,
    /// The session was made by this page: the server has nothing of it.
    fresh: bool,
    _watch: Option<storage::Watch>,
    _page_listeners: Vec<WindowListenerHandle>,
}

/// One trigger per message id. A plain list (a few hundred messages at
/// most): a hash map here cost its own hashing and table code in the wasm.
#[derive(Default)]
struct Triggers(Vec<(u64, ArcTrigger)>);

impl Triggers {
    fn get(&self, id: u64) -> Option<&ArcTrigger> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, t)| t)
    }

    fn get_or_add(&mut self, id: u64) -> ArcTrigger {
        if let Some(t) = self.get(id) {
            return t.clone();
        }
        let t = ArcTrigger::new();
        self.0.push((id, t.clone()));
        t
    }

    fn remove(&mut self, id: u64) {
        self.0.retain(|(i, _)| *i != id);
    }
}

/// The state of one widget instance. `Copy`: pass it around freely.
#[derive(Clone, Copy)]
pub struct ChatState {
    /// The messages' ids, in order.
    pub list: RwSignal<Vec<u64>>,
    /// The composer's text (saved as a draft on every change).
    pub draft: RwSignal<String>,
    pub open: RwSignal<bool>,
    /// A send is running: Stop is offered, Send is not.
    pub busy: RwSignal<bool>,
    /// What the browser says about the network.
    pub online: RwSignal<bool>,
    /// A passing note, e.g. while waiting to retry.
    pub notice: RwSignal<Option<Notice>>,
    /// Answers that arrived while the panel was closed.
    pub unread: RwSignal<u32>,
    /// Notified when the settings change live (what the view shows of
    /// them follows it).
    settings_changed: Trigger,
    /// The id of the newest answer completed on this page, 0 before one
    /// (what a screen reader is told about, once, in full).
    pub answered: RwSignal<u64>,
    /// Bumped on every change of the model; the save effect follows it.
    revision: RwSignal<u64>,
    /// The files attached to the next message.
    pub attachments: attachments::Attachments,
    inner: StoredValue<Inner, LocalStorage>,
}

impl ChatState {
    /// A conversation for `settings` (its `userId`, when not given, is
    /// this browser's visitor id). The session is the host's `sessionId`,
    /// else the one saved for this agent, else a new one. The saved
    /// transcript is restored before anything paints; when there is none,
    /// the server's history is asked for.
    pub fn new(mut settings: Settings, attachments: attachments::Attachments) -> Self {
        if settings.user_id.is_empty() {
            settings.user_id = visitor_id(settings.persistence);
        }
        let env = Rc::new(BrowserEnv);
        let store = Rc::new(Store::new(&settings.agent_id, settings.persistence));
        let session_id = settings.session_id.clone();
        let saved = store.load(session_id.as_deref());
        let legacy = store.take_legacy_session();
        // A session made here and now has no history on the server to ask for.
        let fresh = saved.is_none() && session_id.is_none() && legacy.is_none();
        let conversation = saved.unwrap_or_else(|| {
            let session = session_id
                .or(legacy)
                .unwrap_or_else(|| env.new_session(&settings.agent_id));
            Conversation::new(session)
        });
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        let (open, endpoint) = (settings.open, settings.endpoint.clone());
        let chat = Chat::new(
            conversation,
            settings,
            Rc::new(HttpTransport { endpoint }),
            env,
        );
        chat.set_online(online);
        let ids = chat.with(|c| c.messages.iter().map(|m| m.id).collect());
        let unread = chat.with(|c| c.unread);
        let state = Self {
            list: RwSignal::new(ids),
            draft: RwSignal::new(store.draft()),
            open: RwSignal::new(false),
            busy: RwSignal::new(false),
            online: RwSignal::new(online),
            notice: RwSignal::new(None),
            unread: RwSignal::new(unread),
            answered: RwSignal::new(0),
            settings_changed: Trigger::new(),
            revision: RwSignal::new(0),
            attachments,
            inner: StoredValue::new_local(Inner {
                chat: chat.clone(),
                store: store.clone(),
                triggers: Triggers::default(),
                listener: None,
                save_timer: None,
                grown: Vec::new(),
                frame: false,
                fresh,
                _watch: None,
                _page_listeners: Vec::new(),
            }),
        };
        chat.on_change(move |change| state.apply(change));
        state.set_open(open);
        state
    }

    /// Starts what runs beside the view (once Leptos' executor runs): the
    /// save effect, other tabs' changes, the page's events, the server's
    /// history when nothing is here, and the queue.
    pub fn start(&self) {
        let state = *self;
        let store = self.store();
        state.persist();
        let watch = store.watch(move |theirs| {
            if let Some(chat) = state.live_chat() {
                chat.merge_external(theirs);
            }
        });
        let listeners = state.page_listeners();
        state.inner.update_value(|i| {
            i._watch = watch;
            i._page_listeners = listeners;
        });
        if !self.inner.with_value(|i| i.fresh) && state.chat().wants_history() {
            state.load_history();
        }
        state.send_queued();
    }

    fn chat(&self) -> Rc<Chat> {
        self.inner.with_value(|i| i.chat.clone())
    }

    /// The conversation, unless the widget is gone (late browser events).
    fn live_chat(&self) -> Option<Rc<Chat>> {
        self.inner.try_with_value(|i| i.chat.clone())
    }

    fn store(&self) -> Rc<Store> {
        self.inner.with_value(|i| i.store.clone())
    }

    /// Turns one change of the model into signals.
    fn apply(&self, change: Change) {
        match change {
            Change::List => {
                let ids: Vec<u64> = self
                    .chat()
                    .with(|c| c.messages.iter().map(|m| m.id).collect());
                if self.list.with_untracked(|l| *l != ids) {
                    self.list.set(ids);
                }
                // Anything may have changed (a merge): every bubble looks again.
                self.inner
                    .with_value(|i| i.triggers.0.iter().for_each(|(_, t)| t.notify()));
                let unread = self.chat().with(|c| c.unread);
                if self.unread.get_untracked() != unread {
                    self.unread.set(unread);
                }
                self.revision.update(|r| *r += 1);
            }
            Change::Message(id) => {
                if let Some(t) = self.inner.with_value(|i| i.triggers.get(id).cloned()) {
                    t.notify();
                }
                self.revision.update(|r| *r += 1);
            }
            Change::Grew(id) => {
                self.show_next_frame(id);
                self.revision.update(|r| *r += 1);
            }
            Change::Busy(busy) => {
                self.busy.set(busy);
                if !busy {
                    // The next queued message, if any, once this send is settled.
                    let state = *self;
                    crate::spawn(async move { state.send_queued() });
                }
            }
            Change::Notice(notice) => self.notice.set(notice),
            Change::Accepted(text) => {
                // The files, like the text, were kept until now.
                self.attachments.accepted(&text);
                // The composer lets the sent text go. Sent from the
                // composer, what the visitor typed after it meanwhile (the
                // next message) stays; else (a retry, a send by the host
                // page) the composer is cleared only if it holds that text.
                // Changed in any other way, it stays as it is.
                let composed = self.chat().composed.replace(false);
                let rest = self.draft.with_untracked(|d| {
                    let rest = d.strip_prefix(&text)?.trim_start();
                    (composed || rest.is_empty()).then(|| rest.to_string())
                });
                if let Some(rest) = rest {
                    self.set_draft(rest);
                }
            }
            Change::Edit(text) => {
                // Nothing typed is lost: an unfinished draft stays below.
                let draft = self.draft.get_untracked();
                let text = if draft.trim().is_empty() || draft == text {
                    text
                } else {
                    format!("{text}\n{draft}")
                };
                self.set_draft(text);
            }
            Change::Event(event) => {
                if let ChatEvent::MessageReceived { .. } = event {
                    // An answer is the newest agent message when it completes.
                    let id = self.chat().with(|c| {
                        c.messages
                            .iter()
                            .rev()
                            .find(|m| m.role == Role::Agent)
                            .map_or(0, |m| m.id)
                    });
                    self.answered.set(id);
                }
                if let Some(listener) = self.inner.with_value(|i| i.listener.clone()) {
                    listener(event);
                }
            }
        }
    }

    /// Streamed text is shown once per animation frame, however many chunks
    /// came since the last: the network may hand over a backlog of them in
    /// one task, and rendering each would hold the page's main thread. Any
    /// other change of the message shows at once (and its text with it).
    fn show_next_frame(&self, id: u64) {
        let request = self.inner.try_update_value(|i| {
            if !i.grown.contains(&id) {
                i.grown.push(id);
            }
            !std::mem::replace(&mut i.frame, true)
        });
        if request != Some(true) {
            return;
        }
        let state = *self;
        request_animation_frame(move || {
            let Some(grown) = state.inner.try_update_value(|i| {
                i.frame = false;
                std::mem::take(&mut i.grown)
            }) else {
                return;
            };
            for id in grown {
                if let Some(t) = state.inner.with_value(|i| i.triggers.get(id).cloned()) {
                    t.notify();
                }
            }
        });
    }

    /// The one writer of storage: an effect over the model's revision,
    /// saving at most every [`SAVE_THROTTLE_MS`].
    fn persist(&self) {
        let state = *self;
        let revision = self.revision;
        Effect::new(move |previous: Option<()>| {
            revision.track();
            if previous.is_none() {
                return; // what was just restored is already saved
            }
            state.schedule_save();
        });
    }

    fn schedule_save(&self) {
        if self.inner.with_value(|i| i.save_timer.is_some()) {
            return;
        }
        let state = *self;
        let save = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = state.inner.try_update_value(|i| i.save_timer = None);
            state.save_now();
        });
        let timer = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                wasm_bindgen::JsCast::unchecked_ref(&save),
                SAVE_THROTTLE_MS,
            )
            .ok()
        });
        self.inner.update_value(|i| i.save_timer = timer);
    }

    /// Writes the model now (the throttled save, a page being left).
    fn save_now(&self) {
        let Some((chat, store)) = self
            .inner
            .try_with_value(|i| (i.chat.clone(), i.store.clone()))
        else {
            return;
        };
        chat.with(|c| store.save(c));
    }

    /// Flushes a pending save when the page is hidden, and settles what is
    /// in flight when it is left (a later page finds it interrupted).
    fn page_listeners(&self) -> Vec<WindowListenerHandle> {
        let state = *self;
        let hidden = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if document().hidden() {
                state.save_now();
            }
        });
        // Requests break as soon as a navigation starts, before `pagehide`.
        let before = window_event_listener(leptos::ev::beforeunload, move |_| {
            if let Some(chat) = state.live_chat() {
                chat.set_leaving(true);
                // Still here a moment later (a download link, say): not leaving.
                set_timeout(
                    move || {
                        if let Some(chat) = state.live_chat() {
                            chat.set_leaving(false);
                        }
                    },
                    std::time::Duration::from_secs(3),
                );
            }
        });
        let left = window_event_listener(leptos::ev::pagehide, move |_| {
            if let Some(chat) = state.live_chat() {
                chat.page_leaving();
                state.save_now();
            }
        });
        let online = self.online;
        let on_line = window_event_listener(leptos::ev::online, move |_| {
            if let Some(chat) = state.live_chat() {
                online.set(true);
                chat.set_online(true);
                state.send_queued();
            }
        });
        let off_line = window_event_listener(leptos::ev::offline, move |_| {
            if let Some(chat) = state.live_chat() {
                online.set(false);
                chat.set_online(false);
            }
        });
        on_cleanup(move || {
            if let Some(handles) = state
                .inner
                .try_update_value(|i| std::mem::take(&mut i._page_listeners))
            {
                handles.into_iter().for_each(WindowListenerHandle::remove);
            }
        });
        vec![hidden, before, left, on_line, off_line]
    }

    /// Sends the oldest queued message, if any, while holding the outbox
    /// lease: with two tabs open, one sends it.
    fn send_queued(&self) {
        let state = *self;
        let Some(chat) = self.live_chat() else { return };
        if !chat.with(|c| c.queued().next().is_some()) || !self.online.get_untracked() {
            return;
        }
        self.store().with_outbox_lease(move || {
            let Some((chat, store)) = state
                .inner
                .try_with_value(|i| (i.chat.clone(), i.store.clone()))
            else {
                return;
            };
            // Another tab may have sent it a moment ago: look at what is saved now.
            if let Some(fresh) = store.read_fresh() {
                chat.merge_external(fresh);
            }
            if chat.send_queued() {
                state.save_now(); // marked as on the wire before the lease goes
            }
        });
    }

    /// Loads the server's history (retry after a failure too).
    pub fn load_history(&self) {
        let chat = self.chat();
        crate::spawn(chat.load_history());
    }

    /// Whether older messages may be on the server.
    pub fn has_older(&self) -> bool {
        self.chat().with(|c| c.older)
    }

    /// Reads message `id`, tracking its changes.
    pub fn message(&self, id: u64) -> Option<Message> {
        let trigger = self.inner.try_update_value(|i| i.triggers.get_or_add(id))?;
        trigger.track();
        self.chat().with(|c| c.get(id).cloned())
    }

    /// Reads the conversation without tracking.
    pub fn with_conversation<R>(&self, read: impl FnOnce(&Conversation) -> R) -> R {
        self.chat().with(read)
    }

    /// Stops tracking message `id` (its bubble is gone).
    pub fn forget(&self, id: u64) {
        let _ = self.inner.try_update_value(|i| i.triggers.remove(id));
    }

    /// The session id this conversation sends.
    pub fn session_id(&self) -> String {
        self.chat().session_id()
    }

    /// Sets the composer's text (and saves it as the draft).
    pub fn set_draft(&self, text: String) {
        self.store().set_draft(&text);
        // A message is being written: its activity channel can open now.
        if !text.trim().is_empty() {
            if let Some(chat) = self.live_chat() {
                chat.warm();
            }
        }
        self.draft.set(text);
    }

    /// Sends `text` as the visitor's next message, with the attached
    /// files (uploaded first).
    pub fn send(&self, text: String) {
        // Typed in the composer: what is typed after it, while it is on
        // its way, is the next message.
        let chat = self.chat();
        chat.composed.set(self.draft.with_untracked(|d| *d == text));
        if self.attachments.is_empty() {
            chat.send(text, Vec::new());
        } else {
            self.send_with_attachments(text);
        }
    }

    /// Sends `text` with files that are already uploaded.
    pub fn send_with_files(&self, text: String, files: Vec<FileRef>) {
        self.chat().send(text, files);
    }

    /// Receives every [`ChatEvent`] from now on.
    pub fn set_listener(&self, listener: impl Fn(ChatEvent) + 'static) {
        self.inner
            .update_value(|i| i.listener = Some(Rc::new(listener)));
    }

    /// Opens or closes the panel (every change is an event; opening clears
    /// the unread count).
    pub fn set_open(&self, open: bool) {
        if self.open.get_untracked() != open {
            self.open.set(open);
        }
        self.chat().set_open(open);
    }

    /// Reads the settings, untracked.
    pub fn settings<R>(&self, read: impl FnOnce(&Settings) -> R) -> R {
        self.chat().settings(read)
    }

    /// Reads the settings, and runs the reading again when they change.
    pub fn track_settings<R>(&self, read: impl FnOnce(&Settings) -> R) -> R {
        self.settings_changed.track();
        self.settings(read)
    }

    /// Changes the settings live: the next messages go with them, and the
    /// view shows them.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        self.chat().update_settings(change);
        self.settings_changed.notify();
    }

    /// Sends a message not sent, or asks again for an answer that broke off.
    pub fn retry(&self, id: u64) {
        if !self.retry_with_attachments(id) {
            self.chat().retry(id);
        }
    }

    /// Takes a message not sent back into the composer.
    pub fn edit(&self, id: u64) {
        self.chat().edit(id);
    }

    /// Stops the running answer (what arrived stays).
    pub fn stop(&self) {
        self.chat().stop();
    }

    /// Starts a new conversation: in-flight work is dropped, the saved
    /// transcript replaced by the new, empty one.
    pub fn reset(&self) {
        self.chat().reset();
        self.save_now();
    }

    /// Aborts in-flight work without a trace (the widget is going away);
    /// what is saved stays.
    pub fn discard_inflight(&self) {
        let Some(chat) = self.inner.try_with_value(|i| i.chat.clone()) else {
            return;
        };
        chat.page_leaving();
        self.save_now();
        chat.discard_inflight();
    }
}
