//! The proxy's checks as axum middleware layers, outermost first: the access
//! log, the path, the origin gate, CORS (tower-http's `CorsLayer`, which
//! also answers preflights), the method, the per-IP rate limit, the widget
//! key, the body limit (tower-http's `RequestBodyLimitLayer`); then
//! [`forward`], the call's own handler.

use super::error::ProxyError;
use super::limit::{client_ip, Key};
use super::log::request_id_of;
use super::origin::{self, OriginCheck};
use super::routes::{self, Call, Match};
use super::{lock, LogLine, Notes, Proxy};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tower::{Layer, ServiceExt};
use tower_http::limit::RequestBodyLimitLayer;

/// What the layers share about one request (a request extension).
#[derive(Clone)]
pub(crate) struct Ctx {
    pub ip: IpAddr,
    pub notes: Arc<Mutex<Notes>>,
}

fn ctx(req: &Request) -> Ctx {
    req.extensions()
        .get::<Ctx>()
        .cloned()
        .expect("the access-log layer runs first")
}

fn call_of(req: &Request) -> Call {
    req.extensions()
        .get::<Call>()
        .cloned()
        .expect("the classify layer runs before")
}

/// The refusal as a response, its reason noted for the log.
fn refuse(ctx: &Ctx, e: ProxyError) -> Response {
    lock(&ctx.notes).detail = Some(e.note.clone());
    e.into_response()
}

/// Outermost of the proxy's own layers (inside tower-http's request-id and
/// trace layers): the client's address and one log line per request, also
/// when the client gives up first.
pub(crate) async fn access_log(
    State(proxy): State<Arc<Proxy>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let ip = client_ip(peer, req.headers(), &proxy.config.trust_proxies);
    let notes = Arc::new(Mutex::new(Notes::default()));
    let mut line = LogLine {
        proxy: proxy.clone(),
        start: Instant::now(),
        id: request_id_of(&req),
        method: req.method().clone(),
        path: routes::redact_path(req.uri().path()),
        ip,
        notes: notes.clone(),
        done: false,
    };
    req.extensions_mut().insert(Ctx { ip, notes });
    let response = next.run(req).await;
    line.write(response.status().as_u16());
    response
}

/// Which call the path is (404 for anything else, 400 for a bad session id).
pub(crate) async fn classify(mut req: Request, next: Next) -> Response {
    let ctx = ctx(&req);
    let call = match routes::match_path(req.uri().path()) {
        Match::Call(call) => call,
        Match::BadSession(why) => return refuse(&ctx, ProxyError::bad_request(why)),
        Match::NotForwarded => {
            return refuse(
                &ctx,
                ProxyError::new(
                    StatusCode::NOT_FOUND,
                    "Not Found: this proxy forwards only the chat widget's calls",
                ),
            )
        }
    };
    {
        let mut n = lock(&ctx.notes);
        n.call = Some(call.name());
        if let Some(session) = call.session() {
            n.session = Some(routes::session_hash(session));
        }
    }
    req.extensions_mut().insert(call);
    next.run(req).await
}

/// Only pages on `--allow-origin` pass.
pub(crate) async fn origin(State(proxy): State<Arc<Proxy>>, req: Request, next: Next) -> Response {
    let ctx = ctx(&req);
    match origin::check(req.headers(), &proxy.config.allow_origins) {
        OriginCheck::Allowed(o) => lock(&ctx.notes).origin = Some(o),
        OriginCheck::Missing => {
            proxy.metrics.origin_rejected();
            return refuse(
                &ctx,
                ProxyError::forbidden(
                    "no Origin header: this proxy answers only pages on its allowed origins",
                ),
            );
        }
        OriginCheck::Refused(o) => {
            proxy.metrics.origin_rejected();
            return refuse(
                &ctx,
                ProxyError::forbidden(format!(
                    "origin {o:?} is not allowed to use this proxy (the site owner lists allowed origins with --allow-origin)"
                )),
            );
        }
    }
    next.run(req).await
}

/// tower-http's `CorsLayer` for the call's one method: CORS headers on the
/// answer, and the preflight answered here (204, as browsers expect of a
/// preflight; the layer itself says 200).
pub(crate) async fn cors(State(proxy): State<Arc<Proxy>>, req: Request, next: Next) -> Response {
    let layer = if call_of(&req).method() == Method::GET {
        &proxy.cors_get
    } else {
        &proxy.cors_post
    };
    let preflight = req.method() == Method::OPTIONS;
    let Ok(mut response) = layer.clone().layer(next).oneshot(req).await;
    if preflight && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

/// Other methods than the call's get 405.
pub(crate) async fn method(req: Request, next: Next) -> Response {
    let ctx = ctx(&req);
    let call = call_of(&req);
    if req.method() != call.method() {
        return refuse(&ctx, ProxyError::method(call.method()));
    }
    next.run(req).await
}

/// `--rate-per-ip`, keyed by address (IPv6 by /64), before the widget key.
pub(crate) async fn per_ip_limit(
    State(proxy): State<Arc<Proxy>>,
    req: Request,
    next: Next,
) -> Response {
    let ctx = ctx(&req);
    if let Err(e) = proxy
        .limit(&proxy.per_ip, "ip", Key::of_ip(ctx.ip), "from your address")
        .await
    {
        return refuse(&ctx, e);
    }
    next.run(req).await
}

/// When `--widget-key` is set, the call must carry one.
pub(crate) async fn widget_key(
    State(proxy): State<Arc<Proxy>>,
    req: Request,
    next: Next,
) -> Response {
    let ctx = ctx(&req);
    let call = call_of(&req);
    if !proxy.config.widget_keys.is_empty()
        && !proxy.widget_key_ok(req.headers(), &call, req.uri().query())
    {
        return refuse(
            &ctx,
            ProxyError::new(
                StatusCode::UNAUTHORIZED,
                "missing or unknown widget key: set the widget's apiKey option to a current widget key of this proxy",
            ),
        );
    }
    next.run(req).await
}

/// `--max-body` (uploads: `--max-upload`) by tower-http's
/// `RequestBodyLimitLayer`: a declared `Content-Length` over it is refused
/// before the body is read, a longer body fails while it is read (the
/// handler's 413); the refusal carries the proxy's `{"detail"}`.
pub(crate) async fn body_limit(
    State(proxy): State<Arc<Proxy>>,
    req: Request,
    next: Next,
) -> Response {
    let ctx = ctx(&req);
    let limit = proxy.body_limit(&call_of(&req));
    let reached = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inner = {
        let reached = reached.clone();
        next.map_request(move |r: Request<tower_http::body::Limited<Body>>| {
            reached.store(true, std::sync::atomic::Ordering::Relaxed);
            r.map(Body::new)
        })
    };
    let Ok(response) = RequestBodyLimitLayer::new(limit)
        .layer(inner)
        .oneshot(req)
        .await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && !reached.load(std::sync::atomic::Ordering::Relaxed)
    {
        // The layer's own refusal (plain text): say it the proxy's way.
        return refuse(&ctx, ProxyError::too_large(limit));
    }
    response.map(Body::new)
}

/// The call's own checks and the upstream.
pub(crate) async fn forward(State(proxy): State<Arc<Proxy>>, req: Request) -> Response {
    let ctx = ctx(&req);
    let call = call_of(&req);
    match proxy.dispatch(req, call, ctx.ip, &ctx.notes).await {
        Ok(r) => r,
        Err(e) => refuse(&ctx, e),
    }
}
