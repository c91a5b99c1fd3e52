//! The proxy's checks as axum middleware layers, outermost first: the access
//! log, the path, the origin gate, method and preflight, the per-IP rate
//! limit, the widget key; then [`forward`], the call's own handler.

use super::error::ProxyError;
use super::limit::{client_ip, Key};
use super::origin::{self, OriginCheck};
use super::routes::{self, Call, Match};
use super::{lock, LogLine, Notes, Proxy, REQUEST_ID_HEADER};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

/// Outermost: the client's address, a request id, one log line per request
/// (also when the client gives up first), CORS headers for an allowed origin.
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
        id: proxy.ids.next(),
        method: req.method().clone(),
        path: routes::redact_path(req.uri().path()),
        ip,
        notes: notes.clone(),
        done: false,
    };
    req.extensions_mut().insert(Ctx { ip, notes });
    let mut response = next.run(req).await;
    if let Some(origin) = lock(&line.notes).origin.clone() {
        origin::decorate(&mut response, &origin);
    }
    if let Ok(v) = HeaderValue::from_str(&line.id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
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

/// Answers preflights for the call's one method; other methods get 405.
pub(crate) async fn method(req: Request, next: Next) -> Response {
    let ctx = ctx(&req);
    let call = call_of(&req);
    if req.method() == Method::OPTIONS {
        let origin = lock(&ctx.notes).origin.clone().expect("origin gate ran");
        return origin::preflight(&origin, &call.method());
    }
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

/// The call's own checks and the upstream.
pub(crate) async fn forward(State(proxy): State<Arc<Proxy>>, req: Request) -> Response {
    let ctx = ctx(&req);
    let call = call_of(&req);
    match proxy.dispatch(req, call, ctx.ip, &ctx.notes).await {
        Ok(r) => r,
        Err(e) => refuse(&ctx, e),
    }
}
