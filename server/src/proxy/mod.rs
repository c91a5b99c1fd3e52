//! Proxy mode: the widget's calls forwarded to the Lyzr API with the account
//! key added server-side, behind an origin allowlist, an agent allowlist,
//! a body policy, body and rate limits (the checks are layers: `gates`).
//! Stateless apart from rate-limit buckets (in memory or in Redis).

pub mod config;
pub mod error;
pub mod events;
pub mod forward;
mod gates;
pub mod limit;
pub mod log;
pub mod metrics;
pub mod origin;
pub mod policy;
pub mod routes;
pub mod serve;
pub mod store;

pub use config::{ProxyArgs, ProxyConfig, Secret, API_KEY_ENV, DEFAULT_PROXY_LISTEN};
pub use error::ProxyError;
pub use log::LogSink;
pub use serve::Drained;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, map_request};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use forward::{Upstream, UpstreamFailure};
use http_body_util::{BodyExt, LengthLimitError};
use limit::{ConnLimits, Key, RateLimiter};
use log::{request_id_of, RequestIds};
use lyzr_chat_protocol::{parse_chat_request, API_KEY_HEADER};
use metrics::Metrics;
use routes::Call;
use serde_json::json;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower_http::classify::{ClassifiedResponse, ClassifyEos, ClassifyResponse, SharedClassifier};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The health check path: `GET` answers `200 {"status":"ok"}`, no origin needed.
pub const HEALTH_PATH: &str = "/healthz";
/// Prometheus metrics: `GET` answers the text exposition, no origin needed.
pub const METRICS_PATH: &str = "/metrics";
/// Response header carrying the id of the request's log line.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest request body text logged with `--log-bodies`.
const LOGGED_BODY_MAX: usize = 2000;

/// The proxy's shared state: settings, upstream client, limits, metrics.
pub(crate) struct Proxy {
    pub(crate) config: ProxyConfig,
    upstream: Upstream,
    /// tower-http's CORS layers for the `GET` and the `POST` calls.
    pub(crate) cors_get: tower_http::cors::CorsLayer,
    pub(crate) cors_post: tower_http::cors::CorsLayer,
    pub(crate) per_ip: RateLimiter,
    per_user: RateLimiter,
    uploads: RateLimiter,
    /// Limits shared with other replicas (`--rate-limit-store`).
    store: Option<store::RedisStore>,
    pub(crate) conns: Arc<ConnLimits>,
    pub(crate) metrics: Metrics,
    /// Flips to `true` when the shutdown begins (open connections finish).
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
}

/// What a request's log line says beyond method, path, status and latency;
/// each layer adds what it learns.
#[derive(Default)]
pub(crate) struct Notes {
    origin: Option<HeaderValue>,
    call: Option<&'static str>,
    agent_id: Option<String>,
    session: Option<String>,
    detail: Option<String>,
    body: Option<String>,
}

/// The proxy, ready to serve: its axum router and the state behind it.
pub struct ProxyApp {
    router: Router,
    proxy: Arc<Proxy>,
}

impl ProxyApp {
    /// The metrics text, as `GET /metrics` answers it.
    pub fn metrics_text(&self) -> String {
        self.proxy.metrics.render()
    }
}

/// The proxy for `config`. Serve it with [`serve`].
pub fn router(config: ProxyConfig) -> ProxyApp {
    let (stop, _) = tokio::sync::watch::channel(false);
    let store = config.rate_limit_store.as_deref().map(|url| {
        store::RedisStore::new(url, config.log.clone())
            .expect("the store URL was checked with the settings")
    });
    let proxy = Arc::new(Proxy {
        store,
        upstream: Upstream::new(&config),
        cors_get: origin::cors_layer(&config.allow_origins, Method::GET),
        cors_post: origin::cors_layer(&config.allow_origins, Method::POST),
        per_ip: RateLimiter::new(config.rate_per_ip),
        per_user: RateLimiter::new(config.rate_per_user),
        uploads: RateLimiter::new(config.rate_upload),
        conns: Arc::new(ConnLimits::new(
            config.max_connections,
            config.max_connections_per_ip,
        )),
        metrics: Metrics::default(),
        stop,
        config,
    });
    // The widget's calls: each check is a layer, outermost first:
    // tower-http's request id (a client's own `x-request-id` is dropped,
    // the proxy gives every request its own) and trace span; the access log
    // (one JSON line per request, also when the client gives up); the path;
    // the origin gate; tower-http's CORS (headers, preflights); the method;
    // the per-IP limit (before the widget key, so wrong keys are limited
    // too); the widget key; tower-http's body limit; then the call's own
    // checks and the upstream.
    let calls = Router::new()
        .fallback(gates::forward)
        .layer(from_fn_with_state(proxy.clone(), gates::body_limit))
        .layer(from_fn_with_state(proxy.clone(), gates::widget_key))
        .layer(from_fn_with_state(proxy.clone(), gates::per_ip_limit))
        .layer(from_fn(gates::method))
        .layer(from_fn_with_state(proxy.clone(), gates::cors))
        .layer(from_fn_with_state(proxy.clone(), gates::origin))
        .layer(from_fn(gates::classify))
        .layer(from_fn_with_state(proxy.clone(), gates::access_log))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace_layer(proxy.config.log.clone()))
        .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
        .layer(map_request(drop_client_request_id))
        .with_state(proxy.clone());
    let router = Router::new()
        .route(HEALTH_PATH, axum::routing::any(health))
        .route(METRICS_PATH, axum::routing::any(metrics_route))
        .fallback_service(calls)
        .with_state(proxy.clone());
    ProxyApp { router, proxy }
}

/// The proxy makes every request id itself: one a client sent is dropped
/// (it could pose as another request's).
async fn drop_client_request_id(mut req: Request) -> Request {
    req.headers_mut().remove(REQUEST_ID_HEADER);
    req
}

/// tower-http's `TraceLayer`: a `request` span carrying the request id
/// around everything the proxy logs while serving it. Its per-request
/// events are off (the access log writes the one line per request, also
/// for a client that gave up, which no trace callback sees), but for a
/// response body that breaks off (a stream cut by `--upstream-timeout`, an
/// upstream gone mid-reply): `stream_failed`, in the request's span.
fn trace_layer(log: LogSink) -> ProxyTrace {
    TraceLayer::new(SharedClassifier::new(BodyErrors))
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(())
        .on_body_chunk(())
        .on_eos(())
        .on_failure(StreamFailed(log))
}

type ProxyTrace =
    TraceLayer<SharedClassifier<BodyErrors>, fn(&Request) -> Span, (), (), (), (), StreamFailed>;

/// The span a request is served in.
fn request_span(req: &Request) -> Span {
    tracing::info_span!("request", request_id = request_id_of(req).as_str())
}

/// Logs `stream_failed` for a reply body that broke off.
#[derive(Clone)]
struct StreamFailed(LogSink);

impl tower_http::trace::OnFailure<String> for StreamFailed {
    fn on_failure(&mut self, error: String, latency: Duration, _: &Span) {
        self.0.in_scope(|| {
            tracing::error!(
                event = "stream_failed",
                error = error.as_str(),
                latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            )
        });
    }
}

/// The trace layer's classifier: a status is never a failure (a 5xx is in
/// the request's own line); an error while the body is sent is.
#[derive(Clone, Copy)]
struct BodyErrors;

impl ClassifyResponse for BodyErrors {
    type FailureClass = String;
    type ClassifyEos = BodyErrors;

    fn classify_response<B>(self, _: &Response<B>) -> ClassifiedResponse<String, BodyErrors> {
        ClassifiedResponse::RequiresEos(BodyErrors)
    }

    fn classify_error<E: std::fmt::Display + 'static>(self, error: &E) -> String {
        error.to_string()
    }
}

impl ClassifyEos for BodyErrors {
    type FailureClass = String;

    fn classify_eos(self, _: Option<&HeaderMap>) -> Result<(), String> {
        Ok(())
    }

    fn classify_error<E: std::fmt::Display + 'static>(self, error: &E) -> String {
        error.to_string()
    }
}

/// Serves the proxy on `listener` until `shutdown` completes, then lets
/// requests and streams in flight finish for up to `--drain-timeout`
/// ([`ProxyConfig::drain_timeout`]) and cuts what is left.
pub async fn serve(
    listener: TcpListener,
    app: ProxyApp,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Drained> {
    let drain = app.proxy.config.drain_timeout;
    serve::run(listener, app.router, app.proxy, shutdown, drain).await
}

/// The startup log line: the settings, never the key (lists joined by `,`).
pub fn log_start(config: &ProxyConfig, listen: SocketAddr) {
    let store = match &config.rate_limit_store {
        Some(url) => store::RedisStore::new(url, LogSink::stderr())
            .map(|s| s.display)
            .unwrap_or_default(),
        None => "memory".into(),
    };
    let trust: Vec<String> = config
        .trust_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    config.log.in_scope(|| {
        tracing::info!(
            event = "start",
            listen = %listen,
            upstream = %config.upstream,
            allow_origins = config.allow_origins.join(",").as_str(),
            allow_agents = config.allow_agents.join(",").as_str(),
            widget_keys = config.widget_keys.len() as u64,
            max_body = config.max_body as u64,
            max_upload = config.max_upload as u64,
            rate_per_ip = config.rate_per_ip,
            rate_per_user = config.rate_per_user,
            rate_upload = config.rate_upload,
            trust_proxies = trust.join(",").as_str(),
            connect_timeout_s = config.connect_timeout.as_secs(),
            upstream_timeout_s = config.upstream_timeout.as_secs(),
            header_timeout_s = config.header_timeout.as_secs(),
            body_timeout_s = config.body_timeout.as_secs(),
            drain_timeout_s = config.drain_timeout.as_secs(),
            max_connections = config.max_connections as u64,
            max_connections_per_ip = config.max_connections_per_ip as u64,
            allow_history = config.allow_history,
            allow_upload = config.allow_upload,
            allow_fields = config.allow_fields.join(",").as_str(),
            fixed_features = config.fixed_features.is_some(),
            allow_variables = config.allow_variables.join(",").as_str(),
            rate_limit_store = store.as_str(),
            log_bodies = config.log_bodies,
        )
    });
}

async fn health(method: Method) -> Response {
    match method {
        Method::GET | Method::HEAD => Json(json!({"status": "ok"})).into_response(),
        _ => ProxyError::method(Method::GET).into_response(),
    }
}

async fn metrics_route(State(proxy): State<Arc<Proxy>>, method: Method) -> Response {
    match method {
        Method::GET | Method::HEAD => (
            [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
            proxy.metrics.render(),
        )
            .into_response(),
        _ => ProxyError::method(Method::GET).into_response(),
    }
}

/// One request's log line, written when the reply is ready, or, if the
/// client goes away first, when the request is dropped (status 499).
pub(crate) struct LogLine {
    proxy: Arc<Proxy>,
    start: Instant,
    id: String,
    method: Method,
    path: String,
    ip: IpAddr,
    notes: Arc<std::sync::Mutex<Notes>>,
    done: bool,
}

impl LogLine {
    fn write(&mut self, status: u16) {
        self.done = true;
        let notes = std::mem::take(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()));
        self.proxy
            .metrics
            .request(notes.call.unwrap_or("other"), status);
        let latency_ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let origin = notes.origin.as_ref().map(|o| o.to_str().unwrap_or(""));
        let (id, method, path, ip) = (
            self.id.as_str(),
            self.method.as_str(),
            self.path.as_str(),
            self.ip,
        );
        macro_rules! line {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    event = "request",
                    request_id = id,
                    method,
                    path,
                    status = u64::from(status),
                    latency_ms,
                    client_ip = %ip,
                    call = notes.call,
                    origin,
                    agent_id = notes.agent_id.as_deref(),
                    session = notes.session.as_deref(),
                    detail = notes.detail.as_deref(),
                    body = notes.body.as_deref(),
                )
            };
        }
        self.proxy.config.log.in_scope(|| {
            if status >= 500 {
                line!(tracing::Level::ERROR)
            } else if status >= 400 {
                line!(tracing::Level::WARN)
            } else {
                line!(tracing::Level::INFO)
            }
        });
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if !self.done {
            self.notes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .detail
                .get_or_insert_with(|| "the client closed the connection before the reply".into());
            self.write(499);
        }
    }
}

impl Proxy {
    /// The largest body `call` may send: `--max-upload` or `--max-body`.
    pub(crate) fn body_limit(&self, call: &Call) -> usize {
        match call {
            Call::Upload => self.config.max_upload,
            _ => self.config.max_body,
        }
    }

    /// Takes one request from `limiter` for `key` (from the shared store
    /// when there is one and it answers); 429 past it.
    pub(crate) async fn limit(
        &self,
        limiter: &RateLimiter,
        name: &'static str,
        key: Key,
        what: &str,
    ) -> Result<(), ProxyError> {
        let shared = match &self.store {
            Some(store) => store.take(name, key, limiter.per_minute()).await,
            None => store::Verdict::Unavailable,
        };
        let local = match shared {
            store::Verdict::Allowed => Ok(()),
            store::Verdict::Wait(w) => {
                Err(Duration::from_secs(w.as_secs_f64().ceil().max(1.0) as u64))
            }
            store::Verdict::Unavailable => limiter.take(key, Instant::now()),
        };
        match local {
            Ok(()) => Ok(()),
            Err(wait) => {
                self.metrics.rate_limited(name);
                Err(ProxyError::too_many(
                    wait,
                    what,
                    &format!("{name} rate limit"),
                ))
            }
        }
    }

    /// A call that passed the gates: its own checks, then the upstream.
    async fn dispatch(
        self: &Arc<Self>,
        req: Request,
        call: Call,
        ip: IpAddr,
        notes: &std::sync::Mutex<Notes>,
    ) -> Result<Response, ProxyError> {
        match &call {
            Call::History(_) if !self.config.allow_history => {
                return Err(ProxyError::forbidden(
                    "this proxy does not forward history reads (the site owner turns them on with --allow-history)",
                ))
            }
            Call::Upload if !self.config.allow_upload => {
                return Err(ProxyError::forbidden(
                    "this proxy does not forward uploads (the site owner turns them on with --allow-upload)",
                ))
            }
            _ => {}
        }
        if let Some(session) = call.session() {
            match routes::session_agent(session, &self.config.allow_agents) {
                Some(agent) => lock(notes).agent_id = Some(agent.to_string()),
                None => {
                    return Err(ProxyError::forbidden(
                        "this session does not belong to an agent this proxy serves (session ids are `{agent_id}-` and letters, digits or _)",
                    ))
                }
            }
        }

        if let Call::Events(session) = &call {
            return self.events(req, session, notes).await;
        }
        let mut content_type = None;
        if call == Call::Upload {
            let ct = req.headers().get(header::CONTENT_TYPE);
            if !ct.and_then(|v| v.to_str().ok()).is_some_and(is_multipart) {
                return Err(ProxyError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "asset uploads must be multipart/form-data with a boundary",
                ));
            }
            content_type = ct.cloned();
            let agent =
                query_param(req.uri().query().unwrap_or(""), "agent_id").unwrap_or_default();
            if agent.is_empty() {
                return Err(ProxyError::bad_request(
                    "asset uploads need ?agent_id=AGENT_ID naming the agent the files are for",
                ));
            }
            if !self.config.allow_agents.contains(&agent) {
                return Err(ProxyError::forbidden(format!(
                    "agent_id {:?} is not served by this proxy (the site owner lists agents with --allow-agent)",
                    agent.chars().take(100).collect::<String>()
                )));
            }
            lock(notes).agent_id = Some(agent);
            self.limit(
                &self.uploads,
                "upload",
                Key::of_ip(ip),
                "uploading from your address",
            )
            .await?;
        }

        let (parts, body) = req.into_parts();
        let limit = self.body_limit(&call);
        let mut body = read_body(body, limit, self.config.body_timeout).await?;
        match &call {
            Call::Chat | Call::Stream => {
                if self.config.log_bodies {
                    lock(notes).body = Some(
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
                        return Err(ProxyError::with_body(status, e.to_body()));
                    }
                };
                lock(notes).agent_id = Some(chat.agent_id.clone());
                if !self.config.allow_agents.contains(&chat.agent_id) {
                    return Err(ProxyError::forbidden(format!(
                        "agent_id {:?} is not served by this proxy (the site owner lists agents with --allow-agent)",
                        chat.agent_id
                    )));
                }
                lock(notes).session = Some(routes::session_hash(&chat.session_id));
                body = policy::apply(&self.config, &body, &chat.agent_id)?;
                let user = Key::of(&[chat.agent_id.as_bytes(), chat.user_id.as_bytes()]);
                self.limit(&self.per_user, "user", user, "for this user")
                    .await?;
                content_type = Some(HeaderValue::from_static("application/json"));
            }
            Call::Upload => {
                if self.config.log_bodies {
                    lock(notes).body = Some(format!("[{} bytes of multipart]", body.len()));
                }
            }
            Call::Stop(_) | Call::History(_) | Call::Events(_) => {}
        }

        let accept = match call {
            Call::Stream => parts.headers.get(header::ACCEPT).cloned(),
            _ => None,
        };
        let sent = Instant::now();
        let result = self
            .upstream
            .forward(
                call.method(),
                &call.upstream_path(),
                content_type,
                accept,
                body,
            )
            .await;
        self.metrics.upstream_latency(call.name(), sent.elapsed());
        match result {
            Ok(r) if call == Call::Stream => {
                let guard = self.metrics.open("stream");
                Ok(r.map(|b| {
                    Body::new(b.map_frame(move |f| {
                        let _open = &guard;
                        f
                    }))
                }))
            }
            Ok(r) => Ok(r),
            Err(UpstreamFailure { status, detail }) => Err(ProxyError::new(status, detail)),
        }
    }

    /// The widget key from `x-api-key`, or for the events socket (a
    /// browser cannot set headers on one) from `?x-api-key=`.
    pub(crate) fn widget_key_ok(
        &self,
        headers: &HeaderMap,
        call: &Call,
        query: Option<&str>,
    ) -> bool {
        let from_query = match call {
            Call::Events(_) => query_param(query.unwrap_or(""), API_KEY_HEADER),
            _ => None,
        };
        let given = match (headers.get(API_KEY_HEADER), &from_query) {
            (Some(h), _) => h.as_bytes(),
            (None, Some(q)) => q.as_bytes(),
            (None, None) => return false,
        };
        self.config
            .widget_keys
            .iter()
            .any(|k| constant_time_eq(k.expose().as_bytes(), given))
    }

    /// The events socket, once every check has passed: Lyzr's socket is
    /// opened first, so a refusal there is the page's handshake error.
    async fn events(
        self: &Arc<Self>,
        req: Request,
        session: &str,
        notes: &std::sync::Mutex<Notes>,
    ) -> Result<Response, ProxyError> {
        use axum::extract::{FromRequestParts, WebSocketUpgrade};
        let (mut parts, _) = req.into_parts();
        let ws = WebSocketUpgrade::from_request_parts(&mut parts, &())
            .await
            .map_err(|_| {
                ProxyError::bad_request("this path is a WebSocket: open it with new WebSocket(...)")
            })?;
        let sent = Instant::now();
        let upstream = events::connect_upstream(
            &self.config.events_upstream,
            session,
            &self.config.api_key,
            self.config.connect_timeout,
        )
        .await;
        self.metrics.upstream_latency("events", sent.elapsed());
        let upstream = upstream?;
        let proxy = self.clone();
        let hash = lock(notes).session.clone().unwrap_or_default();
        // The socket keeps its connection's place under the caps.
        let permit = parts.extensions.get::<Arc<limit::ConnPermit>>().cloned();
        Ok(ws
            .max_message_size(64 * 1024)
            .on_upgrade(move |socket| async move {
                events::relay(proxy, socket, upstream, hash).await;
                drop(permit);
            }))
    }
}

/// The request's notes, to add to.
pub(crate) fn lock(notes: &std::sync::Mutex<Notes>) -> std::sync::MutexGuard<'_, Notes> {
    notes.lock().unwrap_or_else(|e| e.into_inner())
}

/// Exactly `multipart/form-data` (any case), with a non-empty boundary.
fn is_multipart(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("multipart/form-data")
        && parts.any(|p| {
            p.trim().split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("boundary") && !v.trim().trim_matches('"').is_empty()
            })
        })
}

/// The value of `name` in a query string (no percent-decoding: agent ids
/// are plain).
fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Reads a request body within `deadline` (finding 6: a whole-body
/// deadline, which tower-http's per-frame body timeout is not: a client
/// trickling a byte at a time never trips that); 408 (and the connection
/// closed) past it. Its size is bounded by the body-limit layer: a body
/// that runs past `limit` fails here with 413.
async fn read_body(body: Body, limit: usize, deadline: Duration) -> Result<Bytes, ProxyError> {
    match tokio::time::timeout(deadline, body.collect()).await {
        Err(_) => Err(ProxyError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                deadline.as_secs()
            ),
        )
        .closing()),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if over_limit(&e) => Err(ProxyError::too_large(limit)),
        Ok(Err(_)) => Err(ProxyError::bad_request(
            "the request body could not be read",
        )),
    }
}

/// Whether a body error is the body-limit layer's.
fn over_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
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
    fn finding_09_multipart_media_type_is_parsed_exactly() {
        assert!(is_multipart("multipart/form-data; boundary=XX"));
        assert!(is_multipart("Multipart/Form-Data;boundary=\"a b\""));
        for bad in [
            "multipart/form-data-not-really; boundary=XX",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/mixed; boundary=XX",
            "text/plain; multipart/form-data; boundary=XX",
        ] {
            assert!(!is_multipart(bad), "{bad}");
        }
        assert_eq!(
            query_param("a=1&agent_id=ag", "agent_id").as_deref(),
            Some("ag")
        );
        assert_eq!(query_param("agent_idx=ag", "agent_id"), None);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
