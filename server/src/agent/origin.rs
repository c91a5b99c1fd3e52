//! Which web pages may call the local agent: its own origin, the `trunk
//! serve` dev origins, and whatever `--allow-origin` adds. A browser call
//! from any other site gets a 403 and no CORS headers, so a page a developer
//! happens to visit cannot use (or read) the agent running on their machine.
//!
//! Calls without an `Origin` header (curl, the proxy, a same-origin `GET`)
//! are not browser cross-site calls and pass.

use super::error;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tower_http::cors::AllowOrigin;

/// Allowed without being asked for: the dev loop's page (`trunk serve` on
/// :8080, whose proxy forwards the API calls with the page's origin).
pub const DEV_ORIGINS: [&str; 2] = ["http://127.0.0.1:8080", "http://localhost:8080"];

/// The dev origins plus `extra`, each as a browser writes an origin
/// (`scheme://host[:port]`, no path, no trailing slash), without repeats.
pub fn allowed_origins(extra: &[String]) -> Vec<String> {
    let mut all: Vec<String> = DEV_ORIGINS.iter().map(|o| o.to_string()).collect();
    for origin in extra {
        let origin = origin.trim().trim_end_matches('/').to_string();
        if !all.contains(&origin) {
            all.push(origin);
        }
    }
    all
}

/// Checks one `--allow-origin` value: the reason it is not an origin.
pub fn check_origin(value: &str) -> Result<String, String> {
    let trimmed = value.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("--allow-origin {value:?}: an origin starts with http:// or https://")
        })?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err(format!(
            "--allow-origin {value:?}: an origin is scheme://host[:port], with no path, query or wildcard"
        ));
    }
    Ok(trimmed.to_string())
}

/// What to do with a call, by its `Origin`.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No `Origin` header, or the agent's own origin.
    Pass,
    /// A listed origin: pass, with CORS headers.
    Allowed,
    /// Any other origin (the header's text).
    Refused(String),
}

/// `origin` is the page the call came from; `Host` names this server as the
/// browser reached it, so `http://{Host}` is the agent's own origin.
pub fn verdict(headers: &HeaderMap, allowed: &[String]) -> Verdict {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Verdict::Pass;
    };
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    let own = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| origin == format!("http://{host}"));
    if own {
        Verdict::Pass
    } else if allowed.contains(&origin) {
        Verdict::Allowed
    } else {
        Verdict::Refused(origin)
    }
}

/// The middleware: refuses calls from other sites before any route runs.
pub async fn gate(State(allowed): State<Arc<[String]>>, req: Request, next: Next) -> Response {
    match verdict(req.headers(), &allowed) {
        Verdict::Pass | Verdict::Allowed => next.run(req).await,
        Verdict::Refused(origin) => error(
            StatusCode::FORBIDDEN,
            &format!(
                "origin {origin} may not call this local agent: it answers its own origin and {}; \
                 start it with --allow-origin {origin} to allow that page",
                allowed.join(", ")
            ),
        ),
    }
}

/// CORS headers for the listed origins only (the own origin needs none).
pub fn cors_origins(allowed: Arc<[String]>) -> AllowOrigin {
    AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        allowed.iter().any(|a| a.as_bytes() == origin.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn own_listed_and_foreign_origins() {
        let allowed = allowed_origins(&["https://app.example/".into()]);
        let v = |origin, host| verdict(&headers(origin, host), &allowed);
        assert_eq!(v(None, "127.0.0.1:8787"), Verdict::Pass);
        assert_eq!(
            v(Some("http://127.0.0.1:8787"), "127.0.0.1:8787"),
            Verdict::Pass
        );
        assert_eq!(
            v(Some("http://localhost:8080"), "127.0.0.1:8787"),
            Verdict::Allowed
        );
        assert_eq!(
            v(Some("http://127.0.0.1:8080"), "127.0.0.1:8787"),
            Verdict::Allowed
        );
        assert_eq!(
            v(Some("https://app.example"), "127.0.0.1:8787"),
            Verdict::Allowed
        );
        assert_eq!(
            v(Some("http://localhost:8787"), "127.0.0.1:8787"),
            Verdict::Refused("http://localhost:8787".into()),
            "another name for the same server is another origin"
        );
        assert_eq!(
            v(Some("https://evil.example"), "127.0.0.1:8787"),
            Verdict::Refused("https://evil.example".into())
        );
        assert_eq!(
            v(Some("null"), "127.0.0.1:8787"),
            Verdict::Refused("null".into())
        );
    }

    #[test]
    fn allow_origin_values_are_checked() {
        assert_eq!(
            check_origin("http://localhost:3000/").unwrap(),
            "http://localhost:3000"
        );
        assert!(check_origin("localhost:3000")
            .unwrap_err()
            .contains("starts with http://"));
        assert!(check_origin("http://a.example/app")
            .unwrap_err()
            .contains("no path"));
        assert!(check_origin("https://*.example")
            .unwrap_err()
            .contains("wildcard"));
        assert!(check_origin("http://").is_err());
        assert_eq!(allowed_origins(&["http://localhost:8080".into()]).len(), 2);
    }
}
