//! Running the proxy: `GET /metrics` (Prometheus text) and a shutdown that
//! drains open streams up to a deadline.

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
    let mut c = ProxyConfig::new(upstream, KEY, &[ORIGIN], &[AGENT]).unwrap();
    c.log = LogSink::memory().0;
    c
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
    let server = tokio::spawn(proxy::serve_with_deadline(
        listener,
        proxy::router(config(&upstream)),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(10),
    ));
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
    let server = tokio::spawn(proxy::serve_with_deadline(
        listener,
        proxy::router(config(&upstream)),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(1),
    ));
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
