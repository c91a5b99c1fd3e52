//! Talking to the upstream Lyzr API: one pooled HTTPS client, the request
//! with the real key, timeouts, and the reply passed back frame by frame (a
//! stream is never buffered; dropping it drops the upstream connection).

use super::config::{ProxyConfig, Secret};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::Response;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lyzr_chat_protocol::API_KEY_HEADER;
use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn StdError + Send + Sync>;

/// Largest upstream error body read to build a clear message.
const ERROR_BODY_MAX: usize = 8 * 1024;

/// The upstream API and how to reach it.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: Uri,
    api_key: Secret,
    overall: Duration,
    connect: Duration,
}

/// What went wrong upstream, as the visitor's page will see it.
#[derive(Debug)]
pub struct UpstreamFailure {
    pub status: StatusCode,
    pub detail: String,
}

impl Upstream {
    pub fn new(config: &ProxyConfig) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Self {
            client,
            base: config.upstream.clone(),
            api_key: config.api_key.clone(),
            overall: config.upstream_timeout,
            connect: config.connect_timeout,
        }
    }

    fn url(&self, path: &str) -> Result<Uri, UpstreamFailure> {
        let prefix = self.base.path().trim_end_matches('/');
        let mut parts = self.base.clone().into_parts();
        parts.path_and_query =
            Some(
                format!("{prefix}{path}")
                    .parse()
                    .map_err(|_| UpstreamFailure {
                        status: StatusCode::BAD_REQUEST,
                        detail: "the request path cannot be forwarded".into(),
                    })?,
            );
        Uri::from_parts(parts).map_err(|_| UpstreamFailure {
            status: StatusCode::BAD_REQUEST,
            detail: "the request path cannot be forwarded".into(),
        })
    }

    /// Sends one call upstream with the real key and returns the reply to
    /// pass back: 2xx/4xx as they are (streamed), failures as clear errors.
    pub async fn forward(
        &self,
        method: Method,
        path: &str,
        content_type: Option<HeaderValue>,
        accept: Option<HeaderValue>,
        body: Bytes,
    ) -> Result<Response, UpstreamFailure> {
        let deadline = Instant::now() + self.overall;
        let mut req = Request::builder()
            .method(method)
            .uri(self.url(path)?)
            .header(
                header::USER_AGENT,
                concat!("lyzr-chat-proxy/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        if let Some(accept) = accept {
            req = req.header(header::ACCEPT, accept);
        }
        let mut key = HeaderValue::from_str(self.api_key.expose()).map_err(|_| UpstreamFailure {
            status: StatusCode::BAD_GATEWAY,
            detail: "the proxy's LYZR_API_KEY is not a valid header value: the site owner must fix it".into(),
        })?;
        key.set_sensitive(true);
        let req = req
            .header(API_KEY_HEADER, key)
            .body(Full::new(body))
            .expect("request parts are valid");

        let reply = match tokio::time::timeout_at(deadline, self.client.request(req)).await {
            Err(_) => {
                return Err(UpstreamFailure {
                    status: StatusCode::GATEWAY_TIMEOUT,
                    detail: format!(
                        "the Lyzr API did not answer within {} s; try again",
                        self.overall.as_secs()
                    ),
                })
            }
            Ok(Err(e)) => return Err(self.failure(&e)),
            Ok(Ok(reply)) => reply,
        };
        let (parts, incoming) = reply.into_parts();
        let status = parts.status;
        if status.is_server_error() || status == StatusCode::UNAUTHORIZED {
            let upstream_said = read_detail(incoming, &self.api_key).await;
            let detail = if status == StatusCode::UNAUTHORIZED {
                format!(
                    "the Lyzr API refused the proxy's key ({status}): the site owner must check LYZR_API_KEY{upstream_said}"
                )
            } else {
                format!("the Lyzr API failed ({status}); try again in a moment{upstream_said}")
            };
            return Err(UpstreamFailure {
                status: StatusCode::BAD_GATEWAY,
                detail,
            });
        }
        let mut response = Response::new(Body::new(Deadline {
            inner: incoming,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            overall: self.overall,
        }));
        *response.status_mut() = status;
        let h = response.headers_mut();
        for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
            if let Some(v) = parts.headers.get(&name) {
                h.insert(name, v.clone());
            }
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Tells nginx-style front proxies not to buffer a stream.
        h.insert("x-accel-buffering", HeaderValue::from_static("no"));
        Ok(response)
    }

    fn failure(&self, e: &hyper_util::client::legacy::Error) -> UpstreamFailure {
        let timed_out = source_chain(e).any(|s| {
            s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
                || s.to_string().contains("timed out")
        });
        if e.is_connect() && timed_out {
            UpstreamFailure {
                status: StatusCode::GATEWAY_TIMEOUT,
                detail: format!(
                    "the proxy could not connect to the Lyzr API within {} s; try again",
                    self.connect.as_secs()
                ),
            }
        } else if e.is_connect() {
            UpstreamFailure {
                status: StatusCode::BAD_GATEWAY,
                detail: format!(
                    "the proxy could not reach the Lyzr API ({}); try again later",
                    innermost(e)
                ),
            }
        } else {
            UpstreamFailure {
                status: StatusCode::BAD_GATEWAY,
                detail: format!(
                    "the connection to the Lyzr API failed ({}); try again",
                    innermost(e)
                ),
            }
        }
    }
}

fn source_chain<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let next: fn(&&'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> =
        |e| (*e).source();
    std::iter::successors(Some(e), next)
}

fn innermost(e: &(dyn StdError + 'static)) -> String {
    source_chain(e)
        .last()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// `: upstream said "..."` from an error body's `detail`, key scrubbed.
async fn read_detail(body: Incoming, key: &Secret) -> String {
    let Ok(collected) = Limited::new(body, ERROR_BODY_MAX).collect().await else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&collected.to_bytes()).into_owned();
    let Some(detail) = lyzr_chat_protocol::error::parse_detail(&text) else {
        return String::new();
    };
    let detail = scrub(&detail, key);
    let short: String = detail.chars().take(300).collect();
    format!(": upstream said \u{201c}{short}\u{201d}")
}

/// `text` with every occurrence of the key replaced.
pub fn scrub(text: &str, key: &Secret) -> String {
    if key.expose().is_empty() {
        return text.to_string();
    }
    text.replace(key.expose(), "[redacted]")
}

/// The upstream reply body, cut when the overall deadline passes.
struct Deadline {
    inner: Incoming,
    sleep: Pin<Box<Sleep>>,
    overall: Duration,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.sleep.as_mut().poll(cx).is_ready() {
            let secs = self.overall.as_secs();
            return Poll::Ready(Some(Err(format!(
                "the upstream reply took longer than {secs} s and was cut"
            )
            .into())));
        }
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(|e| e.into())
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

use std::future::Future as _;
