//! What the visitor's actions do to the conversation: send, retry, edit,
//! stop, reset, history, and what another tab saved. Network behind the
//! [`Transport`] trait and time and ids behind [`Env`], so all of it runs
//! natively in tests with a scripted transport.
//!
//! Every change is reported as a [`Change`]; the reactive layer
//! (`state::ChatState`) turns those into signals and saves the model.

use super::conversation::{Conversation, FileRef, HistoryItem, Problem, Role, Status};
use crate::client::{Abort, AbortReason, ClientError, Progress, Reply, SendOptions};
use crate::settings::Settings;
use lyzr_chat_protocol::activity::apply;
use lyzr_chat_protocol::{ActivityEvent, ChatRequest, PartsDelta, ReplyParts, Step};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A boxed future that stays on this thread.
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The network, as the conversation needs it.
pub trait Transport {
    /// Sends one message; reply text comes through `on`. Returns what the
    /// chat call added (files, ids).
    fn send<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: SendOptions,
        abort: &'a Abort,
        on: &'a mut dyn FnMut(Progress),
    ) -> LocalFuture<'a, Result<Reply, ClientError>>;
    /// Opens the agent-activity channel of `session_id` for one answer,
    /// events going to `on`; `None` when the API has none.
    fn activity(
        &self,
        session_id: &str,
        on: Box<dyn Fn(ActivityEvent)>,
    ) -> Option<Rc<dyn Activity>>;
    /// Asks the service to stop answering (best effort).
    fn stop(&self, session_id: &str) -> LocalFuture<'static, ()>;
    /// The server's history of a session, oldest first.
    fn history(
        &self,
        session_id: &str,
    ) -> LocalFuture<'static, Result<Vec<HistoryItem>, ClientError>>;
}

/// One answer's activity channel. It never affects the answer.
pub trait Activity {
    /// Resolves once the channel listens or failed, or after a short wait.
    fn ready(&self) -> LocalFuture<'static, ()>;
    /// The answer is over: the channel closes after a grace period.
    fn finish(&self);
    /// Closes now.
    fn close(&self);
    /// Open or opening: worth keeping for the next send.
    fn live(&self) -> bool;
}

/// Time, ids and randomness.
pub trait Env {
    fn now_ms(&self) -> u64;
    /// A fresh message id, unique across tabs.
    fn new_id(&self) -> u64;
    /// A fresh session id for `agent_id`.
    fn new_session(&self, agent_id: &str) -> String;
}

/// A passing note for the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Waiting to send again after a failure nothing was accepted for.
    Retrying { in_ms: u64, error: ClientError },
    /// Older messages are being fetched from the server.
    LoadingHistory,
    /// The server's history could not be loaded (Retry offered).
    HistoryFailed(ClientError),
}

/// What happened in a conversation, for the host page.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// The visitor sent a message (before the server answers).
    MessageSent {
        text: String,
    },
    /// An answer is complete; the chat call's ids as they came (JSON text).
    MessageReceived {
        text: String,
        message_id: Option<String>,
        metadata: Option<String>,
        tool_calls: Option<String>,
    },
    /// The agent asks the page to run a tool; `arguments` is JSON text.
    ToolCall {
        name: String,
        arguments: String,
    },
    /// An event of the activity channel, with the step it made or changed.
    Activity {
        event: ActivityEvent,
        step: Option<Step>,
    },
    /// A send failed.
    Error {
        problem: ClientError,
    },
    /// The panel opened or closed.
    Opened,
    Closed,
    /// Answers that arrived while the panel was closed.
    Unread {
        count: u32,
    },
}

/// One change, for the reactive layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Messages were added, removed or reordered (or all replaced).
    List,
    /// One message's content or status changed.
    Message(u64),
    /// An answer grew by streamed text, and nothing else of it changed:
    /// the view may take several of these in one go (once a frame).
    Grew(u64),
    /// A send started or ended.
    Busy(bool),
    Notice(Option<Notice>),
    /// A message with this text was accepted: the composer, which kept
    /// it until now, can let it go.
    Accepted(String),
    /// Edit: this text goes back into the composer.
    Edit(String),
    Event(ChatEvent),
}

/// An activity channel opened ahead of a send ([`Chat::warm`]).
struct Warm {
    session_id: String,
    /// The send its events go to (0: none yet, so they are dropped).
    run: Rc<Cell<u64>>,
    channel: Rc<dyn Activity>,
}

struct Inflight {
    abort: Abort,
    question: u64,
    answer: Option<u64>,
    /// Which send this is (activity events name it).
    run: u64,
    /// A step of the agent arrived: the message is being worked on, so it
    /// counts as accepted.
    stepped: bool,
    activity: Option<Rc<dyn Activity>>,
}

/// One conversation and the work on it.
pub struct Chat {
    conversation: RefCell<Conversation>,
    /// The widget's one settings value (live changes land here).
    settings: RefCell<Settings>,
    transport: Rc<dyn Transport>,
    env: Rc<dyn Env>,
    inflight: RefCell<Option<Inflight>>,
    open: Cell<bool>,
    online: Cell<bool>,
    history_loading: Cell<bool>,
    /// The page is being left: a request that breaks now broke because of it.
    leaving: Cell<bool>,
    /// Sends started so far.
    runs: Cell<u64>,
    /// The last finished send and its answer: its trailing events still count.
    last: Cell<Option<(u64, u64)>>,
    /// An activity channel opened while the visitor types, for the next send.
    warm: RefCell<Option<Warm>>,
    /// The last send was the composer's text (the view's note: what is
    /// typed after it meanwhile is the next message).
    pub composed: Cell<bool>,
    notify: RefCell<Rc<dyn Fn(Change)>>,
}

impl Chat {
    pub fn new(
        conversation: Conversation,
        settings: Settings,
        transport: Rc<dyn Transport>,
        env: Rc<dyn Env>,
    ) -> Rc<Self> {
        Rc::new(Self {
            conversation: RefCell::new(conversation),
            settings: RefCell::new(settings),
            transport,
            env,
            inflight: RefCell::new(None),
            open: Cell::new(false),
            online: Cell::new(true),
            history_loading: Cell::new(false),
            leaving: Cell::new(false),
            runs: Cell::new(0),
            last: Cell::new(None),
            warm: RefCell::new(None),
            composed: Cell::new(false),
            notify: RefCell::new(Rc::new(|_| {})),
        })
    }

    /// Receives every [`Change`] from now on.
    pub fn on_change(&self, notify: impl Fn(Change) + 'static) {
        *self.notify.borrow_mut() = Rc::new(notify);
    }

    fn tell(&self, change: Change) {
        let notify = self.notify.borrow().clone();
        notify(change);
    }

    /// Reads the conversation.
    pub fn with<R>(&self, read: impl FnOnce(&Conversation) -> R) -> R {
        read(&self.read())
    }

    // The borrows live in two functions that are never inlined: the generic
    // callers above and below (dozens of instances) then carry no copy of
    // the borrow check and its panic.
    #[inline(never)]
    fn read(&self) -> std::cell::Ref<'_, Conversation> {
        self.conversation.borrow()
    }

    #[inline(never)]
    fn write(&self) -> std::cell::RefMut<'_, Conversation> {
        self.conversation.borrow_mut()
    }

    fn change(&self, id: u64, change: impl FnOnce(&mut super::conversation::Message)) {
        let changed = self.write().update(id, change);
        if changed {
            self.tell(Change::Message(id));
        }
    }

    fn change_list(&self, change: impl FnOnce(&mut Conversation)) {
        change(&mut self.write());
        self.tell(Change::List);
    }

    pub fn session_id(&self) -> String {
        self.with(|c| c.session_id.clone())
    }

    pub fn busy(&self) -> bool {
        self.inflight.borrow().is_some()
    }

    /// The messages this tab is sending or receiving.
    pub fn mine(&self) -> Vec<u64> {
        self.inflight
            .borrow()
            .as_ref()
            .map(|i| std::iter::once(i.question).chain(i.answer).collect())
            .unwrap_or_default()
    }

    /// Reads the settings.
    pub fn settings<R>(&self, read: impl FnOnce(&Settings) -> R) -> R {
        read(&self.settings.borrow())
    }

    /// Changes the settings; the next messages are sent with them.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        change(&mut self.settings.borrow_mut());
    }

    /// The panel opened or closed; opening clears the unread count.
    pub fn set_open(&self, open: bool) {
        if self.open.replace(open) == open {
            return;
        }
        self.tell(Change::Event(if open {
            ChatEvent::Opened
        } else {
            ChatEvent::Closed
        }));
        if open && self.with(|c| c.unread) > 0 {
            self.write().unread = 0;
            self.tell(Change::List);
            self.tell(Change::Event(ChatEvent::Unread { count: 0 }));
        }
    }

    /// What the browser says about the network. Going offline queues new
    /// messages instead of failing them.
    pub fn set_online(&self, online: bool) {
        self.online.set(online);
    }

    /// Sends `text` (with `files` already uploaded) as the visitor's next
    /// message. Ignored when blank or while another send runs (a double
    /// click or a held Enter sends once). Offline, the message is queued.
    /// Returns the message's id, if one was added.
    pub fn send(self: &Rc<Self>, text: String, files: Vec<FileRef>) -> Option<u64> {
        if text.trim().is_empty() || self.busy() {
            return None;
        }
        let id = self.add_question(&text, files, None);
        self.tell(Change::Event(ChatEvent::MessageSent { text }));
        if self.online.get() {
            self.run(id);
        }
        Some(id)
    }

    /// Adds `text` with `files` as a visitor's message that was not sent,
    /// because of `problem` (its files did not upload), replacing an
    /// earlier failed attempt with the same text. Nothing goes on the wire.
    pub fn add_unsent(&self, text: String, files: Vec<FileRef>, problem: Problem) -> u64 {
        self.add_question(&text, files, Some(problem))
    }

    /// Adds a visitor's message: pending, or not sent because of `unsent`.
    /// An earlier attempt with the same text that was not sent makes way
    /// for it (sending a failed attempt's text again replaces that attempt).
    fn add_question(&self, text: &str, files: Vec<FileRef>, unsent: Option<Problem>) -> u64 {
        let failed: Vec<u64> = self.with(|c| {
            c.messages
                .iter()
                .filter(|m| m.role == Role::User && m.status == Status::NotSent && m.text == text)
                .map(|m| m.id)
                .collect()
        });
        let id = self.env.new_id();
        let now = self.env.now_ms();
        self.change_list(|c| {
            for f in failed {
                c.remove(f);
            }
            c.add_user(id, text, files, now);
            if let Some(problem) = unsent {
                c.update(id, |m| {
                    m.status = Status::NotSent;
                    m.problem = Some(problem);
                });
            }
        });
        id
    }

    /// Replaces the files of a visitor's message (once they uploaded).
    pub fn set_files(&self, id: u64, files: Vec<FileRef>) {
        self.change(id, |m| m.parts.files = files);
    }

    /// Sends the oldest queued message, if any and nothing else runs.
    /// Returns whether a send started. The caller holds the outbox lease.
    pub fn send_queued(self: &Rc<Self>) -> bool {
        if self.busy() {
            return false;
        }
        match self.with(|c| c.queued().next().map(|m| m.id)) {
            Some(id) => {
                self.run(id);
                true
            }
            None => false,
        }
    }

    /// Sends message `question` (a visitor's message) and receives its
    /// answer. The future runs on the caller's executor.
    fn run(self: &Rc<Self>, question: u64) {
        // A message never goes without its files: one whose files have no
        // asset id (not uploaded) stays not sent.
        let unuploaded = self.with(|c| {
            c.get(question)
                .is_some_and(|m| m.parts.files.iter().any(|f| f.asset_id.is_none()))
        });
        if unuploaded {
            self.change(question, |m| {
                m.status = Status::NotSent;
                if !matches!(m.problem, Some(Problem::Upload(_))) {
                    m.problem = Some(Problem::FilesMissing);
                }
            });
            return;
        }
        let abort = Abort::new();
        let (request, options, watch) = {
            let s = self.settings.borrow();
            let c = self.read();
            let Some(m) = c.get(question) else { return };
            let mut fields = s.fields.clone();
            let mut assets = fields.assets.take().unwrap_or_default();
            assets.extend(m.parts.files.iter().filter_map(|f| f.asset_id.clone()));
            fields.assets = (!assets.is_empty()).then_some(assets);
            let request = ChatRequest::new(&s.user_id, &s.agent_id, &c.session_id, &m.text)
                .with_fields(fields);
            (request, s.send, s.activity)
        };
        let run = self.runs.get() + 1;
        self.runs.set(run);
        // Open before sending, so the first steps are not missed: the one
        // opened while the visitor typed, or a new one.
        let activity = if watch {
            let warm = self.warm.take();
            let (bound, channel) = match warm {
                Some(w) if w.session_id == request.session_id && w.channel.live() => {
                    (w.run, Some(w.channel))
                }
                other => {
                    if let Some(w) = other {
                        w.channel.close();
                    }
                    self.open_channel(&request.session_id)
                }
            };
            bound.set(run);
            channel
        } else {
            None
        };
        *self.inflight.borrow_mut() = Some(Inflight {
            abort: abort.clone(),
            question,
            answer: None,
            run,
            stepped: false,
            activity: activity.clone(),
        });
        self.change(question, |m| {
            m.sent = true;
            m.problem = None;
            if m.status == Status::NotSent {
                m.status = Status::Pending;
            }
        });
        self.tell(Change::Busy(true));
        let chat = self.clone();
        crate::spawn(async move {
            if let Some(activity) = &activity {
                activity.ready().await;
            }
            let mut parts = ReplyParts::new();
            let mut accepted = false;
            let result = {
                let mut on = |p: Progress| chat.progress(p, &mut parts, &mut accepted);
                chat.transport
                    .send(&request, options, &abort, &mut on)
                    .await
            };
            if let Some(activity) = activity {
                activity.finish();
            }
            chat.finish(result, &abort, parts, accepted);
        });
    }

    fn progress(&self, progress: Progress, parts: &mut ReplyParts, accepted: &mut bool) {
        match progress {
            Progress::Accepted => {
                *accepted = true;
                self.accept();
            }
            Progress::Text(delta) => {
                let delta = parts.push(&delta);
                self.add(delta);
            }
            Progress::Retrying { in_ms, error } => {
                crate::console::warn(&format!("{error}; retrying in {in_ms} ms"));
                self.tell(Change::Notice(Some(Notice::Retrying { in_ms, error })));
            }
            Progress::ToolCall { name, arguments } => {
                if let Some(id) = self.answer() {
                    let tool = name.clone();
                    self.change(id, |m| m.parts.tool_call = Some(tool));
                }
                self.tell(Change::Event(ChatEvent::ToolCall { name, arguments }));
            }
        }
    }

    /// Opens an activity channel for `session_id` whose events go to the
    /// send the returned cell names (0 until a send claims it).
    fn open_channel(
        self: &Rc<Self>,
        session_id: &str,
    ) -> (Rc<Cell<u64>>, Option<Rc<dyn Activity>>) {
        let run = Rc::new(Cell::new(0));
        let bound = run.clone();
        let chat = Rc::downgrade(self);
        let channel = self.transport.activity(
            session_id,
            Box::new(move |event| {
                if let Some(chat) = chat.upgrade() {
                    chat.activity(bound.get(), event);
                }
            }),
        );
        (run, channel)
    }

    /// The visitor is writing a message: open the activity channel now, so
    /// the send need not wait for its handshake (a round trip or two).
    /// Nothing while a send is under way or with activity off; an unused
    /// channel closes itself after a while (the client's idle limit).
    pub fn warm(self: &Rc<Self>) {
        if !self.settings.borrow().activity || self.inflight.borrow().is_some() {
            return;
        }
        let session_id = self.read().session_id.clone();
        let fresh = self
            .warm
            .borrow()
            .as_ref()
            .is_some_and(|w| w.session_id == session_id && w.channel.live());
        if fresh {
            return;
        }
        if let Some(w) = self.warm.take() {
            w.channel.close();
        }
        if let (run, Some(channel)) = self.open_channel(&session_id) {
            *self.warm.borrow_mut() = Some(Warm {
                session_id,
                run,
                channel,
            });
        }
    }

    /// An event of send `run`'s activity channel: a step of its answer
    /// (whose bubble the first step makes, before any text), and an event
    /// for the host page. The first step also accepts the message: the
    /// agent is at work on it (the stream's headers may come much later).
    fn activity(&self, run: u64, event: ActivityEvent) {
        let live = self
            .inflight
            .borrow()
            .as_ref()
            .is_some_and(|i| i.run == run);
        let target = if live {
            // Only a step makes a bubble (not the run's start or end).
            let pending = self.inflight.borrow().as_ref().and_then(|i| i.answer);
            pending.or_else(|| {
                if !apply(&mut Vec::new(), &event) {
                    return None;
                }
                if let Some(i) = self.inflight.borrow_mut().as_mut() {
                    i.stepped = true;
                }
                self.accept();
                self.answer()
            })
        } else {
            // Trailing the answer; or of a send reset or superseded: none.
            self.last.get().filter(|(r, _)| *r == run).map(|(_, id)| id)
        };
        let mut step = None;
        if let Some(id) = target {
            self.change(id, |m| {
                if apply(&mut m.parts.steps, &event) {
                    step = m.parts.steps.last().cloned();
                }
            });
        }
        if live || target.is_some() {
            self.tell(Change::Event(ChatEvent::Activity { event, step }));
        }
    }

    fn accept(&self) {
        let Some(question) = self.inflight.borrow().as_ref().map(|i| i.question) else {
            return;
        };
        self.tell(Change::Notice(None));
        self.change(question, |m| {
            if m.status == Status::Pending {
                m.status = Status::Done;
            }
        });
        let text = self.with(|c| c.get(question).map(|m| m.text.clone()));
        if let Some(text) = text {
            // The composer kept the text until now.
            self.tell(Change::Accepted(text));
        }
    }

    /// The answer being received, made on first use.
    fn answer(&self) -> Option<u64> {
        let (question, answer) = self
            .inflight
            .borrow()
            .as_ref()
            .map(|i| (i.question, i.answer))?;
        if answer.is_some() {
            return answer;
        }
        let id = self.new_answer(question);
        if let Some(i) = self.inflight.borrow_mut().as_mut() {
            i.answer = Some(id);
        }
        Some(id)
    }

    fn new_answer(&self, question: u64) -> u64 {
        let id = self.env.new_id();
        let now = self.env.now_ms();
        self.change_list(|c| {
            c.add_answer(id, question, now);
        });
        id
    }

    fn add(&self, delta: PartsDelta) {
        if delta.answer.is_empty()
            && delta.thinking.is_empty()
            && delta.artifacts.is_empty()
            && delta.files_notes.is_empty()
        {
            return;
        }
        let Some(id) = self.answer() else { return };
        let grew = delta.artifacts.is_empty();
        let changed = self.conversation.borrow_mut().update(id, |m| {
            m.text.push_str(&delta.answer);
            m.parts.thinking.push_str(&delta.thinking);
            m.parts.artifacts.extend(delta.artifacts);
            m.parts
                .files_notes
                .extend(delta.files_notes.into_iter().map(|n| n.raw));
        });
        if changed {
            self.tell(if grew {
                Change::Grew(id)
            } else {
                Change::Message(id)
            });
        }
    }

    fn finish(
        &self,
        result: Result<Reply, ClientError>,
        abort: &Abort,
        mut parts: ReplyParts,
        accepted: bool,
    ) {
        let current = self.inflight.borrow().as_ref().map(|i| i.abort.clone());
        let ours = current.is_some_and(|a| a.same(abort));
        if abort.reason() == Some(AbortReason::Discarded) || !ours {
            return; // reset or destroyed meanwhile: nothing to show
        }
        self.add(parts.finish());
        let Inflight {
            question,
            answer,
            run,
            stepped,
            ..
        } = self.inflight.borrow_mut().take().expect("checked above");
        let accepted = accepted || stepped;
        self.tell(Change::Busy(false));
        self.tell(Change::Notice(None));
        if let Some(answer) = answer {
            self.last.set(Some((run, answer)));
        }
        // Its events may trail the answer.
        let new_answer = || {
            let id = self.new_answer(question);
            self.last.set(Some((run, id)));
            id
        };
        match result {
            Ok(reply) => {
                // An empty answer still gets its bubble.
                let answer = answer.unwrap_or_else(new_answer);
                let Reply {
                    artifacts,
                    message_id,
                    metadata,
                    tool_calls,
                } = reply;
                self.change(answer, |m| {
                    m.parts.artifacts.extend(artifacts);
                    m.parts.message_id = message_id.clone();
                    // The answer is complete: so is every step of it.
                    m.parts.steps.iter_mut().for_each(|s| s.done = true);
                    m.status = Status::Done;
                });
                let text = self.with(|c| c.get(answer).map(|m| m.text.clone()).unwrap_or_default());
                self.tell(Change::Event(ChatEvent::MessageReceived {
                    text,
                    message_id,
                    metadata,
                    tool_calls,
                }));
                if !self.open.get() {
                    let count = {
                        let mut c = self.write();
                        c.unread += 1;
                        c.unread
                    };
                    self.tell(Change::List);
                    self.tell(Change::Event(ChatEvent::Unread { count }));
                }
            }
            Err(ClientError::Aborted(AbortReason::Stopped)) if accepted => {
                if let Some(answer) = answer {
                    self.change(answer, |m| m.status = Status::Stopped);
                }
            }
            Err(error) if self.leaving.get() => {
                // Broken by the page going away, not by the network.
                match answer {
                    Some(answer) => self.change(answer, |m| m.status = Status::Interrupted),
                    None if !accepted => self.change(question, |m| {
                        m.status = Status::NotSent;
                        m.problem = Some(Problem::PageLeft);
                    }),
                    None => {
                        let id = new_answer();
                        self.change(id, |m| m.status = Status::Interrupted);
                    }
                }
                let _ = error;
            }
            Err(error) => {
                if !matches!(error, ClientError::Aborted(_)) {
                    crate::console::error(&format!("sending a message failed: {error}"));
                }
                let problem = Some(Problem::Send(error.clone()));
                match answer {
                    // Accepted, and the answer broke off: what arrived stays.
                    Some(answer) => self.change(answer, |m| {
                        m.status = Status::Failed;
                        m.problem = problem;
                    }),
                    None if !accepted => self.change(question, |m| {
                        m.status = Status::NotSent;
                        m.problem = problem;
                    }),
                    None => {
                        // Accepted with no answer at all: an empty failed answer carries the reason.
                        let id = new_answer();
                        self.change(id, |m| {
                            m.status = Status::Failed;
                            m.problem = problem;
                        });
                    }
                }
                if !matches!(error, ClientError::Aborted(_)) {
                    self.tell(Change::Event(ChatEvent::Error { problem: error }));
                }
            }
        }
    }

    /// Sends a retryable message again: a visitor's message not sent is
    /// sent as it is; an answer that did not finish is asked for again (it
    /// makes way for the new one).
    pub fn retry(self: &Rc<Self>, id: u64) {
        if self.busy() {
            return;
        }
        let Some(m) = self.with(|c| c.get(id).filter(|m| m.retryable()).cloned()) else {
            return;
        };
        match (m.role, m.answers) {
            (Role::User, _) => {
                if self.online.get() {
                    self.run(id);
                } else {
                    self.change(id, |m| {
                        m.status = Status::Pending;
                        m.sent = false;
                        m.problem = None;
                    });
                }
            }
            (Role::Agent, Some(question)) if self.with(|c| c.get(question).is_some()) => {
                self.change_list(|c| c.remove(id));
                self.run(question);
            }
            (Role::Agent, _) => {}
        }
    }

    /// Takes a message not sent (or the question of an answer that did not
    /// finish) back into the composer; the failed attempt goes.
    pub fn edit(&self, id: u64) {
        let Some((text, _files)) = self.with(|c| c.retry_text(id)) else {
            return;
        };
        let remove: Vec<u64> = self.with(|c| match c.get(id) {
            Some(m) if m.role == Role::User => vec![id],
            Some(m) => vec![m.id],
            None => vec![],
        });
        self.change_list(|c| {
            for r in remove {
                c.remove(r);
            }
        });
        self.tell(Change::Edit(text));
    }

    /// Stops the running send: the request is aborted and the service told
    /// to stop; what arrived stays, marked stopped.
    pub fn stop(&self) {
        let Some(abort) = self.inflight.borrow().as_ref().map(|i| i.abort.clone()) else {
            return;
        };
        abort.abort(AbortReason::Stopped);
        let stop = self.transport.stop(&self.session_id());
        crate::spawn(stop);
    }

    /// Drops in-flight work without a trace (reset, or the widget goes away).
    pub fn discard_inflight(&self) {
        let taken = self.inflight.borrow_mut().take();
        if let Some(inflight) = taken {
            inflight.abort.abort(AbortReason::Discarded);
            if let Some(activity) = inflight.activity {
                activity.close();
            }
            self.tell(Change::Busy(false));
        }
    }

    /// Starts a new conversation with a new session id.
    pub fn reset(&self) {
        self.discard_inflight();
        if let Some(w) = self.warm.take() {
            w.channel.close();
        }
        let agent = self.settings.borrow().agent_id.clone();
        let session = self.env.new_session(&agent);
        *self.write() = Conversation::new(session);
        self.tell(Change::Notice(None));
        self.tell(Change::List);
    }

    /// The page is going away: what is in flight is settled as a later
    /// page will find it (an answer interrupted, a message not sent).
    pub fn page_leaving(&self) {
        let mine = self.mine();
        let mut c = self.write();
        for id in mine {
            c.update(id, |m| match (m.role, m.status) {
                (Role::Agent, Status::Streaming) => m.status = Status::Interrupted,
                (Role::User, Status::Pending) => {
                    m.status = Status::NotSent;
                    m.problem = Some(Problem::PageLeft);
                }
                _ => {}
            });
        }
    }

    /// The page may be about to go (`beforeunload`); the browser then breaks
    /// requests before `pagehide`, and those count as interrupted.
    pub fn set_leaving(&self, leaving: bool) {
        self.leaving.set(leaving);
    }

    /// Takes in what another tab saved (see [`Conversation::merge_from`]).
    pub fn merge_external(&self, theirs: Conversation) {
        let mine = self.mine();
        let reset_elsewhere = theirs.session_id != self.session_id();
        if reset_elsewhere {
            self.discard_inflight();
        }
        let unread_before = self.with(|c| c.unread);
        self.write().merge_from(theirs, &mine);
        if self.open.get() {
            self.write().unread = 0;
        }
        self.tell(Change::List);
        let unread = self.with(|c| c.unread);
        if unread != unread_before {
            self.tell(Change::Event(ChatEvent::Unread { count: unread }));
        }
    }

    /// Whether the server may have messages that are not shown: nothing is
    /// here yet, or the cap dropped some.
    pub fn wants_history(&self) -> bool {
        self.with(|c| c.older || c.messages.iter().all(|m| m.unaccepted()))
    }

    /// Loads the server's history of this session: everything when nothing
    /// is here, else what is older than the oldest message here. A failure
    /// never blocks chatting: it becomes a retryable notice.
    pub async fn load_history(self: Rc<Self>) {
        if self.history_loading.replace(true) {
            return;
        }
        let session = self.session_id();
        self.tell(Change::Notice(Some(Notice::LoadingHistory)));
        let result = self.transport.history(&session).await;
        self.history_loading.set(false);
        if self.session_id() != session {
            return; // reset meanwhile
        }
        match result {
            Ok(items) => {
                self.tell(Change::Notice(None));
                let env = self.env.clone();
                let added = self
                    .conversation
                    .borrow_mut()
                    .add_history(items, || env.new_id());
                if added > 0 {
                    self.tell(Change::List);
                }
            }
            Err(error) => {
                crate::console::warn(&format!(
                    "loading the conversation's history failed: {error}"
                ));
                // Older messages stay to be fetched: "Show earlier" retries.
                self.write().older = true;
                self.tell(Change::List);
                self.tell(Change::Notice(Some(Notice::HistoryFailed(error))));
            }
        }
    }
}

// Native: `cargo test -p lyzr-chat-widget --lib state::`.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::spawn::test_pool::run_until_stalled;
    use futures::channel::oneshot;
    use lyzr_chat_protocol::{ApiError, StepKind};
    use std::collections::VecDeque;

    /// What the fake server does with the next message.
    enum Script {
        /// Accepts and answers with these pieces.
        Answer(Vec<&'static str>),
        /// Refuses before accepting.
        Refuse(ClientError),
        /// Accepts, sends these pieces, then breaks.
        Break(Vec<&'static str>, ClientError),
        /// Accepts, sends these pieces, then waits for the sender.
        Hold(Vec<&'static str>, oneshot::Receiver<()>),
        /// Waits for the sender, then accepts and answers with these pieces.
        Slow(oneshot::Receiver<()>, Vec<&'static str>),
        /// Waits for the sender, then refuses.
        SlowRefuse(oneshot::Receiver<()>, ClientError),
        /// Accepts, then the stream asks the page to run a tool.
        Tool(&'static str, &'static str),
        /// Accepts and answers as the chat call does, with its ids.
        Whole(&'static str, Reply),
    }

    type OnEvent = Box<dyn Fn(ActivityEvent)>;

    /// What the fake activity channel saw.
    #[derive(Default)]
    struct FakeChannel {
        opened: Cell<u32>,
        finished: Cell<u32>,
        closed: Cell<u32>,
        on: RefCell<Option<OnEvent>>,
    }

    impl FakeChannel {
        fn emit(&self, event_type: &str, tool: Option<&str>) {
            let on = self.on.borrow();
            (on.as_ref().expect("a channel is open"))(ActivityEvent {
                event_type: event_type.into(),
                tool_name: tool.map(Into::into),
                ..ActivityEvent::default()
            });
        }
    }

    /// One opened channel; the second field: it was finished or closed.
    struct FakeActivity(Rc<FakeChannel>, Cell<bool>);

    impl Activity for FakeActivity {
        fn ready(&self) -> LocalFuture<'static, ()> {
            Box::pin(async {})
        }
        fn finish(&self) {
            self.0.finished.set(self.0.finished.get() + 1);
            self.1.set(true);
        }
        fn close(&self) {
            self.0.closed.set(self.0.closed.get() + 1);
            self.1.set(true);
        }
        fn live(&self) -> bool {
            !self.1.get()
        }
    }

    #[derive(Default)]
    struct FakeServer {
        script: RefCell<VecDeque<Script>>,
        received: RefCell<Vec<ChatRequest>>,
        stops: Cell<u32>,
        history: RefCell<Option<Result<Vec<HistoryItem>, ClientError>>>,
        channel: Rc<FakeChannel>,
    }

    impl Transport for FakeServer {
        fn send<'a>(
            &'a self,
            request: &'a ChatRequest,
            _options: SendOptions,
            abort: &'a Abort,
            on: &'a mut dyn FnMut(Progress),
        ) -> LocalFuture<'a, Result<Reply, ClientError>> {
            self.received.borrow_mut().push(request.clone());
            let script = self
                .script
                .borrow_mut()
                .pop_front()
                .expect("a scripted reply");
            Box::pin(async move {
                match script {
                    Script::Answer(pieces) => {
                        on(Progress::Accepted);
                        for p in pieces {
                            on(Progress::Text(p.into()));
                        }
                        Ok(Reply::default())
                    }
                    Script::Refuse(e) => Err(e),
                    Script::Break(pieces, e) => {
                        on(Progress::Accepted);
                        for p in pieces {
                            on(Progress::Text(p.into()));
                        }
                        Err(e)
                    }
                    Script::Slow(release, pieces) => {
                        let _ = release.await;
                        on(Progress::Accepted);
                        for p in pieces {
                            on(Progress::Text(p.into()));
                        }
                        Ok(Reply::default())
                    }
                    Script::SlowRefuse(release, e) => {
                        let _ = release.await;
                        Err(e)
                    }
                    Script::Tool(name, arguments) => {
                        on(Progress::Accepted);
                        on(Progress::ToolCall {
                            name: name.into(),
                            arguments: arguments.into(),
                        });
                        Ok(Reply::default())
                    }
                    Script::Whole(text, reply) => {
                        on(Progress::Accepted);
                        on(Progress::Text(text.into()));
                        Ok(reply)
                    }
                    Script::Hold(pieces, release) => {
                        on(Progress::Accepted);
                        for p in pieces {
                            on(Progress::Text(p.into()));
                        }
                        let _ = release.await;
                        match abort.reason() {
                            Some(r) => Err(ClientError::Aborted(r)),
                            None => Ok(Reply::default()),
                        }
                    }
                }
            })
        }

        fn activity(
            &self,
            _session_id: &str,
            on: Box<dyn Fn(ActivityEvent)>,
        ) -> Option<Rc<dyn Activity>> {
            self.channel.opened.set(self.channel.opened.get() + 1);
            *self.channel.on.borrow_mut() = Some(on);
            Some(Rc::new(FakeActivity(
                self.channel.clone(),
                Cell::new(false),
            )))
        }

        fn stop(&self, _session_id: &str) -> LocalFuture<'static, ()> {
            self.stops.set(self.stops.get() + 1);
            Box::pin(async {})
        }

        fn history(&self, _s: &str) -> LocalFuture<'static, Result<Vec<HistoryItem>, ClientError>> {
            let result = self
                .history
                .borrow_mut()
                .take()
                .expect("a scripted history");
            Box::pin(async move { result })
        }
    }

    #[derive(Default)]
    struct FakeEnv {
        next: Cell<u64>,
    }

    impl Env for FakeEnv {
        fn now_ms(&self) -> u64 {
            1_000 + self.next.get()
        }
        fn new_id(&self) -> u64 {
            self.next.set(self.next.get() + 1);
            self.next.get()
        }
        fn new_session(&self, agent_id: &str) -> String {
            format!("{agent_id}-s{}", self.new_id())
        }
    }

    fn chat_with(server: &Rc<FakeServer>) -> (Rc<Chat>, Rc<RefCell<Vec<Change>>>) {
        let chat = Chat::new(
            Conversation::new("agent-s0".into()),
            Settings {
                agent_id: "agent".into(),
                user_id: "visitor".into(),
                ..Settings::default()
            },
            server.clone(),
            Rc::new(FakeEnv::default()),
        );
        let changes = Rc::new(RefCell::new(Vec::new()));
        let seen = changes.clone();
        chat.on_change(move |c| seen.borrow_mut().push(c));
        (chat, changes)
    }

    fn statuses(chat: &Chat) -> Vec<(Role, Status, String)> {
        chat.with(|c| {
            c.messages
                .iter()
                .map(|m| (m.role, m.status, m.text.clone()))
                .collect()
        })
    }

    fn refused(status: u16) -> ClientError {
        ClientError::Api(ApiError::from_response(status, r#"{"detail":"no"}"#))
    }

    fn file(name: &str, asset_id: Option<&str>) -> FileRef {
        FileRef {
            name: name.into(),
            size: 3,
            mime: "text/plain".into(),
            asset_id: asset_id.map(str::to_string),
        }
    }

    #[test]
    fn a_message_is_never_sent_without_its_files() {
        let server = Rc::new(FakeServer::default());
        let (chat, _) = chat_with(&server);
        // The upload failed: the message stands not sent, with its files.
        let id = chat.add_unsent(
            "look".into(),
            vec![file("a.txt", Some("as-1")), file("b.txt", None)],
            Problem::Upload(None),
        );
        assert_eq!(
            statuses(&chat),
            [(Role::User, Status::NotSent, "look".into())]
        );
        assert!(chat.with(|c| c.outbox().count()) == 1);
        // Retrying it as it is (its files not uploaded) sends nothing.
        chat.retry(id);
        run_until_stalled();
        assert!(server.received.borrow().is_empty());
        assert_eq!(
            chat.with(|c| c.get(id).unwrap().problem.clone()),
            Some(Problem::Upload(None))
        );
        // A message restored with files that never uploaded says so.
        let lost = chat.add_unsent("other".into(), vec![file("c.txt", None)], Problem::PageLeft);
        chat.retry(lost);
        run_until_stalled();
        assert!(server.received.borrow().is_empty());
        assert_eq!(
            chat.with(|c| c.get(lost).unwrap().problem.clone()),
            Some(Problem::FilesMissing)
        );
        // Once uploaded, Retry sends it, with the ids.
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["ok"]));
        chat.set_files(
            id,
            vec![file("a.txt", Some("as-1")), file("b.txt", Some("as-2"))],
        );
        chat.retry(id);
        run_until_stalled();
        assert_eq!(
            server.received.borrow()[0].fields.assets.as_deref(),
            Some(&["as-1".to_string(), "as-2".into()][..])
        );
        // Sending the same text again replaces the failed attempt.
        let again = chat.add_unsent("look".into(), vec![], Problem::Upload(None));
        assert_eq!(
            chat.with(|c| c.messages.iter().filter(|m| m.text == "look").count()),
            2
        );
        assert!(chat.with(|c| c.get(again).is_some()));
    }

    #[test]
    fn a_send_adds_the_question_and_its_streamed_answer() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["Hel", "lo <think>hm</think>!"]));
        let (chat, changes) = chat_with(&server);
        chat.send("hi".into(), vec![]).unwrap();
        assert!(chat.busy());
        run_until_stalled();
        assert!(!chat.busy());
        assert_eq!(
            statuses(&chat),
            [
                (Role::User, Status::Done, "hi".into()),
                (Role::Agent, Status::Done, "Hello !".into())
            ]
        );
        assert_eq!(chat.with(|c| c.messages[1].parts.thinking.clone()), "hm");
        let request = &server.received.borrow()[0];
        assert_eq!(
            (request.session_id.as_str(), request.message.as_str()),
            ("agent-s0", "hi")
        );
        let changes = changes.borrow();
        assert!(changes.contains(&Change::Accepted("hi".into())));
        assert!(changes.contains(&Change::Event(ChatEvent::MessageReceived {
            text: "Hello !".into(),
            message_id: None,
            metadata: None,
            tool_calls: None,
        })));
        assert_eq!(server.channel.opened.get(), 0, "activity is off");
    }

    fn with_activity(chat: &Chat) {
        let mut settings = chat.settings.borrow_mut();
        settings.activity = true;
    }

    fn steps_of(chat: &Chat, id: u64) -> Vec<(StepKind, String, bool)> {
        chat.with(|c| {
            c.get(id)
                .unwrap()
                .parts
                .steps
                .iter()
                .map(|s| (s.kind, s.name.clone(), s.done))
                .collect()
        })
    }

    #[test]
    fn steps_make_the_answer_bubble_before_its_text_and_trail_after_it() {
        let server = Rc::new(FakeServer::default());
        let (release, held) = oneshot::channel();
        server
            .script
            .borrow_mut()
            .push_back(Script::Slow(held, vec!["It is 18 °C."]));
        let (chat, changes) = chat_with(&server);
        with_activity(&chat);
        chat.send("weather?".into(), vec![]);
        run_until_stalled();
        assert_eq!(server.channel.opened.get(), 1, "opened before the answer");
        server.channel.emit("agent_process_start", None);
        // The run's start is no step: no bubble for it.
        assert_eq!(chat.with(|c| c.messages.len()), 1);
        server.channel.emit("knowledge_base_retrieval", None);
        server
            .channel
            .emit("tool_call_prepare", Some("get_weather"));
        // The first step made the answer's bubble, before any text.
        let answer = chat.with(|c| c.messages[1].clone());
        assert_eq!(
            (answer.role, answer.status),
            (Role::Agent, Status::Streaming)
        );
        assert_eq!(answer.text, "");
        assert_eq!(
            steps_of(&chat, answer.id),
            [
                (StepKind::Knowledge, String::new(), true),
                (StepKind::Tool, "get_weather".into(), false),
            ]
        );
        let events = changes
            .borrow()
            .iter()
            .filter(|c| matches!(c, Change::Event(ChatEvent::Activity { .. })))
            .count();
        assert_eq!(events, 3, "every event goes to the host page");
        release.send(()).unwrap();
        run_until_stalled();
        let answer = chat.with(|c| c.messages[1].id);
        assert_eq!(chat.with(|c| c.messages.len()), 2, "the same bubble");
        assert_eq!(chat.with(|c| c.messages[1].text.clone()), "It is 18 °C.");
        assert_eq!(
            steps_of(&chat, answer),
            [
                (StepKind::Knowledge, String::new(), true),
                (StepKind::Tool, "get_weather".into(), true),
            ],
            "all done once the answer is complete"
        );
        assert_eq!(server.channel.finished.get(), 1);
        // An event trailing the answer (within the grace period) still counts.
        server.channel.emit("artifact_create_success", None);
        assert_eq!(steps_of(&chat, answer).len(), 3);
        // Another send's channel does not write into this answer.
        let stale = server.channel.on.borrow_mut().take().unwrap();
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["next"]));
        chat.send("again".into(), vec![]);
        run_until_stalled();
        stale(ActivityEvent {
            event_type: "thinking".into(),
            ..ActivityEvent::default()
        });
        assert_eq!(steps_of(&chat, answer).len(), 3);
    }

    #[test]
    fn the_channel_opened_while_typing_serves_the_next_send() {
        let server = Rc::new(FakeServer::default());
        let (chat, changes) = chat_with(&server);
        chat.warm();
        assert_eq!(server.channel.opened.get(), 0, "activity is off");
        with_activity(&chat);
        chat.warm();
        chat.warm();
        assert_eq!(
            server.channel.opened.get(),
            1,
            "one channel for all keystrokes"
        );
        // Events before any send belong to no answer.
        server.channel.emit("thinking", None);
        assert!(chat.with(|c| c.messages.is_empty()));
        let activity_events = || {
            changes
                .borrow()
                .iter()
                .filter(|c| matches!(c, Change::Event(ChatEvent::Activity { .. })))
                .count()
        };
        assert_eq!(activity_events(), 0);
        let (release, held) = oneshot::channel();
        server
            .script
            .borrow_mut()
            .push_back(Script::Slow(held, vec!["done"]));
        chat.send("q".into(), vec![]);
        run_until_stalled();
        assert_eq!(
            server.channel.opened.get(),
            1,
            "the send took the open channel"
        );
        // Typing during the answer opens nothing.
        chat.warm();
        assert_eq!(server.channel.opened.get(), 1);
        server.channel.emit("tool_call_prepare", Some("lookup"));
        let answer = chat.with(|c| c.messages[1].id);
        assert_eq!(
            steps_of(&chat, answer).len(),
            1,
            "its events go to the answer"
        );
        assert_eq!(activity_events(), 1);
        release.send(()).unwrap();
        run_until_stalled();
        assert_eq!(server.channel.finished.get(), 1);
        // The used channel is not reused: the next message gets its own.
        chat.warm();
        assert_eq!(server.channel.opened.get(), 2);
        // A new conversation closes the one opened for the old one.
        chat.reset();
        assert_eq!(server.channel.closed.get(), 1);
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["x"]));
        chat.send("in the new session".into(), vec![]);
        run_until_stalled();
        assert_eq!(
            server.channel.opened.get(),
            3,
            "a channel for the new session"
        );
    }

    #[test]
    fn steps_of_a_refused_send_go_with_it_and_reset_closes_the_channel() {
        let server = Rc::new(FakeServer::default());
        let (release, held) = oneshot::channel::<()>();
        server
            .script
            .borrow_mut()
            .push_back(Script::Slow(held, vec!["x"]));
        let (chat, _) = chat_with(&server);
        with_activity(&chat);
        chat.send("q".into(), vec![]);
        run_until_stalled();
        server.channel.emit("thinking", None);
        chat.reset();
        assert_eq!(server.channel.closed.get(), 1);
        drop(release);
        run_until_stalled();
        assert!(chat.with(|c| c.messages.is_empty()));
        // Refused after a step: the agent was at work on it, so the answer
        // stands failed with the reason (Retry asks again).
        let (release, held) = oneshot::channel();
        server
            .script
            .borrow_mut()
            .push_back(Script::SlowRefuse(held, refused(500)));
        let id = chat.send("r".into(), vec![]).unwrap();
        run_until_stalled();
        server.channel.emit("thinking", None);
        assert_eq!(chat.with(|c| c.messages.len()), 2);
        assert_eq!(
            chat.with(|c| c.get(id).unwrap().status),
            Status::Done,
            "accepted by the first step"
        );
        release.send(()).unwrap();
        run_until_stalled();
        assert_eq!(
            statuses(&chat),
            [
                (Role::User, Status::Done, "r".into()),
                (Role::Agent, Status::Failed, String::new())
            ]
        );
        let answer = chat.with(|c| c.messages[1].clone());
        assert_eq!(answer.problem, Some(Problem::Send(refused(500))));
        assert!(answer.retryable());
    }

    #[test]
    fn a_local_tool_call_is_shown_and_told_to_the_host_page() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Tool("get_weather", r#"{"city":"Paris"}"#));
        let (chat, changes) = chat_with(&server);
        chat.send("weather?".into(), vec![]);
        run_until_stalled();
        let answer = chat.with(|c| c.messages[1].clone());
        assert_eq!(answer.status, Status::Done);
        assert_eq!(answer.text, "");
        assert_eq!(answer.parts.tool_call.as_deref(), Some("get_weather"));
        assert!(changes
            .borrow()
            .contains(&Change::Event(ChatEvent::ToolCall {
                name: "get_weather".into(),
                arguments: r#"{"city":"Paris"}"#.into(),
            })));
    }

    #[test]
    fn the_chat_calls_ids_are_kept_and_unreadable_artifacts_are_a_note() {
        let server = Rc::new(FakeServer::default());
        let reply = Reply {
            message_id: Some("m-7".into()),
            metadata: Some(r#"{"model":"x"}"#.into()),
            tool_calls: Some("[]".into()),
            ..Reply::default()
        };
        server.script.borrow_mut().push_back(Script::Whole(
            "Here <artifacts>not json</artifacts>you go",
            reply,
        ));
        let (chat, changes) = chat_with(&server);
        chat.send("files?".into(), vec![]);
        run_until_stalled();
        let answer = chat.with(|c| c.messages[1].clone());
        assert_eq!(answer.text, "Here you go");
        assert_eq!(answer.parts.files_notes, ["not json"]);
        assert_eq!(answer.parts.message_id.as_deref(), Some("m-7"));
        assert!(changes
            .borrow()
            .contains(&Change::Event(ChatEvent::MessageReceived {
                text: "Here you go".into(),
                message_id: Some("m-7".into()),
                metadata: Some(r#"{"model":"x"}"#.into()),
                tool_calls: Some("[]".into()),
            })));
        // Kept across a reload, as JSON.
        let restored = Conversation::restore(&chat.with(Conversation::to_json), None).unwrap();
        assert_eq!(
            restored.messages[1].parts.message_id.as_deref(),
            Some("m-7")
        );
    }

    #[test]
    fn a_double_send_sends_once_and_blank_text_never() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["a"]));
        let (chat, _) = chat_with(&server);
        assert!(chat.send("  ".into(), vec![]).is_none());
        assert!(chat.send("one".into(), vec![]).is_some());
        assert!(chat.send("one".into(), vec![]).is_none());
        run_until_stalled();
        assert_eq!(server.received.borrow().len(), 1);
    }

    #[test]
    fn a_refused_send_is_kept_not_sent_and_retry_sends_it_again() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Refuse(refused(401)));
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["ok"]));
        let (chat, changes) = chat_with(&server);
        let id = chat.send("keep me".into(), vec![]).unwrap();
        run_until_stalled();
        let m = chat.with(|c| c.get(id).cloned()).unwrap();
        assert_eq!(m.status, Status::NotSent);
        assert_eq!(m.problem, Some(Problem::Send(refused(401))));
        assert_eq!(chat.with(|c| c.outbox().count()), 1);
        assert!(!changes
            .borrow()
            .iter()
            .any(|c| matches!(c, Change::Accepted(_))));
        chat.retry(id);
        run_until_stalled();
        assert_eq!(
            statuses(&chat),
            [
                (Role::User, Status::Done, "keep me".into()),
                (Role::Agent, Status::Done, "ok".into())
            ]
        );
        assert_eq!(chat.with(|c| c.outbox().count()), 0);
        assert_eq!(server.received.borrow().len(), 2);
    }

    #[test]
    fn edit_takes_a_message_not_sent_back_to_the_composer() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Refuse(refused(500)));
        let (chat, changes) = chat_with(&server);
        let id = chat.send("typo".into(), vec![]).unwrap();
        run_until_stalled();
        chat.edit(id);
        assert!(chat.with(|c| c.messages.is_empty()));
        assert!(changes.borrow().contains(&Change::Edit("typo".into())));
    }

    #[test]
    fn a_broken_answer_keeps_what_arrived_and_retry_asks_again() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Break(vec!["half"], ClientError::Truncated));
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["whole"]));
        let (chat, _) = chat_with(&server);
        chat.send("q".into(), vec![]);
        run_until_stalled();
        assert_eq!(
            statuses(&chat),
            [
                (Role::User, Status::Done, "q".into()),
                (Role::Agent, Status::Failed, "half".into())
            ]
        );
        let answer = chat.with(|c| c.messages[1].id);
        chat.retry(answer);
        run_until_stalled();
        assert_eq!(
            statuses(&chat),
            [
                (Role::User, Status::Done, "q".into()),
                (Role::Agent, Status::Done, "whole".into())
            ]
        );
    }

    #[test]
    fn stop_keeps_what_arrived_marked_stopped_and_tells_the_service() {
        let server = Rc::new(FakeServer::default());
        let (release, held) = oneshot::channel();
        server
            .script
            .borrow_mut()
            .push_back(Script::Hold(vec!["partial"], held));
        let (chat, _) = chat_with(&server);
        chat.send("q".into(), vec![]);
        run_until_stalled();
        assert_eq!(statuses(&chat)[1].1, Status::Streaming);
        chat.stop();
        release.send(()).unwrap();
        run_until_stalled();
        assert_eq!(
            statuses(&chat)[1],
            (Role::Agent, Status::Stopped, "partial".into())
        );
        assert_eq!(server.stops.get(), 1);
        assert!(!chat.busy());
    }

    #[test]
    fn reset_drops_the_answer_in_flight_and_starts_a_new_session() {
        let server = Rc::new(FakeServer::default());
        let (release, held) = oneshot::channel();
        server
            .script
            .borrow_mut()
            .push_back(Script::Hold(vec!["x"], held));
        let (chat, _) = chat_with(&server);
        chat.send("q".into(), vec![]);
        run_until_stalled();
        chat.reset();
        release.send(()).unwrap();
        run_until_stalled();
        assert!(chat.with(|c| c.messages.is_empty()));
        assert_ne!(chat.session_id(), "agent-s0");
        assert!(chat.session_id().starts_with("agent-"));
    }

    #[test]
    fn leaving_mid_answer_then_restoring_gives_an_interrupted_answer_with_retry() {
        let server = Rc::new(FakeServer::default());
        let (_release, held) = oneshot::channel();
        server
            .script
            .borrow_mut()
            .push_back(Script::Hold(vec!["first words"], held));
        let (chat, _) = chat_with(&server);
        chat.send("q".into(), vec![]);
        run_until_stalled();
        // What the throttled save wrote mid-answer, then the page went.
        let mid_answer = chat.with(Conversation::to_json);
        chat.page_leaving();
        let on_leaving = chat.with(Conversation::to_json);
        for json in [mid_answer, on_leaving] {
            let restored = Conversation::restore(&json, None).unwrap();
            let answer = &restored.messages[1];
            assert_eq!(answer.status, Status::Interrupted);
            assert_eq!(answer.text, "first words");
            assert!(answer.retryable());
        }
    }

    #[test]
    fn a_request_broken_by_leaving_the_page_is_interrupted_not_failed() {
        let server = Rc::new(FakeServer::default());
        server.script.borrow_mut().push_back(Script::Break(
            vec!["so far"],
            ClientError::Dropped("network error".into()),
        ));
        let (chat, changes) = chat_with(&server);
        chat.send("q".into(), vec![]);
        chat.set_leaving(true);
        run_until_stalled();
        assert_eq!(
            statuses(&chat)[1],
            (Role::Agent, Status::Interrupted, "so far".into())
        );
        assert!(!changes
            .borrow()
            .iter()
            .any(|c| matches!(c, Change::Event(ChatEvent::Error { .. }))));
    }

    #[test]
    fn offline_messages_queue_and_go_once_when_sent_from_the_queue() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["a"]));
        let (chat, _) = chat_with(&server);
        chat.set_online(false);
        let id = chat.send("later".into(), vec![]).unwrap();
        run_until_stalled();
        assert!(server.received.borrow().is_empty());
        assert_eq!(chat.with(|c| c.queued().count()), 1);
        chat.set_online(true);
        assert!(chat.send_queued());
        assert!(!chat.send_queued(), "one at a time");
        run_until_stalled();
        assert!(!chat.send_queued(), "nothing left");
        assert_eq!(server.received.borrow().len(), 1);
        assert_eq!(chat.with(|c| c.get(id).unwrap().status), Status::Done);
    }

    #[test]
    fn an_answer_while_closed_counts_as_unread_until_opened() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["a"]));
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["b"]));
        let (chat, changes) = chat_with(&server);
        chat.send("1".into(), vec![]);
        run_until_stalled();
        chat.send("2".into(), vec![]);
        run_until_stalled();
        assert_eq!(chat.with(|c| c.unread), 2);
        assert!(changes
            .borrow()
            .contains(&Change::Event(ChatEvent::Unread { count: 2 })));
        chat.set_open(true);
        assert_eq!(chat.with(|c| c.unread), 0);
        assert!(changes
            .borrow()
            .contains(&Change::Event(ChatEvent::Unread { count: 0 })));
    }

    #[test]
    fn files_go_as_assets_with_the_configured_ones() {
        let server = Rc::new(FakeServer::default());
        server
            .script
            .borrow_mut()
            .push_back(Script::Answer(vec!["a"]));
        let (chat, _) = chat_with(&server);
        chat.update_settings(|s| s.fields.assets = Some(vec!["cfg-1".into()]));
        let file = FileRef {
            name: "r.pdf".into(),
            size: 3,
            mime: "application/pdf".into(),
            asset_id: Some("up-1".into()),
        };
        chat.send("see file".into(), vec![file]);
        run_until_stalled();
        assert_eq!(
            server.received.borrow()[0].fields.assets.as_deref(),
            Some(&["cfg-1".to_string(), "up-1".to_string()][..])
        );
    }

    #[test]
    fn history_fills_an_empty_conversation_and_a_failure_is_a_notice() {
        let server = Rc::new(FakeServer::default());
        let (chat, changes) = chat_with(&server);
        assert!(chat.wants_history());
        *server.history.borrow_mut() = Some(Err(refused(500)));
        crate::spawn(chat.clone().load_history());
        run_until_stalled();
        assert!(changes
            .borrow()
            .contains(&Change::Notice(Some(Notice::HistoryFailed(refused(500))))));
        assert!(
            chat.with(|c| c.older),
            "retry offered at the top of the list"
        );
        *server.history.borrow_mut() = Some(Ok(vec![
            HistoryItem {
                role: Role::User,
                text: "old q".into(),
                created_ms: Some(5),
            },
            HistoryItem {
                role: Role::Agent,
                text: "old a".into(),
                created_ms: Some(6),
            },
        ]));
        crate::spawn(chat.clone().load_history());
        run_until_stalled();
        assert_eq!(
            statuses(&chat),
            [
                (Role::User, Status::Done, "old q".into()),
                (Role::Agent, Status::Done, "old a".into())
            ]
        );
        assert!(!chat.wants_history());
    }
}
