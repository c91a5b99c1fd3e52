//! The local agent: the chat, stream, stop and history calls as the Lyzr API
//! has them, with a deterministic reply that explains what it received (so a
//! person or a test can see the request and the session continuity), a
//! session memory (see [`history`]) and scripted faults (see [`faults`]).

pub mod events;
pub mod faults;
pub mod history;
pub mod origin;
mod stats;
pub mod upload;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use faults::{Fault, FAULT_HEADER};
use lyzr_chat_protocol::{
    parse_chat_request, ChatRequest, ChatResponse, HistoryRole, API_KEY_HEADER, ASSETS_UPLOAD_PATH,
    CHAT_PATH, STREAM_PATH,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::CorsLayer;

pub use stats::{iso8601, AgentStats, MAX_HISTORY};

/// The key the local agent accepts unless told otherwise. Public on purpose:
/// the local agent guards nothing, and the demo page must work out of the box.
pub const DEMO_API_KEY: &str = "lyzr-chat-demo-key";

/// A message starting with this gets the rest of itself back verbatim as the
/// reply: how tests make the agent say exactly what they need (markdown,
/// attack payloads, long texts).
pub const ECHO_PREFIX: &str = "/echo ";

/// Pause between streamed tokens unless a fault says otherwise: slow enough
/// to see the answer grow, fast enough for tests.
const DEFAULT_DRIP_MS: u64 = 15;

#[derive(Clone)]
struct AgentState {
    api_key: Arc<str>,
    stats: AgentStats,
}

/// The agent's API routes, for pages on its own origin and the dev origins
/// ([`origin::DEV_ORIGINS`]).
pub fn router(api_key: &str) -> (Router, AgentStats) {
    router_for(api_key, &[])
}

/// [`router`], also answering pages on `extra_origins` (`--allow-origin`).
pub fn router_for(api_key: &str, extra_origins: &[String]) -> (Router, AgentStats) {
    let allowed: Arc<[String]> = origin::allowed_origins(extra_origins).into();
    let stats = AgentStats::default();
    let state = AgentState {
        api_key: api_key.into(),
        stats: stats.clone(),
    };
    let only_post = || async {
        error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed: use POST",
        )
    };
    let chat_route = post(chat).fallback(only_post);
    let stream_route = post(stream).fallback(only_post);
    // Same-origin pages need no CORS; this lets a page on an allowed origin
    // (the dev loop, a host app under development) talk to the local agent.
    let cors = CorsLayer::new()
        .allow_origin(origin::cors_origins(allowed.clone()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(API_KEY_HEADER),
            header::HeaderName::from_static(FAULT_HEADER),
        ])
        .expose_headers([header::RETRY_AFTER]);
    let router = Router::new()
        .route(CHAT_PATH, chat_route.clone())
        .route(CHAT_PATH.trim_end_matches('/'), chat_route)
        .route(STREAM_PATH, stream_route.clone())
        .route(STREAM_PATH.trim_end_matches('/'), stream_route)
        .route(
            "/v3/inference/session/{session_id}/stop",
            post(stop).fallback(only_post),
        )
        .route(ASSETS_UPLOAD_PATH, post(upload::upload).fallback(only_post))
        .route("/v3/assets/{asset_id}", get(upload::download))
        .route(
            upload::FAULT_PATH,
            post(upload::script_fault).fallback(only_post),
        )
        .route(
            "/v1/sessions/{session_id}/history",
            get(history::get_history).fallback(|| async {
                error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method Not Allowed: use GET",
                )
            }),
        )
        .route(history::SEED_PATH, post(history::seed).fallback(only_post))
        .route(events::EVENTS_ROUTE, get(events::socket))
        .route(events::LYZR_EVENTS_ROUTE, get(events::socket))
        .route(
            events::FAULT_PATH,
            post(events::script_fault).fallback(only_post),
        )
        .route(
            history::FAULT_PATH,
            post(history::script_fault).fallback(only_post),
        )
        .route(
            "/v3/{*rest}",
            axum::routing::any(|| async { error(StatusCode::NOT_FOUND, "Not Found") }),
        )
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(allowed, origin::gate))
        .with_state(state);
    (router, stats)
}

/// A request that passed the key check and validation, with its fault.
struct Accepted {
    req: ChatRequest,
    fault: Fault,
    /// The message with any `/fault ... --` prefix removed.
    message: String,
}

/// The `x-api-key` check of every call: the 401 reason when it is missing
/// or not the configured key.
fn check_key(state: &AgentState, headers: &HeaderMap) -> Result<(), &'static str> {
    match headers.get(API_KEY_HEADER).map(HeaderValue::to_str) {
        None => Err("Missing API key: send it in the x-api-key header"),
        Some(Ok(key)) if key == &*state.api_key => Ok(()),
        Some(_) => Err("Invalid API key"),
    }
}

/// Key check, validation and fault lookup shared by chat and stream.
async fn accept(
    state: &AgentState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Accepted, Response> {
    check_key(state, headers).map_err(|reason| error(StatusCode::UNAUTHORIZED, reason))?;
    let req = parse_chat_request(body).map_err(|e| {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(e.to_body())).into_response()
    })?;
    let (fault, message) = match Fault::from_message(&req.message) {
        Some((fault, rest)) => (fault, rest),
        None => match headers.get(FAULT_HEADER).and_then(|v| v.to_str().ok()) {
            Some(spec) => (Fault::parse(spec), req.message.clone()),
            None => (Ok(Fault::default()), req.message.clone()),
        },
    };
    let fault = fault.map_err(|reason| {
        error(
            StatusCode::BAD_REQUEST,
            &format!("bad fault spec: {reason}"),
        )
    })?;
    // `times=N`: only the first N identical requests of a session misbehave.
    let fault = match fault.times {
        Some(times) if state.stats.count_fault(&req.session_id, &req.message) > times => {
            Fault::default()
        }
        _ => fault,
    };
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    Ok(Accepted {
        req,
        fault,
        message,
    })
}

fn fault_response(fault: &Fault, status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = error(code, &fault.detail_for(status));
    if let Some(value) = fault
        .retry_after
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn chat(State(state): State<AgentState>, headers: HeaderMap, body: Bytes) -> Response {
    state.stats.record_post(CHAT_PATH, session_of(&body));
    let accepted = match accept(&state, &headers, &body).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    if let Some(status) = accepted.fault.status {
        return fault_response(&accepted.fault, status);
    }
    let mut run = narrate(&state, &accepted).await;
    let text = answer(&state, &accepted);
    run.answering();
    state
        .stats
        .remember(&accepted.req.session_id, HistoryRole::Assistant, &text);
    run.end("completed");
    Json(ChatResponse::reply(text)).into_response()
}

async fn stream(State(state): State<AgentState>, headers: HeaderMap, body: Bytes) -> Response {
    state.stats.record_post(STREAM_PATH, session_of(&body));
    let accepted = match accept(&state, &headers, &body).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    if let Some(status) = accepted.fault.status.or(accepted.fault.stream_status) {
        return fault_response(&accepted.fault, status);
    }
    let mut run = narrate(&state, &accepted).await;
    let text = answer(&state, &accepted);
    let content_type = accepted.fault.stream_type.content_type();
    if accepted.fault.stream_whole {
        run.answering();
        state
            .stats
            .remember(&accepted.req.session_id, HistoryRole::Assistant, &text);
        run.end("completed");
        let body = serde_json::to_vec(&ChatResponse::reply(text)).unwrap_or_default();
        return ([(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    let stop_generation = state.stats.stop_generation(&accepted.req.session_id);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(write_stream(
        state.stats.clone(),
        accepted.req.session_id.clone(),
        stop_generation,
        accepted.fault,
        text,
        tx,
        run,
    ));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    }));
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(body)
        .unwrap_or_else(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not start the stream",
            )
        })
}

/// Starts the events of a reply and plays the steps before the answer.
async fn narrate(state: &AgentState, accepted: &Accepted) -> events::Run {
    let req = &accepted.req;
    let earlier = state.stats.history(&req.session_id).len();
    let mut run = state
        .stats
        .events
        .run(&req.session_id, &req.agent_id, &accepted.fault);
    run.before_answer(earlier).await;
    run
}

/// The `session_id` a chat/stream body names, if it is JSON with one: for
/// counting POSTs per session before validation.
fn session_of(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("session_id")?.as_str().map(str::to_string)
}

/// Puts what a stream actually sent into the session memory when the stream
/// ends, however it ends (done, error, drop, stop, client gone).
struct RememberSent {
    stats: AgentStats,
    session_id: String,
    tokens: Vec<String>,
    /// Tokens whose line went out whole.
    sent: usize,
}

impl Drop for RememberSent {
    fn drop(&mut self) {
        let text: String = self.tokens[..self.sent.min(self.tokens.len())].concat();
        if !text.is_empty() {
            self.stats
                .remember(&self.session_id, HistoryRole::Assistant, &text);
        }
    }
}

/// Writes the answer as `data:` lines, honouring the fault and stop calls.
async fn write_stream(
    stats: AgentStats,
    session_id: String,
    stop_generation: u64,
    fault: Fault,
    text: String,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    mut run: events::Run,
) {
    let drip = Duration::from_millis(if fault.drip_ms > 0 {
        fault.drip_ms
    } else {
        DEFAULT_DRIP_MS
    });
    let mut memory = RememberSent {
        stats: stats.clone(),
        session_id: session_id.clone(),
        tokens: tokens(&text),
        sent: 0,
    };
    let mut lines: Vec<String> = memory
        .tokens
        .iter()
        .map(|t| format!("data: {}\n\n", fault.encode(t)))
        .collect();
    if let Some(name) = &fault.tool_call {
        // A local tool round: the tool call, then [DONE], no text.
        memory.tokens.clear();
        let call = serde_json::json!({
            "type": "local_tool_call",
            "tool_name": name,
            "arguments": {"city": "Paris"},
            "messages": [],
        });
        lines = vec![format!("data: {call}\n\n")];
    }
    if let Some(n) = fault.error_after {
        lines.truncate(n);
        memory.tokens.truncate(n);
        lines.push(format!(
            "data: [ERROR] {}\n\n",
            fault
                .detail
                .as_deref()
                .unwrap_or("The model failed mid-answer (scripted fault)")
        ));
    } else if !fault.no_done {
        lines.push("data: [DONE]\n\n".to_string());
    }
    let drop_after = fault.drop_after;
    // (line index, bytes, whether the piece ends its line)
    let pieces: Vec<(usize, Vec<u8>, bool)> = match fault.chunk {
        Some(size) => {
            let mut out = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let count = line.len().div_ceil(size);
                out.extend(
                    line.as_bytes()
                        .chunks(size)
                        .enumerate()
                        .map(|(j, c)| (i, c.to_vec(), j + 1 == count)),
                );
            }
            out
        }
        None => lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.clone().into_bytes(), true))
            .collect(),
    };
    for (line_index, piece, ends_line) in pieces {
        if drop_after.is_some_and(|n| line_index >= n) {
            // Dropping the connection mid-body: the client sees a network error.
            let _ = tx
                .send(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "scripted drop",
                )))
                .await;
            return;
        }
        if stats.stop_generation(&session_id) != stop_generation {
            run.end("stopped");
            return; // stopped by POST .../stop
        }
        if line_index == 0 {
            run.answering();
        }
        if tx.send(Ok(Bytes::from(piece))).await.is_err() {
            return; // the client went away
        }
        if ends_line {
            memory.sent = line_index + 1;
        }
        tokio::time::sleep(drip).await;
    }
    run.end(if fault.error_after.is_some() {
        "failed"
    } else {
        "completed"
    });
}

/// Splits text into word-sized tokens, keeping every character.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_whitespace() && !current.trim().is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

async fn stop(
    State(state): State<AgentState>,
    headers: HeaderMap,
    Path(session_id): Path<String>,
) -> Response {
    if let Err(reason) = check_key(&state, &headers) {
        return error(StatusCode::UNAUTHORIZED, reason);
    }
    state.stats.record_stop(&session_id);
    Json(json!({ "session_id": session_id, "status": "stopped" })).into_response()
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

/// The reply for an accepted request (counts the turn).
fn answer(state: &AgentState, accepted: &Accepted) -> String {
    let turn = state.stats.record_turn(&accepted.req);
    state.stats.remember(
        &accepted.req.session_id,
        HistoryRole::User,
        &accepted.req.message,
    );
    let files = state
        .stats
        .uploads
        .describe_message_assets(accepted.req.fields.assets.as_deref());
    match accepted.message.strip_prefix(ECHO_PREFIX) {
        Some(verbatim) => verbatim.to_string(),
        None => {
            let text = reply_text(&accepted.req, &accepted.message, turn);
            match files {
                Some(files) => format!("{text}\n\n{files}"),
                None => text,
            }
        }
    }
}

/// The local agent's answer: what it received, and where it is in the session.
pub fn reply_text(req: &ChatRequest, message: &str, turn: u64) -> String {
    let mut text = format!(
        "You said: \u{201c}{}\u{201d}\n\nThis is message {turn} in this session \
         (session_id {}), from user {} to agent {}.",
        message.trim(),
        req.session_id,
        req.user_id,
        req.agent_id
    );
    let named = |label: &str, map: &Option<lyzr_chat_protocol::Object>| -> Option<String> {
        let map = map.as_ref().filter(|m| !m.is_empty())?;
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        Some(format!("\n{label}: {}.", keys.join(", ")))
    };
    if let Some(line) = named(
        "System prompt variables",
        &req.fields.system_prompt_variables,
    ) {
        text.push_str(&line);
    }
    if let Some(line) = named("Filter variables", &req.fields.filter_variables) {
        text.push_str(&line);
    }
    if let Some(features) = req.fields.features.as_ref().filter(|f| !f.is_empty()) {
        text.push_str(&format!("\nFeatures: {} requested.", features.len()));
    }
    if let Some(line) = named("Response format", &req.fields.response_format) {
        text.push_str(&line);
    }
    if let Some(line) = named("Provider overrides", &req.fields.provider_overrides) {
        text.push_str(&line);
    }
    text
}

#[cfg(test)]
mod tests;
