//! Tests of the local agent's routes, called in-process.

use super::*;
use axum::http::Request;
use http_body_util::BodyExt;
use lyzr_chat_protocol::{StreamDecoder, StreamEvent};
use tower::ServiceExt;

async fn post_raw(
    router: &Router,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::post(path).header("content-type", "application/json");
    if let Some(key) = key {
        req = req.header(API_KEY_HEADER, key);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = match resp.into_body().collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => b"<connection dropped>".to_vec(),
    };
    (status, headers, bytes)
}

async fn call(router: &Router, key: Option<&str>, body: &str) -> (StatusCode, Value) {
    let (status, _, bytes) = post_raw(router, CHAT_PATH, key, body).await;
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn body_with(message: &str) -> String {
    json!({"user_id":"u1","agent_id":"a1","session_id":"a1-s","message":message}).to_string()
}

fn decode(bytes: &[u8]) -> (String, Vec<StreamEvent>) {
    let mut decoder = StreamDecoder::new();
    let mut events = decoder.push(bytes);
    events.extend(decoder.finish());
    let text = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    (text, events)
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
    let (status, body) = call(&router, Some("k"), &body_with("/echo <b>hi</b>\n**x**")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response"], "<b>hi</b>\n**x**");
}

#[tokio::test]
async fn stream_sends_the_reply_as_data_lines_then_done() {
    let (router, stats) = router("k");
    let (status, headers, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/echo one \"two\"\nthree 🎉"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let (text, events) = decode(&bytes);
    assert_eq!(text, "one \"two\"\nthree 🎉");
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    assert!(events.len() > 3, "several tokens: {events:?}");
    assert_eq!((stats.stream_posts(), stats.chat_posts()), (1, 0));
}

#[tokio::test]
async fn stream_faults_shape_the_body() {
    let (router, _) = router("k");
    let (_, _, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 error-after=2 detail=\"model crashed\" -- /echo a b c d"),
    )
    .await;
    let (text, events) = decode(&bytes);
    assert_eq!(text, "a b");
    assert_eq!(
        events.last(),
        Some(&StreamEvent::Error("model crashed".into()))
    );

    let (_, _, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 no-done -- /echo a b"),
    )
    .await;
    let (text, events) = decode(&bytes);
    assert_eq!(text, "a b");
    assert!(!events.contains(&StreamEvent::Done));

    let (_, _, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 drop-after=2 -- /echo a b c d"),
    )
    .await;
    assert!(
        bytes.ends_with(b"<connection dropped>"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );

    let (_, _, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 encoding=entities -- /echo <b> & \"q\""),
    )
    .await;
    assert!(String::from_utf8_lossy(&bytes).contains("&lt;b&gt;"));
    assert_eq!(decode(&bytes).0, "<b> & \"q\"");

    let (_, _, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 encoding=unicode chunk=3 -- /echo héllo 🎉"),
    )
    .await;
    assert!(String::from_utf8_lossy(&bytes).contains("\\ud83c"));
    assert_eq!(decode(&bytes).0, "héllo 🎉");
}

#[tokio::test]
async fn status_faults_with_retry_after_and_times() {
    let (router, stats) = router("k");
    let msg = body_with("/fault status=429 retry-after=3 times=1 -- hi");
    let (status, headers, bytes) = post_raw(&router, CHAT_PATH, Some("k"), &msg).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "3");
    assert!(String::from_utf8_lossy(&bytes).contains("Rate limit exceeded"));
    let (status, _, _) = post_raw(&router, CHAT_PATH, Some("k"), &msg).await;
    assert_eq!(status, StatusCode::OK, "times=1: the second one passes");
    assert_eq!(stats.chat_posts(), 2);

    let (status, _, _) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault stream-status=404 -- hi"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post_raw(
        &router,
        CHAT_PATH,
        Some("k"),
        &body_with("/fault stream-status=404 -- hi"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "stream-status leaves chat alone");

    let (status, _, bytes) =
        post_raw(&router, CHAT_PATH, Some("k"), &body_with("/fault bogus")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bytes).contains("unknown fault `bogus`"));
}

#[tokio::test]
async fn fault_header_works_like_the_prefix() {
    let (router, _) = router("k");
    let req = Request::post(CHAT_PATH)
        .header(API_KEY_HEADER, "k")
        .header(FAULT_HEADER, "status=503")
        .body(Body::from(BODY))
        .unwrap();
    let resp = router.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn stop_ends_a_running_stream() {
    let (router, stats) = router("k");
    let streaming = {
        let router = router.clone();
        tokio::spawn(async move {
            post_raw(
                &router,
                STREAM_PATH,
                Some("k"),
                &body_with("/fault drip=50 -- /echo a b c d e f g h i j k l m n o p"),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(120)).await;
    let req = Request::post("/v3/inference/session/a1-s/stop")
        .header(API_KEY_HEADER, "k")
        .body(Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(stats.stops("a1-s"), 1);
    let (_, _, bytes) = streaming.await.unwrap();
    let (text, events) = decode(&bytes);
    assert!(!events.contains(&StreamEvent::Done));
    assert!(
        text.len() < "a b c d e f g h i j k l m n o p".len(),
        "{text}"
    );
}

#[test]
fn reply_mentions_variables_and_features() {
    let mut req = ChatRequest::new("u", "a", "s", "m");
    req.fields.system_prompt_variables =
        Some(serde_json::Map::from_iter([("name".into(), json!("Ada"))]));
    req.fields.features = Some(vec![serde_json::Map::new()]);
    let text = reply_text(&req, "m", 3);
    assert!(text.contains("System prompt variables: name."), "{text}");
    assert!(text.contains("Features: 1 requested."), "{text}");
    assert!(!text.contains("Filter variables"), "{text}");
}
