//! Proxy mode: the widget's calls forwarded to the Lyzr API with the account
//! key added server-side, behind an origin allowlist, an agent allowlist,
//! body and rate limits. Stateless apart from per-process rate-limit buckets.

pub mod config;
pub mod forward;
pub mod limit;
pub mod log;
pub mod origin;
pub mod routes;

pub use config::{ProxyArgs, ProxyConfig, Secret, API_KEY_ENV, DEFAULT_PROXY_LISTEN};
pub use log::LogSink;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use forward::{Upstream, UpstreamFailure};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use limit::{client_ip, RateLimiter};
use log::RequestIds;
use lyzr_chat_protocol::{parse_chat_request, API_KEY_HEADER};
use origin::OriginCheck;
use routes::{Call, Match};
use serde_json::{json, Map};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The health check path: `GET` answers `200 {"status":"ok"}`, no origin needed.
pub const HEALTH_PATH: &str = "/healthz";
/// Response header carrying the id of the request's log line.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest request body text logged with `--log-bodies`.
const LOGGED_BODY_MAX: usize = 2000;

struct Proxy {
    config: ProxyConfig,
    upstream: Upstream,
    ids: RequestIds,
    per_ip: RateLimiter,
    per_user: RateLimiter,
}

/// What a request's log line says beyond method, path, status and latency.
#[derive(Default)]
struct Notes {
    origin: Option<HeaderValue>,
    call: Option<&'static str>,
    agent_id: Option<String>,
    detail: Option<String>,
    body: Option<String>,
}

/// The proxy as an axum router. Serve it with [`serve`] (it needs the peer
/// address for per-IP limits).
pub fn router(config: ProxyConfig) -> Router {
    let proxy = Arc::new(Proxy {
        upstream: Upstream::new(&config),
        ids: RequestIds::default(),
        per_ip: RateLimiter::new(config.rate_per_ip),
        per_user: RateLimiter::new(config.rate_per_user),
        config,
    });
    Router::new().fallback(handle).with_state(proxy)
}

/// Serves the proxy `router` on `listener` until `shutdown` completes, then
/// lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The startup log line: the settings, never the key.
pub fn log_start(config: &ProxyConfig, listen: SocketAddr) {
    let mut f = Map::new();
    f.insert("listen".into(), listen.to_string().into());
    f.insert("upstream".into(), config.upstream.to_string().into());
    f.insert("allow_origins".into(), json!(config.allow_origins));
    f.insert("allow_agents".into(), json!(config.allow_agents));
    f.insert("widget_keys".into(), config.widget_keys.len().into());
    f.insert("max_body".into(), config.max_body.into());
    f.insert("max_upload".into(), config.max_upload.into());
    f.insert("rate_per_ip".into(), config.rate_per_ip.into());
    f.insert("rate_per_user".into(), config.rate_per_user.into());
    f.insert(
        "trust_proxies".into(),
        json!(config
            .trust_proxies
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()),
    );
    f.insert(
        "connect_timeout_s".into(),
        config.connect_timeout.as_secs().into(),
    );
    f.insert(
        "upstream_timeout_s".into(),
        config.upstream_timeout.as_secs().into(),
    );
    f.insert("log_bodies".into(), config.log_bodies.into());
    config.log.emit("info", "start", f);
}

async fn handle(
    State(proxy): State<Arc<Proxy>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    if path == HEALTH_PATH {
        return match method {
            Method::GET | Method::HEAD => Json(json!({"status": "ok"})).into_response(),
            _ => error(StatusCode::METHOD_NOT_ALLOWED, "use GET"),
        };
    }
    let id = proxy.ids.next();
    let ip = client_ip(peer.ip(), req.headers(), &proxy.config.trust_proxies);
    let mut notes = Notes::default();
    let mut response = proxy.dispatch(req, ip, &mut notes).await;
    if let Some(origin) = &notes.origin {
        origin::decorate(&mut response, origin);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }

    let status = response.status();
    let mut f = Map::new();
    f.insert("request_id".into(), id.into());
    f.insert("method".into(), method.as_str().into());
    f.insert("path".into(), path.into());
    f.insert("status".into(), status.as_u16().into());
    f.insert(
        "latency_ms".into(),
        u64::try_from(start.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .into(),
    );
    f.insert("client_ip".into(), ip.to_string().into());
    if let Some(call) = notes.call {
        f.insert("call".into(), call.into());
    }
    if let Some(o) = &notes.origin {
        f.insert("origin".into(), o.to_str().unwrap_or("").into());
    }
    if let Some(agent) = notes.agent_id {
        f.insert("agent_id".into(), agent.into());
    }
    if let Some(detail) = notes.detail {
        f.insert("detail".into(), detail.into());
    }
    if let Some(body) = notes.body {
        f.insert("body".into(), body.into());
    }
    let level = if status.is_server_error() {
        "error"
    } else if status.is_client_error() {
        "warn"
    } else {
        "info"
    };
    proxy.config.log.emit(level, "request", f);
    response
}

/// `{"detail": "..."}` with `status`.
fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

fn too_many(wait: Duration, what: &str) -> Response {
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!(
            "too many requests {what}: try again in {} s",
            wait.as_secs()
        ),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
    r
}

impl Proxy {
    async fn dispatch(&self, req: Request, ip: IpAddr, notes: &mut Notes) -> Response {
        let fail = |notes: &mut Notes, status: StatusCode, detail: String| {
            let r = error(status, &detail);
            notes.detail = Some(detail);
            r
        };
        let call = match routes::match_path(req.uri().path()) {
            Match::Call(call) => call,
            Match::BadSession(why) => return fail(notes, StatusCode::BAD_REQUEST, why),
            Match::NotForwarded => {
                return fail(
                    notes,
                    StatusCode::NOT_FOUND,
                    "Not Found: this proxy forwards only the chat widget's calls".into(),
                )
            }
        };
        notes.call = Some(call.name());

        match origin::check(req.headers(), &self.config.allow_origins) {
            OriginCheck::Allowed(o) => notes.origin = Some(o),
            OriginCheck::Missing => {
                return fail(
                    notes,
                    StatusCode::FORBIDDEN,
                    "no Origin header: this proxy answers only pages on its allowed origins".into(),
                )
            }
            OriginCheck::Refused(o) => {
                return fail(
                    notes,
                    StatusCode::FORBIDDEN,
                    format!(
                        "origin {o:?} is not allowed to use this proxy (the site owner lists allowed origins with --allow-origin)"
                    ),
                )
            }
        }
        let origin = notes.origin.clone().expect("set above");
        if req.method() == Method::OPTIONS {
            return origin::preflight(&origin, &call.method());
        }
        if req.method() != call.method() {
            let mut r = fail(
                notes,
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Method Not Allowed: use {}", call.method()),
            );
            r.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_str(call.method().as_str()).expect("method is a header value"),
            );
            return r;
        }
        if !self.config.widget_keys.is_empty() && !self.widget_key_ok(req.headers()) {
            return fail(
                notes,
                StatusCode::UNAUTHORIZED,
                "missing or unknown widget key: set the widget's apiKey option to a current widget key of this proxy".into(),
            );
        }
        if let Err(wait) = self.per_ip.take(&ip.to_string(), Instant::now()) {
            notes.detail = Some("per-IP rate limit".into());
            return too_many(wait, "from your address");
        }
        if let Some(session) = call.session() {
            if !self.session_allowed(session) {
                return fail(
                    notes,
                    StatusCode::FORBIDDEN,
                    "this session does not belong to an agent this proxy serves (session ids are `{agent_id}-...`)".into(),
                );
            }
        }

        let (parts, body) = req.into_parts();
        let limit = match call {
            Call::Upload => self.config.max_upload,
            _ => self.config.max_body,
        };
        let body = match read_body(&parts.headers, body, limit).await {
            Ok(body) => body,
            Err(r) => {
                notes.detail = Some(format!("body over {limit} bytes or unreadable"));
                return r;
            }
        };
        let mut content_type = None;
        match &call {
            Call::Chat | Call::Stream => {
                if self.config.log_bodies {
                    notes.body = Some(
                        String::from_utf8_lossy(&body)
                            .chars()
                            .take(LOGGED_BODY_MAX)
                            .collect(),
                    );
                }
                let chat = match parse_chat_request(&body) {
                    Ok(chat) => chat,
                    Err(e) => {
                        let status =
                            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
                        notes.detail = Some(e.to_body()["detail"].to_string());
                        return (status, Json(e.to_body())).into_response();
                    }
                };
                notes.agent_id = Some(chat.agent_id.clone());
                if !self.config.allow_agents.contains(&chat.agent_id) {
                    return fail(
                        notes,
                        StatusCode::FORBIDDEN,
                        format!(
                            "agent_id {:?} is not served by this proxy (the site owner lists agents with --allow-agent)",
                            chat.agent_id
                        ),
                    );
                }
                let user_key = format!("{}\u{0}{}", chat.agent_id, chat.user_id);
                if let Err(wait) = self.per_user.take(&user_key, Instant::now()) {
                    notes.detail = Some("per-user rate limit".into());
                    return too_many(wait, "for this user");
                }
                content_type = Some(HeaderValue::from_static("application/json"));
            }
            Call::Upload => {
                let ct = parts.headers.get(header::CONTENT_TYPE);
                let multipart = ct
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
                if !multipart {
                    return fail(
                        notes,
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "asset uploads must be multipart/form-data".into(),
                    );
                }
                if self.config.log_bodies {
                    notes.body = Some(format!("[{} bytes of multipart]", body.len()));
                }
                content_type = ct.cloned();
            }
            Call::Stop(_) | Call::History(_) => {}
        }

        let accept = match call {
            Call::Stream => parts.headers.get(header::ACCEPT).cloned(),
            _ => None,
        };
        match self
            .upstream
            .forward(
                call.method(),
                &call.upstream_path(),
                content_type,
                accept,
                body,
            )
            .await
        {
            Ok(r) => r,
            Err(UpstreamFailure { status, detail }) => fail(notes, status, detail),
        }
    }

    fn widget_key_ok(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers.get(API_KEY_HEADER) else {
            return false;
        };
        self.config
            .widget_keys
            .iter()
            .any(|k| constant_time_eq(k.expose().as_bytes(), given.as_bytes()))
    }

    fn session_allowed(&self, session: &str) -> bool {
        self.config.allow_agents.iter().any(|agent| {
            session
                .strip_prefix(agent.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
        })
    }
}

/// Reads a request body of at most `limit` bytes; 413 past it.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than this proxy's limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(_) => Err(error(
            StatusCode::BAD_REQUEST,
            "the request body could not be read",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
