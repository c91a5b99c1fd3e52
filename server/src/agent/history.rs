//! The local agent's session memory over HTTP: `GET
//! /v1/sessions/{session_id}/history` as Lyzr answers it, plus two test
//! controls (seed a long history, script the history call's faults).
//!
//! | call | body | effect |
//! |---|---|---|
//! | `GET /v1/sessions/{id}/history` | | the session's messages, oldest first (`[]` if unknown) |
//! | `POST /test/seed-history` | `{"session_id", "count"}` | replace the memory with `count` alternating messages |
//! | `POST /test/history-fault` | `{"session_id", "fault"}` | script the history call of that session (`fault` is a spec as in [`super::faults`]; `""` clears) |
//!
//! All of them need the `x-api-key`. A fault in the `x-lyzr-fault` header of
//! the GET itself wins over a scripted one.

use super::faults::{Fault, HistoryShape, FAULT_HEADER};
use super::stats::MAX_HISTORY;
use super::{check_key, error, fault_response, AgentState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lyzr_chat_protocol::history_json;
use serde_json::{json, Value};
use std::time::Duration;

/// Seeding path.
pub const SEED_PATH: &str = "/test/seed-history";
/// Fault scripting path.
pub const FAULT_PATH: &str = "/test/history-fault";

pub(super) async fn get_history(
    State(state): State<AgentState>,
    headers: HeaderMap,
    Path(session_id): Path<String>,
) -> Response {
    if let Err(reason) = check_key(&state, &headers) {
        return error(StatusCode::UNAUTHORIZED, reason);
    }
    let fault = match headers.get(FAULT_HEADER).and_then(|v| v.to_str().ok()) {
        Some(spec) => match Fault::parse(spec) {
            Ok(fault) => fault,
            Err(reason) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("bad fault spec: {reason}"),
                )
            }
        },
        None => state.stats.history_fault(&session_id).unwrap_or_default(),
    };
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    if let Some(status) = fault.status {
        return fault_response(&fault, status);
    }
    let entries = history_json(&state.stats.history(&session_id));
    match fault.shape {
        HistoryShape::Array => Json(entries).into_response(),
        HistoryShape::Wrapped => Json(json!({ "history": entries })).into_response(),
    }
}

/// A test control call's session id and JSON object body.
type ControlBody = (String, serde_json::Map<String, Value>);

/// The JSON object body of a test control call, or the 400/401 to answer.
pub(super) fn control_body(
    state: &AgentState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ControlBody, (StatusCode, &'static str)> {
    check_key(state, headers).map_err(|reason| (StatusCode::UNAUTHORIZED, reason))?;
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Err((
            StatusCode::BAD_REQUEST,
            "body must be a JSON object with `session_id`",
        ));
    };
    match map.get("session_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok((id.to_string(), map)),
        _ => Err((
            StatusCode::BAD_REQUEST,
            "`session_id` must be a non-empty string",
        )),
    }
}

pub(super) async fn seed(
    State(state): State<AgentState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session_id, map) = match control_body(&state, &headers, &body) {
        Ok(parsed) => parsed,
        Err((status, reason)) => return error(status, reason),
    };
    let count = match map.get("count").and_then(Value::as_u64) {
        Some(n) if n as usize <= MAX_HISTORY => n as usize,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("`count` must be a whole number from 0 to {MAX_HISTORY}"),
            )
        }
    };
    state.stats.seed_history(&session_id, count);
    Json(json!({ "session_id": session_id, "count": count })).into_response()
}

pub(super) async fn script_fault(
    State(state): State<AgentState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session_id, map) = match control_body(&state, &headers, &body) {
        Ok(parsed) => parsed,
        Err((status, reason)) => return error(status, reason),
    };
    let Some(spec) = map.get("fault").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "`fault` must be a fault spec string, e.g. \"status=503 times=1\"",
        );
    };
    match Fault::parse(spec) {
        Ok(fault) => {
            state.stats.script_history_fault(&session_id, fault);
            Json(json!({ "session_id": session_id, "fault": spec })).into_response()
        }
        Err(reason) => error(StatusCode::BAD_REQUEST, &format!("bad `fault`: {reason}")),
    }
}
