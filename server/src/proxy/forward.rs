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
            let upstream_said = read_detail(incoming, &self.api_key, deadline).await;
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
            scrub: Scrubber::new(&self.api_key),
            ended: false,
        }));
        *response.status_mut() = status;
        let h = response.headers_mut();
        let key = self.api_key.expose().as_bytes();
        for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
            if let Some(v) = parts.headers.get(&name) {
                // A header that carries the key is dropped, not forwarded.
                if key.is_empty() || find(v.as_bytes(), key).is_none() {
                    h.insert(name, v.clone());
                }
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

/// `: upstream said "..."` from an error body's `detail`, key scrubbed;
/// nothing if the body does not arrive by `deadline`.
async fn read_detail(body: Incoming, key: &Secret, deadline: Instant) -> String {
    let read = Limited::new(body, ERROR_BODY_MAX).collect();
    let Ok(Ok(collected)) = tokio::time::timeout_at(deadline, read).await else {
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

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Replaces the key in a body passed on chunk by chunk. A chunk's tail that
/// could be the start of the key is held back until the next chunk shows
/// whether it is (only such a tail: a stream's chunks are not delayed).
#[derive(Debug)]
pub struct Scrubber {
    key: Vec<u8>,
    held: Vec<u8>,
}

const REDACTED: &[u8] = b"[redacted]";

impl Scrubber {
    pub fn new(key: &Secret) -> Self {
        Self {
            key: key.expose().as_bytes().to_vec(),
            held: Vec::new(),
        }
    }

    /// The next chunk's bytes, scrubbed, less a held-back tail.
    pub fn push(&mut self, chunk: &[u8]) -> Bytes {
        if self.key.is_empty() {
            return Bytes::copy_from_slice(chunk);
        }
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(buf.len());
        let mut rest = &buf[..];
        while let Some(i) = find(rest, &self.key) {
            out.extend_from_slice(&rest[..i]);
            out.extend_from_slice(REDACTED);
            rest = &rest[i + self.key.len()..];
        }
        let hold = (1..self.key.len().min(rest.len() + 1))
            .rev()
            .find(|&n| rest.ends_with(&self.key[..n]))
            .unwrap_or(0);
        out.extend_from_slice(&rest[..rest.len() - hold]);
        self.held = rest[rest.len() - hold..].to_vec();
        Bytes::from(out)
    }

    /// What is still held back at the end (it was not the key).
    pub fn finish(&mut self) -> Bytes {
        Bytes::from(std::mem::take(&mut self.held))
    }
}

/// The upstream reply body: key scrubbed, cut when the overall deadline passes.
struct Deadline {
    inner: Incoming,
    sleep: Pin<Box<Sleep>>,
    overall: Duration,
    scrub: Scrubber,
    ended: bool,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            let secs = self.overall.as_secs();
            self.ended = true;
            return Poll::Ready(Some(Err(format!(
                "the upstream reply took longer than {secs} s and was cut"
            )
            .into())));
        }
        loop {
            return match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        let out = self.scrub.push(&data);
                        if out.is_empty() {
                            continue;
                        }
                        Poll::Ready(Some(Ok(Frame::data(out))))
                    }
                    Err(other) => Poll::Ready(Some(Ok(other))),
                },
                Poll::Ready(None) => {
                    self.ended = true;
                    let rest = self.scrub.finish();
                    if rest.is_empty() {
                        Poll::Ready(None)
                    } else {
                        Poll::Ready(Some(Ok(Frame::data(rest))))
                    }
                }
            };
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }

    fn size_hint(&self) -> SizeHint {
        // Scrubbing may change the length.
        SizeHint::default()
    }
}

use std::future::Future as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_10_scrubber_replaces_the_key_across_chunks() {
        let key = Secret::new("sk-abc123");
        let mut s = Scrubber::new(&key);
        let mut out = Vec::new();
        for chunk in ["x sk-a", "bc1", "23 y sk-abc123", " and sk-", "abX"] {
            out.extend_from_slice(&s.push(chunk.as_bytes()));
        }
        out.extend_from_slice(&s.finish());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "x [redacted] y [redacted] and sk-abX"
        );
        let mut s = Scrubber::new(&key);
        assert_eq!(
            s.push(b"data: one\n\n"),
            Bytes::from_static(b"data: one\n\n"),
            "a stream chunk that cannot start the key is not held back"
        );
    }
}
