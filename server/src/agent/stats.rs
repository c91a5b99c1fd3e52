//! What the local agent has seen, shared with whoever started it: tests
//! count requests and read their timing here.

use lyzr_chat_protocol::ChatRequest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Sessions (and fault counters) remembered at most; past it, memory is
/// dropped whole.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct AgentStats {
    inner: Arc<Mutex<Inner>>,
    /// Uploaded files and the assets of each message.
    pub(crate) uploads: super::upload::Uploads,
}

#[derive(Debug, Default)]
struct Inner {
    /// (path, when) of every POST to chat or stream, accepted or not.
    posts: Vec<(&'static str, Instant)>,
    turns: HashMap<(String, String), u64>,
    faults: HashMap<(String, String), u64>,
    stops: HashMap<String, u64>,
}

impl AgentStats {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the agent knows of uploads: files, message assets, faults.
    pub fn uploads(&self) -> &super::upload::Uploads {
        &self.uploads
    }

    /// POSTs to the chat path, accepted or not.
    pub fn chat_posts(&self) -> u64 {
        self.posts_to(lyzr_chat_protocol::CHAT_PATH)
    }

    /// POSTs to the stream path, accepted or not.
    pub fn stream_posts(&self) -> u64 {
        self.posts_to(lyzr_chat_protocol::STREAM_PATH)
    }

    /// POSTs to chat and stream together: one per send, if the client is right.
    pub fn message_posts(&self) -> u64 {
        self.lock().posts.len() as u64
    }

    /// When each chat/stream POST arrived, in order.
    pub fn post_times(&self) -> Vec<Instant> {
        self.lock().posts.iter().map(|(_, at)| *at).collect()
    }

    fn posts_to(&self, path: &str) -> u64 {
        self.lock().posts.iter().filter(|(p, _)| *p == path).count() as u64
    }

    /// Accepted messages in one session of one agent.
    pub fn turns(&self, agent_id: &str, session_id: &str) -> u64 {
        self.lock()
            .turns
            .get(&(agent_id.to_string(), session_id.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Stop calls received for a session.
    pub fn stops(&self, session_id: &str) -> u64 {
        self.stop_generation(session_id)
    }

    pub(crate) fn record_post(&self, path: &'static str) {
        let mut inner = self.lock();
        if inner.posts.len() >= MAX_ENTRIES {
            inner.posts.clear();
        }
        inner.posts.push((path, Instant::now()));
    }

    pub(crate) fn record_turn(&self, req: &ChatRequest) -> u64 {
        let mut inner = self.lock();
        if inner.turns.len() >= MAX_ENTRIES {
            inner.turns.clear();
        }
        let n = inner
            .turns
            .entry((req.agent_id.clone(), req.session_id.clone()))
            .or_insert(0);
        *n += 1;
        *n
    }

    /// Counts a request carrying a fault; returns how many so far (1 = first).
    pub(crate) fn count_fault(&self, session_id: &str, message: &str) -> u64 {
        let mut inner = self.lock();
        if inner.faults.len() >= MAX_ENTRIES {
            inner.faults.clear();
        }
        let n = inner
            .faults
            .entry((session_id.to_string(), message.to_string()))
            .or_insert(0);
        *n += 1;
        *n
    }

    pub(crate) fn record_stop(&self, session_id: &str) {
        let mut inner = self.lock();
        if inner.stops.len() >= MAX_ENTRIES {
            inner.stops.clear();
        }
        *inner.stops.entry(session_id.to_string()).or_insert(0) += 1;
    }

    /// Changes whenever the session is stopped: a stream compares it with
    /// the value it started with.
    pub(crate) fn stop_generation(&self, session_id: &str) -> u64 {
        self.lock().stops.get(session_id).copied().unwrap_or(0)
    }
}
