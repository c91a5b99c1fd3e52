//! Running the proxy: `GET /metrics` (Prometheus text), request ids and the
//! `tracing` JSON lines tied to them, and a shutdown that drains open
//! streams up to `--drain-timeout`.

mod common;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lyzr_chat_server::proxy::{self, LogSink, ProxyConfig};
use lyzr_chat_server::serve;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const KEY: &str = "sk-ops-test-1";
const ORIGIN: &str = "http://127.0.0.1:4321";
const AGENT: &str = "demo";

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

/// Streams: `slow` sends 5 chunks 200 ms apart then `[DONE]`; `forever`
/// never ends. Chat: a small JSON reply.
async fn fake(req: Request) -> Response {
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    if text.contains("slow") || text.contains("forever") {
        let (tx, rx) = mpsc::channel::<Bytes>(1);
        let forever = text.contains("forever");
        tokio::spawn(async move {
            let mut i = 0;
            while forever || i < 5 {
                if tx
                    .send(Bytes::from(format!("data: {i}\n\n")))
                    .await
                    .is_err()
                {
                    return;
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = tx.send(Bytes::from("data: [DONE]\n\n")).await;
        });
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::new(ChannelBody(rx)))
            .unwrap();
    }
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(r#"{"response":"ok"}"#))
        .unwrap()
}

async fn start_fake() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        Router::new().fallback(fake),
        std::future::pending(),
    ));
    url
}

fn config(upstream: &str) -> ProxyConfig {
    config_with_logs(upstream).0
}

type Logs = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

fn config_with_logs(upstream: &str) -> (ProxyConfig, Logs) {
    let mut c = ProxyConfig::new(upstream, KEY, &[ORIGIN], &[AGENT]).unwrap();
    let (sink, lines) = LogSink::memory();
    c.log = sink;
    (c, lines)
}

fn events(logs: &Logs, event: &str) -> Vec<serde_json::Value> {
    logs.lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .filter(|v: &serde_json::Value| v["event"] == event)
        .collect()
}

fn body(message: &str) -> String {
    serde_json::json!({"user_id": "u", "agent_id": AGENT, "session_id": "demo-s1", "message": message})
        .to_string()
}

async fn send(
    url: &str,
    origin: &str,
    message: &str,
) -> Result<hyper::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let req = hyper::Request::post(url)
        .header("origin", origin)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body(message))))
        .unwrap();
    client.request(req).await
}

async fn metrics(proxy: &str) -> String {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let r = client
        .request(
            hyper::Request::get(format!("{proxy}/metrics"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn metrics_count_routes_statuses_rejections_latency_and_open_streams() {
    let upstream = start_fake().await;
    let mut c = config(&upstream);
    c.rate_per_ip = 3;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(c),
        std::future::pending(),
    ));
    let chat = format!("{proxy}/v3/inference/chat/");
    let stream = format!("{proxy}/v3/inference/stream/");

    assert_eq!(send(&chat, ORIGIN, "hi").await.unwrap().status(), 200);
    assert_eq!(
        send(&chat, "https://evil.example", "hi")
            .await
            .unwrap()
            .status(),
        403
    );
    let open = send(&stream, ORIGIN, "forever").await.unwrap();
    assert_eq!(open.status(), 200);
    let mut open = open.into_body();
    open.frame().await.unwrap().unwrap();
    assert_eq!(send(&chat, ORIGIN, "hi").await.unwrap().status(), 200);
    assert_eq!(send(&chat, ORIGIN, "hi").await.unwrap().status(), 429);

    let text = metrics(&proxy).await;
    for line in [
        r#"lyzr_proxy_requests_total{route="chat",status="200"} 2"#,
        r#"lyzr_proxy_requests_total{route="chat",status="403"} 1"#,
        r#"lyzr_proxy_requests_total{route="chat",status="429"} 1"#,
        r#"lyzr_proxy_requests_total{route="stream",status="200"} 1"#,
        r#"lyzr_proxy_origin_rejections_total 1"#,
        r#"lyzr_proxy_rate_limited_total{limit="ip"} 1"#,
        r#"lyzr_proxy_open_streams{kind="stream"} 1"#,
        r#"lyzr_proxy_upstream_latency_seconds_count{route="chat"} 2"#,
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    drop(open);
    let mut closed = false;
    for _ in 0..50 {
        if metrics(&proxy)
            .await
            .contains(r#"lyzr_proxy_open_streams{kind="stream"} 0"#)
        {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "the gauge falls when the visitor leaves");
}

#[tokio::test]
async fn shutdown_drains_open_streams_then_cuts_at_the_deadline() {
    let upstream = start_fake().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut c = config(&upstream);
    c.drain_timeout = Duration::from_secs(10);
    let server = tokio::spawn(proxy::serve(listener, proxy::router(c), async move {
        let _ = stopped.await;
    }));
    let r = send(
        &format!("http://{addr}/v3/inference/stream/"),
        ORIGIN,
        "slow",
    )
    .await
    .unwrap();
    let mut incoming = r.into_body();
    let first = incoming
        .frame()
        .await
        .unwrap()
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(first, "data: 0\n\n");
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections once shutting down"
    );
    let rest = incoming.collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&rest).ends_with("data: 4\n\ndata: [DONE]\n\n"),
        "the open stream finished: {rest:?}"
    );
    let drained = server.await.unwrap().unwrap();
    assert!(drained.all && drained.open == 1, "{drained:?}");

    // A stream that never ends is cut at the deadline.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut c = config(&upstream);
    c.drain_timeout = Duration::from_secs(1);
    let server = tokio::spawn(proxy::serve(listener, proxy::router(c), async move {
        let _ = stopped.await;
    }));
    let r = send(
        &format!("http://{addr}/v3/inference/stream/"),
        ORIGIN,
        "forever",
    )
    .await
    .unwrap();
    let mut incoming = r.into_body();
    incoming.frame().await.unwrap().unwrap();
    let start = Instant::now();
    stop.send(()).unwrap();
    let drained = server.await.unwrap().unwrap();
    assert!(!drained.all, "{drained:?}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let cut = tokio::time::timeout(Duration::from_secs(3), incoming.collect()).await;
    assert!(cut.is_ok(), "the client sees the stream end, not a hang");
}

/// The binary with `--drain-timeout SECS`, in front of `upstream`; its
/// address, and the process (stderr piped).
fn start_binary(upstream: &str, drain: &str) -> (String, std::process::Child) {
    common::spawn_proxy(
        KEY,
        ORIGIN,
        AGENT,
        upstream,
        &["--drain-timeout", drain],
        std::process::Stdio::piped(),
    )
}

/// SIGTERM, then the exit status, the time it took and the last log line.
async fn terminate(mut child: std::process::Child) -> (bool, Duration, serde_json::Value) {
    use std::io::Read;
    let start = Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let (ok, logs) = tokio::task::spawn_blocking(move || {
        let ok = child.wait().unwrap().success();
        let mut logs = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        (ok, logs)
    })
    .await
    .unwrap();
    let last = logs.lines().last().unwrap_or("{}");
    (ok, start.elapsed(), serde_json::from_str(last).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_timeout_flag_lets_an_open_stream_finish_and_cuts_one_at_its_deadline() {
    let upstream = start_fake().await;

    // An open stream (1 s more of chunks) finishes within --drain-timeout 5.
    let (proxy, child) = start_binary(&upstream, "5");
    let r = send(&format!("{proxy}/v3/inference/stream/"), ORIGIN, "slow")
        .await
        .unwrap();
    let mut incoming = r.into_body();
    incoming.frame().await.unwrap().unwrap();
    let exit = tokio::spawn(terminate(child));
    let rest = incoming.collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&rest).ends_with("data: 4\n\ndata: [DONE]\n\n"),
        "the stream finished during the drain: {rest:?}"
    );
    let (ok, took, last) = exit.await.unwrap();
    assert!(ok, "a drained shutdown exits cleanly");
    assert!(
        took < Duration::from_secs(4),
        "it ended with the stream: {took:?}"
    );
    assert_eq!(last["event"], "shutdown", "{last}");
    assert_eq!(last["drained"], true, "{last}");
    assert_eq!(last["connections_open"], 1, "{last}");

    // A stream that never ends is cut at --drain-timeout 1.
    let (proxy, child) = start_binary(&upstream, "1");
    let r = send(&format!("{proxy}/v3/inference/stream/"), ORIGIN, "forever")
        .await
        .unwrap();
    let mut incoming = r.into_body();
    incoming.frame().await.unwrap().unwrap();
    let (ok, took, last) = terminate(child).await;
    assert!(ok, "{last}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "cut at the deadline, not before, not much after: {took:?}"
    );
    assert_eq!(last["drained"], false, "{last}");
    let cut = tokio::time::timeout(Duration::from_secs(3), incoming.collect()).await;
    assert!(cut.is_ok(), "the client sees the stream end, not a hang");
}

#[tokio::test]
async fn request_ids_are_the_proxys_own_and_tie_a_stream_failure_to_its_request() {
    let upstream = start_fake().await;
    let (mut c, logs) = config_with_logs(&upstream);
    c.upstream_timeout = Duration::from_secs(1);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(c),
        std::future::pending(),
    ));

    // A client's own x-request-id is not taken: it could pose as another's.
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let r = client
        .request(
            hyper::Request::post(format!("{proxy}/v3/inference/stream/"))
                .header("origin", ORIGIN)
                .header("content-type", "application/json")
                .header("x-request-id", "forged-1")
                .body(Full::new(Bytes::from(body("forever"))))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id, "forged-1");
    assert!(
        r.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-request-id"),
        "the page may read the id"
    );
    // --upstream-timeout cuts the stream: the failure is logged in the
    // request's span.
    let _ = tokio::time::timeout(Duration::from_secs(5), r.into_body().collect()).await;
    let mut failed = Vec::new();
    for _ in 0..50 {
        failed = events(&logs, "stream_failed");
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(failed.len(), 1, "{:?}", logs.lock().unwrap());
    assert_eq!(
        failed[0]["span"]["request_id"],
        id.as_str(),
        "{}",
        failed[0]
    );
    assert_eq!(failed[0]["level"], "ERROR");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("longer than 1 s"),
        "{}",
        failed[0]
    );
    let request = events(&logs, "request");
    assert_eq!(request.len(), 1, "{request:?}");
    assert_eq!(request[0]["request_id"], id.as_str());
    assert!(
        !logs.lock().unwrap().join("\n").contains("forged-1"),
        "the client's id is nowhere"
    );
}
