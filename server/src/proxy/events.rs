//! The agent-activity WebSocket (`GET /v3/events/{session_id}`): the proxy
//! opens Lyzr's events socket with the account key added, then relays text
//! frames both ways, scrubbing the key, closing idle or overlong sockets.

use super::config::Secret;
use super::error::ProxyError;
use super::Proxy;
use axum::extract::ws::{CloseFrame as BrowserClose, Message as BrowserMsg, WebSocket};
use axum::http::{StatusCode, Uri};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as UpstreamClose;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as UpstreamMsg};
use tokio_tungstenite::WebSocketStream;

/// Lyzr's events host.
pub const DEFAULT_EVENTS_UPSTREAM: &str = "wss://metrics.studio.lyzr.ai";
/// Largest frame relayed either way, bytes.
const MAX_FRAME: usize = 64 * 1024;

/// A byte stream to the upstream, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type UpstreamSocket = WebSocketStream<Box<dyn Io>>;

/// Checks `--events-upstream`: ws(s), a host, no path query.
pub fn parse_events_upstream(url: &str) -> Result<Uri, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: Uri = trimmed
        .parse()
        .map_err(|e| format!("--events-upstream {url:?} is not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("ws") | Some("wss")) {
        return Err(format!(
            "--events-upstream {url:?} must start with wss:// (or ws:// for a local server)"
        ));
    }
    if uri.host().is_none_or(str::is_empty) || uri.query().is_some() {
        return Err(format!(
            "--events-upstream {url:?} needs a host and no query string"
        ));
    }
    Ok(uri)
}

/// Opens `{base}/ws/{session}?x-api-key=KEY` within `connect` (TCP, TLS
/// and the handshake together). Errors are what the page's handshake gets.
pub async fn connect_upstream(
    base: &Uri,
    session: &str,
    key: &Secret,
    connect: Duration,
) -> Result<UpstreamSocket, ProxyError> {
    let host = base.host().unwrap_or_default().to_string();
    let tls = base.scheme_str() == Some("wss");
    let port = base.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let prefix = base.path().trim_end_matches('/');
    // The session id is [A-Za-z0-9_-] (checked), the key is sent as Lyzr's
    // clients send it; percent-encode it anyway.
    let url = format!(
        "{}://{}{prefix}/ws/{session}?x-api-key={}",
        if tls { "wss" } else { "ws" },
        base.authority().map(|a| a.as_str()).unwrap_or(&host),
        encode_query(key.expose())
    );
    let attempt = async {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| {
                ProxyError::new(
                    StatusCode::BAD_GATEWAY,
                    format!("the proxy could not reach the Lyzr events service ({e}); activity is unavailable"),
                )
            })?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = if tls {
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|_| ProxyError::new(StatusCode::BAD_GATEWAY, "bad events host name"))?;
            let stream = tls_connector().connect(name, tcp).await.map_err(|e| {
                ProxyError::new(
                    StatusCode::BAD_GATEWAY,
                    format!("TLS to the Lyzr events service failed ({e})"),
                )
            })?;
            Box::new(stream)
        } else {
            Box::new(tcp)
        };
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME))
            .max_frame_size(Some(MAX_FRAME));
        let (socket, _) =
            tokio_tungstenite::client_async_with_config(url.as_str(), io, Some(config))
                .await
                .map_err(|e| {
                    let why = match e {
                        WsError::Http(r) => format!("it answered {}", r.status()),
                        other => other.to_string(),
                    };
                    ProxyError::new(
                        StatusCode::BAD_GATEWAY,
                        format!(
                        "the Lyzr events service refused the socket ({}); activity is unavailable",
                        super::forward::scrub(&why, key)
                    ),
                    )
                })?;
        Ok(socket)
    };
    match tokio::time::timeout(connect, attempt).await {
        Ok(r) => r,
        Err(_) => Err(ProxyError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the Lyzr events service did not answer within {} s",
                connect.as_secs()
            ),
        )),
    }
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    use tokio_rustls::rustls;
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

fn encode_query(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Why a relay ended, for the log.
fn close_log(proxy: &Proxy, session_hash: &str, started: Instant, frames: (u64, u64), why: &str) {
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    proxy.config.log.in_scope(|| {
        tracing::info!(
            event = "socket_closed",
            session = session_hash,
            duration_ms,
            frames_down = frames.0,
            frames_up = frames.1,
            reason = why,
        )
    });
}

/// Relays between the page's socket and Lyzr's until either side closes,
/// nothing moves for `--ws-idle-timeout`, `--upstream-timeout` passes, or
/// the proxy shuts down.
pub(crate) async fn relay(
    proxy: Arc<Proxy>,
    browser: WebSocket,
    upstream: UpstreamSocket,
    session_hash: String,
) {
    let _open = proxy.metrics.open("websocket");
    let started = Instant::now();
    let key = proxy.config.api_key.clone();
    let idle = proxy.config.ws_idle_timeout;
    let lifetime = tokio::time::sleep(proxy.config.upstream_timeout);
    tokio::pin!(lifetime);
    let mut stop = proxy.stop.subscribe();
    let (mut b_tx, mut b_rx) = browser.split();
    let (mut u_tx, mut u_rx) = upstream.split();
    let mut frames = (0u64, 0u64);
    let close_browser = |code: u16, reason: &str| {
        BrowserMsg::Close(Some(BrowserClose {
            code,
            reason: reason.into(),
        }))
    };
    let why: &str = loop {
        let idle_timer = tokio::time::sleep(idle);
        tokio::select! {
            _ = &mut lifetime => {
                let _ = b_tx.send(close_browser(1000, "socket lifetime over")).await;
                break "--upstream-timeout reached";
            }
            _ = idle_timer => {
                let _ = b_tx.send(close_browser(1000, "idle")).await;
                break "idle for --ws-idle-timeout";
            }
            _ = stop.changed() => {
                let _ = b_tx.send(close_browser(1001, "proxy shutting down")).await;
                break "proxy shutdown";
            }
            msg = u_rx.next() => match msg {
                Some(Ok(UpstreamMsg::Text(t))) => {
                    frames.0 += 1;
                    let text = super::forward::scrub(t.as_str(), &key);
                    if b_tx.send(BrowserMsg::Text(text.into())).await.is_err() {
                        break "the page went away";
                    }
                }
                Some(Ok(UpstreamMsg::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), super::forward::scrub(f.reason.as_str(), &key)))
                        .unwrap_or((1000, String::new()));
                    let _ = b_tx.send(close_browser(code, &reason)).await;
                    break "Lyzr closed the socket";
                }
                // Pings are answered by tungstenite; binary is not relayed.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    let _ = b_tx.send(close_browser(1011, "the events service dropped the connection")).await;
                    break "Lyzr's socket dropped";
                }
            },
            msg = b_rx.next() => match msg {
                Some(Ok(BrowserMsg::Text(t))) => {
                    frames.1 += 1;
                    if u_tx.send(UpstreamMsg::Text(t.as_str().into())).await.is_err() {
                        let _ = b_tx.send(close_browser(1011, "the events service dropped the connection")).await;
                        break "Lyzr's socket dropped";
                    }
                }
                Some(Ok(BrowserMsg::Close(_))) | None | Some(Err(_)) => {
                    let _ = u_tx
                        .send(UpstreamMsg::Close(Some(UpstreamClose {
                            code: CloseCode::Normal,
                            reason: "".into(),
                        })))
                        .await;
                    break "the page closed the socket";
                }
                Some(Ok(_)) => {}
            },
        }
    };
    let _ = u_tx.close().await;
    close_log(&proxy, &session_hash, started, frames, why);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_upstream_must_be_a_websocket_url() {
        assert!(parse_events_upstream("wss://metrics.studio.lyzr.ai/").is_ok());
        assert!(parse_events_upstream("ws://127.0.0.1:9").is_ok());
        assert!(parse_events_upstream("https://x").is_err());
        assert!(parse_events_upstream("wss://x/?k=1").is_err());
        assert_eq!(encode_query("sk-a+b/c"), "sk-a%2Bb%2Fc");
    }
}
