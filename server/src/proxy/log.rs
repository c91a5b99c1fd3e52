//! The proxy's structured logs: `tracing` events and spans, written by
//! tracing-subscriber's JSON formatter one object per line (on stderr, or in
//! memory for tests), and the request ids that tie a log line to a response.

use axum::http::{HeaderValue, Request};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Dispatch;
use tracing_subscriber::fmt::MakeWriter;

/// Where the proxy's log lines go: a `tracing` dispatcher whose subscriber
/// formats every event as one flat JSON object (`timestamp`, `level`, the
/// event's fields, and `span` with the request id when the event happens
/// while a request is served). Each proxy carries its own, so tests running
/// several proxies in one process read each one's lines apart.
#[derive(Clone)]
pub struct LogSink {
    dispatch: Dispatch,
}

impl Default for LogSink {
    fn default() -> Self {
        Self::stderr()
    }
}

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

/// The JSON subscriber writing to `writer`: events at `info` and above,
/// fields flattened into the line, the current span (the request) named.
fn json_dispatch<W>(writer: W) -> Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Dispatch::new(
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(writer)
            .finish(),
    )
}

impl LogSink {
    /// One line per event on stderr (the binary). All of these share one
    /// subscriber, which the binary also installs as the global default.
    pub fn stderr() -> Self {
        static STDERR: OnceLock<Dispatch> = OnceLock::new();
        Self {
            dispatch: STDERR
                .get_or_init(|| json_dispatch(std::io::stderr))
                .clone(),
        }
    }

    /// A sink in memory, and the handle to read its lines.
    pub fn memory() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let writer = MemoryLines {
            lines: lines.clone(),
            partial: Arc::default(),
        };
        (
            Self {
                dispatch: json_dispatch(writer),
            },
            lines,
        )
    }

    /// The `tracing` dispatcher behind this sink.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Runs `f` with this sink as the current `tracing` dispatcher: the
    /// events it emits (and spans it opens) are written here.
    pub fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }
}

/// Collects whole lines in memory (tests read them back).
#[derive(Clone)]
struct MemoryLines {
    lines: Arc<Mutex<Vec<String>>>,
    partial: Arc<Mutex<Vec<u8>>>,
}

impl Write for MemoryLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut partial = self.partial.lock().unwrap_or_else(|e| e.into_inner());
        partial.extend_from_slice(buf);
        while let Some(end) = partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            self.lines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for MemoryLines {
    type Writer = MemoryLines;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Request ids: a per-process prefix and a counter (`3f2a9c-17`), unique
/// across copies of the proxy for all practical purposes. Given to
/// tower-http's `SetRequestIdLayer`, which puts each on its request.
#[derive(Debug, Clone)]
pub struct RequestIds {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let seed = (u64::from(std::process::id()) << 32) ^ u64::from(nanos);
        Self {
            prefix: format!("{:06x}", seed % 0xff_ffff).into(),
            next: Arc::new(AtomicU64::new(1)),
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

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&self.next()).ok().map(RequestId::new)
    }
}

/// The request's id, as `SetRequestIdLayer` set it ("-" if none).
pub(crate) fn request_id_of<B>(req: &Request<B>) -> String {
    req.extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sink_keeps_one_json_object_per_event_with_its_span() {
        let (sink, lines) = LogSink::memory();
        sink.in_scope(|| {
            let span = tracing::info_span!("request", request_id = "ab-1");
            let _in = span.enter();
            tracing::warn!(event = "probe", status = 429u64, note = "x");
            tracing::debug!(event = "too_fine");
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["event"], "probe");
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["status"], 429);
        assert_eq!(v["span"]["request_id"], "ab-1", "{v}");
        assert!(v["timestamp"].is_string(), "{v}");
    }

    #[test]
    fn request_ids_are_unique_and_prefixed() {
        let mut ids = RequestIds::default();
        let a = ids.make_request_id(&Request::new(())).unwrap();
        let b = ids.make_request_id(&Request::new(())).unwrap();
        assert_ne!(a.header_value(), b.header_value());
        assert!(a.header_value().to_str().unwrap().ends_with("-1"));
    }
}
