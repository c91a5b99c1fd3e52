//! Two proxy processes sharing one rate limit through a real `redis-server`
//! (Debian's package; scripts/setup.sh installs it). Without it this test
//! fails: a skipped replica test would hide a broken shared limit.

mod common;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lyzr_chat_server::proxy::{self, LogSink, ProxyConfig};
use lyzr_chat_server::{app, serve, ServerConfig};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::TcpListener;

const KEY: &str = "sk-redis-test-key-0042";
const ORIGIN: &str = "http://127.0.0.1:4321";
const AGENT: &str = "demo-agent";

/// Kills the child when dropped (a failed assertion must not leak it).
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private redis-server on a free port, without persistence.
async fn start_redis() -> (Kill, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed (Debian package redis-server; scripts/setup.sh installs it)");
    let child = Kill(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (child, port);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis-server did not start on port {port}");
}

async fn start_agent() -> String {
    let (router, _) = app(&ServerConfig {
        api_key: KEY.into(),
        dist: "no-dist-here".into(),
        ..ServerConfig::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router, std::future::pending()));
    url
}

/// A proxy process sharing limits through `store`; returns it and its URL.
fn start_proxy_process(upstream: &str, store: &str, rate: u32) -> (Kill, String) {
    let rate = rate.to_string();
    let (url, child) = common::spawn_proxy(
        KEY,
        ORIGIN,
        AGENT,
        upstream,
        &["--rate-per-ip", &rate, "--rate-limit-store", store],
        Stdio::null(),
    );
    (Kill(child), url)
}

async fn chat(proxy: &str, user: &str) -> u16 {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let body = serde_json::json!({
        "user_id": user, "agent_id": AGENT, "session_id": "demo-agent-s1", "message": "/echo hi"
    })
    .to_string();
    let req = hyper::Request::post(format!("{proxy}/v3/inference/chat/"))
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let r = client.request(req).await.unwrap();
    let status = r.status().as_u16();
    let _ = r.into_body().collect().await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_limit_through_redis() {
    let (_redis, port) = start_redis().await;
    let agent = start_agent().await;
    let store = format!("redis://127.0.0.1:{port}");
    let (_a, a) = start_proxy_process(&agent, &store, 4);
    let (_b, b) = start_proxy_process(&agent, &store, 4);
    let mut statuses = Vec::new();
    for i in 0..8 {
        let proxy = if i % 2 == 0 { &a } else { &b };
        statuses.push(chat(proxy, &format!("u{i}")).await);
    }
    // 4 a minute from this address across both replicas, not 4 each.
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
}

#[tokio::test]
async fn unreachable_store_fails_open_to_local_limits_and_says_so() {
    let agent = start_agent().await;
    let dead = format!("redis://127.0.0.1:{}", free_port());
    let mut c = ProxyConfig::new(&agent, KEY, &[ORIGIN], &[AGENT]).unwrap();
    c.rate_limit_store = Some(dead);
    c.rate_per_ip = 2;
    let (sink, logs) = LogSink::memory();
    c.log = sink;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(c),
        std::future::pending(),
    ));
    let statuses = [
        chat(&url, "a").await,
        chat(&url, "b").await,
        chat(&url, "c").await,
    ];
    assert_eq!(
        statuses,
        [200, 200, 429],
        "served, and still limited locally"
    );
    let logs = logs.lock().unwrap().join("\n");
    let down: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["event"] == "rate_limit_store_unreachable")
        .collect();
    assert_eq!(down.len(), 1, "logged once, not per request: {logs}");
    assert_eq!(down[0]["level"], "ERROR", "{logs}");
    assert!(
        down[0]["consequence"]
            .as_str()
            .unwrap()
            .contains("FAILING OPEN"),
        "{logs}"
    );
    // Logged while the first request was served: its span names it.
    let first = logs
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["event"] == "request")
        .unwrap();
    assert_eq!(down[0]["span"]["request_id"], first["request_id"], "{logs}");
}
