//! Network I/O of the widget: the only module that calls `fetch` (and, for
//! uploads with progress, XMLHttpRequest).
//!
//! [`send_message`] is one visitor message: streamed by default, falling
//! back once to the chat call when streaming is unavailable, retried
//! automatically only where the server cannot have accepted it (no response
//! at all, or 429/503 with `Retry-After`), with a timeout and Stop.

mod abort;
mod events;
pub mod lazy;
mod transport;
mod upload;

pub use abort::{Abort, AbortReason};
pub use events::{events_url, ActivitySocket};
pub use upload::{file_progress, upload_files};

use lyzr_chat_protocol::{ApiError, Artifact, ChatRequest, RetryPolicy};
use std::fmt;

/// Where the API lives and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL without a trailing slash (`https://agent-prod.studio.lyzr.ai`,
    /// a proxy's URL, or empty for the page's own origin).
    pub base_url: String,
    /// Sent as `x-api-key` when set (a proxy holds the key instead).
    pub api_key: Option<String>,
}

impl Endpoint {
    /// The absolute (or same-origin) URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}

/// How long a send waits for an answer by default (`timeoutMs`): five
/// minutes, since heavy agents are slow. The option table shows it.
pub const DEFAULT_TIMEOUT_MS: u32 = 300_000;

/// How a message is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendOptions {
    /// Use the stream call (falling back to chat); else the chat call only.
    pub stream: bool,
    /// Give up waiting after this long (heavy agents take minutes).
    pub timeout_ms: u32,
    pub retry: RetryPolicy,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            stream: true,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            retry: RetryPolicy::default(),
        }
    }
}

/// What a running send reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The server answered 2xx: the message is accepted.
    Accepted,
    /// More reply text (raw: may hold `<think>`/`<artifacts>` tags).
    Text(String),
    /// A failure nothing was accepted for; trying again after `in_ms`.
    Retrying { in_ms: u64, error: ClientError },
    /// The agent asks the page to run a tool (`local_tool_call`);
    /// `arguments` is JSON text.
    ToolCall { name: String, arguments: String },
}

/// What a complete answer carries besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// Files the chat call listed (a stream lists them inline).
    pub artifacts: Vec<Artifact>,
    /// The chat reply's `message_id`, `metadata` and `tool_calls` (the
    /// last two as JSON text), kept for the host page.
    pub message_id: Option<String>,
    pub metadata: Option<String>,
    pub tool_calls: Option<String>,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// No response at all (offline, DNS, refused, CORS).
    Network { detail: String, offline: bool },
    /// The API answered with an error status.
    Api(ApiError),
    /// No complete answer within the timeout.
    Timeout { after_ms: u32 },
    /// Cancelled on purpose (Stop, reset, destroy).
    Aborted(AbortReason),
    /// `data: [ERROR] ...` in the stream.
    StreamError(String),
    /// The connection broke after the answer had started.
    Dropped(String),
    /// The stream ended without `[DONE]`.
    Truncated,
    /// A 2xx whose body is not the documented reply.
    BadReply(String),
}

impl ClientError {
    /// `Some(retry_after)` when the server cannot have accepted the message
    /// and retrying by itself is safe: no response at all (online), or
    /// 429/503 that says when to come back.
    fn auto_retry(&self) -> Option<Option<u64>> {
        match self {
            ClientError::Network { offline: false, .. } => Some(None),
            ClientError::Api(e) if matches!(e.status, 429 | 503) && e.retry_after_s.is_some() => {
                Some(e.retry_after_s)
            }
            _ => None,
        }
    }

    /// True when the stream call is unavailable, before anything was accepted.
    fn stream_unavailable(&self) -> bool {
        match self {
            ClientError::Network { offline, .. } => !offline,
            ClientError::Api(e) => matches!(e.status, 404 | 405 | 501),
            _ => false,
        }
    }
}

impl fmt::Display for ClientError {
    /// The site owner's view, for the console: status and server detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Network { detail, offline } => {
                write!(
                    f,
                    "network error{}: {detail}",
                    if *offline { " (browser offline)" } else { "" }
                )
            }
            ClientError::Api(e) => write!(f, "the API answered {e}"),
            ClientError::Timeout { after_ms } => {
                write!(f, "no complete answer within {after_ms} ms (timeoutMs)")
            }
            ClientError::Aborted(reason) => write!(f, "cancelled ({reason:?})"),
            ClientError::StreamError(msg) => write!(f, "the stream reported [ERROR] {msg}"),
            ClientError::Dropped(e) => write!(f, "the stream broke mid-answer: {e}"),
            ClientError::Truncated => write!(f, "the stream ended without [DONE]"),
            ClientError::BadReply(e) => write!(f, "unreadable reply: {e}"),
        }
    }
}

/// Sends one message; reply text arrives through `on`. Returns what the
/// chat call added to the text (a stream lists files inline, in `<artifacts>`).
pub async fn send_message(
    endpoint: &Endpoint,
    request: &ChatRequest,
    options: SendOptions,
    abort: &Abort,
    on: &mut dyn FnMut(Progress),
) -> Result<Reply, ClientError> {
    let body = request.to_json();
    abort.set_timeout(options.timeout_ms);
    let mut use_stream = options.stream;
    let mut retries = 0;
    let result = loop {
        let attempt = if use_stream {
            transport::stream_once(endpoint, &body, abort, on).await
        } else {
            transport::chat_once(endpoint, &body, abort, on).await
        };
        let error = match attempt {
            Ok(reply) => break Ok(reply),
            Err(error) => error,
        };
        if use_stream && error.stream_unavailable() {
            crate::console::warn(&format!(
                "the stream call failed before answering ({error}); using the chat call"
            ));
            use_stream = false;
            continue;
        }
        let delay = error.auto_retry().and_then(|after| {
            options
                .retry
                .delay_ms(retries, after, js_sys::Math::random())
        });
        match delay {
            Some(in_ms) => {
                on(Progress::Retrying { in_ms, error });
                abort.sleep(in_ms).await;
                if let Some(reason) = abort.reason() {
                    break Err(ClientError::Aborted(reason));
                }
                retries += 1;
            }
            None => break Err(error),
        }
    };
    abort.clear_timeout();
    result.map_err(|e| match e {
        ClientError::Aborted(AbortReason::TimedOut) => ClientError::Timeout {
            after_ms: options.timeout_ms,
        },
        other => other,
    })
}

/// `POST .../session/{id}/stop`, best effort (failures go to the console).
pub async fn stop_session(endpoint: &Endpoint, session_id: &str) {
    if let Err(e) = transport::post_stop(endpoint, session_id).await {
        crate::console::warn(&format!("the stop call failed: {e}"));
    }
}

/// The server's history of a session, parsed (both shapes Lyzr documents).
pub async fn fetch_history(
    endpoint: &Endpoint,
    session_id: &str,
) -> Result<Vec<lyzr_chat_protocol::HistoryEntry>, ClientError> {
    let body = transport::get_history(endpoint, session_id).await?;
    lyzr_chat_protocol::parse_history(&body)
        .map_err(|e| ClientError::BadReply(format!("the history is unreadable: {e}")))
}
