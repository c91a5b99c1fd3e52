//! What the local agent has seen and remembers, shared with whoever started
//! it: tests count requests and read their timing here, and the session
//! memory behind `GET /v1/sessions/{session_id}/history` lives here.

use super::faults::Fault;
use lyzr_chat_protocol::{ChatRequest, HistoryEntry, HistoryRole};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Sessions (and fault counters) remembered at most; past it, memory is
/// dropped whole.
const MAX_ENTRIES: usize = 10_000;

/// Messages kept per session; past it, the oldest go.
pub const MAX_HISTORY: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct AgentStats {
    inner: Arc<Mutex<Inner>>,
    /// The activity sockets: who listens, scripted faults.
    pub events: super::events::Hub,
}

#[derive(Debug, Default)]
struct Inner {
    /// (path, session id if the body named one, when) of every POST to
    /// chat or stream, accepted or not.
    posts: Vec<(&'static str, Option<String>, Instant)>,
    turns: HashMap<(String, String), u64>,
    faults: HashMap<(String, String), u64>,
    stops: HashMap<String, u64>,
    /// Session memory, oldest first, by session id (as Lyzr keys history).
    history: HashMap<String, Vec<HistoryEntry>>,
    /// A fault scripted for a session's history calls, and how many of
    /// those calls it has met.
    history_faults: HashMap<String, (Fault, u64)>,
}

impl AgentStats {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
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
        self.lock().posts.iter().map(|(_, _, at)| *at).collect()
    }

    /// POSTs to chat and stream whose body named this session, accepted or
    /// not: "the outbox was sent exactly once" is `session_posts(id) == 1`.
    pub fn session_posts(&self, session_id: &str) -> u64 {
        self.lock()
            .posts
            .iter()
            .filter(|(_, s, _)| s.as_deref() == Some(session_id))
            .count() as u64
    }

    fn posts_to(&self, path: &str) -> u64 {
        self.lock()
            .posts
            .iter()
            .filter(|(p, _, _)| *p == path)
            .count() as u64
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

    pub(crate) fn record_post(&self, path: &'static str, session_id: Option<String>) {
        let mut inner = self.lock();
        if inner.posts.len() >= MAX_ENTRIES {
            inner.posts.clear();
        }
        inner.posts.push((path, session_id, Instant::now()));
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

    /// A session's memory, oldest first (empty for a session never seen).
    pub fn history(&self, session_id: &str) -> Vec<HistoryEntry> {
        self.lock()
            .history
            .get(session_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Replaces a session's memory with `count` alternating messages (user
    /// first), one minute apart and ending now: a long conversation for
    /// tests and benchmarks without sending it turn by turn.
    pub fn seed_history(&self, session_id: &str, count: usize) {
        let count = count.min(MAX_HISTORY);
        let now = SystemTime::now();
        let entries = (0..count)
            .map(|i| {
                let n = i + 1;
                let ago = Duration::from_secs(60 * (count - i) as u64);
                let (role, content) = if i % 2 == 0 {
                    (
                        HistoryRole::User,
                        format!("Seeded question {n} of {count}: what about item {n}?"),
                    )
                } else {
                    let list = if n % 10 == 0 {
                        "\n\n- first point\n- second point with `code`"
                    } else {
                        ""
                    };
                    (
                        HistoryRole::Assistant,
                        format!(
                            "Seeded answer {n} of {count}: item {} is **fine**.{list}",
                            n - 1
                        ),
                    )
                };
                HistoryEntry {
                    role,
                    content,
                    created_at: Some(iso8601(now.checked_sub(ago).unwrap_or(UNIX_EPOCH))),
                }
            })
            .collect();
        let mut inner = self.lock();
        if inner.history.len() >= MAX_ENTRIES {
            inner.history.clear();
        }
        inner.history.insert(session_id.to_string(), entries);
    }

    /// Adds one message to a session's memory, stamped now.
    pub(crate) fn remember(&self, session_id: &str, role: HistoryRole, content: &str) {
        let mut inner = self.lock();
        if inner.history.len() >= MAX_ENTRIES && !inner.history.contains_key(session_id) {
            inner.history.clear();
        }
        let entries = inner.history.entry(session_id.to_string()).or_default();
        if entries.len() >= MAX_HISTORY {
            entries.remove(0);
        }
        entries.push(HistoryEntry {
            role,
            content: content.to_string(),
            created_at: Some(iso8601(SystemTime::now())),
        });
    }

    /// Makes the history calls of a session misbehave (status, latency,
    /// `shape=wrapped`; `times=N` limits it to the first N calls). It
    /// replaces any fault scripted before for that session.
    pub fn script_history_fault(&self, session_id: &str, fault: Fault) {
        let mut inner = self.lock();
        if inner.history_faults.len() >= MAX_ENTRIES {
            inner.history_faults.clear();
        }
        inner
            .history_faults
            .insert(session_id.to_string(), (fault, 0));
    }

    /// The scripted fault for this history call of a session, if any applies.
    pub(crate) fn history_fault(&self, session_id: &str) -> Option<Fault> {
        let mut inner = self.lock();
        let (fault, seen) = inner.history_faults.get_mut(session_id)?;
        *seen += 1;
        match fault.times {
            Some(times) if *seen > times => None,
            _ => Some(fault.clone()),
        }
    }
}

/// `2026-11-27T20:30:06.123Z`: UTC, milliseconds, what `Date.parse` reads.
pub fn iso8601(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_date(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // Count from 0000-03-01 so that the leap day ends each 400-year era's
    // years, which makes month lengths a fixed pattern from March.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_dates() {
        let at = |secs: u64, ms: u64| {
            iso8601(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a 400-year leap day) 12:34:56.789
        assert_eq!(at(951_827_696, 789), "2000-02-29T12:34:56.789Z");
        assert_eq!(at(951_868_800, 0), "2000-03-01T00:00:00.000Z");
        // 2100 is not a leap year: 2100-02-28 is followed by 2100-03-01.
        assert_eq!(at(4_107_456_000, 0), "2100-02-28T00:00:00.000Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
        assert_eq!(at(1_798_761_599, 0), "2026-12-31T23:59:59.000Z");
    }

    #[test]
    fn seeded_history_alternates_oldest_first() {
        let stats = AgentStats::default();
        stats.seed_history("s", 5);
        let h = stats.history("s");
        assert_eq!(h.len(), 5);
        assert_eq!(h[0].role, HistoryRole::User);
        assert_eq!(h[1].role, HistoryRole::Assistant);
        assert_eq!(h[4].role, HistoryRole::User);
        assert!(h[0].content.contains("question 1 of 5"), "{}", h[0].content);
        let times: Vec<_> = h.iter().map(|e| e.created_at.clone().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "oldest first");
        assert!(stats.history("other").is_empty());
    }
}
