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
    req.fields.system_prompt_variables = Some(lyzr_chat_protocol::Object::from_iter([(
        "name".into(),
        "Ada".into(),
    )]));
    req.fields.features = Some(vec![lyzr_chat_protocol::Object::new()]);
    let text = reply_text(&req, "m", 3);
    assert!(text.contains("System prompt variables: name."), "{text}");
    assert!(text.contains("Features: 1 requested."), "{text}");
    assert!(!text.contains("Filter variables"), "{text}");
    req.fields.response_format = Some(lyzr_chat_protocol::Object::from_iter([(
        "type".into(),
        "json_object".into(),
    )]));
    req.fields.provider_overrides = Some(lyzr_chat_protocol::Object::from_iter([(
        "temperature".into(),
        lyzr_chat_protocol::Json::Number("0.1".into()),
    )]));
    let text = reply_text(&req, "m", 3);
    assert!(text.contains("Response format: type."), "{text}");
    assert!(text.contains("Provider overrides: temperature."), "{text}");
}

async fn get_raw(
    router: &Router,
    path: &str,
    key: Option<&str>,
    fault: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::get(path);
    if let Some(key) = key {
        req = req.header(API_KEY_HEADER, key);
    }
    if let Some(fault) = fault {
        req = req.header(FAULT_HEADER, fault);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes)
}

fn history_of(bytes: &[u8]) -> Vec<Value> {
    match serde_json::from_slice(bytes).unwrap() {
        Value::Array(items) => items,
        other => panic!("not an array: {other}"),
    }
}

#[tokio::test]
async fn history_holds_both_sides_of_chat_and_stream_turns_oldest_first() {
    let (router, _) = router("k");
    let path = lyzr_chat_protocol::history_path("a1-s");
    let (status, bytes) = get_raw(&router, &path, Some("k"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(history_of(&bytes).is_empty(), "an unknown session is []");

    call(&router, Some("k"), &body_with("first")).await;
    post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 -- /echo streamed answer"),
    )
    .await;
    let (status, bytes) = get_raw(&router, &path, Some("k"), None).await;
    assert_eq!(status, StatusCode::OK);
    let items = history_of(&bytes);
    let pairs: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["role"].as_str().unwrap(), i["content"].as_str().unwrap()))
        .collect();
    assert_eq!(pairs.len(), 4, "{pairs:?}");
    assert_eq!(pairs[0], ("user", "first"));
    assert_eq!(pairs[1].0, "assistant");
    assert!(
        pairs[1].1.contains("message 1 in this session"),
        "{pairs:?}"
    );
    assert_eq!(pairs[2], ("user", "/fault drip=1 -- /echo streamed answer"));
    assert_eq!(pairs[3], ("assistant", "streamed answer"));
    let stamp = items[0]["created_at"].as_str().unwrap();
    assert!(
        stamp.len() == 24 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );
    // The protocol's parser reads it back.
    let parsed = lyzr_chat_protocol::parse_history(std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert_eq!(parsed.len(), 4);

    let (status, bytes) = get_raw(&router, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&bytes).contains("Missing API key"));
    let (_, bytes) = get_raw(
        &router,
        &lyzr_chat_protocol::history_path("other"),
        Some("k"),
        None,
    )
    .await;
    assert!(history_of(&bytes).is_empty(), "sessions do not mix");
}

#[tokio::test]
async fn history_keeps_only_what_a_stream_sent() {
    let (router, _) = router("k");
    post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault drip=1 error-after=2 -- /echo a b c d"),
    )
    .await;
    let (status, _, _) = post_raw(
        &router,
        CHAT_PATH,
        Some("k"),
        &body_with("/fault status=500 -- lost"),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (_, bytes) = get_raw(
        &router,
        &lyzr_chat_protocol::history_path("a1-s"),
        Some("k"),
        None,
    )
    .await;
    let items = history_of(&bytes);
    let contents: Vec<&str> = items
        .iter()
        .map(|i| i["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        ["/fault drip=1 error-after=2 -- /echo a b c d", "a b"],
        "the partial answer is kept, the refused message is not"
    );
}

#[tokio::test]
async fn history_faults_from_the_header_and_scripted_per_session() {
    let (router, _) = router("k");
    call(&router, Some("k"), &body_with("hi")).await;
    let path = lyzr_chat_protocol::history_path("a1-s");

    let (status, bytes) = get_raw(&router, &path, Some("k"), Some("shape=wrapped")).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["history"].as_array().unwrap().len(), 2, "{body}");

    let started = std::time::Instant::now();
    let (status, bytes) = get_raw(&router, &path, Some("k"), Some("status=503 latency=60")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert!(String::from_utf8_lossy(&bytes).contains("Service unavailable"));

    let (status, bytes) = get_raw(&router, &path, Some("k"), Some("shape=round")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bytes).contains("`shape`"));

    // Scripted for the session (the widget's GET carries no fault header):
    // the first call fails, the retry passes.
    let (status, _, _) = post_raw(
        &router,
        history::FAULT_PATH,
        Some("k"),
        r#"{"session_id":"a1-s","fault":"status=502 times=1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        get_raw(&router, &path, Some("k"), None).await.0,
        StatusCode::BAD_GATEWAY
    );
    let (status, bytes) = get_raw(&router, &path, Some("k"), None).await;
    assert_eq!(status, StatusCode::OK, "times=1: the retry passes");
    assert_eq!(history_of(&bytes).len(), 2);
    let other = lyzr_chat_protocol::history_path("other");
    assert_eq!(
        get_raw(&router, &other, Some("k"), None).await.0,
        StatusCode::OK,
        "a scripted fault stays in its session"
    );

    let (status, _, bytes) = post_raw(
        &router,
        history::FAULT_PATH,
        Some("k"),
        r#"{"session_id":"a1-s","fault":"status=abc"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bytes).contains("bad `fault`"));
    let (status, _, bytes) = post_raw(
        &router,
        history::FAULT_PATH,
        Some("k"),
        r#"{"session_id":"a1-s"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bytes).contains("`fault` must be"));
}

#[tokio::test]
async fn seeding_a_long_history() {
    let (router, stats) = router("k");
    let (status, _, _) = post_raw(
        &router,
        history::SEED_PATH,
        Some("k"),
        r#"{"session_id":"long","count":1000}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats.history("long").len(), 1000);
    let (_, bytes) = get_raw(
        &router,
        &lyzr_chat_protocol::history_path("long"),
        Some("k"),
        None,
    )
    .await;
    let parsed = lyzr_chat_protocol::parse_history(std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert_eq!(parsed.len(), 1000);
    assert!(
        parsed[999].content.contains("1000 of 1000"),
        "{:?}",
        parsed[999]
    );

    for (body, field) in [
        (r#"{"count":3}"#, "`session_id`"),
        (r#"{"session_id":"x","count":-1}"#, "`count`"),
        (r#"{"session_id":"x","count":"many"}"#, "`count`"),
        (r#"{"session_id":"x","count":10001}"#, "`count`"),
        ("[]", "`session_id`"),
    ] {
        let (status, _, bytes) = post_raw(&router, history::SEED_PATH, Some("k"), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(String::from_utf8_lossy(&bytes).contains(field), "{body}");
    }
    let (status, _, _) = post_raw(
        &router,
        history::SEED_PATH,
        None,
        r#"{"session_id":"x","count":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn posts_are_counted_per_session_accepted_or_not() {
    let (router, stats) = router("k");
    call(&router, Some("k"), &body_with("hi")).await;
    post_raw(&router, STREAM_PATH, Some("k"), &body_with("/echo x")).await;
    post_raw(&router, CHAT_PATH, None, &body_with("no key")).await;
    let other = json!({"user_id":"u1","agent_id":"a1","session_id":"b","message":"m"});
    call(&router, Some("k"), &other.to_string()).await;
    post_raw(&router, CHAT_PATH, Some("k"), "{not json").await;
    assert_eq!(stats.session_posts("a1-s"), 3);
    assert_eq!(stats.session_posts("b"), 1);
    assert_eq!(stats.message_posts(), 5);
}

#[tokio::test]
async fn bodiless_fault_statuses_are_refused_with_the_reason() {
    let (router, stats) = router("k");
    for spec in ["status=204", "status=101", "stream-status=304"] {
        let (status, _, bytes) = post_raw(
            &router,
            CHAT_PATH,
            Some("k"),
            &body_with(&format!("/fault {spec} -- hi")),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{spec}");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("cannot be scripted"), "{spec}: {text}");
    }
    assert_eq!(stats.turns("a1", "a1-s"), 0);
}

#[tokio::test]
async fn stream_labels_and_one_piece_stream_replies() {
    let (router, _) = router("k");
    for (spec, label) in [
        ("", "text/event-stream; charset=utf-8"),
        ("stream-type=json", "application/json"),
        ("stream-type=text", "text/plain; charset=utf-8"),
    ] {
        let (status, headers, bytes) = post_raw(
            &router,
            STREAM_PATH,
            Some("k"),
            &body_with(&format!("/fault drip=1 {spec} -- /echo a b")),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], label, "{spec}");
        assert!(lyzr_chat_protocol::looks_like_stream(&bytes), "{spec}");
        assert_eq!(decode(&bytes).0, "a b", "{spec}");
    }
    let (status, headers, bytes) = post_raw(
        &router,
        STREAM_PATH,
        Some("k"),
        &body_with("/fault stream-whole -- /echo in one piece"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/event-stream; charset=utf-8"
    );
    assert!(!lyzr_chat_protocol::looks_like_stream(&bytes));
    let reply: ChatResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(reply.text(), Some("in one piece"));
}

mod events_socket {
    use super::*;
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    type Socket = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    /// The agent on a real port (a WebSocket needs one).
    async fn serve_agent() -> (Router, AgentStats, String) {
        let (router, stats) = router("k");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(crate::serve(
            listener,
            router.clone(),
            std::future::pending(),
        ));
        (router, stats, addr)
    }

    async fn connect(addr: &str, session: &str) -> Socket {
        let url = format!("ws://{addr}/v3/events/{session}?x-api-key=k");
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    /// Text frames until the socket ends or `quiet` passes without one.
    async fn frames(socket: &mut Socket, quiet: Duration) -> (Vec<String>, bool) {
        let mut out = Vec::new();
        loop {
            match tokio::time::timeout(quiet, socket.next()).await {
                Err(_) => return (out, false),
                Ok(Some(Ok(WsMessage::Text(t)))) => out.push(t.to_string()),
                Ok(Some(Ok(_))) => {}
                Ok(None) | Ok(Some(Err(_))) => return (out, true),
            }
        }
    }

    fn types(frames: &[String]) -> Vec<String> {
        frames
            .iter()
            .filter_map(|f| serde_json::from_str::<Value>(f).ok())
            .map(|e| e["event_type"].as_str().unwrap_or("").to_string())
            .collect()
    }

    const STEPS: [&str; 8] = [
        "agent_process_start",
        "messages_retrieved",
        "knowledge_base_retrieval",
        "thinking",
        "tool_call_prepare",
        "tool_response",
        "llm_response",
        "agent_process_end",
    ];

    #[tokio::test]
    async fn a_reply_is_narrated_step_by_step_before_its_answer() {
        let (router, stats, addr) = serve_agent().await;
        let mut socket = connect(&addr, "a1-s").await;
        while stats.events.listeners("a1-s") == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let started = std::time::Instant::now();
        let (status, _, bytes) = post_raw(
            &router,
            STREAM_PATH,
            Some("k"),
            &body_with("/fault drip=1 -- /echo a b c"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(decode(&bytes).0, "a b c");
        assert!(
            started.elapsed() >= Duration::from_millis(6 * events::DEFAULT_GAP_MS),
            "the steps before the answer take their time while someone listens"
        );
        let (got, closed) = frames(&mut socket, Duration::from_millis(300)).await;
        assert!(!closed);
        assert_eq!(types(&got), STEPS);
        let events: Vec<Value> = got
            .iter()
            .map(|f| serde_json::from_str(f).unwrap())
            .collect();
        for e in &events {
            for field in [
                "status",
                "level",
                "message",
                "run_id",
                "trace_id",
                "timestamp",
            ] {
                assert!(e[field].is_string(), "{field} in {e}");
            }
            assert_eq!(e["run_id"], events[0]["run_id"], "one run");
            assert_eq!(e["session_id"], "a1-s");
        }
        assert_eq!(events[4]["tool_name"], "get_weather");
        assert_eq!(events[5]["tool_name"], "get_weather");
        assert_eq!(events[7]["status"], "completed");

        // A chat reply too, with its own run; another session hears nothing.
        let mut other = connect(&addr, "other").await;
        call(&router, Some("k"), &body_with("again")).await;
        let (got2, _) = frames(&mut socket, Duration::from_millis(300)).await;
        assert_eq!(types(&got2), STEPS);
        let second: Value = serde_json::from_str(&got2[0]).unwrap();
        assert_ne!(second["run_id"], events[0]["run_id"]);
        assert!(second["timestamp"].as_str().unwrap().ends_with('Z'));
        let (heard, _) = frames(&mut other, Duration::from_millis(100)).await;
        assert!(heard.is_empty(), "{heard:?}");
        assert_eq!(stats.events.opened("a1-s"), 1);
    }

    #[tokio::test]
    async fn nobody_listening_costs_no_time() {
        let (router, _, _) = serve_agent().await;
        let started = std::time::Instant::now();
        call(&router, Some("k"), &body_with("quick")).await;
        assert!(started.elapsed() < Duration::from_millis(3 * events::DEFAULT_GAP_MS));
    }

    #[tokio::test]
    async fn event_faults_never_touch_the_answer() {
        let (router, stats, addr) = serve_agent().await;

        let mut socket = connect(&addr, "a1-s").await;
        let (_, body) = call(
            &router,
            Some("k"),
            &body_with("/fault events=none -- /echo quiet"),
        )
        .await;
        assert_eq!(body["response"], "quiet");
        let (got, _) = frames(&mut socket, Duration::from_millis(200)).await;
        assert!(got.is_empty(), "{got:?}");

        let (_, body) = call(
            &router,
            Some("k"),
            &body_with("/fault events=malformed -- /echo broken"),
        )
        .await;
        assert_eq!(body["response"], "broken");
        let (got, _) = frames(&mut socket, Duration::from_millis(300)).await;
        assert_eq!(got.len(), STEPS.len());
        let unparsable = got
            .iter()
            .filter(|f| serde_json::from_str::<Value>(f).is_err())
            .count();
        assert_eq!(unparsable, STEPS.len() / 2, "{got:?}");

        let (_, body) = call(
            &router,
            Some("k"),
            &body_with("/fault events-delay=400 events-gap=0 -- /echo late"),
        )
        .await;
        assert_eq!(body["response"], "late");
        let (early, _) = frames(&mut socket, Duration::from_millis(150)).await;
        assert!(early.is_empty(), "the answer does not wait: {early:?}");
        let (got, _) = frames(&mut socket, Duration::from_millis(600)).await;
        assert_eq!(types(&got), STEPS);

        let (status, _, bytes) = post_raw(
            &router,
            STREAM_PATH,
            Some("k"),
            &body_with("/fault drip=1 events=drop -- /echo cut socket"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(decode(&bytes).0, "cut socket");
        let (got, closed) = frames(&mut socket, Duration::from_millis(500)).await;
        assert_eq!(types(&got), STEPS[..2]);
        assert!(closed, "the socket is cut mid-way");

        // Refused: scripted for the session, the upgrade gets the status.
        let (status, _, _) = post_raw(
            &router,
            events::FAULT_PATH,
            Some("k"),
            r#"{"session_id":"a1-s","fault":"status=503"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let url = format!("ws://{addr}/v3/events/a1-s?x-api-key=k");
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 503)
            }
            other => panic!("not refused: {:?}", other.map(|_| ())),
        }
        let (_, body) = call(&router, Some("k"), &body_with("/echo still fine")).await;
        assert_eq!(body["response"], "still fine");
        assert_eq!(stats.events.opened("a1-s"), 1);
    }

    #[tokio::test]
    async fn the_socket_needs_the_key_and_an_upgrade() {
        let (router, _, addr) = serve_agent().await;
        let url = format!("ws://{addr}/ws/a1-s?x-api-key=wrong");
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 401)
            }
            other => panic!("not refused: {:?}", other.map(|_| ())),
        }
        // Lyzr's path works the same with the right key.
        let url = format!("ws://{addr}/ws/a1-s?x-api-key=k");
        assert!(tokio_tungstenite::connect_async(url).await.is_ok());
        let req = Request::get("/v3/events/a1-s")
            .header(API_KEY_HEADER, "k")
            .body(Body::empty())
            .unwrap();
        let resp = router.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UPGRADE_REQUIRED);
    }
}
