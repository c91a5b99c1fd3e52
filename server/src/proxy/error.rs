//! `ProxyError`: every refusal the proxy gives, as one type that turns into
//! the `{"detail": ...}` response the widget reads and the log's `detail`.

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// A refusal or failure, with the status and the reason the page sees.
#[derive(Debug)]
pub struct ProxyError {
    pub status: StatusCode,
    /// The response body (`{"detail": ...}`, or FastAPI's list for 422).
    pub body: Value,
    /// What the log line's `detail` says.
    pub note: String,
    retry_after: Option<Duration>,
    allow: Option<Method>,
    close: bool,
}

impl ProxyError {
    /// `{"detail": detail}` with `status`; the log says the same.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            status,
            body: json!({ "detail": detail }),
            note: detail,
            retry_after: None,
            allow: None,
            close: false,
        }
    }

    /// A prepared body (e.g. the protocol crate's 422 list).
    pub fn with_body(status: StatusCode, body: Value) -> Self {
        let note = body["detail"].to_string();
        Self {
            status,
            body,
            note,
            retry_after: None,
            allow: None,
            close: false,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 429 with `Retry-After`; `what` says whose limit (`from your address`).
    pub fn too_many(wait: Duration, what: &str, note: &str) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many requests {what}: try again in {} s",
                wait.as_secs()
            ),
        );
        e.retry_after = Some(wait);
        e.note = note.to_string();
        e
    }

    /// 413 naming the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than this proxy's limit of {limit} bytes"),
        )
    }

    /// 405 naming the one method the call takes.
    pub fn method(allowed: Method) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method Not Allowed: use {allowed}"),
        );
        e.allow = Some(allowed);
        e
    }

    /// Also closes the connection (a client too slow to send its body).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        let h = r.headers_mut();
        if let Some(wait) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        }
        if let Some(m) = self.allow {
            if let Ok(v) = HeaderValue::from_str(m.as_str()) {
                h.insert(header::ALLOW, v);
            }
        }
        if self.close {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_their_headers() {
        let r = ProxyError::too_many(Duration::from_secs(20), "from your address", "per-IP")
            .into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "20");
        let r = ProxyError::method(Method::GET).into_response();
        assert_eq!(r.headers()["allow"], "GET");
        let r = ProxyError::bad_request("x").closing().into_response();
        assert_eq!(r.headers()["connection"], "close");
    }
}
