//! The proxy's own accept loop on hyper: a header-read timeout, caps on open
//! connections (overall and per client), a log line for every connection
//! closed early, and a shutdown that drains open streams up to a deadline.

use super::limit::normalize_ip;
use super::Proxy;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;
use tracing::instrument::WithSubscriber;

/// How the shutdown went.
#[derive(Debug, Clone, Copy)]
pub struct Drained {
    /// Connections open when the shutdown began.
    pub open: usize,
    /// Whether all of them finished before the deadline.
    pub all: bool,
}

/// Serves `router` (the proxy's, sharing `proxy`) on `listener` until
/// `shutdown` completes, then stops accepting, lets requests and streams in
/// flight finish for up to `drain`, and cuts what is left.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    proxy: Arc<Proxy>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<Drained> {
    let mut tasks = JoinSet::new();
    let stop = proxy.stop.clone();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    proxy.config.log.in_scope(|| {
                        tracing::error!(event = "accept_failed", error = %e)
                    });
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while tasks.try_join_next().is_some() {}
        let ip = normalize_ip(peer.ip());
        let trusted = proxy
            .config
            .trust_proxies
            .iter()
            .any(|t| normalize_ip(*t) == ip);
        let permit = match proxy.conns.clone().acquire_owned((!trusted).then_some(ip)) {
            Ok(p) => p,
            Err(why) => {
                proxy.metrics.connection_refused();
                proxy.config.log.in_scope(
                    || tracing::warn!(event = "connection_refused", client_ip = %ip, reason = why),
                );
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let proxy = proxy.clone();
        let mut stop = stop.subscribe();
        // Shared with the requests: an upgraded socket outlives this
        // connection's task and keeps its place until it closes.
        let permit = Arc::new(permit);
        tasks.spawn(async move {
            let held = permit.clone();
            // The proxy's own log sink is the tracing dispatcher while a
            // request is handled: its spans and events go there.
            let dispatch = proxy.config.log.dispatch().clone();
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.extensions_mut().insert(held.clone());
                router
                    .clone()
                    .oneshot(req.map(Body::new))
                    .with_subscriber(dispatch.clone())
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(proxy.config.header_timeout);
            let conn = builder
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades();
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                let reason = if e.is_timeout() {
                    "headers not received within --header-timeout".to_string()
                } else {
                    e.to_string()
                };
                proxy.config.log.in_scope(|| {
                    tracing::warn!(
                        event = "connection_closed",
                        client_ip = %ip,
                        reason = reason.as_str()
                    )
                });
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let open = tasks.len();
    let drained = tokio::time::timeout(drain, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_ok();
    tasks.abort_all();
    Ok(Drained { open, all: drained })
}
