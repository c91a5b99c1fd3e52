//! `GET /metrics`: the proxy's counters in Prometheus' text format
//! (OpenMetrics): requests by route and status, upstream latency, rate-limit
//! and origin rejections, refused connections, open streams and sockets.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Limit {
    limit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: String,
}

/// All of the proxy's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    upstream_latency: Family<Route, Histogram>,
    rate_limited: Family<Limit, Counter>,
    origin_rejected: Counter,
    connections_refused: Counter,
    open: Family<Kind, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("lyzr_proxy");
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        let upstream_latency = Family::<Route, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.01, 2.0, 14))
        });
        registry.register(
            "upstream_latency_seconds",
            "Time until the Lyzr API's reply headers, by route",
            upstream_latency.clone(),
        );
        let rate_limited = Family::<Limit, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused with 429, by limit",
            rate_limited.clone(),
        );
        let origin_rejected = Counter::default();
        registry.register(
            "origin_rejections",
            "Requests refused for a missing or unlisted Origin",
            origin_rejected.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections closed at once by the connection caps",
            connections_refused.clone(),
        );
        let open = Family::<Kind, Gauge>::default();
        registry.register(
            "open_streams",
            "Streams (stream replies, event sockets) open now",
            open.clone(),
        );
        Self {
            registry,
            requests,
            upstream_latency,
            rate_limited,
            origin_rejected,
            connections_refused,
            open,
        }
    }
}

/// Counts one open stream of `kind` until dropped.
#[derive(Debug)]
pub struct OpenGuard(Gauge);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16) {
        self.requests
            .get_or_create(&RouteStatus {
                route: route.into(),
                status: status.to_string(),
            })
            .inc();
    }

    pub fn upstream_latency(&self, route: &str, took: Duration) {
        self.upstream_latency
            .get_or_create(&Route {
                route: route.into(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn rate_limited(&self, limit: &str) {
        self.rate_limited
            .get_or_create(&Limit {
                limit: limit.into(),
            })
            .inc();
    }

    pub fn origin_rejected(&self) {
        self.origin_rejected.inc();
    }

    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// One more open stream of `kind` (`stream`, `websocket`) until the
    /// guard is dropped.
    pub fn open(&self, kind: &str) -> OpenGuard {
        let g = self.open.get_or_create(&Kind { kind: kind.into() }).clone();
        g.inc();
        OpenGuard(g)
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_counted() {
        let m = Metrics::default();
        m.request("chat", 200);
        m.request("chat", 200);
        m.rate_limited("ip");
        m.upstream_latency("chat", Duration::from_millis(30));
        let g = m.open("stream");
        let text = m.render();
        assert!(
            text.contains(r#"lyzr_proxy_requests_total{route="chat",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"lyzr_proxy_rate_limited_total{limit="ip"} 1"#));
        assert!(text.contains(r#"lyzr_proxy_open_streams{kind="stream"} 1"#));
        assert!(text.contains("lyzr_proxy_upstream_latency_seconds_bucket"));
        drop(g);
        assert!(m
            .render()
            .contains(r#"lyzr_proxy_open_streams{kind="stream"} 0"#));
    }
}
