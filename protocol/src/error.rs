//! Error replies of the Lyzr API (FastAPI bodies: `detail` as a string or a
//! list of `{loc, msg, type}`) turned into a typed error with a message a
//! kind the widget's `ui` turns into words a visitor can act on, and a
//! detail the site owner can debug with.

use crate::json::Json;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of failure a status code means for the person chatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// 400, 404, 405, 413, 422: the widget sent something the API refused.
    BadRequest,
    /// 401, 403: the key or agent is wrong; only the site owner can fix it.
    Unauthorized,
    /// 402, 429: out of credits or throttled; trying later may work.
    Busy,
    /// 5xx: the service failed.
    Server,
    /// Any other status.
    Other,
}

impl ErrorKind {
    /// The kind a status code falls into.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 | 403 => ErrorKind::Unauthorized,
            402 | 429 => ErrorKind::Busy,
            400..=499 => ErrorKind::BadRequest,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Other,
        }
    }
}

/// A non-success reply of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub status: u16,
    pub kind: ErrorKind,
    /// The server's own reason, when its body carried one.
    pub detail: Option<String>,
    /// Seconds to wait, from a `Retry-After` header.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    /// Reads a reply's status and body (any body: JSON or not, empty or not).
    pub fn from_response(status: u16, body: &str) -> Self {
        Self {
            status,
            kind: ErrorKind::from_status(status),
            detail: parse_detail(body),
            retry_after_s: None,
        }
    }

    /// The same error, knowing how long the server asked to wait.
    pub fn with_retry_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after_s = seconds;
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Longest reason kept from a body that is not JSON (an HTML error page, say).
const MAX_PLAIN_DETAIL: usize = 200;

/// The reason in an error body: FastAPI's `detail` (string, or list of
/// `{loc, msg}` joined as `field: msg`), else `message`/`error`, else the
/// body itself when it is short plain text.
pub fn parse_detail(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    let Ok(value) = Json::parse(body) else {
        if body.starts_with('<') {
            return None; // an HTML error page says nothing useful in a bubble
        }
        let mut text: String = body.chars().take(MAX_PLAIN_DETAIL).collect();
        if text.len() < body.len() {
            text.push('…');
        }
        return Some(text);
    };
    let reason = ["detail", "message", "error"]
        .iter()
        .find_map(|key| value.get(key))?;
    match reason {
        Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Json::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(describe_item).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Json::Object(_) => describe_item(reason),
        _ => None,
    }
}

/// `{"loc": ["body", "message"], "msg": "Field required"}` -> `message: Field required`.
fn describe_item(item: &Json) -> Option<String> {
    let msg = item.get("msg").and_then(Json::as_str).or(item.as_str())?;
    let field = item
        .get("loc")
        .and_then(Json::as_array)
        .map(|loc| {
            loc.iter()
                .filter(|part| part.as_str() != Some("body"))
                .map(|part| match part {
                    Json::String(s) => s.clone(),
                    other => other.to_json(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default();
    Some(if field.is_empty() || msg.contains(&field) {
        msg.to_string()
    } else {
        format!("{field}: {msg}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_detail_is_read() {
        let e = ApiError::from_response(401, r#"{"detail":"Invalid API key"}"#);
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        assert_eq!(e.detail.as_deref(), Some("Invalid API key"));
    }

    #[test]
    fn list_detail_names_fields() {
        let body = r#"{"detail":[{"loc":["body","message"],"msg":"Field required","type":"missing"},
                                 {"loc":["body","features",0],"msg":"Input should be a valid dictionary"}]}"#;
        assert_eq!(
            parse_detail(body).as_deref(),
            Some("message: Field required; features.0: Input should be a valid dictionary")
        );
    }

    #[test]
    fn message_already_naming_field_is_not_prefixed() {
        let body = r#"{"detail":[{"loc":["body","message"],"msg":"field `message` is required"}]}"#;
        assert_eq!(
            parse_detail(body).as_deref(),
            Some("field `message` is required")
        );
    }

    #[test]
    fn bodies_without_detail() {
        assert_eq!(parse_detail(""), None);
        assert_eq!(parse_detail("<html><body>502</body></html>"), None);
        assert_eq!(
            parse_detail("upstream timed out").as_deref(),
            Some("upstream timed out")
        );
        assert_eq!(
            parse_detail(r#"{"message":"slow down"}"#).as_deref(),
            Some("slow down")
        );
        assert_eq!(parse_detail(r#"{"other":1}"#), None);
        let long = "x".repeat(1000);
        assert_eq!(
            parse_detail(&long).unwrap().chars().count(),
            MAX_PLAIN_DETAIL + 1
        );
    }

    #[test]
    fn kinds_by_status() {
        assert_eq!(ErrorKind::from_status(403), ErrorKind::Unauthorized);
        assert_eq!(ErrorKind::from_status(402), ErrorKind::Busy);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::Busy);
        assert_eq!(ErrorKind::from_status(422), ErrorKind::BadRequest);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(302), ErrorKind::Other);
    }
}
