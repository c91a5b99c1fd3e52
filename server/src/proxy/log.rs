//! The proxy's structured logs: one JSON object per line on stderr (or in
//! memory, for tests), and the request ids that tie a log line to a response.

use serde_json::{Map, Value};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where log lines go.
#[derive(Clone, Default)]
pub enum LogSink {
    /// One line per event on stderr (the binary).
    #[default]
    Stderr,
    /// Kept in memory (tests read them back).
    Memory(Arc<Mutex<Vec<String>>>),
}

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogSink::Stderr => "Stderr",
            LogSink::Memory(_) => "Memory",
        })
    }
}

impl LogSink {
    /// A sink in memory, and the handle to read it.
    pub fn memory() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        (LogSink::Memory(lines.clone()), lines)
    }

    /// Writes one event: `level`, `event` and the given fields, with a timestamp.
    pub fn emit(&self, level: &str, event: &str, fields: Map<String, Value>) {
        let mut line = Map::new();
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        line.insert("ts_ms".into(), ts.into());
        line.insert("level".into(), level.into());
        line.insert("event".into(), event.into());
        line.extend(fields);
        let text = Value::Object(line).to_string();
        match self {
            LogSink::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
            LogSink::Memory(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).push(text),
        }
    }
}

/// Request ids: a per-process prefix and a counter (`3f2a9c-17`), unique
/// across copies of the proxy for all practical purposes.
#[derive(Debug)]
pub struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let seed = (u64::from(std::process::id()) << 32) ^ u64::from(nanos);
        Self {
            prefix: format!("{:06x}", seed % 0xff_ffff),
            next: AtomicU64::new(1),
        }
    }
}

impl RequestIds {
    pub fn next(&self) -> String {
        format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}
