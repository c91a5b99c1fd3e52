//! The local agent's activity channel: `GET /v3/events/{session_id}` (also
//! `/ws/{session_id}`, the path of Lyzr's metrics host) upgrades to a
//! WebSocket on which every reply the agent produces for that session is
//! narrated as Lyzr-like JSON events, before and while the reply goes out:
//!
//! `agent_process_start`, `messages_retrieved` (session memory),
//! `knowledge_base_retrieval`, `thinking`, `tool_call_prepare` and
//! `tool_response` (tool `get_weather`), `llm_response` (just before the
//! first token), `agent_process_end` (after the last one, or `failed` /
//! `stopped`). Each carries `event_type, status, level, message, run_id,
//! trace_id, session_id, timestamp`, and the tool events `tool_name`.
//!
//! The key goes in the URL (`?x-api-key=KEY`, as Lyzr's metrics socket takes
//! it: a browser cannot set headers on a WebSocket) or the `x-api-key`
//! header. While someone listens, the steps before the answer take
//! `events-gap` ms each (default [`DEFAULT_GAP_MS`]), so they are seen before
//! the first token; with nobody listening they cost nothing.
//!
//! Faults, in a message's `/fault` spec for that reply, or scripted for the
//! session's socket and every reply with `POST /test/events-fault
//! {"session_id", "fault"}`:
//!
//! | key | effect |
//! |---|---|
//! | `events=none` | no events for the reply |
//! | `events=drop` | the socket is cut after the first two events |
//! | `events=malformed` | every other frame is broken JSON |
//! | `events-delay=MS` | events arrive MS late (the reply does not wait) |
//! | `events-gap=MS` | time per step before the answer |
//! | `status=N` | (scripted only) the socket upgrade is refused with N |

use super::faults::{EventsMode, Fault};
use super::stats::iso8601;
use super::{error, AgentState, API_KEY_HEADER};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::sync::broadcast;

/// Path of the events socket.
pub const EVENTS_ROUTE: &str = "/v3/events/{session_id}";
/// The same socket at the path Lyzr's metrics host uses.
pub const LYZR_EVENTS_ROUTE: &str = "/ws/{session_id}";
/// Scripting path.
pub const FAULT_PATH: &str = "/test/events-fault";
/// Time per step before the answer while someone listens.
pub const DEFAULT_GAP_MS: u64 = 60;

/// Sessions with a channel or a scripted fault, at most; past it, dropped.
const MAX_SESSIONS: usize = 10_000;

/// What goes down a session's sockets.
#[derive(Debug, Clone)]
enum Frame {
    Text(String),
    /// Cut the connection without a close handshake.
    Drop,
}

/// Per-session broadcast channels and scripted faults.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    inner: Arc<Mutex<HubInner>>,
    runs: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct HubInner {
    channels: HashMap<String, broadcast::Sender<Frame>>,
    faults: HashMap<String, Fault>,
    /// Sockets opened per session (tests: "no socket was opened").
    opened: HashMap<String, u64>,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn subscribe(&self, session_id: &str) -> broadcast::Receiver<Frame> {
        let mut inner = self.lock();
        if inner.channels.len() >= MAX_SESSIONS {
            inner.channels.retain(|_, tx| tx.receiver_count() > 0);
        }
        if inner.opened.len() >= MAX_SESSIONS {
            inner.opened.clear();
        }
        *inner.opened.entry(session_id.to_string()).or_insert(0) += 1;
        inner
            .channels
            .entry(session_id.to_string())
            .or_insert_with(|| broadcast::channel(64).0)
            .subscribe()
    }

    /// Sockets open on a session now.
    pub fn listeners(&self, session_id: &str) -> usize {
        self.lock()
            .channels
            .get(session_id)
            .map_or(0, broadcast::Sender::receiver_count)
    }

    /// Sockets ever opened on a session.
    pub fn opened(&self, session_id: &str) -> u64 {
        self.lock().opened.get(session_id).copied().unwrap_or(0)
    }

    /// Scripts the session's socket and replies (see the module's table).
    pub fn script_fault(&self, session_id: &str, fault: Fault) {
        let mut inner = self.lock();
        if inner.faults.len() >= MAX_SESSIONS {
            inner.faults.clear();
        }
        inner.faults.insert(session_id.to_string(), fault);
    }

    fn scripted(&self, session_id: &str) -> Option<Fault> {
        self.lock().faults.get(session_id).cloned()
    }

    fn send(&self, session_id: &str, frame: Frame) {
        if let Some(tx) = self.lock().channels.get(session_id) {
            let _ = tx.send(frame);
        }
    }

    /// Starts narrating one reply: the events fault is the message's, else
    /// the session's scripted one.
    pub(crate) fn run(&self, session_id: &str, agent_id: &str, fault: &Fault) -> Run {
        let scripted = self.scripted(session_id);
        let pick = |own: bool| {
            if own {
                fault.clone()
            } else {
                scripted.clone().unwrap_or_else(|| fault.clone())
            }
        };
        let fault = pick(fault.events != EventsMode::Normal || fault.events_delay_ms > 0);
        let n = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
        Run {
            hub: self.clone(),
            session_id: session_id.to_string(),
            agent_id: agent_id.to_string(),
            run_id: format!("run-{n}"),
            trace_id: format!("trace-{:016x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            sent: 0,
            fault,
            ended: false,
        }
    }
}

/// The events of one reply.
pub(crate) struct Run {
    hub: Hub,
    session_id: String,
    agent_id: String,
    run_id: String,
    trace_id: String,
    sent: u64,
    fault: Fault,
    ended: bool,
}

impl Run {
    fn emit(&mut self, event_type: &str, status: &str, message: &str, extra: Value) {
        if self.fault.events == EventsMode::None {
            return;
        }
        let mut event = json!({
            "event_type": event_type,
            "status": status,
            "level": if status == "failed" { "error" } else { "info" },
            "message": message,
            "run_id": self.run_id,
            "trace_id": self.trace_id,
            "session_id": self.session_id,
            "agent_id": self.agent_id,
            "timestamp": iso8601(SystemTime::now()),
        });
        if let (Value::Object(event), Value::Object(extra)) = (&mut event, extra) {
            event.extend(extra);
        }
        self.sent += 1;
        let mut frames = Vec::new();
        let text = event.to_string();
        if self.fault.events == EventsMode::Malformed && self.sent % 2 == 1 {
            // Cut inside the JSON: a frame no parser accepts.
            frames.push(Frame::Text(text[..text.len() / 2].to_string()));
        } else {
            frames.push(Frame::Text(text));
        }
        if self.fault.events == EventsMode::Drop && self.sent == 2 {
            frames.push(Frame::Drop);
        }
        let delay = self.fault.events_delay_ms;
        for frame in frames {
            if delay == 0 {
                self.hub.send(&self.session_id, frame);
            } else {
                let (hub, session) = (self.hub.clone(), self.session_id.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    hub.send(&session, frame);
                });
            }
        }
    }

    /// The steps before the answer, paced while someone listens.
    pub(crate) async fn before_answer(&mut self, earlier_messages: usize) {
        let gap = if self.hub.listeners(&self.session_id) > 0 {
            Duration::from_millis(self.fault.events_gap_ms.unwrap_or(DEFAULT_GAP_MS))
        } else {
            Duration::ZERO
        };
        let pause = |gap: Duration| async move {
            if !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
        };
        self.emit(
            "agent_process_start",
            "started",
            "Agent run started",
            json!({}),
        );
        pause(gap).await;
        self.emit(
            "messages_retrieved",
            "completed",
            &format!("Loaded {earlier_messages} earlier messages of this session"),
            json!({ "count": earlier_messages }),
        );
        pause(gap).await;
        self.emit(
            "knowledge_base_retrieval",
            "completed",
            "Found 2 passages in knowledge base demo-kb",
            json!({ "knowledge_base": "demo-kb", "count": 2 }),
        );
        pause(gap).await;
        self.emit("thinking", "in_progress", "Planning the answer", json!({}));
        pause(gap).await;
        self.emit(
            "tool_call_prepare",
            "in_progress",
            "Calling get_weather",
            json!({ "tool_name": "get_weather", "arguments": { "city": "Paris" } }),
        );
        pause(gap).await;
        self.emit(
            "tool_response",
            "completed",
            "get_weather returned: 18 °C, clear",
            json!({ "tool_name": "get_weather", "response": { "temp_c": 18, "sky": "clear" } }),
        );
        pause(gap).await;
    }

    /// Just before the first token.
    pub(crate) fn answering(&mut self) {
        self.emit(
            "llm_response",
            "in_progress",
            "Writing the answer",
            json!({}),
        );
    }

    /// The reply is out (`completed`), cut (`failed`) or `stopped`.
    pub(crate) fn end(&mut self, status: &str) {
        if self.ended {
            return;
        }
        self.ended = true;
        let message = match status {
            "completed" => "Agent run finished",
            "stopped" => "Agent run stopped",
            _ => "Agent run failed",
        };
        self.emit("agent_process_end", status, message, json!({}));
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // However the reply ended without saying so (client gone, dropped).
        self.end("failed");
    }
}

pub(super) async fn socket(
    State(state): State<AgentState>,
    headers: HeaderMap,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let key = query
        .get(API_KEY_HEADER)
        .map(String::as_str)
        .or_else(|| headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()));
    match key {
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "Missing API key: send it as ?x-api-key= or in the x-api-key header",
            )
        }
        Some(key) if key != &*state.api_key => {
            return error(StatusCode::UNAUTHORIZED, "Invalid API key")
        }
        Some(_) => {}
    }
    if let Some(status) = state
        .stats
        .events
        .scripted(&session_id)
        .and_then(|f| f.status)
    {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return error(code, "events refused (scripted fault)");
    }
    let Ok(upgrade) = upgrade else {
        return error(
            StatusCode::UPGRADE_REQUIRED,
            "this is a WebSocket: connect with ws://",
        );
    };
    let rx = state.stats.events.subscribe(&session_id);
    upgrade.on_upgrade(move |socket| pump(socket, rx))
}

/// Sends the session's frames until either side ends.
async fn pump(mut socket: WebSocket, mut rx: broadcast::Receiver<Frame>) {
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(Frame::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Ok(Frame::Drop) | Err(broadcast::error::RecvError::Closed) => return,
                Err(broadcast::error::RecvError::Lagged(_)) => {}
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

pub(super) async fn script_fault(
    State(state): State<AgentState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (session_id, map) = match super::history::control_body(&state, &headers, &body) {
        Ok(parsed) => parsed,
        Err((status, reason)) => return error(status, reason),
    };
    let Some(spec) = map.get("fault").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "`fault` must be a fault spec string, e.g. \"events=drop\"",
        );
    };
    match Fault::parse(spec) {
        Ok(fault) => {
            state.stats.events.script_fault(&session_id, fault);
            axum::Json(json!({ "session_id": session_id, "fault": spec })).into_response()
        }
        Err(reason) => error(StatusCode::BAD_REQUEST, &format!("bad `fault`: {reason}")),
    }
}
