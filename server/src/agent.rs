//! The local agent: `POST /v3/inference/chat/` as the spec describes it, with
//! a deterministic reply that explains what it received, so a person (or a
//! test) can see the request and the session continuity.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use lyzr_chat_protocol::{
    parse_chat_request, ChatRequest, ChatResponse, API_KEY_HEADER, CHAT_PATH,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tower_http::cors::{Any, CorsLayer};

/// The key the local agent accepts unless told otherwise. Public on purpose:
/// the local agent guards nothing, and the demo page must work out of the box.
pub const DEMO_API_KEY: &str = "lyzr-chat-demo-key";

/// A message starting with this gets the rest of itself back verbatim as the
/// reply: how tests make the agent say exactly what they need (markdown,
/// attack payloads, long texts).
pub const ECHO_PREFIX: &str = "/echo ";

/// Sessions remembered at most; past it the oldest memory is dropped whole.
const MAX_SESSIONS: usize = 10_000;

/// What the agent has seen, shared with whoever started it (tests count
/// requests here).
#[derive(Debug, Clone, Default)]
pub struct AgentStats {
    inner: Arc<StatsInner>,
}

#[derive(Debug, Default)]
struct StatsInner {
    chat_posts: AtomicU64,
    turns: Mutex<HashMap<(String, String), u64>>,
}

impl AgentStats {
    /// Every POST to the chat path, accepted or not.
    pub fn chat_posts(&self) -> u64 {
        self.inner.chat_posts.load(Ordering::SeqCst)
    }

    /// Accepted messages in one session of one agent.
    pub fn turns(&self, agent_id: &str, session_id: &str) -> u64 {
        let turns = self.inner.turns.lock().unwrap_or_else(|e| e.into_inner());
        turns
            .get(&(agent_id.to_string(), session_id.to_string()))
            .copied()
            .unwrap_or(0)
    }

    fn record_turn(&self, req: &ChatRequest) -> u64 {
        let mut turns = self.inner.turns.lock().unwrap_or_else(|e| e.into_inner());
        if turns.len() >= MAX_SESSIONS {
            turns.clear();
        }
        let n = turns
            .entry((req.agent_id.clone(), req.session_id.clone()))
            .or_insert(0);
        *n += 1;
        *n
    }
}

#[derive(Clone)]
struct AgentState {
    api_key: Arc<str>,
    stats: AgentStats,
}

/// The agent's API routes (chat, with and without the trailing slash).
pub fn router(api_key: &str) -> (Router, AgentStats) {
    let stats = AgentStats::default();
    let state = AgentState {
        api_key: api_key.into(),
        stats: stats.clone(),
    };
    let chat_route = post(chat).fallback(|| async {
        error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed: use POST",
        )
    });
    // Same-origin pages need no CORS; this lets a page on another local port
    // (a host app under development) talk to the local agent.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(API_KEY_HEADER),
        ]);
    let router = Router::new()
        .route(CHAT_PATH, chat_route.clone())
        .route(CHAT_PATH.trim_end_matches('/'), chat_route)
        .route(
            "/v3/{*rest}",
            axum::routing::any(|| async { error(StatusCode::NOT_FOUND, "Not Found") }),
        )
        .layer(cors)
        .with_state(state);
    (router, stats)
}

async fn chat(State(state): State<AgentState>, headers: HeaderMap, body: Bytes) -> Response {
    state.stats.inner.chat_posts.fetch_add(1, Ordering::SeqCst);
    match headers.get(API_KEY_HEADER).map(HeaderValue::to_str) {
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "Missing API key: send it in the x-api-key header",
            )
        }
        Some(Ok(key)) if key == &*state.api_key => {}
        Some(_) => return error(StatusCode::UNAUTHORIZED, "Invalid API key"),
    }
    let req = match parse_chat_request(&body) {
        Ok(req) => req,
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            return (status, Json(e.to_body())).into_response();
        }
    };
    let turn = state.stats.record_turn(&req);
    let text = match req.message.strip_prefix(ECHO_PREFIX) {
        Some(verbatim) => verbatim.to_string(),
        None => reply_text(&req, turn),
    };
    Json(ChatResponse::reply(text)).into_response()
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

/// The local agent's answer: what it received, and where it is in the session.
pub fn reply_text(req: &ChatRequest, turn: u64) -> String {
    let mut text = format!(
        "You said: \u{201c}{}\u{201d}\n\nThis is message {turn} in this session \
         (session_id {}), from user {} to agent {}.",
        req.message.trim(),
        req.session_id,
        req.user_id,
        req.agent_id
    );
    let named = |label: &str, map: &Option<serde_json::Map<String, Value>>| -> Option<String> {
        let map = map.as_ref().filter(|m| !m.is_empty())?;
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        Some(format!("\n{label}: {}.", keys.join(", ")))
    };
    if let Some(line) = named("System prompt variables", &req.system_prompt_variables) {
        text.push_str(&line);
    }
    if let Some(line) = named("Filter variables", &req.filter_variables) {
        text.push_str(&line);
    }
    if let Some(features) = req.features.as_ref().filter(|f| !f.is_empty()) {
        text.push_str(&format!("\nFeatures: {} requested.", features.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn call(router: &Router, key: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = Request::post(CHAT_PATH).header("content-type", "application/json");
        if let Some(key) = key {
            req = req.header(API_KEY_HEADER, key);
        }
        let resp = router
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    const BODY: &str = r#"{"user_id":"u1","agent_id":"a1","session_id":"a1-s","message":"hello"}"#;

    #[tokio::test]
    async fn valid_request_gets_a_reply_that_counts_turns() {
        let (router, stats) = router("k");
        let (status, body) = call(&router, Some("k"), BODY).await;
        assert_eq!(status, StatusCode::OK);
        let text = body["response"].as_str().unwrap();
        assert!(text.contains("\u{201c}hello\u{201d}"), "{text}");
        assert!(
            text.contains("message 1 in this session (session_id a1-s)"),
            "{text}"
        );
        let (_, body) = call(&router, Some("k"), BODY).await;
        assert!(body["response"]
            .as_str()
            .unwrap()
            .contains("message 2 in this session"));
        assert_eq!(stats.turns("a1", "a1-s"), 2);
        assert_eq!(stats.chat_posts(), 2);
    }

    #[tokio::test]
    async fn missing_or_wrong_key_is_401_with_detail() {
        let (router, _) = router("k");
        let (status, body) = call(&router, None, BODY).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body["detail"].as_str().unwrap().contains("x-api-key"));
        let (status, body) = call(&router, Some("nope"), BODY).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["detail"], "Invalid API key");
    }

    #[tokio::test]
    async fn malformed_json_is_400_and_missing_field_is_422() {
        let (router, stats) = router("k");
        let (status, body) = call(&router, Some("k"), "{\"user_id\":").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
        let (status, body) = call(
            &router,
            Some("k"),
            r#"{"user_id":"u","agent_id":"a","session_id":"s"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"], json!(["body", "message"]));
        assert_eq!(stats.turns("a", "s"), 0);
    }

    #[tokio::test]
    async fn echo_prefix_replies_verbatim() {
        let (router, _) = router("k");
        let body = json!({"user_id":"u","agent_id":"a","session_id":"s","message":"/echo <b>hi</b>\n**x**"});
        let (status, body) = call(&router, Some("k"), &body.to_string()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["response"], "<b>hi</b>\n**x**");
    }

    #[test]
    fn reply_mentions_variables_and_features() {
        let mut req = ChatRequest::new("u", "a", "s", "m");
        req.system_prompt_variables =
            Some(serde_json::Map::from_iter([("name".into(), json!("Ada"))]));
        req.features = Some(vec![serde_json::Map::new()]);
        let text = reply_text(&req, 3);
        assert!(text.contains("System prompt variables: name."), "{text}");
        assert!(text.contains("Features: 1 requested."), "{text}");
        assert!(!text.contains("Filter variables"), "{text}");
    }
}
