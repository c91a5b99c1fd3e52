//! The proxy in front of a real upstream on loopback: the local agent (chat)
//! or a small fake Lyzr API defined here (stream, stop, history, upload,
//! slow and failing replies), driven over HTTP like a browser would.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lyzr_chat_server::proxy::{self, LogSink, ProxyConfig, Secret};
use lyzr_chat_server::{app, serve, AgentStats, ServerConfig};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};

const KEY: &str = "sk-proxy-test-secret-4f9d2c";
const ORIGIN: &str = "http://127.0.0.1:4321";
const AGENT: &str = "demo-agent";
const CHAT: &str = "/v3/inference/chat/";
const STREAM: &str = "/v3/inference/stream/";

fn chat_body(agent: &str, user: &str, message: &str) -> String {
    serde_json::json!({
        "user_id": user, "agent_id": agent, "session_id": format!("{agent}-s1"), "message": message
    })
    .to_string()
}

/// The local agent on a free loopback port, accepting only `key`.
async fn start_agent(key: &str) -> (String, AgentStats) {
    let (router, stats) = app(&ServerConfig {
        api_key: key.into(),
        dist: "no-dist-here".into(),
        ..ServerConfig::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router, std::future::pending()));
    (url, stats)
}

fn config(upstream: &str) -> (ProxyConfig, Arc<Mutex<Vec<String>>>) {
    let mut c = ProxyConfig::new(upstream, KEY, &[ORIGIN], &[AGENT]).unwrap();
    let (sink, lines) = LogSink::memory();
    c.log = sink;
    (c, lines)
}

async fn start_proxy(config: ProxyConfig) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(config),
        std::future::pending(),
    ));
    url
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("JSON body: {}", self.text()))
    }
    fn detail(&self) -> String {
        self.json()["detail"].to_string()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    /// Status line, headers and body, for "the key is nowhere" checks.
    fn everything(&self) -> String {
        format!("{} {:?} {}", self.status, self.headers, self.text())
    }
}

async fn open(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> hyper::Response<Incoming> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    client
        .request(req.body(Full::new(body.into())).unwrap())
        .await
        .expect("request reaches the server")
}

async fn call(url: &str, method: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Reply {
    let r = open(url, method, headers, body).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

const BROWSER: &[(&str, &str)] = &[("origin", ORIGIN), ("content-type", "application/json")];

async fn post_chat(proxy: &str, body: &str) -> Reply {
    call(&format!("{proxy}{CHAT}"), "POST", BROWSER, body.to_string()).await
}

// ---------------------------------------------------------------- fake Lyzr

/// What the fake upstream received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    api_key: Option<String>,
    content_type: Option<String>,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The test says "I have the first chunk"; the stream may then finish.
    first_chunk_seen: Arc<Notify>,
    /// Set when an endless stream found its reader gone.
    aborted: Arc<AtomicBool>,
}

/// A response body fed from a channel: dropping it closes the channel.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

const STREAM_CHUNKS: [&str; 3] = ["data: one\n\n", "data: two\n\n", "data: [DONE]\n\n"];

async fn fake_handler(State(fake): State<Fake>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let get = |n: &str| {
        parts
            .headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
    };
    fake.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        api_key: get("x-api-key"),
        content_type: get("content-type"),
        body: body.clone(),
    });
    let text = String::from_utf8_lossy(&body).into_owned();
    let path = parts.uri.path();
    if path == STREAM {
        let (tx, rx) = mpsc::channel::<Bytes>(1);
        if text.contains("forever") {
            let aborted = fake.aborted.clone();
            tokio::spawn(async move {
                for i in 0..1000 {
                    if tx
                        .send(Bytes::from(format!("data: {i}\n\n")))
                        .await
                        .is_err()
                    {
                        aborted.store(true, Ordering::SeqCst);
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        } else {
            let gate = fake.first_chunk_seen.clone();
            tokio::spawn(async move {
                tx.send(Bytes::from(STREAM_CHUNKS[0])).await.unwrap();
                // Finish only once the client has seen chunk one (or give up,
                // sending a chunk the test will reject).
                if tokio::time::timeout(Duration::from_secs(10), gate.notified())
                    .await
                    .is_err()
                {
                    let _ = tx.send(Bytes::from("data: buffered!\n\n")).await;
                    return;
                }
                for c in &STREAM_CHUNKS[1..] {
                    tx.send(Bytes::from(*c)).await.unwrap();
                }
            });
        }
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::new(ChannelBody(rx)))
            .unwrap();
    }
    if text.contains("/slow") {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    if text.contains("/fail") {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"detail":"model overloaded"}"#,
        )
            .into_response();
    }
    (
        [("content-type", "application/json")],
        format!(r#"{{"ok":true,"path":"{path}"}}"#),
    )
        .into_response()
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake::default();
    let router = Router::new()
        .fallback(fake_handler)
        .with_state(fake.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router, std::future::pending()));
    (url, fake)
}

// -------------------------------------------------------------------- tests

#[tokio::test]
async fn chat_round_trip_is_byte_for_byte_the_upstream_reply() {
    let (agent, stats) = start_agent(KEY).await;
    let (c, logs) = config(&agent);
    let proxy = start_proxy(c).await;
    let body = chat_body(AGENT, "u1", "/echo Hello *proxy* \u{1F600} <b>x</b>");

    let direct = call(
        &format!("{agent}{CHAT}"),
        "POST",
        &[("x-api-key", KEY), ("content-type", "application/json")],
        body.clone(),
    )
    .await;
    let proxied = post_chat(&proxy, &body).await;
    assert_eq!(direct.status, 200, "{}", direct.text());
    assert_eq!(proxied.status, 200, "{}", proxied.text());
    assert_eq!(proxied.body, direct.body, "same bytes as from the agent");
    assert_eq!(
        proxied.header("content-type"),
        direct.header("content-type")
    );
    assert_eq!(proxied.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(proxied.header("x-request-id").is_some());
    assert_eq!(stats.chat_posts(), 2, "one direct, one through the proxy");
    assert!(!proxied.everything().contains(KEY));

    // The log line: id, status, latency; no message contents by default.
    let logs = logs.lock().unwrap().join("\n");
    let line = logs
        .lines()
        .find(|l| l.contains(r#""event":"request""#))
        .expect("a request log line");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["request_id"], proxied.header("x-request-id").unwrap());
    assert!(v["latency_ms"].is_number(), "{line}");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["path"], CHAT);
    assert!(
        !logs.contains("Hello"),
        "message text is not logged: {logs}"
    );
    assert!(!logs.contains(KEY));
}

#[tokio::test]
async fn log_bodies_logs_message_contents_only_when_enabled() {
    let (agent, _) = start_agent(KEY).await;
    let (mut c, logs) = config(&agent);
    c.log_bodies = true;
    let proxy = start_proxy(c).await;
    let r = post_chat(&proxy, &chat_body(AGENT, "u", "/echo visible in logs")).await;
    assert_eq!(r.status, 200);
    assert!(logs.lock().unwrap().join("\n").contains("visible in logs"));
}

#[tokio::test]
async fn stream_chunks_arrive_before_the_upstream_finishes() {
    let (fake, state) = start_fake().await;
    let proxy = start_proxy(config(&fake).0).await;
    let body = chat_body(AGENT, "u", "stream please");
    let r = open(&format!("{proxy}{STREAM}"), "POST", BROWSER, body.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    let mut incoming = r.into_body();
    let mut got = Vec::new();
    // The upstream holds back chunks two and three until we have chunk one,
    // so a proxy that buffered the whole stream would never deliver it.
    while !got.ends_with(STREAM_CHUNKS[0].as_bytes()) {
        let frame = tokio::time::timeout(Duration::from_secs(5), incoming.frame())
            .await
            .expect("chunk one arrives while the upstream is still streaming")
            .expect("stream not ended")
            .unwrap();
        got.extend_from_slice(&frame.into_data().unwrap());
    }
    state.first_chunk_seen.notify_one();
    let rest = incoming.collect().await.unwrap().to_bytes();
    got.extend_from_slice(&rest);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        STREAM_CHUNKS.concat(),
        "byte for byte"
    );
    let seen = state.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, STREAM);
    assert_eq!(seen.api_key.as_deref(), Some(KEY), "the real key upstream");
    assert_eq!(
        seen.body,
        Bytes::from(body),
        "request body forwarded as sent"
    );
}

#[tokio::test]
async fn browser_disconnect_aborts_the_upstream_stream() {
    let (fake, state) = start_fake().await;
    let proxy = start_proxy(config(&fake).0).await;
    let r = open(
        &format!("{proxy}{STREAM}"),
        "POST",
        BROWSER,
        chat_body(AGENT, "u", "forever"),
    )
    .await;
    let mut incoming = r.into_body();
    let first = incoming.frame().await.unwrap().unwrap();
    assert!(first.into_data().unwrap().starts_with(b"data: 0"));
    assert!(!state.aborted.load(Ordering::SeqCst));
    drop(incoming); // the visitor closes the tab
    for _ in 0..100 {
        if state.aborted.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the upstream kept streaming 5 s after the browser went away");
}

#[tokio::test]
async fn missing_forged_or_null_origin_is_refused_and_preflight_is_exact() {
    let (agent, stats) = start_agent(KEY).await;
    let proxy = start_proxy(config(&agent).0).await;
    let body = chat_body(AGENT, "u", "/echo hi");
    let url = format!("{proxy}{CHAT}");
    let r = call(
        &url,
        "POST",
        &[("content-type", "application/json")],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.detail().contains("no Origin header"), "{}", r.text());
    for forged in [
        "https://evil.example",
        "null",
        "http://127.0.0.1:4321.evil.example",
        "http://127.0.0.1:4322",
    ] {
        let r = call(
            &url,
            "POST",
            &[("origin", forged), ("content-type", "application/json")],
            body.clone(),
        )
        .await;
        assert_eq!(r.status, 403, "{forged}");
        assert!(r.detail().contains("not allowed"), "{}", r.text());
        assert_eq!(r.header("access-control-allow-origin"), None, "{forged}");
        let pre = call(
            &url,
            "OPTIONS",
            &[
                ("origin", forged),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await;
        assert_eq!(pre.status, 403, "preflight from {forged}");
        assert_eq!(pre.header("access-control-allow-origin"), None);
    }
    assert_eq!(stats.chat_posts(), 0, "nothing reached the upstream");

    let pre = call(
        &url,
        "OPTIONS",
        &[
            ("origin", ORIGIN),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        "",
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(pre.header("access-control-allow-methods"), Some("POST"));
    let allowed = pre.header("access-control-allow-headers").unwrap();
    assert!(
        allowed.contains("content-type") && allowed.contains("x-api-key"),
        "{allowed}"
    );
    assert!(pre.header("vary").unwrap().contains("origin"));
    let hist = call(
        &format!("{proxy}/v1/sessions/{AGENT}-s1/history"),
        "OPTIONS",
        &[("origin", ORIGIN), ("access-control-request-method", "GET")],
        "",
    )
    .await;
    assert_eq!(hist.header("access-control-allow-methods"), Some("GET"));
}

#[tokio::test]
async fn other_agents_paths_and_sessions_are_refused() {
    let (agent, stats) = start_agent(KEY).await;
    let proxy = start_proxy(config(&agent).0).await;
    let r = post_chat(&proxy, &chat_body("someone-elses-agent", "u", "hi")).await;
    assert_eq!(r.status, 403);
    assert!(r.detail().contains("someone-elses-agent"), "{}", r.text());
    assert!(
        r.detail().contains("not served by this proxy"),
        "{}",
        r.text()
    );
    assert_eq!(stats.chat_posts(), 0);

    for path in [
        "/v3/agents/",
        "/v2/inference/chat/",
        "/",
        "/v3/inference/chat/../../x",
    ] {
        let r = call(&format!("{proxy}{path}"), "GET", BROWSER, "").await;
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert!(r.detail().contains("Not Found"), "{}", r.text());
    }
    // A full URL in the request line is never fetched.
    let r = call(&format!("{proxy}/http://127.0.0.1:1/x"), "GET", BROWSER, "").await;
    assert_eq!(r.status, 404);
    let r = call(
        &format!("{proxy}/v1/sessions/other-agent-s1/history"),
        "GET",
        BROWSER,
        "",
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = call(
        &format!("{proxy}/v1/sessions/%2E%2E/history"),
        "GET",
        BROWSER,
        "",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = call(&format!("{proxy}{CHAT}"), "GET", BROWSER, "").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
}

#[tokio::test]
async fn stop_history_and_upload_are_forwarded_with_the_real_key() {
    let (fake, state) = start_fake().await;
    let (mut c, _) = config(&fake);
    c.max_upload = 1000;
    let proxy = start_proxy(c).await;
    let browser_with_fake_key = [("origin", ORIGIN), ("x-api-key", "page-supplied")];
    let r = call(
        &format!("{proxy}/v3/inference/session/{AGENT}-a_b/stop"),
        "POST",
        &browser_with_fake_key,
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = call(
        &format!("{proxy}/v1/sessions/{AGENT}-s1/history?evil=1"),
        "GET",
        BROWSER,
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let multipart = "--XX\r\ncontent-disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XX--\r\n";
    let r = call(
        &format!("{proxy}/v3/assets/upload?agent_id={AGENT}"),
        "POST",
        &[
            ("origin", ORIGIN),
            ("content-type", "multipart/form-data; boundary=XX"),
        ],
        multipart,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = state.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path,
        format!("/v3/inference/session/{AGENT}-a_b/stop")
    );
    assert_eq!(seen[1].method, "GET");
    assert_eq!(seen[1].path, format!("/v1/sessions/{AGENT}-s1/history"));
    assert_eq!(
        seen[2].content_type.as_deref(),
        Some("multipart/form-data; boundary=XX")
    );
    assert_eq!(seen[2].body, Bytes::from(multipart));
    assert!(
        seen.iter().all(|s| s.api_key.as_deref() == Some(KEY)),
        "{seen:?}"
    );

    let big = "x".repeat(1001);
    let r = call(
        &format!("{proxy}/v3/assets/upload?agent_id={AGENT}"),
        "POST",
        &[
            ("origin", ORIGIN),
            ("content-type", "multipart/form-data; boundary=XX"),
        ],
        big,
    )
    .await;
    assert_eq!(r.status, 413);
    let r = call(
        &format!("{proxy}/v3/assets/upload?agent_id={AGENT}"),
        "POST",
        BROWSER,
        "{}",
    )
    .await;
    assert_eq!(r.status, 415);
    assert_eq!(
        state.seen.lock().unwrap().len(),
        3,
        "refused uploads not forwarded"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413_even_without_content_length() {
    let (agent, stats) = start_agent(KEY).await;
    let (mut c, _) = config(&agent);
    c.max_body = 200;
    let proxy = start_proxy(c).await;
    let long = chat_body(AGENT, "u", &"x".repeat(300));
    let r = post_chat(&proxy, &long).await;
    assert_eq!(r.status, 413);
    assert!(r.detail().contains("limit of 200 bytes"), "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(ORIGIN),
        "the page can read why"
    );

    // Chunked, so only counting the bytes catches it.
    let addr = proxy.trim_start_matches("http://");
    let chunk = "x".repeat(150);
    let raw = format!(
        "POST {CHAT} HTTP/1.1\r\nhost: {addr}\r\norigin: {ORIGIN}\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n\
         {len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    assert_eq!(stats.chat_posts(), 0);
}

#[tokio::test]
async fn malformed_json_is_400_and_bad_fields_422() {
    let (agent, stats) = start_agent(KEY).await;
    let proxy = start_proxy(config(&agent).0).await;
    let r = post_chat(&proxy, "{not json").await;
    assert_eq!(r.status, 400);
    assert!(r.detail().contains("not valid JSON"), "{}", r.text());
    let r = post_chat(
        &proxy,
        r#"{"user_id":"u","agent_id":"demo-agent","session_id":"s"}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["loc"][1], "message", "{}", r.text());
    assert_eq!(stats.chat_posts(), 0, "invalid bodies stop at the proxy");
}

#[tokio::test]
async fn per_ip_and_per_user_limits_answer_429_with_retry_after() {
    let (agent, _) = start_agent(KEY).await;
    let (mut c, _) = config(&agent);
    c.rate_per_ip = 3;
    c.rate_per_user = 1000;
    let proxy = start_proxy(c).await;
    for i in 0..3 {
        let r = post_chat(&proxy, &chat_body(AGENT, &format!("u{i}"), "/echo x")).await;
        assert_eq!(r.status, 200, "request {i}");
    }
    let r = post_chat(&proxy, &chat_body(AGENT, "u9", "/echo x")).await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.header("retry-after"),
        Some("20"),
        "3 a minute: one every 20 s"
    );
    assert!(r.detail().contains("try again in 20 s"), "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));

    let (mut c, _) = config(&agent);
    c.rate_per_ip = 1000;
    c.rate_per_user = 2;
    let proxy = start_proxy(c).await;
    for _ in 0..2 {
        assert_eq!(
            post_chat(&proxy, &chat_body(AGENT, "alice", "/echo x"))
                .await
                .status,
            200
        );
    }
    let r = post_chat(&proxy, &chat_body(AGENT, "alice", "/echo x")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("30"));
    assert_eq!(
        post_chat(&proxy, &chat_body(AGENT, "bob", "/echo x"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let (agent, _) = start_agent(KEY).await;
    let send = |proxy: String, client: &'static str| async move {
        call(
            &format!("{proxy}{CHAT}"),
            "POST",
            &[
                ("origin", ORIGIN),
                ("content-type", "application/json"),
                ("x-forwarded-for", client),
            ],
            chat_body(AGENT, client, "/echo x"),
        )
        .await
        .status
    };
    let (mut c, _) = config(&agent);
    c.rate_per_ip = 1;
    let untrusting = start_proxy(c).await;
    assert_eq!(send(untrusting.clone(), "10.1.1.1").await, 200);
    assert_eq!(
        send(untrusting, "10.2.2.2").await,
        429,
        "a forged header buys nothing"
    );

    let (mut c, _) = config(&agent);
    c.rate_per_ip = 1;
    c.trust_proxies = vec!["127.0.0.1".parse().unwrap()];
    let trusting = start_proxy(c).await;
    assert_eq!(send(trusting.clone(), "10.1.1.1").await, 200);
    assert_eq!(
        send(trusting.clone(), "10.2.2.2").await,
        200,
        "another client"
    );
    assert_eq!(send(trusting, "10.1.1.1").await, 429);
}

#[tokio::test]
async fn upstream_timeout_and_failures_get_clear_errors() {
    let (fake, _) = start_fake().await;
    let (mut c, logs) = config(&fake);
    c.upstream_timeout = Duration::from_secs(1);
    let proxy = start_proxy(c).await;
    let r = post_chat(&proxy, &chat_body(AGENT, "u", "/slow")).await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(
        r.detail().contains("did not answer within 1 s"),
        "{}",
        r.text()
    );

    let r = post_chat(&proxy, &chat_body(AGENT, "u", "/fail")).await;
    assert_eq!(r.status, 502, "{}", r.text());
    let detail = r.detail();
    assert!(detail.contains("the Lyzr API failed (500"), "{detail}");
    assert!(
        detail.contains("model overloaded"),
        "upstream's reason kept: {detail}"
    );
    assert!(logs
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains(r#""status":502"#) && l.contains(r#""level":"ERROR""#)));

    // Nothing listens there any more.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let proxy = start_proxy(config(&gone).0).await;
    let r = post_chat(&proxy, &chat_body(AGENT, "u", "hi")).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.detail().contains("could not reach the Lyzr API"),
        "{}",
        r.text()
    );

    // A wrong key on the proxy is the site owner's problem, and says so.
    let (agent, _) = start_agent("some-other-key").await;
    let proxy = start_proxy(config(&agent).0).await;
    let r = post_chat(&proxy, &chat_body(AGENT, "u", "hi")).await;
    assert_eq!(r.status, 502);
    assert!(
        r.detail().contains("refused the proxy's key"),
        "{}",
        r.text()
    );
    assert!(r.detail().contains("LYZR_API_KEY"), "{}", r.text());
    assert!(!r.everything().contains(KEY));
}

#[tokio::test]
async fn widget_keys_are_checked_and_swapped_for_the_real_key() {
    let (fake, state) = start_fake().await;
    let (mut c, _) = config(&fake);
    c.widget_keys = vec![Secret::new("wk-old"), Secret::new("wk-new")];
    let proxy = start_proxy(c).await;
    let url = format!("{proxy}{CHAT}");
    let body = chat_body(AGENT, "u", "hi");
    let r = call(&url, "POST", BROWSER, body.clone()).await;
    assert_eq!(r.status, 401);
    assert!(r.detail().contains("widget key"), "{}", r.text());
    let with = |k: &'static str| {
        [
            ("origin", ORIGIN),
            ("content-type", "application/json"),
            ("x-api-key", k),
        ]
    };
    assert_eq!(
        call(&url, "POST", &with("wk-wrong"), body.clone())
            .await
            .status,
        401
    );
    assert_eq!(
        call(&url, "POST", &with(KEY), body.clone()).await.status,
        401,
        "the real key is no widget key"
    );
    assert_eq!(
        call(&url, "POST", &with("wk-old"), body.clone())
            .await
            .status,
        200
    );
    assert_eq!(
        call(&url, "POST", &with("wk-new"), body.clone())
            .await
            .status,
        200
    );
    let seen = state.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.api_key.as_deref() == Some(KEY)));
}

#[tokio::test]
async fn health_endpoint_answers_without_origin() {
    let proxy = start_proxy(config("http://127.0.0.1:9").0).await;
    let r = call(&format!("{proxy}/healthz"), "GET", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
}

// ------------------------------------------------------------- the binary

const BIN: &str = env!("CARGO_BIN_EXE_lyzr-chat-server");

fn proxy_command(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.arg("proxy").args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("LYZR_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

#[test]
fn proxy_help_documents_every_flag_and_the_key_variable() {
    let out = proxy_command(&["--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--config",
        "--listen",
        "--upstream",
        "--allow-origin",
        "--allow-agent",
        "--widget-key",
        "--max-body",
        "--max-upload",
        "--rate-per-ip",
        "--rate-per-user",
        "--trust-proxy",
        "--connect-timeout",
        "--upstream-timeout",
        "--log-bodies",
        "--rate-upload",
        "--header-timeout",
        "--body-timeout",
        "--max-connections",
        "--max-connections-per-ip",
        "--allow-history",
        "--allow-upload",
        "--allow-field",
        "--fixed-features",
        "--allow-variables",
        "--rate-limit-store",
        "--events-upstream",
        "--ws-idle-timeout",
        "--drain-timeout",
        "LYZR_API_KEY",
        "/healthz",
    ] {
        assert!(help.contains(flag), "proxy --help names {flag}:\n{help}");
    }
    assert!(!help.contains("--api-key"), "the key is never a flag");
}

#[test]
fn proxy_refuses_to_start_without_the_key_in_the_environment() {
    let out = proxy_command(&[
        "--listen",
        "127.0.0.1:0",
        "--allow-origin",
        ORIGIN,
        "--allow-agent",
        AGENT,
    ])
    .output()
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("LYZR_API_KEY is not set"), "{err}");
    let out = proxy_command(&[
        "--api-key",
        KEY,
        "--allow-origin",
        ORIGIN,
        "--allow-agent",
        AGENT,
    ])
    .output()
    .unwrap();
    assert!(!out.status.success(), "--api-key is not a proxy flag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_in_no_response_header_or_log_line_and_sigterm_stops_cleanly() {
    use std::io::{BufRead, BufReader, Read};
    let (agent, stats) = start_agent(KEY).await;
    let mut child = proxy_command(&[
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &agent,
        "--allow-origin",
        ORIGIN,
        "--allow-agent",
        AGENT,
        "--max-body",
        "300",
    ])
    .env("LYZR_API_KEY", KEY)
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let first = tokio::task::spawn_blocking(move || {
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let mut rest = String::new();
        let reader = std::thread::spawn(move || {
            stdout.read_to_string(&mut rest).unwrap();
            rest
        });
        (first, reader)
    });
    let (first, stdout_reader) = first.await.unwrap();
    let proxy = first.trim().rsplit(' ').next().unwrap().to_string();
    assert!(proxy.starts_with("http://127.0.0.1:"), "{first}");

    let mut replies = Vec::new();
    let ok = chat_body(AGENT, "u", "/echo through the binary");
    replies.push(post_chat(&proxy, &ok).await);
    assert_eq!(replies[0].status, 200, "{}", replies[0].text());
    // A page that sends the real key itself gains nothing, and gets no echo of it.
    replies.push(
        call(
            &format!("{proxy}{CHAT}"),
            "POST",
            &[
                ("origin", ORIGIN),
                ("content-type", "application/json"),
                ("x-api-key", "wrong"),
            ],
            ok.clone(),
        )
        .await,
    );
    replies.push(post_chat(&proxy, &chat_body("other", "u", "hi")).await);
    replies.push(post_chat(&proxy, "{oops").await);
    replies.push(post_chat(&proxy, &chat_body(AGENT, "u", &"y".repeat(400))).await);
    replies.push(
        call(
            &format!("{proxy}{CHAT}"),
            "POST",
            &[("origin", "https://evil.example")],
            ok.clone(),
        )
        .await,
    );
    replies.push(
        call(
            &format!("{proxy}{CHAT}"),
            "OPTIONS",
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await,
    );
    replies.push(call(&format!("{proxy}{STREAM}"), "POST", BROWSER, ok.clone()).await);
    replies.push(
        call(
            &format!("{proxy}/v1/sessions/{AGENT}-s1/history"),
            "GET",
            BROWSER,
            "",
        )
        .await,
    );
    replies.push(call(&format!("{proxy}/v3/nope"), "GET", BROWSER, "").await);
    replies.push(call(&format!("{proxy}/healthz"), "GET", &[], "").await);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses[..7],
        [200, 200, 403, 400, 413, 403, 204],
        "{statuses:?}"
    );
    assert_eq!(
        stats.chat_posts(),
        2,
        "only the two valid chats reached the agent"
    );
    for r in &replies {
        assert!(
            !r.everything().contains(KEY),
            "key in a response: {}",
            r.everything()
        );
    }

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "SIGTERM is a clean exit: {status:?}");
    let logs = stderr_reader.join().unwrap();
    let out = stdout_reader.join().unwrap();
    assert!(!logs.contains(KEY), "key in the logs:\n{logs}");
    assert!(!out.contains(KEY) && !first.contains(KEY), "key on stdout");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON log line: {l}")))
        .collect();
    assert_eq!(lines.first().unwrap()["event"], "start", "{logs}");
    assert_eq!(lines.last().unwrap()["event"], "shutdown", "{logs}");
    assert_eq!(lines.last().unwrap()["signal"], "SIGTERM");
    let requests: Vec<_> = lines.iter().filter(|l| l["event"] == "request").collect();
    assert_eq!(
        requests.len(),
        replies.len() - 1,
        "one line per request but /healthz: {logs}"
    );
    for r in &requests {
        for field in [
            "request_id",
            "method",
            "path",
            "status",
            "latency_ms",
            "client_ip",
        ] {
            assert!(!r[field].is_null(), "{field} in {r}");
        }
    }
    assert!(
        !logs.contains("through the binary"),
        "no message contents by default"
    );
}
