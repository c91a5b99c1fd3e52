//! The proxy's agent-activity WebSocket (`GET /v3/events/{session_id}`,
//! issue 13) against a fake Lyzr events service on loopback: the key added
//! upstream and scrubbed downstream, the same checks as stop, limits, idle
//! sockets and an upstream that drops.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use lyzr_chat_server::proxy::{self, LogSink, ProxyConfig, Secret};
use lyzr_chat_server::serve;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Msg};

const KEY: &str = "sk-events-secret-5150";
const ORIGIN: &str = "http://127.0.0.1:4321";
const AGENT: &str = "demo";

#[derive(Clone, Default)]
struct Fake {
    /// (session, x-api-key) of each socket opened.
    opened: Arc<Mutex<Vec<(String, String)>>>,
}

/// Sessions ending in `quiet` get nothing; `drop` one event then a dropped
/// connection; others two events (one echoing the key) and an echo of what
/// the page sends.
async fn fake_ws(
    State(fake): State<Fake>,
    Path(session): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let key = q.get("x-api-key").cloned().unwrap_or_default();
    fake.opened
        .lock()
        .unwrap()
        .push((session.clone(), key.clone()));
    ws.on_upgrade(move |mut socket: WebSocket| async move {
        if session.ends_with("quiet") {
            let _ = socket.recv().await;
            return;
        }
        let start = format!(
            r#"{{"event_type":"agent_process_start","session_id":"{session}","note":"key {key}"}}"#
        );
        socket.send(Message::Text(start.into())).await.unwrap();
        if session.ends_with("drop") {
            // Vanish without a close frame.
            drop(socket);
            return;
        }
        let tool = r#"{"event_type":"tool_call_prepare","tool_name":"get_weather"}"#;
        socket.send(Message::Text(tool.into())).await.unwrap();
        while let Some(Ok(m)) = socket.recv().await {
            if let Message::Text(t) = m {
                let echo = format!("echo: {}", t.as_str());
                if socket.send(Message::Text(echo.into())).await.is_err() {
                    return;
                }
            }
        }
    })
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake::default();
    let router = Router::new()
        .route("/ws/{session}", get(fake_ws))
        .with_state(fake.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router, std::future::pending()));
    (url, fake)
}

fn config(events: &str) -> (ProxyConfig, Arc<Mutex<Vec<String>>>) {
    let mut c = ProxyConfig::new("http://127.0.0.1:9", KEY, &[ORIGIN], &[AGENT]).unwrap();
    c.events_upstream = proxy::events::parse_events_upstream(events).unwrap();
    let (sink, lines) = LogSink::memory();
    c.log = sink;
    (c, lines)
}

async fn start_proxy(config: ProxyConfig) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(config),
        std::future::pending(),
    ));
    addr
}

type Client = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Opens `path` on the proxy as a page on `origin` would.
async fn open(addr: &str, path: &str, origin: &str) -> Result<Client, u16> {
    let mut req = format!("ws://{addr}{path}").into_client_request().unwrap();
    req.headers_mut().insert("origin", origin.parse().unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    match tokio_tungstenite::client_async(req, tcp).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("handshake failed without a status: {e}"),
    }
}

async fn next_text(c: &mut Client) -> Option<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), c.next())
            .await
            .expect("a frame within 5 s")
        {
            Some(Ok(Msg::Text(t))) => return Some(t.as_str().to_string()),
            Some(Ok(Msg::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn events_are_relayed_with_the_key_added_upstream_and_scrubbed() {
    let (fake, state) = start_fake().await;
    let (c, logs) = config(&fake);
    let addr = start_proxy(c).await;
    let sid = "demo-Ev3ntS3ss10n";
    let mut page = open(&addr, &format!("/v3/events/{sid}"), ORIGIN)
        .await
        .unwrap();
    let first = next_text(&mut page).await.unwrap();
    assert!(first.contains("agent_process_start"), "{first}");
    assert!(!first.contains(KEY), "key scrubbed from frames: {first}");
    assert!(first.contains("[redacted]"), "{first}");
    assert!(next_text(&mut page).await.unwrap().contains("get_weather"));
    page.send(Msg::Text("ping from page".into())).await.unwrap();
    assert_eq!(next_text(&mut page).await.unwrap(), "echo: ping from page");
    assert_eq!(
        state.opened.lock().unwrap().clone(),
        [(sid.to_string(), KEY.to_string())],
        "the real key, upstream only"
    );
    page.close(None).await.unwrap();
    let mut closed = None;
    for _ in 0..50 {
        closed = logs
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains(r#""event":"socket_closed""#))
            .cloned();
        if closed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let closed = closed.expect("the close is logged");
    assert!(closed.contains(r#""frames_up":1"#), "{closed}");
    let all = logs.lock().unwrap().join("\n");
    assert!(!all.contains(sid) && !all.contains(KEY), "{all}");
    assert!(all.contains(r#""status":101"#), "{all}");
}

#[tokio::test]
async fn events_refuse_bad_origin_agent_session_and_widget_key() {
    let (fake, state) = start_fake().await;
    let (mut c, _) = config(&fake);
    c.widget_keys = vec![Secret::new("wk-1")];
    let addr = start_proxy(c).await;
    let ok = "/v3/events/demo-abc?x-api-key=wk-1";
    assert_eq!(
        open(&addr, ok, "https://evil.example").await.err(),
        Some(403)
    );
    assert_eq!(
        open(&addr, "/v3/events/demo-2-abc?x-api-key=wk-1", ORIGIN)
            .await
            .err(),
        Some(403),
        "another agent's session"
    );
    assert_eq!(
        open(&addr, "/v3/events/demo-a.b?x-api-key=wk-1", ORIGIN)
            .await
            .err(),
        Some(400)
    );
    assert_eq!(
        open(&addr, "/v3/events/demo-abc", ORIGIN).await.err(),
        Some(401)
    );
    assert_eq!(
        open(&addr, "/v3/events/demo-abc?x-api-key=wk-2", ORIGIN)
            .await
            .err(),
        Some(401)
    );
    assert!(
        state.opened.lock().unwrap().is_empty(),
        "nothing opened upstream"
    );
    let mut page = open(&addr, ok, ORIGIN)
        .await
        .expect("the widget key in the query");
    assert!(next_text(&mut page).await.is_some());
}

#[tokio::test]
async fn events_are_rate_and_connection_limited_and_idle_sockets_close() {
    let (fake, _) = start_fake().await;
    let (mut c, _) = config(&fake);
    c.rate_per_ip = 3;
    c.max_connections_per_ip = 2;
    c.ws_idle_timeout = Duration::from_secs(1);
    let addr = start_proxy(c).await;
    let mut a = open(&addr, "/v3/events/demo-aquiet", ORIGIN).await.unwrap();
    let _b = open(&addr, "/v3/events/demo-bquiet", ORIGIN).await.unwrap();
    // A third socket from the same address is over the connection cap:
    // closed before any answer.
    let mut req = format!("ws://{addr}/v3/events/demo-cquiet")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("origin", ORIGIN.parse().unwrap());
    let tcp = TcpStream::connect(&addr).await.unwrap();
    assert!(tokio_tungstenite::client_async(req, tcp).await.is_err());

    // Idle: nothing either way for 1 s closes the socket.
    let start = Instant::now();
    assert_eq!(next_text(&mut a).await, None, "closed");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    drop(a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Three handshakes a minute: the fourth is refused with 429.
    let third = open(&addr, "/v3/events/demo-dquiet", ORIGIN).await;
    assert!(third.is_ok(), "third handshake within the rate");
    drop(third);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        open(&addr, "/v3/events/demo-equiet", ORIGIN).await.err(),
        Some(429)
    );
}

#[tokio::test]
async fn events_upstream_that_drops_or_refuses_closes_cleanly() {
    let (fake, _) = start_fake().await;
    let (c, logs) = config(&fake);
    let addr = start_proxy(c).await;
    let mut page = open(&addr, "/v3/events/demo-xdrop", ORIGIN).await.unwrap();
    assert!(next_text(&mut page)
        .await
        .unwrap()
        .contains("agent_process_start"));
    // Then a close frame (1011), not a hang.
    let mut code = None;
    while let Ok(Some(frame)) = tokio::time::timeout(Duration::from_secs(5), page.next()).await {
        if let Ok(Msg::Close(Some(f))) = frame {
            code = Some(u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1011));
    assert!(logs
        .lock()
        .unwrap()
        .join("\n")
        .contains("Lyzr's socket dropped"));

    // Nothing listens upstream: the handshake itself fails with 502.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("ws://{}", l.local_addr().unwrap())
    };
    let addr = start_proxy(config(&gone).0).await;
    assert_eq!(
        open(&addr, "/v3/events/demo-abc", ORIGIN).await.err(),
        Some(502)
    );
}
