//! The conversation as a pure, serialisable model: messages with their
//! parts, status and timestamps, the session id and the unread count. No
//! web APIs and no words for people (the `ui` layer chooses those): it is
//! tested natively, saved as JSON, restored on the next page, and merged
//! with what another tab saved.
//!
//! The outbox is not kept beside the messages: it is the visitor's messages
//! the server has not accepted yet ([`Conversation::outbox`]).

use super::saved;
use crate::client::ClientError;
use lyzr_chat_protocol::Json;
use lyzr_chat_protocol::{Artifact, Step};

/// The saved format's version. A saved value of another version is dropped.
pub const SCHEMA_VERSION: u32 = 1;
/// At most this many messages are kept (the newest); older ones come back
/// from the server's history when the visitor scrolls up.
pub const MAX_MESSAGES: usize = 200;
/// At most this many bytes of JSON are kept: localStorage is the host
/// site's, shared with its own data.
pub const MAX_BYTES: usize = 512 * 1024;

/// Who a message speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Agent,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A visitor's message not accepted yet: on its way, or queued (see
    /// [`Message::sent`]).
    Pending,
    /// An answer still arriving.
    Streaming,
    Done,
    /// An answer cut short by Stop.
    Stopped,
    /// An answer that was arriving when the page was left: what arrived is
    /// kept, and it is never resumed as if complete.
    Interrupted,
    /// An answer that broke off with an error.
    Failed,
    /// A visitor's message the server did not accept (Retry and Edit).
    NotSent,
}

/// A file attached to a visitor's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub name: String,
    pub size: u64,
    pub mime: String,
    /// The id the upload gave it (sent as one of `assets`).
    pub asset_id: Option<String>,
}

/// What a message carries besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    /// `<think>` reasoning, shown folded, never mixed into the text.
    pub thinking: String,
    /// Files the visitor attached.
    pub files: Vec<FileRef>,
    /// Files the agent produced.
    pub artifacts: Vec<Artifact>,
    /// `<artifacts>` blocks that were not JSON (raw, trimmed): shown as a
    /// note apart from the answer. Not saved (the note goes with a reload).
    pub files_notes: Vec<String>,
    /// A tool the agent asked the page to run (`local_tool_call`).
    pub tool_call: Option<String>,
    /// The chat reply's `message_id` (its `metadata` and `tool_calls` go
    /// to the host page in `message-received`, unsaved).
    pub message_id: Option<String>,
    /// The agent's steps (activity), shown live and then folded. Not saved:
    /// a restored answer shows its text only.
    pub steps: Vec<Step>,
}

impl Parts {
    pub(crate) fn is_empty(&self) -> bool {
        self.thinking.is_empty()
            && self.files.is_empty()
            && self.artifacts.is_empty()
            && self.tool_call.is_none()
            && self.message_id.is_none()
    }
}

/// Why a message failed, or why it stands where it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The send failed (for a visitor's message) or broke off (an answer).
    Send(ClientError),
    /// The page was left before the server had accepted the message.
    PageLeft,
    /// Its files did not upload, so it was not sent: the whole upload
    /// failed (`Some`), or the service refused some files (`None`; each
    /// file's reason is on its chip).
    Upload(Option<ClientError>),
    /// Its files are no longer attached (the page was reloaded before they
    /// uploaded): it cannot be sent without them.
    FilesMissing,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Unique across tabs (the caller makes it random).
    pub id: u64,
    pub role: Role,
    pub text: String,
    pub parts: Parts,
    pub status: Status,
    pub problem: Option<Problem>,
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Bumped on every change: when two tabs saved one message, the higher
    /// revision wins.
    pub rev: u32,
    /// A visitor's message whose request was started (false: queued, not
    /// on the wire yet, so sending it later cannot duplicate it).
    pub sent: bool,
    /// An answer: the visitor's message it answers.
    pub answers: Option<u64>,
    /// Loaded from the server's history (not sent from here).
    pub from_history: bool,
}

impl Message {
    fn new(id: u64, role: Role, text: &str, status: Status, now_ms: u64) -> Self {
        Self {
            id,
            role,
            text: text.to_string(),
            parts: Parts::default(),
            status,
            problem: None,
            created_ms: now_ms,
            rev: 0,
            sent: false,
            answers: None,
            from_history: false,
        }
    }

    /// A visitor's message the server has not accepted.
    pub fn unaccepted(&self) -> bool {
        self.role == Role::User && matches!(self.status, Status::Pending | Status::NotSent)
    }

    /// Offers Retry: a message not sent, or an answer that did not finish.
    pub fn retryable(&self) -> bool {
        matches!(
            self.status,
            Status::NotSent | Status::Failed | Status::Interrupted
        )
    }
}

/// Why a saved value was not restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    /// Not JSON of this shape (corrupted, or written by something else).
    Unreadable(String),
    /// Written by another version of the widget.
    Version(u64),
    /// Saved for another session than the one asked for.
    OtherSession,
}

/// One entry of the server's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    pub role: Role,
    pub text: String,
    pub created_ms: Option<u64>,
}

/// The conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub session_id: String,
    pub messages: Vec<Message>,
    /// Answers that arrived while the panel was closed.
    pub unread: u32,
    /// The server holds older messages than these (dropped by the cap).
    pub older: bool,
}

impl Conversation {
    pub fn new(session_id: String) -> Self {
        Self {
            session_id,
            messages: Vec::new(),
            unread: 0,
            older: false,
        }
    }

    /// The visitor's messages the server has not accepted yet, oldest first.
    pub fn outbox(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| m.unaccepted())
    }

    /// Queued messages: in the outbox and never put on the wire.
    pub fn queued(&self) -> impl Iterator<Item = &Message> {
        self.messages
            .iter()
            .filter(|m| m.role == Role::User && m.status == Status::Pending && !m.sent)
    }

    pub fn get(&self, id: u64) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// Changes one message (its revision goes up). False if it is gone.
    pub fn update(&mut self, id: u64, change: impl FnOnce(&mut Message)) -> bool {
        match self.get_mut(id) {
            Some(m) => {
                change(m);
                m.rev += 1;
                true
            }
            None => false,
        }
    }

    /// One copy of the search for `update`'s many instances.
    #[inline(never)]
    fn get_mut(&mut self, id: u64) -> Option<&mut Message> {
        self.messages.iter_mut().find(|m| m.id == id)
    }

    /// Adds a visitor's message, pending.
    pub fn add_user(&mut self, id: u64, text: &str, files: Vec<FileRef>, now_ms: u64) -> u64 {
        let mut m = Message::new(id, Role::User, text, Status::Pending, now_ms);
        m.parts.files = files;
        self.messages.push(m);
        id
    }

    /// Adds an answer to `question`, streaming.
    pub fn add_answer(&mut self, id: u64, question: u64, now_ms: u64) -> u64 {
        let mut m = Message::new(id, Role::Agent, "", Status::Streaming, now_ms);
        m.answers = Some(question);
        self.messages.push(m);
        id
    }

    /// Adds a finished message from the agent (a welcome, say).
    pub fn add_agent_note(&mut self, id: u64, text: &str, now_ms: u64) {
        self.messages
            .push(Message::new(id, Role::Agent, text, Status::Done, now_ms));
    }

    /// Removes a message.
    pub fn remove(&mut self, id: u64) {
        self.messages.retain(|m| m.id != id);
    }

    /// The text to send again for a retryable message: its own for a visitor's
    /// message, the question's for an answer.
    pub fn retry_text(&self, id: u64) -> Option<(String, Vec<FileRef>)> {
        let m = self.get(id).filter(|m| m.retryable())?;
        let question = match m.role {
            Role::User => m,
            Role::Agent => self.get(m.answers?)?,
        };
        Some((question.text.clone(), question.parts.files.clone()))
    }

    /// Serialises for storage: `{"v": SCHEMA_VERSION, ...}` (the format is
    /// in `saved.rs`).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        saved::write_conversation(self, SCHEMA_VERSION, &mut out);
        out
    }

    /// Reads a saved value. `session`, when given, must match.
    ///
    /// What a page left half-done is settled as the page that left would
    /// have: an answer still streaming is [`Status::Interrupted`], a message
    /// that was on its way is [`Status::NotSent`] (it may or may not have
    /// reached the server: the visitor decides). Queued messages stay
    /// pending, to be sent.
    pub fn restore(json: &str, session: Option<&str>) -> Result<Self, RestoreError> {
        let mut conversation = Self::parse(json)?;
        if session.is_some_and(|s| s != conversation.session_id) {
            return Err(RestoreError::OtherSession);
        }
        conversation.settle_left_page();
        Ok(conversation)
    }

    /// Reads a saved value as it is (another tab's live state).
    pub fn parse(json: &str) -> Result<Self, RestoreError> {
        let value = Json::parse(json).map_err(|e| RestoreError::Unreadable(e.to_string()))?;
        let version = value
            .get("v")
            .and_then(Json::as_u64)
            .ok_or_else(|| RestoreError::Unreadable("no schema version".into()))?;
        if version != u64::from(SCHEMA_VERSION) {
            return Err(RestoreError::Version(version));
        }
        let (_, conversation) =
            saved::read_conversation(&value).map_err(RestoreError::Unreadable)?;
        Ok(conversation)
    }

    /// Marks what was in flight when the page went away (see [`restore`]).
    ///
    /// [`restore`]: Conversation::restore
    pub fn settle_left_page(&mut self) {
        for m in &mut self.messages {
            match (m.role, m.status) {
                (Role::Agent, Status::Streaming) => {
                    m.status = Status::Interrupted;
                    m.rev += 1;
                }
                (Role::User, Status::Pending) if m.sent => {
                    m.status = Status::NotSent;
                    m.problem = Some(Problem::PageLeft);
                    m.rev += 1;
                }
                _ => {}
            }
        }
    }

    /// Keeps the newest [`MAX_MESSAGES`] and at most [`MAX_BYTES`] of JSON
    /// (never dropping the outbox); `older` records that some were dropped.
    pub fn cap(&mut self) {
        self.cap_to(MAX_MESSAGES, MAX_BYTES);
    }

    fn cap_to(&mut self, max_messages: usize, max_bytes: usize) {
        let droppable = |m: &Message| !m.unaccepted();
        while self.messages.len() > max_messages {
            match self.messages.iter().position(droppable) {
                Some(at) => {
                    self.messages.remove(at);
                    self.older = true;
                }
                None => break,
            }
        }
        // Size: measured once, then each dropped message's own size is taken off.
        let mut size = self.to_json().len();
        while size > max_bytes {
            let Some(at) = self.messages.iter().position(droppable) else {
                break;
            };
            let dropped = self.messages.remove(at);
            let mut json = String::new();
            saved::write_message(&dropped, &mut json);
            size = size.saturating_sub(json.len() + 1);
            self.older = true;
        }
    }

    /// Takes in what another tab saved. Their copy is the newer view of
    /// everything, except messages this tab is working on (`mine`), which
    /// keep this tab's version when it is at least as new.
    pub fn merge_from(&mut self, theirs: Conversation, mine: &[u64]) {
        if theirs.session_id != self.session_id {
            *self = theirs; // a new conversation started over there
            return;
        }
        let mut merged = theirs;
        let mut added = false;
        for id in mine {
            let Some(ours) = self.get(*id) else { continue };
            match merged.messages.iter_mut().find(|m| m.id == *id) {
                Some(m) if m.rev <= ours.rev => *m = ours.clone(),
                Some(_) => {}
                None => {
                    merged.messages.push(ours.clone());
                    added = true;
                }
            }
        }
        if added {
            sort_by_time(&mut merged.messages);
        }
        *self = merged;
    }

    /// Puts the server's history in: all of it when there is nothing here
    /// yet, else the part older than the oldest message here. Returns how
    /// many messages were added. `ids` makes an id per message.
    pub fn add_history(&mut self, items: Vec<HistoryItem>, mut ids: impl FnMut() -> u64) -> usize {
        let known: Vec<&Message> = self.messages.iter().filter(|m| !m.unaccepted()).collect();
        let cut = match known.first() {
            None => items.len(),
            Some(first) => {
                // The history's copy of our oldest known message, searching
                // from the end; else by count.
                let same = items
                    .iter()
                    .rposition(|i| i.role == first.role && i.text == first.text);
                same.unwrap_or(items.len().saturating_sub(known.len()))
            }
        };
        let oldest_here = self
            .messages
            .first()
            .map(|m| m.created_ms)
            .unwrap_or(u64::MAX);
        let older: Vec<Message> = items
            .into_iter()
            .take(cut)
            .enumerate()
            .map(|(n, item)| {
                // Without a server time, keep the order just before ours.
                let created = item.created_ms.unwrap_or_else(|| {
                    oldest_here
                        .saturating_sub(1_000_000)
                        .saturating_add(n as u64)
                });
                let mut m = Message::new(ids(), item.role, &item.text, Status::Done, created);
                m.from_history = true;
                m
            })
            .collect();
        let added = older.len();
        self.messages.splice(0..0, older);
        self.older = false;
        added
    }
}

/// Orders messages by time, a question before its answer at the same
/// time, keeping the order of equals. An insertion sort: the list is
/// nearly sorted already, and the standard library's sort would add its
/// code (several KB) to the wasm.
fn sort_by_time(messages: &mut [Message]) {
    let key = |m: &Message| (m.created_ms, m.role == Role::Agent);
    for i in 1..messages.len() {
        let mut j = i;
        while j > 0 && key(&messages[j - 1]) > key(&messages[j]) {
            messages.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lyzr_chat_protocol::ApiError;

    fn conversation_with(n: usize) -> Conversation {
        let mut c = Conversation::new("agent-s1".into());
        for i in 0..n as u64 {
            let id = c.add_user(i * 2 + 1, &format!("question {i}"), vec![], 1000 + i * 10);
            c.update(id, |m| {
                m.status = Status::Done;
                m.sent = true;
            });
            let a = c.add_answer(i * 2 + 2, id, 1000 + i * 10 + 5);
            c.update(a, |m| {
                m.text = format!("answer {i}");
                m.status = Status::Done;
            });
        }
        c
    }

    #[test]
    fn round_trips_through_json() {
        let mut c = conversation_with(3);
        c.messages[1].parts.thinking = "hmm".into();
        c.messages[1].parts.artifacts.push(Artifact {
            name: "a.csv".into(),
            url: "https://x/a.csv".into(),
            format: Some("csv".into()),
        });
        c.messages[0].parts.files.push(FileRef {
            name: "r.pdf".into(),
            size: 12,
            mime: "application/pdf".into(),
            asset_id: Some("as-1".into()),
        });
        c.unread = 2;
        let json = c.to_json();
        assert!(json.starts_with("{\"v\":1,"), "{json}");
        assert_eq!(Conversation::restore(&json, Some("agent-s1")).unwrap(), c);
    }

    #[test]
    fn restore_refuses_corrupted_old_and_foreign_values() {
        assert!(matches!(
            Conversation::restore("{not json", None),
            Err(RestoreError::Unreadable(_))
        ));
        assert!(matches!(
            Conversation::restore("[\"hello\"]", None),
            Err(RestoreError::Unreadable(_))
        ));
        assert!(matches!(
            Conversation::restore(r#"{"session_id":"s","messages":[]}"#, None),
            Err(RestoreError::Unreadable(_))
        ));
        assert_eq!(
            Conversation::restore(r#"{"v":0,"session_id":"s","messages":[]}"#, None),
            Err(RestoreError::Version(0))
        );
        assert!(matches!(
            Conversation::restore(r#"{"v":1,"session_id":"s","messages":[{"id":"x"}]}"#, None),
            Err(RestoreError::Unreadable(_))
        ));
        let json = conversation_with(1).to_json();
        assert_eq!(
            Conversation::restore(&json, Some("agent-other")),
            Err(RestoreError::OtherSession)
        );
    }

    #[test]
    fn outbox_is_derived_from_the_messages() {
        let mut c = conversation_with(1);
        assert_eq!(c.outbox().count(), 0);
        let q = c.add_user(10, "queued", vec![], 5000);
        let s = c.add_user(11, "on its way", vec![], 5001);
        c.update(s, |m| m.sent = true);
        let f = c.add_user(12, "refused", vec![], 5002);
        c.update(f, |m| {
            m.sent = true;
            m.status = Status::NotSent;
        });
        let texts: Vec<&str> = c.outbox().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["queued", "on its way", "refused"]);
        assert_eq!(c.queued().map(|m| m.id).collect::<Vec<_>>(), [q]);
        c.update(s, |m| m.status = Status::Done);
        assert_eq!(c.outbox().count(), 2);
    }

    #[test]
    fn a_page_left_mid_answer_comes_back_interrupted_and_never_complete() {
        let mut c = conversation_with(1);
        let q = c.add_user(10, "long question", vec![], 5000);
        c.update(q, |m| {
            m.sent = true;
            m.status = Status::Done;
        });
        let a = c.add_answer(11, q, 5001);
        c.update(a, |m| m.text = "the first half".into());
        let json = c.to_json();
        let back = Conversation::restore(&json, None).unwrap();
        let answer = back.get(a).unwrap();
        assert_eq!(answer.status, Status::Interrupted);
        assert_eq!(answer.text, "the first half");
        assert!(answer.retryable());
        assert_eq!(back.retry_text(a).unwrap().0, "long question");
    }

    #[test]
    fn a_message_on_its_way_comes_back_not_sent_and_a_queued_one_stays_queued() {
        let mut c = Conversation::new("s".into());
        let on_wire = c.add_user(1, "sent", vec![], 1);
        c.update(on_wire, |m| m.sent = true);
        let queued = c.add_user(2, "queued", vec![], 2);
        let back = Conversation::restore(&c.to_json(), None).unwrap();
        assert_eq!(back.get(on_wire).unwrap().status, Status::NotSent);
        assert_eq!(back.get(on_wire).unwrap().problem, Some(Problem::PageLeft));
        assert_eq!(back.get(queued).unwrap().status, Status::Pending);
        assert_eq!(back.queued().count(), 1);
    }

    #[test]
    fn the_cap_keeps_the_newest_200_and_the_outbox() {
        let mut c = conversation_with(150); // 300 messages
        let unsent = c.add_user(9999, "not sent", vec![], 1);
        c.update(unsent, |m| m.status = Status::NotSent);
        c.messages.rotate_right(1); // the unsent one is the oldest
        c.cap();
        assert_eq!(c.messages.len(), MAX_MESSAGES);
        assert!(c.older);
        assert!(c.get(unsent).is_some(), "the outbox is never dropped");
        assert_eq!(c.messages.last().unwrap().text, "answer 149");
    }

    #[test]
    fn the_cap_keeps_the_json_under_512_kb() {
        let mut c = conversation_with(60);
        for m in &mut c.messages {
            m.text = "x".repeat(20_000);
        }
        assert!(c.to_json().len() > MAX_BYTES);
        c.cap();
        let size = c.to_json().len();
        assert!(size <= MAX_BYTES, "{size}");
        assert!(size > MAX_BYTES - 25_000, "dropped too much: {size}");
        assert!(c.older);
    }

    #[test]
    fn merge_takes_theirs_but_keeps_my_message_in_flight() {
        let mut mine = conversation_with(1);
        let mut theirs = mine.clone();
        // They answered a new question; I am streaming an answer of my own.
        let tq = theirs.add_user(50, "their question", vec![], 3000);
        theirs.update(tq, |m| m.status = Status::Done);
        let q = mine.add_user(60, "my question", vec![], 3100);
        mine.update(q, |m| {
            m.sent = true;
            m.status = Status::Done;
        });
        let a = mine.add_answer(61, q, 3101);
        mine.update(a, |m| m.text = "partial".into());
        mine.merge_from(theirs, &[q, a]);
        let texts: Vec<&str> = mine.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "question 0",
                "answer 0",
                "their question",
                "my question",
                "partial"
            ]
        );
    }

    #[test]
    fn sorting_by_time_is_stable_and_puts_questions_first() {
        let mut c = Conversation::new("s".into());
        c.add_agent_note(1, "answer at 5", 5);
        c.add_user(2, "question at 5", vec![], 5);
        c.add_user(3, "first at 1", vec![], 1);
        c.add_user(4, "second at 1", vec![], 1);
        sort_by_time(&mut c.messages);
        let ids: Vec<u64> = c.messages.iter().map(|m| m.id).collect();
        assert_eq!(ids, [3, 4, 2, 1]);
    }

    #[test]
    fn merge_prefers_the_higher_revision_of_a_message_in_flight() {
        let mut mine = conversation_with(1);
        let id = mine.messages[1].id;
        let mut theirs = mine.clone();
        theirs.update(id, |m| m.text = "newer over there".into());
        theirs.update(id, |m| m.text = "newer over there!".into());
        mine.update(id, |m| m.text = "older here".into());
        mine.merge_from(theirs, &[id]);
        assert_eq!(mine.get(id).unwrap().text, "newer over there!");
    }

    #[test]
    fn merge_adopts_a_new_session_started_elsewhere() {
        let mut mine = conversation_with(2);
        let theirs = Conversation::new("agent-s2".into());
        mine.merge_from(theirs.clone(), &[1]);
        assert_eq!(mine, theirs);
    }

    #[test]
    fn history_fills_an_empty_conversation_and_only_prepends_older_messages() {
        let items: Vec<HistoryItem> = (0..6)
            .map(|i| HistoryItem {
                role: if i % 2 == 0 { Role::User } else { Role::Agent },
                text: format!("h{i}"),
                created_ms: Some(100 + i),
            })
            .collect();
        let mut next = 1000;
        let mut ids = || {
            next += 1;
            next
        };
        let mut empty = Conversation::new("s".into());
        assert_eq!(empty.add_history(items.clone(), &mut ids), 6);
        assert!(empty
            .messages
            .iter()
            .all(|m| m.from_history && m.status == Status::Done));

        // Here: the last two (h4, h5), capped; the server has all six.
        let mut capped = Conversation::new("s".into());
        let q = capped.add_user(1, "h4", vec![], 104);
        capped.update(q, |m| m.status = Status::Done);
        let a = capped.add_answer(2, q, 105);
        capped.update(a, |m| {
            m.text = "h5".into();
            m.status = Status::Done;
        });
        capped.older = true;
        assert_eq!(capped.add_history(items, &mut ids), 4);
        let texts: Vec<&str> = capped.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["h0", "h1", "h2", "h3", "h4", "h5"]);
        assert!(!capped.older);
    }

    #[test]
    fn failures_are_kept_as_typed_values() {
        let mut c = Conversation::new("s".into());
        let id = c.add_user(1, "hi", vec![], 1);
        c.update(id, |m| {
            m.status = Status::NotSent;
            m.problem = Some(Problem::Send(ClientError::Api(ApiError::from_response(
                401,
                r#"{"detail":"Invalid API key"}"#,
            ))));
        });
        let back = Conversation::restore(&c.to_json(), None).unwrap();
        assert_eq!(back, c);
    }
}
